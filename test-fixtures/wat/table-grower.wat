;; A plugin whose handle-message grows a table by 2^30 elements: an attack
;; on the host's memory that no linear-memory limit sees.
(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (global $next (mut i32) (i32.const 1024))

  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $at))

  ;; handle-message: (sender ptr, len, message ptr, len) -> return area.
  (func (export "airssys:wasm/component-lifecycle@0.1.0#handle-message")
        (param i32 i32 i32 i32) (result i32)
    (drop (table.grow $t (ref.null func) (i32.const 0x40000000)))
    ;; ok, an empty list
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.store (i32.const 4) (i32.const 0))
    (i32.store (i32.const 8) (i32.const 0))
    (i32.const 0))

  ;; handle-callback: (id ptr, len, result tag, ptr, len) -> return area.
  (func (export "airssys:wasm/component-lifecycle@0.1.0#handle-callback")
        (param i32 i32 i32 i32 i32) (result i32)
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.const 0))
)

;; A plugin with two linear memories whose handle-message grows each by
;; 300 pages (18.75 MiB): each stays under a 32 MiB limit, both together
;; do not.
(module
  (memory (export "memory") 1)
  (memory $second 1)
  (global $next (mut i32) (i32.const 1024))

  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get 3)))
    (local.get $at))

  (func (export "airssys:wasm/component-lifecycle@0.1.0#handle-message")
        (param i32 i32 i32 i32) (result i32)
    (drop (memory.grow $second (i32.const 300)))
    (drop (memory.grow 0 (i32.const 300)))
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.store (i32.const 4) (i32.const 0))
    (i32.store (i32.const 8) (i32.const 0))
    (i32.const 0))

  (func (export "airssys:wasm/component-lifecycle@0.1.0#handle-callback")
        (param i32 i32 i32 i32 i32) (result i32)
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.const 0))
)

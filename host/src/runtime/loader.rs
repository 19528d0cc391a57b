//! [`LoadedComponent`]: compiled once, instantiated on demand; and
//! [`inspect`], which says what a component is without running it.

use std::path::Path;

use wasmtime::Store;
use wasmtime::component::Component;
use wasmtime::component::types::{ComponentExtern, ComponentItem};

use crate::core::runtime::errors::WasmError;
use crate::runtime::bindings::PluginPre;
use crate::runtime::cache::CacheUse;
use crate::runtime::engine::WasmEngine;
use crate::runtime::host_services::HostState;
use crate::runtime::instance::Instance;

/// A component compiled and linked once, ready to instantiate any number of
/// times (at start, and again after a trap).
#[derive(Clone)]
pub(crate) struct LoadedComponent {
    name: String,
    pre: PluginPre<HostState>,
    /// Loaded from the compile cache rather than compiled.
    cache_use: CacheUse,
}

impl LoadedComponent {
    /// Reads and loads the component at `path`.
    pub(crate) fn from_file(
        engine: &WasmEngine,
        name: &str,
        path: &Path,
    ) -> Result<Self, WasmError> {
        let bytes = std::fs::read(path).map_err(|source| WasmError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(engine, name, &bytes)
    }

    /// Compiles `bytes` and checks that they are a component of the
    /// `airssys:wasm/plugin` world.
    pub(crate) fn from_bytes(
        engine: &WasmEngine,
        name: &str,
        bytes: &[u8],
    ) -> Result<Self, WasmError> {
        let (component, cache_use) = compile(engine, name, bytes)?;
        let pre = link(engine, name, &component)?;
        Ok(Self {
            name: name.to_owned(),
            pre,
            cache_use,
        })
    }

    /// What the compile cache did for it.
    pub(crate) fn cache_use(&self) -> CacheUse {
        self.cache_use
    }

    /// The same compiled component under another name.
    pub(crate) fn renamed(&self, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            pre: self.pre.clone(),
            cache_use: self.cache_use,
        }
    }

    /// Checks, without instantiating, that the memories the component starts
    /// with fit in `memory_limit` bytes: what instantiating would find out.
    pub(crate) fn check_initial_memory(&self, memory_limit: usize) -> Result<(), WasmError> {
        let component = self.pre.instance_pre().component();
        let Some(resources) = component.resources_required() else {
            return Ok(());
        };
        let pages = resources.max_initial_memory_size.unwrap_or(0);
        let bytes = pages.saturating_mul(WASM_PAGE_BYTES);
        if u64::try_from(memory_limit).is_ok_and(|limit| bytes <= limit) {
            return Ok(());
        }
        Err(WasmError::Instantiate {
            name: self.name.clone(),
            source: wasmtime::format_err!(
                "it starts with a memory of {bytes} bytes, past its memory limit of {memory_limit} bytes"
            ),
        })
    }

    /// Creates a fresh instance in a new store holding `state`, with its
    /// memory limited and a yield to tokio at every epoch tick. Like every
    /// call, instantiation (the guest's start functions) must finish within
    /// the time budget.
    pub(crate) async fn instantiate(&self, state: HostState) -> Result<Instance, WasmError> {
        let time_budget = state.time_budget;
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| Ok(wasmtime::UpdateDeadline::Yield(1)));
        let plugin = tokio::time::timeout(time_budget, self.pre.instantiate_async(&mut store))
            .await
            .unwrap_or_else(|_elapsed| {
                Err(wasmtime::format_err!(
                    "its start did not finish within its time budget of {} ms",
                    time_budget.as_millis()
                ))
            })
            .map_err(|source| instantiate_error(&self.name, source))?;
        Ok(Instance::new(store, plugin, time_budget))
    }
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The size of a wasm page.
const WASM_PAGE_BYTES: u64 = 64 * 1024;

/// What a component imports and exports, and whether this host can run it
/// as a plugin: what `airssys inspect` shows.
///
/// ```no_run
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let bytes = std::fs::read("plugin.wasm")?;
/// let inspection = airssys_wasm::inspect("plugin.wasm", &bytes)?;
/// for import in &inspection.imports {
///     println!("imports {import}");
/// }
/// if let Err(why) = inspection.as_plugin {
///     println!("not a plugin: {why}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Inspection {
    /// Each import: an interface with its functions, or a lone item.
    pub imports: Vec<String>,
    /// Each export, the same way.
    pub exports: Vec<String>,
    /// `Ok` for a plugin of the `airssys:wasm/plugin` world; otherwise why
    /// not ([`WasmError::WrongWorld`], naming what is missing or unknown).
    pub as_plugin: Result<(), WasmError>,
}

/// Compiles `bytes` (named `name` in errors) and describes them. Fails only
/// when they are not a component at all (not wasm, a core module, invalid).
///
/// ```
/// use airssys_wasm::WasmError;
///
/// // Not a component at all: an error, not an inspection.
/// let error = airssys_wasm::inspect("notes.txt", b"hello").unwrap_err();
/// assert!(matches!(error, WasmError::NotWasm { .. }));
/// ```
pub fn inspect(name: &str, bytes: &[u8]) -> Result<Inspection, WasmError> {
    // Nothing is instantiated, so the memory reservation does not matter.
    let engine = WasmEngine::new(INSPECT_MEMORY_RESERVATION)?;
    let (component, _) = compile(&engine, name, bytes)?;
    let ty = component.component_type();
    let wasmtime_engine = engine.engine();
    let describe = |(item_name, item): (&str, ComponentExtern<'_>)| match item.ty {
        ComponentItem::ComponentInstance(instance) => {
            let functions: Vec<&str> = instance
                .exports(wasmtime_engine)
                .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
                .map(|(function, _)| function)
                .collect();
            if functions.is_empty() {
                format!("{item_name} (types only)")
            } else {
                format!("{item_name}: {}", functions.join(", "))
            }
        }
        ComponentItem::ComponentFunc(_) => format!("{item_name} (function)"),
        _ => item_name.to_owned(),
    };
    Ok(Inspection {
        imports: ty.imports(wasmtime_engine).map(describe).collect(),
        exports: ty.exports(wasmtime_engine).map(describe).collect(),
        as_plugin: link(&engine, name, &component).map(drop),
    })
}

/// The engine [`inspect`] compiles with reserves this much per memory.
const INSPECT_MEMORY_RESERVATION: usize = 64 << 20;

/// Checks the header, then compiles, or loads from the engine's compile
/// cache; says which.
fn compile(
    engine: &WasmEngine,
    name: &str,
    bytes: &[u8],
) -> Result<(Component, CacheUse), WasmError> {
    check_header(name, bytes)?;
    let compile = || Component::new(engine.engine(), bytes);
    match engine.cache() {
        Some(cache) => cache.get_or_compile(engine.engine(), bytes, compile),
        None => compile().map(|component| (component, CacheUse::NotKept)),
    }
    .map_err(|source| WasmError::Compile {
        name: name.to_owned(),
        source,
    })
}

/// Links a compiled component against the host's imports and checks it
/// exports the `airssys:wasm/plugin` world.
fn link(
    engine: &WasmEngine,
    name: &str,
    component: &Component,
) -> Result<PluginPre<HostState>, WasmError> {
    let wrong_world = |source| WasmError::WrongWorld {
        name: name.to_owned(),
        source,
    };
    let instance_pre = engine
        .linker()
        .instantiate_pre(component)
        .map_err(wrong_world)?;
    PluginPre::new(instance_pre).map_err(wrong_world)
}

/// Memory mappings each live instance holds: its linear memory (three with
/// copy-on-write initialisation, plus the reservation) and its fiber stack
/// with its guard page.
const MAPPINGS_PER_INSTANCE: usize = 6;

/// An instance that cannot get memory has most often hit the kernel's cap on
/// mappings per process, not the end of RAM: say so, with the numbers.
fn instantiate_error(name: &str, source: wasmtime::Error) -> WasmError {
    let out_of_memory = format!("{source:#}").contains("Cannot allocate memory");
    let cap = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok());
    match cap {
        Some(max_map_count) if out_of_memory => WasmError::OutOfMappings {
            name: name.to_owned(),
            max_map_count,
            mappings_per_instance: MAPPINGS_PER_INSTANCE,
            source,
        },
        _ => WasmError::Instantiate {
            name: name.to_owned(),
            source,
        },
    }
}

/// Tells "not wasm" and "a core module" apart before the compiler does, so
/// the error says which.
fn check_header(name: &str, bytes: &[u8]) -> Result<(), WasmError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE_VERSION: &[u8] = &[1, 0, 0, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(WasmError::NotWasm {
            name: name.to_owned(),
        });
    }
    if &bytes[4..8] == CORE_MODULE_VERSION {
        return Err(WasmError::CoreModule {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use airssys_test_fixtures::ECHO;

    use super::*;
    use crate::core::component::errors::{ComponentError, Trap};
    use crate::core::component::id::ComponentId;
    use crate::core::messaging::activity::Activity;
    use crate::messaging::capability::Grants;
    use crate::messaging::correlation::CorrelationTrackerImpl;
    use crate::messaging::router::{ResponseRouter, RouterLimits};
    use crate::messaging::subscriber::{ComponentSubscriber, MailboxLimits};
    use crate::runtime::host_services::InstanceSettings;

    /// Out of memory with a readable cap becomes `OutOfMappings`, naming
    /// the cap; any other failure stays `Instantiate`.
    #[test]
    fn out_of_memory_names_the_mapping_cap() {
        let oom = instantiate_error(
            "c1",
            wasmtime::format_err!("mmap failed: Cannot allocate memory (os error 12)"),
        );
        if Path::new("/proc/sys/vm/max_map_count").exists() {
            assert!(
                matches!(
                    oom,
                    WasmError::OutOfMappings {
                        mappings_per_instance: 6,
                        ..
                    }
                ),
                "{oom:?}"
            );
        }
        let other = instantiate_error("c1", wasmtime::format_err!("unknown import"));
        assert!(matches!(other, WasmError::Instantiate { .. }), "{other:?}");
    }

    /// An instance driven by hand, without a system: the answer, the
    /// guest's own error and a trap come back as three different results,
    /// and the instance keeps serving after its own error.
    #[tokio::test]
    async fn calls_return_answer_error_or_trap() {
        let engine = WasmEngine::new(16 << 20).unwrap();
        let echo = LoadedComponent::from_bytes(&engine, "echo", ECHO).unwrap();
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::new(Activity::default())));
        let router = Arc::new(ResponseRouter::new(
            Arc::clone(&subscriber),
            Arc::new(CorrelationTrackerImpl::new()),
            Arc::new(Grants::default()),
            RouterLimits::default(),
        ));
        let limits = MailboxLimits {
            capacity: 4,
            callback_queue_bytes: 1 << 20,
            max_pending_requests: Some(4),
        };
        let mailbox = subscriber.subscribe(ComponentId::new("echo"), limits);
        let settings = InstanceSettings {
            time_budget: Duration::from_secs(1),
            memory_limit: 16 << 20,
            wasi: Default::default(),
            config: Default::default(),
            keyvalue: Default::default(),
            http: Default::default(),
            live: Default::default(),
        };
        let state = HostState::new(
            ComponentId::new("echo"),
            router,
            mailbox.callback_sink,
            &settings,
        )
        .unwrap();
        let mut instance = echo.instantiate(state).await.unwrap();
        let tester = ComponentId::new("tester");

        let answer = instance.call_message(&tester, b"hello", None).await;
        assert_eq!(answer, Ok(Ok(b"hello".to_vec())));
        let refused = instance.call_message(&tester, b"fail", None).await;
        assert_eq!(
            refused,
            Ok(Err(ComponentError::Failed("asked to fail".to_owned())))
        );
        let trap = instance.call_message(&tester, b"panic", None).await;
        assert!(matches!(trap, Err(Trap::Guest(_))), "{trap:?}");
    }
}

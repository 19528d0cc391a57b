//! [`LoadedComponent`]: compiled once, instantiated on demand.

use std::path::Path;

use wasmtime::Store;
use wasmtime::component::Component;
use wasmtime::component::types::{ComponentExtern, ComponentItem};

use crate::core::runtime::errors::WasmError;
use crate::runtime::bindings::{Plugin, PluginPre};
use crate::runtime::engine::WasmEngine;
use crate::runtime::host_services::HostState;

/// A component compiled and linked once, ready to instantiate any number of
/// times (at start, and again after a trap).
///
/// ```no_run
/// # async fn demo(state: airssys_wasm::runtime::host_services::HostState) -> Result<(), Box<dyn std::error::Error>> {
/// use airssys_wasm::runtime::engine::WasmEngine;
/// use airssys_wasm::runtime::loader::LoadedComponent;
///
/// let engine = WasmEngine::new(16 << 20)?;
/// let echo = LoadedComponent::from_file(&engine, "echo", "echo.wasm".as_ref())?;
/// // `state` as in `HostState::new`.
/// let mut instance = echo.instantiate(state).await?;
/// let answer = instance.handle_message("host", b"hi").await?;
/// println!("{answer:?}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LoadedComponent {
    name: String,
    pre: PluginPre<HostState>,
}

/// A live instance and the store that owns it.
///
/// ```no_run
/// # async fn demo(state: airssys_wasm::runtime::host_services::HostState) -> Result<(), Box<dyn std::error::Error>> {
/// use airssys_wasm::runtime::engine::WasmEngine;
/// use airssys_wasm::runtime::loader::LoadedComponent;
///
/// let engine = WasmEngine::new(16 << 20)?;
/// let echo = LoadedComponent::from_file(&engine, "echo", "echo.wasm".as_ref())?;
/// // `state` as in `HostState::new`.
/// let mut instance = echo.instantiate(state).await?;
/// let answer = instance.handle_message("host", b"hi").await?;
/// println!("{answer:?}");
/// # Ok(()) }
/// ```
pub struct Instance {
    /// The store holding the instance's memory and the component's state.
    #[doc(hidden)] // public for the benchmarks' bare-call floor
    pub store: Store<HostState>,
    /// The instance's exports.
    #[doc(hidden)] // public for the benchmarks' bare-call floor
    pub plugin: Plugin,
}

impl LoadedComponent {
    /// Reads and loads the component at `path`.
    ///
    /// ```
    /// use airssys_wasm::runtime::{engine::WasmEngine, loader::LoadedComponent};
    /// use airssys_wasm::WasmError;
    ///
    /// let engine = WasmEngine::new(16 << 20)?;
    /// let missing = LoadedComponent::from_file(&engine, "echo", "no/such/echo.wasm".as_ref());
    /// assert!(matches!(missing, Err(WasmError::Read { .. })));
    /// # Ok::<(), WasmError>(())
    /// ```
    pub fn from_file(engine: &WasmEngine, name: &str, path: &Path) -> Result<Self, WasmError> {
        let bytes = std::fs::read(path).map_err(|source| WasmError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(engine, name, &bytes)
    }

    /// Compiles `bytes` and checks that they are a component of the
    /// `airssys:wasm/plugin` world.
    ///
    /// ```
    /// use airssys_wasm::runtime::{engine::WasmEngine, loader::LoadedComponent};
    /// use airssys_wasm::WasmError;
    ///
    /// let engine = WasmEngine::new(16 << 20)?;
    /// // A core module (just the header) is not a component.
    /// let core = LoadedComponent::from_bytes(&engine, "old", b"\0asm\x01\0\0\0");
    /// assert!(matches!(core, Err(WasmError::CoreModule { .. })));
    /// # Ok::<(), WasmError>(())
    /// ```
    pub fn from_bytes(engine: &WasmEngine, name: &str, bytes: &[u8]) -> Result<Self, WasmError> {
        let component = compile(engine, name, bytes)?;
        let pre = link(engine, name, &component)?;
        Ok(Self {
            name: name.to_owned(),
            pre,
        })
    }

    /// The same compiled component under another name.
    pub(crate) fn renamed(&self, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            pre: self.pre.clone(),
        }
    }

    /// The name the component was loaded under.
    ///
    /// ```no_run
    /// # fn demo(component: &airssys_wasm::runtime::loader::LoadedComponent) {
    /// println!("loaded {}", component.name());
    /// # }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Creates a fresh instance in a new store holding `state`, with epoch
    /// interruption armed: the guest yields at every tick and traps once it
    /// has used `state`'s tick allowance within one call.
    ///
    /// ```no_run
    /// # async fn demo(state: airssys_wasm::runtime::host_services::HostState) -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::runtime::engine::WasmEngine;
    /// use airssys_wasm::runtime::loader::LoadedComponent;
    ///
    /// let engine = WasmEngine::new(16 << 20)?;
    /// let echo = LoadedComponent::from_file(&engine, "echo", "echo.wasm".as_ref())?;
    /// // `state` as in `HostState::new`.
    /// let mut instance = echo.instantiate(state).await?;
    /// let answer = instance.handle_message("host", b"hi").await?;
    /// println!("{answer:?}");
    /// # Ok(()) }
    /// ```
    pub async fn instantiate(&self, state: HostState) -> Result<Instance, WasmError> {
        let mut store = Store::new(self.pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            state.ticks_used += 1;
            if state.ticks_used > state.ticks_allowed {
                let limit =
                    state.ticks_allowed * crate::runtime::engine::EPOCH_TICK.as_millis() as u64;
                return Err(wasmtime::format_err!(
                    "{:?} ran past its time budget of {limit} ms for one message",
                    state.id().as_str()
                ));
            }
            Ok(wasmtime::UpdateDeadline::Yield(1))
        });
        let plugin =
            self.pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| WasmError::Instantiate {
                    name: self.name.clone(),
                    reason: with_mapping_hint(format!("{e:#}")),
                })?;
        Ok(Instance { store, plugin })
    }
}

impl Instance {
    /// Calls the guest's `handle-message` once, with no system around it:
    /// no mailbox, no supervision, no request tracking. The outer error is
    /// a trap; the inner one the guest's own `component-error`, as text.
    /// Useful for driving one plugin from a test.
    ///
    /// ```no_run
    /// # async fn demo(mut instance: airssys_wasm::runtime::loader::Instance) -> Result<(), Box<dyn std::error::Error>> {
    /// match instance.handle_message("tester", b"ping 1").await? {
    ///     Ok(answer) => assert_eq!(answer, b"pong 1"),
    ///     Err(refused) => panic!("the plugin said no: {refused}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn handle_message(
        &mut self,
        sender: &str,
        payload: &[u8],
    ) -> Result<Result<Vec<u8>, String>, wasmtime::Error> {
        self.store.data_mut().begin_call(None);
        let answer = self
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut self.store, &sender.to_owned(), payload)
            .await?;
        Ok(answer.map_err(|error| crate::runtime::actor::describe(&error)))
    }

    /// The component's state: its id and limits.
    ///
    /// ```no_run
    /// # fn demo(instance: &airssys_wasm::runtime::loader::Instance) {
    /// println!("an instance of {}", instance.state().id());
    /// # }
    /// ```
    pub fn state(&self) -> &HostState {
        self.store.data()
    }
}

impl std::fmt::Debug for LoadedComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedComponent")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("state", self.store.data())
            .finish_non_exhaustive()
    }
}

/// What a component imports and exports, and whether this host can run it
/// as a plugin: what `airssys inspect` shows.
///
/// ```no_run
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use airssys_wasm::runtime::{engine::WasmEngine, loader};
///
/// let engine = WasmEngine::new(16 << 20)?;
/// let bytes = std::fs::read("plugin.wasm")?;
/// let inspection = loader::inspect(&engine, "plugin.wasm", &bytes)?;
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
    /// not (`WrongWorld`, naming what is missing or unknown).
    pub as_plugin: Result<(), WasmError>,
}

/// Compiles `bytes` and describes them. Fails only when they are not a
/// component at all (not wasm, a core module, invalid).
///
/// ```
/// use airssys_wasm::runtime::{engine::WasmEngine, loader};
///
/// let engine = WasmEngine::new(16 << 20)?;
/// // Not a component at all: an error, not an inspection.
/// assert!(loader::inspect(&engine, "notes.txt", b"hello").is_err());
/// # Ok::<(), airssys_wasm::WasmError>(())
/// ```
pub fn inspect(engine: &WasmEngine, name: &str, bytes: &[u8]) -> Result<Inspection, WasmError> {
    let component = compile(engine, name, bytes)?;
    let ty = component.component_type();
    let describe = |(item_name, item): (&str, ComponentExtern<'_>)| match item.ty {
        ComponentItem::ComponentInstance(instance) => {
            let functions: Vec<&str> = instance
                .exports(engine.engine())
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
        imports: ty.imports(engine.engine()).map(describe).collect(),
        exports: ty.exports(engine.engine()).map(describe).collect(),
        as_plugin: link(engine, name, &component).map(|_| ()),
    })
}

/// Checks the header, then compiles.
fn compile(engine: &WasmEngine, name: &str, bytes: &[u8]) -> Result<Component, WasmError> {
    check_header(name, bytes)?;
    Component::new(engine.engine(), bytes).map_err(|e| WasmError::Compile {
        name: name.to_owned(),
        reason: format!("{e:#}"),
    })
}

/// Links a compiled component against the host's imports and checks it
/// exports the `airssys:wasm/plugin` world.
fn link(
    engine: &WasmEngine,
    name: &str,
    component: &Component,
) -> Result<PluginPre<HostState>, WasmError> {
    let wrong_world = |e: wasmtime::Error| WasmError::WrongWorld {
        name: name.to_owned(),
        reason: format!("{e:#}"),
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
pub(crate) const MAPPINGS_PER_INSTANCE: usize = 6;

/// An instance that cannot get memory has most often hit the kernel's cap on
/// mappings per process, not the end of RAM: say so, with the numbers.
fn with_mapping_hint(reason: String) -> String {
    if !reason.contains("Cannot allocate memory") {
        return reason;
    }
    let cap = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|text| text.trim().parse::<usize>().ok());
    match cap {
        Some(cap) => format!(
            "{reason} (each instance holds about {MAPPINGS_PER_INSTANCE} memory mappings and \
             vm.max_map_count = {cap} allows about {} instances; raise it with \
             `sysctl -w vm.max_map_count=N`)",
            cap / MAPPINGS_PER_INSTANCE
        ),
        None => reason,
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
    use super::*;

    #[test]
    fn out_of_memory_names_the_mapping_cap() {
        let reason = with_mapping_hint("mmap failed: Cannot allocate memory (os error 12)".into());
        if Path::new("/proc/sys/vm/max_map_count").exists() {
            assert!(reason.contains("vm.max_map_count"), "{reason}");
        }
        let other = with_mapping_hint("unknown import".into());
        assert_eq!(other, "unknown import");
    }
}

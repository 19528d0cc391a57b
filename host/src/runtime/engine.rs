//! [`WasmEngine`]: the wasmtime engine, the linker and the epoch thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use crate::core::runtime::errors::WasmError;
use crate::runtime::bindings::Plugin;
use crate::runtime::host_services::HostState;

/// How often the epoch advances. A running guest yields to tokio at every
/// tick and its time budget is counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The wasmtime engine and the linker every component is instantiated with,
/// plus the thread that advances the epoch.
///
/// ```
/// use airssys_wasm::runtime::engine::WasmEngine;
/// use airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT;
///
/// let engine = WasmEngine::new(DEFAULT_MEMORY_LIMIT)?;
/// // One engine compiles every component of a system; see `LoadedComponent`.
/// # let _ = engine;
/// # Ok::<(), airssys_wasm::WasmError>(())
/// ```
pub struct WasmEngine {
    engine: Engine,
    linker: Linker<HostState>,
    ticker: Arc<AtomicBool>,
}

impl WasmEngine {
    /// An engine for the component model with epoch interruption, and a
    /// linker holding WASI (closed by default) and `host-services`.
    ///
    /// `largest_memory` is the largest memory limit of any component it will
    /// run: each linear memory reserves that much address space (plus a
    /// guard), so it grows in place up to its limit. Wasmtime's default
    /// reservation of 4 GiB per memory would cap a process at about 30,000
    /// instances of address space; limit-sized reservations allow millions.
    /// Measured: the guest call cost is the same either way (BENCHMARKS.md).
    ///
    /// ```
    /// // Components limited to 16 MiB each reserve 16 MiB (plus guard) apiece.
    /// let engine = airssys_wasm::runtime::engine::WasmEngine::new(16 << 20)?;
    /// # let _ = engine;
    /// # Ok::<(), airssys_wasm::WasmError>(())
    /// ```
    pub fn new(largest_memory: usize) -> Result<Self, WasmError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.memory_reservation(largest_memory as u64);
        // One mapping fewer per instance; the guard after the memory stays.
        config.guard_before_linear_memory(false);
        let engine = Engine::new(&config).map_err(|e| WasmError::Engine(e.to_string()))?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| WasmError::Engine(e.to_string()))?;
        Plugin::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| WasmError::Engine(e.to_string()))?;

        let ticker = Arc::new(AtomicBool::new(true));
        let running = Arc::clone(&ticker);
        let weak = engine.weak();
        thread::Builder::new()
            .name("airssys-epoch".to_owned())
            .spawn(move || {
                while running.load(Ordering::Acquire) {
                    thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| WasmError::Engine(format!("cannot start the epoch thread: {e}")))?;

        Ok(Self {
            engine,
            linker,
            ticker,
        })
    }

    /// The wasmtime engine.
    ///
    /// ```
    /// let engine = airssys_wasm::runtime::engine::WasmEngine::new(16 << 20)?;
    /// // For wasmtime APIs the host does not wrap, such as precompiling.
    /// let wasmtime_engine: &wasmtime::Engine = engine.engine();
    /// # let _ = wasmtime_engine;
    /// # Ok::<(), airssys_wasm::WasmError>(())
    /// ```
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker with every import a plugin may use.
    ///
    /// ```
    /// let engine = airssys_wasm::runtime::engine::WasmEngine::new(16 << 20)?;
    /// // `wasi:*` and `airssys:wasm/host-services` are defined here.
    /// let _linker = engine.linker();
    /// # Ok::<(), airssys_wasm::WasmError>(())
    /// ```
    pub fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }
}

impl Drop for WasmEngine {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Release);
    }
}

impl std::fmt::Debug for WasmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmEngine").finish_non_exhaustive()
    }
}

//! [`WasmEngine`]: the wasmtime engine, the linker and the epoch thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

use crate::core::runtime::errors::WasmError;
use crate::runtime::bindings::Plugin;
use crate::runtime::cache::CompileCache;
use crate::runtime::host_services::HostState;
use crate::runtime::keyvalue;
use crate::runtime::limits::EPOCH_TICK;

/// The wasmtime engine and the linker every component is instantiated with,
/// plus the thread that advances the epoch.
pub(crate) struct WasmEngine {
    engine: Engine,
    linker: Linker<HostState>,
    ticker: Arc<AtomicBool>,
    /// Where compiled components are kept between starts, if anywhere.
    cache: Option<CompileCache>,
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
    pub(crate) fn new(largest_memory: usize) -> Result<Self, WasmError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.memory_reservation(u64::try_from(largest_memory).unwrap_or(u64::MAX));
        // One mapping fewer per instance; the guard after the memory stays.
        config.guard_before_linear_memory(false);
        let engine = Engine::new(&config).map_err(WasmError::Engine)?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(WasmError::Engine)?;
        Plugin::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |state| state)
            .map_err(WasmError::Engine)?;
        wasmtime_wasi_config::add_to_linker(&mut linker, HostState::config)
            .map_err(WasmError::Engine)?;
        keyvalue::add_to_linker(&mut linker, HostState::keyvalue).map_err(WasmError::Engine)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(WasmError::Engine)?;

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
            .map_err(WasmError::EpochThread)?;

        Ok(Self {
            engine,
            linker,
            ticker,
            cache: None,
        })
    }

    /// Keeps what this engine compiles in `cache`, and loads from it.
    pub(crate) fn with_cache(mut self, cache: Option<CompileCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The compile cache, if this engine has one.
    pub(crate) fn cache(&self) -> Option<&CompileCache> {
        self.cache.as_ref()
    }

    /// The wasmtime engine.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linker with every import a plugin may use.
    pub(crate) fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }
}

impl Drop for WasmEngine {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Release);
        // One last tick: a guest still running on a task its system just
        // aborted yields at it, and the abort takes effect.
        self.engine.increment_epoch();
    }
}

impl std::fmt::Debug for WasmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmEngine").finish_non_exhaustive()
    }
}

//! [`WasmError`]: why a component could not be loaded or started.

use std::path::PathBuf;

use thiserror::Error;

/// Why a component could not be loaded or started.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use airssys_wasm::{ComponentSpec, SystemBuilder, SystemError, WasmError};
///
/// let started = SystemBuilder::new()
///     .component(ComponentSpec::from_bytes("broken", &b"not wasm at all"[..]))
///     .start()
///     .await;
/// match started {
///     Err(SystemError::Wasm(WasmError::NotWasm { name })) => assert_eq!(name, "broken"),
///     other => panic!("expected NotWasm, got {other:?}"),
/// }
/// # }
/// ```
#[derive(Debug, Error)]
pub enum WasmError {
    /// The file could not be read.
    #[error("cannot read component {path}")]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The bytes do not start with the WebAssembly magic number.
    #[error("{name:?} is not WebAssembly (no \\0asm header)")]
    NotWasm {
        /// The component's name.
        name: String,
    },

    /// A core module where a component was expected.
    #[error(
        "{name:?} is a core WebAssembly module, not a component; build it for wasm32-wasip2 \
         or wrap it with `wasm-tools component new`"
    )]
    CoreModule {
        /// The component's name.
        name: String,
    },

    /// The component did not validate or compile.
    #[error("{name:?} failed to compile")]
    Compile {
        /// The component's name.
        name: String,
        /// The compiler's error.
        #[source]
        source: wasmtime::Error,
    },

    /// The component imports something the host does not provide, or lacks
    /// an export of the `airssys:wasm/plugin` world.
    #[error("{name:?} does not fit the airssys:wasm/plugin world")]
    WrongWorld {
        /// The component's name.
        name: String,
        /// The linker's error, naming the missing import or export.
        #[source]
        source: wasmtime::Error,
    },

    /// A granted directory could not be opened for the component.
    #[error("cannot grant {dir} to {name:?}")]
    GrantDir {
        /// The component's name.
        name: String,
        /// The host directory that was granted.
        dir: PathBuf,
        /// Why it could not be opened.
        #[source]
        source: wasmtime::Error,
    },

    /// Instantiation failed: a start function trapped, or memory for the
    /// instance could not be had.
    #[error("{name:?} failed to instantiate")]
    Instantiate {
        /// The component's name.
        name: String,
        /// wasmtime's error.
        #[source]
        source: wasmtime::Error,
    },

    /// The process ran out of memory mappings for new instances: the kernel
    /// caps each process at `vm.max_map_count` mappings, and each instance
    /// holds about `mappings_per_instance`.
    #[error(
        "{name:?} failed to instantiate: out of memory mappings (each instance holds about \
         {mappings_per_instance} and vm.max_map_count = {max_map_count} allows about {} instances; \
         raise it with `sysctl -w vm.max_map_count=N`)",
        .max_map_count / .mappings_per_instance
    )]
    OutOfMappings {
        /// The component's name.
        name: String,
        /// The kernel's cap, from `/proc/sys/vm/max_map_count`.
        max_map_count: usize,
        /// Mappings one instance holds.
        mappings_per_instance: usize,
        /// wasmtime's error.
        #[source]
        source: wasmtime::Error,
    },

    /// The tokio runtime shut down while the component was being compiled
    /// or started.
    #[error("the runtime shut down while {name:?} was starting")]
    StartCancelled {
        /// The component's name.
        name: String,
    },

    /// The engine could not be configured.
    #[error("wasmtime engine configuration failed")]
    Engine(#[source] wasmtime::Error),

    /// The thread that advances the epoch could not be started.
    #[error("cannot start the epoch thread")]
    EpochThread(#[source] std::io::Error),
}

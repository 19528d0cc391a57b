//! [`WasmError`]: why a component could not be loaded or started.

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
    #[error("cannot read component {path}: {source}")]
    Read {
        /// The file that was asked for.
        path: String,
        /// The I/O error.
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
    #[error("{name:?} failed to compile: {reason}")]
    Compile {
        /// The component's name.
        name: String,
        /// The compiler's message.
        reason: String,
    },

    /// The component imports something the host does not provide, or lacks
    /// an export of the `airssys:wasm/plugin` world.
    #[error("{name:?} does not fit the airssys:wasm/plugin world: {reason}")]
    WrongWorld {
        /// The component's name.
        name: String,
        /// The missing import or export.
        reason: String,
    },

    /// Instantiation failed (start function trapped, limits exceeded).
    #[error("{name:?} failed to instantiate: {reason}")]
    Instantiate {
        /// The component's name.
        name: String,
        /// What went wrong.
        reason: String,
    },

    /// The engine could not be configured.
    #[error("wasmtime engine configuration failed: {0}")]
    Engine(String),
}

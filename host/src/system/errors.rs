//! [`SystemError`]: why a system could not start.

use thiserror::Error;

use crate::core::runtime::errors::WasmError;

/// Why a system could not start.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use airssys_wasm::{ComponentSpec, SystemBuilder, SystemError};
///
/// let error = SystemBuilder::new()
///     .component(ComponentSpec::from_file("shop", "shop.wasm").grant("warehouse"))
///     .start()
///     .await
///     .unwrap_err();
/// assert!(matches!(error, SystemError::UnknownGrant { ref missing, .. } if missing == "warehouse"));
/// # }
/// ```
#[derive(Debug, Error)]
pub enum SystemError {
    /// A component failed to load or instantiate.
    #[error(transparent)]
    Wasm(#[from] WasmError),

    /// Two components were given the same name.
    #[error("two components are named {0:?}; names must be unique")]
    DuplicateName(String),

    /// A component name is empty or reserved.
    #[error(
        "{0:?} cannot name a component or service: names must be non-empty, and \"host\" (the host application) and \"timer\" (the built-in timer service) are reserved"
    )]
    InvalidName(String),

    /// A grant names a component that is not in the system.
    #[error(
        "grant {sender} -> {target} names {missing:?}, which is not a component of this system"
    )]
    UnknownGrant {
        /// The grant's sender.
        sender: String,
        /// The grant's target.
        target: String,
        /// The name that is not a component.
        missing: String,
    },

    /// A limit was set outside its range (see [`LIMIT_RANGES`]).
    ///
    /// [`LIMIT_RANGES`]: crate::LIMIT_RANGES
    #[error(
        "{}{limit} = {value} is out of range: it may be {allowed}",
        .component.as_ref().map(|name| format!("component {name:?}: ")).unwrap_or_default()
    )]
    LimitOutOfRange {
        /// The component whose limit it is; `None` for a system-wide limit.
        component: Option<String>,
        /// The limit, named as its `SystemBuilder` / `ComponentSpec` method.
        limit: &'static str,
        /// The value it was given (durations in ms).
        value: String,
        /// What it may be.
        allowed: &'static str,
    },

    /// A configuration value names a host environment variable that is not
    /// set.
    #[error(
        "component {component:?}: config key {key:?} takes its value from the environment variable {var}, which is not set"
    )]
    MissingConfigEnv {
        /// The component.
        component: String,
        /// The configuration key.
        key: String,
        /// The environment variable.
        var: String,
    },

    /// A key-value bucket name is not 1 to 64 letters, digits, `-`, `_`
    /// or `.`.
    #[error(
        "component {component:?}: {bucket:?} cannot name a key-value bucket: use 1 to 64 letters, digits, '-', '_' or '.'"
    )]
    InvalidBucket {
        /// The component.
        component: String,
        /// The name it was given.
        bucket: String,
    },

    /// An HTTP grant is not an origin.
    #[error("component {component:?}: HTTP grant {origin:?} is not an origin: {reason}")]
    InvalidHttpGrant {
        /// The component.
        component: String,
        /// The grant as given.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The key-value database could not be opened.
    #[error("cannot open the key-value database {}", .path.display())]
    KeyValueStore {
        /// The database file.
        path: std::path::PathBuf,
        /// Why (locked by another process, unreadable, corrupt beyond repair).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The compile cache directory set with
    /// [`SystemBuilder::compile_cache`](crate::SystemBuilder::compile_cache)
    /// could not be created.
    #[error("cannot use the compile cache directory {}", .path.display())]
    CompileCache {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

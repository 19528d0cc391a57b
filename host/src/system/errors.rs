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
    /// The host could not join its lattice.
    #[error(transparent)]
    Lattice(#[from] crate::lattice::LatticeError),

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

/// Why a change to a running system was refused. A refused change changed
/// nothing: the version running before goes on.
///
/// ```no_run
/// # async fn demo(system: &airssys_wasm::System) {
/// use airssys_wasm::{ChangeError, WasmSource};
///
/// match system.upgrade("pricing", WasmSource::File("pricing-v2.wasm".into())).await {
///     Ok(upgrade) => println!("pricing is now at generation {}", upgrade.generation),
///     Err(ChangeError::Invalid { name, source }) => {
///         eprintln!("{name} keeps its old version: {source}")
///     }
///     Err(other) => eprintln!("not upgraded: {other}"),
/// }
/// # }
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ChangeError {
    /// Another host of the lattice runs a component of this name from
    /// different wasm.
    #[error("{name:?} already runs on host {host} of the lattice, from different wasm")]
    TakenInLattice {
        /// The name.
        name: String,
        /// The host that runs it.
        host: String,
    },

    /// No component has that name.
    #[error("no component is named {0:?}")]
    UnknownComponent(String),

    /// The name is a service: the host application's own code, changed by
    /// rebuilding the host, not at run time.
    #[error("{0:?} is a service, not a component: it cannot be changed at run time")]
    NotAComponent(String),

    /// The new version does not compile, link, fit its limits or
    /// instantiate; the old one runs on.
    #[error("the new version of {name:?} was refused; the old one runs on")]
    Invalid {
        /// The component.
        name: String,
        /// Why.
        #[source]
        source: WasmError,
    },

    /// A grant names a target that is neither a component nor a service
    /// of this system, nor `host` or `timer`.
    #[error("grant {sender} -> {target}: {target:?} is not a component or service of this system")]
    UnknownGrant {
        /// The grant's sender.
        sender: String,
        /// The name that is not known.
        target: String,
    },

    /// The component has failed (its supervisor gave up): it takes no
    /// messages, and no new version can change that.
    #[error("{0:?} has failed and takes no more messages")]
    ComponentFailed(String),

    /// The system is shutting down.
    #[error("the system is shutting down")]
    ShuttingDown,

    /// A component or service already has that name.
    #[error("a component or service is already named {0:?}")]
    Exists(String),

    /// The component is being removed; once its
    /// [`Removed`](crate::SupervisionEventKind::Removed) event is out, the
    /// name is free again.
    #[error("{0:?} is being removed")]
    Removing(String),

    /// The component's spec is refused as [`SystemBuilder::start`](crate::SystemBuilder::start)
    /// would refuse it: a reserved name, a limit out of range, a bad bucket
    /// or HTTP origin, a missing configuration variable, a key-value
    /// database that cannot be opened.
    #[error("{name:?} cannot be added")]
    InvalidSpec {
        /// The component.
        name: String,
        /// Why.
        #[source]
        source: SystemError,
    },
}

//! The plugin's configuration, through `wasi:config/store`: the keys the
//! host gave this component (in its builder or manifest), none unless given
//! and never another component's. A value may come from the host's
//! environment, so secrets stay out of manifests.
//!
//! ```no_run
//! use airssys_wasm_guest::config;
//!
//! let greeting = config::get("greeting")?.unwrap_or_else(|| "hello".to_owned());
//! for (key, value) in config::get_all()? {
//!     airssys_wasm_guest::info!("{key} = {} bytes", value.len());
//! }
//! # let _ = greeting;
//! # Ok::<(), airssys_wasm_guest::config::ConfigError>(())
//! ```

use std::fmt;

use crate::sys::config::store;

/// Why the configuration could not be read (a host whose configuration
/// lives elsewhere may fail; airssys never does).
///
/// ```no_run
/// let port = match airssys_wasm_guest::config::get("port") {
///     Ok(port) => port.unwrap_or_else(|| "8080".to_owned()),
///     Err(why) => panic!("configuration unreadable: {why}"),
/// };
/// # let _ = port;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The store behind the configuration failed.
    Upstream(String),
    /// An I/O error.
    Io(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Upstream(why) => write!(f, "configuration store failed: {why}"),
            Self::Io(why) => write!(f, "configuration I/O failed: {why}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<store::Error> for ConfigError {
    fn from(error: store::Error) -> Self {
        match error {
            store::Error::Upstream(why) => Self::Upstream(why),
            store::Error::Io(why) => Self::Io(why),
        }
    }
}

/// The value of `key`, or `None` if this component has no such key.
///
/// ```no_run
/// let currency = airssys_wasm_guest::config::get("currency")?.unwrap_or_else(|| "EUR".into());
/// # let _ = currency;
/// # Ok::<(), airssys_wasm_guest::config::ConfigError>(())
/// ```
pub fn get(key: &str) -> Result<Option<String>, ConfigError> {
    Ok(store::get(key)?)
}

/// Every key this component has, with its value.
///
/// ```no_run
/// let all = airssys_wasm_guest::config::get_all()?;
/// # let _ = all;
/// # Ok::<(), airssys_wasm_guest::config::ConfigError>(())
/// ```
pub fn get_all() -> Result<Vec<(String, String)>, ConfigError> {
    Ok(store::get_all()?)
}

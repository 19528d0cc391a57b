//! Log lines for the host's log: the host turns each into a `tracing` event
//! (target `airssys_wasm::guest`) tagged with this component's id and, while
//! a message or callback is being handled, with its correlation id.
//!
//! ```no_run
//! use airssys_wasm_guest::{info, warn};
//! info!("order {} accepted", 42);
//! warn!("stock for {:?} is low", "book");
//! ```
//!
//! Lines longer than 4 KiB are cut by the host. `println!` and `eprintln!`
//! reach the same log as `info` and `warn` lines, one event per line.

use crate::sys::host_services;

/// How much a log line matters.
///
/// ```
/// use airssys_wasm_guest::log::{self, Level};
/// let level = if cfg!(debug_assertions) { Level::Debug } else { Level::Info };
/// log::write(level, "cache warmed");
/// assert!(Level::Error > Level::Warn);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Step-by-step detail.
    Trace,
    /// Detail for whoever debugs this plugin.
    Debug,
    /// Something worth knowing happened.
    Info,
    /// Something looks wrong, but handling goes on.
    Warn,
    /// Something failed.
    Error,
}

/// Writes one line to the host's log. The macros ([`info!`](crate::info)
/// and friends) format and call this.
///
/// Built natively (a plugin's unit tests), the line goes to stderr and to
/// the thread's [`TestHost`](crate::testing::TestHost), if there is one.
///
/// ```
/// use airssys_wasm_guest::log::{write, Level};
/// // A line built elsewhere, written as it is.
/// let line = String::from("order 42 shipped");
/// write(Level::Info, &line);
/// ```
pub fn write(level: Level, message: &str) {
    let level = match level {
        Level::Trace => host_services::LogLevel::Trace,
        Level::Debug => host_services::LogLevel::Debug,
        Level::Info => host_services::LogLevel::Info,
        Level::Warn => host_services::LogLevel::Warn,
        Level::Error => host_services::LogLevel::Error,
    };
    host_services::log(level, message);
}

/// Logs a formatted line at [`Level::Trace`].
///
/// ```
/// airssys_wasm_guest::trace!("decoded {} bytes", 64);
/// ```
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Trace, &::std::format!($($arg)+)) };
}

/// Logs a formatted line at [`Level::Debug`].
///
/// ```
/// let cache_hits = 12;
/// airssys_wasm_guest::debug!("cache hits: {cache_hits}");
/// ```
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Debug, &::std::format!($($arg)+)) };
}

/// Logs a formatted line at [`Level::Info`].
///
/// ```
/// let order = 42;
/// airssys_wasm_guest::info!("order {order} accepted");
/// ```
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Info, &::std::format!($($arg)+)) };
}

/// Logs a formatted line at [`Level::Warn`].
///
/// ```
/// let (used, limit) = (900, 1000);
/// airssys_wasm_guest::warn!("{used} of {limit} slots in use");
/// ```
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Warn, &::std::format!($($arg)+)) };
}

/// Logs a formatted line at [`Level::Error`].
///
/// ```
/// let sku = "b-1";
/// airssys_wasm_guest::error!("no stock for {sku}; refusing the order");
/// ```
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log::write($crate::log::Level::Error, &::std::format!($($arg)+)) };
}

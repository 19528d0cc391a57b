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
//!
//! # The `log` crate
//!
//! The SDK is also a backend for the [`log`](https://docs.rs/log) facade,
//! so the lines of the plugin's dependencies that log through it (and the
//! plugin's own `log::info!` and friends) reach the host's log at their
//! level. A line from another crate starts with its target, as in
//! `[ureq::pool] connection reused`; the plugin's own lines (target in its
//! own crate) are written as they are. Levels down to debug are forwarded
//! and the host filters them; trace lines are not, since each forwarded line
//! is a call into the host that counts against the plugin's time budget
//! (`log::set_max_level(log::LevelFilter::Trace)` in the plugin forwards
//! them too).
//!
//! The backend is installed by the exports [`#[export]`](crate::export)
//! generates, before the plugin's handler first runs. A logger set before
//! that (natively, by a test harness) stays, and the SDK's stays out. A
//! plugin that sets a logger of its own from a handler finds the SDK's in
//! place: `log::set_logger` returns an error there, so use a `try_` form of
//! the logger's init (a panicking `init` would trap the plugin).
//!
//! In native tests the handlers are usually called directly, not through
//! the generated exports, so the backend is installed only once some test
//! in the binary calls an export; until then `log` lines are not recorded
//! by the [`TestHost`](crate::testing::TestHost). This crate's own macros
//! always are.

use std::sync::OnceLock;

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

/// The `log` backend: each record becomes one [`write`].
struct HostLogger {
    /// The plugin's crate name: its own records need no target prefix.
    own_crate: &'static str,
}

impl HostLogger {
    fn is_own(&self, target: &str) -> bool {
        target
            .strip_prefix(self.own_crate)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
    }
}

impl ::log::Log for HostLogger {
    fn enabled(&self, _metadata: &::log::Metadata<'_>) -> bool {
        // The host filters, by the level the line is written at.
        true
    }

    fn log(&self, record: &::log::Record<'_>) {
        let level = match record.level() {
            ::log::Level::Error => Level::Error,
            ::log::Level::Warn => Level::Warn,
            ::log::Level::Info => Level::Info,
            ::log::Level::Debug => Level::Debug,
            ::log::Level::Trace => Level::Trace,
        };
        let line = if self.is_own(record.target()) {
            record.args().to_string()
        } else {
            format!("[{}] {}", record.target(), record.args())
        };
        write(level, &line);
    }

    fn flush(&self) {}
}

/// Installs [`HostLogger`] as the `log` backend unless a logger is set
/// already; cheap after the first call. `module_path` is the plugin's.
pub(crate) fn install(module_path: &'static str) {
    static LOGGER: OnceLock<HostLogger> = OnceLock::new();
    if LOGGER.get().is_some() {
        return;
    }
    let own_crate = module_path.split("::").next().unwrap_or(module_path);
    let logger = LOGGER.get_or_init(|| HostLogger { own_crate });
    // Refused when the plugin set its own logger first: that one stays.
    if ::log::set_logger(logger).is_ok() {
        ::log::set_max_level(::log::LevelFilter::Debug);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    /// A dependency's `log` line reaches the host with its target; the
    /// plugin's own (here this crate's) without.
    #[test]
    fn log_records_reach_the_host_tagged_with_a_foreign_target() {
        let host = TestHost::new();
        crate::__private::init(module_path!());
        crate::__private::init(module_path!());
        ::log::info!(target: "dep", "x");
        ::log::debug!(target: "dep::inner", "y {}", 1);
        ::log::warn!("own line");
        ::log::trace!(target: "dep", "not forwarded unless the plugin asks");
        ::log::set_max_level(::log::LevelFilter::Trace);
        ::log::trace!(target: "airssys_wasm_guest_extra", "not ours");
        assert_eq!(
            host.logs(),
            [
                (Level::Info, "[dep] x".to_owned()),
                (Level::Debug, "[dep::inner] y 1".to_owned()),
                (Level::Warn, "own line".to_owned()),
                (
                    Level::Trace,
                    "[airssys_wasm_guest_extra] not ours".to_owned()
                ),
            ]
        );
    }
}

//! Shared set-up for the integration tests.

pub(crate) mod allocations;
pub(crate) mod http_server;
pub(crate) mod log_capture;
#[cfg(all(unix, feature = "cli"))]
pub(crate) mod nats;
pub(crate) mod system;

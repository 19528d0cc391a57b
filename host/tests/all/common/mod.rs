//! Shared set-up for the integration tests.

pub(crate) mod allocations;
pub(crate) mod http_server;
pub(crate) mod log_capture;
pub(crate) mod system;

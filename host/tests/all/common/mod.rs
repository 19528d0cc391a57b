//! Shared set-up for the integration tests.

pub(crate) mod log_capture;
pub(crate) mod system;

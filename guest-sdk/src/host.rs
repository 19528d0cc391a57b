//! Calls into the host: send, request, cancel.

use std::time::Duration;

use crate::bindings::airssys::wasm::host_services;
use crate::types::{CorrelationId, MessagingError};

/// Sends `message` to `target`, fire-and-forget: returns once the host has
/// queued it. The target's answer is dropped.
///
/// ```no_run
/// airssys_wasm_guest::send("audit", b"user logged in")?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn send(target: &str, message: &[u8]) -> Result<(), MessagingError> {
    host_services::send_message(target, message).map_err(Into::into)
}

/// Sends `request` to `target` and returns its id at once. The answer, or an
/// error if `target` fails or does not answer within `timeout`, arrives later
/// in this plugin's `handle_callback` with the same id. A zero `timeout`
/// means the host's default.
///
/// ```no_run
/// use std::time::Duration;
/// let id = airssys_wasm_guest::request("pricing", b"sku-42", Duration::from_secs(2))?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn request(
    target: &str,
    request: &[u8],
    timeout: Duration,
) -> Result<CorrelationId, MessagingError> {
    let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    host_services::send_request(target, request, timeout_ms)
        .map(CorrelationId::new)
        .map_err(Into::into)
}

/// Withdraws a pending request this plugin made. After success no callback
/// for `id` arrives.
pub fn cancel(id: &CorrelationId) -> Result<(), MessagingError> {
    host_services::cancel_request(id.as_str()).map_err(Into::into)
}

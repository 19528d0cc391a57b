//! Calls into the host: send, request, cancel.

use std::time::Duration;

use crate::codec::ToPayload;
use crate::continuation;
use crate::sys::host_services;
use crate::types::{CorrelationId, MessagingError};

/// Sends `message` to `target`, fire-and-forget: returns once the host has
/// queued it. The target's answer is dropped. `message` is bytes, text, or a
/// [`Json`](crate::Json) / [`MsgPack`](crate::MsgPack) value; one that cannot
/// be encoded is refused with `InvalidMessage` before anything is sent.
///
/// ```no_run
/// use airssys_wasm_guest::{send, Json};
/// send("audit", b"user logged in")?;
/// send("audit", Json(("login", "alice")))?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn send(target: &str, message: impl ToPayload) -> Result<(), MessagingError> {
    let bytes = message
        .to_payload()
        .map_err(MessagingError::InvalidMessage)?;
    host_services::send_message(target, &bytes).map_err(Into::into)
}

/// Sends `request` to `target` and returns its id at once. The answer, or an
/// error if `target` fails or does not answer within `timeout`, arrives later
/// in this plugin's `handle_callback` with the same id, or in the closure
/// given to [`on_reply`](CorrelationId::on_reply) on that id. A zero `timeout`
/// means the host's default; any other is at least 1 ms (the host counts
/// whole milliseconds). `request` is encoded as for [`send`]; the
/// callback's parameter type picks how the answer is decoded.
///
/// ```no_run
/// use std::time::Duration;
/// use airssys_wasm_guest::{request, MsgPack};
/// let id = request("pricing", b"sku-42", Duration::from_secs(2))?;
/// let id = request("pricing", MsgPack(["sku-42", "sku-43"]), Duration::from_secs(2))?;
/// // Or handle the answer here rather than in `handle_callback`:
/// request("pricing", b"sku-44", Duration::from_secs(2))?.on_reply(|answer: Result<Vec<u8>, String>| {
///     println!("sku-44: {answer:?}");
///     Ok(())
/// });
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn request(
    target: &str,
    request: impl ToPayload,
    timeout: Duration,
) -> Result<CorrelationId, MessagingError> {
    let timeout_ms = whole_millis(timeout);
    let bytes = request
        .to_payload()
        .map_err(MessagingError::InvalidMessage)?;
    host_services::send_request(target, &bytes, timeout_ms)
        .map(CorrelationId::new)
        .map_err(Into::into)
}

/// Withdraws a pending request this plugin made. After success no callback
/// for `id` arrives, and a continuation registered with
/// [`on_reply`](CorrelationId::on_reply) is dropped without being called.
/// Another plugin's id, or one already settled, is refused with
/// `CorrelationTimeout`.
///
/// ```no_run
/// use std::time::Duration;
/// use airssys_wasm_guest::{cancel, request};
/// let id = request("search", b"slow query", Duration::from_secs(30))?;
/// // ... the user gave up:
/// cancel(&id)?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn cancel(id: &CorrelationId) -> Result<(), MessagingError> {
    host_services::cancel_request(id.as_str())?;
    // Dropped outside the table's borrow; no outcome will come for it.
    drop(continuation::take(id.as_str()));
    Ok(())
}

/// `timeout` in the whole milliseconds the host takes: zero stays zero (the
/// host's default), anything shorter than a millisecond becomes one, never
/// zero.
fn whole_millis(timeout: Duration) -> u64 {
    match u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX) {
        0 if !timeout.is_zero() => 1,
        ms => ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sub-millisecond timeout is 1 ms, not 0 (which would mean the
    /// host's default of seconds).
    #[test]
    fn timeouts_round_to_whole_milliseconds_never_to_zero() {
        assert_eq!(whole_millis(Duration::ZERO), 0);
        assert_eq!(whole_millis(Duration::from_micros(1)), 1);
        assert_eq!(whole_millis(Duration::from_micros(999)), 1);
        assert_eq!(whole_millis(Duration::from_micros(2500)), 2);
        assert_eq!(whole_millis(Duration::MAX), u64::MAX);
    }
}

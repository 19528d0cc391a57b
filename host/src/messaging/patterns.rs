//! Capture: what the runtime does with a `handle-message` return value
//! depends only on how the message was sent. The responder cannot tell the
//! two apart.

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Envelope, RequestOutcome};
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::traits::{CorrelationTracker, MailboxRegistry};

/// Fire-and-forget: the return value is dropped; an error is logged, never
/// delivered.
pub(crate) fn drop_return_value(
    responder: &ComponentId,
    sender: &ComponentId,
    outcome: &RequestOutcome,
) {
    match outcome {
        Ok(response) => tracing::debug!(
            target: "airssys_wasm::flow",
            responder = %responder, sender = %sender, bytes = response.len(),
            "return value dropped (fire-and-forget)"
        ),
        Err(error) => tracing::warn!(
            target: "airssys_wasm::flow",
            responder = %responder, sender = %sender, %error,
            "fire-and-forget message failed"
        ),
    }
}

/// Request-response: the return value (or why there is none) completes the
/// correlation and goes to the requester's callback. An outcome for a
/// request that already timed out or was cancelled is dropped and logged:
/// the requester has had its one outcome.
pub(crate) fn capture_response(
    tracker: &dyn CorrelationTracker,
    responder: &ComponentId,
    correlation_id: &CorrelationId,
    outcome: RequestOutcome,
) {
    let ok = outcome.is_ok();
    match tracker.complete(correlation_id, outcome) {
        Ok(()) => tracing::info!(
            target: "airssys_wasm::flow",
            responder = %responder, correlation = %correlation_id, ok,
            "response captured"
        ),
        Err(_) => tracing::info!(
            target: "airssys_wasm::flow",
            responder = %responder, correlation = %correlation_id,
            "late response dropped: the request had timed out or was cancelled"
        ),
    }
}

/// At shutdown, a message still queued is not handled: a request gets the
/// shutdown error (unless already settled: exactly one outcome), and the
/// skip is counted.
pub(crate) fn skip_at_shutdown(
    tracker: &dyn CorrelationTracker,
    registry: &dyn MailboxRegistry,
    target: &ComponentId,
    envelope: Envelope,
) {
    if let Some(correlation_id) = &envelope.correlation {
        let shutdown = RequestError::Shutdown {
            target: target.clone(),
        };
        let _ = tracker.complete(correlation_id, Err(shutdown));
    }
    registry.count_skipped();
}

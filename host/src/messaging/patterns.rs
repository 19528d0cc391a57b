//! Capture: what the runtime does with a `handle-message` return value
//! depends only on how the message was sent. The responder cannot tell the
//! two apart.

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::traits::CorrelationTracker;

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

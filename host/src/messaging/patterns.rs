//! What the runtime does with a `handle-message` return value depends only on
//! how the message was sent: the responder cannot tell the two apart.

use std::sync::Arc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::traits::CorrelationTracker;

/// Fire-and-forget: the return value is dropped; an error is logged, never
/// delivered.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FireAndForget;

impl FireAndForget {
    /// Drops the responder's return value, logging an error or trap.
    pub(crate) fn settle(responder: &ComponentId, sender: &ComponentId, outcome: &RequestOutcome) {
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
}

/// Request-response: the return value completes the correlation and goes to
/// the requester's callback.
#[derive(Clone)]
pub(crate) struct RequestResponse {
    tracker: Arc<dyn CorrelationTracker>,
}

impl RequestResponse {
    /// Settles requests through `tracker`.
    pub(crate) fn new(tracker: Arc<dyn CorrelationTracker>) -> Self {
        Self { tracker }
    }

    /// Routes the responder's outcome to the requester. A response that
    /// arrives after the timeout or a cancel is dropped and logged.
    pub(crate) fn settle(
        &self,
        responder: &ComponentId,
        correlation_id: &CorrelationId,
        outcome: RequestOutcome,
    ) {
        let ok = outcome.is_ok();
        match self.tracker.complete(correlation_id, outcome) {
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

    /// Fails a request the responder will never handle.
    pub(crate) fn fail(&self, correlation_id: &CorrelationId, error: RequestError) {
        // Already settled (timed out, cancelled) is fine: exactly one outcome.
        let _ = self.tracker.complete(correlation_id, Err(error));
    }
}

impl std::fmt::Debug for RequestResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestResponse").finish_non_exhaustive()
    }
}

//! The [`MessageRouter`] and [`CorrelationTracker`] traits, and where outcomes go.

use std::fmt;
use std::sync::Arc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;

/// Routes messages between components. Implemented by `ResponseRouter`.
///
/// Unlike a guest's view of `host-services`, every call names its `sender`:
/// the host binds it to the calling component, so a guest cannot claim to be
/// someone else.
pub trait MessageRouter: Send + Sync {
    /// Fire-and-forget: queue `payload` for `target`. The target's return
    /// value will be dropped.
    fn send(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
    ) -> Result<(), MessagingError>;

    /// Request-response: queue `payload` for `target` and return the id under
    /// which exactly one outcome will reach `reply_to`. A `timeout_ms` of 0
    /// means the router's default.
    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError>;

    /// Withdraw `sender`'s pending request; no outcome will be delivered.
    fn cancel_request(
        &self,
        sender: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError>;
}

/// Tracks pending requests until their response, timeout or cancellation.
/// Implemented by `CorrelationTrackerImpl`.
///
/// Exactly one of `complete`, the timeout, `remove`/`cancel` or `fail_all`
/// takes a pending entry out; only that one delivers (or suppresses) the
/// outcome.
pub trait CorrelationTracker: Send + Sync {
    /// Register a pending request whose outcome goes to `request.reply_to`
    /// unless it completes within `timeout_ms`.
    fn register(
        &self,
        correlation_id: &CorrelationId,
        request: PendingRequest,
        timeout_ms: u64,
    ) -> Result<(), MessagingError>;

    /// Complete a pending request with its outcome and deliver it. Fails with
    /// `CorrelationTimeout` when the request is no longer pending (it timed
    /// out or was cancelled first); the outcome is then dropped.
    fn complete(
        &self,
        correlation_id: &CorrelationId,
        outcome: RequestOutcome,
    ) -> Result<(), MessagingError>;

    /// Whether the request is still waiting for its outcome.
    fn is_pending(&self, correlation_id: &CorrelationId) -> bool;

    /// Remove a pending request without delivering anything.
    fn remove(&self, correlation_id: &CorrelationId) -> Result<(), MessagingError>;

    /// Like [`remove`](Self::remove), but only for the requester that made
    /// the request: a component cannot cancel another's request.
    fn cancel(
        &self,
        requester: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError>;

    /// Forget every pending request `requester` made, delivering nothing:
    /// the requester's instance is gone. Returns how many there were.
    fn abandon(&self, requester: &ComponentId) -> usize;

    /// Deliver `error(target)` to every pending request and forget them all;
    /// returns how many there were. Used at shutdown.
    fn fail_all(&self, error: fn(ComponentId) -> RequestError) -> usize;

    /// How many requests are waiting for their outcome.
    fn pending_count(&self) -> usize;
}

/// A request waiting for its outcome, as the tracker keeps it.
#[derive(Debug)]
pub struct PendingRequest {
    /// Who asked; only it may cancel.
    pub requester: ComponentId,
    /// Whom it asked; named in timeout and failure errors.
    pub target: ComponentId,
    /// Where the outcome goes.
    pub reply_to: ReplyTo,
}

/// Receives request outcomes for a requester, for example by queueing them
/// for its `handle-callback`.
pub trait ResponseSink: Send + Sync {
    /// Deliver one outcome. Returns `false` when the requester is gone and
    /// the outcome could not be delivered.
    fn deliver(&self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool;
}

/// Where one request's outcome goes.
pub enum ReplyTo {
    /// A long-lived sink, such as a component's callback queue.
    Sink(Arc<dyn ResponseSink>),
    /// A one-shot receiver, such as the host application awaiting a response.
    Once(Box<dyn FnOnce(CorrelationId, RequestOutcome) -> bool + Send>),
}

impl ReplyTo {
    /// Deliver the outcome; `false` when nobody was left to receive it.
    pub fn deliver(self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool {
        match self {
            ReplyTo::Sink(sink) => sink.deliver(correlation_id, outcome),
            ReplyTo::Once(deliver) => deliver(correlation_id, outcome),
        }
    }
}

impl fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyTo::Sink(_) => f.write_str("ReplyTo::Sink"),
            ReplyTo::Once(_) => f.write_str("ReplyTo::Once"),
        }
    }
}

//! What waits in a mailbox: messages for `handle-message`, outcomes for `handle-callback`.

use crate::core::component::id::ComponentId;
use crate::core::messaging::activity::{OutstandingRequest, Reservation, Work};
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::MessagePayload;

/// One message waiting in a component's mailbox for `handle-message`.
#[derive(Debug)]
pub(crate) struct Envelope {
    /// Who sent it, as recorded by the router (never claimed by a guest).
    pub(crate) sender: ComponentId,
    /// The message itself.
    pub(crate) payload: MessagePayload,
    /// `Some` for a request: the return value of `handle-message` completes
    /// this correlation. `None` for fire-and-forget: the return value is
    /// dropped.
    pub(crate) correlation: Option<CorrelationId>,
    /// Counts the message as work in flight until it has been handled and
    /// dropped; set by the mailbox that accepts it. The host's inbox does not
    /// count: what waits there is the host application's to read.
    pub(crate) work: Option<Work>,
}

impl Envelope {
    /// A message from `sender`, part of request `correlation` if any, not
    /// yet counted as work.
    pub(crate) fn new(
        sender: &ComponentId,
        payload: MessagePayload,
        correlation: Option<CorrelationId>,
    ) -> Self {
        Self {
            sender: sender.clone(),
            payload,
            correlation,
            work: None,
        }
    }
}

/// The outcome of a request: the response, or why there is none.
///
/// ```
/// use airssys_wasm::{MessagePayload, RequestError, RequestOutcome};
///
/// let answered: RequestOutcome = Ok(MessagePayload::from("42.00"));
/// let cancelled: RequestOutcome = Err(RequestError::Cancelled { target: "pricing".into() });
/// assert!(answered.is_ok() && cancelled.is_err());
/// ```
pub type RequestOutcome = Result<MessagePayload, RequestError>;

/// One outcome waiting for a requester's `handle-callback`.
#[derive(Debug)]
pub(crate) struct Callback {
    /// The id `send-request` returned.
    pub(crate) correlation_id: CorrelationId,
    /// The response or the error.
    pub(crate) outcome: RequestOutcome,
    /// Counts the callback as work in flight until it has been handled.
    pub(crate) work: Work,
    /// Its bytes in the requester's callback queue, until handled.
    pub(crate) queued: Reservation,
    /// Its request's place among the requester's outstanding ones, until
    /// handled.
    pub(crate) outstanding: OutstandingRequest,
}

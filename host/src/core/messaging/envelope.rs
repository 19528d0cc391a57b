//! What waits in a mailbox: messages for `handle-message`, outcomes for `handle-callback`.

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::MessagePayload;

/// One message waiting in a component's mailbox for `handle-message`.
#[derive(Debug)]
pub struct Envelope {
    /// Who sent it, as recorded by the router (never claimed by a guest).
    pub sender: ComponentId,
    /// The message itself.
    pub payload: MessagePayload,
    /// `Some` for a request: the return value of `handle-message` completes
    /// this correlation. `None` for fire-and-forget: the return value is
    /// dropped.
    pub correlation: Option<CorrelationId>,
}

/// The outcome of a request: the response, or why there is none.
pub type RequestOutcome = Result<MessagePayload, RequestError>;

/// One outcome waiting for a requester's `handle-callback`.
#[derive(Debug)]
pub struct Callback {
    /// The id `send-request` returned.
    pub correlation_id: CorrelationId,
    /// The response or the error.
    pub outcome: RequestOutcome,
}

//! What waits in a mailbox: messages for `handle-message`, outcomes for `handle-callback`.

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::MessagePayload;

/// One message waiting in a component's mailbox for `handle-message`.
///
/// ```
/// use airssys_wasm::core::messaging::envelope::Envelope;
/// use airssys_wasm::{ComponentId, CorrelationId};
///
/// // What a request to a component looks like in its mailbox.
/// let request = Envelope {
///     sender: ComponentId::new("shop"),
///     payload: "sku-42".into(),
///     correlation: Some(CorrelationId::generate()),
/// };
/// assert!(request.correlation.is_some(), "its return value will be the response");
/// ```
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
///
/// ```
/// use airssys_wasm::core::messaging::envelope::RequestOutcome;
/// use airssys_wasm::{MessagePayload, RequestError};
///
/// let answered: RequestOutcome = Ok(MessagePayload::from("42.00"));
/// let cancelled: RequestOutcome = Err(RequestError::Cancelled { target: "pricing".into() });
/// assert!(answered.is_ok() && cancelled.is_err());
/// ```
pub type RequestOutcome = Result<MessagePayload, RequestError>;

/// One outcome waiting for a requester's `handle-callback`.
///
/// ```
/// use airssys_wasm::core::messaging::envelope::Callback;
/// use airssys_wasm::CorrelationId;
///
/// let callback = Callback { correlation_id: CorrelationId::new("c-1"), outcome: Ok("42.00".into()) };
/// assert_eq!(callback.outcome.unwrap().as_bytes(), b"42.00");
/// ```
#[derive(Debug)]
pub struct Callback {
    /// The id `send-request` returned.
    pub correlation_id: CorrelationId,
    /// The response or the error.
    pub outcome: RequestOutcome,
}

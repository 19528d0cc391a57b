//! [`MessagingError`] (a message was refused) and [`RequestError`] (an accepted request got no response).

use thiserror::Error;

use crate::core::component::errors::{ComponentError, Trap};
use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;

/// Why the host refused a message at once. Nothing was delivered.
///
/// Returned by `send`, `request` and `cancel_request`, one variant per
/// cause. A guest sees each as one of the WIT `messaging-error` cases, with
/// this message as its text.
///
/// ```no_run
/// # fn demo(system: &airssys_wasm::System) {
/// use airssys_wasm::MessagingError;
///
/// match system.send("audit", "user alice logged in") {
///     Ok(()) => {}
///     // Back-pressure: the caller decides to retry, drop or slow down.
///     Err(MessagingError::QueueFull { target, capacity }) => {
///         eprintln!("{target} is behind ({capacity} queued); retrying later");
///     }
///     Err(refused) => eprintln!("not sent: {refused}"),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum MessagingError {
    /// No component runs under that name.
    #[error("target component not found: {0:?}")]
    TargetNotFound(ComponentId),

    /// The sender holds no grant to message the target.
    #[error(
        "capability denied: {sender:?} may not message {target:?} (missing grant {sender} -> {target})"
    )]
    CapabilityDenied {
        /// Who tried to send.
        sender: ComponentId,
        /// Whom it tried to reach.
        target: ComponentId,
    },

    /// The target's mailbox is full; nothing was queued.
    #[error("message queue is full: {target:?} already holds {capacity} messages")]
    QueueFull {
        /// The component whose mailbox is full.
        target: ComponentId,
        /// Its mailbox capacity.
        capacity: usize,
    },

    /// The sender already has as many requests outstanding as it may
    /// (sent, and not yet answered in its `handle-callback` or cancelled).
    /// A guest sees `queue-full`: try again once some are answered.
    #[error("{requester:?} already has {limit} requests outstanding, its limit")]
    TooManyPending {
        /// The component that asked.
        requester: ComponentId,
        /// Its limit on outstanding requests.
        limit: usize,
    },

    /// The payload is larger than the system allows.
    #[error("payload of {size} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The payload's size, in bytes.
        size: usize,
        /// The largest payload accepted, in bytes.
        limit: usize,
    },

    /// The request asked for a longer timeout than the system allows.
    #[error("timeout of {requested_ms} ms exceeds the limit of {limit_ms} ms")]
    TimeoutTooLong {
        /// The timeout asked for.
        requested_ms: u64,
        /// The longest timeout allowed.
        limit_ms: u64,
    },

    /// A request to the host application, which answers none.
    #[error("the host application answers no requests; use send-message to reach it")]
    HostTakesNoRequests,

    /// The target has stopped (its actor ended) and takes no more messages.
    #[error("{target:?} has stopped and takes no more messages")]
    TargetStopped {
        /// The component that stopped.
        target: ComponentId,
    },

    /// The target's supervisor gave up on it; it takes no more messages.
    #[error("{target:?} has failed and takes no messages: {reason}")]
    TargetFailed {
        /// The failed component.
        target: ComponentId,
        /// Why its supervisor gave up.
        reason: String,
    },

    /// The target is being removed ([`System::remove`](crate::System::remove)):
    /// it finishes what it has queued and takes nothing new. Once removed,
    /// sends get [`TargetNotFound`](Self::TargetNotFound).
    #[error("{target:?} is being removed and takes no more messages")]
    TargetRemoved {
        /// The component being removed.
        target: ComponentId,
    },

    /// The host is shutting down and accepts no new messages.
    #[error("the host is shutting down and accepts no new messages")]
    ShuttingDown,

    /// The correlation id names no pending request of the caller: it was
    /// answered, timed out or cancelled, it belongs to someone else (which
    /// looks the same, so a guessed id reveals nothing), or it never existed.
    #[error(
        "request {correlation_id} is not pending: it was answered, timed out or cancelled, or it is not yours"
    )]
    NotPending {
        /// The id that was given.
        correlation_id: CorrelationId,
    },

    /// A request was registered under an id that is already pending.
    #[error("correlation id {correlation_id} is already pending")]
    DuplicateCorrelation {
        /// The id that was given twice.
        correlation_id: CorrelationId,
    },
}

/// Why an accepted request completed without a response.
///
/// A component receives this, as text, in the `err` case of its
/// `handle-callback`; the host application gets it from awaiting a request.
///
/// ```
/// use airssys_wasm::RequestError;
///
/// let error = RequestError::TimedOut { target: "pricing".into(), timeout_ms: 250 };
/// assert_eq!(error.to_string(), "request to \"pricing\" timed out after 250 ms");
/// // Worth a retry? Only when the responder never saw or finished it.
/// let retry = matches!(error, RequestError::TimedOut { .. } | RequestError::TargetStopped { .. });
/// assert!(retry);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum RequestError {
    /// The responder's `handle-message` returned an error.
    #[error("{responder:?} returned an error: {error}")]
    Responder {
        /// The component that answered with an error.
        responder: ComponentId,
        /// The error it returned.
        error: ComponentError,
    },

    /// No response came before the deadline.
    #[error("request to {target:?} timed out after {timeout_ms} ms")]
    TimedOut {
        /// The component that did not answer in time.
        target: ComponentId,
        /// The timeout that expired.
        timeout_ms: u64,
    },

    /// The responder trapped (panicked, ran out of time or memory) while
    /// handling the request.
    #[error("{responder:?} trapped while handling the request: {trap}")]
    Trapped {
        /// The component that trapped.
        responder: ComponentId,
        /// Why.
        trap: Trap,
    },

    /// The responder's answer (its return value, or its error's text) was
    /// larger than the system's payload limit, so it was not passed on. The
    /// responder is not faulted for it.
    #[error("{responder:?} answered with {size} bytes, past the limit of {limit} bytes")]
    ResponseTooLarge {
        /// The component that answered.
        responder: ComponentId,
        /// The answer's size, in bytes.
        size: usize,
        /// The payload limit, in bytes.
        limit: usize,
    },

    /// The response arrived while the requester's callback queue already
    /// held its limit of bytes (the requester was busy and did not keep
    /// up), so the host passed on this error instead of holding more.
    #[error(
        "the response ({size} bytes) was dropped: the requester's callback queue holds {queued} bytes and its limit is {limit} bytes"
    )]
    CallbackQueueFull {
        /// The response's size, in bytes.
        size: usize,
        /// Bytes already waiting for the requester.
        queued: usize,
        /// The requester's callback queue limit, in bytes.
        limit: usize,
    },

    /// The responder stopped before it handled the request.
    #[error("{target:?} stopped before it answered")]
    TargetStopped {
        /// The component that stopped.
        target: ComponentId,
    },

    /// The responder is instantiated on its first message
    /// ([`ComponentSpec::lazy`](crate::ComponentSpec::lazy)), and that
    /// instantiation failed; the component is now marked failed.
    #[error("{target:?} could not be started to answer: {reason}")]
    StartFailed {
        /// The component that could not start.
        target: ComponentId,
        /// Why, from the instantiation's error.
        reason: String,
    },

    /// The host shut down while the request was pending.
    #[error("the host shut down before {target:?} answered")]
    Shutdown {
        /// The component that had not answered.
        target: ComponentId,
    },

    /// The responder was removed ([`System::remove`](crate::System::remove))
    /// before it answered: the request was still queued, or its call was
    /// stopped, when the removal's drain deadline passed.
    #[error("{target:?} was removed before it answered")]
    Removed {
        /// The component removed.
        target: ComponentId,
    },

    /// The requester cancelled the request. Components never see this: after
    /// a cancel no callback is delivered. The host application sees it when
    /// it awaits a request it cancelled.
    #[error("the request to {target:?} was cancelled")]
    Cancelled {
        /// The component the request was for.
        target: ComponentId,
    },

    /// No host of the lattice runs the target: the NATS server found no
    /// subscriber for it. Known at once, not after the timeout.
    #[error("no host of the lattice runs {target:?}")]
    NoResponders {
        /// The target.
        target: ComponentId,
    },

    /// The host running the target left the lattice, or went silent for
    /// three heartbeats, before it answered.
    #[error("the host running {target:?} ({host}) was lost before it answered")]
    HostLost {
        /// The target.
        target: ComponentId,
        /// The lost host's id.
        host: String,
    },

    /// This host lost its connection to the lattice's NATS server while the
    /// request was out; the answer, if any, cannot reach it.
    #[error("the connection to the lattice was lost before {target:?} answered")]
    Disconnected {
        /// The target.
        target: ComponentId,
    },

    /// The target's host refused the request: the error a request to a
    /// local target gets at once (a full mailbox, a payload past its limit,
    /// a missing grant), delivered as the callback.
    #[error("{target:?} refused the request: {error}")]
    Refused {
        /// The target.
        target: ComponentId,
        /// Why.
        error: MessagingError,
    },
}

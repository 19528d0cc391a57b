//! [`MessagingError`] (a message was refused) and [`RequestError`] (an accepted request got no response).

use thiserror::Error;

use crate::core::component::id::ComponentId;

/// Why the host refused a message at once. Nothing was delivered.
///
/// Returned by `send`, `request` and `cancel_request`; the guest sees the
/// same cases as the WIT `messaging-error`.
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
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessagingError {
    /// The target exists but could not take the message, for example because
    /// it or the host is shutting down.
    #[error("message delivery failed: {0}")]
    DeliveryFailed(String),

    /// The correlation id is unknown, already answered, or timed out.
    #[error("correlation timeout: {0}")]
    CorrelationTimeout(String),

    /// The message was refused as it stands (too large, a bad argument).
    #[error("invalid message: {0}")]
    InvalidMessage(String),

    /// The target's mailbox is full; nothing was queued.
    #[error("message queue is full: {target:?} already holds {capacity} messages")]
    QueueFull {
        /// The component whose mailbox is full.
        target: ComponentId,
        /// Its mailbox capacity.
        capacity: usize,
    },

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
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// The responder's `handle-message` returned an error.
    #[error("{responder:?} returned an error: {message}")]
    Responder {
        /// The component that answered with an error.
        responder: ComponentId,
        /// Its error, as text.
        message: String,
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
    #[error("{responder:?} trapped while handling the request: {reason}")]
    Trapped {
        /// The component that trapped.
        responder: ComponentId,
        /// What the trap said.
        reason: String,
    },

    /// The responder stopped before it handled the request.
    #[error("{target:?} stopped before it answered")]
    TargetStopped {
        /// The component that stopped.
        target: ComponentId,
    },

    /// The host shut down while the request was pending.
    #[error("the host shut down before {target:?} answered")]
    Shutdown {
        /// The component that had not answered.
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
}

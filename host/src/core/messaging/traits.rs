//! The [`MessageRouter`] and [`CorrelationTracker`] traits, and where outcomes go.

use std::fmt;
use std::sync::Arc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;

/// Routes messages between components. Implemented by `ResponseRouter`,
/// which every component's `host-services` calls go through; a host
/// application reaches it through [`System`](crate::System).
///
/// Unlike a guest's view of `host-services`, every call names its `sender`:
/// the host binds it to the calling component, so a guest cannot claim to be
/// someone else.
///
/// ```
/// use std::sync::Mutex;
/// use airssys_wasm::{ComponentId, CorrelationId, MessagePayload, MessageRouter, MessagingError, ReplyTo};
///
/// /// Records what it is asked to send, to test code written against the trait.
/// #[derive(Default)]
/// struct Recorder(Mutex<Vec<(ComponentId, ComponentId, MessagePayload)>>);
///
/// impl MessageRouter for Recorder {
///     fn send(&self, sender: &ComponentId, target: &ComponentId, payload: MessagePayload) -> Result<(), MessagingError> {
///         self.0.lock().unwrap().push((sender.clone(), target.clone(), payload));
///         Ok(())
///     }
///     fn request(&self, _: &ComponentId, target: &ComponentId, _: MessagePayload, _: u64, _: ReplyTo) -> Result<CorrelationId, MessagingError> {
///         Err(MessagingError::TargetNotFound(target.clone()))
///     }
///     fn cancel_request(&self, _: &ComponentId, id: &CorrelationId) -> Result<(), MessagingError> {
///         Err(MessagingError::NotPending { correlation_id: id.clone() })
///     }
/// }
///
/// let router = Recorder::default();
/// router.send(&"billing".into(), &"audit".into(), "paid".into()).unwrap();
/// assert_eq!(router.0.lock().unwrap().len(), 1);
/// ```
pub trait MessageRouter: Send + Sync {
    /// Fire-and-forget: queue `payload` for `target`. The target's return
    /// value will be dropped.
    ///
    /// ```no_run
    /// # fn demo(router: &dyn airssys_wasm::MessageRouter) -> Result<(), airssys_wasm::MessagingError> {
    /// use airssys_wasm::ComponentId;
    /// router.send(&ComponentId::new("billing"), &ComponentId::new("audit"), "invoice 7 paid".into())?;
    /// # Ok(()) }
    /// ```
    fn send(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
    ) -> Result<(), MessagingError>;

    /// Request-response: queue `payload` for `target` and return the id under
    /// which exactly one outcome will reach `reply_to`. A `timeout_ms` of 0
    /// means the router's default.
    ///
    /// ```no_run
    /// # async fn demo(router: &dyn airssys_wasm::MessageRouter) -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::{ComponentId, ReplyTo};
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// let id = router.request(&ComponentId::new("shop"), &ComponentId::new("pricing"), "sku-42".into(), 1000, reply_to)?;
    /// println!("{id}: {:?}", outcome.await?);
    /// # Ok(()) }
    /// ```
    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError>;

    /// Withdraw `sender`'s pending request; no outcome will be delivered.
    /// Only the requester may cancel: for anyone else the request is
    /// [`NotPending`](MessagingError::NotPending).
    ///
    /// ```no_run
    /// # fn demo(router: &dyn airssys_wasm::MessageRouter, id: airssys_wasm::CorrelationId) -> Result<(), airssys_wasm::MessagingError> {
    /// use airssys_wasm::ComponentId;
    /// router.cancel_request(&ComponentId::new("shop"), &id)?;
    /// # Ok(()) }
    /// ```
    fn cancel_request(
        &self,
        sender: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError>;
}

/// Tracks pending requests until their response, timeout or cancellation.
/// Implemented by [`CorrelationTrackerImpl`](crate::CorrelationTrackerImpl).
///
/// Exactly one of `complete`, the timeout, `remove`/`cancel`, `abandon` or
/// `fail_all` takes a pending entry out; only that one delivers (or
/// suppresses) the outcome.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo};
///
/// let tracker = CorrelationTrackerImpl::new();
/// let (reply_to, outcome) = ReplyTo::channel();
/// let id = CorrelationId::generate();
/// tracker.register(&id, PendingRequest::new("a", "b", reply_to), 1000).unwrap();
/// tracker.complete(&id, Ok("done".into())).unwrap();
/// assert_eq!(outcome.await.unwrap().unwrap().as_bytes(), b"done");
/// // A second outcome for the same id finds nothing pending.
/// assert!(tracker.complete(&id, Ok("again".into())).is_err());
/// # }
/// ```
pub trait CorrelationTracker: Send + Sync {
    /// Register a pending request whose outcome goes to `request.reply_to`
    /// unless it completes within `timeout_ms`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, _outcome) = ReplyTo::channel();
    /// let id = CorrelationId::generate();
    /// tracker.register(&id, PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// assert!(tracker.is_pending(&id));
    /// # }
    /// ```
    fn register(
        &self,
        correlation_id: &CorrelationId,
        request: PendingRequest,
        timeout_ms: u64,
    ) -> Result<(), MessagingError>;

    /// Complete a pending request with its outcome and deliver it. Fails with
    /// [`NotPending`](MessagingError::NotPending) when the request is no
    /// longer pending (it timed out or was cancelled first); the outcome is
    /// then dropped and counted as late.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo, RequestError};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// let id = CorrelationId::generate();
    /// tracker.register(&id, PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// tracker.complete(&id, Err(RequestError::TargetStopped { target: "b".into() })).unwrap();
    /// assert!(matches!(outcome.await.unwrap(), Err(RequestError::TargetStopped { .. })));
    /// # }
    /// ```
    fn complete(
        &self,
        correlation_id: &CorrelationId,
        outcome: RequestOutcome,
    ) -> Result<(), MessagingError>;

    /// Whether the request is still waiting for its outcome.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl};
    /// let tracker = CorrelationTrackerImpl::new();
    /// assert!(!tracker.is_pending(&CorrelationId::generate()));
    /// # }
    /// ```
    fn is_pending(&self, correlation_id: &CorrelationId) -> bool;

    /// Remove a pending request without delivering anything.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// let id = CorrelationId::generate();
    /// tracker.register(&id, PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// tracker.remove(&id).unwrap();
    /// assert!(outcome.await.is_err(), "nothing was delivered");
    /// # }
    /// ```
    fn remove(&self, correlation_id: &CorrelationId) -> Result<(), MessagingError>;

    /// Like [`remove`](Self::remove), but only for the requester that made
    /// the request: a component cannot cancel another's request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagingError, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, _outcome) = ReplyTo::channel();
    /// let id = CorrelationId::generate();
    /// tracker.register(&id, PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// assert!(matches!(tracker.cancel(&"b".into(), &id), Err(MessagingError::NotPending { .. })), "b did not make it");
    /// tracker.cancel(&"a".into(), &id).unwrap();
    /// # }
    /// ```
    fn cancel(
        &self,
        requester: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError>;

    /// Forget every pending request `requester` made, delivering nothing:
    /// the requester's instance is gone. Returns how many there were.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// tracker.register(&CorrelationId::generate(), PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// assert_eq!(tracker.abandon(&"a".into()), 1);
    /// assert!(outcome.await.is_err(), "the requester is gone; nothing is delivered");
    /// # }
    /// ```
    fn abandon(&self, requester: &ComponentId) -> usize;

    /// Deliver `error(target)` to every pending request and forget them all;
    /// returns how many there were. Used at shutdown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo, RequestError};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// tracker.register(&CorrelationId::generate(), PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// assert_eq!(tracker.fail_all(|target| RequestError::Shutdown { target }), 1);
    /// assert!(matches!(outcome.await.unwrap(), Err(RequestError::Shutdown { .. })));
    /// # }
    /// ```
    fn fail_all(&self, error: fn(ComponentId) -> RequestError) -> usize;

    /// How many requests are waiting for their outcome.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationTracker, CorrelationTrackerImpl};
    /// assert_eq!(CorrelationTrackerImpl::new().pending_count(), 0);
    /// # }
    /// ```
    fn pending_count(&self) -> usize;
}

/// A request waiting for its outcome, as the tracker keeps it.
///
/// ```
/// use airssys_wasm::{PendingRequest, ReplyTo};
/// let (reply_to, _outcome) = ReplyTo::channel();
/// let request = PendingRequest::new("shop", "warehouse", reply_to);
/// assert_eq!((request.requester.as_str(), request.target.as_str()), ("shop", "warehouse"));
/// ```
#[derive(Debug)]
pub struct PendingRequest {
    /// Who asked; only it may cancel.
    pub requester: ComponentId,
    /// Whom it asked; named in timeout and failure errors.
    pub target: ComponentId,
    /// Where the outcome goes.
    pub reply_to: ReplyTo,
}

impl PendingRequest {
    /// `requester`'s request to `target`, whose outcome goes to `reply_to`.
    ///
    /// ```
    /// use airssys_wasm::{PendingRequest, ReplyTo};
    /// let (reply_to, _outcome) = ReplyTo::channel();
    /// let request = PendingRequest::new("shop", "warehouse", reply_to);
    /// # let _ = request;
    /// ```
    pub fn new(
        requester: impl Into<ComponentId>,
        target: impl Into<ComponentId>,
        reply_to: ReplyTo,
    ) -> Self {
        Self {
            requester: requester.into(),
            target: target.into(),
            reply_to,
        }
    }
}

/// Receives request outcomes for a requester, for example by queueing them
/// for its `handle-callback`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use airssys_wasm::{CorrelationId, ReplyTo, RequestOutcome, ResponseSink};
///
/// /// Keeps outcomes in a list, say for a test.
/// #[derive(Default)]
/// struct Collect(Mutex<Vec<(CorrelationId, RequestOutcome)>>);
///
/// impl ResponseSink for Collect {
///     fn deliver(&self, id: CorrelationId, outcome: RequestOutcome) -> bool {
///         self.0.lock().unwrap().push((id, outcome));
///         true
///     }
/// }
///
/// let sink = Arc::new(Collect::default());
/// let reply_to = ReplyTo::Sink(sink.clone());
/// assert!(reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into())));
/// assert_eq!(sink.0.lock().unwrap().len(), 1);
/// ```
pub trait ResponseSink: Send + Sync {
    /// Deliver one outcome. Returns `false` when the requester is gone and
    /// the outcome could not be delivered.
    ///
    /// ```
    /// use airssys_wasm::{CorrelationId, RequestOutcome, ResponseSink};
    ///
    /// struct Gone;
    /// impl ResponseSink for Gone {
    ///     /// The requester has stopped: say so, and the tracker counts the
    ///     /// outcome as undeliverable.
    ///     fn deliver(&self, _: CorrelationId, _: RequestOutcome) -> bool {
    ///         false
    ///     }
    /// }
    /// assert!(!Gone.deliver(CorrelationId::new("c-1"), Ok("late".into())));
    /// ```
    fn deliver(&self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool;
}

/// Where one request's outcome goes.
///
/// ```
/// use airssys_wasm::{CorrelationId, ReplyTo};
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let reply_to = ReplyTo::Once(Box::new(move |id, outcome| tx.send((id, outcome)).is_ok()));
/// assert!(reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into())));
/// assert_eq!(rx.recv().unwrap().0.as_str(), "c-1");
/// ```
#[non_exhaustive]
pub enum ReplyTo {
    /// A long-lived sink, such as a component's callback queue.
    Sink(Arc<dyn ResponseSink>),
    /// A one-shot receiver, such as the host application awaiting a response.
    Once(Box<dyn FnOnce(CorrelationId, RequestOutcome) -> bool + Send>),
    /// A oneshot channel's sender: what [`ReplyTo::channel`] makes, without
    /// boxing a closure per request.
    Channel(tokio::sync::oneshot::Sender<RequestOutcome>),
}

impl ReplyTo {
    /// A one-shot reply and the receiver its outcome arrives on. The
    /// receiver fails if the request ends with no outcome (cancelled,
    /// removed, abandoned).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, ReplyTo};
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into()));
    /// assert_eq!(outcome.await.unwrap().unwrap().as_bytes(), b"4");
    /// # }
    /// ```
    pub fn channel() -> (Self, tokio::sync::oneshot::Receiver<RequestOutcome>) {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        (ReplyTo::Channel(sender), receiver)
    }

    /// Deliver the outcome; `false` when nobody was left to receive it.
    ///
    /// ```
    /// use airssys_wasm::{CorrelationId, ReplyTo};
    ///
    /// let (reply_to, outcome) = ReplyTo::channel();
    /// drop(outcome); // whoever waited has gone
    /// assert!(!reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into())));
    /// ```
    pub fn deliver(self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool {
        match self {
            ReplyTo::Sink(sink) => sink.deliver(correlation_id, outcome),
            ReplyTo::Once(deliver) => deliver(correlation_id, outcome),
            ReplyTo::Channel(sender) => sender.send(outcome).is_ok(),
        }
    }
}

impl fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyTo::Sink(_) => f.write_str("ReplyTo::Sink"),
            ReplyTo::Once(_) => f.write_str("ReplyTo::Once"),
            ReplyTo::Channel(_) => f.write_str("ReplyTo::Channel"),
        }
    }
}

/// Handles a component's next message on the caller's task when its actor
/// is idle: what a requester awaiting its answer does, so that a request to
/// an idle component does not wait for the component's task.
pub(crate) trait RunInline: Send + Sync + fmt::Debug {
    /// Handles the next message here if the actor is handling nothing, that
    /// message is the only one queued (normally the caller's own request;
    /// otherwise the actor's next message, in order, all the same) and no
    /// callback waits; a call that has to wait (an epoch tick, a host
    /// await) finishes on a task of its own. Does nothing otherwise.
    fn run_inline(self: Arc<Self>, cx: &mut std::task::Context<'_>);
}

/// What a component's actor asks of the registry that holds its mailbox.
/// Implemented by `ComponentSubscriber`; the actor knows nothing else of it.
pub(crate) trait MailboxRegistry: Send + Sync {
    /// Whether the system is closing: messages still queued are then
    /// skipped, not handled.
    fn is_closing(&self) -> bool;

    /// Counts one message skipped because the system was closing.
    fn count_skipped(&self);

    /// Closes `id`'s mailbox for good: every later message is refused with
    /// [`MessagingError::TargetFailed`] naming `reason`.
    fn mark_failed(&self, id: &ComponentId, reason: String);
}

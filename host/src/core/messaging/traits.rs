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
///
/// ```
/// # use std::sync::Arc;
/// # use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
/// # use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let activity = Arc::new(Activity::new());
/// # let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
/// # let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
/// # let grants = Arc::new(Grants::new());
/// # grants.grant("a".into(), "b".into());
/// # let router = ResponseRouter::new(Arc::clone(&subscriber), Arc::clone(&tracker), grants, RouterLimits::default());
/// # let mut b = subscriber.subscribe(ComponentId::new("b"), 8);
/// # let (a_id, b_id) = (ComponentId::new("a"), ComponentId::new("b"));
/// // Whoever holds a `dyn MessageRouter` can send on a component's behalf;
/// // the host only ever passes the calling component's own id.
/// let router: &dyn MessageRouter = &router;
/// router.send(&a_id, &b_id, "hello".into()).unwrap();
/// assert_eq!(b.messages.recv().await.unwrap().payload.as_bytes(), b"hello");
/// # }
/// ```
pub trait MessageRouter: Send + Sync {
    /// Fire-and-forget: queue `payload` for `target`. The target's return
    /// value will be dropped.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let activity = Arc::new(Activity::new());
    /// # let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
    /// # let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
    /// # let grants = Arc::new(Grants::new());
    /// # grants.grant("a".into(), "b".into());
    /// # let router = ResponseRouter::new(Arc::clone(&subscriber), Arc::clone(&tracker), grants, RouterLimits::default());
    /// # let mut b = subscriber.subscribe(ComponentId::new("b"), 8);
    /// # let (a_id, b_id) = (ComponentId::new("a"), ComponentId::new("b"));
    /// router.send(&a_id, &b_id, "hello".into()).unwrap();
    /// // b never granted a -> refused before anything is queued
    /// assert!(router.send(&b_id, &a_id, "back".into()).is_err());
    /// # }
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
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let activity = Arc::new(Activity::new());
    /// # let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
    /// # let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
    /// # let grants = Arc::new(Grants::new());
    /// # grants.grant("a".into(), "b".into());
    /// # let router = ResponseRouter::new(Arc::clone(&subscriber), Arc::clone(&tracker), grants, RouterLimits::default());
    /// # let mut b = subscriber.subscribe(ComponentId::new("b"), 8);
    /// # let (a_id, b_id) = (ComponentId::new("a"), ComponentId::new("b"));
    /// use airssys_wasm::core::messaging::traits::ReplyTo;
    /// let (tx, rx) = tokio::sync::oneshot::channel();
    /// let reply_to = ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok()));
    /// let id = router.request(&a_id, &b_id, "2+2".into(), 1000, reply_to).unwrap();
    /// let envelope = b.messages.recv().await.unwrap();
    /// assert_eq!(envelope.correlation.as_ref(), Some(&id));
    /// // What b's handle-message returns completes the request.
    /// tracker.complete(&id, Ok("4".into())).unwrap();
    /// assert_eq!(rx.await.unwrap().unwrap().as_bytes(), b"4");
    /// # }
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
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let activity = Arc::new(Activity::new());
    /// # let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
    /// # let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
    /// # let grants = Arc::new(Grants::new());
    /// # grants.grant("a".into(), "b".into());
    /// # let router = ResponseRouter::new(Arc::clone(&subscriber), Arc::clone(&tracker), grants, RouterLimits::default());
    /// # let mut b = subscriber.subscribe(ComponentId::new("b"), 8);
    /// # let (a_id, b_id) = (ComponentId::new("a"), ComponentId::new("b"));
    /// use airssys_wasm::core::messaging::traits::ReplyTo;
    /// let reply_to = ReplyTo::Once(Box::new(|_, _| true));
    /// let id = router.request(&a_id, &b_id, "slow".into(), 1000, reply_to).unwrap();
    /// assert!(router.cancel_request(&b_id, &id).is_err(), "only the requester may cancel");
    /// router.cancel_request(&a_id, &id).unwrap();
    /// assert!(!tracker.is_pending(&id));
    /// # }
    /// ```
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
///
/// ```
/// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
/// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let tracker = CorrelationTrackerImpl::new();
/// # let (tx, rx) = tokio::sync::oneshot::channel();
/// # let request = PendingRequest {
/// #     requester: "a".into(),
/// #     target: "b".into(),
/// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
/// # };
/// # let id = CorrelationId::generate();
/// let tracker: &dyn CorrelationTracker = &tracker;
/// tracker.register(&id, request, 1000).unwrap();
/// tracker.complete(&id, Ok(MessagePayload::from("done"))).unwrap();
/// assert_eq!(rx.await.unwrap().unwrap().as_bytes(), b"done");
/// // A second outcome for the same id finds nothing pending.
/// assert!(tracker.complete(&id, Ok(MessagePayload::from("again"))).is_err());
/// # }
/// ```
pub trait CorrelationTracker: Send + Sync {
    /// Register a pending request whose outcome goes to `request.reply_to`
    /// unless it completes within `timeout_ms`.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert!(tracker.is_pending(&id));
    /// # drop(rx);
    /// # }
    /// ```
    fn register(
        &self,
        correlation_id: &CorrelationId,
        request: PendingRequest,
        timeout_ms: u64,
    ) -> Result<(), MessagingError>;

    /// Complete a pending request with its outcome and deliver it. Fails with
    /// `CorrelationTimeout` when the request is no longer pending (it timed
    /// out or was cancelled first); the outcome is then dropped.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// tracker.complete(&id, Err(RequestError::Cancelled { target: "b".into() })).unwrap();
    /// assert!(rx.await.unwrap().is_err());
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
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// assert!(!tracker.is_pending(&id));
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert!(tracker.is_pending(&id));
    /// # drop(rx);
    /// # }
    /// ```
    fn is_pending(&self, correlation_id: &CorrelationId) -> bool;

    /// Remove a pending request without delivering anything.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// tracker.remove(&id).unwrap();
    /// assert!(rx.await.is_err(), "nothing was delivered");
    /// # }
    /// ```
    fn remove(&self, correlation_id: &CorrelationId) -> Result<(), MessagingError>;

    /// Like [`remove`](Self::remove), but only for the requester that made
    /// the request: a component cannot cancel another's request.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert!(tracker.cancel(&"b".into(), &id).is_err(), "b did not make it");
    /// tracker.cancel(&"a".into(), &id).unwrap();
    /// # drop(rx);
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
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert_eq!(tracker.abandon(&"a".into()), 1);
    /// assert!(rx.await.is_err(), "the requester is gone; nothing is delivered");
    /// # }
    /// ```
    fn abandon(&self, requester: &ComponentId) -> usize;

    /// Deliver `error(target)` to every pending request and forget them all;
    /// returns how many there were. Used at shutdown.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert_eq!(tracker.fail_all(|target| RequestError::Shutdown { target }), 1);
    /// assert!(matches!(rx.await.unwrap(), Err(RequestError::Shutdown { .. })));
    /// # }
    /// ```
    fn fail_all(&self, error: fn(ComponentId) -> RequestError) -> usize;

    /// How many requests are waiting for their outcome.
    ///
    /// ```
    /// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
    /// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let tracker = CorrelationTrackerImpl::new();
    /// # let (tx, rx) = tokio::sync::oneshot::channel();
    /// # let request = PendingRequest {
    /// #     requester: "a".into(),
    /// #     target: "b".into(),
    /// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
    /// # };
    /// # let id = CorrelationId::generate();
    /// tracker.register(&id, request, 1000).unwrap();
    /// assert_eq!(tracker.pending_count(), 1);
    /// # drop(rx);
    /// # }
    /// ```
    fn pending_count(&self) -> usize;
}

/// A request waiting for its outcome, as the tracker keeps it.
///
/// ```
/// # use airssys_wasm::core::messaging::traits::{PendingRequest, ReplyTo};
/// # use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagePayload, RequestError};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # let tracker = CorrelationTrackerImpl::new();
/// # let (tx, rx) = tokio::sync::oneshot::channel();
/// # let request = PendingRequest {
/// #     requester: "a".into(),
/// #     target: "b".into(),
/// #     reply_to: ReplyTo::Once(Box::new(move |_, outcome| tx.send(outcome).is_ok())),
/// # };
/// # let id = CorrelationId::generate();
/// // The host keeps one of these per request until its outcome.
/// assert_eq!((request.requester.as_str(), request.target.as_str()), ("a", "b"));
/// tracker.register(&id, request, 1000).unwrap();
/// # drop(rx);
/// # }
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

/// Receives request outcomes for a requester, for example by queueing them
/// for its `handle-callback`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use airssys_wasm::core::messaging::envelope::RequestOutcome;
/// use airssys_wasm::core::messaging::traits::{ReplyTo, ResponseSink};
/// use airssys_wasm::CorrelationId;
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
    /// use airssys_wasm::core::messaging::traits::ResponseSink;
    /// use airssys_wasm::core::messaging::envelope::RequestOutcome;
    /// use airssys_wasm::CorrelationId;
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
/// use airssys_wasm::core::messaging::traits::ReplyTo;
/// use airssys_wasm::CorrelationId;
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let reply_to = ReplyTo::Once(Box::new(move |id, outcome| tx.send((id, outcome)).is_ok()));
/// assert!(reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into())));
/// assert_eq!(rx.recv().unwrap().0.as_str(), "c-1");
/// ```
pub enum ReplyTo {
    /// A long-lived sink, such as a component's callback queue.
    Sink(Arc<dyn ResponseSink>),
    /// A one-shot receiver, such as the host application awaiting a response.
    Once(Box<dyn FnOnce(CorrelationId, RequestOutcome) -> bool + Send>),
}

impl ReplyTo {
    /// Deliver the outcome; `false` when nobody was left to receive it.
    ///
    /// ```
    /// use airssys_wasm::core::messaging::traits::ReplyTo;
    /// use airssys_wasm::CorrelationId;
    ///
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// drop(rx); // whoever waited has gone
    /// let reply_to = ReplyTo::Once(Box::new(move |_, _| tx.send(()).is_ok()));
    /// assert!(!reply_to.deliver(CorrelationId::new("c-1"), Ok("4".into())));
    /// ```
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

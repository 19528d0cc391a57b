//! [`ResponseRouter`]: the [`MessageRouter`] implementation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::Envelope;
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, PendingRequest, ReplyTo};
use crate::messaging::capability::Grants;
use crate::messaging::subscriber::ComponentSubscriber;

/// Limits the router enforces on every message.
///
/// ```
/// use airssys_wasm::messaging::router::RouterLimits;
/// let limits = RouterLimits { max_payload_bytes: 64 * 1024, ..RouterLimits::default() };
/// assert_eq!(limits.default_timeout_ms, 5_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterLimits {
    /// Largest payload accepted, in bytes.
    pub max_payload_bytes: usize,
    /// Timeout used when a request asks for 0 ms.
    pub default_timeout_ms: u64,
    /// Longest timeout a request may ask for.
    pub max_timeout_ms: u64,
}

impl Default for RouterLimits {
    fn default() -> Self {
        Self {
            max_payload_bytes: 1024 * 1024,
            default_timeout_ms: 5_000,
            max_timeout_ms: 3_600_000,
        }
    }
}

/// Routes messages: checks the sender's grant and the payload size, finds the
/// target's mailbox, and for requests registers the pending entry first.
///
/// ```
/// use std::sync::Arc;
/// use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
/// use airssys_wasm::{
///     ComponentId, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl, MessageRouter,
///     ResponseRouter,
/// };
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
///
/// // The parts a `System` wires together, used on their own.
/// let activity = Arc::new(Activity::new());
/// let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
/// let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
/// let grants = Arc::new(Grants::new());
/// grants.grant("a".into(), "b".into());
/// let router = ResponseRouter::new(subscriber.clone(), tracker, grants, RouterLimits::default());
///
/// let mut b = subscriber.subscribe(ComponentId::new("b"), 8);
/// router.send(&ComponentId::new("a"), &ComponentId::new("b"), "hi".into()).unwrap();
/// let envelope = b.messages.recv().await.unwrap();
/// assert_eq!((envelope.sender.as_str(), envelope.payload.as_bytes()), ("a", &b"hi"[..]));
/// # }
/// ```
pub struct ResponseRouter {
    subscriber: Arc<ComponentSubscriber>,
    tracker: Arc<dyn CorrelationTracker>,
    grants: Arc<Grants>,
    limits: RouterLimits,
    open: AtomicBool,
    refused: AtomicU64,
}

impl ResponseRouter {
    /// A router over these mailboxes, tracker and grants.
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
    /// let router = ResponseRouter::new(subscriber, tracker, Arc::new(Grants::new()), RouterLimits::default());
    /// assert_eq!(router.refused(), 0);
    /// # }
    /// ```
    pub fn new(
        subscriber: Arc<ComponentSubscriber>,
        tracker: Arc<dyn CorrelationTracker>,
        grants: Arc<Grants>,
        limits: RouterLimits,
    ) -> Self {
        Self {
            subscriber,
            tracker,
            grants,
            limits,
            open: AtomicBool::new(true),
            refused: AtomicU64::new(0),
        }
    }

    /// Stops intake: every later send or request is refused with
    /// `DeliveryFailed`, except messages to the host's inbox. Used at
    /// shutdown.
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
    /// router.close();
    /// assert!(router.send(&a_id, &b_id, "late".into()).is_err());
    /// # }
    /// ```
    pub fn close(&self) {
        self.open.store(false, Ordering::Release);
    }

    fn admit(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: &MessagePayload,
    ) -> Result<(), MessagingError> {
        // While shutting down, reports to the host's inbox still pass: a
        // component's callback may be telling the host how a request ended.
        if !self.open.load(Ordering::Acquire) && !target.is_host() {
            return Err(MessagingError::DeliveryFailed(
                "the host is shutting down and accepts no new messages".to_owned(),
            ));
        }
        if payload.len() > self.limits.max_payload_bytes {
            return Err(MessagingError::InvalidMessage(format!(
                "payload of {} bytes exceeds the limit of {} bytes",
                payload.len(),
                self.limits.max_payload_bytes
            )));
        }
        self.grants.check(sender, target)
    }
}

impl std::fmt::Debug for ResponseRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseRouter")
            .field("limits", &self.limits)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl ResponseRouter {
    /// Messages and requests refused so far (any reason: capability, size,
    /// unknown target, full mailbox, shutting down).
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
    /// let nobody = ComponentId::new("nobody");
    /// assert!(router.send(&a_id, &nobody, "hi".into()).is_err());
    /// assert_eq!(router.refused(), 1);
    /// # }
    /// ```
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn counted<T>(&self, result: Result<T, MessagingError>) -> Result<T, MessagingError> {
        if result.is_err() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    fn route_send(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.admit(sender, target, &payload)?;
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, bytes = payload.len(), payload = ?payload,
            "send"
        );
        let envelope = Envelope {
            sender: sender.clone(),
            payload,
            correlation: None,
        };
        self.subscriber
            .deliver(target, envelope, || Ok(()), || {})
            .inspect_err(|error| flow_refused(sender, target, None, error))
    }

    fn route_request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError> {
        self.admit(sender, target, &payload)?;
        if target.is_host() {
            return Err(MessagingError::InvalidMessage(
                "the host application answers no requests; use send-message to reach it".to_owned(),
            ));
        }
        let timeout_ms = match timeout_ms {
            0 => self.limits.default_timeout_ms,
            ms if ms > self.limits.max_timeout_ms => {
                return Err(MessagingError::InvalidMessage(format!(
                    "timeout of {ms} ms exceeds the limit of {} ms",
                    self.limits.max_timeout_ms
                )));
            }
            ms => ms,
        };
        let correlation_id = CorrelationId::generate();
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, correlation = %correlation_id,
            bytes = payload.len(), payload = ?payload, timeout_ms,
            "request"
        );
        let envelope = Envelope {
            sender: sender.clone(),
            payload,
            correlation: Some(correlation_id.clone()),
        };
        let pending = PendingRequest {
            requester: sender.clone(),
            target: target.clone(),
            reply_to,
        };
        self.subscriber
            .deliver(
                target,
                envelope,
                || self.tracker.register(&correlation_id, pending, timeout_ms),
                || {
                    // Refused at the mailbox: the request was never accepted, so
                    // it gets no callback; the caller gets the error instead.
                    let _ = self.tracker.remove(&correlation_id);
                },
            )
            .inspect_err(|error| flow_refused(sender, target, Some(&correlation_id), error))?;
        Ok(correlation_id)
    }
}

/// The flow event for a message the mailbox refused after its `send` or
/// `request` event was logged (logged first so it precedes `deliver`).
fn flow_refused(
    sender: &ComponentId,
    target: &ComponentId,
    correlation: Option<&CorrelationId>,
    error: &MessagingError,
) {
    tracing::info!(
        target: "airssys_wasm::flow",
        from = %sender, to = %target, correlation = correlation.map(CorrelationId::as_str),
        %error,
        "refused"
    );
}

impl MessageRouter for ResponseRouter {
    fn send(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.counted(self.route_send(sender, target, payload))
    }

    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError> {
        self.counted(self.route_request(sender, target, payload, timeout_ms, reply_to))
    }

    fn cancel_request(
        &self,
        sender: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError> {
        self.tracker.cancel(sender, correlation_id)?;
        tracing::info!(
            target: "airssys_wasm::flow",
            requester = %sender, correlation = %correlation_id,
            "cancelled"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::messaging::activity::Activity;
    use crate::messaging::correlation::CorrelationTrackerImpl;
    use crate::messaging::subscriber::MailboxReceivers;

    struct Fixture {
        router: ResponseRouter,
        tracker: Arc<dyn CorrelationTracker>,
        grants: Arc<Grants>,
        target: MailboxReceivers,
    }

    fn fixture(capacity: usize) -> Fixture {
        let activity = Arc::new(Activity::new());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker: Arc<dyn CorrelationTracker> =
            Arc::new(CorrelationTrackerImpl::with_activity(Some(activity)));
        let grants = Arc::new(Grants::new());
        let target = subscriber.subscribe(ComponentId::new("b"), capacity);
        let router = ResponseRouter::new(
            subscriber,
            Arc::clone(&tracker),
            Arc::clone(&grants),
            RouterLimits {
                max_payload_bytes: 8,
                ..RouterLimits::default()
            },
        );
        Fixture {
            router,
            tracker,
            grants,
            target,
        }
    }

    fn a() -> ComponentId {
        ComponentId::new("a")
    }

    fn b() -> ComponentId {
        ComponentId::new("b")
    }

    fn ignore() -> ReplyTo {
        ReplyTo::Once(Box::new(|_, _| true))
    }

    /// Without a grant nothing is delivered; with one the envelope carries
    /// the router-recorded sender.
    #[tokio::test]
    async fn send_needs_a_grant_and_records_the_sender() {
        let mut f = fixture(4);
        assert_eq!(
            f.router.send(&a(), &b(), MessagePayload::from("x")),
            Err(MessagingError::CapabilityDenied {
                sender: a(),
                target: b()
            })
        );
        assert!(f.target.messages.try_recv().is_err());

        f.grants.grant(a(), b());
        f.router
            .send(&a(), &b(), MessagePayload::from("x"))
            .unwrap();
        let envelope = f.target.messages.try_recv().unwrap();
        assert_eq!(envelope.sender, a());
        assert!(envelope.correlation.is_none());
    }

    /// The wildcard grant reaches every target; the host needs no grant.
    #[tokio::test]
    async fn wildcard_and_host_reach_every_target() {
        let f = fixture(4);
        f.router
            .send(&ComponentId::host(), &b(), MessagePayload::from("x"))
            .unwrap();
        f.grants.grant_any(a());
        f.router
            .send(&a(), &b(), MessagePayload::from("x"))
            .unwrap();
    }

    /// Oversized payloads and unknown targets are refused with errors that
    /// name the size and the target.
    #[tokio::test]
    async fn size_and_target_are_checked() {
        let f = fixture(4);
        f.grants.grant_any(a());
        assert!(matches!(
            f.router.send(&a(), &b(), MessagePayload::from("123456789")),
            Err(MessagingError::InvalidMessage(text)) if text.contains("9 bytes") && text.contains("8 bytes")
        ));
        assert_eq!(
            f.router
                .send(&a(), &ComponentId::new("zz"), MessagePayload::from("x")),
            Err(MessagingError::TargetNotFound(ComponentId::new("zz")))
        );
    }

    /// A request is registered before it is queued; one refused at a full
    /// mailbox leaves nothing pending.
    #[tokio::test]
    async fn refused_request_leaves_nothing_pending() {
        let mut f = fixture(1);
        f.grants.grant(a(), b());
        let id = f
            .router
            .request(&a(), &b(), MessagePayload::from("1"), 1000, ignore())
            .unwrap();
        assert!(f.tracker.is_pending(&id));
        assert_eq!(
            f.target.messages.try_recv().unwrap().correlation,
            Some(id.clone())
        );

        f.router
            .send(&a(), &b(), MessagePayload::from("fill"))
            .unwrap();
        let refused = f
            .router
            .request(&a(), &b(), MessagePayload::from("2"), 1000, ignore());
        assert_eq!(
            refused,
            Err(MessagingError::QueueFull {
                target: b(),
                capacity: 1
            })
        );
        assert_eq!(
            f.tracker.pending_count(),
            1,
            "only the first request is pending"
        );
    }

    /// A zero timeout means the default; one above the maximum is refused.
    #[tokio::test(start_paused = true)]
    async fn timeouts_default_and_cap() {
        let f = fixture(4);
        f.grants.grant(a(), b());
        let id = f
            .router
            .request(&a(), &b(), MessagePayload::from("1"), 0, ignore())
            .unwrap();
        tokio::time::advance(Duration::from_millis(4_999)).await;
        tokio::task::yield_now().await;
        assert!(f.tracker.is_pending(&id));
        tokio::time::advance(Duration::from_millis(2)).await;
        tokio::task::yield_now().await;
        assert!(!f.tracker.is_pending(&id));

        let too_long = RouterLimits::default().max_timeout_ms + 1;
        assert!(matches!(
            f.router
                .request(&a(), &b(), MessagePayload::from("1"), too_long, ignore()),
            Err(MessagingError::InvalidMessage(_))
        ));
    }

    /// Cancel goes through the tracker's ownership check.
    #[tokio::test]
    async fn cancel_checks_the_requester() {
        let f = fixture(4);
        f.grants.grant(a(), b());
        let id = f
            .router
            .request(&a(), &b(), MessagePayload::from("1"), 1000, ignore())
            .unwrap();
        assert!(f.router.cancel_request(&b(), &id).is_err());
        f.router.cancel_request(&a(), &id).unwrap();
        assert!(!f.tracker.is_pending(&id));
    }

    /// A closed router refuses everything.
    #[tokio::test]
    async fn closed_router_refuses() {
        let f = fixture(4);
        f.router.close();
        assert!(matches!(
            f.router
                .send(&ComponentId::host(), &b(), MessagePayload::from("x")),
            Err(MessagingError::DeliveryFailed(_))
        ));
    }
}

//! [`ResponseRouter`]: the [`MessageRouter`] implementation.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::Envelope;
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::payload::{FlowPayload, MessagePayload};
use crate::core::messaging::traits::{
    CorrelationTracker, MessageRouter, PendingRequest, ReplyTo, RunInline,
};
use crate::messaging::capability::Grants;
use crate::messaging::subscriber::{ComponentSubscriber, Mailbox};

/// Limits the router enforces on every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouterLimits {
    /// Largest payload accepted, in bytes.
    pub(crate) max_payload_bytes: usize,
    /// Timeout used when a request asks for 0 ms.
    pub(crate) default_timeout_ms: u64,
    /// Longest timeout a request may ask for.
    pub(crate) max_timeout_ms: u64,
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

impl RouterLimits {
    /// The timeout a request gets: the default for 0, refused above the
    /// maximum.
    fn timeout_for(&self, requested_ms: u64) -> Result<u64, MessagingError> {
        match requested_ms {
            0 => Ok(self.default_timeout_ms),
            ms if ms > self.max_timeout_ms => Err(MessagingError::TimeoutTooLong {
                requested_ms: ms,
                limit_ms: self.max_timeout_ms,
            }),
            ms => Ok(ms),
        }
    }
}

/// Where messages for components other hosts run go: the lattice.
pub(crate) trait Remote: Send + Sync {
    /// Whether another host runs `target`.
    fn serves(&self, target: &str) -> bool;

    /// Sends `payload` from `sender` to `target` on another host.
    fn send(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
    ) -> Result<(), MessagingError>;

    /// Wraps a request's reply so that the remote side knows of it until
    /// it ends, however it ends.
    fn track(
        &self,
        correlation: &CorrelationId,
        target: &ComponentId,
        reply_to: ReplyTo,
    ) -> ReplyTo;

    /// Sends a request, already registered under `correlation`, to
    /// `target` on another host.
    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        correlation: &CorrelationId,
        timeout_ms: u64,
    ) -> Result<(), MessagingError>;
}

/// Routes messages: checks the sender's grant and the payload size, finds the
/// target's mailbox, and for requests registers the pending entry before the
/// message is queued, so its response can never overtake it.
pub(crate) struct ResponseRouter {
    subscriber: Arc<ComponentSubscriber>,
    tracker: Arc<dyn CorrelationTracker>,
    grants: Arc<Grants>,
    limits: RouterLimits,
    open: AtomicBool,
    refused: AtomicU64,
    /// The lattice, once this host has joined one.
    remote: OnceLock<Arc<dyn Remote>>,
}

impl ResponseRouter {
    /// The largest payload a message, request or answer may carry.
    pub(crate) fn max_payload_bytes(&self) -> usize {
        self.limits.max_payload_bytes
    }

    /// A router over these mailboxes, tracker and grants.
    pub(crate) fn new(
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
            remote: OnceLock::new(),
        }
    }

    /// Routes messages for components this host does not run to `remote`.
    pub(crate) fn connect_remote(&self, remote: Arc<dyn Remote>) {
        let _ = self.remote.set(remote);
    }

    /// The lattice, when `target` runs on another host and not here.
    fn remote_for(&self, target: &str) -> Option<&Arc<dyn Remote>> {
        self.remote
            .get()
            .filter(|remote| self.subscriber.is_absent(target) && remote.serves(target))
    }

    /// Delivers a message another host sent from its component `sender`;
    /// that host and the grant were checked by the lattice.
    pub(crate) fn accept_remote_send(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.counted(self.admit_remote(target, &payload).and_then(|()| {
            tracing::info!(
                target: "airssys_wasm::flow",
                from = %sender, to = %target, bytes = payload.len(), payload = %FlowPayload(&payload),
                lattice = true,
                "send"
            );
            self.subscriber
                .send(target, Envelope::new(sender, payload, None))
        }))
    }

    /// Delivers a request another host sent from its component `sender`,
    /// under the requester's correlation id when it gave one (one id for
    /// the request on both hosts); its outcome goes to `reply_to`, which
    /// sends it back. The requester's host owns the request's timeout;
    /// this host holds it as long.
    pub(crate) fn accept_remote_request(
        &self,
        (sender, requester): (&ComponentId, ComponentId),
        target: &str,
        payload: MessagePayload,
        (correlation, timeout_ms): (Option<CorrelationId>, u64),
        reply_to: ReplyTo,
    ) -> Result<(), MessagingError> {
        let accepted = self.admit_remote(target, &payload).and_then(|()| {
            // The requester's host enforces its own timeout; this host holds
            // the request at most as long as it allows.
            let timeout_ms = self
                .limits
                .timeout_for(timeout_ms.min(self.limits.max_timeout_ms))?;
            let correlation_id = correlation.unwrap_or_else(CorrelationId::generate);
            tracing::info!(
                target: "airssys_wasm::flow",
                from = %sender, to = %target, correlation = %correlation_id,
                bytes = payload.len(), payload = %FlowPayload(&payload), timeout_ms,
                lattice = true,
                "request"
            );
            let envelope = Envelope::new(sender, payload, Some(correlation_id));
            self.enqueue_request(&requester, target, envelope, reply_to, timeout_ms)
        });
        self.counted(accepted.map(|_| ()))
    }

    /// `PayloadTooLarge` past this host's limit.
    fn within_payload_limit(&self, payload: &MessagePayload) -> Result<(), MessagingError> {
        if payload.len() > self.limits.max_payload_bytes {
            return Err(MessagingError::PayloadTooLarge {
                size: payload.len(),
                limit: self.limits.max_payload_bytes,
            });
        }
        Ok(())
    }

    /// Intake open, payload within this host's limit, a component (not the
    /// host application) as the target.
    fn admit_remote(&self, target: &str, payload: &MessagePayload) -> Result<(), MessagingError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(MessagingError::ShuttingDown);
        }
        self.within_payload_limit(payload)?;
        if target == ComponentId::HOST {
            return Err(MessagingError::TargetNotFound(ComponentId::host()));
        }
        Ok(())
    }

    /// Stops intake: every later send or request is refused with
    /// `ShuttingDown`, except messages to the host's inbox. Used at shutdown.
    pub(crate) fn close(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// Messages and requests refused so far (any reason: capability, size,
    /// unknown target, full mailbox, shutting down).
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    fn counted<T>(&self, result: Result<T, MessagingError>) -> Result<T, MessagingError> {
        if result.is_err() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Sends `payload` from `sender` to the component named `target`: the
    /// path of [`MessageRouter::send`], by name, so a caller holding only a
    /// name (the host, a guest) builds no id.
    pub(crate) fn send_to(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.counted(self.route_send(sender, target, payload))
    }

    /// Requests of the component named `target`: the path of
    /// [`MessageRouter::request`], by name.
    pub(crate) fn request_to(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<Accepted, MessagingError> {
        self.counted(self.route_request(sender, target, payload, timeout_ms, reply_to))
    }

    /// The checks every message passes before it is looked up: intake open,
    /// size within the limit, sender granted.
    fn admit(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: &MessagePayload,
    ) -> Result<(), MessagingError> {
        // While shutting down, reports to the host's inbox still pass: a
        // component's callback may be telling the host how a request ended.
        if !self.open.load(Ordering::Acquire) && target != ComponentId::HOST {
            return Err(MessagingError::ShuttingDown);
        }
        self.within_payload_limit(payload)?;
        self.grants.check(sender, target)
    }

    fn route_send(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.admit(sender, target, &payload)
            .inspect_err(|error| flow_refused(sender, target, None, error))?;
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, bytes = payload.len(), payload = %FlowPayload(&payload),
            "send"
        );
        if let Some(remote) = self.remote_for(target) {
            return remote
                .send(sender, target, payload)
                .inspect_err(|error| flow_refused(sender, target, None, error));
        }
        let envelope = Envelope::new(sender, payload, None);
        self.subscriber
            .send(target, envelope)
            .inspect_err(|error| flow_refused(sender, target, None, error))
    }

    fn route_request(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<Accepted, MessagingError> {
        let (timeout_ms, requester) = self
            .admit_request(sender, target, &payload, timeout_ms)
            .inspect_err(|error| flow_refused(sender, target, None, error))?;
        let correlation_id = CorrelationId::generate();
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, correlation = %correlation_id,
            bytes = payload.len(), payload = %FlowPayload(&payload), timeout_ms,
            "request"
        );
        let envelope = Envelope::new(sender, payload, Some(correlation_id.clone()));
        let placed = match self.remote_for(target) {
            Some(remote) => self
                .request_remote(remote, target, envelope, timeout_ms, reply_to)
                .map(|target| (target, None)),
            None => self
                .enqueue_request(sender, target, envelope, reply_to, timeout_ms)
                .map(|mailbox| {
                    // Only the host awaits its answers on a task of its own.
                    let inline = if sender.is_host() {
                        mailbox.inline()
                    } else {
                        None
                    };
                    (mailbox.id().clone(), inline)
                }),
        };
        let (target, inline) = placed.inspect_err(|error| {
            // Never accepted: its place is free again.
            if let Some(requester) = &requester {
                requester.give_back();
            }
            flow_refused(sender, target, Some(&correlation_id), error);
        })?;
        Ok(Accepted {
            correlation_id,
            target,
            inline,
        })
    }

    /// The checks a request passes before it gets an id: those of every
    /// message, a target that takes requests, a timeout in range, and a
    /// place among the requester's outstanding requests. Returns the
    /// timeout and the requester's mailbox, which holds that place.
    fn admit_request(
        &self,
        sender: &ComponentId,
        target: &str,
        payload: &MessagePayload,
        timeout_ms: u64,
    ) -> Result<(u64, Option<Arc<Mailbox>>), MessagingError> {
        self.admit(sender, target, payload)?;
        if target == ComponentId::HOST {
            return Err(MessagingError::HostTakesNoRequests);
        }
        let timeout_ms = self.limits.timeout_for(timeout_ms)?;
        // A component's own mailbox holds its count of outstanding
        // requests; the host has none and no such cap.
        let requester = if sender.is_host() {
            None
        } else {
            Some(self.subscriber.requester(sender.as_str())?)
        };
        if let Some(requester) = &requester {
            requester.take_request_place()?;
        }
        Ok((timeout_ms, requester))
    }

    /// Look up the mailbox, register the request, queue it; if the mailbox
    /// refuses it, the request was never accepted: it is removed, gets no
    /// callback, and the caller gets the error instead. Returns the
    /// target's mailbox.
    fn enqueue_request(
        &self,
        requester: &ComponentId,
        target: &str,
        envelope: Envelope,
        reply_to: ReplyTo,
        timeout_ms: u64,
    ) -> Result<Arc<Mailbox>, MessagingError> {
        let mailbox = self.subscriber.mailbox(target)?;
        let correlation_id = envelope.correlation.clone().expect("a request");
        let pending = PendingRequest::new(requester.clone(), mailbox.id().clone(), reply_to);
        self.tracker
            .register(&correlation_id, pending, timeout_ms)?;
        mailbox.try_send(envelope).inspect_err(|_| {
            let _ = self.tracker.remove(&correlation_id);
        })?;
        Ok(mailbox)
    }
}

impl ResponseRouter {
    /// Registers a request to a component on another host, then sends it;
    /// if it cannot be sent, it was never accepted.
    fn request_remote(
        &self,
        remote: &Arc<dyn Remote>,
        target: &str,
        envelope: Envelope,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<ComponentId, MessagingError> {
        let Envelope {
            sender,
            payload,
            correlation,
            ..
        } = envelope;
        let correlation_id = correlation.expect("a request");
        let target = ComponentId::new(target);
        let reply_to = remote.track(&correlation_id, &target, reply_to);
        let pending = PendingRequest::new(sender.clone(), target.clone(), reply_to);
        self.tracker
            .register(&correlation_id, pending, timeout_ms)?;
        match remote.request(&sender, &target, payload, &correlation_id, timeout_ms) {
            Ok(()) => Ok(target),
            // Not sent: withdrawn, unless its one outcome was delivered
            // meanwhile (its host lost, the connection dropped): then it
            // was accepted, and has ended.
            Err(error) => match self.tracker.remove(&correlation_id) {
                Ok(()) => Err(error),
                Err(_) => Ok(target),
            },
        }
    }
}

/// A request the router accepted.
pub(crate) struct Accepted {
    /// The request's id.
    pub(crate) correlation_id: CorrelationId,
    /// The target's registered id.
    pub(crate) target: ComponentId,
    /// For the host's requests: runs the request on the task that awaits
    /// it when the target's actor is idle.
    pub(crate) inline: Option<Weak<dyn RunInline>>,
}

impl std::fmt::Debug for ResponseRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseRouter")
            .field("limits", &self.limits)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

/// The flow event for a refused message, at warn level so that a refusal
/// the sender ignores still shows. A refusal by the mailbox comes after the
/// `send` or `request` event (logged first so it precedes `deliver`).
fn flow_refused(
    sender: &ComponentId,
    target: &str,
    correlation: Option<&CorrelationId>,
    error: &MessagingError,
) {
    tracing::warn!(
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
        self.send_to(sender, target.as_str(), payload)
    }

    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError> {
        self.request_to(sender, target.as_str(), payload, timeout_ms, reply_to)
            .map(|accepted| accepted.correlation_id)
    }

    fn cancel_request(
        &self,
        sender: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError> {
        self.tracker.cancel(sender, correlation_id)?;
        // Cancelled: no outcome will hold its place.
        if !sender.is_host()
            && let Ok(requester) = self.subscriber.requester(sender.as_str())
        {
            requester.give_back();
        }
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
    use crate::core::messaging::activity::Activity;
    use crate::messaging::correlation::CorrelationTrackerImpl;
    use crate::messaging::subscriber::{MailboxLimits, MailboxReceivers};

    struct Fixture {
        router: ResponseRouter,
        tracker: Arc<dyn CorrelationTracker>,
        grants: Arc<Grants>,
        target: MailboxReceivers,
        /// The requester's own queues: its limit on outstanding requests.
        requester: MailboxReceivers,
    }

    fn fixture(capacity: usize) -> Fixture {
        let activity = Arc::new(Activity::default());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker: Arc<dyn CorrelationTracker> =
            Arc::new(CorrelationTrackerImpl::with_activity(Some(activity)));
        let grants = Arc::new(Grants::default());
        let limits = MailboxLimits {
            capacity,
            callback_queue_bytes: 1 << 20,
            max_pending_requests: Some(2),
        };
        let target = subscriber.subscribe(ComponentId::new("b"), limits);
        let requester = subscriber.subscribe(ComponentId::new("a"), limits);
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
            requester,
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
            Err(MessagingError::PayloadTooLarge { size: 9, limit: 8 })
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

        let limit_ms = RouterLimits::default().max_timeout_ms;
        assert_eq!(
            f.router.request(
                &a(),
                &b(),
                MessagePayload::from("1"),
                limit_ms + 1,
                ignore()
            ),
            Err(MessagingError::TimeoutTooLong {
                requested_ms: limit_ms + 1,
                limit_ms
            })
        );
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
        assert_eq!(
            f.router.cancel_request(&b(), &id),
            Err(MessagingError::NotPending {
                correlation_id: id.clone()
            })
        );
        f.router.cancel_request(&a(), &id).unwrap();
        assert!(!f.tracker.is_pending(&id));
    }

    /// A component may have only so many requests outstanding: pending, or
    /// answered with the outcome still waiting in its callback queue.
    #[tokio::test]
    async fn outstanding_requests_are_capped() {
        let mut f = fixture(8);
        f.grants.grant(a(), b());
        let reply_to = || ReplyTo::Sink(f.requester.callback_sink.clone());
        let first = f
            .router
            .request(&a(), &b(), MessagePayload::from("1"), 1000, reply_to())
            .unwrap();
        f.router
            .request(&a(), &b(), MessagePayload::from("2"), 1000, reply_to())
            .unwrap();
        let over = f
            .router
            .request(&a(), &b(), MessagePayload::from("3"), 1000, reply_to());
        assert_eq!(
            over,
            Err(MessagingError::TooManyPending {
                requester: a(),
                limit: 2
            })
        );
        // Answered but not yet handled: still outstanding.
        f.tracker.complete(&first, Ok("done".into())).unwrap();
        assert!(matches!(
            f.router
                .request(&a(), &b(), MessagePayload::from("3"), 1000, reply_to()),
            Err(MessagingError::TooManyPending { .. })
        ));
        // Handled: room for one more. The host has no such cap.
        drop(f.requester.callbacks.recv().await);
        f.router
            .request(&a(), &b(), MessagePayload::from("3"), 1000, reply_to())
            .unwrap();
        f.router
            .request(
                &ComponentId::host(),
                &b(),
                MessagePayload::from("4"),
                1000,
                ignore(),
            )
            .unwrap();
    }

    /// The host application answers no requests; asking it is refused
    /// before anything is registered.
    #[tokio::test]
    async fn the_host_takes_no_requests() {
        let f = fixture(4);
        f.grants.grant(a(), ComponentId::host());
        assert_eq!(
            f.router.request(
                &a(),
                &ComponentId::host(),
                MessagePayload::from("1"),
                1000,
                ignore()
            ),
            Err(MessagingError::HostTakesNoRequests)
        );
        assert_eq!(f.tracker.pending_count(), 0);
    }

    /// A closed router refuses everything.
    #[tokio::test]
    async fn closed_router_refuses() {
        let f = fixture(4);
        f.router.close();
        assert_eq!(
            f.router
                .send(&ComponentId::host(), &b(), MessagePayload::from("x")),
            Err(MessagingError::ShuttingDown)
        );
    }
}

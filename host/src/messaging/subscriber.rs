//! [`ComponentSubscriber`]: every component's mailbox and callback queue.

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

use tokio::sync::mpsc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::activity::{Activity, ByteBudget, Outstanding};
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::traits::{MailboxRegistry, ResponseSink, RunInline};
use crate::messaging::counters::ComponentCounters;

/// The mailboxes of every running component, by name.
///
/// A mailbox is bounded: when it is full the sender is told `queue-full` at
/// once, and nothing is queued. Callbacks travel on a separate queue per
/// component, so a full mailbox can never swallow a request's outcome; that
/// queue holds at most one entry per request the component itself made.
#[derive(Debug)]
pub(crate) struct ComponentSubscriber {
    mailboxes: RwLock<HashMap<ComponentId, Slot>>,
    activity: Arc<Activity>,
    /// Set by [`close_all`](Self::close_all): actors then stop handling the
    /// messages still queued and only deliver callbacks.
    closing: AtomicBool,
    /// Messages left unhandled because the system was closing.
    skipped: AtomicUsize,
}

/// A component's place in the registry.
#[derive(Debug)]
enum Slot {
    Open(Arc<Mailbox>),
    /// Registered, not yet instantiated: the first message sent to it opens
    /// its mailbox and starts its actor.
    Lazy(Box<LazySlot>),
    /// The component's supervisor gave up; the text says why.
    Failed(String),
    /// Being removed: it takes no messages, but while it drains its own
    /// requests and cancels still go out (through its mailbox, if it had
    /// one open).
    Removing(Option<Arc<Mailbox>>),
}

/// A component's place in the registry, as [`ComponentSubscriber::view`]
/// sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotView {
    pub(crate) state: SlotState,
    /// Messages waiting in its mailbox.
    pub(crate) queued: usize,
    /// Its own requests outstanding.
    pub(crate) outstanding: usize,
}

/// Which kind of place a component has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotState {
    Open,
    /// Registered, instantiated on its first message.
    Lazy,
    Failed,
    Removing,
    Absent,
}

/// A mailbox opened but not yet listed: see
/// [`ComponentSubscriber::open_unlisted`].
#[derive(Debug)]
pub(crate) struct Unlisted(Arc<Mailbox>);

impl Unlisted {
    /// The counters of the component it is for.
    pub(crate) fn counters(&self) -> &Arc<ComponentCounters> {
        &self.0.counters
    }
}

/// What a lazily started component's mailbox will be, and who starts it.
#[derive(Debug)]
struct LazySlot {
    limits: MailboxLimits,
    /// Made at registration so the system can read them before the start.
    counters: Arc<ComponentCounters>,
    waiting_callbacks: Arc<ByteBudget>,
    starter: Arc<dyn LazyStart>,
}

/// Starts a lazily instantiated component's actor when its first message
/// arrives.
pub(crate) trait LazyStart: Send + Sync + std::fmt::Debug {
    /// Starts the actor that instantiates the component, then drains
    /// `receivers`. Called once, by the sender of the first message queued,
    /// so it must not block: it spawns.
    fn start(&self, receivers: MailboxReceivers);
}

/// How much one component's queues may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MailboxLimits {
    /// Messages waiting for `handle-message`.
    pub(crate) capacity: usize,
    /// Bytes of outcomes waiting for `handle-callback`.
    pub(crate) callback_queue_bytes: usize,
    /// Requests of its own it may have outstanding: pending, or answered
    /// and waiting in its callback queue. `None` for participants whose
    /// requests are awaited, not queued (the host, services): no cap.
    pub(crate) max_pending_requests: Option<usize>,
}

/// The sending side of one component's mailbox.
#[derive(Debug)]
pub(crate) struct Mailbox {
    id: ComponentId,
    messages: mpsc::Sender<Envelope>,
    capacity: usize,
    /// Its own requests outstanding, and how many may be.
    outstanding: Arc<Outstanding>,
    max_pending_requests: Option<usize>,
    counters: Arc<ComponentCounters>,
    /// Counts queued messages as work in flight; `None` for the host
    /// application's inbox, whose messages are the host's to read.
    activity: Option<Arc<Activity>>,
    /// Whether the component's actor runs. A lazy component's starts once
    /// its first message is queued, so the actor never sees an empty
    /// mailbox it could close before that message arrives.
    started: AtomicBool,
    /// Until then: who starts it, and the receiving ends it will drain.
    start: Mutex<Option<(Arc<dyn LazyStart>, MailboxReceivers)>>,
    /// Lets a requester awaiting its answer handle its own request when the
    /// actor is idle; set for components started eagerly, once their actor
    /// exists. Weak: the mailbox keeps no actor alive.
    inline: OnceLock<Weak<dyn RunInline>>,
    /// Set when the component's removal begins: a sender still holding
    /// this mailbox is told so, not that the component stopped.
    removing: AtomicBool,
}

impl Mailbox {
    /// The component this mailbox is for.
    pub(crate) fn id(&self) -> &ComponentId {
        &self.id
    }

    /// Takes a place for one more request of this component's own, or
    /// refuses if it has as many outstanding as it may. The place is given
    /// back with [`give_back`](Self::give_back) if the request ends without
    /// an outcome, else by the outcome's callback once handled.
    pub(crate) fn take_request_place(&self) -> Result<(), MessagingError> {
        let Some(limit) = self.max_pending_requests else {
            return Ok(());
        };
        if self.outstanding.try_take(limit) {
            return Ok(());
        }
        Err(MessagingError::TooManyPending {
            requester: self.id.clone(),
            limit,
        })
    }

    /// What runs a request on its requester's task when the actor is idle,
    /// if the actor offers it.
    pub(crate) fn inline(&self) -> Option<Weak<dyn RunInline>> {
        self.inline.get().cloned()
    }

    /// Gives back the place of a request that ended without an outcome.
    pub(crate) fn give_back(&self) {
        if self.max_pending_requests.is_some() {
            self.outstanding.release(1);
        }
    }

    /// Queues `envelope`, or says at once why not; a refused envelope is
    /// dropped here, so it was never counted as accepted work.
    pub(crate) fn try_send(&self, mut envelope: Envelope) -> Result<(), MessagingError> {
        let bytes = envelope.payload.len();
        envelope.work = self.activity.as_ref().map(|activity| activity.begin(bytes));
        match self.messages.try_send(envelope) {
            Ok(()) => {
                self.counters.count_accepted();
                if !self.started.load(Ordering::Acquire) {
                    self.start_actor();
                }
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => Err(MessagingError::QueueFull {
                target: self.id.clone(),
                capacity: self.capacity,
            }),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(self.closed()),
        }
    }

    /// Why a closed mailbox takes nothing.
    #[cold]
    fn closed(&self) -> MessagingError {
        let target = self.id.clone();
        match self.removing.load(Ordering::Acquire) {
            true => MessagingError::TargetRemoved { target },
            false => MessagingError::TargetStopped { target },
        }
    }

    /// Starts a lazy component's actor, once.
    #[cold]
    fn start_actor(&self) {
        let pending = self
            .start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some((starter, receivers)) = pending {
            self.started.store(true, Ordering::Release);
            starter.start(receivers);
        }
    }
}

/// The receiving ends a component's actor drains.
#[derive(Debug)]
pub(crate) struct MailboxReceivers {
    /// Messages for `handle-message`, in the order they were accepted.
    pub(crate) messages: mpsc::Receiver<Envelope>,
    /// Outcomes for `handle-callback`.
    pub(crate) callbacks: mpsc::UnboundedReceiver<Callback>,
    /// Where the router sends this component's request outcomes.
    pub(crate) callback_sink: Arc<CallbackSink>,
    /// The component's counters; the mailbox counts what it accepts.
    pub(crate) counters: Arc<ComponentCounters>,
    /// Its requests outstanding: the actor gives back those its trapped
    /// instance abandoned.
    pub(crate) outstanding: Arc<Outstanding>,
}

/// Queues request outcomes for one component's `handle-callback`, within a
/// bound on the bytes waiting. The queue itself needs no bound on its
/// length: the component's cap on outstanding requests is one.
#[derive(Debug)]
pub(crate) struct CallbackSink {
    callbacks: mpsc::UnboundedSender<Callback>,
    activity: Arc<Activity>,
    /// Bytes of outcomes waiting in the queue, and their limit.
    queued: Arc<ByteBudget>,
    /// The component's outstanding requests: each callback holds its
    /// request's place.
    outstanding: Arc<Outstanding>,
}

impl ResponseSink for CallbackSink {
    /// Queues the outcome if the queue has room for it, else an error saying
    /// it was dropped: the requester still gets its one outcome, and the
    /// host holds no more for it than the limit (and one outcome).
    fn deliver(&self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool {
        let size = outcome_bytes(&outcome);
        let (outcome, queued) = match self.queued.try_reserve(size) {
            Some(reservation) => (outcome, reservation),
            None => {
                let dropped = Err(RequestError::CallbackQueueFull {
                    size,
                    queued: self.queued.used(),
                    limit: self.queued.limit(),
                });
                let bytes = outcome_bytes(&dropped);
                (dropped, self.queued.reserve(bytes))
            }
        };
        let callback = Callback {
            correlation_id,
            work: self.activity.begin(outcome_bytes(&outcome)),
            outcome,
            queued,
            outstanding: self.outstanding.handed_on(),
        };
        self.callbacks.send(callback).is_ok()
    }
}

/// What an outcome holds in bytes: its payload, or its error's text.
fn outcome_bytes(outcome: &RequestOutcome) -> usize {
    match outcome {
        Ok(payload) => payload.len(),
        Err(error) => error.to_string().len(),
    }
}

impl ComponentSubscriber {
    /// An empty registry whose deliveries are counted in `activity`.
    pub(crate) fn new(activity: Arc<Activity>) -> Self {
        Self {
            mailboxes: RwLock::new(HashMap::default()),
            activity,
            closing: AtomicBool::new(false),
            skipped: AtomicUsize::new(0),
        }
    }

    /// Opens a mailbox of `capacity` messages for `id` and returns its
    /// receiving ends. Replaces any previous mailbox of that name.
    pub(crate) fn subscribe(&self, id: ComponentId, limits: MailboxLimits) -> MailboxReceivers {
        self.open(id, limits, Some(Arc::clone(&self.activity)))
    }

    /// Opens a mailbox for `id` without listing it: nobody can send to it
    /// until [`list`](Self::list), and dropping it leaves nothing behind.
    pub(crate) fn open_unlisted(
        &self,
        id: ComponentId,
        limits: MailboxLimits,
    ) -> (Unlisted, MailboxReceivers) {
        let waiting_callbacks = Arc::new(ByteBudget::new(limits.callback_queue_bytes));
        let counters = Arc::new(ComponentCounters::new(Arc::clone(&waiting_callbacks)));
        let activity = Some(Arc::clone(&self.activity));
        let (mailbox, receivers) =
            self.new_mailbox(id, limits, activity, counters, waiting_callbacks);
        mailbox.started.store(true, Ordering::Release);
        (Unlisted(mailbox), receivers)
    }

    /// Lists a mailbox opened with [`open_unlisted`](Self::open_unlisted),
    /// offering `inline` calls if given. Whether it was listed: not if the
    /// system is closing or the name is taken.
    #[must_use]
    pub(crate) fn list(&self, mailbox: Unlisted, inline: Option<Weak<dyn RunInline>>) -> bool {
        let Unlisted(mailbox) = mailbox;
        if let Some(inline) = inline {
            let _ = mailbox.inline.set(inline);
        }
        let mut table = self.table_mut();
        if self.is_closing() || table.contains_key(&mailbox.id) {
            return false;
        }
        table.insert(mailbox.id.clone(), Slot::Open(mailbox));
        true
    }

    /// Starts removing `id`: senders are told it is being removed, its own
    /// requests still go out. Returns the receiving ends of a lazy
    /// component's mailbox whose actor was never started, for the removal
    /// to empty.
    pub(crate) fn begin_removal(&self, id: &ComponentId) -> Option<MailboxReceivers> {
        let mut table = self.table_mut();
        let slot = table.get_mut(id)?;
        let (mailbox, unstarted) = match std::mem::replace(slot, Slot::Removing(None)) {
            Slot::Open(mailbox) => {
                mailbox.removing.store(true, Ordering::Release);
                let unstarted = mailbox
                    .start
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
                    .map(|(_, receivers)| receivers);
                (Some(mailbox), unstarted)
            }
            Slot::Lazy(_) | Slot::Failed(_) | Slot::Removing(_) => (None, None),
        };
        *slot = Slot::Removing(mailbox);
        unstarted
    }

    /// Ends the removal of `id`: from now on it is not found. Leaves any
    /// other slot alone.
    pub(crate) fn finish_removal(&self, id: &ComponentId) {
        let mut table = self.table_mut();
        if matches!(table.get(id), Some(Slot::Removing(_))) {
            table.remove(id);
        }
    }

    /// The mailbox of `requester`, which holds its count of outstanding
    /// requests: found while it is being removed too, since it may still
    /// request and cancel while it drains.
    pub(crate) fn requester(&self, requester: &str) -> Result<Arc<Mailbox>, MessagingError> {
        {
            let table = self.mailboxes.read().expect("mailbox table lock poisoned");
            if let Some(Slot::Open(mailbox) | Slot::Removing(Some(mailbox))) = table.get(requester)
            {
                return Ok(Arc::clone(mailbox));
            }
        }
        self.mailbox(requester)
    }

    /// Opens the host application's inbox under [`ComponentId::HOST`].
    /// Messages waiting in it do not keep the system from being idle.
    pub(crate) fn subscribe_host_inbox(&self, capacity: usize) -> mpsc::Receiver<Envelope> {
        let limits = MailboxLimits {
            capacity,
            // The host's own requests are awaited, never queued here.
            callback_queue_bytes: 0,
            max_pending_requests: None,
        };
        self.open(ComponentId::host(), limits, None).messages
    }

    /// Registers `id` without opening its mailbox: `starter` starts it on
    /// its first message. Returns its counters, which count from then on.
    pub(crate) fn register_lazy(
        &self,
        id: ComponentId,
        limits: MailboxLimits,
        starter: Arc<dyn LazyStart>,
    ) -> Arc<ComponentCounters> {
        let waiting_callbacks = Arc::new(ByteBudget::new(limits.callback_queue_bytes));
        let counters = Arc::new(ComponentCounters::new(Arc::clone(&waiting_callbacks)));
        let slot = LazySlot {
            limits,
            counters: Arc::clone(&counters),
            waiting_callbacks,
            starter,
        };
        self.table_mut().insert(id, Slot::Lazy(Box::new(slot)));
        counters
    }

    fn open(
        &self,
        id: ComponentId,
        limits: MailboxLimits,
        activity: Option<Arc<Activity>>,
    ) -> MailboxReceivers {
        let waiting_callbacks = Arc::new(ByteBudget::new(limits.callback_queue_bytes));
        let counters = Arc::new(ComponentCounters::new(Arc::clone(&waiting_callbacks)));
        let (mailbox, receivers) =
            self.new_mailbox(id.clone(), limits, activity, counters, waiting_callbacks);
        mailbox.started.store(true, Ordering::Release);
        self.table_mut().insert(id, Slot::Open(mailbox));
        receivers
    }

    /// Opens the mailbox of a component registered with
    /// [`register_lazy`](Self::register_lazy); its actor starts with the
    /// first message queued there. If another sender got there first, or
    /// the slot is no longer lazy, says what it is now.
    #[cold]
    fn open_lazy(&self, target: &str) -> Result<Arc<Mailbox>, MessagingError> {
        let mut table = self.table_mut();
        match table.get(target) {
            Some(Slot::Open(mailbox)) => return Ok(Arc::clone(mailbox)),
            Some(Slot::Lazy(_)) => {}
            slot => return Err(no_mailbox(slot, target)),
        }
        let Some((id, Slot::Lazy(lazy))) = table.remove_entry(target) else {
            unreachable!("the slot was lazy under the same write lock");
        };
        let LazySlot {
            limits,
            counters,
            waiting_callbacks,
            starter,
        } = *lazy;
        let activity = Some(Arc::clone(&self.activity));
        let (mailbox, receivers) =
            self.new_mailbox(id.clone(), limits, activity, counters, waiting_callbacks);
        *mailbox
            .start
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((starter, receivers));
        table.insert(id, Slot::Open(Arc::clone(&mailbox)));
        Ok(mailbox)
    }

    fn new_mailbox(
        &self,
        id: ComponentId,
        limits: MailboxLimits,
        activity: Option<Arc<Activity>>,
        counters: Arc<ComponentCounters>,
        waiting_callbacks: Arc<ByteBudget>,
    ) -> (Arc<Mailbox>, MailboxReceivers) {
        let (messages_tx, messages) = mpsc::channel(limits.capacity.max(1));
        let (callbacks_tx, callbacks) = mpsc::unbounded_channel();
        let outstanding = Arc::new(Outstanding::default());
        let mailbox = Mailbox {
            id: id.clone(),
            messages: messages_tx,
            capacity: limits.capacity,
            outstanding: Arc::clone(&outstanding),
            max_pending_requests: limits.max_pending_requests,
            counters: Arc::clone(&counters),
            activity,
            started: AtomicBool::new(false),
            start: Mutex::new(None),
            inline: OnceLock::new(),
            removing: AtomicBool::new(false),
        };
        let receivers = MailboxReceivers {
            messages,
            callbacks,
            callback_sink: Arc::new(CallbackSink {
                callbacks: callbacks_tx,
                activity: Arc::clone(&self.activity),
                queued: waiting_callbacks,
                outstanding: Arc::clone(&outstanding),
            }),
            counters,
            outstanding,
        };
        (Arc::new(mailbox), receivers)
    }

    /// The mailbox of `target`, or why there is none to send to. A lazily
    /// started component's mailbox opens here.
    pub(crate) fn mailbox(&self, target: &str) -> Result<Arc<Mailbox>, MessagingError> {
        self.with_mailbox(target, |mailbox| Ok(Arc::clone(mailbox)))
    }

    /// Queues `envelope` for `target`.
    pub(crate) fn send(&self, target: &str, envelope: Envelope) -> Result<(), MessagingError> {
        self.with_mailbox(target, |mailbox| mailbox.try_send(envelope))
    }

    /// Runs `use_it` on the mailbox of `target`, looked up under one read of
    /// the table (no copy of the handle on the busiest path); a lazily
    /// started component's mailbox opens here.
    fn with_mailbox<T>(
        &self,
        target: &str,
        use_it: impl FnOnce(&Arc<Mailbox>) -> Result<T, MessagingError>,
    ) -> Result<T, MessagingError> {
        {
            let table = self.mailboxes.read().expect("mailbox table lock poisoned");
            match table.get(target) {
                Some(Slot::Open(mailbox)) => return use_it(mailbox),
                Some(Slot::Lazy(_)) => {}
                slot => return Err(no_mailbox(slot, target)),
            }
        }
        use_it(&self.open_lazy(target)?)
    }

    /// What `name`'s place in the registry says about it now.
    pub(crate) fn view(&self, name: &str) -> SlotView {
        let table = self.mailboxes.read().expect("mailbox table lock poisoned");
        let (state, mailbox) = match table.get(name) {
            Some(Slot::Open(mailbox)) => (SlotState::Open, Some(mailbox)),
            Some(Slot::Lazy(_)) => (SlotState::Lazy, None),
            Some(Slot::Failed(_)) => (SlotState::Failed, None),
            Some(Slot::Removing(mailbox)) => (SlotState::Removing, mailbox.as_ref()),
            None => (SlotState::Absent, None),
        };
        SlotView {
            state,
            queued: mailbox.map_or(0, |mailbox| {
                mailbox.messages.max_capacity() - mailbox.messages.capacity()
            }),
            outstanding: mailbox.map_or(0, |mailbox| mailbox.outstanding.taken()),
        }
    }

    /// Whether no component of this host has the name `target`.
    pub(crate) fn is_absent(&self, target: &str) -> bool {
        let table = self.mailboxes.read().expect("mailbox table lock poisoned");
        !table.contains_key(target)
    }

    /// Whether `target`'s supervisor gave up on it.
    pub(crate) fn has_failed(&self, target: &str) -> bool {
        let table = self.mailboxes.read().expect("mailbox table lock poisoned");
        matches!(table.get(target), Some(Slot::Failed(_)))
    }

    /// Closes every component's mailbox. The host's inbox stays open, so
    /// components finishing up can still report to the host.
    pub(crate) fn close_all(&self) {
        self.closing.store(true, Ordering::Release);
        self.table_mut().retain(|id, _| id.is_host());
    }

    /// Closes the host's inbox too: its receiver gets what is queued, then
    /// the end.
    pub(crate) fn close_host_inbox(&self) {
        self.table_mut().remove(&ComponentId::host());
    }

    /// Messages skipped because the system was closing.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<ComponentId, Slot>> {
        self.mailboxes.write().expect("mailbox table lock poisoned")
    }
}

/// Why `target`, found in `slot`, has no mailbox to send to.
#[cold]
fn no_mailbox(slot: Option<&Slot>, target: &str) -> MessagingError {
    match slot {
        Some(Slot::Failed(reason)) => MessagingError::TargetFailed {
            target: ComponentId::new(target),
            reason: reason.clone(),
        },
        Some(Slot::Removing(_)) => MessagingError::TargetRemoved {
            target: ComponentId::new(target),
        },
        Some(Slot::Open(_) | Slot::Lazy(_)) => {
            unreachable!("open and lazy slots have a mailbox")
        }
        None => MessagingError::TargetNotFound(ComponentId::new(target)),
    }
}

impl MailboxRegistry for ComponentSubscriber {
    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    fn count_skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    fn mark_failed(&self, id: &ComponentId, reason: String) {
        let mut table = self.table_mut();
        // Once closed, every mailbox is gone for good: nothing to mark.
        if self.is_closing() {
            return;
        }
        // Only a component still open can fail: one being removed (or
        // removed, its name perhaps taken again) stays as it is.
        if let Some(slot @ Slot::Open(_)) = table.get_mut(id) {
            *slot = Slot::Failed(reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber() -> (Arc<Activity>, ComponentSubscriber) {
        let activity = Arc::new(Activity::default());
        (Arc::clone(&activity), ComponentSubscriber::new(activity))
    }

    fn limits(capacity: usize) -> MailboxLimits {
        MailboxLimits {
            capacity,
            callback_queue_bytes: 1024,
            max_pending_requests: Some(4),
        }
    }

    fn envelope() -> Envelope {
        Envelope::new(&ComponentId::host(), "x".into(), None)
    }

    /// A queued message is work until the actor drops it; a refused one
    /// never was. Messages in the host's inbox are not work.
    #[tokio::test]
    async fn queued_messages_count_as_work_until_dropped() {
        let (activity, subscriber) = subscriber();
        let mut echo = subscriber.subscribe(ComponentId::new("echo"), limits(1));
        let mailbox = subscriber.mailbox("echo").unwrap();
        mailbox.try_send(envelope()).unwrap();
        assert_eq!(
            mailbox.try_send(envelope()),
            Err(MessagingError::QueueFull {
                target: ComponentId::new("echo"),
                capacity: 1
            })
        );
        assert_eq!(activity.in_flight(), 1);
        drop(echo.messages.recv().await);
        assert_eq!(activity.in_flight(), 0);
        assert_eq!(echo.counters.snapshot().accepted, 1);

        let _inbox = subscriber.subscribe_host_inbox(4);
        let host = subscriber.mailbox(ComponentId::HOST).unwrap();
        host.try_send(envelope()).unwrap();
        assert_eq!(activity.in_flight(), 0);
    }

    /// Unknown, failed and stopped targets each have their own refusal;
    /// closing keeps only the host's inbox.
    #[tokio::test]
    async fn each_missing_mailbox_says_why() {
        let (_activity, subscriber) = subscriber();
        let id = ComponentId::new;
        assert_eq!(
            subscriber.mailbox("nobody").unwrap_err(),
            MessagingError::TargetNotFound(id("nobody"))
        );

        let stopped = subscriber.subscribe(id("stopped"), limits(4));
        drop(stopped);
        let mailbox = subscriber.mailbox("stopped").unwrap();
        assert_eq!(
            mailbox.try_send(envelope()),
            Err(MessagingError::TargetStopped {
                target: id("stopped")
            })
        );

        subscriber.mark_failed(&id("stopped"), "gave up".into());
        assert_eq!(
            subscriber.mailbox("stopped").unwrap_err(),
            MessagingError::TargetFailed {
                target: id("stopped"),
                reason: "gave up".into()
            }
        );

        let _inbox = subscriber.subscribe_host_inbox(4);
        subscriber.close_all();
        assert!(subscriber.is_closing());
        assert!(subscriber.mailbox("stopped").is_err());
        assert!(subscriber.mailbox(ComponentId::HOST).is_ok());
    }

    /// While a component is removed, others are told so and it may still
    /// request; afterwards it is not found, and nothing marks it failed.
    #[tokio::test]
    async fn a_removing_slot_refuses_others_but_lets_its_owner_request() {
        let (_, subscriber) = subscriber();
        let id = ComponentId::new("echo");
        let _receivers = subscriber.subscribe(id.clone(), limits(4));
        let stale = subscriber.mailbox("echo").unwrap();

        assert!(subscriber.begin_removal(&id).is_none());
        let removed = MessagingError::TargetRemoved { target: id.clone() };
        assert_eq!(subscriber.mailbox("echo").unwrap_err(), removed);
        assert!(subscriber.requester("echo").is_ok());
        subscriber.mark_failed(&id, "gave up".into());
        assert_eq!(subscriber.mailbox("echo").unwrap_err(), removed);

        // A sender holding the mailbox from before, once the actor closed it.
        drop(_receivers);
        assert_eq!(stale.try_send(envelope()), Err(removed));

        subscriber.finish_removal(&id);
        assert_eq!(
            subscriber.mailbox("echo").unwrap_err(),
            MessagingError::TargetNotFound(id.clone())
        );
        subscriber.mark_failed(&id, "gave up".into());
        assert_eq!(
            subscriber.mailbox("echo").unwrap_err(),
            MessagingError::TargetNotFound(id)
        );
    }

    /// An unlisted mailbox is unreachable until listed, and is listed only
    /// under a free name.
    #[tokio::test]
    async fn an_unlisted_mailbox_is_listed_once_under_a_free_name() {
        let (_, subscriber) = subscriber();
        let id = ComponentId::new("echo");
        let (unlisted, _receivers) = subscriber.open_unlisted(id.clone(), limits(4));
        assert_eq!(
            subscriber.mailbox("echo").unwrap_err(),
            MessagingError::TargetNotFound(id.clone())
        );
        assert!(subscriber.list(unlisted, None));
        assert!(subscriber.mailbox("echo").is_ok());
        let (again, _more) = subscriber.open_unlisted(id, limits(4));
        assert!(!subscriber.list(again, None));
    }
}

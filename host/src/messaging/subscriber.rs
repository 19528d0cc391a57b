//! [`ComponentSubscriber`]: every component's mailbox and callback queue.

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::traits::ResponseSink;
use crate::messaging::activity::Activity;
use crate::messaging::counters::ComponentCounters;

/// The mailboxes of every running component, by name.
///
/// A mailbox is bounded: when it is full the sender is told `queue-full` at
/// once, and nothing is queued. Callbacks travel on a separate queue per
/// component, so a full mailbox can never swallow a request's outcome; that
/// queue holds at most one entry per request the component itself made.
///
/// ```
/// use std::sync::Arc;
/// use airssys_wasm::messaging::activity::Activity;
/// use airssys_wasm::{ComponentId, ComponentSubscriber};
///
/// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
/// let mailbox = subscriber.subscribe(ComponentId::new("echo"), 64);
/// assert!(subscriber.contains(&ComponentId::new("echo")));
/// // The actor of "echo" drains these; the router queues into them.
/// let (_messages, _callbacks) = (mailbox.messages, mailbox.callbacks);
/// ```
#[derive(Debug)]
pub struct ComponentSubscriber {
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
    Open(Mailbox),
    /// The component's supervisor gave up; the text says why.
    Failed(String),
}

#[derive(Debug)]
struct Mailbox {
    messages: mpsc::Sender<Envelope>,
    capacity: usize,
    counters: Arc<ComponentCounters>,
    /// Whether messages waiting here count as work in flight. The host
    /// application's inbox does not: what waits there is the host's to read.
    counts_as_activity: bool,
}

/// The receiving ends a component's actor drains.
///
/// ```
/// # use std::sync::Arc;
/// # use airssys_wasm::messaging::activity::Activity;
/// # use airssys_wasm::{ComponentId, ComponentSubscriber};
/// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
/// let mailbox = subscriber.subscribe(ComponentId::new("echo"), 8);
/// assert_eq!(mailbox.counters.snapshot().accepted, 0);
/// assert!(mailbox.messages.is_empty() && mailbox.callbacks.is_empty());
/// ```
#[derive(Debug)]
pub struct MailboxReceivers {
    /// Messages for `handle-message`, in the order they were accepted.
    pub messages: mpsc::Receiver<Envelope>,
    /// Outcomes for `handle-callback`.
    pub callbacks: mpsc::UnboundedReceiver<Callback>,
    /// Where the router sends this component's request outcomes.
    pub callback_sink: Arc<CallbackSink>,
    /// The component's counters; the mailbox counts what it accepts.
    pub counters: Arc<ComponentCounters>,
}

/// Queues request outcomes for one component's `handle-callback`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// # use std::sync::Arc;
/// # use airssys_wasm::messaging::activity::Activity;
/// # use airssys_wasm::{ComponentId, ComponentSubscriber};
/// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
/// use airssys_wasm::CorrelationId;
/// use airssys_wasm::core::messaging::traits::ResponseSink;
///
/// let mut mailbox = subscriber.subscribe(ComponentId::new("client"), 8);
/// assert!(mailbox.callback_sink.deliver(CorrelationId::new("c-1"), Ok("4".into())));
/// let callback = mailbox.callbacks.recv().await.unwrap();
/// assert_eq!(callback.correlation_id.as_str(), "c-1");
/// # }
/// ```
#[derive(Debug)]
pub struct CallbackSink {
    callbacks: mpsc::UnboundedSender<Callback>,
    activity: Arc<Activity>,
}

impl ResponseSink for CallbackSink {
    fn deliver(&self, correlation_id: CorrelationId, outcome: RequestOutcome) -> bool {
        self.activity.begin();
        let callback = Callback {
            correlation_id,
            outcome,
        };
        if self.callbacks.send(callback).is_err() {
            self.activity.end();
            return false;
        }
        true
    }
}

impl ComponentSubscriber {
    /// An empty registry whose deliveries are counted in `activity`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::activity::Activity;
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber};
    /// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
    /// assert!(!subscriber.contains(&ComponentId::new("echo")));
    /// ```
    pub fn new(activity: Arc<Activity>) -> Self {
        Self {
            mailboxes: RwLock::new(HashMap::default()),
            activity,
            closing: AtomicBool::new(false),
            skipped: AtomicUsize::new(0),
        }
    }

    /// Opens a mailbox of `capacity` messages for `id` and returns its
    /// receiving ends. Replaces any previous mailbox of that name.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::activity::Activity;
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber};
    /// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
    /// let mailbox = subscriber.subscribe(ComponentId::new("echo"), 64);
    /// assert_eq!(mailbox.messages.max_capacity(), 64);
    /// ```
    pub fn subscribe(&self, id: ComponentId, capacity: usize) -> MailboxReceivers {
        self.open(id, capacity, true)
    }

    /// Opens the host application's inbox under [`ComponentId::HOST`].
    /// Messages waiting in it do not keep the system from being idle.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::activity::Activity;
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber};
    /// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
    /// let inbox = subscriber.subscribe_host_inbox(16);
    /// assert!(subscriber.contains(&ComponentId::host()));
    /// # drop(inbox);
    /// ```
    pub fn subscribe_host_inbox(&self, capacity: usize) -> mpsc::Receiver<Envelope> {
        self.open(ComponentId::host(), capacity, false).messages
    }

    fn open(&self, id: ComponentId, capacity: usize, counts_as_activity: bool) -> MailboxReceivers {
        let (messages_tx, messages) = mpsc::channel(capacity.max(1));
        let (callbacks_tx, callbacks) = mpsc::unbounded_channel();
        let counters = Arc::new(ComponentCounters::default());
        let mailbox = Mailbox {
            messages: messages_tx,
            capacity,
            counters: Arc::clone(&counters),
            counts_as_activity,
        };
        self.mailboxes
            .write()
            .expect("mailbox table lock poisoned")
            .insert(id, Slot::Open(mailbox));
        MailboxReceivers {
            messages,
            callbacks,
            callback_sink: Arc::new(CallbackSink {
                callbacks: callbacks_tx,
                activity: Arc::clone(&self.activity),
            }),
            counters,
        }
    }

    /// Closes `id`'s mailbox for good: every later message is refused with
    /// `DeliveryFailed` and `reason`. Messages already queued stay with the
    /// receiver, which must fail them.
    pub(crate) fn mark_failed(&self, id: &ComponentId, reason: String) {
        self.mailboxes
            .write()
            .expect("mailbox table lock poisoned")
            .insert(id.clone(), Slot::Failed(reason));
    }

    /// Closes every component's mailbox. The host's inbox stays open, so
    /// components finishing up can still report to the host.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::activity::Activity;
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber};
    /// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
    /// let _echo = subscriber.subscribe(ComponentId::new("echo"), 8);
    /// let _inbox = subscriber.subscribe_host_inbox(8);
    /// subscriber.close_all();
    /// assert!(!subscriber.contains(&ComponentId::new("echo")));
    /// assert!(subscriber.contains(&ComponentId::host()), "the host can still be told things");
    /// ```
    pub fn close_all(&self) {
        self.closing.store(true, Ordering::Release);
        self.mailboxes
            .write()
            .expect("mailbox table lock poisoned")
            .retain(|id, _| id.is_host());
    }

    /// Closes the host's inbox too: its receiver gets what is queued, then
    /// the end.
    pub(crate) fn close_host_inbox(&self) {
        self.mailboxes
            .write()
            .expect("mailbox table lock poisoned")
            .remove(&ComponentId::host());
    }

    /// Whether [`close_all`](Self::close_all) was called: queued messages
    /// are then skipped, not handled.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Counts one message skipped because the system was closing.
    pub(crate) fn count_skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages skipped because the system was closing.
    pub(crate) fn skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Whether a component runs under `id` and takes messages.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use airssys_wasm::messaging::activity::Activity;
    /// # use airssys_wasm::{ComponentId, ComponentSubscriber};
    /// let subscriber = ComponentSubscriber::new(Arc::new(Activity::new()));
    /// let _echo = subscriber.subscribe(ComponentId::new("echo"), 8);
    /// assert!(subscriber.contains(&ComponentId::new("echo")));
    /// assert!(!subscriber.contains(&ComponentId::new("nobody")));
    /// ```
    pub fn contains(&self, id: &ComponentId) -> bool {
        let table = self.mailboxes.read().expect("mailbox table lock poisoned");
        matches!(table.get(id), Some(Slot::Open(_)))
    }

    /// Queues `envelope` for `target`. `before_queue` runs once the target is
    /// known to exist and before the envelope is queued (the router registers
    /// a request there, so its response can never overtake it); when queueing
    /// then fails, `on_refused` undoes it.
    pub(crate) fn deliver(
        &self,
        target: &ComponentId,
        envelope: Envelope,
        before_queue: impl FnOnce() -> Result<(), MessagingError>,
        on_refused: impl FnOnce(),
    ) -> Result<(), MessagingError> {
        let table = self.mailboxes.read().expect("mailbox table lock poisoned");
        let mailbox = match table.get(target) {
            Some(Slot::Open(mailbox)) => mailbox,
            Some(Slot::Failed(reason)) => {
                return Err(MessagingError::DeliveryFailed(format!(
                    "{target:?} has failed and takes no messages: {reason}"
                )));
            }
            None => return Err(MessagingError::TargetNotFound(target.clone())),
        };
        before_queue()?;
        if mailbox.counts_as_activity {
            self.activity.begin();
        }
        match mailbox.messages.try_send(envelope) {
            Ok(()) => {
                mailbox.counters.count_accepted();
                Ok(())
            }
            Err(refused) => {
                if mailbox.counts_as_activity {
                    self.activity.end();
                }
                on_refused();
                Err(match refused {
                    mpsc::error::TrySendError::Full(_) => MessagingError::QueueFull {
                        target: target.clone(),
                        capacity: mailbox.capacity,
                    },
                    mpsc::error::TrySendError::Closed(_) => MessagingError::DeliveryFailed(
                        format!("{target:?} has stopped and takes no more messages"),
                    ),
                })
            }
        }
    }
}

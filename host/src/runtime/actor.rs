//! [`ComponentActor`]: one task per component that handles its messages,
//! and its supervisor; [`ActorCell`]: the component's state, which a
//! requester awaiting an answer may use too.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::task::AtomicWaker;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;
use tracing::Instrument;

use crate::core::component::errors::Trap;
use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{RestartPolicy, SupervisionEvent, SupervisionEventKind};
use crate::core::messaging::activity::Outstanding;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::{FlowPayload, MessagePayload};
use crate::core::messaging::traits::{
    CorrelationTracker, MailboxRegistry, ResponseSink, RunInline,
};
use crate::core::runtime::errors::WasmError;
use crate::messaging::counters::{CallEnd, ComponentCounters};
use crate::messaging::patterns;
use crate::messaging::router::ResponseRouter;
use crate::messaging::subscriber::{LazyStart, MailboxReceivers};
use crate::runtime::host_services::{HostState, InstanceSettings};
use crate::runtime::instance::Instance;
use crate::runtime::loader::LoadedComponent;

mod removal;
pub(crate) use removal::RemovalTarget;

/// One component as an actor: a task that handles its messages and
/// callbacks one at a time.
///
/// Callbacks go first: they answer work the component already started. A
/// trap fails the call that caused it; the supervisor then gives the
/// component a fresh instance or, past its restart policy, marks it failed.
///
/// The component's state (its instance, its supervisor) and its queues sit
/// in an [`ActorCell`] that a requester awaiting an answer may use too: when
/// the actor is idle and one message is queued (normally the requester's
/// own request), the requester handles it on its own task (see
/// [`RunInline`]).
pub(crate) struct ComponentActor {
    /// The actor's task is the cell's only lasting owner: if the task ends
    /// (even by a panic), the queues close and senders are told.
    cell: Arc<ActorCell>,
}

/// The component's state: whoever holds its lock handles its next message.
struct ActorCore {
    id: ComponentId,
    /// The version a restart instantiates: the latest upgrade's.
    component: LoadedComponent,
    recipe: Arc<InstanceRecipe>,
    versions: Arc<Versions>,
    instance: Option<Instance>,
    /// Started lazily and not yet instantiated: no instance does not mean
    /// the supervisor gave up.
    awaiting_first_instance: bool,
    wiring: ActorWiring,
    restarts: VecDeque<Instant>,
    /// The call under way: if a removal stops it, what it was owes an
    /// outcome and a count.
    in_call: Option<InCall>,
}

/// The call an actor is in, as a removal that stops it must account for it.
enum InCall {
    Message {
        correlation: Option<CorrelationId>,
        /// `handle-message` returned (or trapped) and was counted.
        counted: bool,
    },
    Callback,
}

/// What the actor's task shares with requesters that may handle its next
/// message themselves.
pub(crate) struct ActorCell {
    id: ComponentId,
    core: Arc<tokio::sync::Mutex<ActorCore>>,
    queues: Mutex<Queues>,
    handover: Arc<Handover>,
    /// Calls run inline only on the system's own runtime.
    runtime: tokio::runtime::Id,
    /// How a new version is instantiated, outside the component's lock.
    recipe: Arc<InstanceRecipe>,
    versions: Arc<Versions>,
    /// Set when its removal begins: requesters no longer run its messages.
    removing: AtomicBool,
    /// The actor's task while it waits for work: closing its mailbox from
    /// outside wakes it (closing a receiver does not).
    parked: AtomicWaker,
    /// What the actor's task took from its queues and was stopped holding,
    /// before it had the component's state: a removal accounts for it.
    dropped_claim: Mutex<Option<Next>>,
}

/// The component's generation, and a new version waiting to take over
/// between two calls: offered by an upgrade, taken by whoever holds the
/// component's state.
struct Versions {
    waiting: Mutex<Option<PreparedSwap>>,
    /// Whether `waiting` holds one: one load per message on the hot path.
    pending: AtomicBool,
    /// 1 for the version the component started with, one more per upgrade.
    generation: AtomicU64,
}

/// What a new instance of the component is made from, besides its version.
pub(crate) struct InstanceRecipe {
    id: ComponentId,
    router: Arc<ResponseRouter>,
    callback_sink: Arc<dyn ResponseSink>,
    settings: InstanceSettings,
}

/// A new version, instantiated and waiting for the current call to end.
struct PreparedSwap {
    instance: Instance,
    component: LoadedComponent,
    done: oneshot::Sender<Result<u64, SwapError>>,
}

/// Why an upgrade did not happen; the old version runs on unless the
/// component had already failed or stopped.
#[derive(Debug)]
pub(crate) enum SwapError {
    /// The new version does not fit (its memory at start) or could not be
    /// instantiated.
    Invalid(WasmError),
    /// The component has failed: its supervisor gave up.
    Failed,
    /// The system is shutting down.
    Stopped,
    /// A service: the host application's own code, not a component.
    NotAComponent,
}

struct Queues {
    messages: mpsc::Receiver<Envelope>,
    callbacks: mpsc::UnboundedReceiver<Callback>,
    /// The actor's task took a message or callback and is handling it (and
    /// what was queued after it): a requester must not overtake it.
    claimed: bool,
}

/// A call a requester started that had to wait: it finishes on a task of
/// its own, stopped with the actor's.
#[derive(Default)]
pub(crate) struct Handover(Mutex<HandoverState>);

#[derive(Default)]
struct HandoverState {
    /// The actor is stopped or stopping: a call handed over now is dropped.
    stopped: bool,
    call: Option<AbortHandle>,
}

/// What an actor needs besides its component.
pub(crate) struct ActorWiring {
    /// The router the component's `host-services` calls go to.
    pub(crate) router: Arc<ResponseRouter>,
    /// The tracker of pending requests: responses complete them.
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    /// The registry holding this component's mailbox.
    pub(crate) registry: Arc<dyn MailboxRegistry>,
    /// Where this component's request outcomes are queued.
    pub(crate) callback_sink: Arc<dyn ResponseSink>,
    /// What to do after a trap.
    pub(crate) policy: RestartPolicy,
    /// The largest answer passed on to a requester, in bytes.
    pub(crate) max_payload_bytes: usize,
    /// Where supervision events are published.
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// The component's counters.
    pub(crate) counters: Arc<ComponentCounters>,
    /// Its requests outstanding: those its trapped instance abandoned are
    /// given back here.
    pub(crate) outstanding: Arc<Outstanding>,
}

/// The queues an actor drains.
pub(crate) struct ActorQueues {
    /// The mailbox.
    messages: mpsc::Receiver<Envelope>,
    /// The callback queue.
    callbacks: mpsc::UnboundedReceiver<Callback>,
}

impl ActorWiring {
    /// The wiring of an actor draining `receivers`, after a trap doing as
    /// `policy` says.
    pub(crate) fn new(
        shared: &SharedWiring,
        receivers: MailboxReceivers,
        policy: RestartPolicy,
    ) -> (Self, ActorQueues) {
        let wiring = Self {
            router: Arc::clone(&shared.router),
            tracker: Arc::clone(&shared.tracker),
            registry: Arc::clone(&shared.registry),
            callback_sink: receivers.callback_sink,
            policy,
            max_payload_bytes: shared.max_payload_bytes,
            events: shared.events.clone(),
            counters: receivers.counters,
            outstanding: receivers.outstanding,
        };
        let queues = ActorQueues {
            messages: receivers.messages,
            callbacks: receivers.callbacks,
        };
        (wiring, queues)
    }
}

/// Whether the actor goes on after a call.
enum AfterCall {
    Continue,
    GaveUp,
}

/// The supervisor gave up: what is still queued fails.
struct GaveUp;

impl AfterCall {
    fn carry_on(self) -> Result<(), GaveUp> {
        match self {
            Self::Continue => Ok(()),
            Self::GaveUp => Err(GaveUp),
        }
    }
}

/// What the actor's task took from its queues.
enum Next {
    Callback(Callback),
    Message(Envelope),
}

impl ComponentActor {
    /// An actor for `component` under the name `id`, instantiated at once so
    /// that a component that cannot start is reported before any message.
    pub(crate) async fn start(
        id: ComponentId,
        component: LoadedComponent,
        settings: InstanceSettings,
        wiring: ActorWiring,
        queues: ActorQueues,
    ) -> Result<Self, WasmError> {
        let mut core = ActorCore::new(id, component, settings, wiring, 1);
        core.instance = Some(core.fresh_instance().await?);
        let runtime = tokio::runtime::Handle::current().id();
        Ok(Self::new(core, queues, runtime))
    }

    fn new(core: ActorCore, queues: ActorQueues, runtime: tokio::runtime::Id) -> Self {
        let cell = ActorCell {
            id: core.id.clone(),
            recipe: Arc::clone(&core.recipe),
            versions: Arc::clone(&core.versions),
            core: Arc::new(tokio::sync::Mutex::new(core)),
            queues: Mutex::new(Queues {
                messages: queues.messages,
                callbacks: queues.callbacks,
                claimed: false,
            }),
            handover: Arc::default(),
            runtime,
            removing: AtomicBool::new(false),
            parked: AtomicWaker::new(),
            dropped_claim: Mutex::new(None),
        };
        Self {
            cell: Arc::new(cell),
        }
    }

    /// What lets a requester awaiting its answer handle the component's
    /// next message when the actor is idle; the mailbox hands it out. Weak:
    /// it does not keep the actor's queues open.
    pub(crate) fn inline(&self) -> Weak<dyn RunInline> {
        let cell: Arc<dyn RunInline> = Arc::clone(&self.cell) as Arc<dyn RunInline>;
        Arc::downgrade(&cell)
    }

    /// Handles messages and callbacks until the mailbox is closed and
    /// drained (or the component fails), then delivers the callbacks still
    /// queued.
    pub(crate) async fn run(mut self) {
        // However the task ends (aborted included), a call a requester
        // handed over is stopped with it.
        let _handover = StopHandover(Arc::clone(&self.cell.handover));
        match self.handle_until_closed().await {
            Ok(()) => tracing::debug!(component = %self.cell.id, "actor stopped"),
            Err(GaveUp) => self.fail_remaining(ActorCore::stopped).await,
        }
    }

    /// Handles what comes until the mailbox is closed and drained, then the
    /// callbacks still queued; stops early if the supervisor gives up.
    async fn handle_until_closed(&mut self) -> Result<(), GaveUp> {
        while let Some(first) = self.next().await {
            // Held across the wait for the lock: if the task is stopped
            // there, the item is left for the removal to account for.
            let claim = Claim(Some(first), &self.cell);
            let mut core = self.cell.core.lock().await;
            let mut next = claim.take();
            while let Some(item) = next {
                if self.cell.versions.pending() {
                    core.take_swap();
                }
                if core.instance.is_none() {
                    // Its supervisor gave up in a call a requester ran.
                    fail_item(&core, item, core.stopped());
                    return Err(GaveUp);
                }
                match item {
                    Next::Callback(callback) => core.on_callback(callback).await,
                    Next::Message(envelope) => core.on_message(envelope).await,
                }
                .carry_on()?;
                // Yields to its neighbours when its scheduling budget runs
                // out, still holding the component's state.
                tokio::task::coop::consume_budget().await;
                next = self.cell.try_next();
            }
        }
        let mut core = self.cell.core.lock().await;
        if core.instance.is_none() {
            return Err(GaveUp);
        }
        loop {
            let callback = self.cell.queues().callbacks.try_recv();
            let Ok(callback) = callback else { break };
            core.on_callback(callback).await.carry_on()?;
        }
        Ok(())
    }

    /// The next callback or message, callbacks first, claimed so that no
    /// requester handles a message before it; `None` once the mailbox is
    /// closed and drained.
    async fn next(&mut self) -> Option<Next> {
        std::future::poll_fn(|cx| {
            let mut queues = self.cell.queues();
            let next = match queues.callbacks.poll_recv(cx) {
                Poll::Ready(Some(callback)) => Next::Callback(callback),
                _ => match queues.messages.poll_recv(cx) {
                    Poll::Ready(Some(envelope)) => Next::Message(envelope),
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Pending => {
                        self.cell.parked.register(cx.waker());
                        return Poll::Pending;
                    }
                },
            };
            queues.claimed = true;
            Poll::Ready(Some(next))
        })
        .await
    }

    /// A component started on its first message: instantiate, then run; or,
    /// if it cannot be instantiated, fail what was sent to it and mark it
    /// failed, like a supervisor giving up.
    async fn start_then_run(self) {
        let mut core = self.cell.core.lock().await;
        if core.versions.pending() {
            // Upgraded since it was started: the new version is its first.
            core.take_swap();
        }
        core.awaiting_first_instance = false;
        if core.wiring.registry.is_closing() || core.instance.is_some() {
            // Shutting down: no instance for what it would only skip. Or an
            // upgrade came first and brought the instance.
            drop(core);
            self.run().await;
            return;
        }
        match core.fresh_instance().await {
            Ok(instance) => {
                tracing::debug!(component = %core.id, "instantiated for its first message");
                core.instance = Some(instance);
                drop(core);
                self.run().await;
            }
            Err(error) => {
                let reason = error_chain(&error);
                tracing::error!(
                    component = %core.id, %reason,
                    "could not be instantiated for its first message: the component is marked failed"
                );
                core.wiring
                    .registry
                    .mark_failed(&core.id, format!("it could not be started: {reason}"));
                core.publish(SupervisionEventKind::StartFailed {
                    reason: reason.clone(),
                });
                drop(core);
                self.fail_remaining(|core| RequestError::StartFailed {
                    target: core.id.clone(),
                    reason: reason.clone(),
                })
                .await;
            }
        }
    }

    /// After giving up: every message still queued fails visibly, requests
    /// with `error`; callbacks still queued are logged as lost.
    async fn fail_remaining(&self, error: impl Fn(&ActorCore) -> RequestError) {
        let core = self.cell.core.lock().await;
        self.cell.queues().messages.close();
        // `poll_recv`, not `try_recv`: it also waits out a send already
        // under way, which `try_recv` would report as empty.
        while let Some(envelope) =
            std::future::poll_fn(|cx| self.cell.queues().messages.poll_recv(cx)).await
        {
            fail_item(&core, Next::Message(envelope), error(&core));
        }
        loop {
            let callback = self.cell.queues().callbacks.try_recv();
            let Ok(callback) = callback else { break };
            fail_item(&core, Next::Callback(callback), error(&core));
        }
    }
}

/// An item taken from the queues, not yet handed to the component's state.
struct Claim<'a>(Option<Next>, &'a ActorCell);

impl Claim<'_> {
    fn take(mut self) -> Option<Next> {
        self.0.take()
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(item) = self.0.take() {
            *self
                .1
                .dropped_claim
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(item);
        }
    }
}

/// A message or callback for a component that has failed: a request gets
/// `error`, a fire-and-forget message is logged as undeliverable, a
/// callback is logged and counted as dropped.
fn fail_item(core: &ActorCore, item: Next, error: RequestError) {
    match item {
        Next::Message(envelope) => {
            core.wiring.counters.count_unhandled();
            match &envelope.correlation {
                Some(correlation_id) => {
                    let _ = core.wiring.tracker.complete(correlation_id, Err(error));
                }
                None => tracing::warn!(
                    target: "airssys_wasm::flow",
                    to = %core.id, from = %envelope.sender,
                    "message undeliverable: the component has failed"
                ),
            }
        }
        Next::Callback(callback) => {
            tracing::warn!(
                component = %core.id, correlation = %callback.correlation_id,
                "callback dropped: the component has failed"
            );
            core.wiring.counters.count_callback_dropped();
        }
    }
}

impl ActorCell {
    fn queues(&self) -> std::sync::MutexGuard<'_, Queues> {
        self.queues
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is already queued, callbacks first, taken by the actor's task
    /// while it holds the component's state; once nothing is, the claim
    /// ends and requesters may handle messages again.
    fn try_next(&self) -> Option<Next> {
        let mut queues = self.queues();
        if let Ok(callback) = queues.callbacks.try_recv() {
            return Some(Next::Callback(callback));
        }
        if let Ok(envelope) = queues.messages.try_recv() {
            return Some(Next::Message(envelope));
        }
        queues.claimed = false;
        None
    }

    /// After a panic in a call run outside the actor's task: the component
    /// takes no more messages (senders are told it stopped); its task fails
    /// what is queued, as it does after a give-up.
    fn close_after_panic(&self) {
        tracing::error!(
            component = %self.id,
            "a call panicked in the host: the component takes no more messages"
        );
        self.close_mailbox();
    }

    /// Closes the mailbox from outside the actor's task, and wakes the task
    /// if it waits for work, so it drains what is queued and ends.
    fn close_mailbox(&self) {
        self.queues().messages.close();
        self.parked.wake();
    }
}

impl ActorCell {
    /// Upgrades the component to `component`: instantiates it first (on
    /// failure nothing changes), then swaps it in between two calls. A call
    /// in flight finishes on the old instance; what is queued goes to the
    /// new one, which also receives the callbacks of the old one's requests.
    /// Dropping the future before the swap leaves the old version in place.
    async fn upgrade(&self, component: LoadedComponent) -> Result<u64, SwapError> {
        component
            .check_initial_memory(self.recipe.settings.memory_limit)
            .map_err(SwapError::Invalid)?;
        let instance = self
            .recipe
            .instantiate(&component)
            .await
            .map_err(SwapError::Invalid)?;
        let (done, outcome) = oneshot::channel();
        let offer = SwapOffer::new(
            &self.versions,
            PreparedSwap {
                instance,
                component,
                done,
            },
        );
        // The actor's task takes the swap between two messages; if it is
        // idle, or busy in a call a requester handed over, the lock comes
        // first and the swap is made here.
        let mut outcome = std::pin::pin!(outcome);
        tokio::select! {
            biased;
            done = &mut outcome => {
                return done.unwrap_or(Err(SwapError::Stopped));
            }
            mut core = self.core.lock() => {
                if self.handover.is_stopped() {
                    // The actor's task has ended: no message would reach
                    // the new version. Dropping the offer withdraws it.
                    return Err(SwapError::Stopped);
                }
                core.take_swap();
            }
        }
        drop(offer);
        // Made while the lock was held, by whoever took it from the slot.
        outcome.await.unwrap_or(Err(SwapError::Stopped))
    }
}

impl Versions {
    fn new(generation: u64) -> Self {
        Self {
            waiting: Mutex::new(None),
            pending: AtomicBool::new(false),
            generation: AtomicU64::new(generation),
        }
    }

    /// Whether a new version waits for the current call to end.
    fn pending(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    /// The new version waiting, if one still is; from now on none is.
    fn take(&self) -> Option<PreparedSwap> {
        let mut waiting = self.waiting();
        let swap = waiting.take();
        if swap.is_some() {
            self.pending.store(false, Ordering::Release);
        }
        swap
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, Option<PreparedSwap>> {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A new version offered to whoever holds the component's state; withdrawn
/// if the upgrade is dropped before anyone took it.
struct SwapOffer<'a>(&'a Versions);

impl<'a> SwapOffer<'a> {
    fn new(versions: &'a Versions, swap: PreparedSwap) -> Self {
        *versions.waiting() = Some(swap);
        versions.pending.store(true, Ordering::Release);
        Self(versions)
    }
}

impl Drop for SwapOffer<'_> {
    fn drop(&mut self) {
        drop(self.0.take());
    }
}

/// What upgrades a running component and reads its version, without
/// keeping its queues open: the actor's task stays their only owner.
pub(crate) struct UpgradeHandle {
    cell: Weak<ActorCell>,
    versions: Arc<Versions>,
}

impl UpgradeHandle {
    fn of(cell: &Arc<ActorCell>) -> Self {
        Self {
            cell: Arc::downgrade(cell),
            versions: Arc::clone(&cell.versions),
        }
    }

    async fn upgrade(&self, component: LoadedComponent) -> Result<u64, SwapError> {
        let cell = self.cell.upgrade().ok_or(SwapError::Stopped)?;
        cell.upgrade(component).await
    }
}

impl InstanceRecipe {
    /// A fresh instance of `component`. Owns what it needs, so no borrow of
    /// the (non-`Sync`) actor is held across the await.
    fn instantiate(
        &self,
        component: &LoadedComponent,
    ) -> impl Future<Output = Result<Instance, WasmError>> + Send + use<> {
        let state = HostState::new(
            self.id.clone(),
            Arc::clone(&self.router),
            Arc::clone(&self.callback_sink),
            &self.settings,
        );
        let component = component.clone();
        async move { component.instantiate(state?).await }
    }
}

impl RunInline for ActorCell {
    fn run_inline(self: Arc<Self>, cx: &mut Context<'_>) {
        let on_our_runtime =
            tokio::runtime::Handle::try_current().is_ok_and(|runtime| runtime.id() == self.runtime);
        if !on_our_runtime {
            return;
        }
        let Ok(mut core) = Arc::clone(&self.core).try_lock_owned() else {
            return;
        };
        if core.instance.is_none()
            || self.versions.pending()
            || self.removing.load(Ordering::Acquire)
        {
            // Gave up: the actor's task fails what is queued. Or a new
            // version waits: the actor's task swaps it in first. Or it is
            // being removed: its removal accounts for what is queued.
            return;
        }
        let envelope = {
            let mut queues = self.queues();
            // Only the one message queued, with no callback waiting and
            // nothing claimed by the actor's task: the mailbox's order holds.
            // (`try_recv` may briefly wait out a send still being written.)
            if queues.claimed || queues.messages.len() != 1 || !queues.callbacks.is_empty() {
                return;
            }
            match queues.messages.try_recv() {
                Ok(envelope) => envelope,
                Err(_) => return,
            }
        };
        // A give-up is left to the actor's task: its next turn finds no
        // instance and fails what is queued. So is a panic in the host's
        // own code: it stays in this component, as it would on the actor's
        // task, instead of unwinding into the requester.
        let cell = Arc::downgrade(&self);
        let mut call: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            let correlation = envelope.correlation.clone();
            let handled = AssertUnwindSafe(core.on_message(envelope)).catch_unwind();
            if handled.await.is_err() {
                // The instance unwound mid-call: it is not used again.
                core.instance = None;
                if let Some(InCall::Message { counted: false, .. }) = core.in_call.take() {
                    core.wiring.counters.count_unhandled();
                }
                if let Some(correlation_id) = correlation {
                    let _ = core
                        .wiring
                        .tracker
                        .complete(&correlation_id, Err(core.stopped()));
                }
                if let Some(cell) = cell.upgrade() {
                    cell.close_after_panic();
                }
            }
        });
        if call.as_mut().poll(cx).is_pending() {
            self.handover.hand_over(call);
        }
    }
}

impl Handover {
    /// Runs `call` on a task of its own, unless the actor is stopped:
    /// then dropping the call unwinds the guest, and the request's outcome
    /// comes from the tracker (at shutdown).
    fn hand_over(&self, call: Pin<Box<dyn Future<Output = ()> + Send>>) {
        let mut state = self.state();
        if !state.stopped {
            state.call = Some(tokio::spawn(call).abort_handle());
        }
    }

    /// Stops a call handed over, if one runs, and any handed over later.
    fn stop(&self) {
        let mut state = self.state();
        state.stopped = true;
        if let Some(call) = state.call.take() {
            call.abort();
        }
    }

    /// Whether the actor's task has ended (or is being stopped).
    fn is_stopped(&self) -> bool {
        self.state().stopped
    }

    fn state(&self) -> std::sync::MutexGuard<'_, HandoverState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Stops a call handed over by a requester when the actor's task ends.
struct StopHandover(Arc<Handover>);

impl Drop for StopHandover {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl ActorCore {
    fn new(
        id: ComponentId,
        component: LoadedComponent,
        settings: InstanceSettings,
        wiring: ActorWiring,
        generation: u64,
    ) -> Self {
        let recipe = Arc::new(InstanceRecipe {
            id: id.clone(),
            router: Arc::clone(&wiring.router),
            callback_sink: Arc::clone(&wiring.callback_sink),
            settings,
        });
        Self {
            id,
            component,
            recipe,
            versions: Arc::new(Versions::new(generation)),
            instance: None,
            awaiting_first_instance: false,
            wiring,
            restarts: VecDeque::new(),
            in_call: None,
        }
    }

    fn fresh_instance(&self) -> impl Future<Output = Result<Instance, WasmError>> + Send + use<> {
        self.recipe.instantiate(&self.component)
    }

    /// Swaps in the new version waiting, if one still is: between two
    /// calls, with the old instance's requests handed to it.
    fn take_swap(&mut self) {
        let Some(mut swap) = self.versions.take() else {
            return;
        };
        match self.instance.as_mut() {
            // The component's identity is its name: its pending requests'
            // callbacks go to whichever version runs when they arrive.
            Some(old) => old.hand_issued_to(&mut swap.instance),
            // Started lazily, its first instance still to come: this is it.
            None if self.awaiting_first_instance => {}
            None => {
                // Given up: a new version cannot reopen its closed mailbox.
                let _ = swap.done.send(Err(SwapError::Failed));
                return;
            }
        }
        self.install(swap);
    }

    fn install(&mut self, swap: PreparedSwap) {
        let PreparedSwap {
            instance,
            component,
            done,
        } = swap;
        self.instance = Some(instance);
        self.component = component;
        let generation = self.versions.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(component = %self.id, generation, "upgraded");
        self.publish(SupervisionEventKind::Upgraded { generation });
        let _ = done.send(Ok(generation));
    }

    /// One message: call `handle-message`, then capture the return value as
    /// the response or drop it, as the sender chose. The envelope's work
    /// ends when it drops, after the outcome has been handed on.
    async fn on_message(&mut self, envelope: Envelope) -> AfterCall {
        if self.wiring.registry.is_closing() {
            patterns::skip_at_shutdown(
                &*self.wiring.tracker,
                &*self.wiring.registry,
                &self.id,
                envelope,
            );
            return AfterCall::Continue;
        }
        let Envelope {
            sender,
            payload,
            correlation,
            work: _work,
        } = envelope;
        tracing::info!(
            target: "airssys_wasm::flow",
            to = %self.id, from = %sender, correlation = correlation.as_ref().map(CorrelationId::as_str),
            "deliver"
        );
        // Everything the call causes (guest log lines and output, its own
        // sends and requests) is logged inside this span, so one request can
        // be followed through the logs by its correlation id.
        let span = tracing::info_span!(
            "handle_message",
            component = %self.id,
            from = %sender,
            correlation = correlation.as_ref().map(CorrelationId::as_str),
        );
        self.in_call = Some(InCall::Message {
            correlation: correlation.clone(),
            counted: false,
        });
        let (outcome, after) = self
            .handle_message(&sender, &payload, correlation.as_ref())
            .instrument(span)
            .await;
        match &correlation {
            None => patterns::drop_return_value(&self.id, &sender, &outcome),
            Some(correlation_id) => {
                patterns::capture_response(&*self.wiring.tracker, &self.id, correlation_id, outcome)
            }
        }
        self.in_call = None;
        after
    }

    async fn handle_message(
        &mut self,
        sender: &ComponentId,
        payload: &MessagePayload,
        correlation: Option<&CorrelationId>,
    ) -> (RequestOutcome, AfterCall) {
        let Some(instance) = self.instance.as_mut() else {
            return (Err(self.stopped()), AfterCall::GaveUp);
        };
        let answer = instance
            .call_message(sender, payload.as_bytes(), correlation)
            .await;
        if let Some(InCall::Message { counted, .. }) = &mut self.in_call {
            *counted = true;
        }
        let counters = &self.wiring.counters;
        match answer {
            Ok(Ok(response)) => {
                counters.count_handled(CallEnd::Returned);
                let outcome = self.within_payload_limit(response.len(), response);
                (outcome.map(MessagePayload::from), AfterCall::Continue)
            }
            Ok(Err(error)) => {
                counters.count_handled(CallEnd::ReturnedError);
                let responder = self.id.clone();
                let size = error.to_string().len();
                let error = self
                    .within_payload_limit(size, error)
                    .and_then(|error| Err(RequestError::Responder { responder, error }));
                (error, AfterCall::Continue)
            }
            Err(trap) => {
                counters.count_handled(CallEnd::Trapped);
                let error = RequestError::Trapped {
                    responder: self.id.clone(),
                    trap: trap.clone(),
                };
                // Boxed: the supervisor's future (a restart instantiates)
                // is kilobytes, and inline it would be copied with every
                // message's future, trap or not.
                (Err(error), Box::pin(self.after_trap(trap)).await)
            }
        }
    }

    /// The responder's answer, if it fits the payload limit: an answer that
    /// does not is refused here, so it can never trap the requester when
    /// lowered into it. The responder is not faulted for it.
    fn within_payload_limit<T>(&self, size: usize, answer: T) -> Result<T, RequestError> {
        let limit = self.wiring.max_payload_bytes;
        if size <= limit {
            return Ok(answer);
        }
        tracing::warn!(
            component = %self.id, size, limit,
            "answer past the payload limit: the requester gets an error instead"
        );
        Err(RequestError::ResponseTooLarge {
            responder: self.id.clone(),
            size,
            limit,
        })
    }

    /// One outcome of this component's own request: call `handle-callback`.
    async fn on_callback(&mut self, callback: Callback) -> AfterCall {
        let Callback {
            correlation_id,
            outcome,
            work: _work,
            queued: _queued,
            outstanding: _outstanding,
        } = callback;
        let Some(instance) = self.instance.as_mut() else {
            tracing::warn!(
                component = %self.id, correlation = %correlation_id,
                "callback undeliverable: the component has failed"
            );
            self.wiring.counters.count_callback_dropped();
            return AfterCall::GaveUp;
        };
        if !instance.take_issued(&correlation_id) {
            // Made by an instance that has since trapped; this one never
            // issued that id and must not be handed its outcome.
            tracing::warn!(
                component = %self.id, correlation = %correlation_id,
                "callback dropped: the instance that made the request has trapped"
            );
            self.wiring.counters.count_callback_dropped();
            return AfterCall::Continue;
        }
        match &outcome {
            Ok(payload) => tracing::info!(
                target: "airssys_wasm::flow",
                to = %self.id, correlation = %correlation_id, payload = %FlowPayload(payload),
                "callback"
            ),
            Err(error) => tracing::info!(
                target: "airssys_wasm::flow",
                to = %self.id, correlation = %correlation_id, %error,
                "callback"
            ),
        }
        let span = tracing::info_span!(
            "handle_callback",
            component = %self.id,
            correlation = correlation_id.as_str(),
        );
        self.in_call = Some(InCall::Callback);
        let answer = instance
            .call_callback(&correlation_id, &outcome)
            .instrument(span)
            .await;
        self.wiring.counters.count_callback(answer.is_err());
        self.in_call = None;
        match answer {
            Ok(Ok(())) => AfterCall::Continue,
            Ok(Err(error)) => {
                tracing::warn!(
                    component = %self.id, correlation = %correlation_id,
                    %error, "handle-callback returned an error"
                );
                AfterCall::Continue
            }
            // Boxed for the same reason as in `handle_message`.
            Err(trap) => Box::pin(self.after_trap(trap)).await,
        }
    }

    /// The supervisor: report the trap, forget the dead instance's pending
    /// requests, then restart or give up as the policy says.
    async fn after_trap(&mut self, trap: Trap) -> AfterCall {
        self.instance = None;
        tracing::error!(component = %self.id, %trap, "trapped");
        let gave_up_because = match self.wiring.policy {
            RestartPolicy::Never => Some("its restart policy is never".to_owned()),
            RestartPolicy::Limited {
                max_restarts,
                within,
            } => {
                let now = Instant::now();
                while self
                    .restarts
                    .front()
                    .is_some_and(|at| now.duration_since(*at) > within)
                {
                    self.restarts.pop_front();
                }
                (self.restarts_in_window() >= max_restarts).then(|| {
                    format!(
                        "it trapped after {max_restarts} restarts within {} ms; last trap: {trap}",
                        within.as_millis()
                    )
                })
            }
        };
        self.publish(SupervisionEventKind::Trapped { trap });
        let abandoned = self.wiring.tracker.abandon(&self.id);
        self.wiring.outstanding.release(abandoned);
        if abandoned > 0 {
            tracing::warn!(
                component = %self.id, abandoned,
                "pending requests of the trapped instance abandoned: no instance is left to receive their callbacks"
            );
        }

        if let Some(swap) = self.versions.take() {
            // A new version is ready: it takes over instead of a restart of
            // the one that trapped (whose requests were just abandoned).
            self.install(swap);
            return AfterCall::Continue;
        }
        let restart = match gave_up_because {
            None => self.fresh_instance().await.map_err(|error| {
                format!("a fresh instance failed to start: {}", error_chain(&error))
            }),
            Some(why) => Err(why),
        };
        match restart {
            Ok(instance) => {
                self.instance = Some(instance);
                self.restarts.push_back(Instant::now());
                let restarts_in_window = self.restarts_in_window();
                tracing::warn!(
                    component = %self.id, restarts_in_window,
                    "restarted with a fresh instance; its state was lost"
                );
                self.publish(SupervisionEventKind::Restarted { restarts_in_window });
                AfterCall::Continue
            }
            Err(reason) => {
                tracing::error!(component = %self.id, %reason, "gave up: the component is marked failed");
                self.wiring.registry.mark_failed(&self.id, reason.clone());
                self.publish(SupervisionEventKind::GaveUp { reason });
                AfterCall::GaveUp
            }
        }
    }

    fn restarts_in_window(&self) -> u32 {
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
    }

    fn publish(&self, kind: SupervisionEventKind) {
        // No subscriber is fine: the event is in the logs as well.
        let _ = self.wiring.events.send(SupervisionEvent {
            component: self.id.clone(),
            kind,
        });
    }

    fn stopped(&self) -> RequestError {
        RequestError::TargetStopped {
            target: self.id.clone(),
        }
    }
}

/// What every actor of a system shares.
pub(crate) struct SharedWiring {
    pub(crate) router: Arc<ResponseRouter>,
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    pub(crate) registry: Arc<dyn MailboxRegistry>,
    pub(crate) max_payload_bytes: usize,
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// Where lazily started actors are spawned: their first message may
    /// come from a thread outside the runtime.
    pub(crate) runtime: tokio::runtime::Handle,
}

/// A component instantiated on its first message: what its actor needs,
/// kept until then, and afterwards the actor's task.
pub(crate) struct LazyActor {
    id: ComponentId,
    shared: Arc<SharedWiring>,
    state: Mutex<LazyState>,
}

enum LazyState {
    Waiting(Box<LazyRecipe>),
    Started(JoinHandle<()>, UpgradeHandle),
    /// Its task was taken by shutdown.
    Taken,
    /// Being removed or removed: the task's handle, to stop it, if it had
    /// started, and the generation it had.
    Removed(Option<AbortHandle>, u64),
}

struct LazyRecipe {
    component: LoadedComponent,
    settings: InstanceSettings,
    policy: RestartPolicy,
    /// Upgrades before the first message replace `component`.
    generation: u64,
}

impl LazyActor {
    /// `component`, to be started with `settings` on its first message.
    pub(crate) fn new(
        id: ComponentId,
        component: LoadedComponent,
        settings: InstanceSettings,
        policy: RestartPolicy,
        shared: Arc<SharedWiring>,
    ) -> Self {
        let recipe = LazyRecipe {
            component,
            settings,
            policy,
            generation: 1,
        };
        Self {
            id,
            shared,
            state: Mutex::new(LazyState::Waiting(Box::new(recipe))),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LazyState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Before its first message, an upgrade only replaces what it will be
    /// instantiated from: as at start, instantiating it is its first
    /// message's business (a trial instance would run the new version's
    /// start code twice). Afterwards, as for any running component.
    async fn upgrade(&self, component: LoadedComponent) -> Result<u64, SwapError> {
        let cell = match &mut *self.state() {
            LazyState::Waiting(recipe) => {
                component
                    .check_initial_memory(recipe.settings.memory_limit)
                    .map_err(SwapError::Invalid)?;
                recipe.component = component;
                recipe.generation += 1;
                let generation = recipe.generation;
                tracing::info!(component = %self.id, generation, "upgraded before its first message");
                let _ = self.shared.events.send(SupervisionEvent {
                    component: self.id.clone(),
                    kind: SupervisionEventKind::Upgraded { generation },
                });
                return Ok(generation);
            }
            LazyState::Started(_, handle) => handle.cell.upgrade().ok_or(SwapError::Stopped)?,
            LazyState::Taken | LazyState::Removed(..) => return Err(SwapError::Stopped),
        };
        cell.upgrade(component).await
    }

    fn generation(&self) -> u64 {
        match &*self.state() {
            LazyState::Waiting(recipe) => recipe.generation,
            LazyState::Started(_, handle) => handle.versions.generation(),
            LazyState::Taken => 0,
            LazyState::Removed(_, generation) => *generation,
        }
    }

    fn upgrading(&self) -> bool {
        match &*self.state() {
            LazyState::Started(_, handle) => handle.versions.pending(),
            LazyState::Waiting(_) | LazyState::Taken | LazyState::Removed(..) => false,
        }
    }
}

impl LazyStart for LazyActor {
    fn start(&self, receivers: MailboxReceivers) {
        let mut state = self.state();
        if let LazyState::Removed(..) = &*state {
            // Its removal began before this first message was queued: the
            // message gets the outcome of one queued past the drain.
            let (tracker, id) = (Arc::clone(&self.shared.tracker), self.id.clone());
            self.shared.runtime.spawn(async move {
                removal::fail_unstarted(&*tracker, &id, receivers).await;
            });
            return;
        }
        let LazyState::Waiting(recipe) = std::mem::replace(&mut *state, LazyState::Taken) else {
            // Shutdown took the tasks before this first message was queued:
            // it gets the outcome a message skipped at shutdown gets.
            let MailboxReceivers { mut messages, .. } = receivers;
            messages.close();
            while let Ok(envelope) = messages.try_recv() {
                patterns::skip_at_shutdown(
                    &*self.shared.tracker,
                    &*self.shared.registry,
                    &self.id,
                    envelope,
                );
            }
            return;
        };
        let LazyRecipe {
            component,
            settings,
            policy,
            generation,
        } = *recipe;
        let (wiring, queues) = ActorWiring::new(&self.shared, receivers, policy);
        let mut core = ActorCore::new(self.id.clone(), component, settings, wiring, generation);
        core.awaiting_first_instance = true;
        let actor = ComponentActor::new(core, queues, self.shared.runtime.id());
        let handle = UpgradeHandle::of(&actor.cell);
        *state = LazyState::Started(self.shared.runtime.spawn(actor.start_then_run()), handle);
    }
}

impl std::fmt::Debug for LazyActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let started = !matches!(*self.state(), LazyState::Waiting(_));
        f.debug_struct("LazyActor")
            .field("id", &self.id)
            .field("started", &started)
            .finish()
    }
}

/// A component's actor task: running since start, or started (or not yet)
/// by its first message.
pub(crate) enum ActorTask {
    Running(ActorRun),
    Lazy(Arc<LazyActor>),
}

/// A running actor's task, to await or stop: stopping it stops a call a
/// requester handed over too.
pub(crate) struct ActorRun {
    /// Taken once, by shutdown or a removal.
    task: Mutex<Option<JoinHandle<()>>>,
    abort: AbortHandle,
    handover: Option<Arc<Handover>>,
    /// A component's, to upgrade it; a service has none.
    upgrade: Option<UpgradeHandle>,
}

/// An actor's task taken to be awaited (or stopped).
pub(crate) struct TakenRun {
    task: JoinHandle<()>,
    handover: Option<Arc<Handover>>,
}

impl ActorTask {
    /// Runs `actor` on a task of its own.
    pub(crate) fn spawn(actor: ComponentActor) -> Self {
        let handover = Some(Arc::clone(&actor.cell.handover));
        let upgrade = Some(UpgradeHandle::of(&actor.cell));
        Self::Running(ActorRun::new(tokio::spawn(actor.run()), handover, upgrade))
    }

    /// A service's task: it hands no call over.
    pub(crate) fn service(task: JoinHandle<()>) -> Self {
        Self::Running(ActorRun::new(task, None, None))
    }

    /// Whether this is a service: the host application's own code.
    pub(crate) fn is_service(&self) -> bool {
        matches!(self, Self::Running(ActorRun { upgrade: None, .. }))
    }

    /// The task, if the actor was ever started and nobody took it yet. For
    /// shutdown, after the mailboxes are closed, so no actor can start
    /// afterwards; or for a removal.
    pub(crate) fn take(&self) -> Option<TakenRun> {
        match self {
            Self::Running(run) => run.take(),
            Self::Lazy(lazy) => {
                let mut state = lazy.state();
                match std::mem::replace(&mut *state, LazyState::Taken) {
                    // A lazy component offers no inline calls: nothing to hand over.
                    LazyState::Started(task, _) => Some(TakenRun {
                        task,
                        handover: None,
                    }),
                    LazyState::Removed(handle, generation) => {
                        *state = LazyState::Removed(handle, generation);
                        None
                    }
                    LazyState::Waiting(_) | LazyState::Taken => None,
                }
            }
        }
    }

    /// Stops the task now, if there is one, taken or not.
    pub(crate) fn abort(&self) {
        match self {
            Self::Running(run) => {
                run.abort.abort();
                if let Some(handover) = &run.handover {
                    handover.stop();
                }
            }
            Self::Lazy(lazy) => match &*lazy.state() {
                LazyState::Started(task, _) => task.abort(),
                LazyState::Removed(Some(task), _) => task.abort(),
                LazyState::Waiting(_) | LazyState::Taken | LazyState::Removed(None, _) => {}
            },
        }
    }

    /// Why `upgrade` would be refused whatever the new version: a service,
    /// or an actor whose task has ended.
    pub(crate) fn refuses_upgrades(&self) -> Option<SwapError> {
        match self {
            Self::Running(ActorRun { upgrade: None, .. }) => Some(SwapError::NotAComponent),
            Self::Running(ActorRun {
                upgrade: Some(handle),
                ..
            }) if handle.cell.strong_count() == 0 => Some(SwapError::Stopped),
            Self::Running(_) | Self::Lazy(_) => None,
        }
    }

    /// Swaps `component` in as the component's new version; see
    /// [`ActorCell::upgrade`].
    pub(crate) async fn upgrade(&self, component: LoadedComponent) -> Result<u64, SwapError> {
        match self {
            Self::Running(ActorRun {
                upgrade: Some(handle),
                ..
            }) => handle.upgrade(component).await,
            Self::Running(ActorRun { upgrade: None, .. }) => Err(SwapError::NotAComponent),
            Self::Lazy(lazy) => lazy.upgrade(component).await,
        }
    }

    /// 1 for the version it started with, one more per upgrade; 1 for a
    /// service.
    pub(crate) fn generation(&self) -> u64 {
        match self {
            Self::Running(run) => run
                .upgrade
                .as_ref()
                .map_or(1, |handle| handle.versions.generation()),
            Self::Lazy(lazy) => lazy.generation(),
        }
    }

    /// Whether a new version waits for the current call to end.
    pub(crate) fn upgrading(&self) -> bool {
        match self {
            Self::Running(run) => run
                .upgrade
                .as_ref()
                .is_some_and(|handle| handle.versions.pending()),
            Self::Lazy(lazy) => lazy.upgrading(),
        }
    }
}

impl ActorRun {
    fn new(
        task: JoinHandle<()>,
        handover: Option<Arc<Handover>>,
        upgrade: Option<UpgradeHandle>,
    ) -> Self {
        Self {
            abort: task.abort_handle(),
            task: Mutex::new(Some(task)),
            handover,
            upgrade,
        }
    }

    fn take(&self) -> Option<TakenRun> {
        let task = self
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()?;
        Some(TakenRun {
            task,
            handover: self.handover.clone(),
        })
    }
}

impl TakenRun {
    /// Stops the task now, and a call handed over with it: directly, not
    /// when the task is dropped, so that the call is not polled again (on a
    /// system being dropped, its epoch ticks are about to stop).
    pub(crate) fn abort(&self) {
        self.task.abort();
        if let Some(handover) = &self.handover {
            handover.stop();
        }
    }
}

impl Future for TakenRun {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.task).poll(cx).map(drop)
    }
}

/// An error and its sources, one line: `a: b: c`. (The `airssys` binary
/// has its own copy: it sees only the public API.)
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl std::fmt::Debug for ActorWiring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorWiring")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ComponentActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentActor")
            .field("cell", &self.cell)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ActorCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorCell")
            .field("id", &self.id)
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

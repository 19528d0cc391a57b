//! [`System`]: a running system, and the host application's side of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::SupervisionEvent;
use crate::core::messaging::activity::Activity;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::pending::{self, PendingResponse};
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, ReplyTo};
use crate::lattice::Lattice;
use crate::messaging::capability::Grants;
use crate::messaging::correlation::{CorrelationTrackerImpl, TrackerStats};
use crate::messaging::counters::ComponentStats;
use crate::messaging::router::ResponseRouter;
use crate::messaging::subscriber::ComponentSubscriber;
use crate::messaging::timer::TimerHandle;
use crate::runtime::engine::WasmEngine;
use crate::runtime::host_services::LiveInstances;
use crate::system::inbox::HostInbox;
use crate::system::registry::{Entry, Registry};
use crate::system::starter::Starter;

/// A running system of components.
///
/// The host application takes part as the participant `"host"`: it may send
/// to and request from every component, and await the response. Dropping the
/// system stops every component without waiting; [`shutdown`](Self::shutdown)
/// lets in-flight work finish first.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use airssys_wasm::{ComponentSpec, SystemBuilder};
///
/// let system = SystemBuilder::new()
///     .component(ComponentSpec::from_file("pricing", "pricing.wasm"))
///     .start()
///     .await?;
/// let price = system.request("pricing", "sku-42", Duration::from_secs(1))?.await?;
/// println!("{price:?}; {} messages handled", system.stats().messages.handled);
/// let report = system.shutdown(Duration::from_secs(5)).await;
/// assert!(report.aborted.is_empty());
/// # Ok(()) }
/// ```
pub struct System {
    pub(crate) router: Arc<ResponseRouter>,
    /// Who may message whom: checked by the router, changed by
    /// [`System::set_grants`].
    pub(crate) grants: Arc<Grants>,
    pub(crate) tracker: Arc<CorrelationTrackerImpl>,
    pub(crate) subscriber: Arc<ComponentSubscriber>,
    pub(crate) activity: Arc<Activity>,
    /// The components and the host application's services, and their
    /// counters; changed by [`System::add`] and [`System::remove`].
    pub(crate) registry: Arc<Registry>,
    /// Starts the components [`System::add`] adds.
    pub(crate) starter: Starter,
    /// Stops a removed component's timers.
    pub(crate) timers: TimerHandle,
    /// Removals still finishing, awaited by shutdown.
    pub(crate) removals: std::sync::Mutex<Vec<JoinHandle<()>>>,
    /// The built-in services' actors (the timer): stopped with the system,
    /// not listed as its components.
    pub(crate) built_in: Vec<JoinHandle<()>>,
    pub(crate) inbox: Option<HostInbox>,
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// Component instances alive now.
    pub(crate) live: Arc<LiveInstances>,
    /// Compiles upgrades; kept so the epoch thread runs as long as the
    /// system does.
    pub(crate) engine: Arc<WasmEngine>,
    /// Changes to the running system, one at a time.
    pub(crate) changes: tokio::sync::Mutex<()>,
    /// Upgrades refused.
    pub(crate) failed_upgrades: AtomicU64,
    /// This host's membership in a lattice, if it joined one.
    pub(crate) lattice: Option<Arc<Lattice>>,
}

/// What a shutdown left behind.
///
/// ```no_run
/// # async fn demo(system: airssys_wasm::System) {
/// use std::time::Duration;
/// let report = system.shutdown(Duration::from_secs(5)).await;
/// if !report.aborted.is_empty() || report.unhandled > 0 {
///     eprintln!(
///         "stopped while busy: {:?}; {} messages unhandled, {} requests failed",
///         report.aborted, report.unhandled, report.failed_requests
///     );
/// }
/// println!("{} refused over the whole run", report.stats.refused);
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShutdownReport {
    /// Components that finished their queued work and stopped.
    pub stopped: Vec<ComponentId>,
    /// Components still busy at the deadline, stopped without finishing.
    pub aborted: Vec<ComponentId>,
    /// Requests still pending after the drain; each got a
    /// [`RequestError::Shutdown`] outcome.
    pub failed_requests: usize,
    /// Of those outcomes, how many found nobody left to receive them.
    pub undeliverable_outcomes: u64,
    /// Messages never handled: still queued when the mailboxes closed, or
    /// with a component stopped while busy.
    pub unhandled: usize,
    /// The system's counters at the end, the drain included (sends refused
    /// because it was shutting down, requests that timed out meanwhile).
    pub stats: SystemStats,
}

/// Counters of a running system.
///
/// ```no_run
/// # fn demo(system: &airssys_wasm::System) {
/// let stats = system.stats();
/// println!(
///     "{} handled, {} failed, {} refused, {} timed out, {} in flight",
///     stats.messages.handled, stats.messages.failed, stats.refused,
///     stats.requests.timed_out, stats.in_flight
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SystemStats {
    /// Messages and callbacks queued or being handled, plus pending requests.
    pub in_flight: usize,
    /// Bytes of payload those messages and callbacks hold: what the host
    /// holds for components right now.
    pub bytes_in_flight: usize,
    /// The most [`bytes_in_flight`](Self::bytes_in_flight) ever reached.
    pub peak_bytes_in_flight: usize,
    /// Every component's counters added up: messages accepted, handled,
    /// failed, trapped, callbacks delivered.
    pub messages: ComponentStats,
    /// Messages and requests refused at once (capability, size, unknown
    /// target, full mailbox, shutting down); the caller got the error.
    pub refused: u64,
    /// The correlation tracker's counters: pending, timed out, late,
    /// abandoned, undeliverable.
    pub requests: TrackerStats,
    /// Component instances alive now, each with its own store and memory:
    /// every component started with the system, and each
    /// [lazy](crate::ComponentSpec::lazy) one since its first message.
    pub instances: usize,
    /// Components upgraded with [`System::upgrade`].
    pub upgrades: u64,
    /// Upgrades of a component refused; the old version ran on.
    pub failed_upgrades: u64,
    /// Components added with [`System::add`].
    pub components_added: u64,
    /// Components removed with [`System::remove`]; their counters stay in
    /// [`messages`](Self::messages) and their upgrades in
    /// [`upgrades`](Self::upgrades).
    pub components_removed: u64,
}

impl System {
    /// Sends a fire-and-forget message from the host to `target`.
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::MessagingError> {
    /// system.send("audit", "user alice logged in")?;
    /// system.send("audit", vec![0u8, 1, 2])?;
    /// # Ok(()) }
    /// ```
    pub fn send(
        &self,
        target: &str,
        payload: impl Into<MessagePayload>,
    ) -> Result<(), MessagingError> {
        self.router
            .send_to(&ComponentId::host(), target, payload.into())
    }

    /// Sends a request from the host to `target`. The returned future
    /// resolves to the component's response, or to why there is none.
    ///
    /// Refusals (unknown target, full mailbox, oversized payload) are
    /// returned at once, before anything is queued. A zero `timeout` means
    /// the system's default. Await it from a task on the system's runtime:
    /// from a thread outside it, each request pays two thread wake-ups.
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use airssys_wasm::RequestError;
    ///
    /// match system.request("pricing", "sku-42", Duration::from_secs(2))?.await {
    ///     Ok(price) => println!("price: {:?}", price),
    ///     Err(RequestError::TimedOut { .. }) => println!("no answer in time"),
    ///     Err(other) => println!("failed: {other}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn request(
        &self,
        target: &str,
        payload: impl Into<MessagePayload>,
        timeout: Duration,
    ) -> Result<PendingResponse, MessagingError> {
        let (reply_to, response) = ReplyTo::channel();
        let accepted = self.router.request_to(
            &ComponentId::host(),
            target,
            payload.into(),
            pending::timeout_ms(timeout),
            reply_to,
        )?;
        Ok(
            PendingResponse::new(accepted.correlation_id, accepted.target, response)
                .run_inline_with(accepted.inline),
        )
    }

    /// Cancels a pending request the host made; its future then resolves to
    /// [`RequestError::Cancelled`].
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// let pending = system.request("report", "build it", Duration::from_secs(60))?;
    /// system.cancel(pending.correlation_id())?;
    /// assert!(pending.await.is_err());
    /// # Ok(()) }
    /// ```
    pub fn cancel(&self, correlation_id: &CorrelationId) -> Result<(), MessagingError> {
        self.router
            .cancel_request(&ComponentId::host(), correlation_id)
    }

    /// The largest payload a message, request or answer may carry, in
    /// bytes ([`SystemBuilder::max_payload_bytes`](crate::SystemBuilder::max_payload_bytes)).
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) {
    /// let upload = vec![0u8; 4096];
    /// if upload.len() > system.max_payload_bytes() {
    ///     eprintln!("too big to send");
    /// }
    /// # }
    /// ```
    pub fn max_payload_bytes(&self) -> usize {
        self.router.max_payload_bytes()
    }

    /// Takes the host application's inbox, if the builder gave it one with
    /// [`SystemBuilder::host_inbox`](crate::SystemBuilder::host_inbox).
    ///
    /// ```no_run
    /// # async fn demo(mut system: airssys_wasm::System) {
    /// let mut inbox = system.take_inbox().expect("built with host_inbox");
    /// while let Some(message) = inbox.recv().await {
    ///     println!("{} says {:?}", message.sender, message.payload);
    /// }
    /// # }
    /// ```
    pub fn take_inbox(&mut self) -> Option<HostInbox> {
        self.inbox.take()
    }

    /// Supervision events from now on: traps, restarts, components given up.
    ///
    /// ```no_run
    /// # async fn demo(system: airssys_wasm::System) {
    /// let mut events = system.subscribe_events();
    /// tokio::spawn(async move {
    ///     while let Ok(event) = events.recv().await {
    ///         eprintln!("{}: {:?}", event.component, event.kind);
    ///     }
    /// });
    /// # }
    /// ```
    pub fn subscribe_events(&self) -> broadcast::Receiver<SupervisionEvent> {
        self.events.subscribe()
    }

    /// The names of the running components and services.
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) {
    /// for id in system.component_ids() {
    ///     println!("{id}: {:?}", system.component_stats(id.as_str()));
    /// }
    /// # }
    /// ```
    pub fn component_ids(&self) -> Vec<ComponentId> {
        self.registry
            .entries()
            .into_iter()
            .map(|entry| entry.id)
            .collect()
    }

    /// Waits until no message, callback or request is in flight.
    ///
    /// ```no_run
    /// # async fn demo(system: airssys_wasm::System) -> Result<(), airssys_wasm::MessagingError> {
    /// system.send("emitter", "fan this out")?;
    /// system.wait_idle().await; // every listener has handled it
    /// # Ok(()) }
    /// ```
    pub async fn wait_idle(&self) {
        self.activity.wait_idle().await;
    }

    /// The system's counters.
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) {
    /// system.wait_idle().await;
    /// assert_eq!(system.stats().in_flight, 0);
    /// # }
    /// ```
    pub fn stats(&self) -> SystemStats {
        let totals = self.registry.totals();
        SystemStats {
            in_flight: self.activity.in_flight(),
            bytes_in_flight: self.activity.bytes(),
            peak_bytes_in_flight: self.activity.peak_bytes(),
            messages: totals.messages,
            refused: self.router.refused(),
            requests: self.tracker.stats(),
            instances: self.live.count(),
            upgrades: totals.upgrades,
            failed_upgrades: self.failed_upgrades.load(Ordering::Relaxed),
            components_added: totals.added,
            components_removed: totals.removed,
        }
    }

    /// One component's counters, or `None` if no component has that name.
    ///
    /// ```no_run
    /// # async fn demo(system: airssys_wasm::System) {
    /// if let Some(shop) = system.component_stats("shop") {
    ///     println!("shop handled {} and failed {}", shop.handled, shop.failed);
    /// }
    /// # }
    /// ```
    pub fn component_stats(&self, name: &str) -> Option<ComponentStats> {
        self.registry.counters(name)
    }

    /// Shuts down without losing anything silently:
    ///
    /// 1. stops intake (new sends and requests are refused; components may
    ///    still report to the host's inbox) and every timer;
    /// 2. lets queued messages and callbacks finish, until the system is
    ///    idle or `deadline` passes;
    /// 3. fails every request still pending with [`RequestError::Shutdown`],
    ///    delivered to requesters that are still running;
    /// 4. closes every mailbox (messages still queued are skipped and
    ///    counted), gives components a short grace to handle those
    ///    callbacks, and stops the ones still busy.
    ///
    /// The report says what was left.
    ///
    /// ```no_run
    /// # async fn demo(system: airssys_wasm::System) {
    /// use std::time::Duration;
    /// let report = system.shutdown(Duration::from_secs(5)).await;
    /// if !report.aborted.is_empty() || report.failed_requests > 0 {
    ///     eprintln!("left behind: {report:?}");
    /// }
    /// # }
    /// ```
    pub async fn shutdown(mut self, deadline: Duration) -> ShutdownReport {
        self.router.close();
        if let Some(lattice) = &self.lattice {
            lattice.stop_serving();
        }
        // Timers end with the system: none could deliver now, and a pending
        // one would hold the drain until the deadline.
        for task in std::mem::take(&mut self.built_in) {
            task.abort();
        }
        let until = tokio::time::Instant::now() + deadline;
        let _ = tokio::time::timeout_at(until, self.activity.wait_idle()).await;
        // Removals under way end within their own deadlines; past ours,
        // their actors are stopped below with the others.
        let removals = std::mem::take(&mut *self.removals());
        for mut removal in removals {
            if tokio::time::timeout_at(until, &mut removal).await.is_err() {
                removal.abort();
            }
        }

        let undeliverable_before = self.tracker.stats().undeliverable;
        let mut report = ShutdownReport {
            failed_requests: self
                .tracker
                .fail_all(|target| RequestError::Shutdown { target }),
            ..ShutdownReport::default()
        };

        self.subscriber.close_all();
        let grace = (tokio::time::Instant::now() + SHUTDOWN_GRACE).max(until);
        let mut busy = Vec::new();
        let mut cut_off = Vec::new();
        for Entry {
            id, task, removing, ..
        } in self.registry.entries()
        {
            let Some(mut run) = task.take() else {
                if removing {
                    // Its removal was stopped at the deadline above, with
                    // the actor it had taken still running: stopped below.
                    cut_off.push((id, task));
                } else {
                    // Never started (lazy, no message came): nothing to stop.
                    report.stopped.push(id);
                }
                continue;
            };
            match tokio::time::timeout_at(grace, &mut run).await {
                Ok(_) => report.stopped.push(id),
                Err(_) => busy.push((id, run)),
            }
        }
        // Read before the busy actors are stopped: stopping them drops what
        // they hold, and with it its count of work in flight.
        report.unhandled = self.activity.in_flight() + self.subscriber.skipped();
        for (id, task) in cut_off {
            task.abort();
            tracing::warn!(component = %id, "still being removed at the shutdown deadline; stopped");
            report.aborted.push(id);
        }
        for (id, task) in busy {
            task.abort();
            tracing::warn!(component = %id, "still busy at the shutdown deadline; stopped");
            report.aborted.push(id);
        }
        if let Some(lattice) = &self.lattice {
            lattice.leave(LATTICE_LEAVE).await;
        }
        report.undeliverable_outcomes = self.tracker.stats().undeliverable - undeliverable_before;
        report.stats = self.stats();
        tracing::info!(
            target: "airssys_wasm::flow",
            stopped = report.stopped.len(), aborted = report.aborted.len(),
            failed_requests = report.failed_requests, unhandled = report.unhandled,
            "shutdown"
        );
        report
    }
}

impl System {
    /// What this host sees of its lattice; `None` without one.
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) {
    /// let peers = system.lattice_stats().map_or(0, |lattice| lattice.peers);
    /// println!("{peers} other hosts");
    /// # }
    /// ```
    pub fn lattice_stats(&self) -> Option<crate::LatticeStats> {
        self.lattice.as_ref().map(|lattice| lattice.stats())
    }
}

/// How long the last answers and the farewell get to reach the NATS server.
const LATTICE_LEAVE: Duration = Duration::from_secs(1);

/// How long components get, after the mailboxes close, to handle the
/// callbacks that shutdown delivered.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

impl Drop for System {
    fn drop(&mut self) {
        self.router.close();
        self.subscriber.close_all();
        self.subscriber.close_host_inbox();
        for removal in &*self.removals() {
            removal.abort();
        }
        for entry in self.registry.entries() {
            entry.task.abort();
        }
        for task in &self.built_in {
            task.abort();
        }
        self.tracker
            .fail_all(|target| RequestError::Shutdown { target });
    }
}

impl System {
    pub(crate) fn removals(&self) -> std::sync::MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.removals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for System {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("System")
            .field("components", &self.component_ids())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

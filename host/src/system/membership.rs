//! Adding and removing components of a running system: [`System::add`],
//! [`System::remove`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{SupervisionEvent, SupervisionEventKind};
use crate::core::messaging::traits::MailboxRegistry;
use crate::core::runtime::errors::WasmError;
use crate::messaging::counters::ComponentStats;
use crate::messaging::timer::TIMER;
use crate::runtime::actor::{ActorTask, RemovalTarget};
use crate::system::builder::{check_capabilities_of, digest_of, joined_actor};
use crate::system::compile;
use crate::system::errors::{ChangeError, SystemError};
use crate::system::registry::Entry;
use crate::system::running::System;
use crate::system::spec::ComponentSpec;
use crate::system::starter::{Begun, Capabilities, run_actor};

/// What a removal did.
///
/// ```no_run
/// # async fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
/// use std::time::Duration;
/// let removal = system.remove("pricing", Duration::from_secs(5)).await?;
/// if !removal.drained {
///     eprintln!("{} requests failed, {} messages unhandled",
///         removal.failed_requests, removal.unhandled);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Removal {
    /// It handled everything queued before the drain deadline. If not, the
    /// call in flight was stopped at the deadline.
    pub drained: bool,
    /// Messages and requests it accepted and never handled: queued at the
    /// deadline, or in the call stopped there.
    pub unhandled: u64,
    /// Requests to it that got [`RequestError::Removed`](crate::RequestError::Removed)
    /// as their one outcome.
    pub failed_requests: u64,
    /// Its own requests still pending: abandoned, their answers counted as
    /// late when they come.
    pub abandoned_requests: u64,
    /// Outcomes of its requests that were waiting for its
    /// `handle-callback` and were dropped.
    pub dropped_callbacks: u64,
    /// Its counters at the end.
    pub stats: ComponentStats,
}

impl System {
    /// Adds a component to the running system. It is checked as
    /// [`SystemBuilder::start`](crate::SystemBuilder::start) checks it, with
    /// the system's default limits; compiled (through the compile cache)
    /// and, unless lazy, instantiated. Only then is it listed: nobody can
    /// message it before it is up, and a refused or dropped `add` leaves
    /// nothing behind.
    ///
    /// Its grants may name any component or service of the system; grants
    /// *to* it are given with [`set_grants`](Self::set_grants) (or stayed
    /// from a component of the same name removed before).
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
    /// use airssys_wasm::ComponentSpec;
    /// system.add(ComponentSpec::from_file("audit", "audit.wasm").grant("store")).await?;
    /// system.set_grants("api", &["store", "audit"], false)?;
    /// # Ok(()) }
    /// ```
    pub async fn add(&self, spec: ComponentSpec) -> Result<(), ChangeError> {
        let _one_at_a_time = self.changes.lock().await;
        if self.subscriber.is_closing() {
            return Err(ChangeError::ShuttingDown);
        }
        let name = spec.name.clone();
        let invalid_spec = |source: SystemError| ChangeError::InvalidSpec {
            name: name.clone(),
            source,
        };
        if let Some(entry) = self.registry.find(&name) {
            return Err(match entry.removing {
                true => ChangeError::Removing(name),
                false => ChangeError::Exists(name),
            });
        }
        if name.is_empty() || name == ComponentId::HOST || name == TIMER {
            return Err(invalid_spec(SystemError::InvalidName(name.clone())));
        }
        spec.limits.check(Some(&name)).map_err(invalid_spec)?;
        check_capabilities_of(&spec).map_err(invalid_spec)?;
        let targets = spec.grants.iter().map(String::as_str);
        self.check_grant_targets(&name, targets.filter(|target| *target != name))?;

        let digest = match &self.lattice {
            None => None,
            Some(lattice) => {
                let digest = digest_of(&spec.source).await;
                if let Some(host) = lattice.taken_by(&name, &digest) {
                    return Err(ChangeError::TakenInLattice { name, host });
                }
                Some(digest)
            }
        };
        let component = match compile::load_one(&self.engine, &name, spec.source.clone()).await {
            Ok(component) => component,
            Err(WasmError::StartCancelled { .. }) => return Err(ChangeError::ShuttingDown),
            Err(source) => return Err(ChangeError::Invalid { name, source }),
        };
        let capabilities = Capabilities::of(&spec, &self.starter.keyvalue).map_err(invalid_spec)?;
        let invalid = |source| ChangeError::Invalid {
            name: name.clone(),
            source,
        };
        let id = ComponentId::new(&name);
        // Its grants and timers, in place before anyone can message it;
        // taken back if it is not added after all.
        let allow = || {
            let targets = spec.grants.iter().map(ComponentId::new).collect();
            self.grants.set(id.clone(), targets, spec.grant_any);
            self.timers.unfence(&id);
        };
        // No await but the instantiation: a lazy component is registered
        // (reachable) by `begin`, an eager one listed by `run_actor`.
        let (counters, task) = match self.starter.begin(&spec, component, capabilities) {
            Err(error) => return Err(invalid(error)),
            Ok(Begun::Lazy { counters, lazy }) => {
                allow();
                (counters, ActorTask::Lazy(lazy))
            }
            Ok(Begun::Eager {
                counters,
                mailbox,
                start,
            }) => {
                let actor = joined_actor(&id, tokio::spawn(start).await).map_err(invalid)?;
                allow();
                let Some(task) = run_actor(&self.subscriber, mailbox, actor) else {
                    self.grants.remove_sender(&id);
                    self.timers.cancel_owner(&id);
                    return Err(ChangeError::ShuttingDown);
                };
                (counters, task)
            }
        };
        self.registry.add(Entry::new(id.clone(), task, counters));
        if let (Some(lattice), Some(digest)) = (&self.lattice, digest) {
            match lattice.serve(name.clone(), digest).await {
                Ok(()) => lattice.announce(),
                // Added here all the same: reachable locally, not from
                // other hosts; the warning says so.
                Err(error) => {
                    tracing::warn!(component = %id, %error, "added, but not served to the lattice")
                }
            }
        }
        tracing::info!(component = %id, "added");
        let _ = self.events.send(SupervisionEvent {
            component: id,
            kind: SupervisionEventKind::Added,
        });
        Ok(())
    }

    /// Removes a component from the running system:
    ///
    /// 1. from now on, messages and requests to it are refused with
    ///    [`MessagingError::TargetRemoved`](crate::MessagingError::TargetRemoved)
    ///    (and once it is gone, `TargetNotFound`);
    /// 2. it handles what is queued until `drain` has passed; meanwhile it
    ///    may still send and request, and the callbacks of its requests
    ///    that come while it still has messages queued are delivered;
    /// 3. at the deadline, the call in flight is stopped; every request
    ///    still queued or stopped gets exactly one
    ///    [`RequestError::Removed`](crate::RequestError::Removed), and
    ///    every message is counted as [`unhandled`](ComponentStats::unhandled);
    /// 4. its own pending requests are abandoned (their answers count as
    ///    late), its timers stop, its grants go. Grants *to* its name stay.
    ///    (A timer it asked for in its last moments, still queued at the
    ///    timer service when the name is added again, goes to the new
    ///    component.)
    ///
    /// Its counters stay in [`stats`](Self::stats); the name is free again
    /// once the [`Removed`](SupervisionEventKind::Removed) event is out.
    /// Dropping the future does not stop the removal: it finishes on its
    /// own. [`shutdown`](Self::shutdown) waits for it up to its own
    /// deadline; past that, the component is stopped like one still busy
    /// (and listed in the report's `aborted`).
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
    /// use std::time::Duration;
    /// let removal = system.remove("legacy", Duration::from_secs(5)).await?;
    /// println!("removed; {} requests failed", removal.failed_requests);
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, name: &str, drain: Duration) -> Result<Removal, ChangeError> {
        let outcome = {
            let _one_at_a_time = self.changes.lock().await;
            // From now, not from a wait behind another change.
            let until = tokio::time::Instant::now() + drain;
            if self.subscriber.is_closing() {
                return Err(ChangeError::ShuttingDown);
            }
            let Some(entry) = self.registry.find(name) else {
                return Err(ChangeError::UnknownComponent(name.to_owned()));
            };
            if entry.task.is_service() {
                return Err(ChangeError::NotAComponent(name.to_owned()));
            }
            if entry.removing {
                return Err(ChangeError::Removing(name.to_owned()));
            }
            let generation = entry.task.generation();
            self.registry.mark_removing(&entry.id);
            if let Some(lattice) = &self.lattice {
                lattice.withdraw(name);
            }
            let unstarted = self.subscriber.begin_removal(&entry.id);
            let target = entry.task.begin_removal();
            tracing::info!(component = %entry.id, drain_ms = drain.as_millis(), "removing");
            let (done, outcome) = oneshot::channel();
            let finish = self.finish_removal(entry.id, generation, target, until, unstarted, done);
            let mut removals = self.removals();
            removals.retain(|removal| !removal.is_finished());
            removals.push(tokio::spawn(finish));
            outcome
        };
        outcome.await.map_err(|_| ChangeError::ShuttingDown)
    }

    /// The part of a removal that waits: on a task of its own, owning what
    /// it needs, so that it ends even if nobody awaits it.
    fn finish_removal(
        &self,
        id: ComponentId,
        generation: u64,
        target: RemovalTarget,
        until: tokio::time::Instant,
        unstarted: Option<crate::messaging::subscriber::MailboxReceivers>,
        done: oneshot::Sender<Removal>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let tracker = Arc::clone(&self.tracker);
        let timers = self.timers.clone();
        let grants = Arc::clone(&self.grants);
        let subscriber = Arc::clone(&self.subscriber);
        let registry = Arc::clone(&self.registry);
        let events = self.events.clone();
        async move {
            let ended = target.finish(&id, until, &*tracker, unstarted).await;
            // Only now: while it drained, it could still set timers and send.
            timers.cancel_owner(&id);
            grants.remove_sender(&id);
            subscriber.finish_removal(&id);
            let stats = registry.retire(&id, generation).unwrap_or_default();
            let removal = Removal {
                drained: ended.drained,
                unhandled: ended.unhandled,
                failed_requests: ended.failed_requests,
                abandoned_requests: ended.abandoned_requests,
                dropped_callbacks: ended.dropped_callbacks,
                stats,
            };
            tracing::info!(
                component = %id, drained = removal.drained, unhandled = removal.unhandled,
                failed_requests = removal.failed_requests, "removed"
            );
            let _ = events.send(SupervisionEvent {
                component: id,
                kind: SupervisionEventKind::Removed {
                    drained: removal.drained,
                    unhandled: removal.unhandled,
                    failed_requests: removal.failed_requests,
                },
            });
            // Nobody awaiting it any more is fine: the event says it.
            let _ = done.send(removal);
        }
    }
}

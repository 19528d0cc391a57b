//! Changing a running system: [`System::upgrade`], [`System::set_grants`].

use std::sync::atomic::Ordering;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{SupervisionEvent, SupervisionEventKind};
use crate::core::messaging::traits::MailboxRegistry;
use crate::core::runtime::errors::WasmError;
use crate::messaging::timer::TIMER;
use crate::runtime::actor::{SwapError, error_chain};
use crate::system::builder::digest_of;
use crate::system::compile;
use crate::system::errors::ChangeError;
use crate::system::registry::Entry;
use crate::system::running::System;
use crate::system::spec::WasmSource;

/// What an upgrade did.
///
/// ```no_run
/// # async fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
/// use airssys_wasm::WasmSource;
/// let upgrade = system.upgrade("pricing", WasmSource::File("pricing.wasm".into())).await?;
/// assert!(upgrade.generation >= 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Upgrade {
    /// The component's generation now: 1 for the version it started with,
    /// one more per upgrade.
    pub generation: u64,
}

impl System {
    /// Replaces component `name`'s code with `source`, without stopping it
    /// or losing a message.
    ///
    /// The new version is compiled and instantiated first; if that fails,
    /// nothing changes and the old version runs on. Then it takes over
    /// between two calls:
    ///
    /// - a call in flight finishes on the old instance;
    /// - every message and callback still queued goes to the new one;
    /// - the callbacks of requests the old instance made go to the new one:
    ///   a component's identity is its name, and its grants, mailbox,
    ///   counters and restart window stay with it;
    /// - the new instance starts with fresh memory: whatever state the old
    ///   one held in memory is gone (keep state that must survive in
    ///   `wasi:keyvalue`).
    ///
    /// The new version's start code (if it has any) runs when it is
    /// instantiated, before the swap, while the old version still handles
    /// messages. If the old version traps while the new one waits, the new
    /// one takes over instead of a restart; any later restart instantiates
    /// the new version.
    ///
    /// A component started [lazily](crate::ComponentSpec::lazy) and not yet
    /// instantiated is treated as at start: the new version is compiled,
    /// linked and checked against its memory limit now, and instantiated on
    /// the first message (whose error outcome a failure then is).
    ///
    /// Upgrades run one at a time, so one waiting for a long call delays
    /// the next. Dropping the future before the swap leaves the old version
    /// in place. An upgrade made publishes
    /// [`Upgraded`](crate::SupervisionEventKind::Upgraded); one refused for
    /// a component of the system publishes
    /// [`UpgradeFailed`](crate::SupervisionEventKind::UpgradeFailed) and
    /// counts in [`SystemStats::failed_upgrades`](crate::SystemStats::failed_upgrades).
    ///
    /// ```no_run
    /// # async fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
    /// use airssys_wasm::WasmSource;
    ///
    /// let bytes = std::fs::read("pricing-v2.wasm").expect("built");
    /// let upgrade = system.upgrade("pricing", WasmSource::Bytes(bytes.into())).await?;
    /// println!("pricing at generation {}", upgrade.generation);
    /// # Ok(()) }
    /// ```
    pub async fn upgrade(&self, name: &str, source: WasmSource) -> Result<Upgrade, ChangeError> {
        let _one_at_a_time = self.changes.lock().await;
        if self.subscriber.is_closing() {
            return Err(ChangeError::ShuttingDown);
        }
        let Some(Entry {
            id, task, removing, ..
        }) = self.registry.find(name)
        else {
            return Err(ChangeError::UnknownComponent(name.to_owned()));
        };
        if removing {
            return Err(ChangeError::Removing(name.to_owned()));
        }
        // A failed component's task has ended too: say which it is.
        let refusal = match self.subscriber.has_failed(name) {
            true => Some(SwapError::Failed),
            false => task.refuses_upgrades(),
        };
        // What this host announces of it changes with its wasm.
        let digest = match &self.lattice {
            Some(_) => Some(digest_of(&source).await),
            None => None,
        };
        let swapped = match refusal {
            Some(refused) => Err(refused),
            None => match compile::load_one(&self.engine, name, source).await {
                Ok(component) => task.upgrade(component).await,
                // Only a runtime shutting down cancels a blocking job.
                Err(WasmError::StartCancelled { .. }) => Err(SwapError::Stopped),
                Err(error) => Err(SwapError::Invalid(error)),
            },
        };
        let error = match swapped {
            Ok(generation) => {
                if let (Some(lattice), Some(digest)) = (&self.lattice, digest) {
                    lattice.redigest(name, digest);
                }
                return Ok(Upgrade { generation });
            }
            Err(SwapError::Invalid(source)) => ChangeError::Invalid {
                name: name.to_owned(),
                source,
            },
            Err(SwapError::Failed) => ChangeError::ComponentFailed(name.to_owned()),
            Err(SwapError::Stopped) => ChangeError::ShuttingDown,
            Err(SwapError::NotAComponent) => ChangeError::NotAComponent(name.to_owned()),
        };
        self.upgrade_refused(&id, &error);
        Err(error)
    }

    /// Replaces what component `sender` may message: exactly `targets`
    /// (components and services of this system, `"host"` for the host's
    /// inbox, `"timer"`), or every target with `any`. Deny by default still
    /// holds: an empty list and `false` reach nobody. It applies from the
    /// next send or request; what was already accepted is delivered, and a
    /// repeating timer the component already scheduled keeps its target
    /// (the timer service checks grants when a timer is scheduled).
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::ChangeError> {
    /// // shop may now reach warehouse and billing, and nothing else.
    /// system.set_grants("shop", &["warehouse", "billing"], false)?;
    /// # Ok(()) }
    /// ```
    pub fn set_grants(&self, sender: &str, targets: &[&str], any: bool) -> Result<(), ChangeError> {
        let Some(Entry {
            id, task, removing, ..
        }) = self.registry.find(sender)
        else {
            return Err(ChangeError::UnknownComponent(sender.to_owned()));
        };
        if task.is_service() {
            return Err(ChangeError::NotAComponent(sender.to_owned()));
        }
        if removing {
            return Err(ChangeError::Removing(sender.to_owned()));
        }
        self.check_grant_targets(sender, targets.iter().copied())?;
        tracing::info!(component = %id, ?targets, any, "grants changed");
        let targets = targets.iter().map(ComponentId::new).collect();
        self.grants.set(id.clone(), targets, any);
        // Other hosts check a sender's grants as its host announces them.
        if let Some(lattice) = &self.lattice {
            lattice.announce();
        }
        Ok(())
    }

    /// Each of `targets` is a component or service of this system (one being
    /// removed included: grants to a name stay), or `host` or `timer`.
    pub(crate) fn check_grant_targets<'a>(
        &self,
        sender: &str,
        mut targets: impl Iterator<Item = &'a str>,
    ) -> Result<(), ChangeError> {
        let reserved = |target: &str| target == ComponentId::HOST || target == TIMER;
        // With a lattice, a name may run on another host (now or later).
        if self.lattice.is_some() {
            return Ok(());
        }
        match targets.find(|target| !self.registry.contains(target) && !reserved(target)) {
            Some(unknown) => Err(ChangeError::UnknownGrant {
                sender: sender.to_owned(),
                target: unknown.to_owned(),
            }),
            None => Ok(()),
        }
    }

    fn upgrade_refused(&self, id: &ComponentId, error: &ChangeError) {
        self.failed_upgrades.fetch_add(1, Ordering::Relaxed);
        let reason = error_chain(error);
        tracing::warn!(component = %id, %reason, "upgrade refused");
        // No subscriber is fine: the refusal is in the logs as well.
        let _ = self.events.send(SupervisionEvent {
            component: id.clone(),
            kind: SupervisionEventKind::UpgradeFailed { reason },
        });
    }
}

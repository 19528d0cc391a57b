//! [`ComponentStatus`]: what each component of a running system is doing.

use crate::core::component::id::ComponentId;
use crate::messaging::counters::ComponentStats;
use crate::messaging::subscriber::SlotState;
use crate::system::running::System;

/// One component or service of a running system, as
/// [`System::status`] sees it.
///
/// ```no_run
/// # fn demo(system: &airssys_wasm::System) {
/// for component in system.status() {
///     println!(
///         "{} generation {}{}: {} handled",
///         component.name,
///         component.generation,
///         if component.upgrading { " (upgrading)" } else { "" },
///         component.stats.handled
///     );
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComponentStatus {
    /// Its name.
    pub name: ComponentId,
    /// 1 for the version it started with, one more per
    /// [upgrade](System::upgrade); 1 for a service.
    pub generation: u64,
    /// A new version is instantiated and waits for the current call to
    /// end.
    pub upgrading: bool,
    /// Running, waiting for its first message, failed, or being
    /// [removed](System::remove): then it takes no new messages and
    /// finishes what it has queued.
    pub state: ComponentState,
    /// Messages and requests waiting in its mailbox now.
    pub queued: usize,
    /// Its own requests outstanding now: pending, or answered and waiting
    /// for its `handle-callback`.
    pub pending_requests: usize,
    /// Its counters.
    pub stats: ComponentStats,
}

/// What a component is doing, as [`System::status`] reports it.
///
/// ```
/// use airssys_wasm::ComponentState;
/// assert_eq!(ComponentState::Failed.to_string(), "failed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComponentState {
    /// Instantiated and taking messages (every service is).
    Running,
    /// [Lazy](crate::ComponentSpec::lazy): instantiated on its first
    /// message, which has not come yet.
    NotStarted,
    /// Its supervisor gave up on it; it takes no messages.
    Failed,
    /// Being [removed](System::remove).
    Removing,
}

impl std::fmt::Display for ComponentState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Running => "running",
            Self::NotStarted => "not-started",
            Self::Failed => "failed",
            Self::Removing => "removing",
        })
    }
}

impl System {
    /// Every component, in the order the builder was given them, then those
    /// [added](System::add) since, then every service. A component being
    /// removed is listed until its removal ends.
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) {
    /// let upgrading: Vec<_> = system
    ///     .status()
    ///     .into_iter()
    ///     .filter(|component| component.upgrading)
    ///     .map(|component| component.name)
    ///     .collect();
    /// println!("waiting for a call to end: {upgrading:?}");
    /// # }
    /// ```
    pub fn status(&self) -> Vec<ComponentStatus> {
        self.registry
            .entries()
            .into_iter()
            .map(|entry| {
                let view = self.subscriber.view(entry.id.as_str());
                let state = match view.state {
                    _ if entry.removing => ComponentState::Removing,
                    SlotState::Lazy => ComponentState::NotStarted,
                    SlotState::Failed => ComponentState::Failed,
                    SlotState::Open | SlotState::Removing | SlotState::Absent => {
                        ComponentState::Running
                    }
                };
                ComponentStatus {
                    generation: entry.task.generation(),
                    upgrading: entry.task.upgrading(),
                    state,
                    queued: view.queued,
                    pending_requests: view.outstanding,
                    stats: entry.counters.snapshot(),
                    name: entry.id,
                }
            })
            .collect()
    }
}

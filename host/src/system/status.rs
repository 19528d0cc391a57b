//! [`ComponentStatus`]: what each component of a running system is doing.

use crate::core::component::id::ComponentId;
use crate::messaging::counters::ComponentStats;
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
    /// Its [removal](System::remove) has begun: it takes no new messages
    /// and finishes what it has queued.
    pub removing: bool,
    /// Its counters.
    pub stats: ComponentStats,
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
            .map(|entry| ComponentStatus {
                generation: entry.task.generation(),
                upgrading: entry.task.upgrading(),
                removing: entry.removing,
                stats: entry.counters.snapshot(),
                name: entry.id,
            })
            .collect()
    }
}

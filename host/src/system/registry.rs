//! [`Registry`]: the running system's components and services, which
//! change as components are added and removed.

use std::sync::{Arc, RwLock};

use crate::core::component::id::ComponentId;
use crate::messaging::counters::{ComponentCounters, ComponentStats};
use crate::runtime::actor::ActorTask;

/// The components (in start order, then as added) and services, and the
/// counters of those removed. Never locked across an await.
pub(crate) struct Registry {
    inner: RwLock<Inner>,
}

struct Inner {
    entries: Vec<Entry>,
    /// The built-in timer's: counted in the totals, not listed.
    timer: Arc<ComponentCounters>,
    /// Removed components' final counters, so totals never go down.
    retired: ComponentStats,
    /// Their upgrades: the sum of their generations less one each.
    retired_upgrades: u64,
    added: u64,
    removed: u64,
}

/// One component or service.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) id: ComponentId,
    pub(crate) task: Arc<ActorTask>,
    pub(crate) counters: Arc<ComponentCounters>,
    /// Its removal has begun.
    pub(crate) removing: bool,
}

/// The system's totals.
pub(crate) struct Totals {
    pub(crate) messages: ComponentStats,
    pub(crate) upgrades: u64,
    pub(crate) added: u64,
    pub(crate) removed: u64,
}

impl Entry {
    /// A component or service just started.
    pub(crate) fn new(id: ComponentId, task: ActorTask, counters: Arc<ComponentCounters>) -> Self {
        Self {
            id,
            task: Arc::new(task),
            counters,
            removing: false,
        }
    }
}

impl Registry {
    /// The system as started: `entries` (components, then services) and
    /// the timer's counters.
    pub(crate) fn new(entries: Vec<Entry>, timer: Arc<ComponentCounters>) -> Self {
        let inner = Inner {
            entries,
            timer,
            retired: ComponentStats::default(),
            retired_upgrades: 0,
            added: 0,
            removed: 0,
        };
        Self {
            inner: RwLock::new(inner),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every entry, in order (removing ones included).
    pub(crate) fn entries(&self) -> Vec<Entry> {
        self.read().entries.clone()
    }

    /// The entry named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<Entry> {
        let inner = self.read();
        inner
            .entries
            .iter()
            .find(|entry| entry.id.as_str() == name)
            .cloned()
    }

    /// Whether `name` is a component or service.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.read()
            .entries
            .iter()
            .any(|entry| entry.id.as_str() == name)
    }

    /// The counters of `name`, the built-in timer's included.
    pub(crate) fn counters(&self, name: &str) -> Option<ComponentStats> {
        let inner = self.read();
        if let Some(entry) = inner.entries.iter().find(|entry| entry.id.as_str() == name) {
            return Some(entry.counters.snapshot());
        }
        (name == crate::messaging::timer::TIMER).then(|| inner.timer.snapshot())
    }

    /// The system's totals, removed components included.
    pub(crate) fn totals(&self) -> Totals {
        let inner = self.read();
        let live = inner.entries.iter().map(|entry| entry.counters.snapshot());
        let upgrades: u64 = inner
            .entries
            .iter()
            .map(|entry| entry.task.generation().saturating_sub(1))
            .sum();
        Totals {
            messages: live.sum::<ComponentStats>() + inner.retired + inner.timer.snapshot(),
            upgrades: upgrades + inner.retired_upgrades,
            added: inner.added,
            removed: inner.removed,
        }
    }

    /// Adds a component, after the other components and before the
    /// services.
    pub(crate) fn add(&self, entry: Entry) {
        let mut inner = self.write();
        let at = inner
            .entries
            .iter()
            .position(|entry| entry.task.is_service())
            .unwrap_or(inner.entries.len());
        inner.entries.insert(at, entry);
        inner.added += 1;
    }

    /// Marks `id` as being removed.
    pub(crate) fn mark_removing(&self, id: &ComponentId) {
        let mut inner = self.write();
        if let Some(entry) = inner.entries.iter_mut().find(|entry| entry.id == *id) {
            entry.removing = true;
        }
    }

    /// Forgets `id`, keeping its counters and upgrades in the totals;
    /// `generation` is its last. Returns its final counters.
    pub(crate) fn retire(&self, id: &ComponentId, generation: u64) -> Option<ComponentStats> {
        let mut inner = self.write();
        let at = inner.entries.iter().position(|entry| entry.id == *id)?;
        let entry = inner.entries.remove(at);
        let mut last = entry.counters.snapshot();
        // What it holds is gone with it.
        last.waiting_callback_bytes = 0;
        inner.retired = inner.retired + last;
        inner.retired_upgrades += generation.saturating_sub(1);
        inner.removed += 1;
        Some(last)
    }
}

//! [`ComponentCounters`]: what happened to one component's messages,
//! counted as it happens and read as [`ComponentStats`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::core::messaging::activity::ByteBudget;

/// Live counters of one component. Each is written by one place (its
/// mailbox or its actor), so they cost one uncontended atomic add.
#[derive(Debug)]
pub(crate) struct ComponentCounters {
    accepted: AtomicU64,
    handled: AtomicU64,
    failed: AtomicU64,
    trapped: AtomicU64,
    callbacks: AtomicU64,
    callbacks_dropped: AtomicU64,
    unhandled: AtomicU64,
    /// The bytes of outcomes waiting in its callback queue, read live.
    waiting_callbacks: Arc<ByteBudget>,
}

/// A snapshot of one component's counters (or their sum over a system).
///
/// ```
/// use airssys_wasm::ComponentStats;
///
/// let a = ComponentStats { handled: 3, failed: 1, ..Default::default() };
/// let b = ComponentStats { handled: 2, trapped: 1, ..Default::default() };
/// let total: ComponentStats = [a, b].into_iter().sum();
/// assert_eq!((total.handled, total.failed, total.trapped), (5, 1, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ComponentStats {
    /// Messages and requests accepted into its mailbox.
    pub accepted: u64,
    /// `handle-message` calls that returned a value.
    pub handled: u64,
    /// `handle-message` calls that returned an error.
    pub failed: u64,
    /// Calls (`handle-message` or `handle-callback`) that trapped.
    pub trapped: u64,
    /// Request outcomes delivered to its `handle-callback`.
    pub callbacks: u64,
    /// Outcomes it never saw: of requests a trapped instance made, which
    /// reached its fresh instance (which never made them), or still queued
    /// when the component failed for good. Dropped, not handed on.
    pub callbacks_dropped: u64,
    /// Messages and requests accepted and never handed to `handle-message`:
    /// still queued (or cut off mid-call) when the component was removed,
    /// or queued when it failed for good. For a component whose callbacks
    /// never trap, `accepted == handled + failed + trapped + unhandled`
    /// once it is idle.
    pub unhandled: u64,
    /// Bytes of outcomes waiting for its `handle-callback` now (summed over
    /// components in [`SystemStats`](crate::SystemStats)).
    pub waiting_callback_bytes: u64,
}

impl ComponentCounters {
    /// Counters at zero for a component whose callback queue is
    /// `waiting_callbacks`.
    pub(crate) fn new(waiting_callbacks: Arc<ByteBudget>) -> Self {
        Self {
            accepted: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            trapped: AtomicU64::new(0),
            callbacks: AtomicU64::new(0),
            callbacks_dropped: AtomicU64::new(0),
            unhandled: AtomicU64::new(0),
            waiting_callbacks,
        }
    }

    /// Counts a message or request queued in the mailbox.
    pub(crate) fn count_accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a `handle-message` call by how it ended.
    pub(crate) fn count_handled(&self, ended: CallEnd) {
        let counter = match ended {
            CallEnd::Returned => &self.handled,
            CallEnd::ReturnedError => &self.failed,
            CallEnd::Trapped => &self.trapped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an outcome delivered to `handle-callback`, and whether that
    /// call trapped.
    pub(crate) fn count_callback(&self, trapped: bool) {
        self.callbacks.fetch_add(1, Ordering::Relaxed);
        if trapped {
            self.trapped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an outcome dropped because a trapped instance made its request.
    pub(crate) fn count_callback_dropped(&self) {
        self.callbacks_dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a message accepted that will never be handled.
    pub(crate) fn count_unhandled(&self) {
        self.unhandled.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub(crate) fn snapshot(&self) -> ComponentStats {
        ComponentStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            handled: self.handled.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            trapped: self.trapped.load(Ordering::Relaxed),
            callbacks: self.callbacks.load(Ordering::Relaxed),
            callbacks_dropped: self.callbacks_dropped.load(Ordering::Relaxed),
            unhandled: self.unhandled.load(Ordering::Relaxed),
            waiting_callback_bytes: self.waiting_callbacks.used() as u64,
        }
    }
}

/// How a `handle-message` call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallEnd {
    /// It returned a value.
    Returned,
    /// It returned a `component-error`.
    ReturnedError,
    /// It trapped.
    Trapped,
}

impl std::ops::Add for ComponentStats {
    type Output = Self;

    fn add(self, other: Self) -> Self {
        Self {
            accepted: self.accepted + other.accepted,
            handled: self.handled + other.handled,
            failed: self.failed + other.failed,
            trapped: self.trapped + other.trapped,
            callbacks: self.callbacks + other.callbacks,
            callbacks_dropped: self.callbacks_dropped + other.callbacks_dropped,
            unhandled: self.unhandled + other.unhandled,
            waiting_callback_bytes: self.waiting_callback_bytes + other.waiting_callback_bytes,
        }
    }
}

impl std::iter::Sum for ComponentStats {
    fn sum<I: Iterator<Item = Self>>(stats: I) -> Self {
        stats.fold(Self::default(), |sum, one| sum + one)
    }
}

//! [`Activity`]: how much work is still in flight.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts the work the system still has to do: messages and callbacks queued
/// or being handled, and requests waiting for their outcome.
///
/// When the count reaches zero the system is idle: nothing more will happen
/// unless someone sends. `airssys run` uses this to end a demo.
#[derive(Debug, Default)]
pub struct Activity {
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Activity {
    /// Creates a counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// One more unit of work has started.
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    /// One unit of work has finished.
    pub fn end(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Units of work not yet finished.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Waits until no work is left.
    pub async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.in_flight() == 0 {
                return;
            }
            idle.await;
        }
    }
}

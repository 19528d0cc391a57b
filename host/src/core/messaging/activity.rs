//! [`Activity`]: how much work is still in flight, counted by guards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts the work the system still has to do: messages and callbacks queued
/// or being handled, and requests waiting for their outcome.
///
/// Each unit of work is a [`Work`] guard, carried by what it counts (the
/// envelope, the callback, the pending request) and ended when that is
/// dropped, so no path can forget to end it. When the count reaches zero the
/// system is idle: nothing more will happen unless someone sends.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    idle: Notify,
}

/// One unit of work in flight; dropping it ends the work.
#[derive(Debug)]
pub(crate) struct Work(Arc<Activity>);

impl Activity {
    /// One more unit of work has started; it ends when the guard drops.
    pub(crate) fn begin(self: &Arc<Self>) -> Work {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Work(Arc::clone(self))
    }

    /// Units of work not yet finished.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Waits until no work is left.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.in_flight() == 0 {
                return;
            }
            idle.await;
        }
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work ends when its guard drops, wherever that happens, and the last
    /// one wakes `wait_idle`.
    #[tokio::test]
    async fn guards_end_work_when_dropped() {
        let activity = Arc::new(Activity::default());
        let first = activity.begin();
        let second = activity.begin();
        assert_eq!(activity.in_flight(), 2);
        drop(first);
        tokio::spawn(async move { drop(second) });
        activity.wait_idle().await;
        assert_eq!(activity.in_flight(), 0);
    }
}

//! [`Activity`]: how much work is still in flight, counted by guards.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts the work the system still has to do: messages and callbacks queued
/// or being handled, and requests waiting for their outcome; and the bytes
/// of payload that work holds.
///
/// Each unit of work is a [`Work`] guard, carried by what it counts (the
/// envelope, the callback, the pending request) and ended when that is
/// dropped, so no path can forget to end it. When the count reaches zero the
/// system is idle: nothing more will happen unless someone sends.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    in_flight: AtomicUsize,
    bytes: AtomicUsize,
    peak_bytes: AtomicUsize,
    idle: Notify,
}

/// One unit of work in flight, holding `bytes` of payload; dropping it ends
/// the work.
#[derive(Debug)]
pub(crate) struct Work {
    activity: Arc<Activity>,
    bytes: usize,
}

impl Activity {
    /// One more unit of work, holding `bytes` of payload, has started; it
    /// ends when the guard drops.
    pub(crate) fn begin(self: &Arc<Self>, bytes: usize) -> Work {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        if bytes > 0 {
            let now = self.bytes.fetch_add(bytes, Ordering::AcqRel) + bytes;
            self.peak_bytes.fetch_max(now, Ordering::AcqRel);
        }
        Work {
            activity: Arc::clone(self),
            bytes,
        }
    }

    /// Units of work not yet finished.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Bytes of payload the unfinished work holds.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// The most bytes of payload work in flight ever held at once.
    pub(crate) fn peak_bytes(&self) -> usize {
        self.peak_bytes.load(Ordering::Acquire)
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
        let activity = &self.activity;
        if self.bytes > 0 {
            activity.bytes.fetch_sub(self.bytes, Ordering::AcqRel);
        }
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            activity.idle.notify_waiters();
        }
    }
}

/// Bytes (and items) a queue holds, against its byte limit. Whoever admits
/// something checks [`used`](Self::used) first; what waits holds a
/// [`Reservation`] that gives its bytes back when dropped.
#[derive(Debug)]
pub(crate) struct ByteBudget {
    used: AtomicUsize,
    items: AtomicUsize,
    limit: usize,
}

/// Bytes of one [`ByteBudget`] held by one queued item.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<ByteBudget>,
    bytes: usize,
}

impl ByteBudget {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            used: AtomicUsize::new(0),
            items: AtomicUsize::new(0),
            limit,
        }
    }

    /// Items waiting now.
    pub(crate) fn items(&self) -> usize {
        self.items.load(Ordering::Acquire)
    }

    /// Bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// The limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Holds `bytes` until the reservation drops.
    pub(crate) fn reserve(self: &Arc<Self>, bytes: usize) -> Reservation {
        self.items.fetch_add(1, Ordering::AcqRel);
        self.used.fetch_add(bytes, Ordering::AcqRel);
        Reservation {
            budget: Arc::clone(self),
            bytes,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
        self.budget.items.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work ends when its guard drops, wherever that happens, and the last
    /// one wakes `wait_idle`; its bytes count while it lives, and the peak
    /// stays.
    #[tokio::test]
    async fn guards_end_work_when_dropped() {
        let activity = Arc::new(Activity::default());
        let first = activity.begin(10);
        let second = activity.begin(5);
        assert_eq!((activity.in_flight(), activity.bytes()), (2, 15));
        drop(first);
        assert_eq!(activity.bytes(), 5);
        tokio::spawn(async move { drop(second) });
        activity.wait_idle().await;
        assert_eq!((activity.in_flight(), activity.bytes()), (0, 0));
        assert_eq!(activity.peak_bytes(), 15);
    }
}

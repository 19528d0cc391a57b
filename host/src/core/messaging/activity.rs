//! Accounting by guards: [`Activity`] (how much work is still in flight),
//! [`ByteBudget`] (what a queue holds) and [`Outstanding`] (a component's
//! requests not yet seen through).

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
            // Read first: a new peak is rare, a write per message is not.
            if now > self.peak_bytes.load(Ordering::Acquire) {
                self.peak_bytes.fetch_max(now, Ordering::AcqRel);
            }
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

/// Bytes a queue holds, against its limit. What waits holds a
/// [`Reservation`] that gives its bytes back when dropped.
#[derive(Debug)]
pub(crate) struct ByteBudget {
    used: AtomicUsize,
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
            limit,
        }
    }

    /// Bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// The limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Holds `bytes` until the reservation drops, if they fit the limit;
    /// an empty queue takes anything, so one item larger than the limit is
    /// not refused for ever. The check and the hold are one step, so
    /// reservations made at once cannot pass the limit together.
    pub(crate) fn try_reserve(self: &Arc<Self>, bytes: usize) -> Option<Reservation> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                let fits = used == 0 || used.saturating_add(bytes) <= self.limit;
                fits.then(|| used.saturating_add(bytes))
            })
            .ok()?;
        Some(Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }

    /// Holds `bytes` until the reservation drops, limit or not: for what
    /// must be queued anyway and is small.
    pub(crate) fn reserve(self: &Arc<Self>, bytes: usize) -> Reservation {
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
    }
}

/// The requests one component has outstanding: accepted, and neither
/// handled in its `handle-callback`, nor cancelled, nor abandoned with its
/// instance. One number, taken and given back one at a time, so the cap on
/// it never counts a request twice or misses one in transit.
#[derive(Debug, Default)]
pub(crate) struct Outstanding(AtomicUsize);

/// One outstanding request; dropping it gives its place back. Its outcome's
/// callback carries it, so the place is held until the component has seen
/// the outcome.
#[derive(Debug)]
pub(crate) struct OutstandingRequest(Arc<Outstanding>);

impl Outstanding {
    /// Takes a place if fewer than `limit` are taken; the caller gives it
    /// back with [`release`](Self::release) or hands it on as an
    /// [`OutstandingRequest`].
    pub(crate) fn try_take(&self, limit: usize) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < limit).then_some(taken + 1)
            })
            .is_ok()
    }

    /// Gives back `places` taken for requests that ended without an outcome
    /// to hand on (cancelled, refused after all, abandoned).
    pub(crate) fn release(&self, places: usize) {
        let before = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                Some(taken.saturating_sub(places))
            })
            .unwrap_or_else(|taken| taken);
        debug_assert!(before >= places, "gave back more places than taken");
    }

    /// The place of a request whose outcome is being handed on.
    pub(crate) fn handed_on(self: &Arc<Self>) -> OutstandingRequest {
        OutstandingRequest(Arc::clone(self))
    }

    /// Places taken now.
    pub(crate) fn taken(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

impl Drop for OutstandingRequest {
    fn drop(&mut self) {
        self.0.release(1);
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

    /// A full budget refuses, an empty one takes anything, and dropped
    /// reservations give their bytes back.
    #[test]
    fn byte_budget_holds_to_its_limit() {
        let budget = Arc::new(ByteBudget::new(10));
        let big = budget
            .try_reserve(25)
            .expect("an empty queue takes anything");
        assert!(budget.try_reserve(1).is_none());
        drop(big);
        let six = budget.try_reserve(6).unwrap();
        assert!(budget.try_reserve(5).is_none());
        let four = budget.try_reserve(4).unwrap();
        assert_eq!(budget.used(), 10);
        drop((six, four));
        assert_eq!(budget.used(), 0);
    }

    /// Places are taken up to the limit and come back when released or
    /// when a handed-on request drops.
    #[test]
    fn outstanding_places_are_taken_and_given_back() {
        let outstanding = Arc::new(Outstanding::default());
        assert!(outstanding.try_take(2) && outstanding.try_take(2));
        assert!(!outstanding.try_take(2));
        let handed_on = outstanding.handed_on();
        outstanding.release(1);
        assert_eq!(outstanding.taken(), 1);
        drop(handed_on);
        assert_eq!(outstanding.taken(), 0);
    }
}

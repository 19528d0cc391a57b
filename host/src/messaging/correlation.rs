//! [`CorrelationTrackerImpl`]: pending requests, their deadlines and their single timer.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::core::component::id::ComponentId;
use crate::core::messaging::activity::{Activity, Work};
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::traits::{CorrelationTracker, PendingRequest};

/// Keeps pending requests and their deadlines.
///
/// One map holds the pending entries; one ordered map of deadlines feeds a
/// single timer task, which sleeps until the earliest deadline. There is no
/// task or timer per request. Every way out of the pending map (response,
/// timeout, cancel, shutdown) goes through the same lock, so exactly one of
/// them wins for each request.
///
/// Create it inside a tokio runtime: the timer task is spawned on it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo, RequestError};
///
/// let tracker = CorrelationTrackerImpl::new();
/// let (reply_to, outcome) = ReplyTo::channel();
/// tracker.register(&CorrelationId::generate(), PendingRequest::new("a", "b", reply_to), 50).unwrap();
/// // Nobody answers: the tracker's timer delivers the timeout.
/// assert!(matches!(outcome.await.unwrap(), Err(RequestError::TimedOut { timeout_ms: 50, .. })));
/// assert_eq!(tracker.stats().timed_out, 1);
/// # }
/// ```
pub struct CorrelationTrackerImpl {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the timer when a new earliest deadline arrives or on drop.
    wake: Notify,
    closed: AtomicBool,
    activity: Option<Arc<Activity>>,
    late_responses: AtomicU64,
    timed_out: AtomicU64,
    abandoned: AtomicU64,
    undeliverable: AtomicU64,
}

#[derive(Default)]
struct State {
    pending: HashMap<CorrelationId, Entry>,
    /// Deadlines in order; `seq` breaks ties between equal instants.
    deadlines: BTreeMap<(Instant, u64), CorrelationId>,
    next_seq: u64,
    /// When the timer task will next wake on its own (`None`: only when
    /// notified). A new deadline wakes it only if it is earlier, so steady
    /// traffic costs no timer wake-ups.
    timer_wakes_at: Option<Instant>,
}

impl State {
    /// Takes an entry out of both the pending map and the deadlines.
    fn remove(&mut self, correlation_id: &CorrelationId) -> Option<Entry> {
        let entry = self.pending.remove(correlation_id)?;
        self.deadlines.remove(&entry.deadline);
        Some(entry)
    }
}

struct Entry {
    request: PendingRequest,
    deadline: (Instant, u64),
    timeout_ms: u64,
    /// Counts the request as work in flight until the entry is dropped,
    /// after its outcome has been handed on.
    _work: Option<Work>,
}

/// Counters kept by the tracker.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let stats = airssys_wasm::CorrelationTrackerImpl::new().stats();
/// assert_eq!(stats, airssys_wasm::TrackerStats::default());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerStats {
    /// Requests waiting for their outcome now.
    pub pending: usize,
    /// Requests that timed out.
    pub timed_out: u64,
    /// Responses that arrived after their request timed out or was
    /// cancelled, and were dropped.
    pub late_responses: u64,
    /// Requests forgotten because their requester trapped or failed.
    pub abandoned: u64,
    /// Outcomes nobody was left to receive: the requester had stopped, or
    /// (for the host) dropped its `PendingResponse`.
    pub undeliverable: u64,
}

impl CorrelationTrackerImpl {
    /// The longest timeout the tracker keeps: about 30 years. (A router
    /// sets its own, lower, limit.)
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, MessagingError, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, _outcome) = ReplyTo::channel();
    /// let forever = PendingRequest::new("a", "b", reply_to);
    /// let refused = tracker.register(&CorrelationId::generate(), forever, u64::MAX);
    /// assert!(matches!(refused, Err(MessagingError::TimeoutTooLong { limit_ms: CorrelationTrackerImpl::MAX_TIMEOUT_MS, .. })));
    /// # }
    /// ```
    pub const MAX_TIMEOUT_MS: u64 = 30 * 365 * 24 * 3_600_000;

    /// A tracker whose timer runs on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Panics when called outside a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let tracker = airssys_wasm::CorrelationTrackerImpl::new();
    /// assert_eq!(tracker.stats().pending, 0);
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::with_activity(None)
    }

    /// Like [`new`](Self::new), and counts each pending request as work in
    /// `activity` until its outcome has been delivered.
    pub(crate) fn with_activity(activity: Option<Arc<Activity>>) -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
            activity,
            late_responses: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            undeliverable: AtomicU64::new(0),
        });
        tokio::spawn(run_timer(Arc::clone(&shared)));
        Self { shared }
    }

    /// The tracker's counters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use airssys_wasm::{CorrelationId, CorrelationTracker, CorrelationTrackerImpl, PendingRequest, ReplyTo};
    /// let tracker = CorrelationTrackerImpl::new();
    /// let (reply_to, _outcome) = ReplyTo::channel();
    /// tracker.register(&CorrelationId::generate(), PendingRequest::new("a", "b", reply_to), 1000).unwrap();
    /// assert_eq!(tracker.stats().pending, 1);
    /// # }
    /// ```
    pub fn stats(&self) -> TrackerStats {
        TrackerStats {
            pending: self.shared.lock().pending.len(),
            timed_out: self.shared.timed_out.load(Ordering::Relaxed),
            late_responses: self.shared.late_responses.load(Ordering::Relaxed),
            abandoned: self.shared.abandoned.load(Ordering::Relaxed),
            undeliverable: self.shared.undeliverable.load(Ordering::Relaxed),
        }
    }
}

impl Default for CorrelationTrackerImpl {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for CorrelationTrackerImpl {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }
}

impl std::fmt::Debug for CorrelationTrackerImpl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorrelationTrackerImpl")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock would be a bug in this file; the
        // state itself stays consistent, so keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the entry out of the pending map; the caller now owns its
    /// outcome.
    fn take(&self, correlation_id: &CorrelationId) -> Option<Entry> {
        self.lock().remove(correlation_id)
    }

    /// Hands the outcome on. The entry's work ends only afterwards, when it
    /// drops, so the callback's own work has begun by then and the system
    /// never looks idle in between.
    fn deliver(&self, correlation_id: CorrelationId, entry: Entry, outcome: RequestOutcome) {
        let PendingRequest {
            requester,
            reply_to,
            ..
        } = entry.request;
        if !reply_to.deliver(correlation_id.clone(), outcome) {
            self.undeliverable.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                target: "airssys_wasm::flow",
                requester = %requester, correlation = %correlation_id,
                "outcome undeliverable: the requester is gone"
            );
        }
    }

    /// Removes every entry whose deadline has passed.
    fn take_expired(&self, now: Instant) -> (Vec<(CorrelationId, Entry)>, Option<Instant>) {
        let mut state = self.lock();
        let mut expired = Vec::new();
        while let Some(entry) = state.deadlines.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let correlation_id = entry.remove();
            if let Some(pending) = state.pending.remove(&correlation_id) {
                expired.push((correlation_id, pending));
            }
        }
        let next = state.deadlines.first_key_value().map(|(key, _)| key.0);
        state.timer_wakes_at = next;
        (expired, next)
    }
}

async fn run_timer(shared: Arc<Shared>) {
    while !shared.closed.load(Ordering::Acquire) {
        let (expired, next) = shared.take_expired(Instant::now());
        for (correlation_id, entry) in expired {
            shared.timed_out.fetch_add(1, Ordering::Relaxed);
            let error = RequestError::TimedOut {
                target: entry.request.target.clone(),
                timeout_ms: entry.timeout_ms,
            };
            tracing::info!(
                target: "airssys_wasm::flow",
                requester = %entry.request.requester, target = %entry.request.target,
                correlation = %correlation_id, timeout_ms = entry.timeout_ms,
                "timeout"
            );
            shared.deliver(correlation_id, entry, Err(error));
        }
        match next {
            Some(deadline) => {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = shared.wake.notified() => {}
                }
            }
            None => shared.wake.notified().await,
        }
    }
}

impl CorrelationTracker for CorrelationTrackerImpl {
    fn register(
        &self,
        correlation_id: &CorrelationId,
        request: PendingRequest,
        timeout_ms: u64,
    ) -> Result<(), MessagingError> {
        if timeout_ms > Self::MAX_TIMEOUT_MS {
            return Err(MessagingError::TimeoutTooLong {
                requested_ms: timeout_ms,
                limit_ms: Self::MAX_TIMEOUT_MS,
            });
        }
        let at = Instant::now() + Duration::from_millis(timeout_ms);
        let mut state = self.shared.lock();
        if state.pending.contains_key(correlation_id) {
            return Err(MessagingError::DuplicateCorrelation {
                correlation_id: correlation_id.clone(),
            });
        }
        let seq = state.next_seq;
        state.next_seq += 1;
        let earliest = state.timer_wakes_at.is_none_or(|wakes_at| at < wakes_at);
        if earliest {
            state.timer_wakes_at = Some(at);
        }
        state.deadlines.insert((at, seq), correlation_id.clone());
        state.pending.insert(
            correlation_id.clone(),
            Entry {
                request,
                deadline: (at, seq),
                timeout_ms,
                _work: self
                    .shared
                    .activity
                    .as_ref()
                    .map(|activity| activity.begin(0)),
            },
        );
        drop(state);
        if earliest {
            self.shared.wake.notify_one();
        }
        Ok(())
    }

    fn complete(
        &self,
        correlation_id: &CorrelationId,
        outcome: RequestOutcome,
    ) -> Result<(), MessagingError> {
        match self.shared.take(correlation_id) {
            Some(entry) => {
                self.shared.deliver(correlation_id.clone(), entry, outcome);
                Ok(())
            }
            None => {
                self.shared.late_responses.fetch_add(1, Ordering::Relaxed);
                Err(not_pending(correlation_id))
            }
        }
    }

    fn is_pending(&self, correlation_id: &CorrelationId) -> bool {
        self.shared.lock().pending.contains_key(correlation_id)
    }

    fn remove(&self, correlation_id: &CorrelationId) -> Result<(), MessagingError> {
        self.shared
            .take(correlation_id)
            .map(drop)
            .ok_or_else(|| not_pending(correlation_id))
    }

    fn cancel(
        &self,
        requester: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError> {
        let mut state = self.shared.lock();
        match state.pending.get(correlation_id) {
            Some(entry) if &entry.request.requester == requester => {
                let cancelled = state.remove(correlation_id);
                drop(state);
                drop(cancelled);
                Ok(())
            }
            // Someone else's request looks exactly like an unknown one, so a
            // guessed id reveals nothing.
            _ => Err(not_pending(correlation_id)),
        }
    }

    fn abandon(&self, requester: &ComponentId) -> usize {
        let abandoned: Vec<_> = {
            let mut state = self.shared.lock();
            let ids: Vec<_> = state
                .pending
                .iter()
                .filter(|(_, entry)| &entry.request.requester == requester)
                .map(|(id, _)| id.clone())
                .collect();
            ids.into_iter().filter_map(|id| state.remove(&id)).collect()
        };
        let count = abandoned.len();
        drop(abandoned);
        self.shared
            .abandoned
            .fetch_add(count as u64, Ordering::Relaxed);
        count
    }

    fn fail_all(&self, error: fn(ComponentId) -> RequestError) -> usize {
        let entries: Vec<_> = {
            let mut state = self.shared.lock();
            state.deadlines.clear();
            state.pending.drain().collect()
        };
        let count = entries.len();
        for (correlation_id, entry) in entries {
            let outcome = Err(error(entry.request.target.clone()));
            self.shared.deliver(correlation_id, entry, outcome);
        }
        count
    }

    fn pending_count(&self) -> usize {
        self.shared.lock().pending.len()
    }
}

fn not_pending(correlation_id: &CorrelationId) -> MessagingError {
    MessagingError::NotPending {
        correlation_id: correlation_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::core::messaging::payload::MessagePayload;
    use crate::core::messaging::traits::ReplyTo;

    type Log = Arc<Mutex<Vec<(CorrelationId, RequestOutcome)>>>;

    fn request(requester: &str, log: &Log) -> PendingRequest {
        let log = Arc::clone(log);
        PendingRequest {
            requester: ComponentId::new(requester),
            target: ComponentId::new("target"),
            reply_to: ReplyTo::Once(Box::new(move |id, outcome| {
                log.lock().unwrap().push((id, outcome));
                true
            })),
        }
    }

    fn id(text: &str) -> CorrelationId {
        CorrelationId::new(text)
    }

    /// A response is delivered once; completing again is refused and
    /// counted as late.
    #[tokio::test]
    async fn complete_delivers_exactly_once() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        tracker
            .register(&id("r1"), request("a", &log), 1000)
            .unwrap();
        assert!(tracker.is_pending(&id("r1")));

        tracker
            .complete(&id("r1"), Ok(MessagePayload::from("yes")))
            .unwrap();
        assert!(matches!(
            tracker.complete(&id("r1"), Ok(MessagePayload::from("again"))),
            Err(MessagingError::NotPending { .. })
        ));
        assert!(!tracker.is_pending(&id("r1")));
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].1, Ok(MessagePayload::from("yes")));
        assert_eq!(tracker.stats().late_responses, 1);
    }

    /// The deadline fires once, not before its time, and a response after
    /// it is dropped.
    #[tokio::test(start_paused = true)]
    async fn timeout_fires_once_at_its_deadline() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        tracker
            .register(&id("r1"), request("a", &log), 100)
            .unwrap();

        tokio::time::advance(Duration::from_millis(99)).await;
        tokio::task::yield_now().await;
        assert!(log.lock().unwrap().is_empty(), "fired early");

        tokio::time::advance(Duration::from_millis(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(
            log.lock().unwrap().as_slice(),
            [(
                id("r1"),
                Err(RequestError::TimedOut {
                    target: ComponentId::new("target"),
                    timeout_ms: 100
                })
            )]
        );
        assert!(
            tracker
                .complete(&id("r1"), Ok(MessagePayload::default()))
                .is_err()
        );
        assert_eq!(tracker.stats().timed_out, 1);
    }

    /// Deadlines fire in deadline order, and a new earlier deadline wakes
    /// the timer that was sleeping until a later one.
    #[tokio::test(start_paused = true)]
    async fn deadlines_fire_in_order() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        tracker
            .register(&id("late"), request("a", &log), 10_000)
            .unwrap();
        tokio::task::yield_now().await;
        tracker
            .register(&id("early"), request("a", &log), 50)
            .unwrap();
        tracker
            .register(&id("middle"), request("a", &log), 300)
            .unwrap();

        tokio::time::advance(Duration::from_millis(60)).await;
        tokio::task::yield_now().await;
        assert_eq!(
            log.lock().unwrap().len(),
            1,
            "the early deadline woke the timer"
        );

        tokio::time::advance(Duration::from_secs(20)).await;
        tokio::task::yield_now().await;
        let order: Vec<_> = log
            .lock()
            .unwrap()
            .iter()
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(order, [id("early"), id("middle"), id("late")]);
    }

    /// Only the requester may cancel; after a cancel nothing is delivered,
    /// not even the timeout.
    #[tokio::test(start_paused = true)]
    async fn cancel_is_for_the_requester_only() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        tracker
            .register(&id("r1"), request("a", &log), 100)
            .unwrap();

        assert!(tracker.cancel(&ComponentId::new("b"), &id("r1")).is_err());
        assert!(tracker.is_pending(&id("r1")));
        tracker.cancel(&ComponentId::new("a"), &id("r1")).unwrap();

        tokio::time::advance(Duration::from_secs(1)).await;
        tokio::task::yield_now().await;
        assert!(log.lock().unwrap().is_empty());
        assert!(tracker.remove(&id("r1")).is_err(), "already gone");
    }

    /// `fail_all` gives every pending request its error and empties the
    /// tracker.
    #[tokio::test]
    async fn fail_all_fails_each_pending_request() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        for n in 0..3 {
            tracker
                .register(&id(&format!("r{n}")), request("a", &log), 1000)
                .unwrap();
        }
        assert_eq!(
            tracker.fail_all(|target| RequestError::Shutdown { target }),
            3
        );
        assert_eq!(tracker.pending_count(), 0);
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 3);
        assert!(
            log.iter()
                .all(|(_, outcome)| matches!(outcome, Err(RequestError::Shutdown { .. })))
        );
    }

    /// An id cannot be registered twice.
    #[tokio::test]
    async fn duplicate_id_is_refused() {
        let tracker = CorrelationTrackerImpl::new();
        let log = Log::default();
        tracker
            .register(&id("r1"), request("a", &log), 1000)
            .unwrap();
        assert!(matches!(
            tracker.register(&id("r1"), request("a", &log), 1000),
            Err(MessagingError::DuplicateCorrelation { .. })
        ));
    }

    /// A pending request counts as work in flight until its outcome is
    /// delivered or it is removed.
    #[tokio::test]
    async fn pending_requests_count_as_activity() {
        let activity = Arc::new(Activity::default());
        let tracker = CorrelationTrackerImpl::with_activity(Some(Arc::clone(&activity)));
        let log = Log::default();
        tracker
            .register(&id("r1"), request("a", &log), 1000)
            .unwrap();
        tracker
            .register(&id("r2"), request("a", &log), 1000)
            .unwrap();
        assert_eq!(activity.in_flight(), 2);
        tracker
            .complete(&id("r1"), Ok(MessagePayload::default()))
            .unwrap();
        tracker.remove(&id("r2")).unwrap();
        assert_eq!(activity.in_flight(), 0);
    }

    /// An outcome whose requester has gone is counted as undeliverable.
    #[tokio::test]
    async fn outcome_for_a_gone_requester_is_counted() {
        let tracker = CorrelationTrackerImpl::new();
        let (reply_to, outcome) = ReplyTo::channel();
        drop(outcome);
        tracker
            .register(&id("r1"), PendingRequest::new("a", "b", reply_to), 1000)
            .unwrap();
        tracker
            .complete(&id("r1"), Ok(MessagePayload::default()))
            .unwrap();
        assert_eq!(tracker.stats().undeliverable, 1);
    }

    mod state_machine {
        //! Property test: whatever the interleaving of registrations,
        //! responses, cancels, removals and time, every registered request
        //! ends exactly once, and timeouts fire exactly at their deadline.

        use std::collections::HashMap;

        use proptest::prelude::*;

        use super::*;

        #[derive(Debug, Clone)]
        enum Op {
            Register { id: u8, timeout_ms: u64 },
            Complete { id: u8 },
            Cancel { id: u8, by: u8 },
            Remove { id: u8 },
            Advance { ms: u64 },
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (0..6u8, 1..100u64).prop_map(|(id, timeout_ms)| Op::Register { id, timeout_ms }),
                (0..6u8).prop_map(|id| Op::Complete { id }),
                (0..6u8, 0..2u8).prop_map(|(id, by)| Op::Cancel { id, by }),
                (0..6u8).prop_map(|id| Op::Remove { id }),
                (0..120u64).prop_map(|ms| Op::Advance { ms }),
            ]
        }

        /// What the model expects of one id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Fate {
            Pending { deadline_ms: u64 },
            Delivered,
            Withdrawn,
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// The tracker agrees with a simple model after every step.
            #[test]
            fn tracker_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let tracker = CorrelationTrackerImpl::new();
                    let log = Log::default();
                    let mut model: HashMap<u8, Fate> = HashMap::new();
                    let mut now_ms = 0u64;
                    let (mut registered, mut withdrawn) = (0usize, 0usize);
                    let owner = |id: u8| format!("owner{}", id % 2);
                    for op in ops {
                        match op {
                            Op::Register { id, timeout_ms } => {
                                let result = tracker.register(&id_of(id), request(&owner(id), &log), timeout_ms);
                                // A pending id is refused; a finished one may be reused.
                                let pending = matches!(model.get(&id), Some(Fate::Pending { .. }));
                                prop_assert_eq!(result.is_ok(), !pending);
                                if result.is_ok() {
                                    registered += 1;
                                    model.insert(id, Fate::Pending { deadline_ms: now_ms + timeout_ms });
                                }
                            }
                            Op::Complete { id } => {
                                let pending = matches!(model.get(&id), Some(Fate::Pending { .. }));
                                let result = tracker.complete(&id_of(id), Ok(MessagePayload::default()));
                                prop_assert_eq!(result.is_ok(), pending);
                                if pending {
                                    model.insert(id, Fate::Delivered);
                                }
                            }
                            Op::Cancel { id, by } => {
                                let pending = matches!(model.get(&id), Some(Fate::Pending { .. }));
                                let mine = id % 2 == by;
                                let result = tracker.cancel(&ComponentId::new(format!("owner{by}")), &id_of(id));
                                prop_assert_eq!(result.is_ok(), pending && mine);
                                if pending && mine {
                                    withdrawn += 1;
                                    model.insert(id, Fate::Withdrawn);
                                }
                            }
                            Op::Remove { id } => {
                                let pending = matches!(model.get(&id), Some(Fate::Pending { .. }));
                                prop_assert_eq!(tracker.remove(&id_of(id)).is_ok(), pending);
                                if pending {
                                    withdrawn += 1;
                                    model.insert(id, Fate::Withdrawn);
                                }
                            }
                            Op::Advance { ms } => {
                                now_ms += ms;
                                tokio::time::advance(Duration::from_millis(ms)).await;
                                for _ in 0..3 {
                                    tokio::task::yield_now().await;
                                }
                                for fate in model.values_mut() {
                                    if let Fate::Pending { deadline_ms } = *fate
                                        && deadline_ms <= now_ms
                                    {
                                        *fate = Fate::Delivered;
                                    }
                                }
                            }
                        }
                        for (id, fate) in &model {
                            prop_assert_eq!(
                                tracker.is_pending(&id_of(*id)),
                                matches!(fate, Fate::Pending { .. }),
                                "id {} expected {:?}", id, fate
                            );
                        }
                    }
                    tracker.fail_all(|target| RequestError::Shutdown { target });
                    // Every registration ended exactly once: delivered or withdrawn.
                    let delivered = log.lock().unwrap().len();
                    prop_assert_eq!(delivered + withdrawn, registered);
                    prop_assert_eq!(tracker.pending_count(), 0);
                    Ok(())
                })?;
            }
        }

        fn id_of(id: u8) -> CorrelationId {
            CorrelationId::new(format!("id{id}"))
        }
    }
}

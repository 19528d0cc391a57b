//! Removing a component's actor: it takes nothing new, handles what is
//! queued until a deadline, is stopped at it, and everything it was given
//! is accounted for: each request one outcome, each message a count.

use std::sync::Arc;

use tokio::time::Instant;

use super::{ActorCell, ActorTask, InCall, LazyState, Next, TakenRun};
use crate::core::component::id::ComponentId;
use crate::core::messaging::envelope::Envelope;
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::traits::CorrelationTracker;
use crate::messaging::counters::ComponentCounters;
use crate::messaging::subscriber::MailboxReceivers;

/// What a removal has to end: found by [`ActorTask::begin_removal`].
pub(crate) enum RemovalTarget {
    /// A lazy component never started: no actor, nothing queued in one.
    NeverStarted,
    /// An actor whose task has ended or is ending on its own (it failed):
    /// only its task to await.
    Ended(Option<TakenRun>),
    /// A running actor, its mailbox already closed.
    Actor {
        cell: Arc<ActorCell>,
        run: Option<TakenRun>,
    },
}

/// What ending an actor left behind.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ActorRemoval {
    /// It handled what was queued before the deadline.
    pub(crate) drained: bool,
    /// Messages and requests it accepted and never handled.
    pub(crate) unhandled: u64,
    /// Requests to it completed with [`RequestError::Removed`].
    pub(crate) failed_requests: u64,
    /// Its own requests still pending, abandoned.
    pub(crate) abandoned_requests: u64,
    /// Outcomes of its requests queued for it and never delivered.
    pub(crate) dropped_callbacks: u64,
}

impl ActorTask {
    /// Starts removing the component: its actor's mailbox closes (what is
    /// queued is still handled) and requesters stop running its messages.
    pub(crate) fn begin_removal(&self) -> RemovalTarget {
        let (cell, run) = match self {
            Self::Running(run) => (
                run.upgrade
                    .as_ref()
                    .and_then(|handle| handle.cell.upgrade()),
                run.take(),
            ),
            Self::Lazy(lazy) => {
                let generation = lazy.generation();
                let mut state = lazy.state();
                match std::mem::replace(&mut *state, LazyState::Removed(None, generation)) {
                    LazyState::Started(task, handle) => {
                        *state = LazyState::Removed(Some(task.abort_handle()), generation);
                        let run = TakenRun {
                            task,
                            handover: None,
                        };
                        (handle.cell.upgrade(), Some(run))
                    }
                    LazyState::Waiting(_) | LazyState::Taken | LazyState::Removed(..) => {
                        return RemovalTarget::NeverStarted;
                    }
                }
            }
        };
        match cell {
            Some(cell) => {
                cell.begin_removal();
                RemovalTarget::Actor { cell, run }
            }
            None => RemovalTarget::Ended(run),
        }
    }
}

impl ActorCell {
    fn begin_removal(&self) {
        self.removing
            .store(true, std::sync::atomic::Ordering::Release);
        self.close_mailbox();
    }
}

impl RemovalTarget {
    /// Lets the actor handle what is queued until `until`, stops it there,
    /// then accounts for the call it stopped, what is still queued, its own
    /// pending requests and the outcomes waiting for it. `unstarted`: a
    /// lazy component's mailbox whose actor was never started.
    pub(crate) async fn finish(
        self,
        id: &ComponentId,
        until: Instant,
        tracker: &dyn CorrelationTracker,
        unstarted: Option<MailboxReceivers>,
    ) -> ActorRemoval {
        let mut removal = ActorRemoval {
            drained: true,
            ..ActorRemoval::default()
        };
        let (cell, run) = match self {
            Self::NeverStarted => (None, None),
            Self::Ended(run) => (None, run),
            Self::Actor { cell, run } => (Some(cell), run),
        };
        if let Some(mut run) = run
            && tokio::time::timeout_at(until, &mut run).await.is_err()
        {
            run.abort();
            (&mut run).await;
            removal.drained = false;
        }
        if let Some(receivers) = unstarted {
            removal.add(fail_unstarted(tracker, id, receivers).await);
            // Its messages failed at once: none was handled.
            removal.drained &= removal.unhandled == 0;
        }
        match cell {
            Some(cell) => removal.add(cell.account_for_the_rest(tracker).await),
            None => removal.abandoned_requests += count(tracker.abandon(id)),
        }
        removal
    }
}

impl ActorRemoval {
    fn add(&mut self, other: Self) {
        self.unhandled += other.unhandled;
        self.failed_requests += other.failed_requests;
        self.abandoned_requests += other.abandoned_requests;
        self.dropped_callbacks += other.dropped_callbacks;
    }

    /// Counts `envelope` as never handled; a request gets its one outcome.
    fn fail(
        &mut self,
        tracker: &dyn CorrelationTracker,
        counters: &ComponentCounters,
        target: &ComponentId,
        envelope: &Envelope,
    ) {
        counters.count_unhandled();
        self.unhandled += 1;
        if let Some(correlation_id) = &envelope.correlation {
            self.fail_request(tracker, target, correlation_id);
        }
    }

    fn fail_request(
        &mut self,
        tracker: &dyn CorrelationTracker,
        target: &ComponentId,
        correlation_id: &crate::core::messaging::correlation::CorrelationId,
    ) {
        // Not pending any more (timed out, cancelled): it had its outcome,
        // and completing it again would count a late answer.
        if !tracker.is_pending(correlation_id) {
            return;
        }
        let removed = RequestError::Removed {
            target: target.clone(),
        };
        if tracker.complete(correlation_id, Err(removed)).is_ok() {
            self.failed_requests += 1;
        }
    }
}

impl ActorCell {
    /// After the actor's task has ended: the call it was stopped in, what
    /// is still queued, its pending requests, the outcomes waiting for it.
    async fn account_for_the_rest(&self, tracker: &dyn CorrelationTracker) -> ActorRemoval {
        // Taken only once a call a requester handed over has been dropped.
        let mut core = self.core.lock().await;
        let mut removal = ActorRemoval::default();
        let counters = Arc::clone(&core.wiring.counters);
        match core.in_call.take() {
            Some(InCall::Message {
                correlation,
                counted,
            }) => {
                if !counted {
                    counters.count_unhandled();
                    removal.unhandled += 1;
                }
                if let Some(correlation_id) = correlation {
                    removal.fail_request(tracker, &self.id, &correlation_id);
                }
            }
            Some(InCall::Callback) => {
                counters.count_callback_dropped();
                removal.dropped_callbacks += 1;
            }
            None => {}
        }
        // Taken by the actor's task, which was stopped before it could
        // hand it to the component.
        let claimed = self
            .dropped_claim
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        match claimed {
            Some(Next::Message(envelope)) => {
                removal.fail(tracker, &counters, &self.id, &envelope);
            }
            Some(Next::Callback(_)) => {
                counters.count_callback_dropped();
                removal.dropped_callbacks += 1;
            }
            None => {}
        }
        // `poll_recv`, not `try_recv`: it also waits out a send already
        // under way.
        while let Some(envelope) =
            std::future::poll_fn(|cx| self.queues().messages.poll_recv(cx)).await
        {
            removal.fail(tracker, &counters, &self.id, &envelope);
        }
        let abandoned = tracker.abandon(&self.id);
        core.wiring.outstanding.release(abandoned);
        removal.abandoned_requests = count(abandoned);
        // Nothing new can come now: its requests are forgotten, and the
        // queue is closed before it is emptied.
        self.queues().callbacks.close();
        while self.queues().callbacks.try_recv().is_ok() {
            counters.count_callback_dropped();
            removal.dropped_callbacks += 1;
        }
        // The instance goes now, not when the last handle to the cell does.
        core.instance = None;
        removal
    }
}

/// Empties the mailbox of a lazy component removed before its actor
/// started: each message counted as never handled, each request failed.
pub(crate) async fn fail_unstarted(
    tracker: &dyn CorrelationTracker,
    id: &ComponentId,
    receivers: MailboxReceivers,
) -> ActorRemoval {
    let MailboxReceivers {
        mut messages,
        mut callbacks,
        counters,
        ..
    } = receivers;
    let mut removal = ActorRemoval::default();
    messages.close();
    // `poll_recv`: a send already under way lands before the end.
    while let Some(envelope) = messages.recv().await {
        removal.fail(tracker, &counters, id, &envelope);
    }
    callbacks.close();
    while callbacks.try_recv().is_ok() {
        counters.count_callback_dropped();
        removal.dropped_callbacks += 1;
    }
    removal
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

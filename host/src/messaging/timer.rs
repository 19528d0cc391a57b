//! The built-in `timer` service: a component asks for a message to be
//! delivered to itself (or to a target it may message) after a delay, once
//! or every period, and may cancel it by name.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use serde::Deserialize;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};

use crate::core::component::errors::ComponentError;
use crate::core::component::id::ComponentId;
use crate::core::messaging::activity::{Activity, Work};
use crate::core::messaging::errors::MessagingError;
use crate::messaging::capability::Grants;
use crate::messaging::service::{Service, ServiceContext};

/// The name the timer service runs under; reserved, like `host`.
pub(crate) const TIMER: &str = "timer";

/// Timers one component may have at once.
const MAX_TIMERS_PER_COMPONENT: usize = 1024;

/// The longest delay or period a timer may ask for: 30 days.
const MAX_DELAY: Duration = Duration::from_secs(30 * 24 * 3600);

/// What a component sends the timer service, as JSON.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TimerCommand {
    /// The timer's name, unique per component: scheduling a name again
    /// replaces that timer. With nothing else, cancels it.
    #[serde(alias = "cancel")]
    name: String,
    /// When the first message goes. Absent: cancel the timer.
    after_ms: Option<u64>,
    /// Then every this often, until cancelled.
    every_ms: Option<u64>,
    /// Whom the message goes to: the requester itself when absent.
    to: Option<String>,
    /// What the message says (UTF-8 text).
    #[serde(default)]
    message: String,
}

/// Every component's timers, by owner and name.
#[derive(Default)]
struct Timers {
    /// The timer tasks; dropping the set (when the service stops) stops them.
    tasks: Mutex<JoinSet<()>>,
    by_name: Mutex<HashMap<(ComponentId, String), Running>>,
    next_generation: std::sync::atomic::AtomicU64,
    /// Owners removed from the system: they may schedule nothing until
    /// their name is added again. Locked after `by_name`.
    fenced: Mutex<FxHashSet<ComponentId>>,
}

/// Lets the system stop a removed component's timers.
#[derive(Clone)]
pub(crate) struct TimerHandle(Arc<Timers>);

impl TimerHandle {
    /// Stops every timer `owner` scheduled, and refuses it new ones until
    /// [`unfence`](Self::unfence). Returns how many were stopped.
    pub(crate) fn cancel_owner(&self, owner: &ComponentId) -> usize {
        let mut by_name = self.0.by_name.lock().expect("timer table lock");
        self.0
            .fenced
            .lock()
            .expect("timer fence lock")
            .insert(owner.clone());
        let before = by_name.len();
        by_name.retain(|(timer_owner, _), running| {
            let keep = timer_owner != owner;
            if !keep {
                running.task.abort();
            }
            keep
        });
        before - by_name.len()
    }

    /// Lets `owner` schedule timers again: its name was added anew.
    pub(crate) fn unfence(&self, owner: &ComponentId) {
        let _by_name = self.0.by_name.lock().expect("timer table lock");
        self.0
            .fenced
            .lock()
            .expect("timer fence lock")
            .remove(owner);
    }
}

/// One running timer: its task, and which scheduling it is (a name can be
/// scheduled again, and the old task must not remove the new entry).
struct Running {
    task: AbortHandle,
    generation: u64,
}

/// The `timer` service, checking targets against `grants`. Each timer
/// counts as work in `activity` while it is scheduled: something will still
/// happen, so the system is not idle.
pub(crate) fn timer_service(
    grants: Arc<Grants>,
    activity: Arc<Activity>,
) -> (Service, TimerHandle) {
    let timers = Arc::new(Timers::default());
    let handle = TimerHandle(Arc::clone(&timers));
    let service = Service::json(move |call, command: TimerCommand| {
        let (timers, grants) = (Arc::clone(&timers), Arc::clone(&grants));
        let work = activity.begin(0);
        async move {
            let owner = call.sender.clone();
            let Some(after_ms) = command.after_ms else {
                let cancelled = timers.cancel(&owner, &command.name);
                return Ok(if cancelled {
                    "cancelled"
                } else {
                    "no such timer"
                });
            };
            let to = command.to.map_or_else(|| owner.clone(), ComponentId::from);
            // The timer may message anyone; aimed at itself, its messages
            // would schedule timers for whoever sent them, past their grants.
            if owner.as_str() == TIMER || to.as_str() == TIMER {
                return Err(ComponentError::InvalidInput(
                    "a timer cannot message the timer service".to_owned(),
                ));
            }
            if to != owner {
                grants
                    .check(&owner, to.as_str())
                    .map_err(|refused| ComponentError::InvalidInput(refused.to_string()))?;
            }
            let after = delay(after_ms)?;
            let every = command.every_ms.map(delay).transpose()?;
            if every == Some(Duration::ZERO) {
                return Err(ComponentError::InvalidInput(
                    "every-ms must be at least 1".to_owned(),
                ));
            }
            let schedule = Schedule {
                owner,
                name: command.name,
                to,
                message: command.message,
                after,
                every,
                work,
            };
            Timers::schedule(&timers, schedule, call.context)?;
            Ok("scheduled")
        }
    });
    (service, handle)
}

fn delay(ms: u64) -> Result<Duration, ComponentError> {
    let delay = Duration::from_millis(ms);
    if delay > MAX_DELAY {
        return Err(ComponentError::InvalidInput(format!(
            "a timer may wait at most {} ms, not {ms}",
            MAX_DELAY.as_millis()
        )));
    }
    Ok(delay)
}

/// One timer to start.
struct Schedule {
    owner: ComponentId,
    name: String,
    to: ComponentId,
    message: String,
    after: Duration,
    every: Option<Duration>,
    /// Held until the timer ends or is cancelled.
    work: Work,
}

impl Timers {
    fn schedule(
        timers: &Arc<Self>,
        schedule: Schedule,
        context: ServiceContext,
    ) -> Result<(), ComponentError> {
        let generation = timers
            .next_generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = (schedule.owner.clone(), schedule.name.clone());
        let mut by_name = timers.by_name.lock().expect("timer table lock");
        if timers
            .fenced
            .lock()
            .expect("timer fence lock")
            .contains(&key.0)
        {
            return Err(ComponentError::InvalidInput(format!(
                "{:?} has been removed",
                key.0
            )));
        }
        let owned = by_name.keys().filter(|(owner, _)| *owner == key.0).count();
        if !by_name.contains_key(&key) && owned >= MAX_TIMERS_PER_COMPONENT {
            return Err(ComponentError::InvalidInput(format!(
                "{:?} already has {MAX_TIMERS_PER_COMPONENT} timers, the most it may",
                key.0
            )));
        }
        let mut tasks = timers.tasks.lock().expect("timer task lock");
        while tasks.try_join_next().is_some() {}
        let task = tasks.spawn(run(schedule, context, Arc::downgrade(timers), generation));
        if let Some(replaced) = by_name.insert(key, Running { task, generation }) {
            replaced.task.abort();
        }
        Ok(())
    }

    /// Stops `owner`'s timer `name`; whether there was one.
    fn cancel(&self, owner: &ComponentId, name: &str) -> bool {
        let key = (owner.clone(), name.to_owned());
        let removed = self.by_name.lock().expect("timer table lock").remove(&key);
        removed.map(|running| running.task.abort()).is_some()
    }

    /// Runs `deliver` while `owner`'s timer `name` is still the scheduling
    /// `generation`, holding the table so no cancel can come between.
    fn while_current<T>(
        &self,
        owner: &ComponentId,
        name: &str,
        generation: u64,
        deliver: impl FnOnce() -> T,
    ) -> Option<T> {
        let by_name = self.by_name.lock().expect("timer table lock");
        let key = (owner.clone(), name.to_owned());
        let current = by_name
            .get(&key)
            .is_some_and(|running| running.generation == generation);
        current.then(deliver)
    }

    /// Forgets a timer that ended on its own, unless it was replaced since.
    fn ended(&self, owner: &ComponentId, name: &str, generation: u64) {
        let mut by_name = self.by_name.lock().expect("timer table lock");
        let key = (owner.clone(), name.to_owned());
        if by_name
            .get(&key)
            .is_some_and(|running| running.generation == generation)
        {
            by_name.remove(&key);
        }
    }
}

/// Delivers the timer's message at its time, and every period after if it
/// repeats. A delivery the target's mailbox refuses is logged and skipped;
/// a target that is gone ends the timer.
async fn run(schedule: Schedule, context: ServiceContext, timers: Weak<Timers>, generation: u64) {
    let Schedule {
        owner,
        name,
        to,
        message,
        after,
        every,
        work: _work,
    } = schedule;
    let first = Instant::now() + after;
    let mut ticks = every.map(|every| {
        let mut ticks = tokio::time::interval_at(first, every);
        // Behind (a slow runtime): the next tick a period later, not a burst.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks
    });
    loop {
        match &mut ticks {
            Some(ticks) => {
                ticks.tick().await;
            }
            None => tokio::time::sleep_until(first).await,
        }
        let Some(table) = timers.upgrade() else {
            return;
        };
        // Sent under the table's lock, and only while this timer is still
        // the one scheduled under its name: once `cancel` or a reschedule
        // returns, this timer sends nothing more.
        let sent = table.while_current(&owner, &name, generation, || {
            context.send(to.as_str(), message.as_str())
        });
        drop(table);
        let Some(sent) = sent else {
            return;
        };
        match sent {
            Ok(()) => {}
            Err(MessagingError::QueueFull { .. } | MessagingError::TooManyPending { .. }) => {
                tracing::warn!(
                    target: "airssys_wasm::flow",
                    timer = %name, owner = %owner, to = %to,
                    "timer message skipped: the target's mailbox is full"
                );
            }
            Err(error) => {
                tracing::warn!(
                    target: "airssys_wasm::flow",
                    timer = %name, owner = %owner, to = %to, %error,
                    "timer ended: its target takes no more messages"
                );
                break;
            }
        }
        if ticks.is_none() {
            break;
        }
    }
    if let Some(timers) = timers.upgrade() {
        timers.ended(&owner, &name, generation);
    }
}

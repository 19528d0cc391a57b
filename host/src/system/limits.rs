//! The limits a system enforces on each component: their defaults, the
//! range each may be set in, and how a component's own setting falls back
//! to the system's.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::core::component::supervision::RestartPolicy;
use crate::system::errors::SystemError;

/// Default mailbox capacity of a component, in messages.
///
/// ```
/// use airssys_wasm::DEFAULT_MAILBOX_CAPACITY;
/// use airssys_wasm::ComponentSpec;
/// let bursty = ComponentSpec::from_file("ingest", "ingest.wasm").mailbox_capacity(DEFAULT_MAILBOX_CAPACITY * 8);
/// # let _ = bursty;
/// ```
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// Default time one `handle-message` or `handle-callback` call may take, on
/// the wall clock, time spent in host calls included.
///
/// ```
/// use airssys_wasm::DEFAULT_TIME_BUDGET;
/// use airssys_wasm::ComponentSpec;
/// let quick = ComponentSpec::from_file("lookup", "lookup.wasm").time_budget(DEFAULT_TIME_BUDGET / 100);
/// # let _ = quick;
/// ```
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(10);

/// Default limit of a component's linear memories, all together.
///
/// ```
/// use airssys_wasm::DEFAULT_MEMORY_LIMIT;
/// use airssys_wasm::ComponentSpec;
/// let hungry = ComponentSpec::from_file("render", "render.wasm").memory_limit(DEFAULT_MEMORY_LIMIT * 4);
/// # let _ = hungry;
/// ```
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// Default number of requests one component may have outstanding: sent and
/// not yet answered in its `handle-callback` (or cancelled).
///
/// ```
/// use airssys_wasm::DEFAULT_MAX_PENDING_REQUESTS;
/// use airssys_wasm::ComponentSpec;
/// let fan_out = ComponentSpec::from_file("scatter", "scatter.wasm")
///     .max_pending_requests(DEFAULT_MAX_PENDING_REQUESTS * 4);
/// # let _ = fan_out;
/// ```
pub const DEFAULT_MAX_PENDING_REQUESTS: usize = 128;

/// Default bytes of request outcomes that may wait for a component's
/// `handle-callback` while it is busy.
///
/// ```
/// use airssys_wasm::DEFAULT_CALLBACK_QUEUE_BYTES;
/// use airssys_wasm::ComponentSpec;
/// let gatherer = ComponentSpec::from_file("gather", "gather.wasm")
///     .callback_queue_bytes(DEFAULT_CALLBACK_QUEUE_BYTES * 4);
/// # let _ = gatherer;
/// ```
pub const DEFAULT_CALLBACK_QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// Where each limit may be set. Outside its range, [`SystemBuilder::start`]
/// and [`SystemBuilder::check`] refuse the system with
/// [`SystemError::LimitOutOfRange`] naming the limit.
///
/// ```
/// use airssys_wasm::LIMIT_RANGES;
/// for (limit, allowed) in LIMIT_RANGES {
///     println!("{limit}: {allowed}");
/// }
/// ```
///
/// [`SystemBuilder::start`]: crate::SystemBuilder::start
/// [`SystemBuilder::check`]: crate::SystemBuilder::check
pub const LIMIT_RANGES: [(&str, &str); 9] = [
    ("mailbox_capacity", "1 to 1048576 messages"),
    ("host_inbox", "1 to 1048576 messages"),
    ("time_budget", "1 ms to 1 day"),
    ("memory_limit", "64 KiB to 4 GiB"),
    ("max_pending_requests", "1 to 65536"),
    ("callback_queue_bytes", "1 KiB to 4 GiB"),
    ("max_payload_bytes", "1 byte to 1 GiB"),
    ("default_timeout", "1 ms to 1 hour"),
    ("restart_policy", "within 1 ms to 1 day"),
];

const MESSAGES: RangeInclusive<usize> = 1..=1 << 20;
const TIME_BUDGET: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(24 * 3600);
const MEMORY: RangeInclusive<usize> = 64 * 1024..=1 << 32;
const PENDING_REQUESTS: RangeInclusive<usize> = 1..=1 << 16;
const CALLBACK_BYTES: RangeInclusive<usize> = 1024..=1 << 32;
const PAYLOAD: RangeInclusive<usize> = 1..=1 << 30;
const DEFAULT_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(3600);
// A window of 0 would never hold a restart, so restarts would never end.
const RESTART_WINDOW: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(24 * 3600);

/// The per-component limits as set: each unset one falls back to the
/// system's setting, then to its default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LimitOverrides {
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) time_budget: Option<Duration>,
    pub(crate) memory_limit: Option<usize>,
    pub(crate) max_pending_requests: Option<usize>,
    pub(crate) callback_queue_bytes: Option<usize>,
    pub(crate) restart_policy: Option<RestartPolicy>,
    /// Instantiated on its first message rather than at start.
    pub(crate) lazy: Option<bool>,
}

/// One component's limits, every one decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ComponentLimits {
    pub(crate) mailbox_capacity: usize,
    pub(crate) time_budget: Duration,
    pub(crate) memory_limit: usize,
    pub(crate) max_pending_requests: usize,
    pub(crate) callback_queue_bytes: usize,
    pub(crate) restart_policy: RestartPolicy,
    pub(crate) lazy: bool,
}

impl LimitOverrides {
    /// These limits, falling back to `system`'s, then to the defaults.
    pub(crate) fn resolve(&self, system: &LimitOverrides) -> ComponentLimits {
        ComponentLimits {
            mailbox_capacity: self
                .mailbox_capacity
                .or(system.mailbox_capacity)
                .unwrap_or(DEFAULT_MAILBOX_CAPACITY),
            time_budget: self
                .time_budget
                .or(system.time_budget)
                .unwrap_or(DEFAULT_TIME_BUDGET),
            memory_limit: self
                .memory_limit
                .or(system.memory_limit)
                .unwrap_or(DEFAULT_MEMORY_LIMIT),
            max_pending_requests: self
                .max_pending_requests
                .or(system.max_pending_requests)
                .unwrap_or(DEFAULT_MAX_PENDING_REQUESTS),
            callback_queue_bytes: self
                .callback_queue_bytes
                .or(system.callback_queue_bytes)
                .unwrap_or(DEFAULT_CALLBACK_QUEUE_BYTES),
            restart_policy: self
                .restart_policy
                .or(system.restart_policy)
                .unwrap_or_default(),
            lazy: self.lazy.or(system.lazy).unwrap_or(false),
        }
    }
}

impl LimitOverrides {
    /// Every limit that is set within its range; `component` names whose
    /// they are (`None`: the system's, for components that set none).
    pub(crate) fn check(&self, component: Option<&str>) -> Result<(), SystemError> {
        let within = |limit, value: Option<usize>, range| {
            value.map_or(Ok(()), |value| check_range(component, limit, value, range))
        };
        within("mailbox_capacity", self.mailbox_capacity, &MESSAGES)?;
        within("memory_limit", self.memory_limit, &MEMORY)?;
        within(
            "max_pending_requests",
            self.max_pending_requests,
            &PENDING_REQUESTS,
        )?;
        within(
            "callback_queue_bytes",
            self.callback_queue_bytes,
            &CALLBACK_BYTES,
        )?;
        if let Some(budget) = self.time_budget {
            check_duration(component, "time_budget", budget, &TIME_BUDGET)?;
        }
        if let Some(RestartPolicy::Limited { within, .. }) = self.restart_policy {
            check_duration(component, "restart_policy", within, &RESTART_WINDOW)?;
        }
        Ok(())
    }
}

/// The system-wide limits within their ranges.
pub(crate) fn check_system(
    max_payload_bytes: usize,
    default_timeout: Duration,
    host_inbox: Option<usize>,
) -> Result<(), SystemError> {
    check_range(None, "max_payload_bytes", max_payload_bytes, &PAYLOAD)?;
    check_duration(None, "default_timeout", default_timeout, &DEFAULT_TIMEOUT)?;
    if let Some(capacity) = host_inbox {
        check_range(None, "host_inbox", capacity, &MESSAGES)?;
    }
    Ok(())
}

fn check_range(
    component: Option<&str>,
    limit: &'static str,
    value: usize,
    range: &RangeInclusive<usize>,
) -> Result<(), SystemError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(out_of_range(component, limit, value))
}

fn check_duration(
    component: Option<&str>,
    limit: &'static str,
    value: Duration,
    range: &RangeInclusive<Duration>,
) -> Result<(), SystemError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(out_of_range(
        component,
        limit,
        format!("{} ms", value.as_millis()),
    ))
}

fn out_of_range(component: Option<&str>, limit: &'static str, value: impl Display) -> SystemError {
    let allowed = LIMIT_RANGES
        .iter()
        .find(|(name, _)| *name == limit)
        .map_or("", |(_, allowed)| allowed);
    SystemError::LimitOutOfRange {
        component: component.map(str::to_owned),
        limit,
        value: value.to_string(),
        allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component's unset limits fall back to the system's, then to the
    /// defaults.
    #[test]
    fn unset_limits_fall_back_to_the_system_then_the_defaults() {
        let system = LimitOverrides {
            mailbox_capacity: Some(8),
            ..LimitOverrides::default()
        };
        let own = LimitOverrides {
            mailbox_capacity: Some(4),
            max_pending_requests: Some(2),
            ..LimitOverrides::default()
        };
        let limits = own.resolve(&system);
        assert_eq!(limits.mailbox_capacity, 4);
        assert_eq!(limits.max_pending_requests, 2);
        assert_eq!(
            LimitOverrides::default().resolve(&system).mailbox_capacity,
            8
        );
        assert_eq!(limits.time_budget, DEFAULT_TIME_BUDGET);
        assert_eq!(limits.callback_queue_bytes, DEFAULT_CALLBACK_QUEUE_BYTES);
    }

    /// Every range has its line in `LIMIT_RANGES`, and the defaults are
    /// within their ranges.
    #[test]
    fn defaults_are_in_range_and_every_limit_is_listed() {
        let defaults = LimitOverrides::default().resolve(&LimitOverrides::default());
        let as_set = LimitOverrides {
            mailbox_capacity: Some(defaults.mailbox_capacity),
            time_budget: Some(defaults.time_budget),
            memory_limit: Some(defaults.memory_limit),
            max_pending_requests: Some(defaults.max_pending_requests),
            callback_queue_bytes: Some(defaults.callback_queue_bytes),
            restart_policy: Some(defaults.restart_policy),
            lazy: Some(defaults.lazy),
        };
        assert!(as_set.check(Some("c")).is_ok());
        let error = LimitOverrides {
            memory_limit: Some(1),
            ..as_set
        }
        .check(Some("c"))
        .unwrap_err();
        assert!(
            matches!(
                &error,
                SystemError::LimitOutOfRange {
                    component: Some(component),
                    limit: "memory_limit",
                    value,
                    allowed: "64 KiB to 4 GiB",
                } if component == "c" && value == "1"
            ),
            "{error:?}"
        );
        for limit in [
            "mailbox_capacity",
            "host_inbox",
            "time_budget",
            "memory_limit",
            "max_pending_requests",
            "callback_queue_bytes",
            "max_payload_bytes",
            "default_timeout",
            "restart_policy",
        ] {
            let SystemError::LimitOutOfRange { allowed, .. } = out_of_range(None, limit, 0) else {
                unreachable!()
            };
            assert!(!allowed.is_empty(), "{limit} has no range listed");
        }
    }
}

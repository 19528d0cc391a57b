//! What the host does when a component traps, and what it reports.

use std::time::Duration;

use crate::core::component::errors::Trap;
use crate::core::component::id::ComponentId;

/// Whether a component that trapped is given a fresh instance, in the spirit
/// of OTP supervisors. A fresh instance starts with fresh state: whatever
/// the plugin kept in memory is lost.
///
/// ```
/// use std::time::Duration;
/// use airssys_wasm::{ComponentSpec, RestartPolicy};
///
/// // A parser that may crash on bad input: restart it, but at most 3 times
/// // in 10 seconds.
/// let parser = ComponentSpec::from_file("parser", "parser.wasm").restart_policy(
///     RestartPolicy::Limited { max_restarts: 3, within: Duration::from_secs(10) },
/// );
/// // A component whose state must not silently reset: fail it instead.
/// let ledger = ComponentSpec::from_file("ledger", "ledger.wasm").restart_policy(RestartPolicy::Never);
/// # let _ = (parser, ledger);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// The first trap marks the component failed: messages to it are then
    /// refused with `TargetFailed`.
    Never,
    /// Restart after a trap, unless this would be more than `max_restarts`
    /// restarts within `within`; then the component is marked failed.
    Limited {
        /// Restarts allowed inside the window.
        max_restarts: u32,
        /// The sliding window.
        within: Duration,
    },
}

impl Default for RestartPolicy {
    /// Up to 5 restarts a minute.
    fn default() -> Self {
        RestartPolicy::Limited {
            max_restarts: 5,
            within: Duration::from_secs(60),
        }
    }
}

/// Something that happened to a component, for the host application and
/// the logs.
///
/// ```
/// use airssys_wasm::{SupervisionEvent, SupervisionEventKind};
///
/// fn describe(event: &SupervisionEvent) -> String {
///     match &event.kind {
///         SupervisionEventKind::Trapped { trap } => format!("{} trapped: {trap}", event.component),
///         SupervisionEventKind::Restarted { restarts_in_window } => {
///             format!("{} restarted ({restarts_in_window} in window)", event.component)
///         }
///         SupervisionEventKind::GaveUp { reason } => format!("{} failed for good: {reason}", event.component),
///         SupervisionEventKind::StartFailed { reason } => format!("{} never started: {reason}", event.component),
///         other => format!("{}: {other:?}", event.component),
///     }
/// }
/// let event = SupervisionEvent {
///     component: "parser".into(),
///     kind: SupervisionEventKind::Restarted { restarts_in_window: 1 },
/// };
/// assert_eq!(describe(&event), "parser restarted (1 in window)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisionEvent {
    /// The component it happened to.
    pub component: ComponentId,
    /// What happened.
    pub kind: SupervisionEventKind,
}

/// The kinds of [`SupervisionEvent`].
///
/// ```
/// use airssys_wasm::SupervisionEventKind;
/// let kind = SupervisionEventKind::GaveUp { reason: "5 restarts within 60 s".into() };
/// assert!(matches!(kind, SupervisionEventKind::GaveUp { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupervisionEventKind {
    /// A call into the component trapped (panic, unreachable, memory or
    /// time limit); the message it was handling failed.
    Trapped {
        /// Why.
        trap: Trap,
    },
    /// The component got a fresh instance.
    Restarted {
        /// Restarts inside the policy's window, this one included.
        restarts_in_window: u32,
    },
    /// The component is marked failed and takes no more messages.
    GaveUp {
        /// Why the supervisor stopped restarting it.
        reason: String,
    },
    /// A component instantiated on its first message
    /// ([`ComponentSpec::lazy`](crate::ComponentSpec::lazy)) could not be
    /// instantiated. The message that asked for it failed, and the
    /// component is marked failed like one given up.
    StartFailed {
        /// The instantiation's error.
        reason: String,
    },
    /// A new version took over between two calls
    /// ([`System::upgrade`](crate::System::upgrade)).
    Upgraded {
        /// 1 for the version the component started with, one more per
        /// upgrade.
        generation: u64,
    },
    /// An upgrade was refused; the version running before goes on.
    UpgradeFailed {
        /// Why.
        reason: String,
    },
    /// The component was added to the running system
    /// ([`System::add`](crate::System::add)).
    Added,
    /// The component was removed ([`System::remove`](crate::System::remove)).
    Removed {
        /// It finished its queued work before the drain deadline.
        drained: bool,
        /// Messages and requests it accepted and never handled.
        unhandled: u64,
        /// Requests to it that got [`RequestError::Removed`](crate::RequestError::Removed).
        failed_requests: u64,
    },
}

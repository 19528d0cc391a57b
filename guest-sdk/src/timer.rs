//! Timers: a message delivered to this plugin (or to a target it may
//! message) after a delay, once or every period, through the host's
//! built-in `timer` service. The plugin needs the grant `"timer"`.
//!
//! The message arrives in `handle_message` with the sender `"timer"`. A
//! timer is named; scheduling a name again replaces that timer, and
//! [`cancel`] stops it. Timers belong to the plugin, not to its instance:
//! they go on after a trap and restart.
//!
//! Scheduling is a fire-and-forget message to the service: `Err` means the
//! host refused the message (no grant `"timer"`, a full queue). What the
//! service itself refuses (a target this plugin may not message, more than
//! 1,024 timers, a delay over 30 days, a period of 0) is logged by the
//! host, not returned; to get that answer, `request` the service with the
//! same JSON (`{"name", "after-ms", "every-ms", "to", "message"}`, or
//! `{"cancel": name}`) and read it in `handle_callback`.
//!
//! ```no_run
//! use std::time::Duration;
//! use airssys_wasm_guest::timer;
//!
//! // Every minute, this plugin gets the message "flush".
//! timer::every("flush", Duration::from_secs(60), "flush")?;
//! // Once, in five seconds, "reminder" goes to "notifier".
//! timer::after_to("reminder", "notifier", Duration::from_secs(5), "call the customer")?;
//! timer::cancel("flush")?;
//! # Ok::<(), airssys_wasm_guest::MessagingError>(())
//! ```

use std::time::Duration;

use crate::host::send;
use crate::types::MessagingError;

/// The name of the host's timer service.
pub const TIMER: &str = "timer";

/// Delivers `message` to this plugin once, after `delay`.
///
/// ```no_run
/// use std::time::Duration;
/// airssys_wasm_guest::timer::after("retry", Duration::from_millis(500), "retry order 7")?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn after(name: &str, delay: Duration, message: &str) -> Result<(), MessagingError> {
    schedule(name, None, delay, None, message)
}

/// Delivers `message` to this plugin every `period`, the first time after
/// one period, until cancelled.
///
/// ```no_run
/// use std::time::Duration;
/// airssys_wasm_guest::timer::every("tick", Duration::from_secs(1), "tick")?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn every(name: &str, period: Duration, message: &str) -> Result<(), MessagingError> {
    schedule(name, None, period, Some(period), message)
}

/// Delivers `message` once, after `delay`, to `target`, which this plugin
/// must be granted.
///
/// ```no_run
/// use std::time::Duration;
/// airssys_wasm_guest::timer::after_to("nudge", "mailer", Duration::from_secs(30), "send digest")?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn after_to(
    name: &str,
    target: &str,
    delay: Duration,
    message: &str,
) -> Result<(), MessagingError> {
    schedule(name, Some(target), delay, None, message)
}

/// Stops this plugin's timer `name`, if it has one.
///
/// ```no_run
/// airssys_wasm_guest::timer::cancel("tick")?;
/// # Ok::<(), airssys_wasm_guest::MessagingError>(())
/// ```
pub fn cancel(name: &str) -> Result<(), MessagingError> {
    send(
        TIMER,
        serde_json::json!({ "cancel": name }).to_string().as_bytes(),
    )
}

fn schedule(
    name: &str,
    target: Option<&str>,
    after: Duration,
    every: Option<Duration>,
    message: &str,
) -> Result<(), MessagingError> {
    let millis = |duration: Duration| u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let command = serde_json::json!({
        "name": name,
        "after-ms": millis(after),
        "every-ms": every.map(millis),
        "to": target,
        "message": message,
    });
    send(TIMER, command.to_string().as_bytes())
}

//! [`Activity`]: how much work is still in flight.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Counts the work the system still has to do: messages and callbacks queued
/// or being handled, and requests waiting for their outcome.
///
/// When the count reaches zero the system is idle: nothing more will happen
/// unless someone sends. `airssys run` uses this to end a demo.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use airssys_wasm::messaging::activity::Activity;
///
/// let activity = Arc::new(Activity::new());
/// activity.begin(); // a message was queued
/// let worker = Arc::clone(&activity);
/// tokio::spawn(async move { worker.end() }); // ... and handled
/// activity.wait_idle().await;
/// assert_eq!(activity.in_flight(), 0);
/// # }
/// ```
#[derive(Debug, Default)]
pub struct Activity {
    in_flight: AtomicUsize,
    idle: Notify,
}

impl Activity {
    /// Creates a counter at zero.
    ///
    /// ```
    /// let activity = airssys_wasm::messaging::activity::Activity::new();
    /// assert_eq!(activity.in_flight(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// One more unit of work has started.
    ///
    /// ```
    /// let activity = airssys_wasm::messaging::activity::Activity::new();
    /// activity.begin();
    /// assert_eq!(activity.in_flight(), 1);
    /// ```
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    /// One unit of work has finished.
    ///
    /// ```
    /// let activity = airssys_wasm::messaging::activity::Activity::new();
    /// activity.begin();
    /// activity.end(); // wakes `wait_idle`
    /// assert_eq!(activity.in_flight(), 0);
    /// ```
    pub fn end(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Units of work not yet finished.
    ///
    /// ```
    /// let activity = airssys_wasm::messaging::activity::Activity::new();
    /// activity.begin();
    /// activity.begin();
    /// assert_eq!(activity.in_flight(), 2);
    /// ```
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Waits until no work is left.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let activity = airssys_wasm::messaging::activity::Activity::new();
    /// activity.wait_idle().await; // nothing in flight: returns at once
    /// # }
    /// ```
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

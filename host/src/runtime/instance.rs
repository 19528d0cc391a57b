//! [`Instance`]: a live instance, and the one way each export is called.

use std::task::Poll;
use std::time::Duration;

use wasmtime::Store;

use crate::core::component::errors::{ComponentError, Trap};
use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::runtime::bindings::Plugin;
use crate::runtime::bindings::airssys::wasm::types::ComponentError as WitComponentError;
use crate::runtime::host_services::HostState;
use crate::runtime::limits::classify_trap;

/// A live instance and the store that owns it. Every call into it must end
/// within the time budget, counted on the wall clock from its start: a guest
/// that loops, sleeps or blocks in a host call (a clock, a read) is cut off
/// alike. A call cut off leaves the instance unusable; the supervisor
/// replaces it.
pub(crate) struct Instance {
    store: Store<HostState>,
    plugin: Plugin,
    time_budget: Duration,
    /// The last sender's name, as the binding takes it: rewritten only when
    /// the sender changes, so a steady stream costs no allocation here.
    sender: String,
}

/// What a call into a guest came to: its own answer (a value or its
/// `component-error`), or a trap.
pub(crate) type CallResult<T> = Result<Result<T, ComponentError>, Trap>;

impl Instance {
    pub(crate) fn new(store: Store<HostState>, plugin: Plugin, time_budget: Duration) -> Self {
        Self {
            store,
            plugin,
            time_budget,
            sender: String::new(),
        }
    }

    /// Calls `handle-message` with a message from `sender`, part of request
    /// `correlation` if any.
    pub(crate) async fn call_message(
        &mut self,
        sender: &ComponentId,
        payload: &[u8],
        correlation: Option<&CorrelationId>,
    ) -> CallResult<Vec<u8>> {
        self.begin_call(correlation);
        // The generated binding takes the WIT `component-id` alias as `&String`.
        if self.sender != sender.as_str() {
            self.sender.clear();
            self.sender.push_str(sender.as_str());
        }
        let call = self
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut self.store, &self.sender, payload);
        within(self.time_budget, call).await
    }

    /// Whether this instance made request `correlation_id` and has not yet
    /// been given its outcome; from now on it has.
    pub(crate) fn take_issued(&mut self, correlation_id: &CorrelationId) -> bool {
        self.store.data_mut().take_issued(correlation_id)
    }

    /// Hands the requests this instance made, whose outcomes it has not
    /// seen, to `successor`: an upgrade's new version receives their
    /// callbacks.
    pub(crate) fn hand_issued_to(&mut self, successor: &mut Instance) {
        let issued = self.store.data_mut().issued.drain();
        successor.store.data_mut().issued.extend(issued);
    }

    /// Calls `handle-callback` with the outcome of request `correlation_id`;
    /// an error reaches the guest as its text.
    pub(crate) async fn call_callback(
        &mut self,
        correlation_id: &CorrelationId,
        outcome: &RequestOutcome,
    ) -> CallResult<()> {
        self.begin_call(Some(correlation_id));
        let error_text;
        let result = match outcome {
            Ok(payload) => Ok(payload.as_bytes()),
            Err(error) => {
                error_text = error.to_string();
                Err(error_text.as_str())
            }
        };
        let call = self
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_callback(&mut self.store, correlation_id.as_str(), result);
        within(self.time_budget, call).await
    }

    fn begin_call(&mut self, correlation: Option<&CorrelationId>) {
        self.store.data_mut().begin_call(correlation);
        self.store.set_epoch_deadline(1);
    }

    /// The floor of the benchmarks: the generated binding of `handle-message`
    /// called with nothing around it.
    #[cfg(feature = "unstable-internals")]
    pub(crate) async fn call_handle_message_bare(
        &mut self,
        sender: &String,
        payload: &[u8],
    ) -> wasmtime::Result<Result<Vec<u8>, WitComponentError>> {
        self.plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut self.store, sender, payload)
            .await
    }
}

/// Runs one guest call to its end or to `budget`, whichever comes first.
/// Past the budget the call's future is dropped, which unwinds the guest
/// wherever it is, host awaits included.
///
/// Most calls finish in their first poll, so the timer is only armed (with
/// the deadline counted from the start) once the call has had to wait. A
/// call that yields (an epoch tick) is not polled again at once: the task
/// gives way, as the yield asks.
async fn within<T>(
    budget: Duration,
    call: impl Future<Output = wasmtime::Result<Result<T, WitComponentError>>>,
) -> CallResult<T> {
    let start = tokio::time::Instant::now();
    let mut call = std::pin::pin!(call);
    let mut deadline = std::pin::pin!(None::<tokio::time::Sleep>);
    let finished = std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = call.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        if deadline.is_none() {
            deadline.set(Some(tokio::time::sleep_until(start + budget)));
        }
        match deadline.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    })
    .await;
    match finished {
        Some(Ok(answer)) => Ok(answer.map_err(ComponentError::from)),
        Some(Err(trap)) => Err(classify_trap(&trap)),
        None => Err(Trap::TimeBudget {
            budget_ms: u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("state", self.store.data())
            .finish_non_exhaustive()
    }
}

//! [`Instance`]: a live instance, and the one way each export is called.

use wasmtime::Store;

use crate::core::component::errors::{ComponentError, Trap};
use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::runtime::bindings::Plugin;
use crate::runtime::host_services::HostState;
use crate::runtime::limits::classify_trap;

/// A live instance and the store that owns it. Every call into it starts
/// with a fresh time budget and a fresh epoch deadline.
pub(crate) struct Instance {
    store: Store<HostState>,
    plugin: Plugin,
}

/// What a call into a guest came to: its own answer (a value or its
/// `component-error`), or a trap.
pub(crate) type CallResult<T> = Result<Result<T, ComponentError>, Trap>;

impl Instance {
    pub(crate) fn new(store: Store<HostState>, plugin: Plugin) -> Self {
        Self { store, plugin }
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
        let sender = sender.as_str().to_owned();
        let answer = self
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut self.store, &sender, payload)
            .await;
        answer
            .map(|answer| answer.map_err(ComponentError::from))
            .map_err(|error| classify_trap(&error))
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
        let answer = self
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_callback(&mut self.store, correlation_id.as_str(), result)
            .await;
        answer
            .map(|answer| answer.map_err(ComponentError::from))
            .map_err(|error| classify_trap(&error))
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
    ) -> wasmtime::Result<
        Result<Vec<u8>, crate::runtime::bindings::airssys::wasm::types::ComponentError>,
    > {
        self.plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut self.store, sender, payload)
            .await
    }
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instance")
            .field("state", self.store.data())
            .finish_non_exhaustive()
    }
}

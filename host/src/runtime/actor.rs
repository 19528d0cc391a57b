//! [`ComponentActor`]: one task per component that owns its store.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{MessageRouter, ResponseSink};
use crate::messaging::activity::Activity;
use crate::messaging::patterns::{FireAndForget, RequestResponse};
use crate::runtime::bindings::airssys::wasm::types::ComponentError;
use crate::runtime::host_services::HostState;
use crate::runtime::loader::{Instance, LoadedComponent};

/// One component as an actor: a task that owns the component's store and
/// handles one message or callback at a time.
///
/// Callbacks go first: they answer work the component already started. After
/// a trap the instance is discarded and the next message gets a fresh one.
pub struct ComponentActor {
    id: ComponentId,
    component: LoadedComponent,
    instance: Option<Instance>,
    router: Arc<dyn MessageRouter>,
    callback_sink: Arc<dyn ResponseSink>,
    messages: mpsc::Receiver<Envelope>,
    callbacks: mpsc::UnboundedReceiver<Callback>,
    requests: RequestResponse,
    activity: Arc<Activity>,
    ticks_allowed: u64,
}

/// What an actor needs besides its component.
pub struct ActorWiring {
    /// The router the component's `host-services` calls go to.
    pub router: Arc<dyn MessageRouter>,
    /// Where this component's request outcomes are queued.
    pub callback_sink: Arc<dyn ResponseSink>,
    /// The mailbox.
    pub messages: mpsc::Receiver<Envelope>,
    /// The callback queue.
    pub callbacks: mpsc::UnboundedReceiver<Callback>,
    /// Settles requests this component answers.
    pub requests: RequestResponse,
    /// Counts work in flight.
    pub activity: Arc<Activity>,
    /// Epoch ticks one call may use before it is interrupted.
    pub ticks_allowed: u64,
}

impl ComponentActor {
    /// An actor for `component` under the name `id`, instantiated at once so
    /// that a component that cannot start is reported before any message.
    pub async fn start(
        id: ComponentId,
        component: LoadedComponent,
        wiring: ActorWiring,
    ) -> Result<Self, crate::core::runtime::errors::WasmError> {
        let mut actor = Self {
            id,
            component,
            instance: None,
            router: wiring.router,
            callback_sink: wiring.callback_sink,
            messages: wiring.messages,
            callbacks: wiring.callbacks,
            requests: wiring.requests,
            activity: wiring.activity,
            ticks_allowed: wiring.ticks_allowed,
        };
        actor.instance = Some(actor.fresh_instance().await?);
        Ok(actor)
    }

    /// Handles messages and callbacks until the mailbox is closed and
    /// drained, then delivers the callbacks still queued.
    pub async fn run(mut self) {
        loop {
            tokio::select! {
                biased;
                Some(callback) = self.callbacks.recv() => self.on_callback(callback).await,
                envelope = self.messages.recv() => match envelope {
                    Some(envelope) => self.on_message(envelope).await,
                    None => break,
                },
            }
        }
        while let Ok(callback) = self.callbacks.try_recv() {
            self.on_callback(callback).await;
        }
        tracing::debug!(component = %self.id, "actor stopped");
    }

    fn fresh_instance(
        &self,
    ) -> impl Future<Output = Result<Instance, crate::core::runtime::errors::WasmError>> + Send + use<>
    {
        let state = HostState::new(
            self.id.clone(),
            Arc::clone(&self.router),
            Arc::clone(&self.callback_sink),
            self.ticks_allowed,
        );
        // Owns what it needs, so no borrow of the (non-`Sync`) actor is held
        // across the await.
        let component = self.component.clone();
        async move { component.instantiate(state).await }
    }

    /// The live instance, creating a fresh one after a trap.
    async fn instance(&mut self) -> Result<&mut Instance, String> {
        if self.instance.is_none() {
            let instance = self.fresh_instance().await.map_err(|e| e.to_string())?;
            tracing::warn!(component = %self.id, "restarted with a fresh instance; its state was lost");
            self.instance = Some(instance);
        }
        Ok(self.instance.as_mut().expect("instance was just set"))
    }

    async fn on_message(&mut self, envelope: Envelope) {
        let Envelope {
            sender,
            payload,
            correlation,
        } = envelope;
        tracing::info!(
            target: "airssys_wasm::flow",
            to = %self.id, from = %sender, correlation = correlation.as_ref().map(|c| c.as_str()),
            "deliver"
        );
        let outcome = self.call_handle_message(&sender, payload).await;
        match &correlation {
            None => FireAndForget::settle(&self.id, &sender, &outcome),
            Some(correlation_id) => self.requests.settle(&self.id, correlation_id, outcome),
        }
        self.activity.end();
    }

    async fn call_handle_message(
        &mut self,
        sender: &ComponentId,
        payload: MessagePayload,
    ) -> RequestOutcome {
        let id = self.id.clone();
        let trapped = |reason: String| RequestError::Trapped {
            responder: id.clone(),
            reason,
        };
        // The generated binding takes the WIT `component-id` alias as `&String`.
        let sender_name = sender.as_str().to_owned();
        let instance = self.instance().await.map_err(trapped)?;
        instance.store.data_mut().ticks_used = 0;
        instance.store.set_epoch_deadline(1);
        let result = instance
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut instance.store, &sender_name, payload.as_bytes())
            .await;
        match result {
            Ok(Ok(response)) => Ok(MessagePayload::from(response)),
            Ok(Err(error)) => Err(RequestError::Responder {
                responder: self.id.clone(),
                message: describe(&error),
            }),
            Err(trap) => {
                let reason = format!("{trap:#}");
                tracing::error!(component = %self.id, %reason, "trapped while handling a message");
                self.instance = None;
                Err(trapped(reason))
            }
        }
    }

    async fn on_callback(&mut self, callback: Callback) {
        let Callback {
            correlation_id,
            outcome,
        } = callback;
        tracing::info!(
            target: "airssys_wasm::flow",
            to = %self.id, correlation = %correlation_id,
            outcome = %match &outcome { Ok(p) => format!("ok {p:?}"), Err(e) => format!("error: {e}") },
            "callback"
        );
        let error_text = outcome.as_ref().err().map(ToString::to_string);
        let result = match (&outcome, &error_text) {
            (Ok(payload), _) => Ok(payload.as_bytes()),
            (Err(_), text) => Err(text.as_deref().unwrap_or_default()),
        };
        match self.instance().await {
            Ok(instance) => {
                instance.store.data_mut().ticks_used = 0;
                instance.store.set_epoch_deadline(1);
                let call = instance
                    .plugin
                    .airssys_wasm_component_lifecycle()
                    .call_handle_callback(&mut instance.store, correlation_id.as_str(), result)
                    .await;
                match call {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::warn!(
                        component = %self.id, correlation = %correlation_id, error = %describe(&error),
                        "handle-callback returned an error"
                    ),
                    Err(trap) => {
                        tracing::error!(component = %self.id, correlation = %correlation_id, reason = %format!("{trap:#}"), "trapped in handle-callback");
                        self.instance = None;
                    }
                }
            }
            Err(reason) => tracing::error!(
                component = %self.id, correlation = %correlation_id, %reason,
                "callback undeliverable: the component could not be restarted"
            ),
        }
        self.activity.end();
    }
}

impl std::fmt::Debug for ActorWiring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorWiring")
            .field("ticks_allowed", &self.ticks_allowed)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ComponentActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentActor")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn describe(error: &ComponentError) -> String {
    match error {
        ComponentError::InvalidInput(text) => format!("invalid input: {text}"),
        ComponentError::Unsupported(text) => format!("unsupported: {text}"),
        ComponentError::Failed(text) => text.clone(),
    }
}

//! [`ComponentActor`]: one task per component that owns its store, and its
//! supervisor.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tracing::Instrument;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{RestartPolicy, SupervisionEvent, SupervisionEventKind};
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, ResponseSink};
use crate::core::runtime::errors::WasmError;
use crate::messaging::activity::Activity;
use crate::messaging::counters::{CallEnd, ComponentCounters};
use crate::messaging::patterns::{FireAndForget, RequestResponse};
use crate::messaging::subscriber::ComponentSubscriber;
use crate::runtime::bindings::airssys::wasm::types::ComponentError;
use crate::runtime::host_services::{HostState, InstanceSettings};
use crate::runtime::loader::{Instance, LoadedComponent};

/// One component as an actor: a task that owns the component's store and
/// handles one message or callback at a time.
///
/// Callbacks go first: they answer work the component already started. A
/// trap fails the call that caused it; the supervisor then gives the
/// component a fresh instance or, past its restart policy, marks it failed.
pub(crate) struct ComponentActor {
    id: ComponentId,
    component: LoadedComponent,
    settings: InstanceSettings,
    instance: Option<Instance>,
    wiring: ActorWiring,
    /// Settles the requests this component answers.
    requests: RequestResponse,
    restarts: VecDeque<Instant>,
}

/// What an actor needs besides its component.
pub(crate) struct ActorWiring {
    /// The router the component's `host-services` calls go to.
    pub(crate) router: Arc<dyn MessageRouter>,
    /// The tracker of pending requests.
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    /// The mailboxes, to mark this component failed when it gives up.
    pub(crate) subscriber: Arc<ComponentSubscriber>,
    /// Where this component's request outcomes are queued.
    pub(crate) callback_sink: Arc<dyn ResponseSink>,
    /// The mailbox.
    pub(crate) messages: mpsc::Receiver<Envelope>,
    /// The callback queue.
    pub(crate) callbacks: mpsc::UnboundedReceiver<Callback>,
    /// Counts work in flight.
    pub(crate) activity: Arc<Activity>,
    /// What to do after a trap.
    pub(crate) policy: RestartPolicy,
    /// Where supervision events are published.
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// The component's counters.
    pub(crate) counters: Arc<ComponentCounters>,
}

/// Whether the actor goes on after a trap.
enum AfterTrap {
    Continue,
    GaveUp,
}

impl ComponentActor {
    /// An actor for `component` under the name `id`, instantiated at once so
    /// that a component that cannot start is reported before any message.
    pub(crate) async fn start(
        id: ComponentId,
        component: LoadedComponent,
        settings: InstanceSettings,
        wiring: ActorWiring,
    ) -> Result<Self, WasmError> {
        let requests = RequestResponse::new(Arc::clone(&wiring.tracker));
        let mut actor = Self {
            id,
            component,
            settings,
            instance: None,
            wiring,
            requests,
            restarts: VecDeque::new(),
        };
        actor.instance = Some(actor.fresh_instance().await?);
        Ok(actor)
    }

    /// Handles messages and callbacks until the mailbox is closed and
    /// drained (or the component fails), then delivers the callbacks still
    /// queued.
    pub(crate) async fn run(mut self) {
        loop {
            let after = tokio::select! {
                biased;
                Some(callback) = self.wiring.callbacks.recv() => self.on_callback(callback).await,
                envelope = self.wiring.messages.recv() => match envelope {
                    Some(envelope) => self.on_message(envelope).await,
                    None => break,
                },
            };
            if let AfterTrap::GaveUp = after {
                self.fail_remaining();
                return;
            }
        }
        while let Ok(callback) = self.wiring.callbacks.try_recv() {
            if let AfterTrap::GaveUp = self.on_callback(callback).await {
                break;
            }
        }
        tracing::debug!(component = %self.id, "actor stopped");
    }

    fn fresh_instance(&self) -> impl Future<Output = Result<Instance, WasmError>> + Send + use<> {
        let state = HostState::new(
            self.id.clone(),
            Arc::clone(&self.wiring.router),
            Arc::clone(&self.wiring.callback_sink),
            &self.settings,
        );
        // Owns what it needs, so no borrow of the (non-`Sync`) actor is held
        // across the await.
        let component = self.component.clone();
        let name = self.id.to_string();
        async move {
            let state = state.map_err(|reason| WasmError::Instantiate { name, reason })?;
            component.instantiate(state).await
        }
    }

    async fn on_message(&mut self, envelope: Envelope) -> AfterTrap {
        if self.wiring.subscriber.is_closing() {
            self.skip(envelope);
            return AfterTrap::Continue;
        }
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
        // Everything the call causes (guest log lines and output, its own
        // sends and requests) is logged inside this span, so one request can
        // be followed through the logs by its correlation id.
        let span = tracing::info_span!(
            "handle_message",
            component = %self.id,
            from = %sender,
            correlation = correlation.as_ref().map(|c| c.as_str()),
        );
        let (outcome, after) = self
            .call_handle_message(&sender, payload, correlation.as_ref())
            .instrument(span)
            .await;
        let ended = match &outcome {
            Ok(_) => Some(CallEnd::Returned),
            Err(RequestError::Responder { .. }) => Some(CallEnd::ReturnedError),
            Err(RequestError::Trapped { .. }) => Some(CallEnd::Trapped),
            // No instance was left to call.
            Err(_) => None,
        };
        if let Some(ended) = ended {
            self.wiring.counters.count_handled(ended);
        }
        match &correlation {
            None => FireAndForget::settle(&self.id, &sender, &outcome),
            Some(correlation_id) => self.requests.settle(&self.id, correlation_id, outcome),
        }
        self.wiring.activity.end();
        after
    }

    async fn call_handle_message(
        &mut self,
        sender: &ComponentId,
        payload: MessagePayload,
        correlation: Option<&CorrelationId>,
    ) -> (RequestOutcome, AfterTrap) {
        let Some(instance) = self.instance.as_mut() else {
            return (Err(self.stopped()), AfterTrap::GaveUp);
        };
        instance.store.data_mut().begin_call(correlation.cloned());
        instance.store.set_epoch_deadline(1);
        // The generated binding takes the WIT `component-id` alias as `&String`.
        let sender_name = sender.as_str().to_owned();
        let result = instance
            .plugin
            .airssys_wasm_component_lifecycle()
            .call_handle_message(&mut instance.store, &sender_name, payload.as_bytes())
            .await;
        match result {
            Ok(Ok(response)) => (Ok(MessagePayload::from(response)), AfterTrap::Continue),
            Ok(Err(error)) => (
                Err(RequestError::Responder {
                    responder: self.id.clone(),
                    message: describe(&error),
                }),
                AfterTrap::Continue,
            ),
            Err(trap) => {
                let reason = format!("{trap:#}");
                let error = RequestError::Trapped {
                    responder: self.id.clone(),
                    reason: reason.clone(),
                };
                (Err(error), self.after_trap(reason).await)
            }
        }
    }

    async fn on_callback(&mut self, callback: Callback) -> AfterTrap {
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
        let after = match self.instance.as_mut() {
            Some(instance) => {
                instance
                    .store
                    .data_mut()
                    .begin_call(Some(correlation_id.clone()));
                instance.store.set_epoch_deadline(1);
                let span = tracing::info_span!(
                    "handle_callback",
                    component = %self.id,
                    correlation = correlation_id.as_str(),
                );
                let call = instance
                    .plugin
                    .airssys_wasm_component_lifecycle()
                    .call_handle_callback(&mut instance.store, correlation_id.as_str(), result)
                    .instrument(span)
                    .await;
                self.wiring.counters.count_callback(call.is_err());
                match call {
                    Ok(Ok(())) => AfterTrap::Continue,
                    Ok(Err(error)) => {
                        tracing::warn!(
                            component = %self.id, correlation = %correlation_id,
                            error = %describe(&error), "handle-callback returned an error"
                        );
                        AfterTrap::Continue
                    }
                    Err(trap) => self.after_trap(format!("{trap:#}")).await,
                }
            }
            None => {
                tracing::warn!(
                    component = %self.id, correlation = %correlation_id,
                    "callback undeliverable: the component has failed"
                );
                AfterTrap::GaveUp
            }
        };
        self.wiring.activity.end();
        after
    }

    /// The supervisor: report the trap, forget the dead instance's pending
    /// requests, then restart or give up as the policy says.
    async fn after_trap(&mut self, reason: String) -> AfterTrap {
        self.instance = None;
        tracing::error!(component = %self.id, %reason, "trapped");
        self.publish(SupervisionEventKind::Trapped {
            reason: reason.clone(),
        });
        let abandoned = self.wiring.tracker.abandon(&self.id);
        if abandoned > 0 {
            tracing::warn!(
                component = %self.id, abandoned,
                "pending requests of the trapped instance abandoned: no instance is left to receive their callbacks"
            );
        }

        let now = Instant::now();
        let allowed = match self.wiring.policy {
            RestartPolicy::Never => Err("its restart policy is never".to_owned()),
            RestartPolicy::Limited {
                max_restarts,
                within,
            } => {
                while self
                    .restarts
                    .front()
                    .is_some_and(|at| now.duration_since(*at) > within)
                {
                    self.restarts.pop_front();
                }
                if self.restarts.len() < max_restarts as usize {
                    Ok(())
                } else {
                    Err(format!(
                        "it trapped after {max_restarts} restarts within {} ms; last trap: {reason}",
                        within.as_millis()
                    ))
                }
            }
        };
        let restart = match allowed {
            Ok(()) => self.fresh_instance().await.map_err(|e| e.to_string()),
            Err(why) => Err(why),
        };
        match restart {
            Ok(instance) => {
                self.instance = Some(instance);
                self.restarts.push_back(now);
                let restarts_in_window = self.restarts.len() as u32;
                tracing::warn!(
                    component = %self.id, restarts_in_window,
                    "restarted with a fresh instance; its state was lost"
                );
                self.publish(SupervisionEventKind::Restarted { restarts_in_window });
                AfterTrap::Continue
            }
            Err(reason) => {
                tracing::error!(component = %self.id, %reason, "gave up: the component is marked failed");
                self.wiring.subscriber.mark_failed(&self.id, reason.clone());
                self.publish(SupervisionEventKind::GaveUp { reason });
                AfterTrap::GaveUp
            }
        }
    }

    fn publish(&self, kind: SupervisionEventKind) {
        // No subscriber is fine: the event is in the logs as well.
        let _ = self.wiring.events.send(SupervisionEvent {
            component: self.id.clone(),
            kind,
        });
    }

    fn stopped(&self) -> RequestError {
        RequestError::TargetStopped {
            target: self.id.clone(),
        }
    }

    /// At shutdown, a message still queued is not handled: a request gets the
    /// shutdown error (unless already settled), and the skip is counted.
    fn skip(&self, envelope: Envelope) {
        if let Some(correlation_id) = &envelope.correlation {
            self.requests.fail(
                correlation_id,
                RequestError::Shutdown {
                    target: self.id.clone(),
                },
            );
        }
        self.wiring.subscriber.count_skipped();
        self.wiring.activity.end();
    }

    /// After giving up: every message still queued fails visibly, requests
    /// with `TargetStopped`.
    fn fail_remaining(&mut self) {
        self.wiring.messages.close();
        while let Ok(envelope) = self.wiring.messages.try_recv() {
            match &envelope.correlation {
                Some(correlation_id) => self.requests.fail(correlation_id, self.stopped()),
                None => tracing::warn!(
                    target: "airssys_wasm::flow",
                    to = %self.id, from = %envelope.sender,
                    "message undeliverable: the component has failed"
                ),
            }
            self.wiring.activity.end();
        }
        while let Ok(callback) = self.wiring.callbacks.try_recv() {
            tracing::warn!(
                component = %self.id, correlation = %callback.correlation_id,
                "callback undeliverable: the component has failed"
            );
            self.wiring.activity.end();
        }
    }
}

impl std::fmt::Debug for ActorWiring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorWiring")
            .field("policy", &self.policy)
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

pub(crate) fn describe(error: &ComponentError) -> String {
    match error {
        ComponentError::InvalidInput(text) => format!("invalid input: {text}"),
        ComponentError::Unsupported(text) => format!("unsupported: {text}"),
        ComponentError::Failed(text) => text.clone(),
    }
}

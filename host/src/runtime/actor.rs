//! [`ComponentActor`]: one task per component that owns its store, and its
//! supervisor.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

use crate::core::component::errors::Trap;
use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{RestartPolicy, SupervisionEvent, SupervisionEventKind};
use crate::core::messaging::activity::Outstanding;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Callback, Envelope, RequestOutcome};
use crate::core::messaging::errors::RequestError;
use crate::core::messaging::payload::{FlowPayload, MessagePayload};
use crate::core::messaging::traits::{CorrelationTracker, MailboxRegistry, ResponseSink};
use crate::core::runtime::errors::WasmError;
use crate::messaging::counters::{CallEnd, ComponentCounters};
use crate::messaging::patterns;
use crate::messaging::router::ResponseRouter;
use crate::messaging::subscriber::{LazyStart, MailboxReceivers};
use crate::runtime::host_services::{HostState, InstanceSettings};
use crate::runtime::instance::Instance;
use crate::runtime::loader::LoadedComponent;

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
    restarts: VecDeque<Instant>,
}

/// What an actor needs besides its component.
pub(crate) struct ActorWiring {
    /// The router the component's `host-services` calls go to.
    pub(crate) router: Arc<ResponseRouter>,
    /// The tracker of pending requests: responses complete them.
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    /// The registry holding this component's mailbox.
    pub(crate) registry: Arc<dyn MailboxRegistry>,
    /// Where this component's request outcomes are queued.
    pub(crate) callback_sink: Arc<dyn ResponseSink>,
    /// The mailbox.
    pub(crate) messages: mpsc::Receiver<Envelope>,
    /// The callback queue.
    pub(crate) callbacks: mpsc::UnboundedReceiver<Callback>,
    /// What to do after a trap.
    pub(crate) policy: RestartPolicy,
    /// The largest answer passed on to a requester, in bytes.
    pub(crate) max_payload_bytes: usize,
    /// Where supervision events are published.
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// The component's counters.
    pub(crate) counters: Arc<ComponentCounters>,
    /// Its requests outstanding: those its trapped instance abandoned are
    /// given back here.
    pub(crate) outstanding: Arc<Outstanding>,
}

impl ActorWiring {
    /// The wiring of an actor draining `receivers`, after a trap doing as
    /// `policy` says.
    pub(crate) fn new(
        shared: &SharedWiring,
        receivers: MailboxReceivers,
        policy: RestartPolicy,
    ) -> Self {
        Self {
            router: Arc::clone(&shared.router),
            tracker: Arc::clone(&shared.tracker),
            registry: Arc::clone(&shared.registry),
            callback_sink: receivers.callback_sink,
            messages: receivers.messages,
            callbacks: receivers.callbacks,
            policy,
            max_payload_bytes: shared.max_payload_bytes,
            events: shared.events.clone(),
            counters: receivers.counters,
            outstanding: receivers.outstanding,
        }
    }
}

/// Whether the actor goes on after a call.
enum AfterCall {
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
        let mut actor = Self {
            id,
            component,
            settings,
            instance: None,
            wiring,
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
            // What is already queued is taken without waiting (callbacks
            // first); the task still yields to its neighbours when its
            // scheduling budget runs out.
            let after = if let Ok(callback) = self.wiring.callbacks.try_recv() {
                self.on_callback(callback).await
            } else if let Ok(envelope) = self.wiring.messages.try_recv() {
                self.on_message(envelope).await
            } else {
                tokio::select! {
                    biased;
                    Some(callback) = self.wiring.callbacks.recv() => self.on_callback(callback).await,
                    envelope = self.wiring.messages.recv() => match envelope {
                        Some(envelope) => self.on_message(envelope).await,
                        None => break,
                    },
                }
            };
            tokio::task::coop::consume_budget().await;
            if let AfterCall::GaveUp = after {
                let stopped = self.stopped();
                self.fail_remaining(|| stopped.clone()).await;
                return;
            }
        }
        while let Ok(callback) = self.wiring.callbacks.try_recv() {
            if let AfterCall::GaveUp = self.on_callback(callback).await {
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
        async move { component.instantiate(state?).await }
    }

    /// One message: call `handle-message`, then capture the return value as
    /// the response or drop it, as the sender chose. The envelope's work
    /// ends when it drops, after the outcome has been handed on.
    async fn on_message(&mut self, envelope: Envelope) -> AfterCall {
        if self.wiring.registry.is_closing() {
            patterns::skip_at_shutdown(
                &*self.wiring.tracker,
                &*self.wiring.registry,
                &self.id,
                envelope,
            );
            return AfterCall::Continue;
        }
        let Envelope {
            sender,
            payload,
            correlation,
            work: _work,
        } = envelope;
        tracing::info!(
            target: "airssys_wasm::flow",
            to = %self.id, from = %sender, correlation = correlation.as_ref().map(CorrelationId::as_str),
            "deliver"
        );
        // Everything the call causes (guest log lines and output, its own
        // sends and requests) is logged inside this span, so one request can
        // be followed through the logs by its correlation id.
        let span = tracing::info_span!(
            "handle_message",
            component = %self.id,
            from = %sender,
            correlation = correlation.as_ref().map(CorrelationId::as_str),
        );
        let (outcome, after) = self
            .handle_message(&sender, &payload, correlation.as_ref())
            .instrument(span)
            .await;
        match &correlation {
            None => patterns::drop_return_value(&self.id, &sender, &outcome),
            Some(correlation_id) => {
                patterns::capture_response(&*self.wiring.tracker, &self.id, correlation_id, outcome)
            }
        }
        after
    }

    async fn handle_message(
        &mut self,
        sender: &ComponentId,
        payload: &MessagePayload,
        correlation: Option<&CorrelationId>,
    ) -> (RequestOutcome, AfterCall) {
        let Some(instance) = self.instance.as_mut() else {
            return (Err(self.stopped()), AfterCall::GaveUp);
        };
        let answer = instance
            .call_message(sender, payload.as_bytes(), correlation)
            .await;
        let counters = &self.wiring.counters;
        match answer {
            Ok(Ok(response)) => {
                counters.count_handled(CallEnd::Returned);
                let outcome = self.within_payload_limit(response.len(), response);
                (outcome.map(MessagePayload::from), AfterCall::Continue)
            }
            Ok(Err(error)) => {
                counters.count_handled(CallEnd::ReturnedError);
                let responder = self.id.clone();
                let size = error.to_string().len();
                let error = self
                    .within_payload_limit(size, error)
                    .and_then(|error| Err(RequestError::Responder { responder, error }));
                (error, AfterCall::Continue)
            }
            Err(trap) => {
                counters.count_handled(CallEnd::Trapped);
                let error = RequestError::Trapped {
                    responder: self.id.clone(),
                    trap: trap.clone(),
                };
                // Boxed: the supervisor's future (a restart instantiates)
                // is kilobytes, and inline it would be copied with every
                // message's future, trap or not.
                (Err(error), Box::pin(self.after_trap(trap)).await)
            }
        }
    }

    /// The responder's answer, if it fits the payload limit: an answer that
    /// does not is refused here, so it can never trap the requester when
    /// lowered into it. The responder is not faulted for it.
    fn within_payload_limit<T>(&self, size: usize, answer: T) -> Result<T, RequestError> {
        let limit = self.wiring.max_payload_bytes;
        if size <= limit {
            return Ok(answer);
        }
        tracing::warn!(
            component = %self.id, size, limit,
            "answer past the payload limit: the requester gets an error instead"
        );
        Err(RequestError::ResponseTooLarge {
            responder: self.id.clone(),
            size,
            limit,
        })
    }

    /// One outcome of this component's own request: call `handle-callback`.
    async fn on_callback(&mut self, callback: Callback) -> AfterCall {
        let Callback {
            correlation_id,
            outcome,
            work: _work,
            queued: _queued,
            outstanding: _outstanding,
        } = callback;
        let Some(instance) = self.instance.as_mut() else {
            tracing::warn!(
                component = %self.id, correlation = %correlation_id,
                "callback undeliverable: the component has failed"
            );
            return AfterCall::GaveUp;
        };
        if !instance.take_issued(&correlation_id) {
            // Made by an instance that has since trapped; this one never
            // issued that id and must not be handed its outcome.
            tracing::warn!(
                component = %self.id, correlation = %correlation_id,
                "callback dropped: the instance that made the request has trapped"
            );
            self.wiring.counters.count_callback_dropped();
            return AfterCall::Continue;
        }
        match &outcome {
            Ok(payload) => tracing::info!(
                target: "airssys_wasm::flow",
                to = %self.id, correlation = %correlation_id, payload = %FlowPayload(payload),
                "callback"
            ),
            Err(error) => tracing::info!(
                target: "airssys_wasm::flow",
                to = %self.id, correlation = %correlation_id, %error,
                "callback"
            ),
        }
        let span = tracing::info_span!(
            "handle_callback",
            component = %self.id,
            correlation = correlation_id.as_str(),
        );
        let answer = instance
            .call_callback(&correlation_id, &outcome)
            .instrument(span)
            .await;
        self.wiring.counters.count_callback(answer.is_err());
        match answer {
            Ok(Ok(())) => AfterCall::Continue,
            Ok(Err(error)) => {
                tracing::warn!(
                    component = %self.id, correlation = %correlation_id,
                    %error, "handle-callback returned an error"
                );
                AfterCall::Continue
            }
            // Boxed for the same reason as in `handle_message`.
            Err(trap) => Box::pin(self.after_trap(trap)).await,
        }
    }

    /// The supervisor: report the trap, forget the dead instance's pending
    /// requests, then restart or give up as the policy says.
    async fn after_trap(&mut self, trap: Trap) -> AfterCall {
        self.instance = None;
        tracing::error!(component = %self.id, %trap, "trapped");
        let gave_up_because = match self.wiring.policy {
            RestartPolicy::Never => Some("its restart policy is never".to_owned()),
            RestartPolicy::Limited {
                max_restarts,
                within,
            } => {
                let now = Instant::now();
                while self
                    .restarts
                    .front()
                    .is_some_and(|at| now.duration_since(*at) > within)
                {
                    self.restarts.pop_front();
                }
                (self.restarts_in_window() >= max_restarts).then(|| {
                    format!(
                        "it trapped after {max_restarts} restarts within {} ms; last trap: {trap}",
                        within.as_millis()
                    )
                })
            }
        };
        self.publish(SupervisionEventKind::Trapped { trap });
        let abandoned = self.wiring.tracker.abandon(&self.id);
        self.wiring.outstanding.release(abandoned);
        if abandoned > 0 {
            tracing::warn!(
                component = %self.id, abandoned,
                "pending requests of the trapped instance abandoned: no instance is left to receive their callbacks"
            );
        }

        let restart = match gave_up_because {
            None => self.fresh_instance().await.map_err(|error| {
                format!("a fresh instance failed to start: {}", error_chain(&error))
            }),
            Some(why) => Err(why),
        };
        match restart {
            Ok(instance) => {
                self.instance = Some(instance);
                self.restarts.push_back(Instant::now());
                let restarts_in_window = self.restarts_in_window();
                tracing::warn!(
                    component = %self.id, restarts_in_window,
                    "restarted with a fresh instance; its state was lost"
                );
                self.publish(SupervisionEventKind::Restarted { restarts_in_window });
                AfterCall::Continue
            }
            Err(reason) => {
                tracing::error!(component = %self.id, %reason, "gave up: the component is marked failed");
                self.wiring.registry.mark_failed(&self.id, reason.clone());
                self.publish(SupervisionEventKind::GaveUp { reason });
                AfterCall::GaveUp
            }
        }
    }

    fn restarts_in_window(&self) -> u32 {
        u32::try_from(self.restarts.len()).unwrap_or(u32::MAX)
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

    /// A component started on its first message: instantiate, then run; or,
    /// if it cannot be instantiated, fail what was sent to it and mark it
    /// failed, like a supervisor giving up.
    async fn start_then_run(mut self) {
        if self.wiring.registry.is_closing() {
            // Shutting down: no instance for what it would only skip.
            self.run().await;
            return;
        }
        match self.fresh_instance().await {
            Ok(instance) => {
                tracing::debug!(component = %self.id, "instantiated for its first message");
                self.instance = Some(instance);
                self.run().await;
            }
            Err(error) => {
                let reason = error_chain(&error);
                tracing::error!(
                    component = %self.id, %reason,
                    "could not be instantiated for its first message: the component is marked failed"
                );
                self.wiring
                    .registry
                    .mark_failed(&self.id, format!("it could not be started: {reason}"));
                self.publish(SupervisionEventKind::StartFailed {
                    reason: reason.clone(),
                });
                let failed = RequestError::StartFailed {
                    target: self.id.clone(),
                    reason,
                };
                self.fail_remaining(|| failed.clone()).await;
            }
        }
    }

    /// After giving up: every message still queued fails visibly, requests
    /// with `error`; callbacks still queued are logged as lost.
    async fn fail_remaining(&mut self, error: impl Fn() -> RequestError) {
        self.wiring.messages.close();
        // `recv`, not `try_recv`: it also waits out a send already under
        // way, which `try_recv` would report as empty.
        while let Some(envelope) = self.wiring.messages.recv().await {
            match &envelope.correlation {
                Some(correlation_id) => {
                    let _ = self.wiring.tracker.complete(correlation_id, Err(error()));
                }
                None => tracing::warn!(
                    target: "airssys_wasm::flow",
                    to = %self.id, from = %envelope.sender,
                    "message undeliverable: the component has failed"
                ),
            }
        }
        while let Ok(callback) = self.wiring.callbacks.try_recv() {
            tracing::warn!(
                component = %self.id, correlation = %callback.correlation_id,
                "callback dropped: the component has failed"
            );
            self.wiring.counters.count_callback_dropped();
        }
    }
}

/// What every actor of a system shares.
pub(crate) struct SharedWiring {
    pub(crate) router: Arc<ResponseRouter>,
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    pub(crate) registry: Arc<dyn MailboxRegistry>,
    pub(crate) max_payload_bytes: usize,
    pub(crate) events: broadcast::Sender<SupervisionEvent>,
    /// Where lazily started actors are spawned: their first message may
    /// come from a thread outside the runtime.
    pub(crate) runtime: tokio::runtime::Handle,
}

/// A component instantiated on its first message: what its actor needs,
/// kept until then, and afterwards the actor's task.
pub(crate) struct LazyActor {
    id: ComponentId,
    shared: Arc<SharedWiring>,
    state: Mutex<LazyState>,
}

enum LazyState {
    Waiting(Box<LazyRecipe>),
    Started(JoinHandle<()>),
    /// Its task was taken by shutdown.
    Taken,
}

struct LazyRecipe {
    component: LoadedComponent,
    settings: InstanceSettings,
    policy: RestartPolicy,
}

impl LazyActor {
    /// `component`, to be started with `settings` on its first message.
    pub(crate) fn new(
        id: ComponentId,
        component: LoadedComponent,
        settings: InstanceSettings,
        policy: RestartPolicy,
        shared: Arc<SharedWiring>,
    ) -> Self {
        let recipe = LazyRecipe {
            component,
            settings,
            policy,
        };
        Self {
            id,
            shared,
            state: Mutex::new(LazyState::Waiting(Box::new(recipe))),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LazyState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl LazyStart for LazyActor {
    fn start(&self, receivers: MailboxReceivers) {
        let mut state = self.state();
        let LazyState::Waiting(recipe) = std::mem::replace(&mut *state, LazyState::Taken) else {
            // Shutdown took the tasks before this first message was queued:
            // it gets the outcome a message skipped at shutdown gets.
            let MailboxReceivers { mut messages, .. } = receivers;
            messages.close();
            while let Ok(envelope) = messages.try_recv() {
                patterns::skip_at_shutdown(
                    &*self.shared.tracker,
                    &*self.shared.registry,
                    &self.id,
                    envelope,
                );
            }
            return;
        };
        let LazyRecipe {
            component,
            settings,
            policy,
        } = *recipe;
        let wiring = ActorWiring::new(&self.shared, receivers, policy);
        let actor = ComponentActor {
            id: self.id.clone(),
            component,
            settings,
            instance: None,
            wiring,
            restarts: VecDeque::new(),
        };
        *state = LazyState::Started(self.shared.runtime.spawn(actor.start_then_run()));
    }
}

impl std::fmt::Debug for LazyActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let started = !matches!(*self.state(), LazyState::Waiting(_));
        f.debug_struct("LazyActor")
            .field("id", &self.id)
            .field("started", &started)
            .finish()
    }
}

/// A component's actor task: running since start, or started (or not yet)
/// by its first message.
pub(crate) enum ActorTask {
    Running(JoinHandle<()>),
    Lazy(Arc<LazyActor>),
}

impl ActorTask {
    /// The task, if the actor was ever started. Taken once: for shutdown,
    /// after the mailboxes are closed, so no actor can start afterwards.
    pub(crate) fn take(self) -> Option<JoinHandle<()>> {
        match self {
            Self::Running(task) => Some(task),
            Self::Lazy(lazy) => match std::mem::replace(&mut *lazy.state(), LazyState::Taken) {
                LazyState::Started(task) => Some(task),
                LazyState::Waiting(_) | LazyState::Taken => None,
            },
        }
    }

    /// Stops the task now, if there is one.
    pub(crate) fn abort(&self) {
        match self {
            Self::Running(task) => task.abort(),
            Self::Lazy(lazy) => {
                if let LazyState::Started(task) = &*lazy.state() {
                    task.abort();
                }
            }
        }
    }
}

/// An error and its sources, one line: `a: b: c`. (The `airssys` binary
/// has its own copy: it sees only the public API.)
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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

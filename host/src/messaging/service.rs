//! [`Service`]: a participant the host application writes in Rust and
//! offers to components by name, routed, granted, timed out and captured
//! like a component.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::core::component::errors::{ComponentError, Trap};
use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::{Envelope, RequestOutcome};
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::pending::PendingResponse;
use crate::core::messaging::traits::{CorrelationTracker, MailboxRegistry, MessageRouter};
use crate::messaging::codec::{CodecError, Json, MsgPack};
use crate::messaging::counters::{CallEnd, ComponentCounters};
use crate::messaging::patterns;

/// What a service's handler returns: the response, or the error its
/// requester gets (as a component's `component-error`).
pub type ServiceResult = Result<MessagePayload, ComponentError>;

type Handler =
    dyn Fn(ServiceCall) -> Pin<Box<dyn Future<Output = ServiceResult> + Send>> + Send + Sync;

/// A service the host application offers components: an async Rust
/// handler under a name. To a component it is a target like any other: it
/// needs a grant to reach it, a full queue answers `queue-full`, its
/// requests time out and end in exactly one callback, and its traffic is
/// in the flow, the spans and the counters. The handler runs up to
/// [`concurrency`](Self::concurrency) requests at once; a panic or an error
/// fails only the request it was handling.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use airssys_wasm::{ComponentSpec, Service, SystemBuilder};
///
/// #[derive(serde::Deserialize)]
/// struct Lookup { sku: String }
/// #[derive(serde::Serialize)]
/// struct Price { cents: u64 }
///
/// let prices = Service::json(|_call, lookup: Lookup| async move {
///     Ok(Price { cents: if lookup.sku == "book" { 1250 } else { 99 } })
/// })
/// .concurrency(8);
/// let system = SystemBuilder::new()
///     .service_with("prices", prices)
///     .component(ComponentSpec::from_file("shop", "shop.wasm").grant("prices"))
///     .start()
///     .await?;
/// # let _ = system;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Service {
    handler: Arc<Handler>,
    pub(crate) concurrency: usize,
    pub(crate) mailbox_capacity: usize,
}

impl Service {
    /// A service whose `handler` takes each call (its sender, its payload,
    /// a context to send and request from) and returns the response or an
    /// error.
    ///
    /// ```
    /// use airssys_wasm::{ComponentError, Service};
    /// let echo = Service::new(|call| async move {
    ///     if call.payload.is_empty() {
    ///         return Err(ComponentError::InvalidInput("nothing to echo".into()));
    ///     }
    ///     Ok(call.payload)
    /// });
    /// # let _ = echo;
    /// ```
    pub fn new<F, Fut>(handler: F) -> Self
    where
        F: Fn(ServiceCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ServiceResult> + Send + 'static,
    {
        Self {
            handler: Arc::new(move |call| Box::pin(handler(call))),
            concurrency: DEFAULT_SERVICE_CONCURRENCY,
            mailbox_capacity: DEFAULT_SERVICE_MAILBOX,
        }
    }

    /// A service that takes and answers JSON: the payload is decoded as
    /// `Req` (a payload that does not decode is refused with
    /// `invalid-input` naming the type, and never reaches the handler), the
    /// answer encoded from `Resp`.
    ///
    /// ```
    /// use airssys_wasm::Service;
    /// let add = Service::json(|_call, (a, b): (i64, i64)| async move { Ok(a + b) });
    /// # let _ = add;
    /// ```
    pub fn json<Req, Resp, F, Fut>(handler: F) -> Self
    where
        Req: DeserializeOwned + Send + 'static,
        Resp: Serialize + Send + 'static,
        F: Fn(ServiceCall, Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, ComponentError>> + Send + 'static,
    {
        Self::typed(
            handler,
            |payload| Json::decode(payload).map(|Json(request)| request),
            |response| Json(response).encode(),
        )
    }

    /// Like [`json`](Self::json), in MessagePack.
    ///
    /// ```
    /// use airssys_wasm::Service;
    /// let upper = Service::msgpack(|_call, text: String| async move { Ok(text.to_uppercase()) });
    /// # let _ = upper;
    /// ```
    pub fn msgpack<Req, Resp, F, Fut>(handler: F) -> Self
    where
        Req: DeserializeOwned + Send + 'static,
        Resp: Serialize + Send + 'static,
        F: Fn(ServiceCall, Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, ComponentError>> + Send + 'static,
    {
        Self::typed(
            handler,
            |payload| MsgPack::decode(payload).map(|MsgPack(request)| request),
            |response| MsgPack(response).encode(),
        )
    }

    /// A service whose handler takes `Req` and answers `Resp`, in a codec:
    /// a payload that does not decode is `invalid-input`, an answer that
    /// does not encode fails the call.
    fn typed<Req, Resp, F, Fut>(
        handler: F,
        decode: fn(&MessagePayload) -> Result<Req, CodecError>,
        encode: fn(Resp) -> Result<MessagePayload, CodecError>,
    ) -> Self
    where
        Req: Send + 'static,
        Resp: Send + 'static,
        F: Fn(ServiceCall, Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp, ComponentError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Self::new(move |call| {
            let handler = Arc::clone(&handler);
            async move {
                let request = decode(&call.payload)
                    .map_err(|error| ComponentError::InvalidInput(error.to_string()))?;
                let response = handler(call, request).await?;
                encode(response).map_err(|error| ComponentError::Failed(error.to_string()))
            }
        })
    }

    /// How many calls the handler may run at once (default 16). Past it,
    /// messages wait in the service's queue.
    ///
    /// ```
    /// let one_at_a_time = airssys_wasm::Service::new(|call| async move { Ok(call.payload) }).concurrency(1);
    /// # let _ = one_at_a_time;
    /// ```
    pub fn concurrency(mut self, calls: usize) -> Self {
        self.concurrency = calls;
        self
    }

    /// How many messages may wait for the handler (default 1024); a sender
    /// to a full queue gets `queue-full`.
    ///
    /// ```
    /// let small = airssys_wasm::Service::new(|call| async move { Ok(call.payload) }).mailbox_capacity(16);
    /// # let _ = small;
    /// ```
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.mailbox_capacity = messages;
        self
    }

    /// The same service, with `observe` shown each call before the handler
    /// runs (the test harness records calls this way).
    pub(crate) fn observed(
        mut self,
        observe: impl Fn(&ServiceCall) + Send + Sync + 'static,
    ) -> Self {
        let handler = self.handler;
        self.handler = Arc::new(move |call| {
            observe(&call);
            handler(call)
        });
        self
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("concurrency", &self.concurrency)
            .field("mailbox_capacity", &self.mailbox_capacity)
            .finish_non_exhaustive()
    }
}

/// Calls a service runs at once unless it says otherwise.
const DEFAULT_SERVICE_CONCURRENCY: usize = 16;

/// Messages waiting for a service unless it says otherwise.
const DEFAULT_SERVICE_MAILBOX: usize = 1024;

/// One message or request to a service, as its handler gets it.
///
/// ```
/// use airssys_wasm::Service;
/// let whoami = Service::new(|call| async move {
///     Ok(format!("{} asked {}", call.sender, call.context.id()).into())
/// });
/// # let _ = whoami;
/// ```
#[derive(Debug)]
pub struct ServiceCall {
    /// Who sent it, as the host recorded.
    pub sender: ComponentId,
    /// What it carries.
    pub payload: MessagePayload,
    /// Its request's id, or `None` for fire-and-forget (the answer is then
    /// dropped).
    pub correlation: Option<CorrelationId>,
    /// Sends and requests as this service.
    pub context: ServiceContext,
}

/// How a service's handler reaches components: as the service, which may
/// message every component (it is the host application's code).
///
/// ```no_run
/// # async fn demo(call: airssys_wasm::ServiceCall) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// // Ask another component before answering, then tell an auditor.
/// let stock = call.context.request("warehouse", "stock book", Duration::from_secs(1))?.await?;
/// call.context.send("audit", format!("{} asked about stock", call.sender))?;
/// # let _ = stock;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ServiceContext {
    id: ComponentId,
    router: Arc<dyn MessageRouter>,
}

impl ServiceContext {
    pub(crate) fn new(id: ComponentId, router: Arc<dyn MessageRouter>) -> Self {
        Self { id, router }
    }

    /// The service's own name, the sender of what it sends.
    ///
    /// ```no_run
    /// # fn demo(context: &airssys_wasm::ServiceContext) {
    /// println!("running as {}", context.id());
    /// # }
    /// ```
    pub fn id(&self) -> &ComponentId {
        &self.id
    }

    /// Fire-and-forget from this service to `target`.
    ///
    /// ```no_run
    /// # fn demo(context: &airssys_wasm::ServiceContext) -> Result<(), airssys_wasm::MessagingError> {
    /// context.send("audit", "cache cleared")?;
    /// # Ok(()) }
    /// ```
    pub fn send(
        &self,
        target: &str,
        payload: impl Into<MessagePayload>,
    ) -> Result<(), MessagingError> {
        self.router
            .send(&self.id, &ComponentId::new(target), payload.into())
    }

    /// A request from this service to `target`; await its response. A zero
    /// `timeout` means the system's default.
    ///
    /// ```no_run
    /// # async fn demo(context: &airssys_wasm::ServiceContext) -> Result<(), Box<dyn std::error::Error>> {
    /// let answer = context.request("pricing", "sku-42", std::time::Duration::from_secs(1))?.await?;
    /// # let _ = answer;
    /// # Ok(()) }
    /// ```
    pub fn request(
        &self,
        target: &str,
        payload: impl Into<MessagePayload>,
        timeout: Duration,
    ) -> Result<PendingResponse, MessagingError> {
        PendingResponse::request(
            &*self.router,
            &self.id,
            &ComponentId::new(target),
            payload.into(),
            timeout,
        )
    }
}

impl std::fmt::Debug for ServiceContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceContext")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A service as a participant: takes its mailbox's messages as it has
/// room to run them, each in a task of its own, and captures each answer
/// as a component's actor does.
pub(crate) struct ServiceActor {
    pub(crate) id: ComponentId,
    pub(crate) service: Service,
    pub(crate) messages: mpsc::Receiver<Envelope>,
    pub(crate) context: ServiceContext,
    pub(crate) tracker: Arc<dyn CorrelationTracker>,
    pub(crate) registry: Arc<dyn MailboxRegistry>,
    pub(crate) counters: Arc<ComponentCounters>,
}

impl ServiceActor {
    /// Serves until the mailbox is closed and drained, then lets the calls
    /// still running finish.
    pub(crate) async fn run(mut self) {
        let slots = Arc::new(Semaphore::new(self.service.concurrency.max(1)));
        let mut running = JoinSet::new();
        loop {
            // A free slot first, so a busy service leaves its messages in
            // its mailbox, where a full queue answers `queue-full`.
            let slot = Arc::clone(&slots)
                .acquire_owned()
                .await
                .expect("the slots are never closed");
            let Some(envelope) = self.messages.recv().await else {
                break;
            };
            while running.try_join_next().is_some() {}
            if self.registry.is_closing() {
                patterns::skip_at_shutdown(&*self.tracker, &*self.registry, &self.id, envelope);
                continue;
            }
            running.spawn(self.call(envelope).map(move |()| drop(slot)));
        }
        while running.join_next().await.is_some() {}
        tracing::debug!(service = %self.id, "service stopped");
    }

    /// One call: the handler's answer, or its error, or its panic, captured
    /// as the response or dropped, as the sender chose.
    fn call(&self, envelope: Envelope) -> impl Future<Output = ()> + Send + use<> {
        let Envelope {
            sender,
            payload,
            correlation,
            work,
        } = envelope;
        tracing::info!(
            target: "airssys_wasm::flow",
            to = %self.id, from = %sender, correlation = correlation.as_ref().map(CorrelationId::as_str),
            "deliver"
        );
        let span = tracing::info_span!(
            "handle_service",
            service = %self.id,
            from = %sender,
            correlation = correlation.as_ref().map(CorrelationId::as_str),
        );
        let call = ServiceCall {
            sender: sender.clone(),
            payload,
            correlation: correlation.clone(),
            context: self.context.clone(),
        };
        // Called inside the future, so a handler that panics before it
        // returns its future fails this call only, like one that panics in it.
        let handler = Arc::clone(&self.service.handler);
        let handled = AssertUnwindSafe(async move { handler(call).await }).catch_unwind();
        let (id, tracker, counters) = (
            self.id.clone(),
            Arc::clone(&self.tracker),
            Arc::clone(&self.counters),
        );
        async move {
            let outcome: RequestOutcome = match handled.await {
                Ok(Ok(response)) => {
                    counters.count_handled(CallEnd::Returned);
                    Ok(response)
                }
                Ok(Err(error)) => {
                    counters.count_handled(CallEnd::ReturnedError);
                    Err(RequestError::Responder {
                        responder: id.clone(),
                        error,
                    })
                }
                Err(panic) => {
                    counters.count_handled(CallEnd::Trapped);
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic with no message".to_owned());
                    tracing::error!(service = %id, %message, "the service's handler panicked");
                    Err(RequestError::Trapped {
                        responder: id.clone(),
                        trap: Trap::Panic(message),
                    })
                }
            };
            match &correlation {
                None => patterns::drop_return_value(&id, &sender, &outcome),
                Some(correlation_id) => {
                    patterns::capture_response(&*tracker, &id, correlation_id, outcome);
                }
            }
            drop(work);
        }
        .instrument(span)
    }
}

impl std::fmt::Debug for ServiceActor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceActor")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

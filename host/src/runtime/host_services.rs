//! [`HostState`]: a component's store data and its `host-services` implementation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustc_hash::FxHashSet;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_config::WasiConfig;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::traits::{MessageRouter, ReplyTo, ResponseSink};
use crate::core::runtime::errors::WasmError;
use crate::messaging::router::ResponseRouter;
use crate::runtime::bindings::airssys::wasm::{host_services, types};
use crate::runtime::config::ConfigGrant;
use crate::runtime::guest_output;
use crate::runtime::http::{HttpGrant, HttpPolicy};
use crate::runtime::keyvalue::{KeyValueGrant, KeyValueView};
use crate::runtime::limits::StoreLimiter;
use crate::runtime::wasi::WasiGrants;

/// The limits and grants every instance of one component gets.
#[derive(Debug, Clone)]
pub(crate) struct InstanceSettings {
    /// How long one call may run before it is interrupted.
    pub(crate) time_budget: Duration,
    /// Largest linear memory, in bytes; growing past it traps.
    pub(crate) memory_limit: usize,
    /// The WASI capabilities granted.
    pub(crate) wasi: WasiGrants,
    /// What its `wasi:config/store` holds.
    pub(crate) config: ConfigGrant,
    /// The `wasi:keyvalue` buckets it may open.
    pub(crate) keyvalue: KeyValueGrant,
    /// The origins its `wasi:http` requests may reach.
    pub(crate) http: Arc<HttpGrant>,
    /// The system's count of instances alive, which each of its stores
    /// joins.
    pub(crate) live: Arc<LiveInstances>,
}

/// How many component instances (stores) of one system exist now.
#[derive(Debug, Default)]
pub(crate) struct LiveInstances(AtomicUsize);

impl LiveInstances {
    /// Instances alive now.
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// One store's place in [`LiveInstances`], given back when the store drops.
struct LiveInstance(Arc<LiveInstances>);

impl LiveInstance {
    fn join(live: &Arc<LiveInstances>) -> Self {
        live.0.fetch_add(1, Ordering::Relaxed);
        Self(Arc::clone(live))
    }
}

impl Drop for LiveInstance {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The state of one component's `Store`: who it is, how it reaches the
/// router, its WASI context, and the limits of the current call.
pub(crate) struct HostState {
    /// The component's own id: every message it sends carries it. The guest
    /// cannot change it.
    id: ComponentId,
    router: Arc<ResponseRouter>,
    /// Where outcomes of this component's requests go.
    callbacks: Arc<dyn ResponseSink>,
    wasi: WasiCtx,
    table: ResourceTable,
    config: ConfigGrant,
    keyvalue: KeyValueGrant,
    http: WasiHttpCtx,
    http_policy: HttpPolicy,
    pub(crate) limiter: StoreLimiter,
    /// How long one call may take, host awaits included.
    pub(crate) time_budget: Duration,
    /// The request whose message or callback is being handled, for the
    /// guest's log lines.
    handling: Option<CorrelationId>,
    /// Requests this instance made whose outcome it has not yet seen (nor
    /// cancelled). A fresh instance after a trap starts with none, so an
    /// outcome meant for the trapped one is never handed to it.
    pub(crate) issued: FxHashSet<CorrelationId>,
    _live: LiveInstance,
}

impl HostState {
    /// State for component `id`, whose calls go to `router` and whose
    /// request outcomes go to `callbacks`. WASI holds only what `settings`
    /// grants; stdout and stderr go to the host's logs.
    pub(crate) fn new(
        id: ComponentId,
        router: Arc<ResponseRouter>,
        callbacks: Arc<dyn ResponseSink>,
        settings: &InstanceSettings,
    ) -> Result<Self, WasmError> {
        let wasi = settings.wasi.build(&id)?;
        let id_for_http = id.clone();
        Ok(Self {
            id,
            router,
            callbacks,
            wasi,
            table: ResourceTable::new(),
            config: settings.config.clone(),
            keyvalue: settings.keyvalue.clone(),
            http: WasiHttpCtx::new(),
            http_policy: HttpPolicy::new(
                id_for_http,
                Arc::clone(&settings.http),
                settings.time_budget,
            ),
            limiter: StoreLimiter::new(settings.memory_limit),
            time_budget: settings.time_budget,
            handling: None,
            issued: FxHashSet::default(),
            _live: LiveInstance::join(&settings.live),
        })
    }

    /// A new call begins, handling `correlation` (`None` for a
    /// fire-and-forget message).
    pub(crate) fn begin_call(&mut self, correlation: Option<&CorrelationId>) {
        self.handling = correlation.cloned();
    }

    /// Whether this instance made request `correlation_id` and has not yet
    /// seen its outcome; it now has.
    pub(crate) fn take_issued(&mut self, correlation_id: &CorrelationId) -> bool {
        self.issued.remove(correlation_id)
    }
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.http_policy,
        }
    }
}

impl HostState {
    /// What its `wasi:config/store` answers from.
    pub(crate) fn config(&mut self) -> WasiConfig<'_> {
        WasiConfig::from(&*self.config.variables)
    }

    /// What its `wasi:keyvalue` functions see.
    pub(crate) fn keyvalue(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            component: &self.id,
            grant: &self.keyvalue,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

impl host_services::Host for HostState {
    fn send_message(
        &mut self,
        target: String,
        message: Vec<u8>,
    ) -> Result<(), types::MessagingError> {
        self.router
            .send_to(&self.id, &target, message.into())
            .map_err(to_wit)
    }

    fn send_request(
        &mut self,
        target: String,
        request: Vec<u8>,
        timeout_ms: u64,
    ) -> Result<String, types::MessagingError> {
        let reply_to = ReplyTo::Sink(Arc::clone(&self.callbacks));
        let id = self
            .router
            .request_to(&self.id, &target, request.into(), timeout_ms, reply_to)
            .map_err(to_wit)?
            .correlation_id;
        let text = id.as_str().to_owned();
        self.issued.insert(id);
        Ok(text)
    }

    fn cancel_request(&mut self, request_id: String) -> Result<(), types::MessagingError> {
        let id = CorrelationId::new(request_id);
        self.router.cancel_request(&self.id, &id).map_err(to_wit)?;
        self.issued.remove(&id);
        Ok(())
    }

    fn log(&mut self, level: host_services::LogLevel, message: String) {
        guest_output::log_line(&self.id, self.handling.as_ref(), level, message);
    }
}

/// The one mapping of the host's refusals onto the WIT `messaging-error`
/// cases; the guest gets the host's full message as the text.
fn to_wit(error: MessagingError) -> types::MessagingError {
    use types::MessagingError as Wit;
    let text = error.to_string();
    match error {
        MessagingError::TargetNotFound(_) => Wit::TargetNotFound(text),
        MessagingError::CapabilityDenied { .. } => Wit::CapabilityDenied(text),
        MessagingError::QueueFull { .. } | MessagingError::TooManyPending { .. } => Wit::QueueFull,
        MessagingError::PayloadTooLarge { .. }
        | MessagingError::TimeoutTooLong { .. }
        | MessagingError::HostTakesNoRequests
        | MessagingError::DuplicateCorrelation { .. } => Wit::InvalidMessage(text),
        MessagingError::TargetStopped { .. }
        | MessagingError::TargetFailed { .. }
        | MessagingError::TargetRemoved { .. }
        | MessagingError::ShuttingDown => Wit::DeliveryFailed(text),
        MessagingError::NotPending { .. } => Wit::CorrelationTimeout(text),
    }
}

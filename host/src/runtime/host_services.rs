//! [`HostState`]: a component's store data and its `host-services` implementation.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::traits::{MessageRouter, ReplyTo, ResponseSink};
use crate::runtime::bindings::airssys::wasm::{host_services, types};
use crate::runtime::wasi::WasiGrants;

/// The limits and grants every instance of one component gets.
///
/// ```
/// use airssys_wasm::runtime::host_services::InstanceSettings;
/// use airssys_wasm::WasiGrants;
///
/// // One second of guest time per call (100 ticks of 10 ms), 16 MiB of memory,
/// // no WASI.
/// let settings = InstanceSettings { ticks_allowed: 100, memory_limit: 16 << 20, wasi: WasiGrants::default() };
/// # let _ = settings;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceSettings {
    /// Epoch ticks one call may use before it is interrupted.
    pub ticks_allowed: u64,
    /// Largest linear memory, in bytes; growing past it traps.
    pub memory_limit: usize,
    /// The WASI capabilities granted.
    pub wasi: WasiGrants,
}

/// The state of one component's `Store`: who it is, how it reaches the
/// router, its WASI context, and its time budget for the current message.
///
/// ```no_run
/// # async fn demo(component: airssys_wasm::runtime::loader::LoadedComponent) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
/// use airssys_wasm::runtime::host_services::{HostState, InstanceSettings};
/// use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
///
/// let subscriber = Arc::new(ComponentSubscriber::new(Arc::new(Activity::new())));
/// let router: Arc<dyn MessageRouter> = Arc::new(ResponseRouter::new(
///     subscriber.clone(),
///     Arc::new(CorrelationTrackerImpl::new()),
///     Arc::new(Grants::new()),
///     RouterLimits::default(),
/// ));
/// let mailbox = subscriber.subscribe(ComponentId::new("echo"), 16);
/// let settings = InstanceSettings { ticks_allowed: 100, memory_limit: 16 << 20, wasi: Default::default() };
/// let state = HostState::new(ComponentId::new("echo"), router, mailbox.callback_sink, &settings)?;
/// let instance = component.instantiate(state).await?;
/// # let _ = instance;
/// # Ok(()) }
/// ```
pub struct HostState {
    /// The component's own id: every message it sends carries it. The guest
    /// cannot change it.
    id: ComponentId,
    router: Arc<dyn MessageRouter>,
    /// Where outcomes of this component's requests go.
    callbacks: Arc<dyn ResponseSink>,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    /// Epoch ticks the current call has used, and may use.
    pub(crate) ticks_used: u64,
    pub(crate) ticks_allowed: u64,
    /// The request whose message or callback is being handled, for the
    /// guest's log lines.
    handling: Option<CorrelationId>,
}

impl HostState {
    /// State for component `id`, whose calls go to `router` and whose
    /// request outcomes go to `callbacks`. WASI holds only what `settings`
    /// grants; stdout and stderr go to the host's logs.
    ///
    /// ```no_run
    /// # async fn demo(component: airssys_wasm::runtime::loader::LoadedComponent) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::sync::Arc;
    /// use airssys_wasm::messaging::{activity::Activity, capability::Grants, router::RouterLimits};
    /// use airssys_wasm::runtime::host_services::{HostState, InstanceSettings};
    /// use airssys_wasm::{ComponentId, ComponentSubscriber, CorrelationTrackerImpl, MessageRouter, ResponseRouter};
    ///
    /// let subscriber = Arc::new(ComponentSubscriber::new(Arc::new(Activity::new())));
    /// let router: Arc<dyn MessageRouter> = Arc::new(ResponseRouter::new(
    ///     subscriber.clone(),
    ///     Arc::new(CorrelationTrackerImpl::new()),
    ///     Arc::new(Grants::new()),
    ///     RouterLimits::default(),
    /// ));
    /// let mailbox = subscriber.subscribe(ComponentId::new("echo"), 16);
    /// let settings = InstanceSettings { ticks_allowed: 100, memory_limit: 16 << 20, wasi: Default::default() };
    /// let state = HostState::new(ComponentId::new("echo"), router, mailbox.callback_sink, &settings)?;
    /// let instance = component.instantiate(state).await?;
    /// # let _ = instance;
    /// # Ok(()) }
    /// ```
    pub fn new(
        id: ComponentId,
        router: Arc<dyn MessageRouter>,
        callbacks: Arc<dyn ResponseSink>,
        settings: &InstanceSettings,
    ) -> Result<Self, String> {
        let wasi = settings.wasi.build(&id)?;
        let limits = StoreLimitsBuilder::new()
            .memory_size(settings.memory_limit)
            // A clear trap beats a guest allocator's confused failure.
            .trap_on_grow_failure(true)
            .build();
        Ok(Self {
            id,
            router,
            callbacks,
            wasi,
            table: ResourceTable::new(),
            limits,
            ticks_used: 0,
            ticks_allowed: settings.ticks_allowed,
            handling: None,
        })
    }

    /// Resets the time budget for a new call, which handles `correlation`
    /// (`None` for a fire-and-forget message).
    pub(crate) fn begin_call(&mut self, correlation: Option<CorrelationId>) {
        self.ticks_used = 0;
        self.handling = correlation;
    }

    /// The component this state belongs to.
    ///
    /// ```no_run
    /// # fn demo(instance: &airssys_wasm::runtime::loader::Instance) {
    /// // Whose instance is this?
    /// println!("{}", instance.state().id());
    /// # }
    /// ```
    pub fn id(&self) -> &ComponentId {
        &self.id
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

impl types::Host for HostState {}

impl host_services::Host for HostState {
    fn send_message(
        &mut self,
        target: String,
        message: Vec<u8>,
    ) -> Result<(), types::MessagingError> {
        let target = ComponentId::from(target);
        self.router
            .send(&self.id, &target, message.into())
            .map_err(to_wit)
    }

    fn send_request(
        &mut self,
        target: String,
        request: Vec<u8>,
        timeout_ms: u64,
    ) -> Result<String, types::MessagingError> {
        let target = ComponentId::from(target);
        let reply_to = ReplyTo::Sink(Arc::clone(&self.callbacks));
        self.router
            .request(&self.id, &target, request.into(), timeout_ms, reply_to)
            .map(|id| id.as_str().to_owned())
            .map_err(to_wit)
    }

    fn cancel_request(&mut self, request_id: String) -> Result<(), types::MessagingError> {
        self.router
            .cancel_request(&self.id, &CorrelationId::new(request_id))
            .map_err(to_wit)
    }

    fn log(&mut self, level: host_services::LogLevel, mut message: String) {
        use host_services::LogLevel;
        if message.len() > MAX_LOG_LINE {
            let cut = (0..=MAX_LOG_LINE)
                .rev()
                .find(|&at| message.is_char_boundary(at))
                .unwrap_or(0);
            message.truncate(cut);
            message.push_str("… (cut)");
        }
        let component = &self.id;
        let correlation = self.handling.as_ref().map(CorrelationId::as_str);
        match level {
            LogLevel::Trace => {
                tracing::trace!(target: GUEST_LOG, component = %component, correlation, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: GUEST_LOG, component = %component, correlation, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: GUEST_LOG, component = %component, correlation, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: GUEST_LOG, component = %component, correlation, "{message}")
            }
            LogLevel::Error => {
                tracing::error!(target: GUEST_LOG, component = %component, correlation, "{message}")
            }
        }
    }
}

/// The `tracing` target of everything a guest writes: its log lines and its
/// stdout and stderr.
///
/// ```
/// use tracing_subscriber::EnvFilter;
///
/// // Everything guests write at debug and above, the host itself at warn.
/// let filter = EnvFilter::new(format!("warn,{}=debug", airssys_wasm::runtime::host_services::GUEST_LOG));
/// tracing_subscriber::fmt().with_env_filter(filter).init();
/// ```
pub const GUEST_LOG: &str = "airssys_wasm::guest";

/// The longest log line a guest may write, in bytes; longer ones are cut.
pub(crate) const MAX_LOG_LINE: usize = 4096;

/// The guest sees the same cases, with the host's full message as text.
fn to_wit(error: MessagingError) -> types::MessagingError {
    let text = error.to_string();
    match error {
        MessagingError::DeliveryFailed(_) => types::MessagingError::DeliveryFailed(text),
        MessagingError::CorrelationTimeout(_) => types::MessagingError::CorrelationTimeout(text),
        MessagingError::InvalidMessage(_) => types::MessagingError::InvalidMessage(text),
        MessagingError::QueueFull { .. } => types::MessagingError::QueueFull,
        MessagingError::TargetNotFound(_) => types::MessagingError::TargetNotFound(text),
        MessagingError::CapabilityDenied { .. } => types::MessagingError::CapabilityDenied(text),
    }
}

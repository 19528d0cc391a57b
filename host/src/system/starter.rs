//! [`Starter`]: what turns one component's spec into a running actor, at
//! start and when a component is added to a running system.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::core::component::id::ComponentId;
use crate::core::runtime::errors::WasmError;
use crate::messaging::counters::ComponentCounters;
use crate::messaging::subscriber::{ComponentSubscriber, LazyStart, MailboxLimits, Unlisted};
use crate::runtime::actor::{ActorTask, ActorWiring, ComponentActor, LazyActor, SharedWiring};
use crate::runtime::config::ConfigGrant;
use crate::runtime::host_services::{InstanceSettings, LiveInstances};
use crate::runtime::http::{DEFAULT_MAX_RESPONSE_BYTES, HttpGrant, HttpOrigin};
use crate::runtime::keyvalue::{DEFAULT_BUCKET_QUOTA, KeyValueGrant, KeyValueStore};
use crate::runtime::loader::LoadedComponent;
use crate::system::errors::SystemError;
use crate::system::limits::LimitOverrides;
use crate::system::spec::ComponentSpec;

/// Starts components: kept by the running system for
/// [`System::add`](crate::System::add).
pub(crate) struct Starter {
    pub(crate) shared: Arc<SharedWiring>,
    pub(crate) subscriber: Arc<ComponentSubscriber>,
    pub(crate) live: Arc<LiveInstances>,
    /// Limits for components that set none of their own.
    pub(crate) defaults: LimitOverrides,
    pub(crate) keyvalue: Arc<KeyValueHandle>,
}

/// A component's grants to its host services.
pub(crate) struct Capabilities {
    config: ConfigGrant,
    keyvalue: KeyValueGrant,
    http: Arc<HttpGrant>,
}

/// The key-value database, opened when the first component with a bucket
/// needs it (at start, or when one is added later).
pub(crate) struct KeyValueHandle {
    path: PathBuf,
    store: Mutex<Option<Arc<KeyValueStore>>>,
}

/// One component on its way to running.
pub(crate) enum Begun {
    /// Instantiated now: its mailbox is open but not listed until the
    /// instance is up.
    Eager {
        counters: Arc<ComponentCounters>,
        mailbox: Unlisted,
        start: std::pin::Pin<Box<dyn Future<Output = Result<ComponentActor, WasmError>> + Send>>,
    },
    /// Instantiated on its first message; registered already.
    Lazy {
        counters: Arc<ComponentCounters>,
        lazy: Arc<LazyActor>,
    },
}

impl KeyValueHandle {
    /// The database at `path`, not opened yet.
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            store: Mutex::new(None),
        }
    }

    /// The database, opened on first use.
    pub(crate) fn get_or_open(&self) -> Result<Arc<KeyValueStore>, SystemError> {
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(store) = &*store {
            return Ok(Arc::clone(store));
        }
        let opened =
            KeyValueStore::open(&self.path).map_err(|source| SystemError::KeyValueStore {
                path: self.path.clone(),
                source: Box::new(source),
            })?;
        Ok(Arc::clone(store.insert(Arc::new(opened))))
    }
}

impl Capabilities {
    /// `spec`'s configuration, buckets and HTTP origins; opens the
    /// key-value database if it has a bucket.
    pub(crate) fn of(spec: &ComponentSpec, keyvalue: &KeyValueHandle) -> Result<Self, SystemError> {
        let config = spec
            .config
            .resolve()
            .map_err(|missing| SystemError::MissingConfigEnv {
                component: spec.name.clone(),
                key: missing.key,
                var: missing.var,
            })?;
        let store = match spec.buckets.is_empty() {
            true => None,
            false => Some(keyvalue.get_or_open()?),
        };
        let keyvalue = KeyValueGrant {
            store,
            buckets: spec.buckets.clone(),
            quota: spec.bucket_quota.unwrap_or(DEFAULT_BUCKET_QUOTA),
        };
        let http = HttpGrant {
            allow: http_origins(spec)?,
            max_response_bytes: spec
                .max_http_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
        };
        Ok(Self {
            config,
            keyvalue,
            http: Arc::new(http),
        })
    }
}

impl Starter {
    /// Opens `spec`'s mailbox (unlisted) and prepares its instantiation; a
    /// lazy component is checked and registered instead.
    pub(crate) fn begin(
        &self,
        spec: &ComponentSpec,
        component: LoadedComponent,
        capabilities: Capabilities,
    ) -> Result<Begun, WasmError> {
        let id = ComponentId::new(&spec.name);
        let limits = spec.limits.resolve(&self.defaults);
        let settings = InstanceSettings {
            time_budget: limits.time_budget,
            memory_limit: limits.memory_limit,
            wasi: spec.wasi.clone(),
            config: capabilities.config,
            keyvalue: capabilities.keyvalue,
            http: capabilities.http,
            live: Arc::clone(&self.live),
        };
        let mailbox_limits = MailboxLimits {
            capacity: limits.mailbox_capacity,
            callback_queue_bytes: limits.callback_queue_bytes,
            max_pending_requests: Some(limits.max_pending_requests),
        };
        if limits.lazy {
            check_lazy(&id, &component, &settings)?;
            let lazy = Arc::new(LazyActor::new(
                id.clone(),
                component,
                settings,
                limits.restart_policy,
                Arc::clone(&self.shared),
            ));
            let starter = Arc::clone(&lazy) as Arc<dyn LazyStart>;
            let counters = self.subscriber.register_lazy(id, mailbox_limits, starter);
            return Ok(Begun::Lazy { counters, lazy });
        }
        let (mailbox, receivers) = self.subscriber.open_unlisted(id.clone(), mailbox_limits);
        let counters = Arc::clone(mailbox.counters());
        let (wiring, queues) = ActorWiring::new(&self.shared, receivers, limits.restart_policy);
        let start = Box::pin(ComponentActor::start(
            id, component, settings, wiring, queues,
        ));
        Ok(Begun::Eager {
            counters,
            mailbox,
            start,
        })
    }
}

/// Lists an eager component's mailbox, offering inline calls, and spawns
/// its actor; `None` if the name was taken meanwhile or the system closes.
pub(crate) fn run_actor(
    subscriber: &ComponentSubscriber,
    mailbox: Unlisted,
    actor: ComponentActor,
) -> Option<ActorTask> {
    subscriber
        .list(mailbox, Some(actor.inline()))
        .then(|| ActorTask::spawn(actor))
}

/// What start checks of a lazy component without instantiating it, beyond
/// what compiling and linking checked: its granted directories open, and its
/// memory at start fits its limit.
fn check_lazy(
    id: &ComponentId,
    component: &LoadedComponent,
    settings: &InstanceSettings,
) -> Result<(), WasmError> {
    if !settings.wasi.dirs.is_empty() {
        settings.wasi.build(id)?;
    }
    component.check_initial_memory(settings.memory_limit)
}

/// The origins `spec` may reach over HTTP, parsed.
pub(crate) fn http_origins(spec: &ComponentSpec) -> Result<Vec<HttpOrigin>, SystemError> {
    spec.http_allow
        .iter()
        .map(|origin| {
            HttpOrigin::parse(origin).map_err(|reason| SystemError::InvalidHttpGrant {
                component: spec.name.clone(),
                origin: origin.clone(),
                reason,
            })
        })
        .collect()
}

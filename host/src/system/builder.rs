//! [`SystemBuilder`] and [`ComponentSpec`]: describe a system and start it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::RestartPolicy;
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, ResponseSink};
use crate::core::runtime::errors::WasmError;
use crate::messaging::activity::Activity;
use crate::messaging::capability::Grants;
use crate::messaging::correlation::CorrelationTrackerImpl;
use crate::messaging::router::{ResponseRouter, RouterLimits};
use crate::messaging::subscriber::ComponentSubscriber;
use crate::runtime::actor::{ActorWiring, ComponentActor};
use crate::runtime::engine::{EPOCH_TICK, WasmEngine};
use crate::runtime::host_services::InstanceSettings;
use crate::runtime::loader::LoadedComponent;
use crate::runtime::wasi::{DirGrant, WasiGrants};
use crate::system::errors::SystemError;
use crate::system::progress::StartProgress;
use crate::system::running::{HostInbox, System};

/// Default mailbox capacity of a component, in messages.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// Default time one `handle-message` or `handle-callback` call may run.
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(10);

/// Supervision events kept for a subscriber that falls behind.
const EVENT_BUFFER: usize = 1024;

/// Default limit of a component's linear memory.
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// Where a component's WebAssembly comes from.
#[derive(Debug, Clone)]
pub enum WasmSource {
    /// A `.wasm` file, read at start.
    File(PathBuf),
    /// Bytes already in memory.
    Bytes(Arc<[u8]>),
}

/// One component of a system: its name, its WebAssembly, whom it may
/// message, and its limits.
///
/// ```
/// use airssys_wasm::ComponentSpec;
/// let ping = ComponentSpec::from_file("ping", "ping.wasm")
///     .grant("pong")
///     .mailbox_capacity(64);
/// assert_eq!(ping.name(), "ping");
/// ```
#[derive(Debug, Clone)]
pub struct ComponentSpec {
    name: String,
    source: WasmSource,
    grants: Vec<String>,
    grant_any: bool,
    mailbox_capacity: Option<usize>,
    time_budget: Option<Duration>,
    memory_limit: Option<usize>,
    restart_policy: Option<RestartPolicy>,
    wasi: WasiGrants,
}

impl ComponentSpec {
    /// A component named `name` loaded from the file at `path`.
    pub fn from_file(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self::new(name, WasmSource::File(path.into()))
    }

    /// A component named `name` from WebAssembly bytes.
    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::new(name, WasmSource::Bytes(bytes.into()))
    }

    fn new(name: impl Into<String>, source: WasmSource) -> Self {
        Self {
            name: name.into(),
            source,
            grants: Vec::new(),
            grant_any: false,
            mailbox_capacity: None,
            time_budget: None,
            memory_limit: None,
            restart_policy: None,
            wasi: WasiGrants::default(),
        }
    }

    /// The component's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Allows this component to message `target`.
    pub fn grant(mut self, target: impl Into<String>) -> Self {
        self.grants.push(target.into());
        self
    }

    /// Allows this component to message every component (explicit wildcard).
    pub fn grant_any(mut self) -> Self {
        self.grant_any = true;
        self
    }

    /// Mailbox capacity in messages; a send to a full mailbox is refused with
    /// `QueueFull`.
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.mailbox_capacity = Some(messages);
        self
    }

    /// How long one call into this component may run before it is
    /// interrupted (measured in epoch ticks of 10 ms).
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = Some(budget);
        self
    }

    /// Largest linear memory this component may have, in bytes; growing
    /// past it traps the call that tried.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// What happens when this component traps.
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart_policy = Some(policy);
        self
    }

    /// Grants a WASI environment variable.
    pub fn wasi_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.wasi.env.push((key.into(), value.into()));
        self
    }

    /// Grants access to the host directory `host`, seen by the guest at
    /// `guest`.
    pub fn wasi_dir(
        mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        read_only: bool,
    ) -> Self {
        self.wasi.dirs.push(DirGrant {
            host: host.into(),
            guest: guest.into(),
            read_only,
        });
        self
    }

    /// Grants sockets and name lookup.
    pub fn wasi_network(mut self) -> Self {
        self.wasi.network = true;
        self
    }
}

/// Builds a [`System`]: add components, grant who may message whom, start.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use airssys_wasm::{ComponentSpec, SystemBuilder};
///
/// let system = SystemBuilder::new()
///     .component(ComponentSpec::from_file("ping", "ping.wasm").grant("pong"))
///     .component(ComponentSpec::from_file("pong", "pong.wasm"))
///     .start()
///     .await?;
/// let answer = system.request("pong", "hello", Duration::from_secs(1))?.await?;
/// println!("{}", String::from_utf8_lossy(answer.as_bytes()));
/// system.shutdown(Duration::from_secs(5)).await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct SystemBuilder {
    components: Vec<ComponentSpec>,
    grants: Vec<(String, String)>,
    limits: RouterLimits,
    mailbox_capacity: Option<usize>,
    time_budget: Option<Duration>,
    memory_limit: Option<usize>,
    restart_policy: Option<RestartPolicy>,
    host_inbox: Option<usize>,
    progress: StartProgress,
}

impl SystemBuilder {
    /// An empty system with default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a component.
    pub fn component(mut self, spec: ComponentSpec) -> Self {
        self.components.push(spec);
        self
    }

    /// Allows component `sender` to message component `target`.
    pub fn grant(mut self, sender: impl Into<String>, target: impl Into<String>) -> Self {
        self.grants.push((sender.into(), target.into()));
        self
    }

    /// Largest payload any message may carry (default 1 MiB).
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_payload_bytes = bytes;
        self
    }

    /// Timeout for requests that ask for 0 ms (default 5 s).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.limits.default_timeout_ms = duration_ms(timeout);
        self
    }

    /// Mailbox capacity for components that set none (default 1024).
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.mailbox_capacity = Some(messages);
        self
    }

    /// Time budget per call for components that set none (default 10 s).
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = Some(budget);
        self
    }

    /// Memory limit for components that set none (default 64 MiB).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Restart policy for components that set none (default: up to 5
    /// restarts a minute).
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart_policy = Some(policy);
        self
    }

    /// Gives the host application an inbox of `capacity` messages: components
    /// granted the target `"host"` may then `send-message` to it, and the
    /// host reads them from [`System::take_inbox`]. The host answers no
    /// requests.
    pub fn host_inbox(mut self, capacity: usize) -> Self {
        self.host_inbox = Some(capacity);
        self
    }

    /// Counts compilations and instantiations into `progress` as
    /// [`start`](Self::start) goes, so another task can report them (see
    /// [`StartProgress`]).
    pub fn progress(mut self, progress: StartProgress) -> Self {
        self.progress = progress;
        self
    }

    /// Loads every component, checks names and grants, and starts one actor
    /// per component on the current tokio runtime.
    pub async fn start(self) -> Result<System, SystemError> {
        let names = self.check_names()?;
        let grants = Arc::new(Grants::new());
        for spec in &self.components {
            for target in &spec.grants {
                check_grant(&names, &spec.name, target)?;
                grants.grant(ComponentId::new(&spec.name), ComponentId::new(target));
            }
            if spec.grant_any {
                grants.grant_any(ComponentId::new(&spec.name));
            }
        }
        for (sender, target) in &self.grants {
            check_grant(&names, sender, target)?;
            grants.grant(ComponentId::new(sender), ComponentId::new(target));
        }

        let engine = Arc::new(WasmEngine::new(self.largest_memory_limit())?);
        let loaded = load_all(&engine, &self.components, &self.progress).await?;

        let activity = Arc::new(Activity::new());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker = Arc::new(CorrelationTrackerImpl::with_activity(Some(Arc::clone(
            &activity,
        ))));
        let tracker_dyn: Arc<dyn CorrelationTracker> = tracker.clone();
        let router = Arc::new(ResponseRouter::new(
            Arc::clone(&subscriber),
            Arc::clone(&tracker_dyn),
            grants,
            self.limits,
        ));
        let router_dyn: Arc<dyn MessageRouter> = router.clone();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let inbox = self
            .host_inbox
            .map(|capacity| HostInbox::new(subscriber.subscribe_host_inbox(capacity)));

        // Instances are created in parallel, on every worker thread; the
        // first failure in component order is the one reported.
        self.progress.expect_starts(loaded.len());
        let mut starting = Vec::with_capacity(loaded.len());
        let mut counters = Vec::with_capacity(loaded.len());
        for (spec, component) in self.components.iter().zip(loaded) {
            let id = ComponentId::new(&spec.name);
            let capacity = spec
                .mailbox_capacity
                .or(self.mailbox_capacity)
                .unwrap_or(DEFAULT_MAILBOX_CAPACITY);
            let budget = spec
                .time_budget
                .or(self.time_budget)
                .unwrap_or(DEFAULT_TIME_BUDGET);
            let settings = InstanceSettings {
                ticks_allowed: (budget.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64,
                memory_limit: self.memory_limit_of(spec),
                wasi: spec.wasi.clone(),
            };
            let receivers = subscriber.subscribe(id.clone(), capacity);
            counters.push((id.clone(), Arc::clone(&receivers.counters)));
            let callback_sink: Arc<dyn ResponseSink> = receivers.callback_sink;
            let wiring = ActorWiring {
                router: Arc::clone(&router_dyn),
                tracker: Arc::clone(&tracker_dyn),
                subscriber: Arc::clone(&subscriber),
                callback_sink,
                messages: receivers.messages,
                callbacks: receivers.callbacks,
                activity: Arc::clone(&activity),
                policy: spec
                    .restart_policy
                    .or(self.restart_policy)
                    .unwrap_or_default(),
                events: events.clone(),
                counters: receivers.counters,
            };
            let start = ComponentActor::start(id.clone(), component, settings, wiring);
            let progress = self.progress.clone();
            starting.push((
                id,
                tokio::spawn(async move {
                    let started = start.await;
                    if started.is_ok() {
                        progress.started_one();
                    }
                    started
                }),
            ));
        }
        let mut actors = Vec::with_capacity(starting.len());
        let mut first_error = None;
        for (id, handle) in starting {
            match handle.await {
                Ok(Ok(actor)) => actors.push((id, actor)),
                Ok(Err(error)) => {
                    first_error.get_or_insert(error);
                }
                Err(join_error) if join_error.is_panic() => {
                    std::panic::resume_unwind(join_error.into_panic())
                }
                Err(_cancelled) => {
                    first_error.get_or_insert(WasmError::Instantiate {
                        name: id.to_string(),
                        reason: "the tokio runtime shut down during start".to_owned(),
                    });
                }
            }
        }
        if let Some(error) = first_error {
            subscriber.close_all();
            return Err(error.into());
        }
        let tasks = actors
            .into_iter()
            .map(|(id, actor)| (id, tokio::spawn(actor.run())))
            .collect();

        Ok(System {
            router,
            tracker,
            subscriber,
            activity,
            tasks,
            inbox,
            events,
            counters,
            _engine: engine,
        })
    }

    fn memory_limit_of(&self, spec: &ComponentSpec) -> usize {
        spec.memory_limit
            .or(self.memory_limit)
            .unwrap_or(DEFAULT_MEMORY_LIMIT)
    }

    fn largest_memory_limit(&self) -> usize {
        self.components
            .iter()
            .map(|spec| self.memory_limit_of(spec))
            .max()
            .unwrap_or(DEFAULT_MEMORY_LIMIT)
    }

    fn check_names(&self) -> Result<HashSet<String>, SystemError> {
        let mut names = HashSet::new();
        for spec in &self.components {
            if spec.name.is_empty() || spec.name == ComponentId::HOST {
                return Err(SystemError::InvalidName(spec.name.clone()));
            }
            if !names.insert(spec.name.clone()) {
                return Err(SystemError::DuplicateName(spec.name.clone()));
            }
        }
        Ok(names)
    }
}

fn check_grant(names: &HashSet<String>, sender: &str, target: &str) -> Result<(), SystemError> {
    // "host" is a valid target (the host application's inbox), never a sender.
    let known = |name: &str| names.contains(name) || (name == target && name == ComponentId::HOST);
    for name in [sender, target] {
        if !known(name) {
            return Err(SystemError::UnknownGrant {
                sender: sender.to_owned(),
                target: target.to_owned(),
                missing: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// Compiles every distinct component once, on the blocking pool, in
/// parallel. Components given the same file, or the same bytes (clones of
/// one `Arc`), share one compilation and one `InstancePre`.
async fn load_all(
    engine: &Arc<WasmEngine>,
    specs: &[ComponentSpec],
    progress: &StartProgress,
) -> Result<Vec<LoadedComponent>, WasmError> {
    let mut first_of: HashMap<SourceKey, usize> = HashMap::new();
    let mut jobs = Vec::new();
    let mut job_of_spec = Vec::with_capacity(specs.len());
    for spec in specs {
        let job = *first_of
            .entry(SourceKey::of(&spec.source))
            .or_insert_with(|| {
                let engine = Arc::clone(engine);
                let spec = spec.clone();
                let progress = progress.clone();
                jobs.push(tokio::task::spawn_blocking(move || {
                    let loaded = match &spec.source {
                        WasmSource::File(path) => {
                            LoadedComponent::from_file(&engine, &spec.name, path)
                        }
                        WasmSource::Bytes(bytes) => {
                            LoadedComponent::from_bytes(&engine, &spec.name, bytes)
                        }
                    };
                    if loaded.is_ok() {
                        progress.compiled_one();
                    }
                    loaded
                }));
                jobs.len() - 1
            });
        job_of_spec.push(job);
    }
    progress.expect_compiles(jobs.len());
    let mut compiled = Vec::with_capacity(jobs.len());
    for job in jobs {
        compiled.push(
            job.await
                .map_err(|e| WasmError::Engine(format!("compile task failed: {e}")))??,
        );
    }
    Ok(specs
        .iter()
        .zip(job_of_spec)
        .map(|(spec, job)| compiled[job].renamed(&spec.name))
        .collect())
}

/// What makes two sources the same compilation.
#[derive(PartialEq, Eq, Hash)]
enum SourceKey {
    File(PathBuf),
    /// The address and length of shared bytes.
    Bytes(usize, usize),
}

impl SourceKey {
    fn of(source: &WasmSource) -> Self {
        match source {
            WasmSource::File(path) => SourceKey::File(path.clone()),
            WasmSource::Bytes(bytes) => SourceKey::Bytes(bytes.as_ptr() as usize, bytes.len()),
        }
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

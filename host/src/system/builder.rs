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
///
/// ```
/// use airssys_wasm::system::builder::DEFAULT_MAILBOX_CAPACITY;
/// use airssys_wasm::ComponentSpec;
/// let bursty = ComponentSpec::from_file("ingest", "ingest.wasm").mailbox_capacity(DEFAULT_MAILBOX_CAPACITY * 8);
/// # let _ = bursty;
/// ```
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// Default time one `handle-message` or `handle-callback` call may run.
///
/// ```
/// use airssys_wasm::system::builder::DEFAULT_TIME_BUDGET;
/// use airssys_wasm::ComponentSpec;
/// let quick = ComponentSpec::from_file("lookup", "lookup.wasm").time_budget(DEFAULT_TIME_BUDGET / 100);
/// # let _ = quick;
/// ```
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(10);

/// Supervision events kept for a subscriber that falls behind.
const EVENT_BUFFER: usize = 1024;

/// Default limit of a component's linear memory.
///
/// ```
/// use airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT;
/// use airssys_wasm::ComponentSpec;
/// let hungry = ComponentSpec::from_file("render", "render.wasm").memory_limit(DEFAULT_MEMORY_LIMIT * 4);
/// # let _ = hungry;
/// ```
pub const DEFAULT_MEMORY_LIMIT: usize = 64 * 1024 * 1024;

/// Where a component's WebAssembly comes from.
///
/// ```
/// use airssys_wasm::WasmSource;
///
/// // Where `ComponentSpec::from_file` and `from_bytes` say the code is; a
/// // system compiles each distinct source once.
/// let source = WasmSource::File("plugins/echo.wasm".into());
/// let describe = |source: &WasmSource| match source {
///     WasmSource::File(path) => format!("file {}", path.display()),
///     WasmSource::Bytes(bytes) => format!("{} bytes", bytes.len()),
/// };
/// assert_eq!(describe(&source), "file plugins/echo.wasm");
/// ```
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
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("billing", "plugins/billing.wasm");
    /// assert_eq!(spec.name(), "billing");
    /// ```
    pub fn from_file(name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self::new(name, WasmSource::File(path.into()))
    }

    /// A component named `name` from WebAssembly bytes.
    ///
    /// ```
    /// // Usually `include_bytes!("../plugins/billing.wasm")`.
    /// static BILLING: &[u8] = b"\0asm...";
    /// let spec = airssys_wasm::ComponentSpec::from_bytes("billing", BILLING);
    /// assert_eq!(spec.name(), "billing");
    /// ```
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
    ///
    /// ```
    /// assert_eq!(airssys_wasm::ComponentSpec::from_file("a", "a.wasm").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Allows this component to message `target`.
    ///
    /// ```
    /// // shop may message warehouse and the host's inbox; nobody else.
    /// let shop = airssys_wasm::ComponentSpec::from_file("shop", "shop.wasm")
    ///     .grant("warehouse")
    ///     .grant("host");
    /// # let _ = shop;
    /// ```
    pub fn grant(mut self, target: impl Into<String>) -> Self {
        self.grants.push(target.into());
        self
    }

    /// Allows this component to message every component (explicit wildcard).
    ///
    /// ```
    /// // A dispatcher that forwards to whichever component a message names.
    /// let dispatcher = airssys_wasm::ComponentSpec::from_file("dispatch", "dispatch.wasm").grant_any();
    /// # let _ = dispatcher;
    /// ```
    pub fn grant_any(mut self) -> Self {
        self.grant_any = true;
        self
    }

    /// Mailbox capacity in messages; a send to a full mailbox is refused with
    /// `QueueFull`.
    ///
    /// ```
    /// // A slow consumer: refuse early rather than queue minutes of work.
    /// let spec = airssys_wasm::ComponentSpec::from_file("mailer", "mailer.wasm").mailbox_capacity(32);
    /// # let _ = spec;
    /// ```
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.mailbox_capacity = Some(messages);
        self
    }

    /// How long one call into this component may run before it is
    /// interrupted (measured in epoch ticks of 10 ms).
    ///
    /// ```
    /// use std::time::Duration;
    /// let spec = airssys_wasm::ComponentSpec::from_file("resize", "resize.wasm")
    ///     .time_budget(Duration::from_secs(30));
    /// # let _ = spec;
    /// ```
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = Some(budget);
        self
    }

    /// Largest linear memory this component may have, in bytes; growing
    /// past it traps the call that tried.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("tiny", "tiny.wasm").memory_limit(4 << 20);
    /// # let _ = spec;
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// What happens when this component traps.
    ///
    /// ```
    /// use airssys_wasm::{ComponentSpec, RestartPolicy};
    /// let spec = ComponentSpec::from_file("ledger", "ledger.wasm").restart_policy(RestartPolicy::Never);
    /// # let _ = spec;
    /// ```
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart_policy = Some(policy);
        self
    }

    /// Grants a WASI environment variable.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("shop", "shop.wasm")
    ///     .wasi_env("CURRENCY", "EUR");
    /// # let _ = spec;
    /// ```
    pub fn wasi_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.wasi.env.push((key.into(), value.into()));
        self
    }

    /// Grants access to the host directory `host`, seen by the guest at
    /// `guest`.
    ///
    /// ```
    /// // Read-only: the guest can open /assets/* but not write there.
    /// let spec = airssys_wasm::ComponentSpec::from_file("site", "site.wasm")
    ///     .wasi_dir("public", "/assets", true);
    /// # let _ = spec;
    /// ```
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
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("fetcher", "fetcher.wasm").wasi_network();
    /// # let _ = spec;
    /// ```
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
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new();
    /// # let _ = builder;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a component.
    ///
    /// ```
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let builder = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("ping", "ping.wasm"))
    ///     .component(ComponentSpec::from_file("pong", "pong.wasm"));
    /// # let _ = builder;
    /// ```
    pub fn component(mut self, spec: ComponentSpec) -> Self {
        self.components.push(spec);
        self
    }

    /// Allows component `sender` to message component `target`.
    ///
    /// ```
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// // The same as `ComponentSpec::grant`, for grants decided in one place.
    /// let builder = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("ping", "ping.wasm"))
    ///     .component(ComponentSpec::from_file("pong", "pong.wasm"))
    ///     .grant("ping", "pong");
    /// # let _ = builder;
    /// ```
    pub fn grant(mut self, sender: impl Into<String>, target: impl Into<String>) -> Self {
        self.grants.push((sender.into(), target.into()));
        self
    }

    /// Largest payload any message may carry (default 1 MiB).
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().max_payload_bytes(64 * 1024);
    /// # let _ = builder;
    /// ```
    pub fn max_payload_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_payload_bytes = bytes;
        self
    }

    /// Timeout for requests that ask for 0 ms (default 5 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// // `request(..., Duration::ZERO)` and guests asking for 0 ms now wait 1 s.
    /// let builder = airssys_wasm::SystemBuilder::new().default_timeout(Duration::from_secs(1));
    /// # let _ = builder;
    /// ```
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.limits.default_timeout_ms = duration_ms(timeout);
        self
    }

    /// Mailbox capacity for components that set none (default 1024).
    ///
    /// ```
    /// use airssys_wasm::system::builder::DEFAULT_MAILBOX_CAPACITY;
    /// let builder = airssys_wasm::SystemBuilder::new().mailbox_capacity(DEFAULT_MAILBOX_CAPACITY * 4);
    /// # let _ = builder;
    /// ```
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.mailbox_capacity = Some(messages);
        self
    }

    /// Time budget per call for components that set none (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = airssys_wasm::SystemBuilder::new().time_budget(Duration::from_millis(500));
    /// # let _ = builder;
    /// ```
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = Some(budget);
        self
    }

    /// Memory limit for components that set none (default 64 MiB).
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().memory_limit(16 << 20);
    /// # let _ = builder;
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Restart policy for components that set none (default: up to 5
    /// restarts a minute).
    ///
    /// ```
    /// use airssys_wasm::{RestartPolicy, SystemBuilder};
    /// let builder = SystemBuilder::new().restart_policy(RestartPolicy::Never);
    /// # let _ = builder;
    /// ```
    pub fn restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart_policy = Some(policy);
        self
    }

    /// Gives the host application an inbox of `capacity` messages: components
    /// granted the target `"host"` may then `send-message` to it, and the
    /// host reads them from [`System::take_inbox`]. The host answers no
    /// requests.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let mut system = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("audit", "audit.wasm").grant("host"))
    ///     .host_inbox(256)
    ///     .start()
    ///     .await?;
    /// let mut inbox = system.take_inbox().expect("asked for one");
    /// while let Some(report) = inbox.recv().await {
    ///     println!("{}: {:?}", report.sender, report.payload);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn host_inbox(mut self, capacity: usize) -> Self {
        self.host_inbox = Some(capacity);
        self
    }

    /// Counts compilations and instantiations into `progress` as
    /// [`start`](Self::start) goes, so another task can report them (see
    /// [`StartProgress`]).
    ///
    /// ```
    /// use airssys_wasm::{StartProgress, SystemBuilder};
    /// let progress = StartProgress::new();
    /// let builder = SystemBuilder::new().progress(progress.clone());
    /// // ... start `builder` in one task, read `progress.counts()` in another.
    /// # let _ = builder;
    /// ```
    pub fn progress(mut self, progress: StartProgress) -> Self {
        self.progress = progress;
        self
    }

    /// Loads every component, checks names and grants, and starts one actor
    /// per component on the current tokio runtime.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// match SystemBuilder::new().component(ComponentSpec::from_file("app", "app.wasm")).start().await {
    ///     Ok(system) => println!("running {} components", system.component_ids().len()),
    ///     // One line naming the component and the cause.
    ///     Err(error) => eprintln!("cannot start: {error}"),
    /// }
    /// # }
    /// ```
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

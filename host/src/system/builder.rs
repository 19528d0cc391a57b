//! [`SystemBuilder`]: describe a system, then start it in a few named steps.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::core::component::id::ComponentId;
use crate::core::component::supervision::{RestartPolicy, SupervisionEvent};
use crate::core::messaging::activity::Activity;
use crate::core::messaging::traits::{CorrelationTracker, MailboxRegistry, MessageRouter};
use crate::core::runtime::errors::WasmError;
use crate::lattice::Lattice;
use crate::lattice::config::LatticeConfig;
use crate::messaging::capability::Grants;
use crate::messaging::correlation::CorrelationTrackerImpl;
use crate::messaging::counters::ComponentCounters;
use crate::messaging::router::{Remote, ResponseRouter, RouterLimits};
use crate::messaging::service::{
    Service, ServiceActor, ServiceCall, ServiceContext, ServiceResult,
};
use crate::messaging::subscriber::{ComponentSubscriber, MailboxLimits, Unlisted};
use crate::messaging::timer::{TIMER, timer_service};
use crate::runtime::actor::{ActorTask, ComponentActor, LazyActor, SharedWiring};
use crate::runtime::cache::CompileCache;
use crate::runtime::engine::WasmEngine;
use crate::runtime::host_services::LiveInstances;
use crate::runtime::keyvalue::valid_bucket_name;
use crate::runtime::loader::LoadedComponent;
use crate::system::compile;
use crate::system::errors::SystemError;
use crate::system::inbox::HostInbox;
use crate::system::limits::{self, DEFAULT_MEMORY_LIMIT, LimitOverrides};
use crate::system::progress::{StartCounts, StartProgress};
use crate::system::registry::{Entry, Registry};
use crate::system::running::System;
use crate::system::spec::{ComponentSpec, WasmSource};
use crate::system::starter::{
    Begun, Capabilities, KeyValueHandle, Starter, http_origins, run_actor,
};

/// Supervision events kept for a subscriber that falls behind.
const EVENT_BUFFER: usize = 1024;

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
    /// Limits for components that set none of their own.
    component_limits: LimitOverrides,
    host_inbox: Option<usize>,
    /// The host application's services, by name.
    services: Vec<(String, Service)>,
    /// Where the key-value database is; `None` for the default.
    keyvalue_path: Option<PathBuf>,
    compile_cache: CacheChoice,
    progress: StartProgress,
    /// The lattice to join, if any.
    lattice: Option<LatticeConfig>,
}

/// Where compiled components are kept between starts.
#[derive(Debug, Clone, Default)]
enum CacheChoice {
    /// The user's cache directory; without one (or when it cannot be
    /// created), no cache, with a warning.
    #[default]
    UserDefault,
    Dir(PathBuf),
    Off,
}

/// The key-value database's file when none is set: in the working
/// directory.
pub const DEFAULT_KEYVALUE_PATH: &str = "airssys-state.redb";

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
    /// use airssys_wasm::DEFAULT_MAILBOX_CAPACITY;
    /// let builder = airssys_wasm::SystemBuilder::new().mailbox_capacity(DEFAULT_MAILBOX_CAPACITY * 4);
    /// # let _ = builder;
    /// ```
    pub fn mailbox_capacity(mut self, messages: usize) -> Self {
        self.component_limits.mailbox_capacity = Some(messages);
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
        self.component_limits.time_budget = Some(budget);
        self
    }

    /// Memory limit for components that set none (default 64 MiB).
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().memory_limit(16 << 20);
    /// # let _ = builder;
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.component_limits.memory_limit = Some(bytes);
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
        self.component_limits.restart_policy = Some(policy);
        self
    }

    /// Instantiates components that say nothing else on their first
    /// message rather than at start; see [`ComponentSpec::lazy`]. A system
    /// of many mostly idle components then starts in the time it takes to
    /// compile and check them, and holds a store only for those in use.
    ///
    /// ```
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let builder = SystemBuilder::new()
    ///     .lazy(true)
    ///     // The gateway is called at once, so it starts with the system.
    ///     .component(ComponentSpec::from_file("gateway", "gateway.wasm").lazy(false));
    /// # let _ = builder;
    /// ```
    pub fn lazy(mut self, lazy: bool) -> Self {
        self.component_limits.lazy = Some(lazy);
        self
    }

    /// Outstanding requests per component for components that set none
    /// (default 128); see [`ComponentSpec::max_pending_requests`].
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().max_pending_requests(32);
    /// # let _ = builder;
    /// ```
    pub fn max_pending_requests(mut self, requests: usize) -> Self {
        self.component_limits.max_pending_requests = Some(requests);
        self
    }

    /// Bytes of outcomes that may wait for a busy component's
    /// `handle-callback`, for components that set none (default 16 MiB);
    /// see [`ComponentSpec::callback_queue_bytes`].
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().callback_queue_bytes(4 << 20);
    /// # let _ = builder;
    /// ```
    pub fn callback_queue_bytes(mut self, bytes: usize) -> Self {
        self.component_limits.callback_queue_bytes = Some(bytes);
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

    /// Offers components a service named `name`, written in Rust:
    /// `handler` takes each call and answers it (see [`Service::new`]).
    /// Components reach it like a component, given a grant to `name`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let system = SystemBuilder::new()
    ///     .service("clock", |_call| async move {
    ///         let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    ///         Ok(now.as_secs().to_string().into())
    ///     })
    ///     .component(ComponentSpec::from_file("scheduler", "scheduler.wasm").grant("clock"))
    ///     .start()
    ///     .await?;
    /// # let _ = system;
    /// # Ok(()) }
    /// ```
    pub fn service<F, Fut>(self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(ServiceCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ServiceResult> + Send + 'static,
    {
        self.service_with(name, Service::new(handler))
    }

    /// Offers components `service` under `name`: one built with
    /// [`Service::json`], [`Service::msgpack`] or with its own concurrency
    /// and queue.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::{ComponentSpec, Service, SystemBuilder};
    /// let system = SystemBuilder::new()
    ///     .service_with("upper", Service::json(|_call, text: String| async move { Ok(text.to_uppercase()) }).concurrency(4))
    ///     .component(ComponentSpec::from_file("app", "app.wasm").grant("upper"))
    ///     .start()
    ///     .await?;
    /// # let _ = system;
    /// # Ok(()) }
    /// ```
    pub fn service_with(mut self, name: impl Into<String>, service: Service) -> Self {
        self.services.push((name.into(), service));
        self
    }

    /// Where the durable key-value database is: one file for every
    /// component's buckets, created if missing, opened only when some
    /// component was granted a bucket. Defaults to
    /// [`DEFAULT_KEYVALUE_PATH`] in the working directory (`airssys run`:
    /// next to the manifest). One system at a time may hold it open.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let system = SystemBuilder::new()
    ///     .keyvalue_path("/var/lib/shop/state.redb")
    ///     .component(ComponentSpec::from_file("cart", "cart.wasm").keyvalue_bucket("carts"))
    ///     .start()
    ///     .await?;
    /// # let _ = system;
    /// # Ok(()) }
    /// ```
    pub fn keyvalue_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.keyvalue_path = Some(path.into());
        self
    }

    /// Keeps compiled components in `dir` and loads them from there on the
    /// next start, instead of compiling again. By default the cache is
    /// the user's cache directory (`~/.cache/airssys/compiled` on Linux).
    /// Entries are named by the component's content hash and the engine's
    /// configuration; one that is truncated, altered, from another engine
    /// or owned by another user is compiled again, never loaded. A
    /// directory that cannot be created fails [`start`](Self::start) with
    /// [`SystemError::CompileCache`].
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().compile_cache("/var/cache/shop/airssys");
    /// # let _ = builder;
    /// ```
    pub fn compile_cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.compile_cache = CacheChoice::Dir(dir.into());
        self
    }

    /// Compiles every component at every start, keeping nothing on disk.
    ///
    /// ```
    /// let builder = airssys_wasm::SystemBuilder::new().no_compile_cache();
    /// # let _ = builder;
    /// ```
    pub fn no_compile_cache(mut self) -> Self {
        self.compile_cache = CacheChoice::Off;
        self
    }

    /// Compiles every component into the compile cache without starting
    /// anything, so the next [`start`](Self::start) loads them from there
    /// (`airssys compile` does this). Returns how many were compiled and
    /// how many were already cached. Without a cache it only checks that
    /// every component compiles.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), airssys_wasm::SystemError> {
    /// use airssys_wasm::{ComponentSpec, SystemBuilder};
    /// let counts = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("app", "app.wasm"))
    ///     .precompile()
    ///     .await?;
    /// println!("{} compiled, {} already cached", counts.compiled - counts.from_cache, counts.from_cache);
    /// # Ok(()) }
    /// ```
    pub async fn precompile(&self) -> Result<StartCounts, SystemError> {
        self.check_limits()?;
        let engine = Arc::new(self.engine()?);
        let progress = StartProgress::new();
        compile::load_all(&engine, &self.components, &progress).await?;
        Ok(progress.counts())
    }

    /// The engine for this system's limits, with its compile cache.
    fn engine(&self) -> Result<WasmEngine, SystemError> {
        let engine = WasmEngine::new(self.largest_memory_limit())?;
        let cache = match &self.compile_cache {
            CacheChoice::Off => None,
            CacheChoice::Dir(dir) => {
                Some(
                    CompileCache::open(dir).map_err(|source| SystemError::CompileCache {
                        path: dir.clone(),
                        source,
                    })?,
                )
            }
            CacheChoice::UserDefault => {
                let dir = CompileCache::default_dir();
                match dir.as_deref().map(CompileCache::open) {
                    Some(Ok(cache)) => Some(cache),
                    Some(Err(error)) => {
                        tracing::warn!(%error, dir = ?dir, "no compile cache: its directory cannot be created");
                        None
                    }
                    None => {
                        tracing::warn!("no compile cache: this user has no cache directory");
                        None
                    }
                }
            }
        };
        Ok(engine.with_cache(cache))
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
    ///     Err(error) => {
    ///         // What failed, naming the component, then why, from its sources.
    ///         eprint!("cannot start: {error}");
    ///         let mut source = std::error::Error::source(&error);
    ///         while let Some(cause) = source {
    ///             eprint!(": {cause}");
    ///             source = cause.source();
    ///         }
    ///         eprintln!();
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn start(self) -> Result<System, SystemError> {
        self.check_limits()?;
        let grants = self.check_grants()?;
        self.check_capabilities()?;
        let keyvalue = Arc::new(KeyValueHandle::new(
            self.keyvalue_path
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYVALUE_PATH)),
        ));
        let capabilities = self
            .components
            .iter()
            .map(|spec| Capabilities::of(spec, &keyvalue))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = Arc::new(self.engine()?);
        let loaded = compile::load_all(&engine, &self.components, &self.progress).await?;
        let parts = Parts::new(grants, self.limits);
        let inbox = self
            .host_inbox
            .map(|capacity| HostInbox::new(parts.subscriber.subscribe_host_inbox(capacity)));
        let starter = Starter {
            shared: Arc::new(SharedWiring {
                router: Arc::clone(&parts.router),
                tracker: Arc::clone(&parts.tracker) as Arc<dyn CorrelationTracker>,
                registry: Arc::clone(&parts.subscriber) as Arc<dyn MailboxRegistry>,
                max_payload_bytes: self.limits.max_payload_bytes,
                events: parts.events.clone(),
                runtime: tokio::runtime::Handle::current(),
            }),
            subscriber: Arc::clone(&parts.subscriber),
            live: Arc::clone(&parts.live),
            defaults: self.component_limits,
            keyvalue,
        };
        let mut entries = match self.start_actors(&starter, loaded, capabilities).await {
            Ok(entries) => entries,
            Err(error) => {
                parts.subscriber.close_all();
                return Err(error.into());
            }
        };
        for (name, service) in self.services.iter().cloned() {
            let (id, counters, actor) = parts.service(&name, service);
            let task = ActorTask::service(tokio::spawn(actor.run()));
            entries.push(Entry::new(id, task, counters));
        }
        let (timer, timers) = timer_service(Arc::clone(&parts.grants), Arc::clone(&parts.activity));
        let (_, timer_counters, actor) = parts.service(TIMER, timer);
        let built_in = vec![tokio::spawn(actor.run())];
        let lattice = match &self.lattice {
            None => None,
            Some(config) => {
                let joined = Lattice::join(
                    config,
                    digests(&self.components).await,
                    Arc::clone(&parts.router),
                    (
                        Arc::clone(&parts.tracker) as Arc<dyn CorrelationTracker>,
                        Arc::clone(&parts.grants),
                    ),
                )
                .await;
                match joined {
                    Ok(lattice) => {
                        let lattice = Arc::new(lattice);
                        parts
                            .router
                            .connect_remote(Arc::clone(&lattice.link) as Arc<dyn Remote>);
                        Some(lattice)
                    }
                    Err(error) => {
                        parts.router.close();
                        parts.subscriber.close_all();
                        for entry in &entries {
                            entry.task.abort();
                        }
                        for task in &built_in {
                            task.abort();
                        }
                        return Err(error.into());
                    }
                }
            }
        };
        Ok(System {
            lattice,
            router: parts.router,
            grants: parts.grants,
            tracker: parts.tracker,
            subscriber: parts.subscriber,
            activity: parts.activity,
            events: parts.events,
            registry: Arc::new(Registry::new(entries, timer_counters)),
            starter,
            timers,
            removals: std::sync::Mutex::default(),
            built_in,
            inbox,
            live: parts.live,
            engine,
            changes: tokio::sync::Mutex::new(()),
            failed_upgrades: AtomicU64::new(0),
        })
    }

    /// Joins the lattice `config` names at start: components of other hosts
    /// of the lattice are then reached by name, as local ones are, and this
    /// host's components are reached from theirs. Grants may name
    /// components of other hosts.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), airssys_wasm::SystemError> {
    /// use airssys_wasm::{ComponentSpec, LatticeConfig, SystemBuilder};
    ///
    /// // "pong" runs on another host of the lattice "demo".
    /// let system = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("ping", "ping.wasm").grant("pong"))
    ///     .lattice(LatticeConfig::new("demo", "nats://127.0.0.1:4222"))
    ///     .start()
    ///     .await?;
    /// # let _ = system;
    /// # Ok(()) }
    /// ```
    pub fn lattice(mut self, config: LatticeConfig) -> Self {
        self.lattice = Some(config);
        self
    }

    /// Checks what can be checked without loading a component: names
    /// unique and not reserved, grants between components of this system,
    /// every limit within its range. [`start`](Self::start) does the same
    /// first; this lets a tool validate a configuration on its own.
    ///
    /// ```
    /// use airssys_wasm::{ComponentSpec, SystemBuilder, SystemError};
    ///
    /// let builder = SystemBuilder::new()
    ///     .component(ComponentSpec::from_file("ingest", "ingest.wasm").mailbox_capacity(0));
    /// let error = builder.check().unwrap_err();
    /// assert!(matches!(error, SystemError::LimitOutOfRange { limit: "mailbox_capacity", .. }));
    /// ```
    pub fn check(&self) -> Result<(), SystemError> {
        self.check_limits()?;
        self.check_grants()?;
        self.check_capabilities()
    }

    /// Checks every bucket name and HTTP origin.
    fn check_capabilities(&self) -> Result<(), SystemError> {
        self.components.iter().try_for_each(check_capabilities_of)
    }

    fn check_limits(&self) -> Result<(), SystemError> {
        limits::check_system(
            self.limits.max_payload_bytes,
            Duration::from_millis(self.limits.default_timeout_ms),
            self.host_inbox,
        )?;
        self.component_limits.check(None)?;
        for spec in &self.components {
            spec.limits.check(Some(&spec.name))?;
        }
        Ok(())
    }

    /// Checks names and grants: every name unique and not reserved, every
    /// grant between components of this system (or to the host's inbox).
    fn check_grants(&self) -> Result<Grants, SystemError> {
        let names = self.check_names()?;
        let grants = Grants::default();
        for spec in &self.components {
            for target in &spec.grants {
                if !self.grants_may_reach_other_hosts() {
                    check_grant(&names, &spec.name, target)?;
                }
                grants.grant(ComponentId::new(&spec.name), ComponentId::new(target));
            }
            if spec.grant_any {
                grants.grant_any(ComponentId::new(&spec.name));
            }
        }
        for (sender, target) in &self.grants {
            if !self.grants_may_reach_other_hosts() || !names.contains(sender.as_str()) {
                check_grant(&names, sender, target)?;
            }
            grants.grant(ComponentId::new(sender), ComponentId::new(target));
        }
        Ok(grants)
    }

    /// Whether a name no component of this system has may still be granted:
    /// with a lattice, it may run on another host.
    fn grants_may_reach_other_hosts(&self) -> bool {
        self.lattice.is_some()
    }

    /// Opens each component's mailbox and instantiates it, all in parallel
    /// on every worker thread; lazy components are only checked and
    /// registered. The first failure in component order is the one
    /// reported.
    async fn start_actors(
        &self,
        starter: &Starter,
        loaded: Vec<LoadedComponent>,
        capabilities: Vec<Capabilities>,
    ) -> Result<Vec<Entry>, WasmError> {
        let eager = self
            .components
            .iter()
            .filter(|spec| !spec.limits.resolve(&self.component_limits).lazy);
        self.progress.expect_starts(eager.count());
        let mut starting = Vec::with_capacity(loaded.len());
        let each = self.components.iter().zip(loaded).zip(capabilities);
        for ((spec, component), capabilities) in each {
            let id = ComponentId::new(&spec.name);
            let begun = match starter.begin(spec, component, capabilities) {
                Ok(Begun::Eager {
                    counters,
                    mailbox,
                    start,
                }) => {
                    let progress = self.progress.clone();
                    let task = tokio::spawn(async move {
                        let started = start.await;
                        if started.is_ok() {
                            progress.started_one();
                        }
                        started
                    });
                    Ok(Starting::Eager(counters, mailbox, task))
                }
                Ok(Begun::Lazy { counters, lazy }) => Ok(Starting::Lazy(counters, lazy)),
                Err(error) => Err(error),
            };
            starting.push((id, begun));
        }
        let mut entries = Vec::with_capacity(starting.len());
        let mut first_error = None;
        for (id, starting) in starting {
            let (counters, mailbox, task) = match starting {
                Ok(Starting::Lazy(counters, lazy)) => {
                    entries.push(Entry::new(id, ActorTask::Lazy(lazy), counters));
                    continue;
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                    continue;
                }
                Ok(Starting::Eager(counters, mailbox, task)) => (counters, mailbox, task),
            };
            match joined_actor(&id, task.await) {
                Ok(actor) if first_error.is_none() => {
                    match run_actor(&starter.subscriber, mailbox, actor) {
                        Some(task) => entries.push(Entry::new(id, task, counters)),
                        None => {
                            first_error.get_or_insert(WasmError::StartCancelled {
                                name: id.to_string(),
                            });
                        }
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => {
                for entry in &entries {
                    entry.task.abort();
                }
                Err(error)
            }
            None => Ok(entries),
        }
    }

    fn largest_memory_limit(&self) -> usize {
        self.components
            .iter()
            .map(|spec| spec.limits.resolve(&self.component_limits).memory_limit)
            .max()
            .unwrap_or(DEFAULT_MEMORY_LIMIT)
    }

    /// Every component's and service's name, each unique and none reserved
    /// (`host`, and `timer` for the built-in timer service, which is then
    /// added as a name grants may use).
    fn check_names(&self) -> Result<HashSet<String>, SystemError> {
        let mut names = HashSet::new();
        let own = self.components.iter().map(|spec| &spec.name);
        for name in own.chain(self.services.iter().map(|(name, _)| name)) {
            if name.is_empty() || name == ComponentId::HOST || name == TIMER {
                return Err(SystemError::InvalidName(name.clone()));
            }
            if !names.insert(name.clone()) {
                return Err(SystemError::DuplicateName(name.clone()));
            }
        }
        names.insert(TIMER.to_owned());
        Ok(names)
    }
}

/// Checks `spec`'s bucket names and HTTP origins.
pub(crate) fn check_capabilities_of(spec: &ComponentSpec) -> Result<(), SystemError> {
    if let Some(bucket) = spec.buckets.iter().find(|name| !valid_bucket_name(name)) {
        return Err(SystemError::InvalidBucket {
            component: spec.name.clone(),
            bucket: bucket.clone(),
        });
    }
    http_origins(spec).map(drop)
}

/// One component on its way through start.
enum Starting {
    Eager(
        Arc<ComponentCounters>,
        Unlisted,
        tokio::task::JoinHandle<Result<ComponentActor, WasmError>>,
    ),
    Lazy(Arc<ComponentCounters>, Arc<LazyActor>),
}

/// The actor an instantiation task made, or why there is none.
pub(crate) fn joined_actor(
    id: &ComponentId,
    task: Result<Result<ComponentActor, WasmError>, tokio::task::JoinError>,
) -> Result<ComponentActor, WasmError> {
    match task {
        Ok(started) => started,
        Err(join_error) if join_error.is_panic() => {
            std::panic::resume_unwind(join_error.into_panic())
        }
        Err(_cancelled) => Err(WasmError::StartCancelled {
            name: id.to_string(),
        }),
    }
}

/// The messaging parts every actor shares: the concrete types, wired here
/// and nowhere else.
struct Parts {
    grants: Arc<Grants>,
    activity: Arc<Activity>,
    subscriber: Arc<ComponentSubscriber>,
    tracker: Arc<CorrelationTrackerImpl>,
    router: Arc<ResponseRouter>,
    events: broadcast::Sender<SupervisionEvent>,
    live: Arc<LiveInstances>,
}

impl Parts {
    fn new(grants: Grants, limits: RouterLimits) -> Self {
        let grants = Arc::new(grants);
        let activity = Arc::new(Activity::default());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker = Arc::new(CorrelationTrackerImpl::with_activity(Some(Arc::clone(
            &activity,
        ))));
        let router = Arc::new(ResponseRouter::new(
            Arc::clone(&subscriber),
            Arc::clone(&tracker) as Arc<dyn CorrelationTracker>,
            Arc::clone(&grants),
            limits,
        ));
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Self {
            grants,
            activity,
            subscriber,
            tracker,
            router,
            events,
            live: Arc::default(),
        }
    }
}

impl Parts {
    /// A service's mailbox and actor. A service is the host application's
    /// code: like the host, it may message every component, and its own
    /// requests are awaited, not queued, so it has no cap on them.
    fn service(&self, name: &str, service: Service) -> StartedService {
        let id = ComponentId::new(name);
        self.grants.grant_any(id.clone());
        let mailbox = self.subscriber.subscribe(
            id.clone(),
            MailboxLimits {
                capacity: service.mailbox_capacity,
                callback_queue_bytes: 0,
                max_pending_requests: None,
            },
        );
        let actor = ServiceActor {
            id: id.clone(),
            service,
            messages: mailbox.messages,
            context: ServiceContext::new(
                id.clone(),
                Arc::clone(&self.router) as Arc<dyn MessageRouter>,
            ),
            tracker: Arc::clone(&self.tracker) as Arc<dyn CorrelationTracker>,
            registry: Arc::clone(&self.subscriber) as Arc<dyn MailboxRegistry>,
            counters: Arc::clone(&mailbox.counters),
        };
        (id, mailbox.counters, actor)
    }
}

/// A service ready to run, with its name and counters.
type StartedService = (ComponentId, Arc<ComponentCounters>, ServiceActor);

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

/// Each component's name and its wasm's digest, as this host announces
/// them to its lattice.
async fn digests(specs: &[ComponentSpec]) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        out.push((spec.name.clone(), digest_of(&spec.source).await));
    }
    out
}

/// SHA-256 of a component's wasm, in hex.
pub(crate) async fn digest_of(source: &WasmSource) -> String {
    use sha2::Digest as _;
    let digest = match source {
        WasmSource::Bytes(bytes) => sha2::Sha256::digest(bytes),
        // Loaded a moment ago: a file gone since hashes as empty, which
        // only matters if another host runs the same name.
        WasmSource::File(path) => {
            sha2::Sha256::digest(tokio::fs::read(path).await.unwrap_or_default())
        }
    };
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

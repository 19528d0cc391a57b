//! [`ComponentSpec`]: one component of a system.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::core::component::supervision::RestartPolicy;
use crate::runtime::config::{ConfigSpec, ConfigValue};
use crate::runtime::wasi::{DirGrant, WasiGrants};
use crate::system::limits::LimitOverrides;

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
    pub(crate) name: String,
    pub(crate) source: WasmSource,
    pub(crate) grants: Vec<String>,
    pub(crate) grant_any: bool,
    /// Its own limits; unset ones fall back to the system's.
    pub(crate) limits: LimitOverrides,
    pub(crate) wasi: WasiGrants,
    pub(crate) config: ConfigSpec,
    /// The `wasi:keyvalue` buckets it may open.
    pub(crate) buckets: Vec<String>,
    pub(crate) bucket_quota: Option<u64>,
    /// The origins its `wasi:http` requests may reach, as given.
    pub(crate) http_allow: Vec<String>,
    pub(crate) max_http_response_bytes: Option<u64>,
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
            limits: LimitOverrides::default(),
            wasi: WasiGrants::default(),
            config: ConfigSpec::default(),
            buckets: Vec::new(),
            bucket_quota: None,
            http_allow: Vec::new(),
            max_http_response_bytes: None,
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
        self.limits.mailbox_capacity = Some(messages);
        self
    }

    /// How long one call into this component may take before it is cut
    /// off, on the wall clock from the call's start: time spent running and
    /// time spent waiting in host calls (a sleep, a blocking read) alike. A
    /// call cut off fails like a trap.
    ///
    /// ```
    /// use std::time::Duration;
    /// let spec = airssys_wasm::ComponentSpec::from_file("resize", "resize.wasm")
    ///     .time_budget(Duration::from_secs(30));
    /// # let _ = spec;
    /// ```
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.limits.time_budget = Some(budget);
        self
    }

    /// How much linear memory this component may have, in bytes, all its
    /// memories together; growing past it traps the call that tried.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("tiny", "tiny.wasm").memory_limit(4 << 20);
    /// # let _ = spec;
    /// ```
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.limits.memory_limit = Some(bytes);
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
        self.limits.restart_policy = Some(policy);
        self
    }

    /// Instantiates this component when its first message arrives instead of
    /// at start (default: at start, unless the system says
    /// [`SystemBuilder::lazy`](crate::SystemBuilder::lazy)). Until then it
    /// holds no store, no memory and no task. Compilation, its imports,
    /// grants, granted directories and that its largest memory at start
    /// fits its memory limit are still checked at start; if the instance
    /// cannot be created later (for any other reason), the
    /// message that asked for it fails with [`RequestError::StartFailed`],
    /// a [`SupervisionEventKind::StartFailed`] event is published, and the
    /// component is marked failed.
    ///
    /// ```
    /// // One of many tenants' plugins, most of them idle most of the time.
    /// let spec = airssys_wasm::ComponentSpec::from_file("tenant-42", "tenant.wasm").lazy(true);
    /// # let _ = spec;
    /// ```
    ///
    /// [`RequestError::StartFailed`]: crate::RequestError::StartFailed
    /// [`SupervisionEventKind::StartFailed`]: crate::SupervisionEventKind::StartFailed
    pub fn lazy(mut self, lazy: bool) -> Self {
        self.limits.lazy = Some(lazy);
        self
    }

    /// How many requests this component may have outstanding: sent and not
    /// yet answered in its `handle-callback` (or cancelled). Past it,
    /// `send-request` is refused at once with `TooManyPending` (the guest
    /// sees `queue-full`).
    ///
    /// ```
    /// // A scatter-gather plugin that asks 500 shards at once.
    /// let spec = airssys_wasm::ComponentSpec::from_file("scatter", "scatter.wasm").max_pending_requests(512);
    /// # let _ = spec;
    /// ```
    pub fn max_pending_requests(mut self, requests: usize) -> Self {
        self.limits.max_pending_requests = Some(requests);
        self
    }

    /// How many bytes of request outcomes may wait for this component's
    /// `handle-callback` while it is busy. An outcome that would pass it
    /// reaches the component as an error naming the sizes instead, so the
    /// host never holds more for a component that does not keep up.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("gather", "gather.wasm")
    ///     .callback_queue_bytes(64 << 20);
    /// # let _ = spec;
    /// ```
    pub fn callback_queue_bytes(mut self, bytes: usize) -> Self {
        self.limits.callback_queue_bytes = Some(bytes);
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

    /// Sets configuration key `key` to `value`: the component reads it
    /// through `wasi:config/store` (the guest SDK's `config::get`). A
    /// component sees its own keys only, and none unless given.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("shop", "shop.wasm")
    ///     .config("currency", "EUR");
    /// # let _ = spec;
    /// ```
    pub fn config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config
            .0
            .push((key.into(), ConfigValue::Literal(value.into())));
        self
    }

    /// Sets configuration key `key` to the value of the host's environment
    /// variable `var`, read when the system starts: a secret stays out of
    /// code and manifests. Start fails with
    /// [`SystemError::MissingConfigEnv`](crate::SystemError::MissingConfigEnv)
    /// if it is not set.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("mailer", "mailer.wasm")
    ///     .config_from_env("smtp-password", "MAILER_SMTP_PASSWORD");
    /// # let _ = spec;
    /// ```
    pub fn config_from_env(mut self, key: impl Into<String>, var: impl Into<String>) -> Self {
        self.config
            .0
            .push((key.into(), ConfigValue::Env(var.into())));
        self
    }

    /// Lets the component open the durable `wasi:keyvalue` bucket `name`,
    /// its own: another component's bucket of the same name is another
    /// bucket. Names are 1 to 64 letters, digits, `-`, `_` or `.`. The
    /// buckets live in the system's database (see
    /// [`SystemBuilder::keyvalue_path`](crate::SystemBuilder::keyvalue_path)).
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("counter", "counter.wasm")
    ///     .keyvalue_bucket("default");
    /// # let _ = spec;
    /// ```
    pub fn keyvalue_bucket(mut self, name: impl Into<String>) -> Self {
        self.buckets.push(name.into());
        self
    }

    /// How many bytes (keys and values) each of this component's buckets
    /// may hold; a write past it is refused. Defaults to 64 MiB.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("cache", "cache.wasm")
    ///     .keyvalue_bucket("pages")
    ///     .keyvalue_quota(1 << 30);
    /// # let _ = spec;
    /// ```
    pub fn keyvalue_quota(mut self, bytes: u64) -> Self {
        self.bucket_quota = Some(bytes);
        self
    }

    /// Lets the component's `wasi:http` requests reach `origin`:
    /// `scheme://host[:port]` (the port defaults to the scheme's), with
    /// `*.` before the host for any of its subdomains. Every other origin
    /// is refused: the guest gets `HTTP-request-denied`.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("weather", "weather.wasm")
    ///     .http_allow("https://api.weather.example")
    ///     .http_allow("http://127.0.0.1:8080");
    /// # let _ = spec;
    /// ```
    pub fn http_allow(mut self, origin: impl Into<String>) -> Self {
        self.http_allow.push(origin.into());
        self
    }

    /// Largest HTTP response body the component may read, in bytes; reading
    /// past it fails with `HTTP-response-body-size`. Defaults to 16 MiB.
    ///
    /// ```
    /// let spec = airssys_wasm::ComponentSpec::from_file("weather", "weather.wasm")
    ///     .max_http_response_bytes(1 << 20);
    /// # let _ = spec;
    /// ```
    pub fn max_http_response_bytes(mut self, bytes: u64) -> Self {
        self.max_http_response_bytes = Some(bytes);
        self
    }
}

//! Testing a built plugin as the host runs it: one component under the real
//! runtime, with stand-ins for everything it talks to. A stand-in is a
//! [`Service`] that records each call before its handler answers, so a test
//! asks the plugin something, waits until the system is idle, and reads
//! what the plugin sent and what it told the host.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use airssys_wasm::testing::PluginTest;
//! use airssys_wasm::ComponentSpec;
//!
//! let plugin = PluginTest::new(ComponentSpec::from_file("shop", "target/wasm32-wasip2/release/shop.wasm"))
//!     .stand_in("inventory", |call| async move { Ok(format!("3 {}", call.payload.text()).into()) })
//!     .record("audit")
//!     .start()
//!     .await?;
//!
//! let receipt = plugin.request("buy tea")?.await?;
//! plugin.settle().await; // the callbacks of the plugin's own requests ran too
//! assert_eq!(plugin.calls_to("inventory").len(), 1);
//! assert_eq!(plugin.calls_to("audit")[0].payload, "sold tea");
//! # let _ = receipt;
//! # Ok(()) }
//! ```
//!
//! The plugin may message every stand-in and the host (its messages to
//! `host` are [`reports`](PluginUnderTest::reports)), nothing else: other
//! grants, configuration and buckets are the [`ComponentSpec`]'s. Its
//! key-value buckets live in a fresh database that ends with the test.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::{
    ComponentId, ComponentSpec, HostInbox, InboxMessage, MessagePayload, MessagingError,
    PendingResponse, Service, ServiceCall, ServiceResult, ShutdownReport, System, SystemBuilder,
    SystemError,
};

/// How many messages to the host a test can leave unread.
const REPORTS: usize = 1024;

/// One call a stand-in received.
///
/// ```
/// use airssys_wasm::{testing::StandInCall, ComponentId};
/// let call = StandInCall {
///     target: "audit".into(),
///     sender: ComponentId::new("shop"),
///     payload: "sold tea".into(),
///     request: false,
/// };
/// assert_eq!(call.payload, "sold tea");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandInCall {
    /// The stand-in called.
    pub target: String,
    /// Who called it (the plugin, unless a stand-in calls another).
    pub sender: ComponentId,
    /// What the call carried.
    pub payload: MessagePayload,
    /// A request (the plugin waits for the answer) or a fire-and-forget.
    pub request: bool,
}

type Calls = Arc<Mutex<Vec<StandInCall>>>;

/// A plugin test being set up: the plugin, its stand-ins, the system's
/// settings.
///
/// ```
/// use airssys_wasm::{testing::PluginTest, ComponentSpec};
/// let test = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm")).record("audit");
/// # let _ = test;
/// ```
#[derive(Debug)]
pub struct PluginTest {
    plugin: ComponentSpec,
    builder: SystemBuilder,
    stand_ins: Vec<String>,
    calls: Calls,
}

impl PluginTest {
    /// A test of `plugin`: its name, its source, and whatever grants,
    /// configuration and limits it should have beyond the stand-ins.
    ///
    /// ```
    /// use airssys_wasm::{testing::PluginTest, ComponentSpec};
    /// let test = PluginTest::new(
    ///     ComponentSpec::from_file("shop", "shop.wasm").config("currency", "EUR").keyvalue_bucket("orders"),
    /// );
    /// # let _ = test;
    /// ```
    pub fn new(plugin: ComponentSpec) -> Self {
        Self {
            plugin,
            builder: SystemBuilder::new().host_inbox(REPORTS),
            stand_ins: Vec::new(),
            calls: Arc::default(),
        }
    }

    /// Stands in for `name`: each call is recorded, then `handler`'s
    /// answer (or error) is the plugin's response. The plugin is granted
    /// `name`.
    ///
    /// ```
    /// use airssys_wasm::{testing::PluginTest, ComponentError, ComponentSpec};
    /// let test = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm"))
    ///     .stand_in("inventory", |call| async move {
    ///         match call.payload.as_bytes() {
    ///             b"tea" => Ok("3".into()),
    ///             _ => Err(ComponentError::InvalidInput("unknown item".into())),
    ///         }
    ///     });
    /// # let _ = test;
    /// ```
    #[must_use]
    pub fn stand_in<F, Fut>(self, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(ServiceCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ServiceResult> + Send + 'static,
    {
        self.stand_in_with(name, Service::new(handler))
    }

    /// Stands in for `name` with a [`Service`] built elsewhere (typed,
    /// with its own concurrency or queue); its calls are recorded too.
    ///
    /// ```
    /// use airssys_wasm::{testing::PluginTest, ComponentSpec, Service};
    /// let test = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm"))
    ///     .stand_in_with("prices", Service::json(|_call, sku: String| async move { Ok(sku.len() * 100) }));
    /// # let _ = test;
    /// ```
    #[must_use]
    pub fn stand_in_with(mut self, name: impl Into<String>, service: Service) -> Self {
        let name = name.into();
        let calls = Arc::clone(&self.calls);
        let target = name.clone();
        let recorded = service.observed(move |call: &ServiceCall| {
            calls
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(StandInCall {
                    target: target.clone(),
                    sender: call.sender.clone(),
                    payload: call.payload.clone(),
                    request: call.correlation.is_some(),
                });
        });
        self.builder = self.builder.service_with(name.clone(), recorded);
        self.stand_ins.push(name);
        self
    }

    /// Stands in for `name` by recording each call and answering it with
    /// no bytes.
    ///
    /// ```
    /// use airssys_wasm::{testing::PluginTest, ComponentSpec};
    /// let test = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm")).record("audit");
    /// # let _ = test;
    /// ```
    #[must_use]
    pub fn record(self, name: impl Into<String>) -> Self {
        self.stand_in(name, |_call| async { Ok(MessagePayload::new(Vec::new())) })
    }

    /// Changes the system's settings (limits, timeouts, the compile
    /// cache) through its builder.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_wasm::{testing::PluginTest, ComponentSpec};
    /// let test = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm"))
    ///     .system(|builder| builder.default_timeout(Duration::from_millis(200)));
    /// # let _ = test;
    /// ```
    #[must_use]
    pub fn system(mut self, configure: impl FnOnce(SystemBuilder) -> SystemBuilder) -> Self {
        self.builder = configure(self.builder);
        self
    }

    /// Compiles and starts the plugin and its stand-ins. The plugin's
    /// key-value buckets go in a fresh database in a temporary directory,
    /// whatever `keyvalue_path` the builder had.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), airssys_wasm::SystemError> {
    /// use airssys_wasm::{testing::PluginTest, ComponentSpec};
    /// let plugin = PluginTest::new(ComponentSpec::from_file("shop", "shop.wasm")).start().await?;
    /// # let _ = plugin;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`SystemBuilder::start`]: the plugin does not load, or a setting
    /// is out of range. A database for its buckets that cannot be made is
    /// [`SystemError::KeyValueStore`].
    pub async fn start(self) -> Result<PluginUnderTest, SystemError> {
        let state = tempfile::tempdir().map_err(|error| SystemError::KeyValueStore {
            path: std::env::temp_dir(),
            source: Box::new(error),
        })?;
        let name = self.plugin.name().to_owned();
        let plugin = self
            .stand_ins
            .iter()
            .fold(self.plugin, |spec, stand_in| spec.grant(stand_in.as_str()))
            .grant(ComponentId::HOST);
        let mut system = self
            .builder
            .keyvalue_path(state.path().join("keyvalue.redb"))
            .component(plugin)
            .start()
            .await?;
        let inbox = system
            .take_inbox()
            .expect("the test's builder always has a host inbox");
        Ok(PluginUnderTest {
            system,
            name,
            calls: self.calls,
            inbox: Mutex::new(inbox),
            _state: state,
        })
    }
}

/// A plugin running under test: ask it, then read what it did.
///
/// ```no_run
/// # async fn demo(plugin: airssys_wasm::testing::PluginUnderTest) -> Result<(), airssys_wasm::MessagingError> {
/// plugin.send("restock tea")?;
/// plugin.settle().await;
/// for call in plugin.calls() {
///     println!("{} -> {}: {}", call.sender, call.target, call.payload.text());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PluginUnderTest {
    system: System,
    name: String,
    calls: Calls,
    inbox: Mutex<HostInbox>,
    _state: tempfile::TempDir,
}

impl PluginUnderTest {
    /// Sends the plugin `payload` from the host, fire-and-forget.
    ///
    /// ```no_run
    /// # fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) -> Result<(), airssys_wasm::MessagingError> {
    /// plugin.send("tick")?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`System::send`]: the payload is too large, the mailbox is full.
    pub fn send(&self, payload: impl Into<MessagePayload>) -> Result<(), MessagingError> {
        self.system.send(&self.name, payload)
    }

    /// Asks the plugin, with the system's default timeout; await the
    /// result for its answer.
    ///
    /// ```no_run
    /// # async fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) -> Result<(), Box<dyn std::error::Error>> {
    /// let answer = plugin.request("price of tea")?.await?;
    /// assert_eq!(answer, "3.50");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`System::request`], when the request is refused before it is
    /// queued.
    pub fn request(
        &self,
        payload: impl Into<MessagePayload>,
    ) -> Result<PendingResponse, MessagingError> {
        self.system.request(&self.name, payload, Duration::ZERO)
    }

    /// Waits until nothing is in flight: the plugin's messages, its
    /// requests to stand-ins and their callbacks are all handled.
    ///
    /// ```no_run
    /// # async fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) {
    /// plugin.settle().await;
    /// # }
    /// ```
    pub async fn settle(&self) {
        self.system.wait_idle().await;
    }

    /// Every call a stand-in received so far, in order.
    ///
    /// ```no_run
    /// # fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) {
    /// assert!(plugin.calls().iter().all(|call| call.sender.as_str() == "shop"));
    /// # }
    /// ```
    pub fn calls(&self) -> Vec<StandInCall> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The calls stand-in `name` received so far, in order.
    ///
    /// ```no_run
    /// # fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) {
    /// let audit = plugin.calls_to("audit");
    /// assert!(audit.iter().all(|call| !call.request));
    /// # }
    /// ```
    pub fn calls_to(&self, name: &str) -> Vec<StandInCall> {
        self.calls()
            .into_iter()
            .filter(|call| call.target == name)
            .collect()
    }

    /// Takes the messages the plugin sent to `host` so far, oldest first.
    ///
    /// ```no_run
    /// # async fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) {
    /// plugin.settle().await;
    /// for report in plugin.reports() {
    ///     println!("the plugin said: {}", report.payload.text());
    /// }
    /// # }
    /// ```
    pub fn reports(&self) -> Vec<InboxMessage> {
        let mut inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner);
        std::iter::from_fn(|| inbox.try_recv()).collect()
    }

    /// The running system, for everything else (counters, events).
    ///
    /// ```no_run
    /// # fn demo(plugin: &airssys_wasm::testing::PluginUnderTest) {
    /// let stats = plugin.system().component_stats("shop");
    /// # let _ = stats;
    /// # }
    /// ```
    pub fn system(&self) -> &System {
        &self.system
    }

    /// Stops the plugin and its stand-ins, waiting up to five seconds for
    /// what is in flight.
    ///
    /// ```no_run
    /// # async fn demo(plugin: airssys_wasm::testing::PluginUnderTest) {
    /// let report = plugin.shutdown().await;
    /// # let _ = report;
    /// # }
    /// ```
    pub async fn shutdown(self) -> ShutdownReport {
        self.system.shutdown(Duration::from_secs(5)).await
    }
}

//! A host for a plugin's native unit tests: what the plugin sends,
//! requests, cancels and logs is recorded for the test to inspect, and its
//! configuration, key-value buckets and HTTP answers are whatever the test
//! sets. Only in native builds (`cargo test` on the machine you are on):
//! in the WebAssembly build the real host answers.
//!
//! Create a [`TestHost`] at the start of a test and keep it in a variable
//! (`let host = ...`; `let _ = ...` would drop it at once); it serves the
//! calls made on the test's thread until it is dropped. Call the plugin's handlers as
//! the plain functions they are, and drive its callbacks by calling
//! `handle_callback` with the id of a recorded request and the outcome you
//! choose (the real host would deliver exactly one), or, for a request with
//! an [`on_reply`](crate::CorrelationId::on_reply) continuation,
//! [`TestHost::reply`].
//!
//! ```
//! use std::time::Duration;
//! use airssys_wasm_guest::testing::TestHost;
//! use airssys_wasm_guest::{request, send, ComponentError, ComponentId, CorrelationId};
//!
//! // The plugin under test: asks `stock` about each order, tells `audit`.
//! fn handle_message(_sender: ComponentId, order: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
//!     request("stock", order.clone(), Duration::from_secs(2)).map_err(|e| ComponentError::failed(e.to_string()))?;
//!     send("audit", order).map_err(|e| ComponentError::failed(e.to_string()))?;
//!     Ok(b"accepted".to_vec())
//! }
//! fn handle_callback(_id: CorrelationId, answer: Result<Vec<u8>, String>) -> Result<(), ComponentError> {
//!     answer.map(drop).map_err(ComponentError::failed)
//! }
//!
//! let host = TestHost::new();
//! handle_message(ComponentId::new("shop"), b"tea".to_vec()).unwrap();
//! handle_message(ComponentId::new("shop"), b"gold".to_vec()).unwrap();
//!
//! let asked = host.requests();
//! assert_eq!((asked[0].target.as_str(), asked[0].payload.as_slice()), ("stock", b"tea".as_slice()));
//! assert_eq!(host.sent()[1].target, "audit");
//! // Each request's one outcome, chosen by the test:
//! handle_callback(asked[0].id.clone(), Ok(b"3 left".to_vec())).unwrap();
//! assert!(handle_callback(asked[1].id.clone(), Err("timed out".into())).is_err());
//! ```
//!
//! Without a `TestHost`, a native call to the host returns an error that
//! says to create one (the log macros still print to stderr).

pub(crate) mod imports;

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::continuation;
use crate::http::{HttpError, Response};
use crate::log::Level;
use crate::types::{ComponentError, CorrelationId, MessagingError};

/// What a native call to the host says when the test created no
/// [`TestHost`].
pub(crate) const NO_TEST_HOST: &str = "no airssys host in a native build: create an \
     `airssys_wasm_guest::testing::TestHost` at the start of the test to record \
     what the plugin sends and answer what it asks";

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<State>>>> = const { RefCell::new(None) };
}

/// Runs `call` on the thread's test host, or returns `None` without one
/// (also while the thread's locals are being destroyed, when a plugin's
/// own thread-local state may still log or send from its `Drop`).
pub(crate) fn with_host<R>(call: impl FnOnce(&mut State) -> R) -> Option<R> {
    let state = CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()?;
    let mut state = state.borrow_mut();
    Some(call(&mut state))
}

type HttpResponder = Rc<dyn Fn(&HttpRequest) -> Result<Response, HttpError>>;

/// Everything the test host holds for one test.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) sent: Vec<Sent>,
    pub(crate) requests: Vec<Request>,
    pub(crate) logs: Vec<(Level, String)>,
    pub(crate) refused: HashMap<String, MessagingError>,
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) buckets: HashMap<String, BTreeMap<String, Vec<u8>>>,
    pub(crate) http: Option<HttpResponder>,
    pub(crate) http_requests: Vec<HttpRequest>,
    pub(crate) next_request: u64,
}

/// The host of a plugin's native tests, serving the calls made on the
/// thread that created it until it is dropped. Sends and requests to any
/// target are accepted unless [`refuse`](Self::refuse) says otherwise; a
/// bucket exists once the test [grants](Self::bucket) it.
///
/// ```
/// use airssys_wasm_guest::testing::TestHost;
/// use airssys_wasm_guest::{config, send};
///
/// let host = TestHost::new().config("greeting", "hej");
/// assert_eq!(config::get("greeting").unwrap().as_deref(), Some("hej"));
/// send("audit", "ok").unwrap();
/// assert_eq!(host.sent()[0].text(), "ok");
/// ```
pub struct TestHost {
    state: Rc<RefCell<State>>,
}

impl TestHost {
    /// Installs an empty test host on this thread.
    ///
    /// # Panics
    ///
    /// If this thread already has one: each test makes its own.
    ///
    /// ```
    /// let host = airssys_wasm_guest::testing::TestHost::new();
    /// assert!(host.sent().is_empty());
    /// ```
    #[allow(
        clippy::new_without_default,
        reason = "installing is a side effect, not a default value"
    )]
    pub fn new() -> Self {
        let state = Rc::new(RefCell::new(State::default()));
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            assert!(
                current.is_none(),
                "this thread already has a TestHost; drop it before making another"
            );
            *current = Some(Rc::clone(&state));
        });
        // A continuation left by an earlier test on this thread is not this
        // test's; dropped with this host installed, its `Drop` may log.
        drop(continuation::clear());
        Self { state }
    }

    /// Sets the configuration key `key` that `config::get` reads.
    ///
    /// ```
    /// use airssys_wasm_guest::{config, testing::TestHost};
    /// let _host = TestHost::new().config("api-origin", "http://localhost:8080");
    /// assert_eq!(config::get_all().unwrap(), [("api-origin".to_owned(), "http://localhost:8080".to_owned())]);
    /// ```
    #[must_use]
    pub fn config(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.state
            .borrow_mut()
            .config
            .insert(key.into(), value.into());
        self
    }

    /// Grants the key-value bucket `name`, empty. Opening a bucket not
    /// granted is `AccessDenied`, as in the real host.
    ///
    /// ```
    /// use airssys_wasm_guest::{keyvalue::{Bucket, KeyValueError}, testing::TestHost};
    /// let _host = TestHost::new().bucket("state");
    /// assert_eq!(Bucket::open("state").unwrap().increment("visits", 1).unwrap(), 1);
    /// assert_eq!(Bucket::open("other").unwrap_err(), KeyValueError::AccessDenied);
    /// ```
    #[must_use]
    pub fn bucket(self, name: impl Into<String>) -> Self {
        self.state
            .borrow_mut()
            .buckets
            .entry(name.into())
            .or_default();
        self
    }

    /// Stores `value` under `key` in bucket `name` (granting it) before the
    /// plugin runs.
    ///
    /// ```
    /// use airssys_wasm_guest::{keyvalue::Bucket, testing::TestHost};
    /// let _host = TestHost::new().value("state", "greeting", "hello");
    /// assert_eq!(Bucket::open("state").unwrap().get("greeting").unwrap(), Some(b"hello".to_vec()));
    /// ```
    #[must_use]
    pub fn value(
        self,
        bucket: impl Into<String>,
        key: impl Into<String>,
        value: impl AsRef<[u8]>,
    ) -> Self {
        self.state
            .borrow_mut()
            .buckets
            .entry(bucket.into())
            .or_default()
            .insert(key.into(), value.as_ref().to_vec());
        self
    }

    /// Refuses every send and request to `target` with `error`, as the
    /// real host would for a missing grant, a full mailbox or an unknown
    /// name. Nothing refused is recorded.
    ///
    /// ```
    /// use airssys_wasm_guest::{send, testing::TestHost, MessagingError};
    /// let host = TestHost::new().refuse("billing", MessagingError::QueueFull);
    /// assert_eq!(send("billing", "invoice"), Err(MessagingError::QueueFull));
    /// assert!(host.sent().is_empty());
    /// ```
    #[must_use]
    pub fn refuse(self, target: impl Into<String>, error: MessagingError) -> Self {
        self.state.borrow_mut().refused.insert(target.into(), error);
        self
    }

    /// Answers the plugin's outbound HTTP requests with `responder`.
    /// Without one, each is an error naming the missing responder.
    ///
    /// ```
    /// use airssys_wasm_guest::{http::{self, Response}, testing::TestHost};
    /// let host = TestHost::new().http(|request| {
    ///     assert_eq!(request.url, "https://api.example.com/weather");
    ///     Ok(Response { status: 200, headers: vec![], body: b"sunny".to_vec() })
    /// });
    /// assert_eq!(http::get("https://api.example.com/weather").unwrap().text(), "sunny");
    /// assert_eq!(host.http_requests()[0].method, "GET");
    /// ```
    #[must_use]
    pub fn http(
        self,
        responder: impl Fn(&HttpRequest) -> Result<Response, HttpError> + 'static,
    ) -> Self {
        self.state.borrow_mut().http = Some(Rc::new(responder));
        self
    }

    /// The messages the plugin sent, in order.
    ///
    /// ```
    /// use airssys_wasm_guest::{send, testing::TestHost};
    /// let host = TestHost::new();
    /// send("audit", b"one".as_slice()).unwrap();
    /// assert_eq!(host.sent()[0].payload, b"one");
    /// ```
    pub fn sent(&self) -> Vec<Sent> {
        self.state.borrow().sent.clone()
    }

    /// The requests the plugin made, in order, cancelled ones included.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{cancel, request, testing::TestHost};
    /// let host = TestHost::new();
    /// let id = request("search", "tea", Duration::from_secs(5)).unwrap();
    /// cancel(&id).unwrap();
    /// let made = host.requests();
    /// assert_eq!((made[0].id.clone(), made[0].timeout, made[0].cancelled), (id, Duration::from_secs(5), true));
    /// ```
    pub fn requests(&self) -> Vec<Request> {
        self.state.borrow().requests.clone()
    }

    /// The requests still waiting for an outcome: made and not cancelled.
    /// The test settles one with [`reply`](Self::reply) if it has a
    /// continuation, or else by calling the plugin's `handle_callback` and
    /// then [`answered`](Self::answered).
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{request, testing::TestHost};
    /// let host = TestHost::new();
    /// let id = request("search", "tea", Duration::ZERO).unwrap();
    /// assert_eq!(host.pending().len(), 1);
    /// host.answered(&id);
    /// assert!(host.pending().is_empty());
    /// ```
    pub fn pending(&self) -> Vec<Request> {
        self.state
            .borrow()
            .requests
            .iter()
            .filter(|request| !request.cancelled && !request.answered)
            .cloned()
            .collect()
    }

    /// Marks request `id` as settled, as the real host does once it has
    /// delivered the outcome: a later `cancel` of it is refused.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{cancel, request, testing::TestHost, MessagingError};
    /// let host = TestHost::new();
    /// let id = request("search", "tea", Duration::ZERO).unwrap();
    /// host.answered(&id);
    /// assert!(matches!(cancel(&id), Err(MessagingError::CorrelationTimeout(_))));
    /// ```
    pub fn answered(&self, id: &CorrelationId) {
        let mut state = self.state.borrow_mut();
        if let Some(request) = state.requests.iter_mut().find(|request| &request.id == id) {
            request.answered = true;
        }
    }

    /// Delivers `outcome` to the continuation the plugin registered for
    /// request `id` with [`on_reply`](CorrelationId::on_reply), as the real
    /// host's callback would: the continuation is removed and run, once,
    /// and the request is marked [answered](Self::answered). Returns what
    /// the continuation returned.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{request, testing::TestHost, Json};
    ///
    /// let host = TestHost::new();
    /// let total = Rc::new(Cell::new(0));
    /// let seen = Rc::clone(&total);
    /// let id = request("pricing", "sku-42", Duration::from_secs(2)).unwrap().on_reply(
    ///     move |price: Result<Json<u64>, String>| {
    ///         seen.set(price.map_err(airssys_wasm_guest::ComponentError::failed)?.0);
    ///         Ok(())
    ///     },
    /// );
    /// host.reply(&id, Ok(b"1250".to_vec())).unwrap();
    /// assert_eq!(total.get(), 1250);
    /// assert!(host.pending().is_empty());
    /// ```
    ///
    /// # Errors
    ///
    /// The continuation's own error; or, when no continuation is registered
    /// for `id` (none was, it already ran, or the request was cancelled),
    /// an [`Unsupported`](ComponentError::Unsupported) error saying so: the
    /// real host would call `handle_callback`, so the test calls it.
    pub fn reply(
        &self,
        id: &CorrelationId,
        outcome: Result<Vec<u8>, String>,
    ) -> Result<(), ComponentError> {
        let Some(continuation) = continuation::take(id.as_str()) else {
            return Err(ComponentError::unsupported(format!(
                "no continuation is registered for request {id} (none was, it already ran, \
                 or the request was cancelled); call the plugin's handle_callback instead"
            )));
        };
        self.answered(id);
        // Run with no borrow of the state held: it may call the host.
        continuation(outcome)
    }

    /// Whether a continuation registered with
    /// [`on_reply`](CorrelationId::on_reply) waits for request `id`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use airssys_wasm_guest::{cancel, request, testing::TestHost};
    /// let host = TestHost::new();
    /// let id = request("search", "tea", Duration::ZERO).unwrap().on_reply(|_: Result<Vec<u8>, String>| Ok(()));
    /// assert!(host.has_continuation(&id));
    /// cancel(&id).unwrap();
    /// assert!(!host.has_continuation(&id));
    /// ```
    pub fn has_continuation(&self, id: &CorrelationId) -> bool {
        continuation::contains(id.as_str())
    }

    /// The lines the plugin logged, with their levels.
    ///
    /// ```
    /// use airssys_wasm_guest::{info, log::Level, testing::TestHost};
    /// let host = TestHost::new();
    /// info!("order {} accepted", 7);
    /// assert_eq!(host.logs(), [(Level::Info, "order 7 accepted".to_owned())]);
    /// ```
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.state.borrow().logs.clone()
    }

    /// The value under `key` in bucket `bucket` now.
    ///
    /// ```
    /// use airssys_wasm_guest::{keyvalue::Bucket, testing::TestHost};
    /// let host = TestHost::new().bucket("state");
    /// Bucket::open("state").unwrap().set("last", b"tea").unwrap();
    /// assert_eq!(host.stored("state", "last"), Some(b"tea".to_vec()));
    /// ```
    pub fn stored(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.state.borrow().buckets.get(bucket)?.get(key).cloned()
    }

    /// The outbound HTTP requests the plugin made, in order.
    ///
    /// ```
    /// use airssys_wasm_guest::{http, testing::TestHost};
    /// let host = TestHost::new();
    /// assert!(http::post("https://api.example.com/orders", "text/plain", b"tea").is_err());
    /// assert_eq!(host.http_requests()[0].body, b"tea");
    /// ```
    pub fn http_requests(&self) -> Vec<HttpRequest> {
        self.state.borrow().http_requests.clone()
    }
}

impl std::fmt::Debug for TestHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("TestHost")
            .field("sent", &state.sent.len())
            .field("requests", &state.requests.len())
            .field("logs", &state.logs.len())
            .finish_non_exhaustive()
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        // Continuations die with the test, before the host goes, so a
        // `Drop` of what they captured still reaches it.
        drop(continuation::clear());
        // At thread exit the local may be gone already; nothing to undo then.
        let _ = CURRENT.try_with(|current| {
            let mut current = current.borrow_mut();
            if current
                .as_ref()
                .is_some_and(|installed| Rc::ptr_eq(installed, &self.state))
            {
                *current = None;
            }
        });
    }
}

/// A message the plugin sent with `send`.
///
/// ```
/// use airssys_wasm_guest::{send, testing::TestHost, Json};
/// let host = TestHost::new();
/// send("audit", Json(("login", "ada"))).unwrap();
/// let sent = &host.sent()[0];
/// assert_eq!(sent.json::<(String, String)>().unwrap().1, "ada");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Whom it was for.
    pub target: String,
    /// Its bytes.
    pub payload: Vec<u8>,
}

impl Sent {
    /// The payload as text, invalid UTF-8 replaced.
    ///
    /// ```
    /// # use airssys_wasm_guest::testing::Sent;
    /// let sent = Sent { target: "audit".into(), payload: b"ok".to_vec() };
    /// assert_eq!(sent.text(), "ok");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }

    /// The payload decoded from JSON.
    ///
    /// ```
    /// # use airssys_wasm_guest::testing::Sent;
    /// let sent = Sent { target: "audit".into(), payload: b"[1,2]".to_vec() };
    /// assert_eq!(sent.json::<Vec<u8>>().unwrap(), [1, 2]);
    /// ```
    ///
    /// # Errors
    ///
    /// When the payload is not JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }

    /// The payload decoded from MessagePack.
    ///
    /// ```
    /// # use airssys_wasm_guest::testing::Sent;
    /// let sent = Sent { target: "audit".into(), payload: rmp_serde::to_vec(&7u8).unwrap() };
    /// assert_eq!(sent.msgpack::<u8>().unwrap(), 7);
    /// ```
    ///
    /// # Errors
    ///
    /// When the payload is not MessagePack of type `T`.
    pub fn msgpack<T: DeserializeOwned>(&self) -> Result<T, rmp_serde::decode::Error> {
        rmp_serde::from_slice(&self.payload)
    }
}

/// A request the plugin made with `request`.
///
/// ```
/// use std::time::Duration;
/// use airssys_wasm_guest::{request, testing::TestHost};
/// let host = TestHost::new();
/// let id = request("pricing", "sku-42", Duration::from_millis(1500)).unwrap();
/// let made = &host.requests()[0];
/// assert_eq!((&made.id, made.target.as_str(), made.text()), (&id, "pricing", "sku-42".to_owned()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The id `request` returned, which the callback carries.
    pub id: CorrelationId,
    /// Whom it was for.
    pub target: String,
    /// Its bytes.
    pub payload: Vec<u8>,
    /// The timeout asked for; zero means the host's default.
    pub timeout: Duration,
    /// Whether the plugin cancelled it.
    pub cancelled: bool,
    /// Whether the test marked it [answered](TestHost::answered).
    pub answered: bool,
}

impl Request {
    /// The payload as text, invalid UTF-8 replaced.
    ///
    /// ```
    /// # use airssys_wasm_guest::{testing::Request, CorrelationId};
    /// let made = Request { id: CorrelationId::new("1"), target: "t".into(), payload: b"hi".to_vec(),
    ///     timeout: std::time::Duration::ZERO, cancelled: false, answered: false };
    /// assert_eq!(made.text(), "hi");
    /// ```
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }

    /// The payload decoded from JSON.
    ///
    /// ```
    /// # use airssys_wasm_guest::{testing::Request, CorrelationId};
    /// let made = Request { id: CorrelationId::new("1"), target: "t".into(), payload: br#"{"sku":42}"#.to_vec(),
    ///     timeout: std::time::Duration::ZERO, cancelled: false, answered: false };
    /// assert_eq!(made.json::<serde_json::Value>().unwrap()["sku"], 42);
    /// ```
    ///
    /// # Errors
    ///
    /// When the payload is not JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }
}

/// An outbound HTTP request the plugin made, as the responder sees it.
///
/// ```
/// use airssys_wasm_guest::{http, testing::TestHost};
/// let host = TestHost::new();
/// let _ = http::send("PUT", "https://api.example.com/items/7", &[("x-trace", b"1".as_slice())], b"seven");
/// let made = &host.http_requests()[0];
/// assert_eq!((made.method.as_str(), made.headers[0].0.as_str()), ("PUT", "x-trace"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method, upper case.
    pub method: String,
    /// The URL as the plugin gave it.
    pub url: String,
    /// The headers, as given.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Asks the thread's test host for an HTTP response.
pub(crate) fn http(request: HttpRequest) -> Result<Response, HttpError> {
    let responder = with_host(|state| {
        state.http_requests.push(request.clone());
        state.http.clone()
    });
    match responder {
        None => Err(HttpError::Failed(NO_TEST_HOST.to_owned())),
        Some(None) => Err(HttpError::Failed(
            "the TestHost has no HTTP responder: give it one with `TestHost::http`".to_owned(),
        )),
        // Called with no borrow held: the responder may log or send.
        Some(Some(responder)) => responder(&request),
    }
}

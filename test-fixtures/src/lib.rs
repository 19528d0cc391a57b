//! Guest components for the airssys-wasm tests and benchmarks, compiled from
//! the crates under `guests/` (and the ping-pong example) by `build.rs`.

/// Echoes every message. `fail` returns an error, `panic` panics, `loop`
/// never returns, `grow` allocates until it traps, `spin <ms>` busy-waits,
/// `env <KEY>` answers a WASI environment variable, `read <path>` a file,
/// `print <text>` writes a line to stdout, `log <text>` logs a warning through the
/// host, `log-long` logs a 10,000-byte line, `version` answers `v1`, and so does
/// `wait <path>` once the file exists (`wait-then-panic <path>` panics then). When granted the target `"host"`, it first reports
/// `delivered <sender> <message>` to the host's inbox.
pub static ECHO: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_ECHO"));

/// Echo's second version, to upgrade to: the same commands, but `version`
/// answers `v2`.
pub static ECHO_V2: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_ECHO_V2"));

/// Drives the host services on command from the host: `send`, `send-zeros`,
/// `request`, `request-then-cancel`, `request-then-panic`, `cancel`,
/// `burst`, `flood`, `storm` (`then-panic` after it, to die with requests
/// outstanding), `panic`. Reports each callback to the
/// host's inbox as `callback <id> ok <payload>` or `callback <id> err <why>`.
pub static CLIENT: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_CLIENT"));

/// Every attack a hostile guest makes, one command each: `loop`,
/// `sleep <ms>`, `read <path>`, `grow`, `flood <target> <bytes>`,
/// `answer <bytes>`, `fail-with <bytes>`, `connect <addr>`, `write <path>`,
/// `forge-log`. See its crate docs for what each does.
pub static HOSTILE: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_HOSTILE"));

/// A hand-written plugin whose `handle-message` grows a table by 2^30
/// elements.
pub static TABLE_GROWER: &[u8] = include_bytes!(env!("AIRSSYS_WASM_WAT_TABLE_GROWER"));

/// A hand-written plugin with two linear memories whose `handle-message`
/// grows each by 18.75 MiB.
pub static TWO_MEMORIES: &[u8] = include_bytes!(env!("AIRSSYS_WASM_WAT_TWO_MEMORIES"));

/// Benchmark driver and responder: `chain` and `burst` on the host's
/// command, echo and count otherwise.
pub static RELAY: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_RELAY"));

/// A component that imports an interface the host does not provide.
pub static WRONG_IMPORT: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_WRONG_IMPORT"));

/// A valid component that exports nothing of the plugin world.
pub static NOT_A_PLUGIN: &[u8] = include_bytes!(env!("AIRSSYS_WASM_FIXTURE_NOT_A_PLUGIN"));

/// The ping-pong example's requester.
pub static PING: &[u8] = include_bytes!(env!("AIRSSYS_WASM_PING"));

/// The ping-pong example's responder.
pub static PONG: &[u8] = include_bytes!(env!("AIRSSYS_WASM_PONG"));

/// The event-log example's emitter: fans each event out to `audit`,
/// `metrics` and `alerts`.
pub static EVENT_EMITTER: &[u8] = include_bytes!(env!("AIRSSYS_WASM_EVENT_LOG_EMITTER"));

/// The event-log example's listener: counts events, answers `count`.
pub static EVENT_LISTENER: &[u8] = include_bytes!(env!("AIRSSYS_WASM_EVENT_LOG_LISTENER"));

/// The typed-orders example's shop: JSON orders in, JSON receipts out;
/// reserves stock from `warehouse` over MessagePack and reports each
/// shipment to the host as JSON.
pub static SHOP: &[u8] = include_bytes!(env!("AIRSSYS_WASM_TYPED_ORDERS_SHOP"));

/// The typed-orders example's warehouse: MessagePack reservations, 10 of
/// every item to start with.
pub static WAREHOUSE: &[u8] = include_bytes!(env!("AIRSSYS_WASM_TYPED_ORDERS_WAREHOUSE"));

/// The host-service example's plugin: asks the `inventory` service, keeps
/// a periodic tick with the timer service, reads its config (`greeting`),
/// counts in its key-value bucket `state` (`count`, `visits`) and fetches
/// URLs (`fetch <url>`).
pub static ASSISTANT: &[u8] = include_bytes!(env!("AIRSSYS_WASM_HOST_SERVICE_PLUGIN"));

/// Where the echo component was written, for tests that load from a file.
pub const ECHO_PATH: &str = env!("AIRSSYS_WASM_FIXTURE_ECHO");

/// Where [`ECHO_V2`] was built, for tests that upgrade from a file.
pub const ECHO_V2_PATH: &str = env!("AIRSSYS_WASM_FIXTURE_ECHO_V2");

/// Where the client component was written.
pub const CLIENT_PATH: &str = env!("AIRSSYS_WASM_FIXTURE_CLIENT");

/// Where the hostile component was written.
pub const HOSTILE_PATH: &str = env!("AIRSSYS_WASM_FIXTURE_HOSTILE");

/// Where the host-service example's plugin was written.
pub const ASSISTANT_PATH: &str = env!("AIRSSYS_WASM_HOST_SERVICE_PLUGIN");

/// Where the ping-pong example's requester was written.
pub const PING_PATH: &str = env!("AIRSSYS_WASM_PING");

/// Where the ping-pong example's responder was written.
pub const PONG_PATH: &str = env!("AIRSSYS_WASM_PONG");

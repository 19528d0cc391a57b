//! airssys-wasm: a host for WebAssembly component plugins that message each
//! other through the host, actor style.
//!
//! Each component runs as an actor with a bounded mailbox. Components talk in
//! two patterns: fire-and-forget (`send-message`; the receiver's return value
//! is dropped) and request-response (`send-request` returns a correlation id;
//! the receiver's return value from `handle-message` is delivered to the
//! requester's `handle-callback`, or an error if it failed or timed out).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use airssys_wasm::{ComponentSpec, SystemBuilder};
//!
//! let system = SystemBuilder::new()
//!     .component(ComponentSpec::from_file("ping", "ping.wasm").grant("pong"))
//!     .component(ComponentSpec::from_file("pong", "pong.wasm"))
//!     .start()
//!     .await?;
//! system.send("ping", "start")?;
//! let pong = system.request("pong", "ping", Duration::from_secs(1))?.await?;
//! assert_eq!(pong.as_bytes(), b"pong");
//! system.wait_idle().await;
//! system.shutdown(Duration::from_secs(5)).await;
//! # Ok(()) }
//! ```
//!
//! # Embedding guide
//!
//! - **Describe the system** with [`SystemBuilder`]: one [`ComponentSpec`]
//!   per component (from a file or bytes; components given the same file or
//!   the same `Arc<[u8]>` are compiled once), its grants (deny by default;
//!   [`ComponentSpec::grant_any`] is the explicit wildcard), and its limits
//!   (mailbox, time budget per call, memory, outstanding requests, bytes of
//!   outcomes waiting for it, restart policy; each within a range, see
//!   [`LIMIT_RANGES`]). Unknown grant targets, duplicate names, limits out
//!   of range and bad components fail [`SystemBuilder::start`] with an error
//!   that names them; [`SystemBuilder::check`] finds the first three without
//!   loading anything. Compiled components are kept in the user's cache
//!   directory and loaded on the next start
//!   ([`SystemBuilder::compile_cache`], [`SystemBuilder::no_compile_cache`],
//!   [`SystemBuilder::precompile`]).
//! - **Talk to components** as the participant `host`: [`System::send`]
//!   (fire-and-forget) and [`System::request`], which returns a
//!   [`PendingResponse`] to await from a task on the same runtime. With
//!   [`SystemBuilder::host_inbox`], components granted `"host"` can send to
//!   the host, read from [`System::take_inbox`].
//! - **Offer components more**, each closed until granted per component:
//!   native Rust services ([`SystemBuilder::service`],
//!   [`SystemBuilder::service_with`] with a [`Service`]), reached by name
//!   like a component and granted the same way; the built-in `timer`
//!   service (grant `"timer"`); configuration ([`ComponentSpec::config`],
//!   [`ComponentSpec::config_from_env`], `wasi:config`); durable key-value
//!   buckets ([`ComponentSpec::keyvalue_bucket`], stored in one redb file
//!   at [`SystemBuilder::keyvalue_path`], `wasi:keyvalue`); outbound HTTP
//!   to listed origins ([`ComponentSpec::http_allow`], `wasi:http`). The
//!   host inbox is the simplest such participant: a mailbox under the name
//!   `host` that the application drains itself instead of a handler.
//! - **Typed payloads**: [`Json`] and [`MsgPack`] encode and decode serde
//!   values with the same codecs the guest SDK uses.
//! - **Watch it**: [`System::subscribe_events`] for traps, restarts and
//!   give-ups; [`System::stats`] and [`System::component_stats`] for
//!   counters; `tracing` events (targets `airssys_wasm::flow` and
//!   `airssys_wasm::guest`) and spans carry component and correlation ids.
//! - **Change it live**: [`System::upgrade`] replaces a component's code
//!   without stopping it: the new version is instantiated first (or
//!   refused, with [`ChangeError`], leaving the old one running), then takes
//!   over between two calls with everything queued and the callbacks of the
//!   old version's requests. [`System::add`] adds a component, checked as
//!   at start; [`System::remove`] drains one until a deadline, then fails
//!   each request still queued exactly once ([`Removal`] says what was
//!   left). [`System::set_grants`] changes what a component may message.
//!   [`System::status`] shows each component's generation and whether an
//!   upgrade or a removal is under way.
//! - **Stop it**: [`System::shutdown`] drains queued work up to a deadline,
//!   fails what is still pending with a shutdown error delivered to its
//!   requester, and reports what was left ([`ShutdownReport`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use airssys_wasm::{ComponentSpec, Json, SystemBuilder};
//!
//! #[derive(serde::Serialize)]
//! struct Order { item: String, quantity: u32 }
//! #[derive(serde::Deserialize)]
//! struct Receipt { total_cents: u64 }
//!
//! let mut system = SystemBuilder::new()
//!     .host_inbox(64)
//!     .component(ComponentSpec::from_file("shop", "shop.wasm").grant("warehouse").grant("host"))
//!     .component(ComponentSpec::from_file("warehouse", "warehouse.wasm").mailbox_capacity(256))
//!     .start()
//!     .await?;
//! let mut inbox = system.take_inbox().expect("host_inbox was set");
//!
//! let order = Json(Order { item: "book".into(), quantity: 2 }).encode()?;
//! let response = system.request("shop", order, Duration::from_secs(2))?.await?;
//! let Json(receipt) = Json::<Receipt>::decode(&response)?;
//! println!("total: {} cents", receipt.total_cents);
//!
//! if let Some(report) = inbox.recv().await {
//!     println!("{} says {:?}", report.sender, report.payload);
//! }
//! println!("{:?}", system.stats());
//! let report = system.shutdown(Duration::from_secs(5)).await;
//! assert!(report.aborted.is_empty());
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! The layers of the messaging reference, each depending only on those
//! above it in this list. They are private: this page's items are the one
//! way in.
//!
//! - `core/`: ids, payloads, the [`MessageRouter`] and
//!   [`CorrelationTracker`] traits, the accounting of work in flight, and
//!   the errors. Imports nothing from the other layers.
//! - `messaging/`: the implementations: `ResponseRouter` (capability and
//!   size checks, routing), [`CorrelationTrackerImpl`] (pending requests
//!   and one timer for all deadlines), `ComponentSubscriber` (the
//!   mailboxes), the capture of responses, the codecs, native services and
//!   the `timer` service.
//! - `runtime/`: wasmtime. Compiling and linking components, calling their
//!   exports within a time budget and a memory limit, `host-services` bound
//!   to the calling component, one actor per component, and what a
//!   component is granted beyond messaging (`config.rs`, `keyvalue.rs`,
//!   `http.rs`).
//! - `system/`: wires the concrete types together; [`SystemBuilder`] and
//!   [`System`] are what host applications use (`running.rs`); one
//!   component is started by `starter.rs` (at start and when added), the
//!   running set is kept in `registry.rs`, changed in `live.rs` (upgrades,
//!   grants) and `membership.rs` (add, remove; the actor's side of a
//!   removal is `runtime/actor/removal.rs`), and looked at in `status.rs`.
//!
//! The path of one request, in the order a reader meets it:
//! [`System::request`] → `ResponseRouter::route_request` (checks, then the
//! target's mailbox, the tracker's entry, the queue) → the target's actor
//! (`runtime/actor.rs`, `on_message`) → `Instance::call_message` → the
//! capture (`messaging/patterns.rs`) → `CorrelationTrackerImpl::complete` →
//! the requester's reply: a [`PendingResponse`] for the host, or the
//! requester's actor calling `handle-callback`.

mod core;
mod lattice;
mod messaging;
mod runtime;
mod system;
pub mod testing;

#[cfg(feature = "unstable-internals")]
#[doc(hidden)]
pub mod unstable;

pub use crate::core::component::errors::{ComponentError, Trap};
pub use crate::core::component::id::ComponentId;
pub use crate::core::component::supervision::{
    RestartPolicy, SupervisionEvent, SupervisionEventKind,
};
pub use crate::core::messaging::correlation::CorrelationId;
pub use crate::core::messaging::envelope::RequestOutcome;
pub use crate::core::messaging::errors::{MessagingError, RequestError};
pub use crate::core::messaging::payload::MessagePayload;
pub use crate::core::messaging::pending::PendingResponse;
pub use crate::core::messaging::traits::{
    CorrelationTracker, MessageRouter, PendingRequest, ReplyTo, ResponseSink,
};
pub use crate::core::runtime::errors::WasmError;
pub use crate::lattice::LatticeError;
pub use crate::lattice::config::{LatticeConfig, NatsAuth, NatsTls};
pub use crate::lattice::link::LatticeStats;
pub use crate::messaging::codec::{CodecError, Json, MsgPack};
pub use crate::messaging::correlation::{CorrelationTrackerImpl, TrackerStats};
pub use crate::messaging::counters::ComponentStats;
pub use crate::messaging::service::{Service, ServiceCall, ServiceContext, ServiceResult};
pub use crate::runtime::guest_output::GUEST_LOG;
pub use crate::runtime::loader::{Inspection, inspect};
pub use crate::system::builder::{DEFAULT_KEYVALUE_PATH, SystemBuilder};
pub use crate::system::errors::{ChangeError, SystemError};
pub use crate::system::inbox::{HostInbox, InboxMessage};
pub use crate::system::limits::{
    DEFAULT_CALLBACK_QUEUE_BYTES, DEFAULT_MAILBOX_CAPACITY, DEFAULT_MAX_PENDING_REQUESTS,
    DEFAULT_MEMORY_LIMIT, DEFAULT_TIME_BUDGET, LIMIT_RANGES,
};
pub use crate::system::live::Upgrade;
pub use crate::system::membership::Removal;
pub use crate::system::progress::{StartCounts, StartProgress};
pub use crate::system::running::{ShutdownReport, System, SystemStats};
pub use crate::system::spec::{ComponentSpec, WasmSource};
pub use crate::system::status::{ComponentState, ComponentStatus};

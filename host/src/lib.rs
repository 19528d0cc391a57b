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
//! # Layout
//!
//! The layers of the messaging reference, each depending only on those
//! above it in this list:
//!
//! - [`core`]: ids, payloads, envelopes, the [`MessageRouter`] and
//!   [`CorrelationTracker`] traits and the errors. Imports nothing from the
//!   other layers.
//! - [`messaging`]: the implementations: [`ResponseRouter`] (capability and
//!   size checks, routing), [`CorrelationTrackerImpl`] (pending requests and
//!   one timer for all deadlines), [`ComponentSubscriber`] (the mailboxes),
//!   and the two patterns.
//! - [`runtime`]: wasmtime. Component loading, `host-services` bound to the
//!   calling component, one actor per component.
//! - [`system`]: wires concrete types together; [`SystemBuilder`] and
//!   [`System`] are what host applications use.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod core;
pub mod messaging;
pub mod runtime;
pub mod system;

pub use crate::core::component::id::ComponentId;
pub use crate::core::component::supervision::{
    RestartPolicy, SupervisionEvent, SupervisionEventKind,
};
pub use crate::core::messaging::correlation::CorrelationId;
pub use crate::core::messaging::errors::{MessagingError, RequestError};
pub use crate::core::messaging::payload::MessagePayload;
pub use crate::core::messaging::traits::{CorrelationTracker, MessageRouter};
pub use crate::core::runtime::errors::WasmError;
pub use crate::messaging::codec::{CodecError, Json, MsgPack};
pub use crate::messaging::correlation::{CorrelationTrackerImpl, TrackerStats};
pub use crate::messaging::counters::ComponentStats;
pub use crate::messaging::router::ResponseRouter;
pub use crate::messaging::subscriber::ComponentSubscriber;
pub use crate::runtime::wasi::{DirGrant, WasiGrants};
pub use crate::system::builder::{ComponentSpec, SystemBuilder, WasmSource};
pub use crate::system::errors::SystemError;
pub use crate::system::running::{
    HostInbox, InboxMessage, PendingResponse, ShutdownReport, System, SystemStats,
};

//! Write airssys-wasm plugins as plain Rust functions.
//!
//! A plugin is a WebAssembly component that the airssys host runs as an
//! actor. It handles one message at a time and talks to other plugins only
//! through the host, with [`send`] (fire-and-forget) and [`request`]
//! (request-response).
//!
//! ```no_run
//! use airssys_wasm_guest::{export, ComponentError, ComponentId, CorrelationId};
//!
//! /// Answers every message with the same bytes, upper-cased.
//! #[export]
//! fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
//!     if message.is_empty() {
//!         return Err(ComponentError::invalid_input(format!("empty message from {sender}")));
//!     }
//!     Ok(message.to_ascii_uppercase())
//! }
//!
//! /// Receives the outcome of each `request` this plugin made (optional).
//! #[export]
//! fn handle_callback(id: CorrelationId, result: Result<Vec<u8>, String>) -> Result<(), ComponentError> {
//!     println!("{id}: {result:?}");
//!     Ok(())
//! }
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` from a
//! `cdylib` crate; the result is a component the host loads directly.
//!
//! # A new plugin
//!
//! `cargo generate --path templates/plugin --name my-plugin` (from a
//! checkout of airssys-wasm) makes a crate ready to build: `Cargo.toml` with
//! `crate-type = ["cdylib"]` and this crate as a dependency,
//! `.cargo/config.toml` with the alias `cargo build-plugin` (a release
//! build for `wasm32-wasip2`), a JSON handler, its unit tests and a test of
//! the built component under the host. By hand, a `cdylib` crate with this
//! one as a dependency and a handler is enough.
//! `airssys inspect target/wasm32-wasip2/release/my_plugin.wasm` then says
//! whether the host can run the result and what it imports and exports.
//!
//! # The two patterns
//!
//! The same `handle_message` serves both. After [`send`] the host drops its
//! return value. After [`request`] the host delivers the return value (or
//! the error) to the requester's `handle_callback`, with the id `request`
//! returned. Exactly one callback follows every accepted request: the
//! answer, or an error text if the target failed, trapped or timed out.
//! There is no "send response" call: the response *is* the return value.
//!
//! # Continuations
//!
//! Rather than matching ids in `handle_callback` against a table of what
//! was asked, a plugin can hand each request the code that deals with its
//! answer: [`CorrelationId::on_reply`] registers a closure that runs, once,
//! with that request's outcome (decoded as the closure's parameter type
//! says), in place of `handle_callback`. What it captures is the context.
//!
//! ```no_run
//! use std::time::Duration;
//! use airssys_wasm_guest::{export, request, send, ComponentError, ComponentId, MsgPack};
//!
//! #[export]
//! fn handle_message(sender: ComponentId, item: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
//!     request("warehouse", item.clone(), Duration::from_secs(2))?.on_reply(
//!         move |reserved: Result<MsgPack<bool>, String>| {
//!             let reply = match reserved {
//!                 Ok(MsgPack(true)) => "reserved",
//!                 Ok(MsgPack(false)) => "out of stock",
//!                 Err(_) => "try again later",
//!             };
//!             send(sender.as_str(), reply)?;
//!             Ok(())
//!         },
//!     );
//!     Ok(b"asked".to_vec())
//! }
//! // No handle_callback needed: every request here has a continuation.
//! ```
//!
//! Register it in the handler call that made the request (after `request`
//! returns is safe: the host delivers outcomes only between handler
//! calls). [`cancel`] drops the closure uncalled. Continuations live in the
//! instance's memory, so a trap loses them, and with them those requests'
//! outcomes: the host never hands a fresh instance the outcome of a request
//! its predecessor made. Requests without a continuation go to
//! `handle_callback` as before.
//!
//! # `#[export]`
//!
//! - `handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError>`
//!   is required.
//! - `handle_callback(id: CorrelationId, result: Result<Vec<u8>, String>) -> Result<(), ComponentError>`
//!   is optional; it receives the outcomes of requests that have no
//!   [continuation](#continuations). Without it, those outcomes are refused
//!   and logged by the host. Put it in the same module as `handle_message`.
//!
//! A wrong signature is a compile error that points at the wrong part.
//!
//! # Typed messages
//!
//! In place of `Vec<u8>`, a handler may take and return [`Json<T>`] or
//! [`MsgPack<T>`] of any serde type (add `serde` with its `derive` feature
//! to the plugin's dependencies), and each function picks its own codec:
//!
//! ```no_run
//! use std::time::Duration;
//! use airssys_wasm_guest::{export, request, ComponentError, ComponentId, CorrelationId, Json, MsgPack};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Order { item: String, quantity: u32 }
//! #[derive(Serialize)]
//! struct Receipt { total_cents: u64 }
//! #[derive(Serialize)]
//! struct Reserve<'a> { item: &'a str, quantity: u32 }
//! #[derive(Deserialize)]
//! struct Reserved { reserved: bool }
//!
//! #[export]
//! fn handle_message(_from: ComponentId, Json(order): Json<Order>) -> Result<Json<Receipt>, ComponentError> {
//!     let reserve = Reserve { item: &order.item, quantity: order.quantity };
//!     request("warehouse", MsgPack(reserve), Duration::from_secs(2))
//!         .map_err(|e| ComponentError::failed(e.to_string()))?;
//!     Ok(Json(Receipt { total_cents: 1250 * u64::from(order.quantity) }))
//! }
//!
//! #[export]
//! fn handle_callback(_id: CorrelationId, answer: Result<MsgPack<Reserved>, String>) -> Result<(), ComponentError> {
//!     let MsgPack(reserved) = answer.map_err(ComponentError::failed)?;
//!     println!("reserved: {}", reserved.reserved);
//!     Ok(())
//! }
//! ```
//!
//! A message that does not decode never reaches `handle_message`: the sender
//! gets an `invalid-input` error that names the expected type and codec. An
//! answer that does not decode reaches `handle_callback` as the `Err` text.
//! [`send`] and [`request`] take bytes, text, `Json` or `MsgPack` alike. The
//! host has the same two codecs (`airssys_wasm::{Json, MsgPack}`), and
//! `examples/typed-orders` uses both.
//!
//! # Logging
//!
//! [`info!`], [`warn!`], [`error!`], [`debug!`] and [`trace!`] write to the
//! host's log, tagged with the component and the request being handled; see
//! [`log`]. Lines written through the `log` crate's facade, by the plugin
//! or its dependencies, reach the same log.
//!
//! # Testing
//!
//! Handlers are plain functions: call them from `#[test]`s built for the
//! machine you are on (the plugin template's plain `cargo test`). What they
//! ask of the host goes to the thread's [`testing::TestHost`], which
//! records sends, requests, cancels and log lines, serves configuration,
//! key-value buckets and HTTP answers, and lets the test call
//! `handle_callback` (or run a continuation with
//! [`TestHost::reply`](testing::TestHost::reply)) with the outcome it
//! chooses. Without one, those calls
//! return an error saying to create one. To test the built component under
//! the real host, with stand-ins for what it talks to, use
//! `airssys_wasm::testing::PluginTest` from the host crate.
//!
//! ```
//! use airssys_wasm_guest::testing::TestHost;
//! use airssys_wasm_guest::{export, send, ComponentError, ComponentId};
//!
//! #[export]
//! fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
//!     send("audit", message.clone()).map_err(|e| ComponentError::failed(e.to_string()))?;
//!     Ok(message.to_ascii_uppercase())
//! }
//!
//! // In the plugin's tests:
//! let host = TestHost::new();
//! let answer = handle_message(ComponentId::new("test"), b"hi".to_vec());
//! assert_eq!(answer.unwrap(), b"HI");
//! assert_eq!(host.sent()[0].target, "audit");
//! ```
//!
//! # State
//!
//! A plugin's instance lives as long as the host runs it, so state kept in a
//! `static` (a `Mutex`, an atomic, a `thread_local!`) persists between
//! messages. If the plugin traps, the host starts a fresh instance and the
//! state is lost. State that must outlive traps, restarts and the host
//! process goes in a [`keyvalue`] bucket.
//!
//! # What the host offers
//!
//! Each is closed until the host grants it to this component (in its
//! builder or the manifest); a use without the grant is an error saying so.
//!
//! | module | what | through |
//! | --- | --- | --- |
//! | [`config`] | the component's configuration keys; secrets from the host's environment | `wasi:config/store` |
//! | [`keyvalue`] | durable buckets: get, set, delete, list, increment, batches; every acknowledged write survives a host crash | `wasi:keyvalue` (store, atomics, batch) |
//! | [`http`] | outbound `GET`/`POST`/any request to the origins granted, response size limited | `wasi:http/outgoing-handler` |
//! | [`timer`] | a message to itself (or a granted target) after a delay or every period, cancellable | the built-in `timer` service |
//! | [`request`] to a service name | whatever the host application offers as a native service | the router, like any component |
//!
//! ```no_run
//! use std::time::Duration;
//! use airssys_wasm_guest::keyvalue::Bucket;
//! use airssys_wasm_guest::{config, http, timer};
//!
//! let api = config::get("api-origin")?.unwrap_or_default();
//! let visits = Bucket::open("state")?.increment("visits", 1)?;
//! let weather = http::get(&format!("{api}/weather"))?.text();
//! timer::every("refresh", Duration::from_secs(60), "refresh")?;
//! # let _ = (visits, weather);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A plugin in another language imports the same WIT interfaces (`wit/`,
//! world `plugin`) and sends the timer service JSON; see the `timer` module.

#[doc(hidden)]
pub mod __private;
#[doc(hidden)]
pub mod bindings;
pub mod codec;
pub mod config;
mod continuation;
mod host;
pub mod http;
pub mod keyvalue;
pub mod log;
mod sys;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod timer;
mod types;

pub use crate::codec::{Json, MsgPack, ToPayload};
pub use crate::host::{cancel, request, send};
pub use crate::types::{ComponentError, ComponentId, CorrelationId, MessagingError};
pub use airssys_wasm_macros::export;

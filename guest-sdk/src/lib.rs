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
//! # The two patterns
//!
//! The same `handle_message` serves both. After [`send`] the host drops its
//! return value. After [`request`] the host delivers the return value (or
//! the error) to the requester's `handle_callback`, with the id `request`
//! returned. Exactly one callback follows every accepted request: the
//! answer, or an error text if the target failed, trapped or timed out.
//! There is no "send response" call: the response *is* the return value.
//!
//! # `#[export]`
//!
//! - `handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError>`
//!   is required.
//! - `handle_callback(id: CorrelationId, result: Result<Vec<u8>, String>) -> Result<(), ComponentError>`
//!   is optional; without it, outcomes of requests are refused and logged by
//!   the host. Put it in the same module as `handle_message`.
//!
//! A wrong signature is a compile error that points at the wrong part.
//!
//! # State
//!
//! A plugin's instance lives as long as the host runs it, so state kept in a
//! `static` (a `Mutex`, an atomic, a `thread_local!`) persists between
//! messages. If the plugin traps, the host starts a fresh instance and the
//! state is lost.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

#[doc(hidden)]
pub mod __private;
#[doc(hidden)]
pub mod bindings;
mod host;
mod types;

pub use crate::host::{cancel, request, send};
pub use crate::types::{ComponentError, ComponentId, CorrelationId, MessagingError};
pub use airssys_wasm_macros::export;

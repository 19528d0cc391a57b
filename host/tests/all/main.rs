//! Integration tests: real guest components, compiled from source to
//! wasm32-wasip2 by `airssys-test-fixtures`, run through real wasmtime.

// These two run the `airssys` binary, which only the `cli` feature builds.
mod cache;
mod capabilities;
#[cfg(feature = "cli")]
mod cli;
mod common;
#[cfg(all(unix, feature = "cli"))]
mod control;
mod examples;
mod grants;
mod hostile;
mod inline;
#[cfg(all(unix, feature = "cli"))]
mod lattice;
mod lazy;
mod limits;
mod live;
mod loading;
mod messaging;
mod observability;
mod refusals;
mod services;
mod shutdown;
#[cfg(feature = "unstable-internals")]
mod steady;
mod stress;
mod supervision;
mod testing;
mod timeouts;
mod typed;
mod upgrade;

/// Counts allocations per thread, for `steady`.
#[global_allocator]
static ALLOCATOR: common::allocations::Counting = common::allocations::Counting;

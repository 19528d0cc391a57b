//! Layer 3: wasmtime. Compiles components, binds `host-services` to each
//! calling component, and runs one actor per component.

pub(crate) mod actor;
#[doc(hidden)] // generated from wit/airssys.wit, which documents it; public for the benchmarks
pub mod bindings;
pub mod engine;
pub mod host_services;
pub mod loader;
pub mod wasi;

//! Layer 3: wasmtime. Compiles components, binds `host-services` to each
//! calling component, and runs one actor per component.

pub(crate) mod actor;
pub mod bindings;
pub mod engine;
pub mod host_services;
pub mod loader;
pub mod wasi;

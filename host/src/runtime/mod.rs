//! Layer 3: wasmtime. Compiles components (or loads them from the compile
//! cache), binds `host-services` to each
//! calling component, and runs one actor per component.

pub(crate) mod actor;
pub(crate) mod bindings;
pub(crate) mod cache;
pub(crate) mod config;
pub(crate) mod engine;
pub(crate) mod guest_output;
pub(crate) mod host_services;
pub(crate) mod http;
pub(crate) mod instance;
pub(crate) mod keyvalue;
pub(crate) mod limits;
pub(crate) mod loader;
pub(crate) mod wasi;

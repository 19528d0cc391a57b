//! Errors of loading and running WebAssembly components.

pub(crate) mod errors;

//! Errors of loading and running WebAssembly components.

pub mod errors;

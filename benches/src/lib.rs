//! Benchmarks only; see `router.rs`, `wasm.rs`, `scale.rs` and BENCHMARKS.md.

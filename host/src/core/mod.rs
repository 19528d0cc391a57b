//! Layer 1: the abstractions every other layer depends on. Imports nothing
//! from the layers above it.

pub mod component;
pub mod messaging;
pub mod runtime;

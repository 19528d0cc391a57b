//! Layer 1: the abstractions every other layer depends on. Imports nothing
//! from the layers above it.

pub(crate) mod component;
pub(crate) mod messaging;
pub(crate) mod runtime;

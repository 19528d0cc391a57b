//! Layer 3: the implementations of the messaging traits.

pub(crate) mod capability;
pub(crate) mod codec;
pub(crate) mod correlation;
pub(crate) mod counters;
pub(crate) mod patterns;
pub(crate) mod router;
pub(crate) mod service;
pub(crate) mod subscriber;
pub(crate) mod timer;

//! Layer 3: the implementations of the messaging traits.

pub mod activity;
pub mod capability;
pub mod codec;
pub mod correlation;
pub mod counters;
pub(crate) mod patterns;
pub mod router;
pub mod subscriber;

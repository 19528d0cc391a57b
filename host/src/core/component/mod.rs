//! Component identity.

pub mod id;

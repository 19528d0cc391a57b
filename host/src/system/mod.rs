//! Layer 4: the only place that names concrete types. Host applications
//! build and run a system of components here.

pub mod builder;
pub mod errors;
pub mod progress;
pub mod running;

//! Layer 4: the only place that names concrete types (besides the
//! bench-only `unstable` module). Host applications build and run a system
//! of components here.

pub(crate) mod builder;
pub(crate) mod compile;
pub(crate) mod errors;
pub(crate) mod inbox;
pub(crate) mod limits;
pub(crate) mod live;
pub(crate) mod membership;
pub(crate) mod progress;
pub(crate) mod registry;
pub(crate) mod running;
pub(crate) mod spec;
pub(crate) mod starter;
pub(crate) mod status;

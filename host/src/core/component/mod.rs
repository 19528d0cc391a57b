//! Component identity, how calls into a component fail, and supervision.

pub(crate) mod errors;
pub(crate) mod id;
pub(crate) mod supervision;

//! Component identity and supervision.

pub mod id;
pub mod supervision;

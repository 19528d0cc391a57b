//! The messaging contract: ids, payloads, envelopes, the router and tracker
//! traits, the accounting of work in flight, and their errors.

pub(crate) mod activity;
pub(crate) mod correlation;
pub(crate) mod envelope;
pub(crate) mod errors;
pub(crate) mod payload;
pub(crate) mod pending;
pub(crate) mod traits;

//! The messaging contract: ids, payloads, envelopes, the router and tracker
//! traits, and their errors.

pub mod correlation;
pub mod envelope;
pub mod errors;
pub mod payload;
pub mod traits;

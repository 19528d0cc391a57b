//! One file per subcommand.

#[cfg(unix)]
pub(crate) mod client;
pub(crate) mod compile;
pub(crate) mod inspect;
pub(crate) mod run;
pub(crate) mod wit;

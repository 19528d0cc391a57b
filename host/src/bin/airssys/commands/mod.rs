//! One file per subcommand.

#[cfg(unix)]
pub(crate) mod client;
pub(crate) mod inspect;
pub(crate) mod run;

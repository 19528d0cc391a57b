//! Test fixture: echoes messages, and fails, panics, loops, spins or
//! hoards memory on command.

/// Which build this is, as `version` answers.
const VERSION: &str = "v1";

include!("echo.rs");

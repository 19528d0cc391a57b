//! Test fixture: echo's second version, to upgrade to. It differs only in
//! what `version` answers.

/// Which build this is, as `version` answers.
const VERSION: &str = "v2";

include!("../../echo/src/echo.rs");

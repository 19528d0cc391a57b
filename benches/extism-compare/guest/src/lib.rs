//! Answers its input: the same work as the airssys relay's echo.

use extism_pdk::{FnResult, plugin_fn};

/// Returns the input unchanged.
#[plugin_fn]
pub fn echo(input: Vec<u8>) -> FnResult<Vec<u8>> {
    Ok(input)
}

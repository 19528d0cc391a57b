//! The live-upgrade example's plugin: greets whoever it is sent. Built with
//! `GREETING=bonjour` in the environment, it says that instead of hello, so
//! a rebuild visibly changes what the running system answers.

use airssys_wasm_guest::{ComponentError, ComponentId, export};

/// The greeting this build was compiled with.
const GREETING: &str = match option_env!("GREETING") {
    Some(greeting) => greeting,
    None => "hello",
};

/// Answers `NAME` with `GREETING NAME`.
#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Ok(format!("{GREETING} {}", String::from_utf8_lossy(&message)).into_bytes())
}

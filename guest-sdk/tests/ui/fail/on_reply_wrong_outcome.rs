use std::time::Duration;

use airssys_wasm_guest::{export, request, ComponentError, ComponentId};

#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    request("stock", message, Duration::from_secs(1))?.on_reply(|answer: Vec<u8>| {
        drop(answer);
        Ok(())
    });
    Ok(Vec::new())
}

fn main() {}

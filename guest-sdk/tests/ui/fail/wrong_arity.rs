use airssys_wasm_guest::{export, ComponentError};

#[export]
fn handle_message(message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Ok(message)
}

fn main() {}

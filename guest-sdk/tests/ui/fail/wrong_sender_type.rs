use airssys_wasm_guest::{export, ComponentError};

#[export]
fn handle_message(sender: String, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let _ = sender;
    Ok(message)
}

fn main() {}

use airssys_wasm_guest::{export, ComponentError, ComponentId};

#[export]
fn handle_message<T>(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Ok(message)
}

fn main() {}

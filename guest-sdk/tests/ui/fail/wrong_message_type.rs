use airssys_wasm_guest::{export, ComponentError, ComponentId};

#[export]
fn handle_message(_sender: ComponentId, message: String) -> Result<Vec<u8>, ComponentError> {
    Ok(message.into_bytes())
}

fn main() {}

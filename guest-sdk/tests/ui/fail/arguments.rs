use airssys_wasm_guest::{export, ComponentError, ComponentId};

#[export(json)]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Ok(message)
}

fn main() {}

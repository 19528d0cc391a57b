use airssys_wasm_guest::{export, ComponentError, ComponentId};

#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<String, ComponentError> {
    Ok(String::from_utf8_lossy(&message).into_owned())
}

fn main() {}

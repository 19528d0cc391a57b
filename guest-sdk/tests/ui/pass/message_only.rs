use airssys_wasm_guest::{export, ComponentError, ComponentId};

#[export]
fn handle_message(sender: ComponentId, _message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Err(ComponentError::failed(format!("nothing for {sender}")))
}

fn main() {}

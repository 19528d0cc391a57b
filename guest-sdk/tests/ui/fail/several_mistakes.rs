use airssys_wasm_guest::{export, ComponentError, ComponentId};

// Every mistake is reported at once, each at its own tokens.
#[export(json)]
async fn handle_message<T>(_sender: ComponentId) -> Result<Vec<u8>, ComponentError> {
    Ok(Vec::new())
}

fn main() {}

use airssys_wasm_guest::{export, ComponentError, ComponentId, CorrelationId};

// Only the mistake in handle_message is reported: the right handle_callback
// beside it still finds the glue it needs.
#[export]
async fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    Ok(message)
}

#[export]
fn handle_callback(_id: CorrelationId, _result: Result<Vec<u8>, String>) -> Result<(), ComponentError> {
    Ok(())
}

fn main() {}

use airssys_wasm_guest::{export, ComponentId};

#[export]
fn handle_message(_sender: ComponentId, _message: Vec<u8>) {}

fn main() {}

//! Test fixture: echoes messages, and fails, panics or loops on command.

use airssys_wasm_guest::{ComponentError, ComponentId, export, send};

/// Echoes `message`; `fail`, `panic` and `loop` misbehave as named.
#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    // Only tests that grant echo -> host see this report; others get a
    // refusal here, which is ignored.
    let report = [
        b"delivered ",
        sender.as_str().as_bytes(),
        b" ",
        &message[..],
    ]
    .concat();
    let _ = send(ComponentId::HOST, &report);
    match message.as_slice() {
        b"fail" => Err(ComponentError::failed("asked to fail")),
        b"panic" => panic!("asked to panic"),
        b"loop" => loop {
            std::hint::black_box(());
        },
        _ => Ok(message),
    }
}

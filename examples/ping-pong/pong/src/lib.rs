//! The responder of the ping-pong example: its return value is the response.

use std::time::{Duration, Instant};

use airssys_wasm_guest::{ComponentError, ComponentId, export};

/// Answers `ping N` with `pong N`; takes 300 ms over `stall`.
#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let text = String::from_utf8_lossy(&message);
    if let Some(n) = text.strip_prefix("ping") {
        return Ok(format!("pong{n}").into_bytes());
    }
    if text == "stall" {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(300) {
            std::hint::spin_loop();
        }
        return Ok(b"pong (too late)".to_vec());
    }
    Err(ComponentError::invalid_input(format!(
        "pong only answers pings, not {text:?}"
    )))
}

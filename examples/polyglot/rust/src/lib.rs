//! The Rust member of the polyglot system. The Python and JavaScript
//! plugins beside it speak the same text protocol:
//!
//! - `ask <target> <question>`: request `target` with `question`; the
//!   answer arrives in `handle_callback`, which logs it and tells the host.
//! - anything else is a question: the answer names the language and the
//!   asker.

use std::time::Duration;

use airssys_wasm_guest::{ComponentError, ComponentId, CorrelationId, export, info, request, send};

#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let text = String::from_utf8_lossy(&message);
    if let Some(rest) = text.strip_prefix("ask ") {
        let (target, question) = rest.split_once(' ').unwrap_or((rest, ""));
        let id = request(target, question, Duration::from_secs(5))
            .map_err(|error| ComponentError::failed(error.to_string()))?;
        info!("asked {target} {question:?} as {id}");
        return Ok(format!("asked {target}").into_bytes());
    }
    Ok(format!("rust answers {sender}: {text}").into_bytes())
}

#[export]
fn handle_callback(
    id: CorrelationId,
    answer: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    let report = match answer {
        Ok(bytes) => format!("rust got: {}", String::from_utf8_lossy(&bytes)),
        Err(why) => format!("rust got an error: {why}"),
    };
    info!("{id}: {report}");
    send("host", report).map_err(|error| ComponentError::failed(error.to_string()))
}

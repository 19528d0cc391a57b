//! Test fixture: uses every host service on command, and reports every
//! callback to the host's inbox.

use std::time::Duration;

use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, cancel, export, request, send,
};

/// Runs one command from the host and answers what happened.
#[export]
fn handle_message(_sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let text =
        String::from_utf8(message).map_err(|_| ComponentError::invalid_input("not UTF-8"))?;
    let words: Vec<&str> = text.split(' ').collect();
    let answer = match words.as_slice() {
        ["send", target, payload] => match send(target, payload.as_bytes()) {
            Ok(()) => "sent".to_owned(),
            Err(error) => format!("error {error:?}"),
        },
        ["send-zeros", target, bytes] => {
            let bytes: usize = bytes
                .parse()
                .map_err(|_| ComponentError::invalid_input("size"))?;
            match send(target, &vec![0; bytes]) {
                Ok(()) => "sent".to_owned(),
                Err(error) => format!("error {error:?}"),
            }
        }
        ["request", target, timeout_ms, payload] => {
            match request(target, payload.as_bytes(), millis(timeout_ms)?) {
                Ok(id) => format!("requested {id}"),
                Err(error) => format!("error {error:?}"),
            }
        }
        ["request-then-cancel", target, timeout_ms, payload] => {
            let id = request(target, payload.as_bytes(), millis(timeout_ms)?)?;
            cancel(&id)?;
            format!("cancelled {id}")
        }
        ["cancel", id] => match cancel(&CorrelationId::new(*id)) {
            Ok(()) => format!("cancelled {id}"),
            Err(error) => format!("error {error:?}"),
        },
        ["burst", target, timeout_ms, count] => {
            let count: u32 = count
                .parse()
                .map_err(|_| ComponentError::invalid_input("count"))?;
            let mut lines = Vec::new();
            for i in 0..count {
                let payload = format!("burst-{i}");
                let id = request(target, payload.as_bytes(), millis(timeout_ms)?)?;
                lines.push(format!("{id}={payload}"));
            }
            lines.join("\n")
        }
        _ => {
            return Err(ComponentError::unsupported(format!(
                "unknown command {text:?}"
            )));
        }
    };
    Ok(answer.into_bytes())
}

/// Reports the outcome to the host: `callback <id> ok <payload>` or
/// `callback <id> err <why>`.
#[export]
fn handle_callback(
    id: CorrelationId,
    result: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    let report = match result {
        Ok(payload) => format!("callback {id} ok {}", String::from_utf8_lossy(&payload)),
        Err(why) => format!("callback {id} err {why}"),
    };
    send(ComponentId::HOST, report.as_bytes())?;
    Ok(())
}

fn millis(text: &str) -> Result<Duration, ComponentError> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|_| ComponentError::invalid_input(format!("bad timeout {text:?}")))
}

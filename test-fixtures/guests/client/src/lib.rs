//! Test fixture: uses every host service on command, and reports every
//! callback to the host's inbox.

use std::time::Duration;

use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, MessagingError, cancel, export, request, send,
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
            match send(target, vec![0; bytes]) {
                Ok(()) => "sent".to_owned(),
                Err(error) => format!("error {error:?}"),
            }
        }
        ["request", target, timeout_ms, payload @ ..] => {
            let payload = payload.join(" ");
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
        ["flood", target, count] => {
            let count: u32 = count
                .parse()
                .map_err(|_| ComponentError::invalid_input("count"))?;
            let (mut accepted, mut full) = (0, 0);
            for i in 0..count {
                match send(target, format!("flood-{i}").as_bytes()) {
                    Ok(()) => accepted += 1,
                    Err(MessagingError::QueueFull) => full += 1,
                    Err(error) => return Ok(format!("error {error:?}").into_bytes()),
                }
            }
            format!("accepted {accepted} queue-full {full}")
        }
        ["storm", targets, count, seed] => storm(targets, count, seed)?,
        ["storm", targets, count, seed, "then-panic"] => {
            // Dies with its requests pending and their outcomes queued.
            storm(targets, count, seed)?;
            panic!("asked to panic after the storm")
        }
        ["panic"] => panic!("asked to panic"),
        ["request-then-panic", target, payload, signal] => {
            // The answer arrives in the callback queue while this call
            // still runs (the host creates the file `signal` once it has);
            // then the instance dies without having seen it.
            request(target, payload.as_bytes(), Duration::from_secs(30))?;
            while std::fs::metadata(signal).is_err() {
                std::thread::sleep(Duration::from_millis(1));
            }
            panic!("asked to panic after a request")
        }
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

/// Many requests with random targets, payloads and timeouts, and random
/// cancels of earlier ones. Reports `accepted <id>` and `cancelled <id>` to
/// the host as they happen; answers `accepted <ids> cancelled <ids>
/// refused <n>`, ids comma-separated.
fn storm(targets: &str, count: &str, seed: &str) -> Result<String, ComponentError> {
    let targets: Vec<&str> = targets.split(',').collect();
    let count: u32 = count
        .parse()
        .map_err(|_| ComponentError::invalid_input("count"))?;
    let mut state: u64 = seed
        .parse()
        .map_err(|_| ComponentError::invalid_input("seed"))?;
    let mut random = move |below: u64| {
        // xorshift64: deterministic per seed, good enough to mix choices.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let (mut accepted, mut cancelled, mut refused) = (Vec::new(), Vec::new(), 0);
    for i in 0..count {
        let target =
            targets[usize::try_from(random(targets.len() as u64)).expect("below the length")];
        let payload = match random(20) {
            0 => "panic".to_owned(),
            1 | 2 => "fail".to_owned(),
            3..=5 => format!("spin {}", 1 + random(3)),
            _ => format!("ok-{i}"),
        };
        let timeout = Duration::from_millis(1 + random(40));
        match request(target, payload.as_bytes(), timeout) {
            Ok(id) => {
                report(&format!("accepted {id}"));
                accepted.push(id);
            }
            Err(_) => refused += 1,
        }
        if random(5) == 0 && !accepted.is_empty() {
            let victim = &accepted
                [usize::try_from(random(accepted.len() as u64)).expect("below the length")];
            if !cancelled.contains(victim) && cancel(victim).is_ok() {
                report(&format!("cancelled {victim}"));
                cancelled.push(victim.clone());
            }
        }
    }
    let join = |ids: &[CorrelationId]| {
        ids.iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    Ok(format!(
        "accepted {} cancelled {} refused {refused}",
        join(&accepted),
        join(&cancelled)
    ))
}

/// Tells the host; a refusal is ignored (the test will see the gap).
fn report(text: &str) {
    let _ = send(ComponentId::HOST, text.as_bytes());
}

fn millis(text: &str) -> Result<Duration, ComponentError> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|_| ComponentError::invalid_input(format!("bad timeout {text:?}")))
}

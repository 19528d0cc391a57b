//! Benchmark fixture: a lean responder and driver. From the host it takes
//! `chain <target> <n> <bytes>` (n request round trips to `target`, one at
//! a time, then `done` to the host) and `burst <target> <n> <bytes>` (n
//! fire-and-forget messages) and `spread <prefix> <k> <n> <bytes>` (n
//! fire-and-forget messages dealt round-robin to `<prefix>0` ..
//! `<prefix>{k-1}`). Anything else it answers with the message and
//! counts; `count` answers the count.

use std::cell::Cell;
use std::time::Duration;

use airssys_wasm_guest::{ComponentError, ComponentId, CorrelationId, export, request, send};

thread_local! {
    static RECEIVED: Cell<u64> = const { Cell::new(0) };
    static CHAIN: Cell<(u32, usize)> = const { Cell::new((0, 0)) };
    static TARGET: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

static PAYLOAD: [u8; 65536] = [7; 65536];

/// Drives a chain or a burst on the host's command; otherwise echoes.
#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let command = sender == ComponentId::HOST
        && [&b"chain "[..], b"burst ", b"spread "]
            .iter()
            .any(|verb| message.starts_with(verb));
    if message == b"count" {
        return Ok(RECEIVED.get().to_string().into_bytes());
    }
    if !command {
        RECEIVED.set(RECEIVED.get() + 1);
        return Ok(message);
    }
    let text = String::from_utf8(message).map_err(|_| ComponentError::invalid_input("UTF-8"))?;
    let words: Vec<&str> = text.split(' ').collect();
    let number = |word: &str| {
        word.parse::<usize>()
            .map_err(|_| ComponentError::invalid_input(text.clone()))
    };
    match words.as_slice() {
        ["chain", target, n, bytes] => {
            let (n, bytes) = (number(n)?, number(bytes)?);
            TARGET.with_borrow_mut(|t| *t = (*target).to_owned());
            let n = u32::try_from(n).map_err(|_| ComponentError::invalid_input("count"))?;
            CHAIN.set((n, bytes));
            request(target, &PAYLOAD[..bytes], Duration::from_secs(30))?;
        }
        ["burst", target, n, bytes] => {
            let (n, bytes) = (number(n)?, number(bytes)?);
            for _ in 0..n {
                send(target, &PAYLOAD[..bytes])?;
            }
        }
        ["spread", prefix, k, n, bytes] => {
            let (k, n, bytes) = (number(k)?, number(n)?, number(bytes)?);
            let targets: Vec<String> = (0..k).map(|i| format!("{prefix}{i}")).collect();
            for target in targets.iter().cycle().take(n) {
                send(target, &PAYLOAD[..bytes])?;
            }
        }
        _ => return Err(ComponentError::unsupported(text)),
    }
    Ok(Vec::new())
}

/// The next link of a chain, or `done` to the host after the last.
#[export]
fn handle_callback(
    _id: CorrelationId,
    result: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    result.map_err(ComponentError::failed)?;
    let (left, bytes) = CHAIN.get();
    if left > 1 {
        CHAIN.set((left - 1, bytes));
        TARGET.with_borrow(|target| request(target, &PAYLOAD[..bytes], Duration::from_secs(30)))?;
    } else {
        send(ComponentId::HOST, b"done")?;
    }
    Ok(())
}

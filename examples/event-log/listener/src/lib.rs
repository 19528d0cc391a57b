//! A listener of the event-log example. Several components run this same
//! code under different names; each keeps its own count.

use std::sync::atomic::{AtomicU32, Ordering};

use airssys_wasm_guest::{ComponentError, ComponentId, export};

static SEEN: AtomicU32 = AtomicU32::new(0);

/// Logs the event; `count` answers how many events this listener has seen.
#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    if message == b"count" {
        return Ok(SEEN.load(Ordering::Relaxed).to_string().into_bytes());
    }
    let n = SEEN.fetch_add(1, Ordering::Relaxed) + 1;
    println!(
        "listener: event #{n} from {sender}: {}",
        String::from_utf8_lossy(&message)
    );
    // The return value of a fire-and-forget message is dropped by the host.
    Ok(Vec::new())
}

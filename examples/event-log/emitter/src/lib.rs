//! The emitter of the event-log example: fans each event out, fire-and-forget,
//! to every listener it was told about.
//!
//! Run the example with
//! `cargo build --release --target wasm32-wasip2 -p event-log-emitter -p event-log-listener && cargo run -p airssys-wasm --features cli -- run examples/event-log/event-log.toml`

use airssys_wasm_guest::{ComponentError, ComponentId, export, send};

/// The components that receive every event.
const LISTENERS: [&str; 3] = ["audit", "metrics", "alerts"];

/// Sends the event to each listener and answers how many took it.
#[export]
fn handle_message(_sender: ComponentId, event: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let mut delivered = 0;
    for listener in LISTENERS {
        match send(listener, &event) {
            Ok(()) => delivered += 1,
            // A listener the manifest left out, or did not grant, is skipped.
            Err(error) => println!("emitter: {listener} skipped: {error}"),
        }
    }
    Ok(format!("{delivered} listeners").into_bytes())
}

//! The requester of the ping-pong example. Run the whole example with
//! `cargo run -p airssys-wasm --features cli -- run` (the built-in demo) or
//! `cargo run -p airssys-wasm --features cli -- run examples/ping-pong/ping-pong.toml`.
//!
//! On any message it sends three requests to `pong` and one that `pong`
//! answers too late; every outcome arrives in `handle_callback`.

use std::time::Duration;

use airssys_wasm_guest::{ComponentError, ComponentId, CorrelationId, export, request};

/// Starts a round: three pings answered in time, one that times out.
#[export]
fn handle_message(sender: ComponentId, _message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    for n in 1..=3 {
        request(
            "pong",
            format!("ping {n}").as_bytes(),
            Duration::from_secs(1),
        )?;
    }
    // pong takes 300 ms over this one; the host times it out at 100 ms.
    request("pong", b"stall", Duration::from_millis(100))?;
    Ok(format!("ping sent 4 requests for {sender}").into_bytes())
}

/// Prints each answer, or why there is none.
#[export]
fn handle_callback(
    id: CorrelationId,
    result: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    match result {
        Ok(answer) => println!("ping: {id} answered {:?}", String::from_utf8_lossy(&answer)),
        Err(why) => println!("ping: {id} failed: {why}"),
    }
    Ok(())
}

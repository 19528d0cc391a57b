//! The host-service example's plugin: a small assistant that uses what the
//! host offers. The host sends it commands (`cargo run -p host-service`
//! shows each):
//!
//! | command | what it does |
//! | --- | --- |
//! | `ask <item>` | asks the host's `inventory` service; the answer comes to `handle_callback`, which reports it to the host |
//! | `start-ticks <ms>` / `stop-ticks` | a periodic message from the built-in `timer` service; each counts a tick |
//! | `ticks` | how many ticks it has counted |

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, Json, export, request, send, timer,
};
use serde::{Deserialize, Serialize};

/// What the host's `inventory` service is asked.
#[derive(Serialize)]
struct Query {
    item: String,
}

/// What it answers.
#[derive(Deserialize)]
struct Stock {
    item: String,
    in_stock: u32,
}

/// Ticks counted since this instance started.
static TICKS: AtomicU64 = AtomicU64::new(0);

#[export]
fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
    let text = String::from_utf8(message)
        .map_err(|_| ComponentError::invalid_input("commands are UTF-8 text"))?;
    if sender.as_str() == timer::TIMER {
        TICKS.fetch_add(1, Ordering::Relaxed);
        return Ok(Vec::new());
    }
    let (command, argument) = text.split_once(' ').unwrap_or((text.as_str(), ""));
    let answer = match command {
        "ask" => {
            let query = Json(Query {
                item: argument.to_owned(),
            });
            let id = request("inventory", query, Duration::from_secs(1))?;
            format!("asked {id}")
        }
        "start-ticks" => {
            let ms: u64 = argument
                .parse()
                .map_err(|_| ComponentError::invalid_input("start-ticks takes milliseconds"))?;
            timer::every("tick", Duration::from_millis(ms), "tick")?;
            "ticking".to_owned()
        }
        "stop-ticks" => {
            timer::cancel("tick")?;
            "stopped".to_owned()
        }
        "ticks" => TICKS.load(Ordering::Relaxed).to_string(),
        _ => {
            return Err(ComponentError::unsupported(format!(
                "unknown command {text:?}"
            )));
        }
    };
    Ok(answer.into_bytes())
}

/// The inventory's answer, reported to the host.
#[export]
fn handle_callback(
    _id: CorrelationId,
    result: Result<Json<Stock>, String>,
) -> Result<(), ComponentError> {
    let report = match result {
        Ok(Json(stock)) => format!("{} in stock: {}", stock.item, stock.in_stock),
        Err(why) => format!("the inventory did not answer: {why}"),
    };
    send(ComponentId::HOST, report.as_bytes())?;
    Ok(())
}

//! The host-service example's plugin: a small assistant that uses what the
//! host offers. The host sends it commands (`cargo run -p host-service`
//! shows each):
//!
//! | command | what it does |
//! | --- | --- |
//! | `ask <item>` | asks the host's `inventory` service; the answer comes to `handle_callback`, which reports it to the host |
//! | `start-ticks <ms>` / `stop-ticks` | a periodic message from the built-in `timer` service; each counts a tick |
//! | `ticks` | how many ticks it has counted |
//! | `greeting` | its configuration key `greeting` (`wasi:config`) |
//! | `count` | adds one to the counter `visits` in its key-value bucket `state` and answers the new value; it survives restarts and host crashes (`wasi:keyvalue`) |
//! | `visits` | the counter's value, without adding |
//! | `fetch <url>` | `GET url` (`wasi:http`); answers `<status> <body>`, or fails with why, for example when the origin was not granted |

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use airssys_wasm_guest::keyvalue::Bucket;
use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, Json, config, export, http, request, send, timer,
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
        "greeting" => config::get("greeting")
            .map_err(|why| ComponentError::failed(why.to_string()))?
            .unwrap_or_else(|| "(no greeting configured)".to_owned()),
        "count" => state()?
            .increment("visits", 1)
            .map_err(|why| ComponentError::failed(why.to_string()))?
            .to_string(),
        "visits" => {
            let visits = state()?
                .get("visits")
                .map_err(|why| ComponentError::failed(why.to_string()))?;
            visits.map_or_else(
                || "0".to_owned(),
                |bytes| String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
        "fetch" => {
            let response =
                http::get(argument).map_err(|why| ComponentError::failed(why.to_string()))?;
            format!("{} {}", response.status, response.text())
        }
        _ => {
            return Err(ComponentError::unsupported(format!(
                "unknown command {text:?}"
            )));
        }
    };
    Ok(answer.into_bytes())
}

/// The bucket this plugin keeps its state in.
fn state() -> Result<Bucket, ComponentError> {
    Bucket::open("state").map_err(|why| ComponentError::failed(why.to_string()))
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

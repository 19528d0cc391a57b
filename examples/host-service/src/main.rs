//! A host application offering its plugin a service backed by something
//! the host owns: its inventory, a table in the host's memory that the
//! plugin cannot reach except by asking. The plugin also keeps a periodic
//! tick with the built-in timer service.
//!
//! `cargo run -p host-service`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airssys_wasm::{ComponentError, ComponentSpec, Service, SystemBuilder};
use serde::{Deserialize, Serialize};

/// What the plugin asks.
#[derive(Deserialize)]
struct Query {
    item: String,
}

/// What the service answers.
#[derive(Serialize)]
struct Stock {
    item: String,
    in_stock: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The host's own state: the plugin sees it only through the service.
    let inventory = Arc::new(Mutex::new(HashMap::from([
        ("book".to_owned(), 3u32),
        ("pen".to_owned(), 12),
    ])));
    let stock = Service::json(move |_call, query: Query| {
        let inventory = Arc::clone(&inventory);
        async move {
            let in_stock = inventory
                .lock()
                .expect("inventory lock")
                .get(&query.item)
                .copied();
            let in_stock = in_stock.ok_or_else(|| {
                ComponentError::InvalidInput(format!("no such item: {}", query.item))
            })?;
            Ok(Stock {
                item: query.item,
                in_stock,
            })
        }
    });

    let plugin = ComponentSpec::from_file("assistant", env!("HOST_SERVICE_PLUGIN_WASM"))
        .grant("inventory")
        .grant("timer")
        .grant("host");
    let mut system = SystemBuilder::new()
        .host_inbox(16)
        .service_with("inventory", stock)
        .component(plugin)
        .start()
        .await?;
    let mut inbox = system.take_inbox().expect("asked for one");
    let ask = |command: &'static str| system.request("assistant", command, Duration::from_secs(2));

    ask("ask book")?.await?;
    println!("host: {}", text(inbox.recv().await));
    ask("ask lamp")?.await?;
    println!("host: {}", text(inbox.recv().await));

    ask("start-ticks 100")?.await?;
    tokio::time::sleep(Duration::from_millis(550)).await;
    ask("stop-ticks")?.await?;
    let ticks = ask("ticks")?.await?;
    println!(
        "host: ticks so far: {}",
        String::from_utf8_lossy(ticks.as_bytes())
    );

    let inventory_calls = system
        .component_stats("inventory")
        .expect("a service has counters");
    println!(
        "host: the inventory answered {} and refused {}",
        inventory_calls.handled, inventory_calls.failed
    );
    system.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

fn text(message: Option<airssys_wasm::InboxMessage>) -> String {
    message.map_or_else(
        || "<inbox closed>".to_owned(),
        |message| String::from_utf8_lossy(message.payload.as_bytes()).into_owned(),
    )
}

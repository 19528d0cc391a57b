//! A host application offering its plugin what a plugin needs for real
//! work, each closed until granted:
//!
//! - a service backed by something the host owns: its inventory, a table in
//!   the host's memory that the plugin cannot reach except by asking;
//! - a periodic tick from the built-in timer service;
//! - its configuration (`wasi:config`);
//! - a durable counter in its key-value bucket (`wasi:keyvalue`), which
//!   goes up by one on every run: the database outlives the process;
//! - outbound HTTP (`wasi:http`) to one origin, a small server this host
//!   starts on 127.0.0.1, and no other.
//!
//! `cargo run -p host-service`

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airssys_wasm::{ComponentError, ComponentSpec, Service, SystemBuilder};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

    let weather = serve_weather().await?;
    let plugin = ComponentSpec::from_file("assistant", env!("HOST_SERVICE_PLUGIN_WASM"))
        .grant("inventory")
        .grant("timer")
        .grant("host")
        .config("greeting", "hello from the host's configuration")
        .keyvalue_bucket("state")
        .http_allow(format!("http://{weather}"));
    let state = std::env::temp_dir().join("airssys-host-service-example.redb");
    let mut system = SystemBuilder::new()
        .keyvalue_path(&state)
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

    let greeting = ask("greeting")?.await?;
    println!(
        "host: configured greeting: {}",
        String::from_utf8_lossy(greeting.as_bytes())
    );
    let visits = ask("count")?.await?;
    println!(
        "host: runs counted in {}: {}",
        state.display(),
        String::from_utf8_lossy(visits.as_bytes())
    );
    let fetched = system
        .request(
            "assistant",
            format!("fetch http://{weather}/today"),
            Duration::from_secs(5),
        )?
        .await?;
    println!(
        "host: granted fetch: {}",
        String::from_utf8_lossy(fetched.as_bytes())
    );
    match ask("fetch http://example.com/")?.await {
        Ok(answer) => println!("host: ungranted fetch answered?! {answer:?}"),
        Err(refused) => println!("host: ungranted fetch refused: {refused}"),
    }

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

/// A one-page HTTP server on 127.0.0.1, standing in for a weather API;
/// returns its address.
async fn serve_weather() -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.windows(4).any(|end| end == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let body = "sunny, 21 C";
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok(address)
}

fn text(message: Option<airssys_wasm::InboxMessage>) -> String {
    message.map_or_else(
        || "<inbox closed>".to_owned(),
        |message| String::from_utf8_lossy(message.payload.as_bytes()).into_owned(),
    )
}

//! {{project-name}}: a program embedding airssys-wasm. It loads a plugin
//! (by default `plugin.wasm`, or the path given as the first argument) as the
//! component `greeter`, asks it to greet someone, and prints the answer.

use std::io::IsTerminal;
use std::time::Duration;

use airssys_wasm::{ComponentSpec, Json, SystemBuilder};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// What is logged unless `RUST_LOG` says otherwise: the plugins' log lines
/// and airssys's notices (refusals, failures, restarts), but not every
/// message's flow nor wasmtime's and cranelift's detail.
const DEFAULT_LOG: &str = "info,airssys_wasm::flow=warn,wasmtime=warn,cranelift=warn";

#[derive(Serialize)]
struct Greet<'a> {
    name: &'a str,
}

#[derive(Deserialize)]
struct Greeting {
    text: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => EnvFilter::try_new(&directives).unwrap_or_else(|error| {
            eprintln!("RUST_LOG={directives:?} ignored ({error}); logging {DEFAULT_LOG:?}");
            EnvFilter::new(DEFAULT_LOG)
        }),
        Err(_) => EnvFilter::new(DEFAULT_LOG),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let plugin = std::env::args().nth(1).unwrap_or_else(|| "plugin.wasm".to_owned());
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_file("greeter", &plugin))
        .start()
        .await?;

    let request = Json(Greet { name: "airssys" }).encode()?;
    let response = system.request("greeter", request, Duration::from_secs(5))?.await?;
    let Json(greeting) = Json::<Greeting>::decode(&response)?;
    println!("{}", greeting.text);

    let report = system.shutdown(Duration::from_secs(5)).await;
    if !report.aborted.is_empty() {
        eprintln!("stopped while busy: {:?}", report.aborted);
    }
    Ok(())
}

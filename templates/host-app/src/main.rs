//! {{project-name}}: a program embedding airssys-wasm. It loads a plugin
//! (by default `plugin.wasm`, or the path given as the first argument) as the
//! component `greeter`, asks it to greet someone, and prints the answer.

use std::time::Duration;

use airssys_wasm::{ComponentSpec, Json, SystemBuilder};
use serde::{Deserialize, Serialize};

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

//! A Rust host program that embeds airssys-wasm: it loads the ping-pong
//! guests, talks to them as a participant, and shuts down cleanly.
//!
//! ```text
//! cargo run -p embed
//! ```

use std::time::Duration;

use airssys_wasm::{ComponentSpec, RequestError, SystemBuilder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_file("ping", env!("EMBED_PING_WASM")).grant("pong"))
        .component(ComponentSpec::from_file("pong", env!("EMBED_PONG_WASM")))
        .start()
        .await?;

    // The host asks pong directly and awaits the answer.
    let answer = system
        .request("pong", "ping 42", Duration::from_secs(1))?
        .await?;
    println!(
        "host: pong answered {:?}",
        String::from_utf8_lossy(answer.as_bytes())
    );

    // pong refuses what is not a ping: the error comes back as a RequestError.
    match system
        .request("pong", "hello", Duration::from_secs(1))?
        .await
    {
        Err(RequestError::Responder { error, .. }) => println!("host: pong refused: {error}"),
        other => return Err(format!("expected pong to refuse \"hello\", got {other:?}").into()),
    }

    // Fire-and-forget to ping starts its own round of requests to pong.
    system.send("ping", "start")?;
    system.wait_idle().await;
    let stats = system.stats();
    println!(
        "host: idle; {} request timed out, {} late answer dropped",
        stats.requests.timed_out, stats.requests.late_responses
    );
    // Per-component counters, for dashboards and health checks.
    if let Some(pong) = system.component_stats("pong") {
        println!(
            "host: pong handled {}, refused {} with an error, trapped {}",
            pong.handled, pong.failed, pong.trapped
        );
    }

    let report = system.shutdown(Duration::from_secs(5)).await;
    println!("host: shut down {} components", report.stopped.len());
    Ok(())
}

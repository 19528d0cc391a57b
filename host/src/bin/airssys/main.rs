//! `airssys`: runs a system of airssys-wasm components from a TOML manifest
//! and prints the message flow.
//!
//! ```text
//! airssys run                    # the built-in ping-pong demo
//! airssys run system.toml        # your own components
//! airssys inspect plugin.wasm    # is it a plugin? what does it import and export?
//! ```
//!
//! Exit codes: 0 when the run finished (or the file is a plugin), 1 when the
//! system could not start, an initial message was refused, or the file is
//! not a plugin, 2 for a bad command line or manifest.

/// Like `println!`, but a closed stdout (`airssys run | head`) is not a
/// panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod flow;
mod manifest;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use airssys_wasm::runtime::engine::WasmEngine;
use airssys_wasm::runtime::loader;
use airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT;
use airssys_wasm::{ComponentSpec, System, SystemBuilder};
use clap::{Parser, Subcommand};
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::manifest::{InitialMessage, Manifest, Pattern};

/// Run WebAssembly component plugins that message each other.
#[derive(Debug, Parser)]
#[command(name = "airssys", version, about)]
struct Cli {
    /// What to show: error, warn, info (the message flow) or debug.
    #[arg(long, global = true, default_value = "info")]
    log_level: LevelFilter,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the components a manifest lists, send its initial messages,
    /// print the flow until the system is idle, then shut down. Without a
    /// manifest, runs the built-in ping-pong demo.
    Run {
        /// The TOML manifest; see the README for its format.
        manifest: Option<PathBuf>,
        /// Stop after this many milliseconds even if the system is not idle.
        #[arg(long, value_name = "MS")]
        max_ms: Option<u64>,
    },
    /// Say whether a `.wasm` file is a plugin this host can run, and list
    /// what it imports and exports. Exits 0 for a plugin, 1 otherwise.
    Inspect {
        /// The component to look at.
        file: PathBuf,
    },
}

/// How often `run` reports that a slow start is still going.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Exit code for a bad command line or manifest.
const EXIT_USAGE: u8 = 2;
/// Exit code for a system that failed to start or refused a message.
const EXIT_FAILED: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::registry()
        .with(flow::FlowPrinter.with_filter(cli.log_level))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("airssys: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    match cli.command {
        Command::Inspect { file } => inspect(&file),
        Command::Run { manifest, max_ms } => {
            let plan = match manifest {
                Some(path) => Plan::from_manifest(&path),
                None => Ok(Plan::demo()),
            };
            match plan {
                Ok(plan) => runtime.block_on(run(plan, max_ms.map(Duration::from_millis))),
                Err(error) => {
                    eprintln!("airssys: {error}");
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
    }
}

/// `airssys inspect FILE`.
fn inspect(file: &Path) -> ExitCode {
    let name = file.display().to_string();
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("airssys: cannot read {name}: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let inspection = WasmEngine::new(DEFAULT_MEMORY_LIMIT)
        .and_then(|engine| loader::inspect(&engine, &name, &bytes));
    let inspection = match inspection {
        Ok(inspection) => inspection,
        Err(error) => {
            eprintln!("airssys: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    say!("{name}: a component of {} KiB", bytes.len().div_ceil(1024));
    for (heading, items) in [
        ("imports", &inspection.imports),
        ("exports", &inspection.exports),
    ] {
        say!("  {heading}:");
        for item in items {
            say!("    {item}");
        }
    }
    match inspection.as_plugin {
        Ok(()) => {
            say!("  plugin: yes, of the airssys:wasm/plugin world; `airssys run` can load it");
            ExitCode::SUCCESS
        }
        Err(error) => {
            say!("  plugin: no: {error}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// What `run` starts and sends.
struct Plan {
    title: String,
    builder: SystemBuilder,
    messages: Vec<InitialMessage>,
}

impl Plan {
    fn from_manifest(path: &Path) -> Result<Self, String> {
        let manifest = Manifest::load(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            title: format!(
                "{} ({} components)",
                path.display(),
                manifest.components.len()
            ),
            builder: manifest.builder(base),
            messages: manifest.messages,
        })
    }

    /// ping-pong, compiled into this binary: ping sends three requests that
    /// pong answers and one that times out while pong is still busy.
    fn demo() -> Self {
        const PING: &[u8] = include_bytes!(env!("AIRSSYS_DEMO_PING"));
        const PONG: &[u8] = include_bytes!(env!("AIRSSYS_DEMO_PONG"));
        Self {
            title:
                "the built-in ping-pong demo (ping requests, pong answers, one request times out)"
                    .to_owned(),
            builder: SystemBuilder::new()
                .component(ComponentSpec::from_bytes("ping", PING).grant("pong"))
                .component(ComponentSpec::from_bytes("pong", PONG)),
            messages: vec![InitialMessage {
                to: "ping".to_owned(),
                payload: "start".to_owned(),
                pattern: Pattern::Send,
                timeout_ms: None,
            }],
        }
    }
}

async fn run(plan: Plan, max: Option<Duration>) -> ExitCode {
    say!("airssys: running {}", plan.title);
    let started = Instant::now();
    // Compiling many components can take a while: say it is still going.
    let start = plan.builder.host_inbox(1024).start();
    tokio::pin!(start);
    let mut progress =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    let result = loop {
        tokio::select! {
            result = &mut start => break result,
            _ = progress.tick() => say!(
                "airssys: compiling and starting components ({} s)",
                started.elapsed().as_secs()
            ),
        }
    };
    let mut system = match result {
        Ok(system) => system,
        Err(error) => {
            eprintln!("airssys: {error}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    say!(
        "airssys: started {} components in {} ms",
        system.component_ids().len(),
        started.elapsed().as_millis()
    );

    if let Some(mut inbox) = system.take_inbox() {
        tokio::spawn(async move {
            while let Some(message) = inbox.recv().await {
                say!("  host      <- {}  {:?}", message.sender, message.payload);
            }
        });
    }

    let mut exit = ExitCode::SUCCESS;
    let mut responses = Vec::new();
    for message in plan.messages {
        if let Err(error) = send_initial(&system, &message, &mut responses) {
            eprintln!(
                "airssys: initial message to {:?} refused: {error}",
                message.to
            );
            exit = ExitCode::from(EXIT_FAILED);
        }
    }
    for (to, response) in responses {
        match response.await {
            Ok(payload) => say!("  host      <- {to} response {payload:?}"),
            Err(error) => say!("  host      <- {to} failed: {error}"),
        }
    }

    let stopped_early = tokio::select! {
        () = system.wait_idle() => None,
        () = sleep_or_forever(max) => Some("--max-ms elapsed"),
        _ = tokio::signal::ctrl_c() => Some("interrupted"),
    };
    if let Some(reason) = stopped_early {
        say!("airssys: {reason}; shutting down");
    }
    summarize(system, started).await;
    exit
}

fn send_initial(
    system: &System,
    message: &InitialMessage,
    responses: &mut Vec<(String, airssys_wasm::PendingResponse)>,
) -> Result<(), airssys_wasm::MessagingError> {
    match message.pattern {
        Pattern::Send => system.send(&message.to, message.payload.as_str()),
        Pattern::Request => {
            let timeout = Duration::from_millis(message.timeout_ms.unwrap_or(0));
            let pending = system.request(&message.to, message.payload.as_str(), timeout)?;
            responses.push((message.to.clone(), pending));
            Ok(())
        }
    }
}

async fn sleep_or_forever(max: Option<Duration>) {
    match max {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

async fn summarize(system: System, started: Instant) {
    let stats = system.stats().requests;
    let report = system.shutdown(Duration::from_secs(5)).await;
    say!(
        "airssys: done in {} ms: {} timed out, {} late responses dropped, {} requests failed at shutdown{}",
        started.elapsed().as_millis(),
        stats.timed_out,
        stats.late_responses,
        report.failed_requests,
        if report.aborted.is_empty() {
            String::new()
        } else {
            format!(
                ", {} components stopped while busy: {:?}",
                report.aborted.len(),
                report.aborted
            )
        }
    );
}

//! `airssys`: runs a system of airssys-wasm components from a TOML manifest
//! and prints the message flow.
//!
//! ```text
//! airssys run                              # the built-in ping-pong demo
//! airssys run system.toml                  # your own components
//! airssys run system.toml --control sock   # ... and keep serving on a socket
//! airssys request --control sock echo hi   # into the running system
//! airssys send --control sock audit "user logged in"
//! airssys stop --control sock
//! airssys inspect plugin.wasm              # is it a plugin? what does it import and export?
//! ```
//!
//! Exit codes: 0 success; 1 the system could not start, refused a message,
//! or a request failed, or the file is not a plugin; 2 a bad command line or
//! manifest; 3 no `airssys run` listens at the control socket; 4 a request
//! timed out.

/// Like `println!`, but a closed stdout (`airssys run | head`) is not a
/// panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[cfg(unix)]
mod client;
#[cfg(unix)]
mod control;
mod flow;
mod manifest;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use airssys_wasm::runtime::engine::WasmEngine;
use airssys_wasm::runtime::loader;
use airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT;
use airssys_wasm::{ComponentSpec, StartProgress, System, SystemBuilder};
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
        /// Keep running after the initial messages and take `send`,
        /// `request` and `stop` from other `airssys` processes on this Unix
        /// socket, until `stop`, Ctrl-C, SIGTERM or `--max-ms`.
        #[arg(long, value_name = "SOCKET")]
        control: Option<PathBuf>,
    },
    /// Send a fire-and-forget message into a system started with
    /// `airssys run --control`.
    Send {
        #[command(flatten)]
        message: MessageArgs,
    },
    /// Send a request into a system started with `airssys run --control`
    /// and print the response to stdout. Exits 1 if it fails, 4 if it
    /// times out.
    Request {
        #[command(flatten)]
        message: MessageArgs,
        /// How long to wait for the answer; the system's default (5 s)
        /// when not given.
        #[arg(long, value_name = "MS", default_value_t = 0)]
        timeout_ms: u64,
    },
    /// Shut down a system started with `airssys run --control`.
    Stop {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
    },
    /// Say whether a `.wasm` file is a plugin this host can run, and list
    /// what it imports and exports. Exits 0 for a plugin, 1 otherwise.
    Inspect {
        /// The component to look at.
        file: PathBuf,
    },
}

/// Where a message from the command line goes and what it carries.
#[derive(Debug, clap::Args)]
struct MessageArgs {
    /// The running system's control socket.
    #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
    control: PathBuf,
    /// The component to send to.
    to: String,
    /// The payload, as text.
    #[arg(conflicts_with = "file")]
    payload: Option<String>,
    /// Read the payload's bytes from this file (`-` for stdin) instead.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

/// How often `run` reports that a slow start is still going.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Exit code for a bad command line or manifest.
const EXIT_USAGE: u8 = 2;
/// Exit code for a system that failed to start or refused a message.
const EXIT_FAILED: u8 = 1;
/// Exit code when no `airssys run` answers on the control socket.
const EXIT_UNREACHABLE: u8 = 3;
/// Exit code for a request from the command line that timed out.
const EXIT_TIMED_OUT: u8 = 4;

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
        Command::Run {
            manifest,
            max_ms,
            control,
        } => {
            let plan = match manifest {
                Some(path) => Plan::from_manifest(&path),
                None => Ok(Plan::demo()),
            };
            match plan {
                Ok(plan) => runtime.block_on(run(plan, max_ms.map(Duration::from_millis), control)),
                Err(error) => {
                    eprintln!("airssys: {error}");
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
        #[cfg(unix)]
        Command::Send { message } => runtime.block_on(client::send(message)),
        #[cfg(unix)]
        Command::Request {
            message,
            timeout_ms,
        } => runtime.block_on(client::request(message, timeout_ms)),
        #[cfg(unix)]
        Command::Stop { control } => runtime.block_on(client::stop(&control)),
        #[cfg(not(unix))]
        Command::Send { .. } | Command::Request { .. } | Command::Stop { .. } => {
            eprintln!("airssys: the control socket needs Unix domain sockets");
            ExitCode::from(EXIT_USAGE)
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

async fn run(plan: Plan, max: Option<Duration>, control: Option<PathBuf>) -> ExitCode {
    say!("airssys: running {}", plan.title);
    let started = Instant::now();
    // Open the socket first: a path in use should fail before compiling.
    #[cfg(unix)]
    let control = match control {
        Some(path) => match control::ControlSocket::bind(&path).await {
            Ok(socket) => Some((path, socket)),
            Err(error) => {
                eprintln!("airssys: {error}");
                return ExitCode::from(EXIT_FAILED);
            }
        },
        None => None,
    };
    #[cfg(not(unix))]
    if control.is_some() {
        eprintln!("airssys: --control needs Unix domain sockets");
        return ExitCode::from(EXIT_USAGE);
    }

    let mut system = match start(plan.builder, started).await {
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

    match control {
        #[cfg(unix)]
        Some((path, socket)) => {
            let (reason, open_connections) = serve_until_stopped(&system, &path, socket, max).await;
            say!("airssys: {reason}; shutting down");
            summarize(system, started).await;
            // Only now is every reply decided: shutdown answered or failed
            // the requests from the shell that were still in flight.
            open_connections.finish().await;
        }
        _ => {
            let stopped_early = tokio::select! {
                () = system.wait_idle() => None,
                () = sleep_or_forever(max) => Some("--max-ms elapsed"),
                () = interrupted() => Some("interrupted"),
            };
            if let Some(reason) = stopped_early {
                say!("airssys: {reason}; shutting down");
            }
            summarize(system, started).await;
        }
    }
    exit
}

/// Starts the system, saying every second how far a slow start has got.
async fn start(
    builder: SystemBuilder,
    started: Instant,
) -> Result<System, airssys_wasm::SystemError> {
    let progress = StartProgress::new();
    let start = builder.host_inbox(1024).progress(progress.clone()).start();
    tokio::pin!(start);
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        tokio::select! {
            result = &mut start => return result,
            _ = ticks.tick() => {
                let counts = progress.counts();
                say!(
                    "airssys: {} s: compiled {}/{}, started {}/{} components",
                    started.elapsed().as_secs(),
                    counts.compiled,
                    counts.to_compile,
                    counts.started,
                    counts.to_start,
                );
            }
        }
    }
}

/// Takes commands from the control socket until `stop`, a signal or
/// `--max-ms`; returns why it stopped and the connections still owed a
/// reply.
#[cfg(unix)]
async fn serve_until_stopped(
    system: &System,
    path: &Path,
    socket: control::ControlSocket,
    max: Option<Duration>,
) -> (&'static str, control::OpenConnections) {
    say!(
        "airssys: listening on {path}; try `airssys request --control {path} <component> <payload>`",
        path = path.display()
    );
    let (commands, mut incoming) = tokio::sync::mpsc::channel(64);
    let server = tokio::spawn(socket.serve(commands));
    let reason = tokio::select! {
        () = async {
            while let Some((command, reply)) = incoming.recv().await {
                if control::execute(system, command, reply) {
                    return;
                }
            }
        } => "stop requested",
        () = sleep_or_forever(max) => "--max-ms elapsed",
        () = interrupted() => "interrupted",
    };
    // Closing the queue stops the server, which removes the socket file;
    // commands still queued get "shutting down".
    drop(incoming);
    let open_connections = server.await.expect("the control server does not panic");
    (reason, open_connections)
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

/// Ctrl-C, or SIGTERM where there is one (`kill`, service managers).
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
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

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
mod api;
mod cli;
mod commands;
#[cfg(unix)]
mod control;
mod failure;
mod flow;
mod manifest;
#[cfg(unix)]
mod metrics;
#[cfg(unix)]
mod watch;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::{Cli, Command};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match log_filter(cli.log_level, cli.log_filter.as_deref()) {
        Ok(filter) => filter,
        Err(failure) => return failure.report(),
    };
    let printer = flow::FlowPrinter {
        full_payloads: cli.full_payloads,
    };
    tracing_subscriber::registry()
        .with(printer.with_filter(filter))
        .init();
    match dispatch(cli.command, cli.full_payloads) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// `--log-filter` as given, or `--log-level` (info by default) for airssys
/// and its plugins with everything else (wasmtime, cranelift: thousands of
/// lines at debug) held at warn. Both at once is a usage error, wherever on
/// the command line each stands.
fn log_filter(level: Option<LevelFilter>, filter: Option<&str>) -> Result<EnvFilter, Failure> {
    let directives = match (level, filter) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(
                "--log-level and --log-filter both say what to log; give one",
            ));
        }
        (None, Some(filter)) => filter.to_owned(),
        (level, None) => {
            let level = level.unwrap_or(LevelFilter::INFO);
            format!(
                "{},airssys_wasm={level},airssys={level}",
                level.min(LevelFilter::WARN)
            )
        }
    };
    EnvFilter::builder()
        .parse(&directives)
        .map_err(|error| Failure::usage(format!("--log-filter {directives:?}: {error}")))
}

fn dispatch(command: Command, full_payloads: bool) -> Result<(), Failure> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|error| Failure::failed(format!("cannot start the async runtime: {error}")))?;
    let outcome = execute(&runtime, command, full_payloads);
    // Threads still blocked in a guest's host call (a read that never ends)
    // or in a compilation a stop cut short must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_millis(500));
    outcome
}

fn execute(
    runtime: &tokio::runtime::Runtime,
    command: Command,
    full_payloads: bool,
) -> Result<(), Failure> {
    match command {
        Command::Inspect { file } => commands::inspect::inspect(&file),
        Command::Wit { dir } => commands::wit::wit(dir.as_deref()),
        Command::Run {
            manifest,
            max_ms,
            control,
            watch,
            lattice,
            cache,
        } => runtime.block_on(commands::run::run(
            commands::run::RunArgs {
                manifest,
                max_ms,
                control,
                watch,
                lattice,
            },
            cache,
            full_payloads,
        )),
        Command::Compile { paths, cache_dir } => {
            runtime.block_on(commands::compile::compile(&paths, cache_dir))
        }
        #[cfg(unix)]
        Command::Send { message } => runtime.block_on(commands::client::send(message)),
        #[cfg(unix)]
        Command::Request {
            message,
            timeout_ms,
        } => runtime.block_on(commands::client::request(
            message,
            timeout_ms,
            full_payloads,
        )),
        #[cfg(unix)]
        Command::Upgrade {
            control,
            name,
            file,
        } => runtime.block_on(commands::client::upgrade(&control, name, &file)),
        #[cfg(unix)]
        Command::Add {
            control,
            name,
            file,
            grants,
            lazy,
        } => runtime.block_on(commands::client::add(&control, name, &file, grants, lazy)),
        #[cfg(unix)]
        Command::Remove {
            control,
            name,
            drain_ms,
        } => runtime.block_on(commands::client::remove(&control, name, drain_ms)),
        #[cfg(unix)]
        Command::Reload { control } => runtime.block_on(commands::client::reload(&control)),
        #[cfg(unix)]
        Command::Metrics { control } => runtime.block_on(commands::client::metrics(&control)),
        #[cfg(unix)]
        Command::Status { control } => runtime.block_on(commands::client::status(&control)),
        #[cfg(unix)]
        Command::Stop { control } => runtime.block_on(commands::client::stop(&control)),
        #[cfg(not(unix))]
        Command::Send { .. }
        | Command::Request { .. }
        | Command::Upgrade { .. }
        | Command::Add { .. }
        | Command::Remove { .. }
        | Command::Status { .. }
        | Command::Metrics { .. }
        | Command::Reload { .. }
        | Command::Stop { .. } => Err(Failure::usage(
            "the control socket needs Unix domain sockets",
        )),
    }
}

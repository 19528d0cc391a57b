//! `airssys run [MANIFEST]`: start a system, send its initial messages,
//! print the flow, and shut down when it is idle (or, with `--control` or
//! `--watch`, when told to).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airssys_wasm::{
    ComponentSpec, MessagePayload, PendingResponse, StartCounts, StartProgress, System,
    SystemBuilder,
};

#[cfg(unix)]
use futures_util::StreamExt as _;

use crate::cli::{CacheArgs, LatticeArgs};
#[cfg(unix)]
use crate::control;
use crate::failure::{Failure, chain};
use crate::flow::escape_controls;
use crate::manifest::{self, InitialMessage, Manifest, Pattern};
#[cfg(unix)]
use crate::watch::Watch;

/// How often `run` reports that a slow start is still going.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// What `airssys run` was asked to do, besides caching and printing.
pub(crate) struct RunArgs {
    pub(crate) manifest: Option<PathBuf>,
    pub(crate) max_ms: Option<u64>,
    pub(crate) control: Option<PathBuf>,
    pub(crate) watch: bool,
    pub(crate) lattice: LatticeArgs,
}

/// `airssys run`: the manifest's system, or the built-in demo without one.
pub(crate) async fn run(
    args: RunArgs,
    cache: CacheArgs,
    full_payloads: bool,
) -> Result<(), Failure> {
    let RunArgs {
        manifest,
        max_ms,
        control,
        watch,
        lattice,
    } = args;
    let mut plan = match &manifest {
        Some(path) => Plan::from_manifest(path, lattice).map_err(Failure::usage)?,
        None => Plan::demo(lattice).map_err(Failure::usage)?,
    };
    // With a control socket too: `airssys reload` applies the manifest.
    let watch = match (watch, &manifest) {
        (true, None) => return Err(Failure::usage("--watch needs a manifest")),
        (false, None) => None,
        (false, Some(_)) if control.is_none() => None,
        #[cfg(unix)]
        (watching, Some(manifest)) => Some(
            Watch::start(manifest, std::mem::take(&mut plan.files), watching)
                .map_err(Failure::failed)?,
        ),
        #[cfg(not(unix))]
        (true, Some(_)) => return Err(Failure::usage("--watch needs Unix")),
        #[cfg(not(unix))]
        (false, Some(_)) => None,
    };
    if cache.no_cache {
        plan.builder = plan.builder.no_compile_cache();
    } else if let Some(dir) = cache.cache_dir {
        plan.builder = plan.builder.compile_cache(dir);
    }
    let show = if full_payloads {
        show_whole
    } else {
        show_preview
    };
    let keep_running = KeepRunning {
        in_lattice: plan.in_lattice,
        control,
        #[cfg(unix)]
        watch,
    };
    // Without Unix there is no watch: this names the type the match above
    // left open.
    #[cfg(not(unix))]
    let _: Option<()> = watch;
    run_plan(plan, max_ms.map(Duration::from_millis), keep_running, show).await
}

/// What keeps a run going after its initial messages instead of stopping
/// at idle.
struct KeepRunning {
    /// A lattice host serves other hosts until it is stopped.
    in_lattice: bool,
    control: Option<PathBuf>,
    #[cfg(unix)]
    watch: Option<Watch>,
}

/// What `run` starts and sends.
struct Plan {
    title: String,
    builder: SystemBuilder,
    messages: Vec<InitialMessage>,
    /// Each component's name and `.wasm` file, for `--watch`.
    files: Vec<(String, PathBuf)>,
    /// It joins a lattice.
    in_lattice: bool,
}

impl Plan {
    fn from_manifest(path: &Path, lattice: LatticeArgs) -> Result<Self, String> {
        let mut manifest = Manifest::load(path)?;
        manifest::Lattice::apply_args(&mut manifest.lattice, lattice)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            title: format!(
                "{} ({} components)",
                path.display(),
                manifest.components.len()
            ),
            builder: manifest
                .checked_builder(base)
                .map_err(|error| format!("{}: {error}", path.display()))?,
            files: manifest
                .components
                .iter()
                .map(|component| (component.name.clone(), base.join(&component.wasm)))
                .collect(),
            in_lattice: manifest.lattice.is_some(),
            messages: manifest.messages,
        })
    }

    /// ping-pong, compiled into this binary: ping sends three requests that
    /// pong answers and one that times out while pong is still busy.
    fn demo(lattice: LatticeArgs) -> Result<Self, String> {
        const PING: &[u8] = include_bytes!(env!("AIRSSYS_DEMO_PING"));
        const PONG: &[u8] = include_bytes!(env!("AIRSSYS_DEMO_PONG"));
        let mut table = None;
        manifest::Lattice::apply_args(&mut table, lattice)?;
        let mut builder = SystemBuilder::new()
            .component(ComponentSpec::from_bytes("ping", PING).grant("pong"))
            .component(ComponentSpec::from_bytes("pong", PONG));
        if let Some(table) = &table {
            builder = builder.lattice(table.config(Path::new("."))?);
        }
        Ok(Self {
            title:
                "the built-in ping-pong demo (ping requests, pong answers, one request times out)"
                    .to_owned(),
            builder,
            messages: vec![InitialMessage {
                to: "ping".to_owned(),
                payload: "start".to_owned(),
                pattern: Pattern::Send,
                timeout_ms: None,
            }],
            files: Vec::new(),
            in_lattice: table.is_some(),
        })
    }
}

/// How `run` shows a payload the host got: previewed or whole.
type ShowPayload = fn(&MessagePayload) -> String;

fn show_preview(payload: &MessagePayload) -> String {
    format!("{payload:?}")
}

fn show_whole(payload: &MessagePayload) -> String {
    payload.escaped()
}

async fn run_plan(
    plan: Plan,
    max: Option<Duration>,
    keep_running: KeepRunning,
    show: ShowPayload,
) -> Result<(), Failure> {
    let KeepRunning {
        in_lattice,
        control,
        #[cfg(unix)]
        watch,
    } = keep_running;
    say!("airssys: running {}", plan.title);
    let started = Instant::now();
    // `--max-ms` counts from here, through start-up and every wait after.
    let deadline = max.map(|max| tokio::time::Instant::now() + max);
    // Open the socket first: a path in use should fail before compiling.
    #[cfg(unix)]
    let control = match control {
        Some(path) => {
            let socket = control::ControlSocket::bind(&path)
                .await
                .map_err(Failure::failed)?;
            Some((path, socket))
        }
        None => None,
    };
    #[cfg(not(unix))]
    if control.is_some() {
        return Err(Failure::usage("--control needs Unix domain sockets"));
    }

    let (mut system, counts) = tokio::select! {
        started = start(plan.builder, started) => {
            started.map_err(|error| Failure::failed(chain(&error)))?
        }
        () = until(deadline) => {
            return Err(Failure::failed("--max-ms elapsed while the system was starting"));
        }
        () = interrupted() => {
            return Err(Failure::failed("interrupted while the system was starting"));
        }
    };
    say!(
        "airssys: started {} components in {} ms ({} of {} compiled components from the compile cache)",
        system.component_ids().len(),
        started.elapsed().as_millis(),
        counts.from_cache,
        counts.compiled,
    );

    if let Some(mut inbox) = system.take_inbox() {
        tokio::spawn(async move {
            while let Some(message) = inbox.recv().await {
                say!(
                    "  host      <- {}  {}",
                    message.sender,
                    show(&message.payload)
                );
            }
        });
    }

    let mut refused = 0;
    let mut responses = Vec::new();
    for message in plan.messages {
        if let Err(error) = send_initial(&system, &message, &mut responses) {
            eprintln!(
                "airssys: initial message to {:?} refused: {error}",
                message.to
            );
            refused += 1;
        }
    }
    // Responses are printed as they come, by a task of their own, so no
    // wait for one holds up a stop.
    let printer = tokio::spawn(async move {
        for (to, response) in responses {
            match response.await {
                Ok(payload) => say!("  host      <- {to} response {}", show(&payload)),
                Err(error) => say!(
                    "  host      <- {to} failed: {}",
                    escape_controls(&error.to_string())
                ),
            }
        }
    });

    #[cfg(unix)]
    let kept = control.is_some() || watch.is_some() || in_lattice;
    #[cfg(not(unix))]
    let kept = {
        let _ = in_lattice;
        false
    };
    match kept {
        #[cfg(unix)]
        true => {
            let (reason, open_connections) =
                serve_until_stopped(&system, control, watch, deadline).await;
            say!("airssys: {reason}; shutting down");
            summarize(system, started, drain_after(reason)).await;
            // Only now is every reply decided: shutdown answered or failed
            // the requests from the shell that were still in flight.
            if let Some(open_connections) = open_connections {
                open_connections.finish().await;
            }
        }
        _ => {
            let stopped_early = tokio::select! {
                () = system.wait_idle() => None,
                () = until(deadline) => Some(MAX_MS_ELAPSED),
                () = interrupted() => Some("interrupted"),
            };
            if let Some(reason) = stopped_early {
                say!("airssys: {reason}; shutting down");
            }
            summarize(
                system,
                started,
                drain_after(stopped_early.unwrap_or("idle")),
            )
            .await;
        }
    }
    // Shutdown settled every initial request: the printer has its last.
    let _ = printer.await;
    match refused {
        0 => Ok(()),
        1 => Err(Failure::failed("1 initial message was refused")),
        n => Err(Failure::failed(format!(
            "{n} initial messages were refused"
        ))),
    }
}

/// Starts the system, saying every second how far a slow start has got;
/// returns it with its final counts.
async fn start(
    builder: SystemBuilder,
    started: Instant,
) -> Result<(System, StartCounts), airssys_wasm::SystemError> {
    let progress = StartProgress::new();
    let start = builder.host_inbox(1024).progress(progress.clone()).start();
    tokio::pin!(start);
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        tokio::select! {
            result = &mut start => return result.map(|system| (system, progress.counts())),
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

/// Takes commands from the control socket and upgrades components whose
/// files changed, one at a time, until `stop`, a signal or `--max-ms`;
/// returns why it stopped and the connections still owed a reply.
#[cfg(unix)]
async fn serve_until_stopped(
    system: &System,
    control: Option<(PathBuf, control::ControlSocket)>,
    mut watch: Option<Watch>,
    deadline: Option<tokio::time::Instant>,
) -> (&'static str, Option<control::OpenConnections>) {
    let (mut incoming, server) = match control {
        Some((path, socket)) => {
            say!(
                "airssys: listening on {path}; try `airssys request --control {path} <component> <payload>`",
                path = path.display()
            );
            let (commands, incoming) = tokio::sync::mpsc::channel(64);
            (
                Some(incoming),
                Some(tokio::spawn(
                    socket.serve(commands, system.max_payload_bytes()),
                )),
            )
        }
        None => (None, None),
    };
    if watch.as_ref().is_some_and(Watch::is_watching) {
        say!("airssys: watching the components' files; a rebuilt one is upgraded in place");
    }
    let reason = tokio::select! {
        () = async {
            let mut changing = futures_util::stream::FuturesUnordered::new();
            loop {
                tokio::select! {
                    command = next(&mut incoming) => {
                        let Some((command, reply)) = command else { return };
                        if let control::ControlCommand::Reload = command {
                            // Here, where it may change what is watched.
                            let answer = match &mut watch {
                                Some(watch) => {
                                    let said = alongside(watch.reload(system), &mut changing).await;
                                    match said.failed {
                                        false => control::ControlReply::Reloaded { changes: said.lines },
                                        true => control::ControlReply::Failed { error: said.lines.join("; ") },
                                    }
                                }
                                None => control::ControlReply::Failed {
                                    error: "this run has no manifest to reload".to_owned(),
                                },
                            };
                            let _ = reply.send(answer);
                            continue;
                        }
                        match control::execute(system, command, reply) {
                            control::Execution::Done => {}
                            control::Execution::Stop => {
                                // Changes under way get a little time to
                                // answer; past it, "shutting down" (a
                                // removal still finishes before shutdown).
                                let answered = async { while changing.next().await.is_some() {} };
                                let _ = tokio::time::timeout(CHANGES_AT_STOP, answered).await;
                                return;
                            }
                            control::Execution::Change(change) => changing.push(change),
                        }
                    }
                    Some(()) = changing.next(), if !changing.is_empty() => {}
                    changed = changes(&mut watch) => {
                        // Applied here, where no other branch cancels it.
                        if let Some(watch) = &mut watch {
                            alongside(watch.apply(system, &changed), &mut changing).await;
                        }
                    }
                }
            }
        } => "stop requested",
        () = until(deadline) => MAX_MS_ELAPSED,
        () = interrupted() => "interrupted",
    };
    // Closing the queue stops the server, which removes the socket file;
    // commands still queued get "shutting down".
    drop(incoming);
    let open_connections = match server {
        Some(server) => Some(server.await.expect("the control server does not panic")),
        None => None,
    };
    (reason, open_connections)
}

/// How long `stop` lets changes under way answer their clients.
#[cfg(unix)]
const CHANGES_AT_STOP: Duration = Duration::from_secs(5);

/// Runs `work` (which may wait for the system's changes lock) while
/// driving the changes already under way, which may hold that lock.
#[cfg(unix)]
async fn alongside<T>(
    work: impl Future<Output = T>,
    changing: &mut futures_util::stream::FuturesUnordered<
        std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>>,
    >,
) -> T {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return done,
            Some(()) = changing.next(), if !changing.is_empty() => {}
        }
    }
}

/// The next command from the control socket, if there is one; never
/// without a socket.
#[cfg(unix)]
async fn next<T>(incoming: &mut Option<tokio::sync::mpsc::Receiver<T>>) -> Option<T> {
    match incoming {
        Some(incoming) => incoming.recv().await,
        None => std::future::pending().await,
    }
}

/// The files changed since last asked; never without a watch.
#[cfg(unix)]
async fn changes(watch: &mut Option<Watch>) -> std::collections::HashSet<PathBuf> {
    match watch {
        Some(watch) => watch.next_change().await,
        None => std::future::pending().await,
    }
}

fn send_initial(
    system: &System,
    message: &InitialMessage,
    responses: &mut Vec<(String, PendingResponse)>,
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

/// Waits until `deadline`, or forever without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
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

/// How long shutdown may drain in-flight work after the run stopped for
/// `reason`: past `--max-ms` not at all, since the limit is the limit;
/// otherwise a few seconds, so requests in flight are answered.
fn drain_after(reason: &str) -> Duration {
    if reason == MAX_MS_ELAPSED {
        Duration::ZERO
    } else {
        Duration::from_secs(5)
    }
}

const MAX_MS_ELAPSED: &str = "--max-ms elapsed";

/// Shuts the system down, draining for up to `drain`, and prints what is
/// left. A second Ctrl-C or SIGTERM stops waiting for the drain.
async fn summarize(system: System, started: Instant, drain: Duration) {
    tokio::select! {
        () = shut_down(system, started, drain) => {}
        () = interrupted() => say!("airssys: interrupted again; stopping now"),
    }
}

async fn shut_down(system: System, started: Instant, drain: Duration) {
    let report = system.shutdown(drain).await;
    let stats = report.stats;
    say!(
        "airssys: done in {} ms: {} refused, {} timed out, {} late responses dropped, {} requests failed at shutdown{}",
        started.elapsed().as_millis(),
        stats.refused,
        stats.requests.timed_out,
        stats.requests.late_responses,
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

//! The control socket of `airssys run --control PATH`: other `airssys`
//! processes (`send`, `request`, `upgrade`, `add`, `remove`, `status`,
//! `stop`) and `curl --unix-socket` reach the running system through it, in
//! HTTP (the operations API, see `api.rs`). Each connection's command is
//! carried out by the task that owns the system.

use std::io;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use airssys_wasm::{ComponentSpec, Removal, RequestError, System, WasmSource};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;

use crate::api;

/// How long a stopped run waits for its clients to read their replies.
const REPLY_WRITE_LIMIT: Duration = Duration::from_secs(5);

/// How long a running system gives a client to read its reply before it
/// closes the connection (and frees its place).
const REPLY_READ_LIMIT: Duration = Duration::from_secs(30);

/// How long a client has to send its request's head once connected; one
/// that sends nothing is closed, so it cannot hold a connection forever.
const COMMAND_READ_LIMIT: Duration = Duration::from_secs(2);

/// Connections served at once. Past it the run stops accepting until one
/// closes; the kernel holds the rest in the listen queue. A connection is
/// held while its command runs (a request up to its timeout), so 64
/// requests that wait long fill it; Ctrl-C and SIGTERM still stop the run.
const MAX_CONNECTIONS: usize = 64;

/// How long to wait after `accept` fails (out of file descriptors, say)
/// before trying again, instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a client asks of the running system.
#[derive(Debug)]
pub(crate) enum ControlCommand {
    /// Fire-and-forget from the host to `to`.
    Send { to: String, payload: Vec<u8> },
    /// A request from the host to `to`; zero `timeout_ms` is the default.
    Request {
        to: String,
        payload: Vec<u8>,
        timeout_ms: u64,
    },
    /// Each component's generation and counters.
    Status,
    /// Replace component `name`'s code with the component at `wasm` (a
    /// path on this machine, as the socket is).
    Upgrade { name: String, wasm: PathBuf },
    /// Add component `name` from the component at `wasm`, which may
    /// message `grants` (`*`: every one).
    Add {
        name: String,
        wasm: PathBuf,
        grants: Vec<String>,
        lazy: bool,
    },
    /// Remove component `name`, letting it drain for `drain_ms`.
    Remove { name: String, drain_ms: u64 },
    /// The counters, in the Prometheus text format.
    Metrics,
    /// Apply the manifest as it is now (carried out by the run's loop,
    /// which holds the manifest's state).
    Reload,
    /// Shut the system down and end `airssys run`.
    Stop,
}

/// The system's answer to one [`ControlCommand`].
#[derive(Debug, Serialize, Deserialize)]
#[serde(
    tag = "status",
    rename_all = "kebab-case",
    rename_all_fields = "kebab-case"
)]
pub(crate) enum ControlReply {
    /// The message was queued for its target.
    Sent,
    /// The target's answer to a request.
    Response { payload: Vec<u8> },
    /// Refused before anything was queued (unknown target, no grant, full
    /// mailbox, oversized payload, shutting down).
    Refused { error: String },
    /// The request was accepted but no answer came in time.
    TimedOut { error: String },
    /// The request was accepted but failed (component error, trap, stop).
    Failed { error: String },
    /// The component runs its new version.
    Upgraded { generation: u64 },
    /// The component was added and is running.
    Added,
    /// The component was removed.
    Removed {
        drained: bool,
        unhandled: u64,
        failed_requests: u64,
    },
    /// Each component and service, in the system's order.
    Status { components: Vec<StatusRow> },
    /// The counters, in the Prometheus text format.
    Metrics { text: String },
    /// The manifest was applied: what changed, a line each.
    Reloaded { changes: Vec<String> },
    /// `stop` was accepted; the system is shutting down.
    Stopping,
    /// The command line could not be read.
    BadCommand { error: String },
}

/// One component's line of `airssys status`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct StatusRow {
    pub(crate) name: String,
    pub(crate) generation: u64,
    pub(crate) upgrading: bool,
    #[serde(default)]
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) queued: usize,
    #[serde(default)]
    pub(crate) pending_requests: usize,
    pub(crate) accepted: u64,
    pub(crate) handled: u64,
    pub(crate) failed: u64,
    pub(crate) trapped: u64,
    pub(crate) callbacks: u64,
    pub(crate) callbacks_dropped: u64,
}

impl ControlReply {
    pub(crate) fn shutting_down() -> Self {
        Self::Refused {
            error: "the system is shutting down".to_owned(),
        }
    }
}

/// A command on its way to the task that owns the [`System`], with where
/// its reply goes.
pub(crate) type Envelope = (ControlCommand, oneshot::Sender<ControlReply>);

/// The listening socket; removes its file when dropped.
pub(crate) struct ControlSocket {
    path: PathBuf,
    listener: UnixListener,
    /// The socket file this run published (device, inode, change time), so
    /// it never removes one another run put at the same path since.
    identity: FileIdentity,
}

impl ControlSocket {
    /// Binds `path`. A file left behind by a run that died is replaced; a
    /// socket another run still answers on is not.
    pub(crate) async fn bind(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        if let Ok(metadata) = std::fs::symlink_metadata(path) {
            if !metadata.file_type().is_socket() {
                return Err(format!(
                    "cannot open control socket {shown}: a file that is not a socket is there"
                ));
            }
            match UnixStream::connect(path).await {
                Ok(_) => {
                    return Err(format!(
                        "control socket {shown} is in use by another airssys run"
                    ));
                }
                // Only a refused connection proves nobody listens; anything
                // else (busy, no permission) may be a live run.
                Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(error) => {
                    return Err(format!(
                        "cannot tell whether control socket {shown} is in use ({error}); \
                         remove it if no airssys run listens there"
                    ));
                }
            }
            std::fs::remove_file(path)
                .map_err(|error| format!("cannot replace stale control socket {shown}: {error}"))?;
        }
        // Whoever can connect speaks as the host, so only this user may: the
        // socket is bound under a private name and made owner-only before it
        // appears at `path`, so no one can connect in between.
        let mut private = path.as_os_str().to_owned();
        private.push(format!(".{}", std::process::id()));
        let private = PathBuf::from(private);
        let listener = UnixListener::bind(&private)
            .map_err(|error| format!("cannot open control socket {shown}: {error}"))?;
        // A hard link, unlike a rename, never replaces a socket another run
        // created at `path` meanwhile.
        let published = std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600))
            .and_then(|()| std::fs::hard_link(&private, path));
        let _ = std::fs::remove_file(&private);
        if let Err(error) = published {
            return Err(format!("cannot open control socket {shown}: {error}"));
        }
        let identity = FileIdentity::of(path)
            .map_err(|error| format!("cannot open control socket {shown}: {error}"))?;
        Ok(Self {
            path: path.to_owned(),
            listener,
            identity,
        })
    }

    /// Accepts connections until the receiving side of `commands` closes,
    /// forwarding each connection's command, then removes the socket file.
    /// Returns the connections still waiting for their reply.
    /// Request bodies may be `max_body` bytes long.
    pub(crate) async fn serve(
        self,
        commands: mpsc::Sender<Envelope>,
        max_body: usize,
    ) -> OpenConnections {
        let mut connections = JoinSet::new();
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let (slot, stream) = tokio::select! {
                accepted = accept(&self.listener, &slots) => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!("control socket: accept failed: {error}; retrying shortly");
                        tokio::select! {
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                            () = commands.closed() => break,
                        }
                    }
                },
                () = commands.closed() => break,
            };
            // Finished connections are reaped as we go, so the set holds only
            // the open ones.
            while connections.try_join_next().is_some() {}
            let sender = commands.clone();
            connections.spawn(async move {
                handle_connection(stream, sender, max_body).await;
                drop(slot);
            });
        }
        OpenConnections(connections)
    }
}

/// What tells one file from another at the same path: an inode number can
/// be reused once its file is deleted, its change time as well not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
    changed: (i64, i64),
}

impl FileIdentity {
    fn of(path: &Path) -> io::Result<Self> {
        let metadata = std::fs::symlink_metadata(path)?;
        Ok(Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
        })
    }
}

/// Connections accepted before the socket closed whose reply may not be
/// written yet: a request from the shell can still be in flight.
pub(crate) struct OpenConnections(JoinSet<()>);

impl OpenConnections {
    /// Waits until every client has its reply. Call it after the system has
    /// shut down, when every reply is decided: shutdown answers or fails
    /// the requests still in flight. Past the limit, says how many
    /// connections it closed unanswered (a client that never sent its
    /// command or stopped reading).
    pub(crate) async fn finish(mut self) {
        let all_written = async { while self.0.join_next().await.is_some() {} };
        if tokio::time::timeout(REPLY_WRITE_LIMIT, all_written)
            .await
            .is_err()
        {
            let open = self.0.len();
            eprintln!(
                "airssys: closed {open} control connection{} still open after {} s: \
                 a client did not send its command or did not read its reply",
                if open == 1 { "" } else { "s" },
                REPLY_WRITE_LIMIT.as_secs()
            );
        }
    }
}

impl Drop for ControlSocket {
    /// Removes the socket file, if it is still the one this run published.
    fn drop(&mut self) {
        if FileIdentity::of(&self.path).is_ok_and(|now| now == self.identity) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Waits for a free connection slot, then for a connection to fill it.
async fn accept(
    listener: &UnixListener,
    slots: &Arc<Semaphore>,
) -> io::Result<(OwnedSemaphorePermit, UnixStream)> {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the slots are never closed");
    let (stream, _) = listener.accept().await?;
    Ok((slot, stream))
}

/// Serves one HTTP request (no keep-alive). Once its reply is decided,
/// the client has a bounded time to read it.
async fn handle_connection(stream: UnixStream, commands: mpsc::Sender<Envelope>, max_body: usize) {
    let answered = Arc::new(Notify::new());
    let service = {
        let answered = Arc::clone(&answered);
        service_fn(move |request| {
            let (commands, answered) = (commands.clone(), Arc::clone(&answered));
            async move {
                let response = api::answer(request, commands, max_body).await;
                answered.notify_one();
                response
            }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(COMMAND_READ_LIMIT)
        .keep_alive(false)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = &mut connection => return,
        () = answered.notified() => {}
    }
    // The client may have gone away, or not read: nothing is lost but its
    // copy of the reply, which the flow log also shows, and its connection
    // is not held for ever.
    let _ = tokio::time::timeout(REPLY_READ_LIMIT, connection).await;
}

/// What [`execute`] left to do.
pub(crate) enum Execution<'a> {
    /// The command is done (or its answer is awaited on a task of its own).
    Done,
    /// It was `stop`.
    Stop,
    /// A change to the system (add, remove, upgrade), to be driven to its
    /// end beside other commands: one waits for a call in flight or a
    /// drain, which must not hold up `status` or `stop`. (A reload or a
    /// `--watch` pass is carried out by the loop itself, which reads no
    /// command meanwhile.)
    Change(Pin<Box<dyn Future<Output = ()> + Send + 'a>>),
}

/// Carries out `command` on `system`. A request's answer is awaited in its
/// own task so one slow component does not hold up other clients; a change
/// is returned to be driven beside other commands (the system makes changes
/// one at a time).
pub(crate) fn execute(
    system: &System,
    command: ControlCommand,
    reply: oneshot::Sender<ControlReply>,
) -> Execution<'_> {
    match command {
        ControlCommand::Send { to, payload } => {
            let _ = reply.send(match system.send(&to, payload) {
                Ok(()) => ControlReply::Sent,
                Err(error) => ControlReply::Refused {
                    error: error.to_string(),
                },
            });
        }
        ControlCommand::Request {
            to,
            payload,
            timeout_ms,
        } => match system.request(&to, payload, Duration::from_millis(timeout_ms)) {
            Ok(pending) => {
                tokio::spawn(async move {
                    let _ = reply.send(match pending.await {
                        Ok(payload) => ControlReply::Response {
                            payload: payload.into_bytes(),
                        },
                        Err(error @ RequestError::TimedOut { .. }) => ControlReply::TimedOut {
                            error: error.to_string(),
                        },
                        Err(error) => ControlReply::Failed {
                            error: error.to_string(),
                        },
                    });
                });
            }
            Err(error) => {
                let _ = reply.send(ControlReply::Refused {
                    error: error.to_string(),
                });
            }
        },
        ControlCommand::Status => {
            let components = system
                .status()
                .into_iter()
                .map(|component| StatusRow {
                    name: component.name.to_string(),
                    generation: component.generation,
                    upgrading: component.upgrading,
                    state: component.state.to_string(),
                    queued: component.queued,
                    pending_requests: component.pending_requests,
                    accepted: component.stats.accepted,
                    handled: component.stats.handled,
                    failed: component.stats.failed,
                    trapped: component.stats.trapped,
                    callbacks: component.stats.callbacks,
                    callbacks_dropped: component.stats.callbacks_dropped,
                })
                .collect();
            let _ = reply.send(ControlReply::Status { components });
        }
        ControlCommand::Upgrade { name, wasm } => {
            return Execution::Change(Box::pin(async move {
                let reply_text = match system.upgrade(&name, WasmSource::File(wasm)).await {
                    Ok(upgrade) => {
                        say!(
                            "airssys: {name} upgraded to generation {}",
                            upgrade.generation
                        );
                        ControlReply::Upgraded {
                            generation: upgrade.generation,
                        }
                    }
                    Err(error) => refused_change(&error),
                };
                let _ = reply.send(reply_text);
            }));
        }
        ControlCommand::Add {
            name,
            wasm,
            grants,
            lazy,
        } => {
            let mut spec = ComponentSpec::from_file(&name, wasm);
            if lazy {
                // Without it, the system's default holds.
                spec = spec.lazy(true);
            }
            for target in grants {
                spec = match target.as_str() {
                    "*" => spec.grant_any(),
                    _ => spec.grant(target),
                };
            }
            return Execution::Change(Box::pin(async move {
                let reply_text = match system.add(spec).await {
                    Ok(()) => {
                        say!("airssys: {name} added");
                        ControlReply::Added
                    }
                    Err(error) => refused_change(&error),
                };
                let _ = reply.send(reply_text);
            }));
        }
        ControlCommand::Remove { name, drain_ms } => {
            return Execution::Change(Box::pin(async move {
                let drain = Duration::from_millis(drain_ms);
                let reply_text = match system.remove(&name, drain).await {
                    Ok(removal) => {
                        say!("airssys: {name} {}", removal_text(&removal));
                        ControlReply::Removed {
                            drained: removal.drained,
                            unhandled: removal.unhandled,
                            failed_requests: removal.failed_requests,
                        }
                    }
                    Err(error) => refused_change(&error),
                };
                let _ = reply.send(reply_text);
            }));
        }
        ControlCommand::Reload => {
            let _ = reply.send(ControlReply::BadCommand {
                error: "reload is carried out by the run's loop".to_owned(),
            });
        }
        ControlCommand::Metrics => {
            let _ = reply.send(ControlReply::Metrics {
                text: crate::metrics::encode(system),
            });
        }
        ControlCommand::Stop => {
            let _ = reply.send(ControlReply::Stopping);
            return Execution::Stop;
        }
    }
    Execution::Done
}

fn refused_change(error: &airssys_wasm::ChangeError) -> ControlReply {
    ControlReply::Failed {
        error: crate::failure::chain(error),
    }
}

/// A removal in a few words, for the run's output and the client's.
pub(crate) fn removal_text(removal: &Removal) -> String {
    match removal.drained {
        true => "removed, its queue drained".to_owned(),
        false => format!(
            "removed at its drain deadline: {} unhandled, {} requests failed",
            removal.unhandled, removal.failed_requests
        ),
    }
}

/// Why a client got no reply.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// Nothing listens at the path.
    Unreachable(String),
    /// The connection failed half-way or the reply was not understood.
    Broken(String),
}

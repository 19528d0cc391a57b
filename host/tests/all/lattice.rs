//! Hosts of one lattice on a real NATS server: `airssys run` processes and
//! the test's own host, messaging each other's components by name.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use airssys_test_fixtures::{CLIENT, ECHO, ECHO_PATH, ECHO_V2};
use airssys_wasm::{
    ComponentSpec, HostInbox, LatticeConfig, LatticeError, MessagingError, NatsAuth, RequestError,
    System, SystemBuilder, SystemError,
};

use futures_util::StreamExt as _;

use crate::common::nats::NatsServer;
use crate::common::system::{answer, command, id_after, next_report, outcome};
use crate::stress::Ledger;

/// Heartbeats this often: a host is taken as lost after missing three, so
/// long enough that a loaded machine never misses them by accident.
const HEARTBEAT_MS: u64 = 1000;

/// The heartbeat of a host the test kills: its loss is known after three.
const KILLED_HEARTBEAT_MS: u64 = 200;

/// Long enough that a request in a test only times out when something is
/// wrong.
const PATIENCE: Duration = Duration::from_secs(60);

/// An `airssys run` process, a host of the lattice; killed when dropped.
struct HostProcess {
    child: Option<Child>,
    _dir: tempfile::TempDir,
    log: PathBuf,
}

impl HostProcess {
    /// Runs `components` (manifest text) as a host of `lattice`.
    fn start(nats: &NatsServer, lattice: &str, components: &str) -> Self {
        Self::start_with(nats, lattice, "", components)
    }

    /// Like [`start`](Self::start), with `more` lines in `[lattice]`.
    fn start_with(nats: &NatsServer, lattice: &str, more: &str, components: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("host.toml");
        std::fs::write(
            &manifest,
            format!(
                "[lattice]\nname = {lattice:?}\nnats = {:?}\n{}\n{components}",
                nats.url(),
                if more.contains("heartbeat-ms") {
                    more.to_owned()
                } else {
                    format!("heartbeat-ms = {HEARTBEAT_MS}\n{more}")
                }
            ),
        )
        .unwrap();
        let log = dir.path().join("run.log");
        let child = Command::new(env!("CARGO_BIN_EXE_airssys"))
            .arg("run")
            .arg(&manifest)
            .arg("--control")
            .arg(dir.path().join("control.sock"))
            .stdout(File::create(&log).unwrap())
            .stderr(File::create(dir.path().join("err.log")).unwrap())
            .stdin(Stdio::null())
            .spawn()
            .expect("airssys runs");
        let mut host = Self {
            child: Some(child),
            _dir: dir,
            log,
        };
        host.wait_for("airssys: started");
        host
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs an `airssys` command against this host's control socket and
    /// returns what it printed.
    fn call(&self, args: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_airssys"))
            .args(args)
            .env("AIRSSYS_CONTROL", self.log.with_file_name("control.sock"))
            .output()
            .expect("airssys runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Readiness, not timing: polls the log for `line`, failing if the
    /// process exits first or nothing comes for far longer than any machine
    /// needs.
    fn wait_for(&mut self, line: &str) {
        let give_up = Instant::now() + Duration::from_secs(120);
        while !self.log().contains(line) {
            let child = self.child.as_mut().expect("running");
            if let Some(status) = child.try_wait().unwrap() {
                let errors =
                    std::fs::read_to_string(self.log.with_file_name("err.log")).unwrap_or_default();
                panic!(
                    "airssys run exited ({status}) before {line:?}:\n{}{errors}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < give_up,
                "no {line:?}; the host printed:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many messages starting with `what` echo reported delivered to
    /// this host's inbox.
    fn delivered(&self, what: &str) -> usize {
        let report = format!("<- echo  \"delivered {what}");
        self.log()
            .lines()
            .filter(|line| line.contains(&report))
            .count()
    }

    /// SIGKILL: no farewell, no flush.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Manifest text for one component from `wasm`, with `extra` lines.
fn component(name: &str, wasm: &str, extra: &str) -> String {
    format!("[[component]]\nname = {name:?}\nwasm = {wasm:?}\n{extra}\n")
}

fn lattice(nats: &NatsServer, name: &str) -> LatticeConfig {
    LatticeConfig::new(name, nats.url()).heartbeat(Duration::from_millis(HEARTBEAT_MS))
}

/// A host of `config`'s lattice, running `echo` from the wasm given.
async fn host_of(config: LatticeConfig, echo: &[&'static [u8]]) -> Result<System, SystemError> {
    let mut builder = SystemBuilder::new().lattice(config);
    if let Some(wasm) = echo.first() {
        builder = builder.component(ComponentSpec::from_bytes("echo", *wasm));
    }
    builder.start().await
}

/// The test's own host: a `client` granted `targets` and the host inbox.
async fn client_host(config: LatticeConfig, targets: &[&str]) -> (System, HostInbox) {
    let mut client = ComponentSpec::from_bytes("client", CLIENT).grant("host");
    for target in targets {
        client = client.grant(*target);
    }
    let mut system = SystemBuilder::new()
        .host_inbox(65_536)
        .component(client.max_pending_requests(10_000))
        .lattice(config)
        .start()
        .await
        .expect("joins the lattice");
    let inbox = system.take_inbox().unwrap();
    (system, inbox)
}

/// Manifest lines that let echo see `signal` as `/signal` (for its `wait`
/// command) and wait as long as it takes.
fn waits_on(signal: &Path) -> String {
    format!(
        "time-budget-ms = 3600000\n[component.wasi]\ndirs = [{{ host = {:?}, guest = \"/signal\" }}]\n",
        signal.to_str().unwrap()
    )
}

/// The echo command that answers once [`release`] ran.
const WAIT: &str = "wait /signal/go";

fn release(signal: &Path) {
    std::fs::write(signal.join("go"), b"").unwrap();
}

/// Fire-and-forget and request-response reach components on two other
/// hosts, from the host application and from a guest; errors a local send
/// gets come back the same: unknown target, payload past the receiving
/// host's limit, a full mailbox there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_request_across_hosts() {
    let nats = NatsServer::start();
    let signal = tempfile::tempdir().unwrap();
    let mut a = HostProcess::start(
        &nats,
        "shop",
        &format!(
            "[limits]\nmax-payload-bytes = 1024\n{}",
            component(
                "echo",
                ECHO_PATH,
                &format!(
                    "grants = [\"host\"]\nmailbox-capacity = 1\n{}",
                    waits_on(signal.path())
                )
            )
        ),
    );
    let _c = HostProcess::start(&nats, "shop", &component("echo2", ECHO_PATH, ""));
    let (system, mut inbox) = client_host(lattice(&nats, "shop"), &["echo", "echo2"]).await;

    // The host application's request, answered on host A.
    assert_eq!(answer(&system, "echo", "hello").await.as_bytes(), b"hello");
    // A guest's request to host C, answered in its callback.
    let requested = command(&system, "client", "request echo2 60000 hi").await;
    let id = id_after(&requested, "requested").to_owned();
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!("callback {id} ok hi")
    );
    // A guest's fire-and-forget message, delivered on host A.
    assert_eq!(
        command(&system, "client", "send echo over-there").await,
        "sent"
    );
    a.wait_for("delivered client over-there");
    // Host A's metrics see the lattice: the two other hosts.
    let metrics = a.call(&["metrics"]);
    assert!(metrics.contains("airssys_lattice_peers 2"), "{metrics}");
    assert!(
        metrics.contains("airssys_lattice_refused_total 0"),
        "{metrics}"
    );

    // Refused at once, as locally: a name no host runs; a payload past
    // the limit of the host that runs the target.
    assert_eq!(
        system.request("nobody", "x", PATIENCE).err(),
        Some(MessagingError::TargetNotFound("nobody".into()))
    );
    assert_eq!(
        system.send("echo", vec![0u8; 2000]),
        Err(MessagingError::PayloadTooLarge {
            size: 2000,
            limit: 1024
        })
    );

    // A full mailbox on host A: its one place is taken while echo is busy.
    let busy = system.request("echo", WAIT, PATIENCE).unwrap();
    a.wait_for("delivered host wait");
    let queued = system.request("echo", "queued", PATIENCE).unwrap();
    let refused = outcome(&system, "echo", "one too many").await;
    assert_eq!(
        refused,
        Err(RequestError::Refused {
            target: "echo".into(),
            error: MessagingError::QueueFull {
                target: "echo".into(),
                capacity: 1
            },
        })
    );
    release(signal.path());
    assert_eq!(busy.await.unwrap().as_bytes(), b"v1");
    assert_eq!(queued.await.unwrap().as_bytes(), b"queued");

    let report = system.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.stats.requests.pending, 0);
}

/// Two hosts running the same wasm under one name are replicas: requests
/// to the name are shared between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_the_load() {
    let nats = NatsServer::start();
    let echo = component("echo", ECHO_PATH, "grants = [\"host\"]");
    let a = HostProcess::start(&nats, "shop", &echo);
    let c = HostProcess::start(&nats, "shop", &echo);
    let (system, _inbox) = client_host(lattice(&nats, "shop"), &["echo"]).await;

    const REQUESTS: usize = 100;
    for n in 0..REQUESTS {
        let payload = format!("r{n}");
        assert_eq!(
            answer(&system, "echo", payload.as_str()).await.as_bytes(),
            payload.as_bytes()
        );
    }
    let (on_a, on_c) = (a.delivered("host r"), c.delivered("host r"));
    assert_eq!(on_a + on_c, REQUESTS, "each request handled once");
    assert!(
        on_a > 0 && on_c > 0,
        "both replicas took a share: {on_a} and {on_c}"
    );
}

/// A name another host runs from different wasm is refused at join, with
/// an error that says so; the same wasm joins as a replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_from_different_wasm_is_refused() {
    let nats = NatsServer::start();
    let _a = HostProcess::start(&nats, "shop", &component("echo", ECHO_PATH, ""));

    let Err(refused) = host_of(lattice(&nats, "shop"), &[ECHO_V2]).await else {
        panic!("a taken name joins");
    };
    assert!(
        matches!(&refused, SystemError::Lattice(LatticeError::NameTaken { name, .. }) if name == "echo"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("already runs on host"),
        "{refused}"
    );

    let replica = host_of(lattice(&nats, "shop"), &[ECHO])
        .await
        .expect("the same wasm joins as a replica");
    replica.shutdown(Duration::from_secs(5)).await;
}

/// A host killed (SIGKILL) while it holds requests: each requester gets
/// exactly one error callback, without waiting for its timeout, and the
/// name is then unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_host_fails_each_of_its_requests_once() {
    let nats = NatsServer::start();
    let signal = tempfile::tempdir().unwrap();
    let mut a = HostProcess::start_with(
        &nats,
        "shop",
        &format!("heartbeat-ms = {KILLED_HEARTBEAT_MS}"),
        &component(
            "echo",
            ECHO_PATH,
            &format!("grants = [\"host\"]\n{}", waits_on(signal.path())),
        ),
    );
    let (system, mut inbox) = client_host(lattice(&nats, "shop"), &["echo"]).await;

    const REQUESTS: usize = 5;
    let mut ids = Vec::new();
    for _ in 0..REQUESTS {
        let requested = command(&system, "client", &format!("request echo 600000 {WAIT}")).await;
        ids.push(id_after(&requested, "requested").to_owned());
    }
    let from_host = system
        .request("echo", WAIT, Duration::from_secs(600))
        .unwrap();
    // Busy with the first; the others queued behind it.
    a.wait_for("delivered client wait");
    a.kill();

    let mut failed = std::collections::HashSet::new();
    for _ in 0..REQUESTS {
        let (_, report) = next_report(&mut inbox).await;
        let (id, why) = report
            .strip_prefix("callback ")
            .and_then(|rest| rest.split_once(" err "))
            .unwrap_or_else(|| panic!("an error callback, got {report:?}"));
        assert!(why.contains("was lost before it answered"), "{why}");
        assert!(failed.insert(id.to_owned()), "one callback per request");
    }
    assert_eq!(failed, ids.into_iter().collect());
    assert!(matches!(
        from_host.await,
        Err(RequestError::HostLost { .. })
    ));
    assert!(inbox.try_recv().is_none(), "no second callback");
    let stats = system.stats();
    assert_eq!(stats.requests.pending, 0);
    assert_eq!(
        system.request("echo", "x", PATIENCE).err(),
        Some(MessagingError::TargetNotFound("echo".into())),
        "the lost host's names are forgotten"
    );
}

/// A name some host announced but nobody serves any more gets "no
/// responders" at once, not a timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_responders_is_an_immediate_error() {
    let nats = NatsServer::start();
    let (system, _inbox) = client_host(lattice(&nats, "shop"), &[]).await;
    // A host that announces "ghost" but never subscribes to it.
    let rogue = async_nats::connect(nats.url()).await.unwrap();
    let announcement = serde_json::json!({
        "host": "ghost-host",
        "components": [{"name": "ghost", "digest": "00", "grants": [], "grant_any": false}],
        "max_payload_bytes": 1024,
    });
    let mut asked = 0;
    let result = loop {
        rogue
            .publish("airssys.shop.hosts", announcement.to_string().into())
            .await
            .unwrap();
        rogue.flush().await.unwrap();
        match system.request("ghost", "boo", Duration::from_secs(600)) {
            Ok(pending) => break pending.await,
            // Not heard yet: announce again.
            Err(MessagingError::TargetNotFound(_)) if asked < 1000 => {
                asked += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(refused) => panic!("refused: {refused}"),
        }
    };
    assert_eq!(
        result,
        Err(RequestError::NoResponders {
            target: "ghost".into()
        })
    );
}

/// The NATS server restarted: the requests out at that moment fail once
/// each; the hosts reconnect, and traffic resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_resumes_after_the_server_restarts() {
    let mut nats = NatsServer::start();
    let signal = tempfile::tempdir().unwrap();
    let mut a = HostProcess::start(
        &nats,
        "shop",
        &component(
            "echo",
            ECHO_PATH,
            &format!("grants = [\"host\"]\n{}", waits_on(signal.path())),
        ),
    );
    let (system, _inbox) = client_host(lattice(&nats, "shop"), &["echo"]).await;
    let in_flight = system
        .request("echo", WAIT, Duration::from_secs(600))
        .unwrap();
    a.wait_for("delivered host wait");
    nats.restart();
    assert!(
        matches!(
            in_flight.await,
            Err(RequestError::Disconnected { .. } | RequestError::HostLost { .. })
        ),
        "the request out at the restart fails"
    );
    release(signal.path());

    // Reconnected (async-nats retries), announced again: answered.
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        match system.request("echo", "again", Duration::from_secs(5)) {
            Ok(pending) => match pending.await {
                Ok(answer) => {
                    assert_eq!(answer.as_bytes(), b"again");
                    break;
                }
                Err(error) => assert!(Instant::now() < give_up, "still failing: {error}"),
            },
            Err(refused) => assert!(Instant::now() < give_up, "still refused: {refused}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A paused server (SIGSTOP: a partition, as its clients see it) looks
/// like a slow target: the request times out, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_behaves_like_a_timeout() {
    let nats = NatsServer::start();
    let _a = HostProcess::start(&nats, "shop", &component("echo", ECHO_PATH, ""));
    let (system, _inbox) = client_host(
        // Heartbeats slower than the request's timeout, so the silence is
        // not taken for a lost host first.
        LatticeConfig::new("shop", nats.url()).heartbeat(Duration::from_secs(5)),
        &["echo"],
    )
    .await;
    assert_eq!(
        answer(&system, "echo", "before").await.as_bytes(),
        b"before"
    );
    nats.pause();
    let cut_off = outcome_within(&system, "during", Duration::from_millis(300)).await;
    nats.resume();
    assert_eq!(
        cut_off,
        Err(RequestError::TimedOut {
            target: "echo".into(),
            timeout_ms: 300
        })
    );
    assert_eq!(answer(&system, "echo", "after").await.as_bytes(), b"after");
}

async fn outcome_within(
    system: &System,
    payload: &str,
    timeout: Duration,
) -> Result<airssys_wasm::MessagePayload, RequestError> {
    system.request("echo", payload, timeout).unwrap().await
}

/// Only members reach a lattice's components: a client that forges a
/// host's headers is refused by the receiving host; a host without the
/// lattice's secret sees none of its components; nor does a host of
/// another lattice on the same server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_refused() {
    let nats = NatsServer::start();
    let mut a = HostProcess::start_with(
        &nats,
        "shop",
        "secret = \"s3cret\"",
        &component("echo", ECHO_PATH, "grants = [\"host\"]"),
    );

    // A raw NATS client posing as a host of the lattice, without the
    // secret: dropped unanswered (an answer would be signed for it).
    let rogue = async_nats::connect(nats.url()).await.unwrap();
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Airssys-Host", "forged");
    headers.insert("Airssys-From", "client");
    headers.insert("Airssys-Kind", "request");
    let unanswered = rogue
        .send_request(
            "airssys.shop.c.echo",
            async_nats::Request::new()
                .headers(headers)
                .payload("steal".into())
                .timeout(Some(Duration::from_millis(300))),
        )
        .await;
    assert!(unanswered.is_err(), "a stranger gets no answer");
    a.wait_for("dropped a message that is not a lattice member's");
    assert_eq!(a.delivered(""), 0, "nothing was delivered");

    // The wrong secret: A's announcements do not check, so echo is unknown.
    let (wrong, _) = client_host(lattice(&nats, "shop").secret("guess"), &["echo"]).await;
    assert_eq!(
        wrong.request("echo", "x", PATIENCE).err(),
        Some(MessagingError::TargetNotFound("echo".into()))
    );
    // Another lattice on the same server sees nothing of this one.
    let (other, _) = client_host(lattice(&nats, "other").secret("s3cret"), &["echo"]).await;
    assert_eq!(
        other.request("echo", "x", PATIENCE).err(),
        Some(MessagingError::TargetNotFound("echo".into()))
    );
    // The secret: answered.
    let (member, _) = client_host(lattice(&nats, "shop").secret("s3cret"), &["echo"]).await;
    assert_eq!(answer(&member, "echo", "mine").await.as_bytes(), b"mine");
}

/// A server that asks for a password: the right one joins, a wrong one is
/// refused with an error naming the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_checked_by_the_server() {
    let nats = NatsServer::start_with(&["--user", "host", "--pass", "p4ss"]);
    let Err(wrong) = host_of(
        lattice(&nats, "shop").auth(NatsAuth::UserPassword {
            user: "host".into(),
            password: "nope".into(),
        }),
        &[],
    )
    .await
    else {
        panic!("a wrong password joins");
    };
    assert!(
        matches!(&wrong, SystemError::Lattice(LatticeError::Connect { url, .. }) if *url == nats.url()),
        "{wrong}"
    );
    let right = host_of(
        lattice(&nats, "shop").auth(NatsAuth::UserPassword {
            user: "host".into(),
            password: "p4ss".into(),
        }),
        &[],
    )
    .await
    .expect("joins");
    right.shutdown(Duration::from_secs(5)).await;
}

/// The exactly-once storm across hosts: clients on this host, responders on
/// two others; random timeouts, cancels, errors and panics. Every accepted
/// request has exactly one callback or cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cross_host_request_has_exactly_one_outcome() {
    let nats = NatsServer::start();
    let responder = |name: &str| component(name, ECHO_PATH, "mailbox-capacity = 4096");
    let _a = HostProcess::start(
        &nats,
        "shop",
        &format!("{}{}", responder("echo0"), responder("echo1")),
    );
    let _c = HostProcess::start(
        &nats,
        "shop",
        &format!("{}{}", responder("echo2"), responder("echo3")),
    );
    let (system, mut inbox) = client_host(
        lattice(&nats, "shop"),
        &["echo0", "echo1", "echo2", "echo3"],
    )
    .await;

    let storm = command(&system, "client", "storm echo0,echo1,echo2,echo3 1000 11").await;
    assert!(
        storm.ends_with(" refused 0"),
        "every request was accepted: {storm}"
    );
    let mut ledger = Ledger::default();
    // Every outcome comes: answered, failed or timed out (at most 40 ms).
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        ledger.drain(&mut inbox);
        if ledger.accepted.len() == ledger.outcomes.len() + ledger.cancelled.len() {
            break;
        }
        assert!(Instant::now() < give_up, "outcomes missing: {ledger:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    system.wait_idle().await;
    ledger.drain(&mut inbox);
    ledger.check();
    assert!(ledger.ok > 0 && ledger.err > 0, "{ledger:?}");
    let stats = system.stats().requests;
    assert_eq!(stats.pending, 0);
}

/// The README's lattice example runs as written: ping on one host, pong on
/// another, the answers in ping's callbacks.
#[test]
fn the_lattice_example_runs() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/lattice/run.sh");
    let output = Command::new("bash")
        .arg(script)
        .env("AIRSSYS", env!("CARGO_BIN_EXE_airssys"))
        .env("PING_WASM", airssys_test_fixtures::PING_PATH)
        .env("PONG_WASM", airssys_test_fixtures::PONG_PATH)
        .output()
        .expect("bash runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "answered \"pong 1\"",
        "answered \"pong 3\"",
        "timed out after 100 ms",
    ] {
        assert!(printed.contains(line), "no {line:?} in:\n{printed}");
    }
}

/// The locked-down server of docs/lattice.md, without TLS: a lattice per
/// NATS account, each host allowed only its lattice's subjects. A host in
/// another account sees nothing of the lattice, even under its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_keep_lattices_apart() {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        r#"
accounts {
  SHOP: { users: [ { user: shop-host, password: shop-pass,
          permissions: { publish: "airssys.shop.>", subscribe: "airssys.shop.>" } } ] }
  OTHER: { users: [ { user: other-host, password: other-pass,
          permissions: { publish: "airssys.shop.>", subscribe: "airssys.shop.>" } } ] }
}
"#,
    )
    .unwrap();
    let nats = NatsServer::start_with(&["-c", config.path().to_str().unwrap()]);
    let login = |user: &str, password: &str| {
        lattice(&nats, "shop").auth(NatsAuth::UserPassword {
            user: user.into(),
            password: password.into(),
        })
    };
    let responder = host_of(login("shop-host", "shop-pass"), &[ECHO])
        .await
        .expect("joins");
    let (member, _) = client_host(login("shop-host", "shop-pass"), &["echo"]).await;
    assert_eq!(answer(&member, "echo", "in").await.as_bytes(), b"in");
    let (outsider, _) = client_host(login("other-host", "other-pass"), &["echo"]).await;
    assert_eq!(
        outsider.request("echo", "x", PATIENCE).err(),
        Some(MessagingError::TargetNotFound("echo".into())),
        "another account shares no subjects"
    );
    responder.shutdown(Duration::from_secs(5)).await;
}

/// A message for a component this host runs never touches NATS, lattice
/// or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_messages_never_touch_nats() {
    let nats = NatsServer::start();
    let watcher = async_nats::connect(nats.url()).await.unwrap();
    let mut seen = watcher.subscribe("airssys.shop.c.>").await.unwrap();
    watcher.flush().await.unwrap();
    let mut system = SystemBuilder::new()
        .host_inbox(64)
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("echo")
                .grant("host"),
        )
        .lattice(lattice(&nats, "shop"))
        .start()
        .await
        .unwrap();
    let mut inbox = system.take_inbox().unwrap();
    assert_eq!(answer(&system, "echo", "here").await.as_bytes(), b"here");
    let requested = command(&system, "client", "request echo 60000 near").await;
    let id = id_after(&requested, "requested").to_owned();
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!("callback {id} ok near")
    );
    system.send("echo", "also here").unwrap();
    system.wait_idle().await;
    // What was published for components is with the watcher by now.
    watcher.flush().await.unwrap();
    let leaked = tokio::time::timeout(Duration::from_millis(200), seen.next()).await;
    assert!(
        leaked.is_err(),
        "a local message went over NATS: {leaked:?}"
    );
}

/// An upgrade in place announces the new wasm: a host joining with it is a
/// replica, one joining with the old wasm is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_announces_the_new_wasm() {
    let nats = NatsServer::start();
    let first = host_of(lattice(&nats, "shop"), &[ECHO]).await.unwrap();
    first
        .upgrade("echo", airssys_wasm::WasmSource::Bytes(ECHO_V2.into()))
        .await
        .unwrap();
    let Err(old) = host_of(lattice(&nats, "shop"), &[ECHO]).await else {
        panic!("the old wasm joins as a replica of the upgraded one");
    };
    assert!(
        matches!(old, SystemError::Lattice(LatticeError::NameTaken { .. })),
        "{old}"
    );
    let replica = host_of(lattice(&nats, "shop"), &[ECHO_V2])
        .await
        .expect("the new wasm joins as a replica");
    replica.shutdown(Duration::from_secs(5)).await;
    first.shutdown(Duration::from_secs(5)).await;
}

/// Certificates for a TLS test: a CA, the server's (for 127.0.0.1) and a
/// host's client certificate, as PEM files in `dir`.
fn certificates(dir: &Path) -> [PathBuf; 5] {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issue = |names: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let (server, server_key) = issue(vec!["127.0.0.1".to_owned()]);
    let (client, client_key) = issue(vec!["host".to_owned()]);
    let files = [
        ("ca.pem", ca.pem()),
        ("server.pem", server),
        ("server-key.pem", server_key),
        ("client.pem", client),
        ("client-key.pem", client_key),
    ];
    files.map(|(name, pem)| {
        let path = dir.join(name);
        std::fs::write(&path, pem).unwrap();
        path
    })
}

/// Mutual TLS: a server that verifies client certificates; hosts with the
/// CA and a client certificate join and talk; a host without its
/// certificate is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_speak_tls_to_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let [ca, server, server_key, client, client_key] = certificates(dir.path());
    let path = |path: &PathBuf| path.to_str().unwrap().to_owned();
    let nats = NatsServer::start_with(&[
        "--tlsverify",
        "--tlscert",
        &path(&server),
        "--tlskey",
        &path(&server_key),
        "--tlscacert",
        &path(&ca),
    ]);
    let url = nats.url().replace("nats://", "tls://");
    let tls = |client_cert| {
        LatticeConfig::new("shop", url.clone())
            .heartbeat(Duration::from_millis(HEARTBEAT_MS))
            .tls(airssys_wasm::NatsTls {
                ca_file: Some(ca.clone()),
                client_cert,
                required: true,
            })
    };
    let with_cert = || Some((client.clone(), client_key.clone()));
    let responder = host_of(tls(with_cert()), &[ECHO])
        .await
        .expect("joins over TLS");
    let (requester, _) = client_host(tls(with_cert()), &["echo"]).await;
    assert_eq!(
        answer(&requester, "echo", "sealed").await.as_bytes(),
        b"sealed"
    );
    let Err(refused) = host_of(tls(None), &[]).await else {
        panic!("a host without a client certificate joins");
    };
    assert!(
        matches!(refused, SystemError::Lattice(LatticeError::Connect { .. })),
        "{refused}"
    );
    responder.shutdown(Duration::from_secs(5)).await;
}

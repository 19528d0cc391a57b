//! Exactly one outcome per accepted request, under races between
//! responses, timeouts, cancels, traps and shutdown.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO, ECHO_V2};
use airssys_wasm::{
    ComponentSpec, ComponentState, ComponentStats, HostInbox, MessagingError, RequestError,
    RestartPolicy, System, SystemBuilder, WasmSource,
};

const CLIENTS: usize = 4;
const RESPONDERS: usize = 4;
const REQUESTS_PER_CLIENT: usize = 1000;

fn storm_system() -> SystemBuilder {
    storm_system_waiting_on(None)
}

/// The storm's system; given a directory, also a `waiter` echo the clients
/// may ask to `wait` for a file there.
fn storm_system_waiting_on(signal: Option<&Path>) -> SystemBuilder {
    let mut builder = SystemBuilder::new()
        .host_inbox(CLIENTS * REQUESTS_PER_CLIENT * 4)
        .restart_policy(RestartPolicy::Limited {
            max_restarts: u32::MAX,
            within: Duration::from_secs(1),
        });
    for n in 0..RESPONDERS {
        builder = builder
            .component(ComponentSpec::from_bytes(format!("echo{n}"), ECHO).mailbox_capacity(4096));
    }
    for n in 0..CLIENTS {
        let mut client = ComponentSpec::from_bytes(format!("client{n}"), CLIENT)
            .grant("host")
            .max_pending_requests(REQUESTS_PER_CLIENT);
        for m in 0..RESPONDERS {
            client = client.grant(format!("echo{m}"));
        }
        if signal.is_some() {
            client = client.grant("waiter");
        }
        builder = builder.component(client);
    }
    match signal {
        Some(signal) => builder.component(
            ComponentSpec::from_bytes("waiter", ECHO)
                .wasi_dir(signal, "/signal", true)
                .time_budget(Duration::from_secs(3600)),
        ),
        None => builder,
    }
}

/// Starts one storm per client: random targets, payloads (answers, errors,
/// panics, slow answers), random 1-40 ms timeouts and random cancels.
fn start_storms(
    system: &System,
    seed: u64,
    per_client: usize,
) -> Vec<airssys_wasm::PendingResponse> {
    start_storms_ending(system, seed, per_client, |_| "")
}

/// Like [`start_storms`], with `ending(n)` appended to client `n`'s command
/// (`" then-panic"` makes it trap once its storm is sent).
fn start_storms_ending(
    system: &System,
    seed: u64,
    per_client: usize,
    ending: impl Fn(usize) -> &'static str,
) -> Vec<airssys_wasm::PendingResponse> {
    let targets: Vec<String> = (0..RESPONDERS).map(|n| format!("echo{n}")).collect();
    (0..CLIENTS)
        .map(|n| {
            let command = format!(
                "storm {} {per_client} {}{}",
                targets.join(","),
                seed + n as u64,
                ending(n)
            );
            system
                .request(&format!("client{n}"), command, Duration::from_secs(120))
                .unwrap()
        })
        .collect()
}

/// What the inbox says happened, checked for balance: every accepted id
/// has exactly one of {callback ok, callback err, cancelled}.
#[derive(Default, Debug)]
pub(crate) struct Ledger {
    pub(crate) accepted: HashSet<String>,
    pub(crate) cancelled: HashSet<String>,
    pub(crate) ok: usize,
    pub(crate) err: usize,
    /// Errors saying the responder was removed before it answered.
    pub(crate) removed: usize,
    pub(crate) outcomes: HashSet<String>,
}

impl Ledger {
    pub(crate) fn record(&mut self, report: &str) {
        let mut words = report.splitn(3, ' ');
        let (kind, id) = (words.next().unwrap(), words.next().unwrap().to_owned());
        match kind {
            "accepted" => assert!(self.accepted.insert(id.clone()), "id {id} accepted twice"),
            "cancelled" => assert!(self.cancelled.insert(id.clone()), "id {id} cancelled twice"),
            "callback" => {
                let outcome = words.next().unwrap();
                match outcome.split(' ').next().unwrap() {
                    "ok" => self.ok += 1,
                    _ => self.err += 1,
                }
                if outcome.ends_with("was removed before it answered") {
                    self.removed += 1;
                }
                assert!(
                    self.outcomes.insert(id.clone()),
                    "id {id} got two callbacks"
                );
            }
            other => panic!("unexpected report {other}"),
        }
    }

    pub(crate) fn check(&self) {
        self.check_with_lost(0);
    }

    /// Every accepted request has exactly one fate: a callback, a cancel,
    /// or (`lost` of them) none because its requester trapped first, its
    /// request abandoned or its queued outcome dropped.
    fn check_with_lost(&self, lost: usize) {
        assert!(!self.accepted.is_empty());
        assert!(
            self.outcomes.is_disjoint(&self.cancelled),
            "a cancelled request got a callback"
        );
        assert!(self.outcomes.iter().all(|id| self.accepted.contains(id)));
        assert!(self.cancelled.iter().all(|id| self.accepted.contains(id)));
        assert_eq!(
            self.accepted.len(),
            self.outcomes.len() + self.cancelled.len() + lost,
            "accepted = callbacks + cancelled + lost with a trapped requester"
        );
    }

    pub(crate) fn drain(&mut self, inbox: &mut HostInbox) {
        while let Some(message) = inbox.try_recv() {
            self.record(&String::from_utf8(message.payload.into_bytes()).unwrap());
        }
    }
}

/// Thousands of concurrent requests with random timeouts, cancels and
/// injected traps: the outcome counts balance exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_has_exactly_one_outcome() {
    let mut system = storm_system().start().await.unwrap();
    let mut inbox = system.take_inbox().unwrap();
    let storms = start_storms(&system, 1, REQUESTS_PER_CLIENT);
    // Requests whose requester (the host) stops waiting: each outcome finds
    // nobody to take it and is counted, not lost without a trace.
    const WALKED_AWAY: u64 = 50;
    for _ in 0..WALKED_AWAY {
        drop(
            system
                .request("echo0", "spin 1", Duration::from_secs(60))
                .unwrap(),
        );
    }
    for storm in storms {
        let answer = storm.await.expect("storm ran");
        let answer = String::from_utf8(answer.into_bytes()).unwrap();
        assert!(
            answer.ends_with(" refused 0"),
            "every request was accepted: {answer}"
        );
    }
    system.wait_idle().await;

    let mut ledger = Ledger::default();
    ledger.drain(&mut inbox);
    ledger.check();
    assert!(ledger.ok > 0 && ledger.err > 0, "{ledger:?}");
    let stats = system.stats().requests;
    assert_eq!(stats.pending, 0);
    assert_eq!(stats.abandoned, 0);
    assert_eq!(stats.undeliverable, WALKED_AWAY);
}

/// The storm again, with half the requesters trapping right after sending
/// theirs: each of their requests ends once, either abandoned (still
/// pending at the trap) or with its queued outcome dropped (the fresh
/// instance never made it); none reaches the fresh instance, and the
/// counts still balance. (`supervision::fresh_instance_gets_no_callbacks_
/// for_its_predecessors_requests` pins the dropped case down on its own.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requester_traps_still_balance() {
    let mut system = storm_system().start().await.unwrap();
    let mut inbox = system.take_inbox().unwrap();
    let panics = |n: usize| n % 2 == 1;
    let storms = start_storms_ending(&system, 7, REQUESTS_PER_CLIENT, |n| {
        if panics(n) { " then-panic" } else { "" }
    });
    for (n, storm) in storms.into_iter().enumerate() {
        let ended = storm.await;
        assert_eq!(ended.is_err(), panics(n), "client{n}: {ended:?}");
    }
    system.wait_idle().await;

    let stats = system.stats();
    let dropped: u64 = (0..CLIENTS)
        .map(|n| {
            system
                .component_stats(&format!("client{n}"))
                .unwrap()
                .callbacks_dropped
        })
        .sum();
    let lost = usize::try_from(stats.requests.abandoned + dropped).unwrap();
    // Every request of a trapping client that it did not cancel was still
    // outstanding when it trapped: no callback is handled during its storm.
    assert!(lost > 0, "{stats:?}");
    let mut ledger = Ledger::default();
    ledger.drain(&mut inbox);
    ledger.check_with_lost(lost);
    assert_eq!(stats.requests.pending, 0);
}

/// The same storm cut short by a shutdown: requests still pending get the
/// shutdown error as their one callback, and the counts still balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_storm_still_balances() {
    let mut system = storm_system().start().await.unwrap();
    let mut inbox = system.take_inbox().unwrap();
    // Smaller storms, so every requester is surely still running when its
    // shutdown callbacks arrive (the guarantee is for running requesters).
    let storms = start_storms(&system, 1000, REQUESTS_PER_CLIENT / 4);
    // Mid-storm: once a request is accepted, not after a guessed delay,
    // which a loaded machine can outlast before the storm begins.
    let mut ledger = Ledger::default();
    while ledger.accepted.is_empty() {
        let report = inbox.recv().await.expect("the host inbox is open");
        ledger.record(&String::from_utf8(report.payload.into_bytes()).unwrap());
    }

    let report = system.shutdown(Duration::from_millis(20)).await;
    drop(storms);
    assert_eq!(report.undeliverable_outcomes, 0, "{report:?}");
    assert!(
        report
            .aborted
            .iter()
            .all(|id| id.as_str().starts_with("echo")),
        "{report:?}"
    );

    ledger.drain(&mut inbox);
    ledger.check();
}

/// The storm again while every component is upgraded, round after round,
/// with host requests queued behind it and each client's request to a
/// `waiter` pending across all its upgrades: every accepted request still
/// has exactly one outcome, no callback is dropped for having been made by
/// an older version, and every host request is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_under_load_lose_nothing() {
    const ROUNDS: u64 = 5;
    const HOST_REQUESTS: usize = 2000;
    let cache = tempfile::tempdir().unwrap();
    let signal = tempfile::tempdir().unwrap();
    // Compiled ahead, so each upgrade is quick enough to land mid-storm.
    SystemBuilder::new()
        .compile_cache(cache.path())
        .component(ComponentSpec::from_bytes("v1", ECHO))
        .component(ComponentSpec::from_bytes("v2", ECHO_V2))
        .component(ComponentSpec::from_bytes("client", CLIENT))
        .precompile()
        .await
        .unwrap();
    let mut system = storm_system_waiting_on(Some(signal.path()))
        .compile_cache(cache.path())
        .start()
        .await
        .unwrap();
    let mut inbox = system.take_inbox().unwrap();
    let mut ledger = Ledger::default();
    for n in 0..CLIENTS {
        let client = format!("client{n}");
        let answer = system
            .request(
                &client,
                "request waiter 120000 wait /signal/go",
                Duration::from_secs(120),
            )
            .unwrap()
            .await
            .unwrap();
        let answer = String::from_utf8(answer.into_bytes()).unwrap();
        let id = answer.strip_prefix("requested ").expect("requested <id>");
        ledger.record(&format!("accepted {id}"));
    }
    let storms = start_storms(&system, 31, REQUESTS_PER_CLIENT);
    let host_requests: Vec<_> = (0..HOST_REQUESTS)
        .map(|i| {
            let target = format!("echo{}", i % RESPONDERS);
            let pending = system
                .request(&target, format!("host-{i}"), Duration::from_secs(120))
                .unwrap();
            (i, pending)
        })
        .collect();

    let upgrades = async {
        for round in 0..ROUNDS {
            let echo = if round % 2 == 0 { ECHO_V2 } else { ECHO };
            for n in 0..RESPONDERS {
                let source = WasmSource::Bytes(echo.into());
                system.upgrade(&format!("echo{n}"), source).await.unwrap();
            }
            for n in 0..CLIENTS {
                let source = WasmSource::Bytes(CLIENT.into());
                system.upgrade(&format!("client{n}"), source).await.unwrap();
            }
        }
        // Only now do the waiter's answers come: to clients at their last
        // generation, which never made those requests themselves.
        std::fs::write(signal.path().join("go"), "").unwrap();
    };
    let storms_end = async {
        for storm in storms {
            let answer = storm.await.expect("storm ran");
            let answer = String::from_utf8(answer.into_bytes()).unwrap();
            assert!(answer.ends_with(" refused 0"), "{answer}");
        }
    };
    let host_answers = async {
        for (i, pending) in host_requests {
            let answer = pending.await.expect("answered");
            assert_eq!(answer.as_bytes(), format!("host-{i}").as_bytes());
        }
    };
    tokio::join!(upgrades, storms_end, host_answers);
    system.wait_idle().await;

    ledger.drain(&mut inbox);
    ledger.check();
    let stats = system.stats();
    assert_eq!(stats.requests.pending, 0);
    assert_eq!(stats.requests.abandoned, 0);
    assert_eq!(stats.messages.callbacks_dropped, 0);
    assert_eq!(stats.upgrades, ROUNDS * (CLIENTS + RESPONDERS) as u64);
    for component in system.status() {
        let upgraded = component.name.as_str() != "waiter";
        let expected = if upgraded { ROUNDS + 1 } else { 1 };
        assert_eq!(component.generation, expected, "{component:?}");
    }
}

/// The storm again while one of its responders is removed and added back,
/// round after round, with drains from none to ample, and the host
/// streaming requests to it: every accepted request has exactly one
/// outcome (an answer, or `Removed` for those the drain cut off), every
/// accepted message is handled or counted as unhandled, and nothing is
/// dropped or left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_and_adding_under_load_loses_nothing() {
    const DRAINS_MS: [u64; 5] = [0, 20, 1000, 20, 0];
    const HOST_BATCH: usize = 32;
    let cache = tempfile::tempdir().unwrap();
    // Compiled ahead, so each add is quick enough to land mid-storm.
    SystemBuilder::new()
        .compile_cache(cache.path())
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(ComponentSpec::from_bytes("client", CLIENT))
        .precompile()
        .await
        .unwrap();
    let mut system = storm_system()
        .compile_cache(cache.path())
        .start()
        .await
        .unwrap();
    let mut inbox = system.take_inbox().unwrap();
    let mut ledger = Ledger::default();

    let done = std::sync::atomic::AtomicBool::new(false);
    let rounds = async {
        let (mut removals, mut storms) = (Vec::new(), Vec::new());
        for (round, drain) in (0..).zip(DRAINS_MS) {
            // A wave of storms, and the removal once echo1 is busy with it.
            storms.extend(start_storms(&system, 100 * round, REQUESTS_PER_CLIENT / 4));
            let busy = async {
                while system.component_stats("echo1").unwrap().accepted < 64 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            };
            tokio::time::timeout(Duration::from_secs(60), busy)
                .await
                .expect("echo1 got traffic");
            let removal = system
                .remove("echo1", Duration::from_millis(drain))
                .await
                .unwrap();
            removals.push(removal);
            // As in `storm_system`; the clients' grants to it stayed.
            let echo1 = ComponentSpec::from_bytes("echo1", ECHO).mailbox_capacity(4096);
            system.add(echo1).await.unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        let mut refused = 0;
        for storm in storms {
            let answer = storm.await.expect("storm ran");
            let answer = String::from_utf8(answer.into_bytes()).unwrap();
            let count = answer.rsplit(' ').next().unwrap();
            refused += count.parse::<usize>().unwrap();
        }
        (removals, refused)
    };
    let host_stream = async {
        let (mut answered, mut removed, mut refused) = (0, 0, 0);
        let mut i = 0;
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            let mut batch = Vec::new();
            let mut batch_refused = true;
            for _ in 0..HOST_BATCH {
                i += 1;
                let payload = format!("host-{i}");
                match system.request("echo1", payload.clone(), Duration::from_secs(120)) {
                    Ok(pending) => {
                        batch_refused = false;
                        batch.push((payload, pending));
                    }
                    Err(
                        MessagingError::TargetRemoved { .. } | MessagingError::TargetNotFound(_),
                    ) => {
                        refused += 1;
                    }
                    Err(other) => panic!("host request refused: {other}"),
                }
            }
            for (payload, pending) in batch {
                match pending.await {
                    Ok(answer) => {
                        assert_eq!(answer.as_bytes(), payload.as_bytes());
                        answered += 1;
                    }
                    Err(RequestError::Removed { target }) => {
                        assert_eq!(target.as_str(), "echo1");
                        removed += 1;
                    }
                    Err(other) => panic!("host request failed: {other}"),
                }
            }
            if batch_refused {
                // Removed, not yet back: wait for the next round's add.
                tokio::time::sleep(Duration::from_millis(1)).await;
            } else {
                tokio::task::yield_now().await;
            }
        }
        (answered, removed, refused)
    };
    let ((removals, _storm_refusals), (host_answered, host_removed, _host_refused)) =
        tokio::join!(rounds, host_stream);
    system.wait_idle().await;

    ledger.drain(&mut inbox);
    ledger.check();
    assert!(host_answered > 0);
    let stats = system.stats();
    assert_eq!(stats.requests.pending, 0);
    assert_eq!(stats.requests.abandoned, 0);
    assert_eq!(stats.messages.callbacks_dropped, 0);
    assert_eq!((stats.components_added, stats.components_removed), (5, 5));
    let failed: u64 = removals.iter().map(|removal| removal.failed_requests).sum();
    assert_eq!(
        failed,
        (ledger.removed + host_removed) as u64,
        "each request the removals failed got its one `Removed` outcome"
    );
    let balances = |name: &str, stats: &ComponentStats| {
        assert_eq!(
            stats.accepted,
            stats.handled + stats.failed + stats.trapped + stats.unhandled,
            "{name}: {stats:?}"
        );
    };
    for removal in &removals {
        balances("a removed echo1", &removal.stats);
    }
    for component in system.status() {
        balances(component.name.as_str(), &component.stats);
        assert_eq!(component.generation, 1);
        assert_eq!(component.state, ComponentState::Running);
    }
}

//! Adding and removing components of a running system: nothing accepted is
//! lost, each request gets exactly one outcome, the name can be reused.

use std::path::Path;
use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO, NOT_A_PLUGIN};
use airssys_wasm::{
    ChangeError, ComponentSpec, ComponentState, ComponentStatus, HostInbox, MessagingError,
    RequestError, RestartPolicy, SupervisionEventKind, System, SystemBuilder, SystemError,
    WasmSource,
};

use crate::common::system::{answer, command, id_after, next_report, outcome, start};

const PATIENCE: Duration = Duration::from_secs(30);

/// `echo`, reporting each delivery to the host's inbox, able to `wait` for
/// a file in `signal` as long as a test needs.
fn waiting_echo(signal: &Path) -> ComponentSpec {
    ComponentSpec::from_bytes("echo", ECHO)
        .grant("host")
        .wasi_dir(signal, "/signal", true)
        .time_budget(Duration::from_secs(3600))
}

/// A system of `echo` blocked in `wait /signal/go`, and its inbox.
async fn blocked_echo(signal: &Path) -> (System, HostInbox) {
    let (system, mut inbox) = start(
        SystemBuilder::new()
            .host_inbox(64)
            .component(waiting_echo(signal)),
    )
    .await;
    system.send("echo", "wait /signal/go").unwrap();
    assert_eq!(
        next_report(&mut inbox).await.1,
        "delivered host wait /signal/go"
    );
    (system, inbox)
}

fn status_of(system: &System, name: &str) -> Option<ComponentStatus> {
    system
        .status()
        .into_iter()
        .find(|component| component.name.as_str() == name)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let waiting = async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::time::timeout(PATIENCE, waiting)
        .await
        .unwrap_or_else(|_| panic!("waited too long until {what}"));
}

fn names(system: &System) -> Vec<String> {
    system
        .component_ids()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// `echo`, and a service `svc`.
async fn echo_and_a_service() -> System {
    SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .service("svc", |_| async { Ok(Vec::<u8>::new().into()) })
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_component_is_reachable_listed_and_counted() {
    let system = echo_and_a_service().await;
    let mut events = system.subscribe_events();
    system
        .add(ComponentSpec::from_bytes("echo2", ECHO).grant("echo"))
        .await
        .unwrap();

    assert_eq!(answer(&system, "echo2", "hi").await.as_bytes(), b"hi");
    assert_eq!(names(&system), ["echo", "echo2", "svc"]);
    let status = status_of(&system, "echo2").unwrap();
    assert_eq!(
        (status.generation, status.state),
        (1, ComponentState::Running)
    );
    assert_eq!(status.stats.handled, 1);
    assert_eq!(system.stats().components_added, 1);
    assert_eq!(system.stats().instances, 2);
    let event = events.recv().await.unwrap();
    assert_eq!(event.component.as_str(), "echo2");
    assert_eq!(event.kind, SupervisionEventKind::Added);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_is_checked_like_start() {
    let system = echo_and_a_service().await;
    let refused = |spec| async { system.add(spec).await.unwrap_err() };

    let taken = refused(ComponentSpec::from_bytes("echo", ECHO)).await;
    assert!(
        matches!(taken, ChangeError::Exists(ref name) if name == "echo"),
        "{taken}"
    );
    let service = refused(ComponentSpec::from_bytes("svc", ECHO)).await;
    assert!(matches!(service, ChangeError::Exists(_)), "{service}");
    for reserved in ["host", "timer", ""] {
        let error = refused(ComponentSpec::from_bytes(reserved, ECHO)).await;
        assert!(
            matches!(
                error,
                ChangeError::InvalidSpec {
                    source: SystemError::InvalidName(_),
                    ..
                }
            ),
            "{error}"
        );
    }
    let unknown = refused(ComponentSpec::from_bytes("x", ECHO).grant("nobody")).await;
    assert!(
        matches!(unknown, ChangeError::UnknownGrant { ref target, .. } if target == "nobody"),
        "{unknown}"
    );
    let limit = refused(ComponentSpec::from_bytes("x", ECHO).mailbox_capacity(0)).await;
    assert!(
        matches!(
            limit,
            ChangeError::InvalidSpec {
                source: SystemError::LimitOutOfRange { .. },
                ..
            }
        ),
        "{limit}"
    );
    let wasm = refused(ComponentSpec::from_bytes("x", NOT_A_PLUGIN)).await;
    assert!(matches!(wasm, ChangeError::Invalid { .. }), "{wasm}");

    assert_eq!(names(&system), ["echo", "svc"]);
    assert!(matches!(
        system.send("x", "hi"),
        Err(MessagingError::TargetNotFound(_))
    ));
    // Nothing was left behind: a later `x` without grants reaches no one.
    system
        .add(ComponentSpec::from_bytes("x", CLIENT))
        .await
        .unwrap();
    let sent = command(&system, "x", "send echo hi").await;
    assert!(sent.contains("CapabilityDenied"), "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_component_refuses_new_messages_then_is_not_found() {
    let signal = tempfile::tempdir().unwrap();
    let (system, _inbox) = blocked_echo(signal.path()).await;
    let mut events = system.subscribe_events();
    let queued: Vec<_> = (0..3)
        .map(|i| system.request("echo", format!("q{i}"), PATIENCE).unwrap())
        .collect();

    let removing = system.remove("echo", PATIENCE);
    let refusals = async {
        until("echo is removing", || {
            status_of(&system, "echo").is_some_and(|echo| echo.state == ComponentState::Removing)
        })
        .await;
        let sent = system.send("echo", "late");
        assert!(
            matches!(sent, Err(MessagingError::TargetRemoved { .. })),
            "{sent:?}"
        );
        let requested = system.request("echo", "late", PATIENCE).map(drop);
        assert!(
            matches!(requested, Err(MessagingError::TargetRemoved { .. })),
            "{requested:?}"
        );
        std::fs::write(signal.path().join("go"), "").unwrap();
    };
    let (removal, ()) = tokio::join!(removing, refusals);
    let removal = removal.unwrap();

    assert!(removal.drained);
    assert_eq!((removal.unhandled, removal.failed_requests), (0, 0));
    assert_eq!(removal.stats.handled, 4);
    for (i, answer) in queued.into_iter().enumerate() {
        assert_eq!(answer.await.unwrap().as_bytes(), format!("q{i}").as_bytes());
    }
    assert!(matches!(
        system.send("echo", "gone"),
        Err(MessagingError::TargetNotFound(_))
    ));
    assert!(system.component_ids().is_empty());
    assert_eq!(system.stats().components_removed, 1);
    assert_eq!(system.stats().instances, 0);
    let event = events.recv().await.unwrap();
    assert_eq!(
        event.kind,
        SupervisionEventKind::Removed {
            drained: true,
            unhandled: 0,
            failed_requests: 0
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_past_its_deadline_fails_each_queued_request_once() {
    let signal = tempfile::tempdir().unwrap();
    let (system, _inbox) = blocked_echo(signal.path()).await;
    let queued: Vec<_> = (0..10)
        .map(|i| system.request("echo", format!("q{i}"), PATIENCE).unwrap())
        .collect();
    for i in 0..5 {
        system.send("echo", format!("m{i}")).unwrap();
    }
    let late_before = system.stats().requests.late_responses;

    let removal = system
        .remove("echo", Duration::from_millis(50))
        .await
        .unwrap();

    assert!(!removal.drained);
    // The `wait` it was stopped in, 10 requests, 5 messages.
    assert_eq!(removal.unhandled, 16);
    assert_eq!(removal.failed_requests, 10);
    for answer in queued {
        let failed = answer.await.unwrap_err();
        assert!(
            matches!(failed, RequestError::Removed { ref target } if target.as_str() == "echo"),
            "{failed}"
        );
    }
    let stats = removal.stats;
    assert_eq!(stats.accepted, 16);
    assert_eq!(
        stats.accepted,
        stats.handled + stats.failed + stats.trapped + stats.unhandled
    );
    let system_stats = system.stats();
    assert_eq!(system_stats.requests.pending, 0);
    assert_eq!(system_stats.requests.late_responses, late_before);
    assert_eq!(system_stats.messages.unhandled, 16);
    assert_eq!(system_stats.instances, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_in_flight_at_the_deadline_fails_once() {
    let signal = tempfile::tempdir().unwrap();
    let (system, mut inbox) = start(
        SystemBuilder::new()
            .host_inbox(64)
            .component(waiting_echo(signal.path())),
    )
    .await;
    let in_flight = system.request("echo", "wait /signal/go", PATIENCE).unwrap();
    let in_flight = tokio::spawn(in_flight);
    assert_eq!(
        next_report(&mut inbox).await.1,
        "delivered host wait /signal/go"
    );
    let removal = system
        .remove("echo", Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!((removal.unhandled, removal.failed_requests), (1, 1));
    let failed = in_flight.await.unwrap().unwrap_err();
    assert!(matches!(failed, RequestError::Removed { .. }), "{failed}");
    assert_eq!(system.stats().requests.pending, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guests_request_to_a_removed_component_gets_one_callback() {
    let signal = tempfile::tempdir().unwrap();
    let builder = SystemBuilder::new()
        .host_inbox(64)
        .component(
            ComponentSpec::from_bytes("echo", ECHO)
                .wasi_dir(signal.path(), "/signal", true)
                .time_budget(Duration::from_secs(3600)),
        )
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("echo")
                .grant("host"),
        );
    let (system, mut inbox) = start(builder).await;
    let requested = command(&system, "client", "request echo 30000 wait /signal/go").await;
    let id = id_after(&requested, "requested").to_owned();
    let queued = command(&system, "client", "request echo 30000 after").await;
    let queued = id_after(&queued, "requested").to_owned();
    until("echo is busy", || {
        system
            .component_stats("echo")
            .is_some_and(|echo| echo.accepted == 2)
    })
    .await;

    let removal = system
        .remove("echo", Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!(removal.failed_requests, 2);

    let mut callbacks = Vec::new();
    for _ in 0..2 {
        let (_, report) = tokio::time::timeout(PATIENCE, next_report(&mut inbox))
            .await
            .expect("a callback came");
        callbacks.push(report);
    }
    callbacks.sort();
    let mut expected = [
        format!(
            "callback {id} err {:?} was removed before it answered",
            "echo"
        ),
        format!(
            "callback {queued} err {:?} was removed before it answered",
            "echo"
        ),
    ];
    expected.sort();
    assert_eq!(callbacks, expected);
    system.wait_idle().await;
    let client = system.component_stats("client").unwrap();
    assert_eq!((client.callbacks, client.callbacks_dropped), (2, 0));
    // The client asks again: echo is gone now.
    let again = command(&system, "client", "request echo 30000 hi").await;
    assert!(again.contains("TargetNotFound"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_requester_abandons_its_requests() {
    let signal = tempfile::tempdir().unwrap();
    let client = || {
        ComponentSpec::from_bytes("client", CLIENT)
            .grant("echo")
            .grant("host")
    };
    let builder = SystemBuilder::new()
        .host_inbox(64)
        .component(
            ComponentSpec::from_bytes("echo", ECHO)
                .wasi_dir(signal.path(), "/signal", true)
                .time_budget(Duration::from_secs(3600)),
        )
        .component(client());
    let (system, mut inbox) = start(builder).await;
    command(&system, "client", "request echo 30000 wait /signal/go").await;

    let removal = system.remove("client", PATIENCE).await.unwrap();
    assert!(removal.drained);
    assert_eq!(removal.abandoned_requests, 1);
    assert_eq!(system.stats().requests.abandoned, 1);
    std::fs::write(signal.path().join("go"), "").unwrap();
    until("the late answer", || {
        system.stats().requests.late_responses == 1
    })
    .await;

    // The name again: a new component, counting from zero.
    system.add(client()).await.unwrap();
    let fresh = status_of(&system, "client").unwrap();
    assert_eq!((fresh.generation, fresh.stats.accepted), (1, 0));
    let requested = command(&system, "client", "request echo 30000 back").await;
    let id = id_after(&requested, "requested").to_owned();
    let (_, report) = tokio::time::timeout(PATIENCE, next_report(&mut inbox))
        .await
        .expect("a callback came");
    assert_eq!(report, format!("callback {id} ok back"));
    assert_eq!(system.stats().messages.callbacks_dropped, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_stops_the_components_timers() {
    let client = || {
        ComponentSpec::from_bytes("client", CLIENT)
            .grant("echo")
            .grant("timer")
    };
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(client())
        .start()
        .await
        .unwrap();
    let scheduled = command(
        &system,
        "client",
        r#"request timer 5000 {"name":"t","after-ms":5,"every-ms":5,"to":"echo","message":"tick"}"#,
    )
    .await;
    assert!(scheduled.starts_with("requested"), "{scheduled}");
    let echo_accepted = || system.component_stats("echo").unwrap().accepted;
    until("the timer ticks", || echo_accepted() >= 2).await;

    system.remove("client", PATIENCE).await.unwrap();
    // Stopped, so the system goes idle though the timer repeated.
    tokio::time::timeout(PATIENCE, system.wait_idle())
        .await
        .expect("idle once the timer is gone");
    let after = echo_accepted();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(echo_accepted(), after);
    // A new client under the name gets no timer of the old one's.
    system.add(client()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(echo_accepted(), after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_counters_and_upgrades_stay_in_the_totals() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap();
    system
        .upgrade("echo", WasmSource::Bytes(ECHO.into()))
        .await
        .unwrap();
    for _ in 0..3 {
        answer(&system, "echo", "hi").await;
    }
    let before = system.stats();
    let removal = system.remove("echo", PATIENCE).await.unwrap();
    let after = system.stats();
    assert_eq!(after.messages, before.messages);
    assert_eq!(after.upgrades, 1);
    assert_eq!(removal.stats.handled, 3);
    assert!(system.component_stats("echo").is_none());
    assert!(status_of(&system, "echo").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_remove_still_completes() {
    let signal = tempfile::tempdir().unwrap();
    let (system, _inbox) = blocked_echo(signal.path()).await;
    let mut events = system.subscribe_events();
    let queued = system.request("echo", "queued", PATIENCE).unwrap();

    let dropped = tokio::time::timeout(Duration::ZERO, system.remove("echo", PATIENCE)).await;
    assert!(dropped.is_err(), "the removal waits for the drain");
    assert_eq!(
        status_of(&system, "echo").unwrap().state,
        ComponentState::Removing
    );
    let again = system.add(waiting_echo(signal.path())).await.unwrap_err();
    assert!(matches!(again, ChangeError::Removing(_)), "{again}");
    let upgrade = system
        .upgrade("echo", WasmSource::Bytes(ECHO.into()))
        .await
        .unwrap_err();
    assert!(matches!(upgrade, ChangeError::Removing(_)), "{upgrade}");
    let twice = system.remove("echo", PATIENCE).await.unwrap_err();
    assert!(matches!(twice, ChangeError::Removing(_)), "{twice}");

    std::fs::write(signal.path().join("go"), "").unwrap();
    assert_eq!(queued.await.unwrap().as_bytes(), b"queued");
    let event = tokio::time::timeout(PATIENCE, events.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        event.kind,
        SupervisionEventKind::Removed { drained: true, .. }
    ));
    system.add(waiting_echo(signal.path())).await.unwrap();
    assert_eq!(answer(&system, "echo", "back").await.as_bytes(), b"back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_removal_in_progress() {
    let signal = tempfile::tempdir().unwrap();
    let (system, _inbox) = blocked_echo(signal.path()).await;
    let queued: Vec<_> = (0..3)
        .map(|_| system.request("echo", "queued", PATIENCE).unwrap())
        .collect();
    let dropped = tokio::time::timeout(
        Duration::ZERO,
        system.remove("echo", Duration::from_millis(50)),
    )
    .await;
    assert!(dropped.is_err());

    let report = system.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.failed_requests, 0, "the removal failed them first");
    for answer in queued {
        let failed = answer.await.unwrap_err();
        assert!(matches!(failed, RequestError::Removed { .. }), "{failed}");
    }
    assert_eq!(report.stats.components_removed, 1);
    assert_eq!(report.stats.messages.unhandled, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_component_can_be_removed_and_added_again() {
    let echo = || ComponentSpec::from_bytes("echo", ECHO).restart_policy(RestartPolicy::Never);
    let system = SystemBuilder::new()
        .component(echo())
        .start()
        .await
        .unwrap();
    assert!(outcome(&system, "echo", "panic").await.is_err());
    until("echo has failed", || {
        matches!(
            system.send("echo", "x"),
            Err(MessagingError::TargetFailed { .. })
        )
    })
    .await;

    let removal = system.remove("echo", PATIENCE).await.unwrap();
    assert!(removal.drained);
    system.add(echo()).await.unwrap();
    assert_eq!(answer(&system, "echo", "alive").await.as_bytes(), b"alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_components_are_removed_started_or_not() {
    let lazy = |name| ComponentSpec::from_bytes(name, ECHO).lazy(true);
    let system = SystemBuilder::new()
        .component(lazy("cold"))
        .component(lazy("warm"))
        .start()
        .await
        .unwrap();
    assert_eq!(answer(&system, "warm", "hi").await.as_bytes(), b"hi");

    let cold = system.remove("cold", PATIENCE).await.unwrap();
    assert!(cold.drained);
    assert_eq!((cold.unhandled, cold.stats.accepted), (0, 0));
    let warm = system.remove("warm", PATIENCE).await.unwrap();
    assert_eq!(warm.stats.handled, 1);
    assert_eq!(system.stats().instances, 0);
    assert!(system.component_ids().is_empty());
    system.add(lazy("cold")).await.unwrap();
    assert_eq!(answer(&system, "cold", "back").await.as_bytes(), b"back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_removed_is_refused() {
    let system = echo_and_a_service().await;
    let service = system.remove("svc", PATIENCE).await.unwrap_err();
    assert!(
        matches!(service, ChangeError::NotAComponent(_)),
        "{service}"
    );
    let unknown = system.remove("nobody", PATIENCE).await.unwrap_err();
    assert!(
        matches!(unknown, ChangeError::UnknownComponent(_)),
        "{unknown}"
    );
    let grant = system.set_grants("svc", &["echo"], false).unwrap_err();
    assert!(matches!(grant, ChangeError::NotAComponent(_)), "{grant}");
}

/// A message the component's task took while a host request ran on the
/// requester's own task, and was stopped holding at the deadline, is
/// accounted for like one still queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_taken_while_a_requester_runs_a_call_is_accounted_for() {
    let signal = tempfile::tempdir().unwrap();
    let (system, mut inbox) = start(
        SystemBuilder::new()
            .host_inbox(64)
            .component(waiting_echo(signal.path())),
    )
    .await;
    // Polled at once, before echo's task wakes: the call runs on this
    // task, then on one of its own (it waits), holding echo's state.
    let mut in_flight = Box::pin(system.request("echo", "wait /signal/go", PATIENCE).unwrap());
    std::future::poll_fn(|cx| {
        let _ = in_flight.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
    let in_flight = tokio::spawn(in_flight);
    assert_eq!(
        next_report(&mut inbox).await.1,
        "delivered host wait /signal/go"
    );
    let behind = system.request("echo", "behind", PATIENCE).unwrap();
    system.send("echo", "also behind").unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;

    let removal = system
        .remove("echo", Duration::from_millis(20))
        .await
        .unwrap();
    assert_eq!((removal.unhandled, removal.failed_requests), (3, 2));
    for failed in [in_flight.await.unwrap(), behind.await] {
        let failed = failed.unwrap_err();
        assert!(matches!(failed, RequestError::Removed { .. }), "{failed}");
    }
    let stats = removal.stats;
    assert_eq!(stats.accepted, stats.handled + stats.unhandled);
    assert_eq!(system.stats().requests.pending, 0);
}

/// `status` says what each component is doing: its state, what waits in
/// its mailbox, and its own requests outstanding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_state_queue_and_pending_requests() {
    let signal = tempfile::tempdir().unwrap();
    let builder = SystemBuilder::new()
        .host_inbox(64)
        .component(waiting_echo(signal.path()))
        .component(ComponentSpec::from_bytes("client", CLIENT).grant("echo"))
        .component(ComponentSpec::from_bytes("cold", ECHO).lazy(true))
        .component(ComponentSpec::from_bytes("fragile", ECHO).restart_policy(RestartPolicy::Never));
    let (system, mut inbox) = start(builder).await;
    system.send("echo", "wait /signal/go").unwrap();
    assert_eq!(
        next_report(&mut inbox).await.1,
        "delivered host wait /signal/go"
    );
    command(&system, "client", "request echo 30000 queued").await;
    assert!(outcome(&system, "fragile", "panic").await.is_err());
    until("fragile has failed", || {
        status_of(&system, "fragile").unwrap().state == ComponentState::Failed
    })
    .await;

    let echo = status_of(&system, "echo").unwrap();
    assert_eq!((echo.state, echo.queued), (ComponentState::Running, 1));
    assert_eq!(status_of(&system, "client").unwrap().pending_requests, 1);
    assert_eq!(
        status_of(&system, "cold").unwrap().state,
        ComponentState::NotStarted
    );
    std::fs::write(signal.path().join("go"), "").unwrap();
    system.wait_idle().await;
    let client = status_of(&system, "client").unwrap();
    assert_eq!((client.pending_requests, client.queued), (0, 0));
}

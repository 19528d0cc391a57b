//! Supervision: restart policies, giving up, and what the host sees.

use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{
    ComponentId, ComponentSpec, MessagingError, RequestError, RestartPolicy, SupervisionEvent,
    SupervisionEventKind, SystemBuilder, Trap,
};
use tokio::sync::broadcast;

use crate::common::log_capture::LogCapture;
use crate::common::system::{answer, client_and_echo, command, outcome, start};

/// Whether `error` is the trap of a guest's own panic.
fn panicked(error: &RequestError) -> bool {
    matches!(
        error,
        RequestError::Trapped {
            trap: Trap::Guest(_),
            ..
        }
    )
}

async fn next_kind(events: &mut broadcast::Receiver<SupervisionEvent>) -> SupervisionEventKind {
    let event = events.recv().await.expect("an event");
    assert_eq!(event.component, ComponentId::new("echo"));
    event.kind
}

/// With `Never`, the first trap marks the component failed: later messages
/// are refused with `TargetFailed`, and the host saw both events.
#[tokio::test]
async fn never_restart_marks_the_component_failed() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).restart_policy(RestartPolicy::Never))
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();

    let error = outcome(&system, "echo", "panic").await.unwrap_err();
    assert!(panicked(&error), "{error}");
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::Trapped {
            trap: Trap::Guest(_)
        }
    ));
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::GaveUp { .. }
    ));

    let refused = system.send("echo", "hello").unwrap_err();
    assert!(
        matches!(refused, MessagingError::TargetFailed { ref target, .. } if target.as_str() == "echo"),
        "{refused}"
    );
}

/// `Limited` restarts up to N times in its window, then gives up; requests
/// queued behind the last trap fail with `TargetStopped`.
#[tokio::test]
async fn limited_restarts_then_give_up() {
    let policy = RestartPolicy::Limited {
        max_restarts: 2,
        within: Duration::from_secs(600),
    };
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).restart_policy(policy))
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();

    for restart in 1..=2 {
        let error = outcome(&system, "echo", "panic").await.unwrap_err();
        assert!(panicked(&error), "{error}");
        assert!(matches!(
            next_kind(&mut events).await,
            SupervisionEventKind::Trapped { .. }
        ));
        assert_eq!(
            next_kind(&mut events).await,
            SupervisionEventKind::Restarted {
                restarts_in_window: restart
            }
        );
    }
    let last = system
        .request("echo", "panic", Duration::from_secs(5))
        .unwrap();
    let queued = system
        .request("echo", "after", Duration::from_secs(5))
        .unwrap();
    assert!(panicked(&last.await.unwrap_err()));
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::Trapped { .. }
    ));
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::GaveUp { .. }
    ));
    assert!(matches!(
        queued.await,
        Err(RequestError::TargetStopped { .. })
    ));
}

/// The pending requests of a requester that trapped are abandoned and
/// counted: no callback can reach the instance that made them.
#[tokio::test]
async fn trapped_requesters_pending_requests_are_abandoned() {
    let (system, mut inbox) = start(client_and_echo().time_budget(Duration::from_secs(3600))).await;
    let answer = command(&system, "client", "request echo 600000 loop").await;
    assert!(answer.starts_with("requested "), "{answer}");
    let panic = outcome(&system, "client", "panic").await.unwrap_err();
    assert!(panicked(&panic), "{panic}");

    let stats = system.stats().requests;
    assert_eq!(stats.abandoned, 1);
    assert_eq!(stats.pending, 0);
    assert!(inbox.try_recv().is_none());
    drop(system);
}

/// An outcome that arrives for an instance that has since trapped is not
/// handed to its fresh instance (which never made that request): it is
/// dropped and counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_instance_gets_no_callbacks_for_its_predecessors_requests() {
    let dir = tempfile::tempdir().unwrap();
    let builder = SystemBuilder::new()
        .host_inbox(16)
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("echo")
                .grant("host")
                .wasi_dir(dir.path(), "/signal", false),
        );
    let (system, mut inbox) = start(builder).await;
    let dying = system
        .request(
            "client",
            "request-then-panic echo hi /signal/go",
            Duration::from_secs(30),
        )
        .unwrap();
    // Readiness, not timing: once echo's answer waits in the client's
    // callback queue, let the client panic.
    while system
        .component_stats("client")
        .unwrap()
        .waiting_callback_bytes
        == 0
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    std::fs::write(dir.path().join("go"), "").unwrap();
    assert!(panicked(&dying.await.unwrap_err()));
    system.wait_idle().await;

    let client = system.component_stats("client").unwrap();
    assert_eq!(client.callbacks_dropped, 1, "{client:?}");
    assert_eq!(client.callbacks, 0, "the fresh instance was handed nothing");
    assert!(inbox.try_recv().is_none(), "no callback was reported");
    // The fresh instance works, and gets its own callbacks.
    let answer = command(&system, "client", "request echo 5000 again").await;
    assert!(answer.starts_with("requested "), "{answer}");
    system.wait_idle().await;
    assert_eq!(system.component_stats("client").unwrap().callbacks, 1);
}

/// WASI is closed by default: no environment, no files. Grants open
/// exactly what they name.
#[tokio::test]
async fn wasi_is_closed_until_granted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), "granted").unwrap();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("closed", ECHO))
        .component(
            ComponentSpec::from_bytes("open", ECHO)
                .wasi_env("GREETING", "hi")
                .wasi_dir(dir.path(), "/data", true),
        )
        .start()
        .await
        .unwrap();
    let ask = async |target: &str, message: &str| {
        outcome(&system, target, message)
            .await
            .map(|p| String::from_utf8(p.into_bytes()).unwrap())
    };
    assert_eq!(ask("closed", "env PATH").await.unwrap(), "<unset>");
    assert_eq!(ask("closed", "env GREETING").await.unwrap(), "<unset>");
    assert!(ask("closed", "read /data/note.txt").await.is_err());
    assert!(ask("closed", "read /etc/passwd").await.is_err());

    assert_eq!(ask("open", "env GREETING").await.unwrap(), "hi");
    assert_eq!(ask("open", "read /data/note.txt").await.unwrap(), "granted");
    assert!(ask("open", "read /etc/passwd").await.is_err());
}

/// A guest's stdout becomes a log event tagged with its component id.
#[tokio::test(flavor = "current_thread")]
async fn guest_output_goes_to_the_logs() {
    let capture = LogCapture::default();
    let _guard = capture.install();

    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("talker", ECHO))
        .start()
        .await
        .unwrap();
    answer(&system, "talker", "print hello logs").await;
    let events = capture.events();
    assert!(
        events
            .iter()
            .any(|event| event.target == airssys_wasm::GUEST_LOG
                && event.fields.contains("hello logs")
                && event.fields.contains("component=talker")),
        "{events:?}"
    );
}

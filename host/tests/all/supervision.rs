//! Supervision: restart policies, giving up, and what the host sees.

use std::time::Duration;

use airssys_test_fixtures::ECHO;
use airssys_wasm::{
    ComponentId, ComponentSpec, MessagingError, RequestError, RestartPolicy, SupervisionEvent,
    SupervisionEventKind, SystemBuilder,
};
use tokio::sync::broadcast;

use crate::common::{LogCapture, client_and_echo, command, start};

async fn next_kind(events: &mut broadcast::Receiver<SupervisionEvent>) -> SupervisionEventKind {
    let event = events.recv().await.expect("an event");
    assert_eq!(event.component, ComponentId::new("echo"));
    event.kind
}

/// With `Never`, the first trap marks the component failed: later messages
/// are refused with `delivery-failed`, and the host saw both events.
#[tokio::test]
async fn never_restart_marks_the_component_failed() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).restart_policy(RestartPolicy::Never))
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();

    let error = system
        .request("echo", "panic", Duration::from_secs(5))
        .unwrap()
        .await
        .unwrap_err();
    assert!(matches!(error, RequestError::Trapped { .. }));
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::Trapped { .. }
    ));
    assert!(matches!(
        next_kind(&mut events).await,
        SupervisionEventKind::GaveUp { .. }
    ));

    let refused = system.send("echo", "hello").unwrap_err();
    assert!(
        matches!(refused, MessagingError::DeliveryFailed(ref text) if text.contains("has failed")),
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
        let error = system
            .request("echo", "panic", Duration::from_secs(5))
            .unwrap()
            .await
            .unwrap_err();
        assert!(matches!(error, RequestError::Trapped { .. }));
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
    assert!(matches!(last.await, Err(RequestError::Trapped { .. })));
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
    let panic = system
        .request("client", "panic", Duration::from_secs(5))
        .unwrap()
        .await;
    assert!(matches!(panic, Err(RequestError::Trapped { .. })));

    let stats = system.stats().requests;
    assert_eq!(stats.abandoned, 1);
    assert_eq!(stats.pending, 0);
    assert!(inbox.try_recv().is_none());
    drop(system);
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
    let ask = |target: &'static str, message: &'static str| {
        let pending = system
            .request(target, message, Duration::from_secs(5))
            .unwrap();
        async move {
            pending
                .await
                .map(|p| String::from_utf8(p.into_bytes()).unwrap())
        }
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
    system
        .request("talker", "print hello logs", Duration::from_secs(5))
        .unwrap()
        .await
        .unwrap();
    let events = capture.events();
    assert!(
        events
            .iter()
            .any(|event| event.target == "airssys_wasm::guest"
                && event.fields.contains("hello logs")
                && event.fields.contains("component=talker")),
        "{events:?}"
    );
}

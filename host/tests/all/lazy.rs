//! Lazy instances: a component instantiated by its first message, what is
//! still checked at start, and what a failure to instantiate later becomes.

use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{
    ComponentSpec, MessagingError, RequestError, StartCounts, StartProgress, SupervisionEventKind,
    SystemBuilder, SystemError, WasmError,
};

use crate::common::system::{answer, command, id_after, next_report, outcome, start};

/// A lazy component holds no instance until its first message, which it
/// then answers; an eager neighbour starts with the system.
#[tokio::test]
async fn a_lazy_component_is_instantiated_by_its_first_message() {
    let progress = StartProgress::new();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("eager", ECHO))
        .component(ComponentSpec::from_bytes("idle", ECHO).lazy(true))
        .progress(progress.clone())
        .start()
        .await
        .expect("starts");
    assert_eq!(
        (progress.counts().to_start, progress.counts().started),
        (1, 1)
    );
    assert_eq!(system.stats().instances, 1);
    assert_eq!(system.component_ids().len(), 2);

    assert_eq!(answer(&system, "idle", "first").await.as_bytes(), b"first");
    assert_eq!(
        answer(&system, "idle", "second").await.as_bytes(),
        b"second"
    );
    assert_eq!(system.stats().instances, 2);
    assert_eq!(system.component_stats("idle").unwrap().handled, 2);
    let report = system.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.stopped.len(), 2, "{report:?}");
    assert!(report.aborted.is_empty(), "{report:?}");
}

/// The system-wide default makes every component lazy unless it says
/// otherwise; messages from a guest start the target just as the host's do,
/// and a lazy component's own requests come back to it.
#[tokio::test]
async fn guests_start_lazy_components_and_a_component_may_opt_out() {
    let builder = SystemBuilder::new()
        .lazy(true)
        .host_inbox(64)
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("echo")
                .grant("host")
                .lazy(false),
        );
    let (system, mut inbox) = start(builder).await;
    assert_eq!(system.stats().instances, 1);

    let requested = command(&system, "client", "request echo 5000 hi").await;
    let id = id_after(&requested, "requested").to_owned();
    assert_eq!(
        next_report(&mut inbox).await,
        ("client".to_owned(), format!("callback {id} ok hi"))
    );
    assert_eq!(system.stats().instances, 2);
}

/// A component that was never messaged is stopped at shutdown with nothing
/// to do, and a system of them needs no instance at all.
#[tokio::test]
async fn components_never_messaged_stop_with_the_system() {
    let shared: std::sync::Arc<[u8]> = ECHO.into();
    let mut builder = SystemBuilder::new().lazy(true);
    for n in 0..100 {
        builder = builder.component(ComponentSpec::from_bytes(
            format!("echo-{n}"),
            shared.clone(),
        ));
    }
    let system = builder.start().await.expect("starts");
    assert_eq!(system.stats().instances, 0);
    assert_eq!(answer(&system, "echo-7", "x").await.as_bytes(), b"x");
    assert_eq!(system.stats().instances, 1);
    let report = system.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.stopped.len(), 100);
    assert_eq!(report.unhandled, 0);
}

/// What can be checked without an instance still fails the start: a memory
/// limit below what the component starts with, a granted directory that
/// does not exist.
#[tokio::test]
async fn start_checks_lazy_components_without_instantiating_them() {
    let error = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("tiny", ECHO)
                .memory_limit(64 * 1024)
                .lazy(true),
        )
        .start()
        .await
        .expect_err("cannot start in 64 KiB");
    assert!(
        matches!(error, SystemError::Wasm(WasmError::Instantiate { ref name, .. }) if name == "tiny"),
        "{error:?}"
    );
    assert!(error.to_string().contains("tiny"), "{error}");

    let error = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("reader", ECHO)
                .wasi_dir("/no/such/directory", "/data", true)
                .lazy(true),
        )
        .start()
        .await
        .expect_err("no such directory");
    assert!(
        matches!(error, SystemError::Wasm(WasmError::GrantDir { ref name, .. }) if name == "reader"),
        "{error:?}"
    );
}

/// When the first message's instantiation fails (here its granted directory
/// was removed after start), every message sent to it gets exactly one
/// outcome naming why, the host sees a `StartFailed` event, and the
/// component is marked failed.
#[tokio::test]
async fn a_lazy_component_that_cannot_start_fails_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("reader", ECHO)
                .wasi_dir(&data, "/data", true)
                .lazy(true),
        )
        .start()
        .await
        .expect("its directory exists at start");
    let mut events = system.subscribe_events();
    std::fs::remove_dir(&data).unwrap();

    let first = system
        .request("reader", "one", Duration::from_secs(30))
        .unwrap();
    let queued = system
        .request("reader", "two", Duration::from_secs(30))
        .unwrap();
    for pending in [first, queued] {
        match pending.await {
            Err(RequestError::StartFailed { target, reason }) => {
                assert_eq!(target.as_str(), "reader");
                assert!(reason.contains("cannot grant"), "{reason}");
            }
            other => panic!("expected StartFailed, got {other:?}"),
        }
    }
    let event = events.recv().await.expect("an event");
    assert_eq!(event.component.as_str(), "reader");
    assert!(
        matches!(event.kind, SupervisionEventKind::StartFailed { .. }),
        "{:?}",
        event.kind
    );
    let refused = system.send("reader", "three").unwrap_err();
    assert!(
        matches!(refused, MessagingError::TargetFailed { ref reason, .. } if reason.contains("could not be started")),
        "{refused}"
    );
    let error = outcome_refused(&system).await;
    assert!(error.contains("could not be started"), "{error}");
    system.wait_idle().await;
    assert_eq!(system.stats().in_flight, 0);
    assert_eq!(system.stats().instances, 0);
}

/// The refusal a request to the failed component gets, as text.
async fn outcome_refused(system: &airssys_wasm::System) -> String {
    match system.request("reader", "four", Duration::from_secs(1)) {
        Err(refused) => refused.to_string(),
        Ok(pending) => panic!("accepted: {:?}", pending.await),
    }
}

/// Start progress counts only the components started with the system.
#[tokio::test]
async fn start_progress_counts_only_eager_components() {
    let progress = StartProgress::new();
    let shared: std::sync::Arc<[u8]> = ECHO.into();
    let system = SystemBuilder::new()
        .lazy(true)
        .component(ComponentSpec::from_bytes("a", shared.clone()))
        .component(ComponentSpec::from_bytes("b", shared).lazy(false))
        .no_compile_cache()
        .progress(progress.clone())
        .start()
        .await
        .expect("starts");
    assert_eq!(
        progress.counts(),
        StartCounts {
            to_compile: 1,
            compiled: 1,
            from_cache: 0,
            stored: 0,
            to_start: 1,
            started: 1,
        }
    );
    assert_eq!(outcome(&system, "a", "x").await.unwrap().as_bytes(), b"x");
}

//! Upgrading a running component: the new version takes over between two
//! calls, or nothing changes.

use std::path::Path;
use std::time::Duration;

use airssys_test_fixtures::{
    CLIENT, ECHO, ECHO_V2, ECHO_V2_PATH, NOT_A_PLUGIN, TWO_MEMORIES, WRONG_IMPORT,
};
use airssys_wasm::{
    ChangeError, ComponentSpec, ComponentStatus, RequestError, RestartPolicy, Service,
    SupervisionEventKind, System, SystemBuilder, WasmSource,
};

use crate::common::system::{command, id_after, next_report, outcome, start};

const PATIENCE: Duration = Duration::from_secs(30);

fn v2() -> WasmSource {
    WasmSource::Bytes(ECHO_V2.into())
}

/// `echo`, reporting each delivery to the host's inbox, with `/signal`
/// granted for `wait` and time to wait for it however long the new
/// version takes to compile on a loaded machine.
fn waiting_echo(signal: &Path) -> ComponentSpec {
    ComponentSpec::from_bytes("echo", ECHO)
        .grant("host")
        .wasi_dir(signal, "/signal", true)
        .time_budget(Duration::from_secs(3600))
}

fn with_inbox(echo: ComponentSpec) -> SystemBuilder {
    SystemBuilder::new().host_inbox(64).component(echo)
}

async fn echo_alone(echo: ComponentSpec) -> System {
    SystemBuilder::new().component(echo).start().await.unwrap()
}

/// Upgrades echo to v2, releasing its `wait` once the new version waits for
/// it; the generation it reached.
async fn upgrade_then_release(system: &System, signal: &Path) -> u64 {
    let release = async {
        until_upgrading(system, "echo").await;
        std::fs::write(signal.join("go"), "").unwrap();
    };
    let (upgrade, ()) = tokio::join!(system.upgrade("echo", v2()), release);
    upgrade.expect("upgraded").generation
}

fn status_of(system: &System, name: &str) -> ComponentStatus {
    system
        .status()
        .into_iter()
        .find(|component| component.name.as_str() == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

/// Waits until the new version of `name` is instantiated and waits for the
/// current call to end.
async fn until_upgrading(system: &System, name: &str) {
    let waiting = async {
        while !status_of(system, name).upgrading {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the upgrade got as far as waiting for the call");
}

/// A call in flight ends on the old version; everything queued behind it,
/// on the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_in_flight_ends_on_the_old_version_and_the_queue_goes_to_the_new() {
    let signal = tempfile::tempdir().unwrap();
    let (system, mut inbox) = start(with_inbox(waiting_echo(signal.path()))).await;
    let in_flight = system.request("echo", "wait /signal/go", PATIENCE).unwrap();
    assert_eq!(
        next_report(&mut inbox).await.1,
        "delivered host wait /signal/go"
    );
    let queued: Vec<_> = (0..10)
        .map(|_| system.request("echo", "version", PATIENCE).unwrap())
        .collect();

    let generation = upgrade_then_release(&system, signal.path()).await;
    assert_eq!(generation, 2);

    assert_eq!(in_flight.await.unwrap().as_bytes(), b"v1");
    for answer in queued {
        assert_eq!(answer.await.unwrap().as_bytes(), b"v2");
    }
    let status = status_of(&system, "echo");
    assert_eq!((status.generation, status.upgrading), (2, false));
    assert_eq!(status.stats.handled, 11);
    assert_eq!(system.stats().upgrades, 1);
    // The old instance is gone.
    assert_eq!(system.stats().instances, 1);
}

/// The callbacks of requests the old version made reach the new one, which
/// may also cancel them: a component's identity is its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_version_receives_the_callbacks_of_the_old_ones_requests() {
    let signal = tempfile::tempdir().unwrap();
    let builder = SystemBuilder::new()
        .host_inbox(16)
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
    let answered = command(&system, "client", "request echo 30000 wait /signal/go").await;
    let answered = id_after(&answered, "requested").to_owned();
    let cancelled = command(&system, "client", "request echo 30000 version").await;
    let cancelled = id_after(&cancelled, "requested").to_owned();

    // The same code again: a new instance, which never made those requests.
    let upgrade = system
        .upgrade("client", WasmSource::Bytes(CLIENT.into()))
        .await
        .unwrap();
    assert_eq!(upgrade.generation, 2);
    assert_eq!(
        command(&system, "client", &format!("cancel {cancelled}")).await,
        format!("cancelled {cancelled}")
    );
    std::fs::write(signal.path().join("go"), "").unwrap();

    let report = tokio::time::timeout(PATIENCE, next_report(&mut inbox)).await;
    assert_eq!(
        report.expect("a callback came").1,
        format!("callback {answered} ok v1")
    );
    system.wait_idle().await;
    let client = status_of(&system, "client").stats;
    assert_eq!((client.callbacks, client.callbacks_dropped), (1, 0));
    assert!(
        inbox.try_recv().is_none(),
        "the cancelled request got no callback"
    );
    assert_eq!(system.stats().requests.abandoned, 0);
}

/// A new version that does not compile, link, fit or instantiate is
/// refused with the reason, and the old version runs on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_leaves_the_old_version_running() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO))
        // Two memories of 64 KiB each: echo starts with more than that.
        .component(ComponentSpec::from_bytes("small", TWO_MEMORIES).memory_limit(256 << 10))
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();
    let too_big = system
        .upgrade("small", WasmSource::Bytes(ECHO.into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&too_big, ChangeError::Invalid { source, .. } if source.to_string().contains("memory")
            || std::error::Error::source(source).is_some_and(|cause| cause.to_string().contains("memory limit"))),
        "{too_big:?}"
    );
    events.recv().await.unwrap();
    let refused = [
        WasmSource::Bytes(b"not wasm at all".as_slice().into()),
        WasmSource::Bytes(NOT_A_PLUGIN.into()),
        WasmSource::File("/nonexistent/echo.wasm".into()),
        WasmSource::Bytes(WRONG_IMPORT.into()),
    ];
    let count = refused.len();
    for source in refused {
        let error = system.upgrade("echo", source).await.unwrap_err();
        assert!(
            matches!(&error, ChangeError::Invalid { name, .. } if name == "echo"),
            "{error:?}"
        );
        let event = events.recv().await.unwrap();
        assert!(
            matches!(&event.kind, SupervisionEventKind::UpgradeFailed { reason } if reason.contains("the old one runs on")),
            "{event:?}"
        );
    }
    assert_eq!(command(&system, "echo", "version").await, "v1");
    assert_eq!(status_of(&system, "echo").generation, 1);
    let stats = system.stats();
    assert_eq!(
        (stats.upgrades, stats.failed_upgrades),
        (0, count as u64 + 1)
    );
    assert_eq!(stats.instances, 2);
}

/// After an upgrade, a trap restarts the new version, not the one the
/// system started with; the upgrade is published as an event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_an_upgrade_starts_the_new_version() {
    let system = echo_alone(ComponentSpec::from_bytes("echo", ECHO)).await;
    let mut events = system.subscribe_events();
    let upgrade = system
        .upgrade("echo", WasmSource::File(ECHO_V2_PATH.into()))
        .await
        .unwrap();
    assert_eq!(upgrade.generation, 2);
    let event = events.recv().await.unwrap();
    assert_eq!(event.kind, SupervisionEventKind::Upgraded { generation: 2 });

    let trapped = outcome(&system, "echo", "panic").await;
    assert!(
        matches!(trapped, Err(RequestError::Trapped { .. })),
        "{trapped:?}"
    );
    assert_eq!(command(&system, "echo", "version").await, "v2");
    assert_eq!(system.component_stats("echo").unwrap().trapped, 1);
}

/// The old version trapping while the new one waits: the new one takes
/// over instead of a restart, even under a policy of never restarting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_while_the_new_version_waits_hands_over_to_it() {
    let signal = tempfile::tempdir().unwrap();
    let echo = waiting_echo(signal.path()).restart_policy(RestartPolicy::Never);
    let (system, mut inbox) = start(with_inbox(echo)).await;
    let dying = system
        .request("echo", "wait-then-panic /signal/go", PATIENCE)
        .unwrap();
    next_report(&mut inbox).await;
    let queued = system.request("echo", "version", PATIENCE).unwrap();

    let generation = upgrade_then_release(&system, signal.path()).await;
    assert_eq!(generation, 2);
    assert!(matches!(dying.await, Err(RequestError::Trapped { .. })));
    assert_eq!(queued.await.unwrap().as_bytes(), b"v2");
    assert_eq!(system.component_stats("echo").unwrap().trapped, 1);
}

/// A lazy component upgraded before its first message starts as the new
/// version; upgraded again once running, it swaps like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazy_component_upgraded_before_its_first_message_starts_as_the_new_version() {
    let system = echo_alone(ComponentSpec::from_bytes("echo", ECHO).lazy(true)).await;
    assert_eq!(system.upgrade("echo", v2()).await.unwrap().generation, 2);
    assert_eq!(
        system.stats().instances,
        0,
        "still waiting for its first message"
    );
    assert_eq!(command(&system, "echo", "version").await, "v2");

    let back = system
        .upgrade("echo", WasmSource::Bytes(ECHO.into()))
        .await
        .unwrap();
    assert_eq!(back.generation, 3);
    assert_eq!(command(&system, "echo", "version").await, "v1");
    assert_eq!(system.stats().instances, 1);
}

/// An upgrade dropped while it waits for the call in flight changes
/// nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_dropped_before_the_swap_changes_nothing() {
    let signal = tempfile::tempdir().unwrap();
    let (system, mut inbox) = start(with_inbox(waiting_echo(signal.path()))).await;
    let in_flight = system.request("echo", "wait /signal/go", PATIENCE).unwrap();
    next_report(&mut inbox).await;
    let queued = system.request("echo", "version", PATIENCE).unwrap();

    tokio::select! {
        upgraded = system.upgrade("echo", v2()) => panic!("swapped mid-call: {upgraded:?}"),
        () = until_upgrading(&system, "echo") => {}
    }
    assert!(
        !status_of(&system, "echo").upgrading,
        "the offer is withdrawn"
    );
    std::fs::write(signal.path().join("go"), "").unwrap();

    assert_eq!(in_flight.await.unwrap().as_bytes(), b"v1");
    assert_eq!(queued.await.unwrap().as_bytes(), b"v1");
    assert_eq!(status_of(&system, "echo").generation, 1);
    assert_eq!(system.stats().upgrades, 0);
}

/// Unknown names, services and failed components are refused, each with its
/// own error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_upgraded_is_refused() {
    let system = SystemBuilder::new()
        .service_with(
            "upper",
            Service::json(|_call, text: String| async move { Ok(text.to_uppercase()) }),
        )
        .component(ComponentSpec::from_bytes("echo", ECHO).restart_policy(RestartPolicy::Never))
        .start()
        .await
        .unwrap();
    let unknown = system.upgrade("nobody", v2()).await.unwrap_err();
    assert!(matches!(&unknown, ChangeError::UnknownComponent(name) if name == "nobody"));
    let service = system.upgrade("upper", v2()).await.unwrap_err();
    assert!(matches!(&service, ChangeError::NotAComponent(name) if name == "upper"));

    let _ = outcome(&system, "echo", "panic").await;
    let failed = system.upgrade("echo", v2()).await.unwrap_err();
    assert!(
        matches!(&failed, ChangeError::ComponentFailed(name) if name == "echo"),
        "{failed:?}"
    );
    // The unknown name is not a component's upgrade refused.
    assert_eq!(system.stats().failed_upgrades, 2);

    let report = system.shutdown(Duration::from_secs(1)).await;
    assert!(report.aborted.is_empty());
}

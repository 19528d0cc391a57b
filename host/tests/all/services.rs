//! Host services: Rust handlers that components reach like components,
//! and the built-in `timer` service.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use airssys_test_fixtures::{ASSISTANT, CLIENT, ECHO};
use airssys_wasm::{
    ComponentError, ComponentSpec, MessagingError, RequestError, Service, SystemBuilder, Trap,
};
use tokio::sync::{Barrier, Notify};

use crate::common::system::{answer, command, id_after, next_report, outcome, start};

fn upper() -> Service {
    Service::json(|_call, text: String| async move { Ok(text.to_uppercase()) })
}

/// A component requests a host service like a component: granted, its
/// answer comes to the callback; not granted, it is refused at once. The
/// service's calls are counted.
#[tokio::test]
async fn a_component_requests_a_host_service() {
    let builder = SystemBuilder::new()
        .host_inbox(8)
        .service_with("upper", upper())
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("upper")
                .grant("host"),
        )
        .component(ComponentSpec::from_bytes("stranger", CLIENT));
    let (system, mut inbox) = start(builder).await;

    let requested = command(&system, "client", r#"request upper 5000 "shout""#).await;
    let id = id_after(&requested, "requested");
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!("callback {id} ok \"SHOUT\"")
    );
    let refused = command(&system, "stranger", r#"request upper 5000 "shout""#).await;
    assert!(refused.starts_with("error CapabilityDenied("), "{refused}");

    // A payload that does not decode never reaches the handler.
    let bad = outcome(&system, "upper", "not json").await;
    assert!(
        matches!(
            bad,
            Err(RequestError::Responder {
                error: ComponentError::InvalidInput(_),
                ..
            })
        ),
        "{bad:?}"
    );
    let stats = system.component_stats("upper").unwrap();
    assert_eq!((stats.accepted, stats.handled, stats.failed), (2, 1, 1));
}

/// A service busy with all it may run leaves messages in its queue; a full
/// queue answers `queue-full` at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_service_queue_is_queue_full() {
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (started2, release2) = (Arc::clone(&started), Arc::clone(&release));
    let blocking = Service::new(move |call| {
        let (started, release) = (Arc::clone(&started2), Arc::clone(&release2));
        async move {
            started.notify_one();
            release.notified().await;
            Ok(call.payload)
        }
    })
    .concurrency(1)
    .mailbox_capacity(1);
    let system = SystemBuilder::new()
        .service_with("slow", blocking)
        .start()
        .await
        .unwrap();
    let first = system
        .request("slow", "1", Duration::from_secs(30))
        .unwrap();
    started.notified().await;
    let second = system
        .request("slow", "2", Duration::from_secs(30))
        .unwrap();
    assert!(matches!(
        system.send("slow", "3"),
        Err(MessagingError::QueueFull { .. })
    ));
    release.notify_one();
    assert_eq!(first.await.unwrap().as_bytes(), b"1");
    release.notify_one();
    assert_eq!(second.await.unwrap().as_bytes(), b"2");
}

/// Up to its concurrency, a service runs calls at once: four calls that
/// each wait for the other three all finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_runs_calls_concurrently() {
    let barrier = Arc::new(Barrier::new(4));
    let meeting = Service::new(move |call| {
        let barrier = Arc::clone(&barrier);
        async move {
            barrier.wait().await;
            Ok(call.payload)
        }
    })
    .concurrency(4);
    let system = SystemBuilder::new()
        .service_with("meeting", meeting)
        .start()
        .await
        .unwrap();
    let calls: Vec<_> = (0..4)
        .map(|n| {
            system
                .request("meeting", format!("{n}"), Duration::from_secs(30))
                .unwrap()
        })
        .collect();
    for (n, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap().as_bytes(), format!("{n}").as_bytes());
    }
}

/// A request to a service that does not answer in time gets exactly one
/// outcome, the timeout; a panic fails only the call that panicked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_and_panics_fail_only_their_request() {
    let moody = Service::new(|call| async move {
        match call.payload.as_bytes() {
            b"hang" => std::future::pending().await,
            b"boom" => panic!("asked to panic"),
            _ => Ok(call.payload),
        }
    });
    let system = SystemBuilder::new()
        .service_with("moody", moody)
        .start()
        .await
        .unwrap();
    let hung = system
        .request("moody", "hang", Duration::from_millis(100))
        .unwrap()
        .await;
    assert_eq!(
        hung,
        Err(RequestError::TimedOut {
            target: "moody".into(),
            timeout_ms: 100
        })
    );
    assert_eq!(
        outcome(&system, "moody", "boom").await,
        Err(RequestError::Trapped {
            responder: "moody".into(),
            trap: Trap::Panic("asked to panic".into())
        })
    );
    assert_eq!(answer(&system, "moody", "fine").await.as_bytes(), b"fine");
    let stats = system.component_stats("moody").unwrap();
    assert_eq!((stats.handled, stats.trapped), (1, 1));
}

/// A handler that panics before it returns its future fails that call
/// only; the service keeps answering.
#[tokio::test]
async fn a_handler_panicking_before_its_future_fails_one_call() {
    let eager = Service::new(|call| {
        assert!(call.payload.as_bytes() != b"boom", "panicked early");
        async move { Ok(call.payload) }
    });
    let system = SystemBuilder::new()
        .service_with("eager", eager)
        .start()
        .await
        .unwrap();
    assert_eq!(
        outcome(&system, "eager", "boom").await,
        Err(RequestError::Trapped {
            responder: "eager".into(),
            trap: Trap::Panic("panicked early".into())
        })
    );
    assert_eq!(answer(&system, "eager", "fine").await.as_bytes(), b"fine");
}

/// Shutdown ends pending timers instead of waiting for them: a timer an
/// hour away neither holds the drain nor counts as unhandled work.
#[tokio::test(start_paused = true)]
async fn shutdown_ends_pending_timers() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("assistant", ASSISTANT).grant("timer"))
        .start()
        .await
        .unwrap();
    assert_eq!(
        answer(&system, "assistant", "start-ticks 3600000")
            .await
            .as_bytes(),
        b"ticking"
    );
    // The clock is paused: waiting for the deadline would move it 60 s.
    let before = tokio::time::Instant::now();
    let report = system.shutdown(Duration::from_secs(60)).await;
    assert!(
        before.elapsed() < Duration::from_secs(60),
        "waited for the deadline"
    );
    assert_eq!(report.unhandled, 0, "{report:?}");
    assert_eq!(report.stopped, vec!["assistant".into()], "{report:?}");
}

/// A service asks components in turn, as itself, before it answers.
#[tokio::test]
async fn a_service_requests_components() {
    let asked = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&asked);
    let relay = Service::new(move |call| {
        let seen = Arc::clone(&seen);
        async move {
            seen.fetch_add(1, Ordering::Relaxed);
            let echoed = call
                .context
                .request("echo", call.payload, Duration::from_secs(5))
                .map_err(|refused| ComponentError::Failed(refused.to_string()))?
                .await
                .map_err(|failed| ComponentError::Failed(failed.to_string()))?;
            Ok(format!(
                "{} via {}",
                String::from_utf8_lossy(echoed.as_bytes()),
                call.context.id()
            )
            .into())
        }
    });
    let system = SystemBuilder::new()
        .service_with("relay", relay)
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap();
    assert_eq!(
        answer(&system, "relay", "hello").await.as_bytes(),
        b"hello via relay"
    );
    assert_eq!(asked.load(Ordering::Relaxed), 1);
}

/// The timer delivers on time, on tokio's paused clock: every 100 ms from
/// the moment it is scheduled, until cancelled.
#[tokio::test(start_paused = true)]
async fn timer_ticks_on_time_until_cancelled() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("assistant", ASSISTANT).grant("timer"))
        .start()
        .await
        .unwrap();
    assert_eq!(
        answer(&system, "assistant", "start-ticks 100")
            .await
            .as_bytes(),
        b"ticking"
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(
        answer(&system, "assistant", "ticks").await.as_bytes(),
        b"10"
    );
    assert_eq!(
        answer(&system, "assistant", "stop-ticks").await.as_bytes(),
        b"stopped"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        answer(&system, "assistant", "ticks").await.as_bytes(),
        b"10"
    );
    // Nothing is scheduled any more: the system is idle.
    system.wait_idle().await;
}

/// A timer's message goes only where its owner may send: a target it was
/// not granted is refused when scheduling; the host may aim anywhere.
#[tokio::test(start_paused = true)]
async fn a_timer_reaches_only_granted_targets() {
    let builder = SystemBuilder::new()
        .host_inbox(8)
        .component(ComponentSpec::from_bytes("echo", ECHO).grant("host"))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("timer")
                .grant("host"),
        );
    let (system, mut inbox) = start(builder).await;
    let requested = command(
        &system,
        "client",
        r#"request timer 5000 {"name":"x","after-ms":10,"to":"echo","message":"hi"}"#,
    )
    .await;
    let id = id_after(&requested, "requested");
    let (_, report) = next_report(&mut inbox).await;
    assert!(
        report.starts_with(&format!(
            "callback {id} err \"timer\" returned an error: invalid input: capability denied"
        )),
        "{report}"
    );

    // Aimed at the timer itself, its message would come from the timer,
    // which may message anyone: refused.
    let requested = command(
        &system,
        "client",
        r#"request timer 5000 {"name":"y","after-ms":1,"to":"timer","message":"{\"name\":\"z\",\"after-ms\":1,\"to\":\"echo\",\"message\":\"smuggled\"}"}"#,
    )
    .await;
    let id = id_after(&requested, "requested");
    let (_, report) = next_report(&mut inbox).await;
    assert_eq!(
        report,
        format!(
            "callback {id} err \"timer\" returned an error: invalid input: a timer cannot message the timer service"
        )
    );

    system
        .send(
            "timer",
            r#"{"name":"x","after-ms":50,"to":"echo","message":"from the host's timer"}"#,
        )
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(
        next_report(&mut inbox).await,
        (
            "echo".to_owned(),
            "delivered timer from the host's timer".to_owned()
        )
    );
}

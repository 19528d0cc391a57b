//! The examples' guests, run as their manifests run them.

use std::time::Duration;

use airssys_test_fixtures::{EVENT_EMITTER, EVENT_LISTENER, PING, PONG};
use airssys_wasm::{ComponentSpec, SystemBuilder};

use crate::common::system::answer;

/// ping's round: three requests answered, one timed out while pong was
/// still working, and pong's late answer dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_pong_round() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("ping", PING).grant("pong"))
        .component(ComponentSpec::from_bytes("pong", PONG))
        .start()
        .await
        .expect("starts");

    let started = answer(&system, "ping", "start").await;
    assert_eq!(started.as_bytes(), b"ping sent 4 requests for host");
    system.wait_idle().await;

    let stats = system.stats().requests;
    assert_eq!(stats.timed_out, 1, "the stalled request times out");
    assert_eq!(stats.late_responses, 1, "pong's late answer is dropped");
    assert_eq!(stats.pending, 0);
    let report = system.shutdown(Duration::from_secs(5)).await;
    assert!(report.aborted.is_empty());
}

/// event-log: each event sent to the emitter reaches every listener once,
/// fire-and-forget; each listener keeps its own count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_log_fans_out_to_every_listener() {
    let listeners = ["audit", "metrics", "alerts"];
    let mut builder = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("emitter", EVENT_EMITTER).grant_any());
    for name in listeners {
        builder = builder.component(ComponentSpec::from_bytes(name, EVENT_LISTENER));
    }
    let system = builder.start().await.expect("starts");

    for event in ["one", "two", "three"] {
        let listeners = answer(&system, "emitter", event).await;
        assert_eq!(listeners.as_bytes(), b"3 listeners");
    }
    system.wait_idle().await;
    for name in listeners {
        let count = answer(&system, name, "count").await;
        assert_eq!(count.as_bytes(), b"3", "{name} saw every event once");
    }
}

//! The ping-pong example, run as the `airssys` demo runs it.

use std::time::Duration;

use airssys_test_fixtures::{PING, PONG};
use airssys_wasm::{ComponentSpec, SystemBuilder};

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

    let started = system
        .request("ping", "start", Duration::from_secs(5))
        .unwrap()
        .await
        .unwrap();
    assert_eq!(started.as_bytes(), b"ping sent 4 requests for host");
    system.wait_idle().await;

    let stats = system.stats().requests;
    assert_eq!(stats.timed_out, 1, "the stalled request times out");
    assert_eq!(stats.late_responses, 1, "pong's late answer is dropped");
    assert_eq!(stats.pending, 0);
    let report = system.shutdown(Duration::from_secs(5)).await;
    assert!(report.aborted.is_empty());
}

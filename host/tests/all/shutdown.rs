//! Shutdown finishes what it can and fails the rest, visibly.

use std::time::Duration;

use airssys_test_fixtures::ECHO;
use airssys_wasm::{ComponentId, ComponentSpec, RequestError, SystemBuilder, Trap};

use crate::common::system::{answer, outcome};

/// A request pending at shutdown resolves with a shutdown error, and the
/// busy component is reported as aborted.
#[tokio::test]
async fn shutdown_fails_pending_requests() {
    let builder = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("busy", ECHO).time_budget(Duration::from_secs(3600)))
        .component(ComponentSpec::from_bytes("idle", ECHO));
    let system = builder.start().await.expect("starts");
    let pending = system
        .request("busy", "loop", Duration::from_secs(600))
        .expect("accepted");

    let report = system.shutdown(Duration::from_millis(50)).await;
    assert_eq!(report.aborted, [ComponentId::new("busy")]);
    assert_eq!(report.stopped, [ComponentId::new("idle")]);
    assert_eq!(report.failed_requests, 1);
    // The message busy was handling when it was stopped.
    assert_eq!(report.unhandled, 1);
    assert!(matches!(pending.await, Err(RequestError::Shutdown { .. })));
}

/// Messages already queued at shutdown are still handled.
#[tokio::test]
async fn shutdown_drains_mailboxes() {
    let builder = SystemBuilder::new().component(ComponentSpec::from_bytes("echo", ECHO));
    let system = builder.start().await.expect("starts");
    let pending = system
        .request("echo", "last words", Duration::from_secs(30))
        .expect("accepted");
    let report = system.shutdown(Duration::from_secs(30)).await;
    assert_eq!(report.failed_requests, 0);
    assert_eq!(
        pending.await.expect("answered before stopping").as_bytes(),
        b"last words"
    );
}

/// A guest stuck in a loop is interrupted at its time budget: the request
/// fails with a trap that says so, and the next message gets a fresh
/// instance.
#[tokio::test]
async fn time_budget_interrupts_a_looping_guest() {
    let builder = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).time_budget(Duration::from_millis(50)));
    let system = builder.start().await.expect("starts");
    let error = outcome(&system, "echo", "loop")
        .await
        .expect_err("interrupted");
    assert_eq!(
        error,
        RequestError::Trapped {
            responder: "echo".into(),
            trap: Trap::TimeBudget { budget_ms: 50 }
        }
    );
    // echo answers again, from a fresh instance.
    assert_eq!(answer(&system, "echo", "back").await.as_bytes(), b"back");
}

/// Dropping a system whose guest is stuck in a loop returns at once and
/// fails the pending request; nothing waits for the guest.
#[tokio::test]
async fn drop_does_not_wait_for_a_looping_guest() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("busy", ECHO).time_budget(Duration::from_secs(3600)))
        .start()
        .await
        .expect("starts");
    let pending = system
        .request("busy", "loop", Duration::from_secs(600))
        .expect("accepted");
    drop(system);
    assert!(matches!(pending.await, Err(RequestError::Shutdown { .. })));
}

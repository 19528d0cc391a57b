//! Timeouts and cancellation, on tokio's paused clock.

use std::time::Duration;

use airssys_wasm::{ComponentSpec, RequestError};

use crate::common::system::{client_and_echo, command, id_after, next_report, start};

/// A request the responder never answers (it loops) gets exactly one error
/// callback when the host's timer fires, however long we wait afterwards.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn timeout_delivers_exactly_one_error_callback() {
    let (system, mut inbox) = start(client_and_echo().time_budget(Duration::from_secs(3600))).await;

    let answer = command(&system, "client", "request echo 100 loop").await;
    let id = id_after(&answer, "requested");
    tokio::time::advance(Duration::from_millis(150)).await;
    assert_eq!(
        next_report(&mut inbox).await,
        (
            "client".to_owned(),
            format!("callback {id} err request to \"echo\" timed out after 100 ms")
        )
    );

    tokio::time::advance(Duration::from_secs(60)).await;
    tokio::task::yield_now().await;
    assert!(inbox.try_recv().is_none(), "a second callback arrived");
    let stats = system.stats();
    assert_eq!(stats.requests.timed_out, 1);
    assert_eq!(stats.requests.pending, 0);
    // On the paused clock a looping guest keeps the runtime busy, so no
    // shutdown deadline would ever arrive; dropping stops echo at once.
    drop(system);
}

/// After a successful cancel no callback is delivered, neither the
/// response nor the timeout.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn cancelled_request_gets_no_callback() {
    let (system, mut inbox) = start(client_and_echo()).await;

    // Echo is busy first, so the cancel always comes before its answer,
    // even if an epoch tick lets echo run in the middle of the client's
    // call (else the answer could complete the request first, and the
    // cancel would find nothing to cancel).
    system.send("echo", "spin 50").unwrap();
    let answer = command(&system, "client", "request-then-cancel echo 100 hi").await;
    id_after(&answer, "cancelled");
    system.wait_idle().await;
    tokio::time::advance(Duration::from_secs(1)).await;
    system.wait_idle().await;

    assert!(
        inbox.try_recv().is_none(),
        "a cancelled request got a callback"
    );
    let stats = system.stats();
    assert_eq!(stats.requests.timed_out, 0);
    assert_eq!(
        stats.requests.late_responses, 1,
        "echo's answer should be dropped as late"
    );
}

/// A component can cancel only its own requests; a guessed or foreign id
/// gets `correlation-timeout`. The host's own cancel works, and its awaited
/// response then says it was cancelled.
#[tokio::test(flavor = "current_thread")]
async fn cancel_is_limited_to_own_requests() {
    let builder = client_and_echo().time_budget(Duration::from_secs(3600));
    let (system, _inbox) = start(builder).await;

    let answer = command(&system, "client", "cancel made-up-id").await;
    assert!(answer.starts_with("error CorrelationTimeout("), "{answer}");

    let hosts = system
        .request("echo", "loop", Duration::from_secs(600))
        .expect("accepted");
    let id = hosts.correlation_id().clone();
    let answer = command(&system, "client", &format!("cancel {id}")).await;
    assert!(answer.starts_with("error CorrelationTimeout("), "{answer}");

    system
        .cancel(&id)
        .expect("the host cancels its own request");
    assert!(matches!(hosts.await, Err(RequestError::Cancelled { .. })));
    system.shutdown(Duration::from_millis(10)).await;
}

/// The host application's own request times out too.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn host_request_times_out() {
    let builder = airssys_wasm::SystemBuilder::new().component(
        ComponentSpec::from_bytes("echo", airssys_test_fixtures::ECHO)
            .time_budget(Duration::from_secs(3600)),
    );
    let system = builder.start().await.expect("starts");
    let pending = system
        .request("echo", "loop", Duration::from_millis(250))
        .expect("accepted");
    tokio::time::advance(Duration::from_millis(300)).await;
    let error = pending.await.expect_err("nobody answers");
    assert_eq!(
        error,
        RequestError::TimedOut {
            target: "echo".into(),
            timeout_ms: 250
        }
    );
    drop(system);
}

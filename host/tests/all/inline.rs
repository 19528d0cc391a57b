//! A host request to an idle component is handled on the task that awaits
//! it, with the guarantees of the actor's own path: the mailbox's order,
//! the time budget, supervision and shutdown.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use airssys_test_fixtures::{ECHO, RELAY};
use airssys_wasm::{
    ComponentId, ComponentSpec, MessagePayload, MessagingError, PendingResponse, RequestError,
    RestartPolicy, SupervisionEventKind, System, SystemBuilder, Trap,
};

use crate::common::system::answer;

const PATIENCE: Duration = Duration::from_secs(30);

/// The first poll of `pending`, and the response to await if that was not
/// the end.
async fn first_poll(
    pending: PendingResponse,
) -> Result<Result<MessagePayload, RequestError>, PendingResponse> {
    let mut pending = Box::pin(pending);
    let first = std::future::poll_fn(|cx| Poll::Ready(pending.as_mut().poll(cx))).await;
    match first {
        Poll::Ready(outcome) => Ok(outcome),
        Poll::Pending => Err(*Pin::into_inner(pending)),
    }
}

/// On one thread the component's actor cannot run between the request and
/// its first poll: an answer there was handled by the requester itself. (A
/// call that an epoch tick interrupts is handed over and finishes later, so
/// not every answer need be ready; with no inline handling, none would be.)
#[tokio::test(flavor = "current_thread")]
async fn an_idle_components_answer_is_ready_at_the_first_poll() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap();
    answer(&system, "echo", "warm-up").await;
    let mut ready_at_once = 0;
    for round in 0..20 {
        let text = format!("round {round}");
        let pending = system.request("echo", text.as_str(), PATIENCE).unwrap();
        let outcome = match first_poll(pending).await {
            Ok(outcome) => {
                ready_at_once += 1;
                outcome
            }
            Err(pending) => pending.await,
        };
        assert_eq!(outcome.unwrap().as_bytes(), text.as_bytes());
    }
    assert!(ready_at_once > 0, "no answer was ready at its first poll");
    let stats = system.component_stats("echo").unwrap();
    assert_eq!((stats.accepted, stats.handled), (21, 21));
}

/// A request does not overtake messages queued before it: it waits for the
/// actor, which handles them first.
#[tokio::test(flavor = "current_thread")]
async fn messages_queued_before_a_request_are_handled_before_it() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("relay", RELAY))
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        system.send("relay", "counted").unwrap();
    }
    let pending = system.request("relay", "count", PATIENCE).unwrap();
    let pending = first_poll(pending).await.expect_err("waits its turn");
    assert_eq!(pending.await.unwrap().as_bytes(), b"3");
}

/// A call that has to wait (here, a guest that loops past epoch ticks)
/// finishes on a task of its own; the time budget still cuts it off, and
/// the supervisor gives the next request a fresh instance.
#[tokio::test(flavor = "current_thread")]
async fn a_call_handed_over_is_still_cut_off_at_its_time_budget() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).time_budget(Duration::from_millis(50)))
        .start()
        .await
        .unwrap();
    let pending = system.request("echo", "loop", PATIENCE).unwrap();
    let pending = first_poll(pending).await.expect_err("still running");
    assert_eq!(
        pending.await.unwrap_err(),
        RequestError::Trapped {
            responder: "echo".into(),
            trap: Trap::TimeBudget { budget_ms: 50 }
        }
    );
    assert_eq!(answer(&system, "echo", "back").await.as_bytes(), b"back");
}

/// Tasks alive on this runtime, once those ending have ended.
async fn tasks_settle_at(expected: usize) -> usize {
    let metrics = tokio::runtime::Handle::current().metrics();
    for _ in 0..500 {
        if metrics.num_alive_tasks() == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    metrics.num_alive_tasks()
}

/// A system whose `busy` component loops in a call a requester handed
/// over, that call's response, and the tasks alive before the system.
async fn busy_with_a_call_handed_over() -> (System, PendingResponse, usize) {
    let before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("busy", ECHO).time_budget(Duration::from_secs(3600)))
        .start()
        .await
        .unwrap();
    let pending = system.request("busy", "loop", PATIENCE).unwrap();
    let pending = first_poll(pending).await.expect_err("still running");
    (system, pending, before)
}

/// Shutdown stops a call a requester handed over, as it stops the actor's
/// own: the request fails with the shutdown error and no task is left
/// running the guest.
#[tokio::test(flavor = "current_thread")]
async fn shutdown_stops_a_call_handed_over() {
    let (system, pending, before) = busy_with_a_call_handed_over().await;
    let report = system.shutdown(Duration::from_millis(50)).await;
    assert_eq!(report.aborted, [ComponentId::new("busy")]);
    assert!(matches!(pending.await, Err(RequestError::Shutdown { .. })));
    assert_eq!(tasks_settle_at(before).await, before);
}

/// Dropping the system stops a call handed over too.
#[tokio::test(flavor = "current_thread")]
async fn dropping_the_system_stops_a_call_handed_over() {
    let (system, pending, before) = busy_with_a_call_handed_over().await;
    drop(system);
    assert!(matches!(pending.await, Err(RequestError::Shutdown { .. })));
    assert_eq!(tasks_settle_at(before).await, before);
}

/// Requesters on both workers and fire-and-forget messages race for the
/// same component: every request gets its own answer, echo handles each
/// task's messages in the order that task sent them, and every message is
/// handled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requesters_racing_the_actor_each_get_their_own_answer() {
    const TASKS: usize = 4;
    const EACH: usize = 300;
    let mut system = SystemBuilder::new()
        .host_inbox(4 * TASKS * EACH)
        .component(
            ComponentSpec::from_bytes("echo", ECHO)
                .grant("host")
                .mailbox_capacity(4096),
        )
        .start()
        .await
        .unwrap();
    let mut inbox = system.take_inbox().unwrap();
    let system = Arc::new(system);
    let mut requesters = Vec::new();
    for task in 0..TASKS {
        let system = Arc::clone(&system);
        requesters.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for round in 0..EACH {
                if round % 3 == 0 {
                    let text = format!("{task}/sent-{round}");
                    system.send("echo", text.as_str()).unwrap();
                    sent.push(text);
                }
                let text = format!("{task}/{round}");
                let pending = system.request("echo", text.as_str(), PATIENCE).unwrap();
                assert_eq!(pending.await.unwrap().as_bytes(), text.as_bytes());
                sent.push(text);
            }
            sent
        }));
    }
    let mut sent = Vec::new();
    for requester in requesters {
        sent.push(requester.await.unwrap());
    }
    system.wait_idle().await;
    // Echo reports each message it handles, before answering it.
    let mut handled = vec![Vec::new(); TASKS];
    while let Some(report) = inbox.try_recv() {
        let text = String::from_utf8(report.payload.into_bytes()).unwrap();
        let message = text.strip_prefix("delivered host ").unwrap().to_owned();
        let task: usize = message.split('/').next().unwrap().parse().unwrap();
        handled[task].push(message);
    }
    assert_eq!(
        handled, sent,
        "each task's messages, in the order it sent them"
    );
}

/// A guest stuck in a call handed over, under `never`: when its time budget
/// cuts it off, the component is marked failed and the request queued
/// behind it fails with it.
#[tokio::test(flavor = "current_thread")]
async fn giving_up_in_a_call_handed_over_fails_what_is_queued() {
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("echo", ECHO)
                .time_budget(Duration::from_millis(50))
                .restart_policy(RestartPolicy::Never),
        )
        .start()
        .await
        .unwrap();
    let looping = system.request("echo", "loop", PATIENCE).unwrap();
    let looping = first_poll(looping).await.expect_err("still running");
    let queued = system.request("echo", "queued", PATIENCE).unwrap();
    assert!(matches!(
        looping.await,
        Err(RequestError::Trapped {
            trap: Trap::TimeBudget { .. },
            ..
        })
    ));
    assert!(matches!(
        queued.await,
        Err(RequestError::TargetStopped { .. })
    ));
    assert!(matches!(
        system.request("echo", "later", PATIENCE),
        Err(MessagingError::TargetFailed { .. })
    ));
}

/// A trap in a call a requester ran is supervised as on the actor's task:
/// under `never`, the component is marked failed, what was queued behind
/// it fails, and later messages are refused.
#[tokio::test(flavor = "current_thread")]
async fn a_trap_in_a_call_run_inline_is_supervised() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).restart_policy(RestartPolicy::Never))
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();
    let pending = system.request("echo", "panic", PATIENCE).unwrap();
    let outcome = match first_poll(pending).await {
        Ok(outcome) => outcome,
        Err(pending) => pending.await,
    };
    assert!(
        matches!(outcome, Err(RequestError::Trapped { .. })),
        "{outcome:?}"
    );
    assert!(matches!(
        events.recv().await.unwrap().kind,
        SupervisionEventKind::Trapped { .. }
    ));
    assert!(matches!(
        events.recv().await.unwrap().kind,
        SupervisionEventKind::GaveUp { .. }
    ));
    assert!(matches!(
        system.request("echo", "again", PATIENCE),
        Err(MessagingError::TargetFailed { .. })
    ));
}

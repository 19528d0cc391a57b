//! The two patterns, end to end between real components.

use std::collections::HashMap;
use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{ComponentError, ComponentSpec, RequestError, SystemBuilder};

use crate::common::system::{
    answer, client_and_echo, command, id_after, next_report, outcome, start,
};

/// Fire-and-forget reaches the target, and the target's return value goes
/// nowhere: the sender gets no callback.
#[tokio::test]
async fn fire_and_forget_is_delivered_and_its_return_value_dropped() {
    let builder = client_and_echo()
        .component(ComponentSpec::from_bytes("echo2", ECHO).grant("host"))
        .grant("client", "echo2");
    let (system, mut inbox) = start(builder).await;

    assert_eq!(command(&system, "client", "send echo2 hello").await, "sent");
    assert_eq!(
        next_report(&mut inbox).await,
        ("echo2".to_owned(), "delivered client hello".to_owned())
    );

    system.wait_idle().await;
    assert!(
        inbox.try_recv().is_none(),
        "fire-and-forget produced a callback"
    );
    let stats = system.stats();
    assert_eq!(stats.requests.pending, 0);
    assert_eq!(stats.requests.late_responses, 0);
}

/// The host application can send fire-and-forget too; its sender id is
/// `host`.
#[tokio::test]
async fn host_sends_fire_and_forget() {
    let builder = SystemBuilder::new()
        .host_inbox(8)
        .component(ComponentSpec::from_bytes("echo", ECHO).grant("host"));
    let (system, mut inbox) = start(builder).await;

    system.send("echo", "from the host").expect("accepted");
    assert_eq!(
        next_report(&mut inbox).await,
        ("echo".to_owned(), "delivered host from the host".to_owned())
    );
}

/// A request's response is the responder's return value, delivered to the
/// requester's `handle-callback` under the id `send-request` returned.
#[tokio::test]
async fn request_response_delivers_return_value_to_callback() {
    let (system, mut inbox) = start(client_and_echo()).await;

    let answer = command(&system, "client", "request echo 5000 hi").await;
    let id = id_after(&answer, "requested");
    assert_eq!(
        next_report(&mut inbox).await,
        ("client".to_owned(), format!("callback {id} ok hi"))
    );
    system.wait_idle().await;
    assert!(inbox.try_recv().is_none(), "more than one callback");
}

/// Two requesters asking the same responder each get their own answer
/// under their own id.
#[tokio::test]
async fn responses_reach_the_requester_that_asked() {
    let builder = client_and_echo().component(
        ComponentSpec::from_bytes("other", CLIENT)
            .grant("echo")
            .grant("host"),
    );
    let (system, mut inbox) = start(builder).await;

    let first = command(&system, "client", "request echo 5000 from-client").await;
    let second = command(&system, "other", "request echo 5000 from-other").await;
    let mut expected = HashMap::from([
        (
            "client".to_owned(),
            format!("callback {} ok from-client", id_after(&first, "requested")),
        ),
        (
            "other".to_owned(),
            format!("callback {} ok from-other", id_after(&second, "requested")),
        ),
    ]);
    for _ in 0..2 {
        let (sender, report) = next_report(&mut inbox).await;
        assert_eq!(expected.remove(&sender), Some(report));
    }
}

/// A responder's error is the requester's error callback.
#[tokio::test]
async fn responder_error_becomes_error_callback() {
    let (system, mut inbox) = start(client_and_echo()).await;

    let answer = command(&system, "client", "request echo 5000 fail").await;
    let id = id_after(&answer, "requested");
    let (_, report) = next_report(&mut inbox).await;
    assert_eq!(
        report,
        format!("callback {id} err \"echo\" returned an error: asked to fail")
    );
}

/// A trap fails only the message that caused it; the responder answers the
/// next one from a fresh instance.
#[tokio::test]
async fn trap_fails_that_request_only() {
    let (system, mut inbox) = start(client_and_echo()).await;

    let answer = command(&system, "client", "request echo 5000 panic").await;
    let id = id_after(&answer, "requested");
    let (_, report) = next_report(&mut inbox).await;
    assert!(
        report.starts_with(&format!(
            "callback {id} err \"echo\" trapped while handling the request"
        )),
        "{report}"
    );

    let answer = command(&system, "client", "request echo 5000 again").await;
    let id = id_after(&answer, "requested");
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!("callback {id} ok again")
    );
}

/// The host application can request and await the response itself.
#[tokio::test]
async fn host_request_awaits_the_response() {
    let (system, _inbox) = start(client_and_echo()).await;

    assert_eq!(answer(&system, "echo", "ping").await.as_bytes(), b"ping");

    let failure = outcome(&system, "echo", "fail")
        .await
        .expect_err("echo fails on `fail`");
    assert_eq!(
        failure,
        RequestError::Responder {
            responder: "echo".into(),
            error: ComponentError::Failed("asked to fail".into())
        }
    );
}

/// Many components making many concurrent requests: every callback matches
/// the request it answers, and each id is answered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_requests_are_each_matched_once() {
    const CLIENTS: usize = 8;
    const PER_CLIENT: usize = 250;
    let mut builder = SystemBuilder::new()
        .host_inbox(CLIENTS * PER_CLIENT)
        .component(ComponentSpec::from_bytes("echo", ECHO).mailbox_capacity(CLIENTS * PER_CLIENT));
    for n in 0..CLIENTS {
        builder = builder.component(
            ComponentSpec::from_bytes(format!("client{n}"), CLIENT)
                .grant("echo")
                .grant("host")
                .max_pending_requests(PER_CLIENT),
        );
    }
    let (system, mut inbox) = start(builder).await;

    // Start every burst before reading any answer, so they overlap.
    let bursts: Vec<_> = (0..CLIENTS)
        .map(|n| {
            system
                .request(
                    &format!("client{n}"),
                    format!("burst echo 60000 {PER_CLIENT}"),
                    Duration::from_secs(60),
                )
                .expect("accepted")
        })
        .collect();
    let mut expected = HashMap::new();
    for (n, burst) in bursts.into_iter().enumerate() {
        let answer = String::from_utf8(burst.await.expect("burst answered").into_bytes()).unwrap();
        for line in answer.lines() {
            let (id, payload) = line.split_once('=').expect("id=payload");
            let previous =
                expected.insert(id.to_owned(), (format!("client{n}"), payload.to_owned()));
            assert!(previous.is_none(), "id {id} issued twice");
        }
    }
    assert_eq!(expected.len(), CLIENTS * PER_CLIENT);

    for _ in 0..CLIENTS * PER_CLIENT {
        let (sender, report) = next_report(&mut inbox).await;
        let rest = report.strip_prefix("callback ").expect("a callback report");
        let (id, outcome) = rest.split_once(' ').unwrap();
        let (requester, payload) = expected
            .remove(id)
            .unwrap_or_else(|| panic!("unknown or repeated id {id}"));
        assert_eq!(sender, requester, "callback went to the wrong component");
        assert_eq!(outcome, format!("ok {payload}"));
    }
    system.wait_idle().await;
    assert!(inbox.try_recv().is_none(), "a request was answered twice");
    assert_eq!(system.stats().requests.pending, 0);
}

/// Concurrent requests from the host application each get their own
/// response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_host_requests_get_their_own_responses() {
    let builder = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("echo", ECHO).mailbox_capacity(1000));
    let system = builder.start().await.expect("starts");
    let pending: Vec<_> = (0..1000)
        .map(|i| {
            (
                i,
                system
                    .request("echo", format!("n{i}"), Duration::from_secs(30))
                    .expect("accepted"),
            )
        })
        .collect();
    for (i, response) in pending {
        assert_eq!(
            response.await.expect("answered").as_bytes(),
            format!("n{i}").as_bytes()
        );
    }
}

/// The benchmark relay works as the benchmarks assume: a chain of request
/// round trips ends with `done`, and a burst is handled in full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_chains_and_bursts() {
    let bytes: std::sync::Arc<[u8]> = std::sync::Arc::from(airssys_test_fixtures::RELAY);
    let builder = SystemBuilder::new()
        .host_inbox(8)
        .component(
            ComponentSpec::from_bytes("a", bytes.clone())
                .grant("b")
                .grant("host"),
        )
        .component(ComponentSpec::from_bytes("b", bytes));
    let (system, mut inbox) = start(builder).await;

    system.send("a", "chain b 25 64").unwrap();
    assert_eq!(
        next_report(&mut inbox).await,
        ("a".to_owned(), "done".to_owned())
    );
    system.send("a", "burst b 100 4096").unwrap();
    system.wait_idle().await;
    assert_eq!(answer(&system, "b", "count").await.as_bytes(), b"125");
}

/// A zero timeout on a host request means the system's default, not
/// "expire at once": a responder that takes 20 ms still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_timeout_means_the_default() {
    let system = SystemBuilder::new()
        .default_timeout(Duration::from_secs(30))
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .start()
        .await
        .unwrap();
    let answer = system
        .request("echo", "spin 20", Duration::ZERO)
        .unwrap()
        .await;
    assert_eq!(answer.unwrap().as_bytes(), b"spin 20");
}

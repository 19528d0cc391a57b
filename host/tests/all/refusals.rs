//! Messages the router refuses at once, with an error that says why, and
//! nothing queued.

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{ComponentId, ComponentSpec, MessagingError, SystemBuilder};

use crate::common::system::{client_and_echo, command, start};

/// An unknown target is `target-not-found`, for the host and for guests.
#[tokio::test]
async fn unknown_target_is_refused() {
    let (system, _inbox) = start(client_and_echo()).await;
    assert_eq!(
        system.send("nobody", "x"),
        Err(MessagingError::TargetNotFound(ComponentId::new("nobody")))
    );
    // The client holds no grant for `nobody`, so its refusal is the grant.
    let answer = command(&system, "client", "send nobody x").await;
    assert!(answer.starts_with("error CapabilityDenied("), "{answer}");
}

/// A granted but absent target is `target-not-found` from inside a guest.
#[tokio::test]
async fn guest_sees_target_not_found() {
    let builder =
        SystemBuilder::new().component(ComponentSpec::from_bytes("client", CLIENT).grant_any());
    let system = builder.start().await.expect("starts");
    let answer = command(&system, "client", "request nobody 100 x").await;
    assert_eq!(
        answer,
        "error TargetNotFound(\"target component not found: \\\"nobody\\\"\")"
    );
}

/// A component may message only what it was granted; the error names the
/// missing grant, and nothing is delivered.
#[tokio::test]
async fn ungranted_target_is_refused() {
    let builder = SystemBuilder::new()
        .host_inbox(8)
        .component(ComponentSpec::from_bytes("echo", ECHO).grant("host"))
        .component(ComponentSpec::from_bytes("client", CLIENT));
    let (system, mut inbox) = start(builder).await;
    // The guest sees the WIT case, its text naming the grant.
    let answer = command(&system, "client", "request echo 100 x").await;
    assert_eq!(
        answer,
        "error CapabilityDenied(\"capability denied: \\\"client\\\" may not message \\\"echo\\\" (missing grant client -> echo)\")"
    );
    system.wait_idle().await;
    assert!(
        inbox.try_recv().is_none(),
        "echo received a refused message"
    );
}

/// A full mailbox answers `queue-full` at once and queues nothing; the
/// messages already accepted are still handled.
#[tokio::test(flavor = "current_thread")]
async fn full_mailbox_is_queue_full() {
    let builder = SystemBuilder::new().host_inbox(8).component(
        ComponentSpec::from_bytes("echo", ECHO)
            .grant("host")
            .mailbox_capacity(2),
    );
    let (system, mut inbox) = start(builder).await;

    // On a current-thread runtime echo cannot run until we await, so the
    // mailbox fills deterministically.
    system.send("echo", "one").expect("first fits");
    system.send("echo", "two").expect("second fits");
    assert_eq!(
        system.send("echo", "three"),
        Err(MessagingError::QueueFull {
            target: ComponentId::new("echo"),
            capacity: 2
        })
    );
    let refused = system.request("echo", "four", std::time::Duration::from_secs(1));
    assert!(matches!(refused, Err(MessagingError::QueueFull { .. })));
    assert_eq!(
        system.stats().requests.pending,
        0,
        "a refused request stayed pending"
    );

    system.wait_idle().await;
    let mut delivered = Vec::new();
    while let Some(message) = inbox.try_recv() {
        delivered.push(String::from_utf8(message.payload.into_bytes()).unwrap());
    }
    assert_eq!(delivered, ["delivered host one", "delivered host two"]);
}

/// An oversized payload is `invalid-message` naming its size and the limit.
#[tokio::test]
async fn oversized_payload_is_refused() {
    let (system, _inbox) = start(client_and_echo().max_payload_bytes(200)).await;
    let error = system.send("echo", vec![0u8; 201]).expect_err("too large");
    assert_eq!(
        error,
        MessagingError::PayloadTooLarge {
            size: 201,
            limit: 200
        }
    );
    assert_eq!(
        command(&system, "client", "send-zeros echo 200").await,
        "sent"
    );
    let answer = command(&system, "client", "send-zeros echo 201").await;
    assert!(answer.starts_with("error InvalidMessage("), "{answer}");
}

/// The host application answers no requests: asking it is refused.
#[tokio::test]
async fn request_to_host_is_refused() {
    let (system, _inbox) = start(client_and_echo()).await;
    let answer = command(&system, "client", "request host 100 x").await;
    assert_eq!(
        answer,
        format!(
            "error InvalidMessage({:?})",
            MessagingError::HostTakesNoRequests.to_string()
        )
    );
}

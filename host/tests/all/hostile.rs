//! Hostile guests hurt only themselves: the host and the well-behaved
//! components carry on, and every outcome is reported.

use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{ComponentSpec, RequestError, SystemBuilder, SystemError, Trap, WasmError};

use crate::common::system::{answer, command, id_after, next_report, outcome, start};

/// While one guest loops, the others keep answering; the loop is then
/// interrupted at its time budget and only its message fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_guest_does_not_stall_its_neighbours() {
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("looper", ECHO).time_budget(Duration::from_millis(500)),
        )
        .component(ComponentSpec::from_bytes("neighbour", ECHO))
        .start()
        .await
        .unwrap();
    let looping = system
        .request("looper", "loop", Duration::from_secs(60))
        .unwrap();
    for n in 0..20 {
        let answer = answer(&system, "neighbour", format!("n{n}")).await;
        assert_eq!(answer.as_bytes(), format!("n{n}").as_bytes());
    }
    let error = looping.await.expect_err("interrupted");
    assert!(
        matches!(
            error,
            RequestError::Trapped {
                trap: Trap::TimeBudget { budget_ms: 500 },
                ..
            }
        ),
        "{error}"
    );
}

/// A guest that allocates without end traps at its memory limit; it fails
/// only that message and answers the next one from a fresh instance.
#[tokio::test]
async fn memory_bomb_fails_only_its_message() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("bomb", ECHO).memory_limit(16 * 1024 * 1024))
        .component(ComponentSpec::from_bytes("neighbour", ECHO))
        .start()
        .await
        .unwrap();
    let error = outcome(&system, "bomb", "grow").await.expect_err("trapped");
    assert!(
        matches!(
            error,
            RequestError::Trapped {
                trap: Trap::MemoryLimit {
                    limit: 16_777_216,
                    ..
                },
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        answer(&system, "neighbour", "fine").await.as_bytes(),
        b"fine"
    );
    assert_eq!(answer(&system, "bomb", "again").await.as_bytes(), b"again");
}

/// A memory limit below what the guest needs to start is an instantiation
/// error at start, not a crash later.
#[tokio::test]
async fn memory_limit_below_start_is_refused_at_start() {
    let error = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("tiny", ECHO).memory_limit(64 * 1024))
        .start()
        .await
        .expect_err("cannot start in 64 KiB");
    assert!(
        matches!(error, SystemError::Wasm(WasmError::Instantiate { ref name, .. }) if name == "tiny"),
        "{error:?}"
    );
}

/// Flooding a neighbour: the flood is cut off with `queue-full`, the
/// victim handles exactly what was accepted, and it still answers.
#[tokio::test(flavor = "current_thread")]
async fn flood_is_cut_off_with_queue_full() {
    let builder = SystemBuilder::new()
        .host_inbox(1024)
        .component(
            ComponentSpec::from_bytes("victim", ECHO)
                .mailbox_capacity(8)
                .grant("host"),
        )
        .component(ComponentSpec::from_bytes("flooder", CLIENT).grant("victim"));
    let (system, mut inbox) = start(builder).await;

    let flood = command(&system, "flooder", "flood victim 100").await;
    let (accepted, full): (u32, u32) = {
        let words: Vec<&str> = flood.split(' ').collect();
        assert_eq!((words[0], words[2]), ("accepted", "queue-full"), "{flood}");
        (words[1].parse().unwrap(), words[3].parse().unwrap())
    };
    assert_eq!(accepted + full, 100);
    assert!(full > 0, "a mailbox of 8 took a flood of 100");

    system.wait_idle().await;
    let mut handled = 0;
    while let Some(message) = inbox.try_recv() {
        assert!(
            message
                .payload
                .as_bytes()
                .starts_with(b"delivered flooder flood-")
        );
        handled += 1;
    }
    assert_eq!(
        handled, accepted,
        "every accepted message is handled, no other"
    );
    assert_eq!(
        answer(&system, "victim", "still here").await.as_bytes(),
        b"still here"
    );
}

/// A giant payload from a guest is refused with `invalid-message`; nothing
/// reaches the target.
#[tokio::test]
async fn giant_payload_from_a_guest_is_refused() {
    let builder = SystemBuilder::new()
        .host_inbox(16)
        .component(ComponentSpec::from_bytes("echo", ECHO).grant("host"))
        .component(ComponentSpec::from_bytes("client", CLIENT).grant("echo"));
    let (system, mut inbox) = start(builder).await;
    let answer = command(&system, "client", "send-zeros echo 4194304").await;
    assert!(
        answer.starts_with(
            "error InvalidMessage(\"payload of 4194304 bytes exceeds the limit of 1048576 bytes\""
        ),
        "{answer}"
    );
    system.wait_idle().await;
    assert!(inbox.try_recv().is_none());
}

/// A component may request itself: the request is handled after the
/// current message, and its outcome comes back to its own callback.
#[tokio::test]
async fn requesting_itself_is_answered_later() {
    let builder = SystemBuilder::new().host_inbox(16).component(
        ComponentSpec::from_bytes("client", CLIENT)
            .grant("client")
            .grant("host"),
    );
    let (system, mut inbox) = start(builder).await;
    let answer = command(&system, "client", "request client 5000 hello").await;
    let id = id_after(&answer, "requested");
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!(
            "callback {id} err \"client\" returned an error: unsupported: unknown command \"hello\""
        )
    );
}

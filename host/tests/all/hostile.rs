//! Hostile guests hurt only themselves: one test per attack of the
//! `fixture-hostile` component (and the hand-written ones beside it), each
//! checking that the host, its memory and the well-behaved components carry
//! on, and that every outcome is reported.

use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO, HOSTILE, TABLE_GROWER, TWO_MEMORIES};
use airssys_wasm::{
    ComponentError, ComponentSpec, RequestError, SystemBuilder, SystemError, Trap, WasmError,
};

use crate::common::log_capture::LogCapture;
use crate::common::system::{answer, command, id_after, next_report, outcome, start};

/// Whether `error` is `responder` cut off at its time budget of `budget_ms`.
fn cut_off(error: &RequestError, budget_ms: u64) -> bool {
    matches!(
        error,
        RequestError::Trapped { trap: Trap::TimeBudget { budget_ms: ms }, .. } if *ms == budget_ms
    )
}

/// `loop`: while one guest loops, the others keep answering; the loop is
/// then cut off at its time budget and only its message fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn looping_guest_does_not_stall_its_neighbours() {
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("looper", HOSTILE).time_budget(Duration::from_millis(500)),
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
    let error = looping.await.expect_err("cut off");
    assert!(cut_off(&error, 500), "{error}");
}

/// `sleep`: a guest waiting in a host call (a WASI clock) is cut off at its
/// time budget like a looping one, and answers again from a fresh instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeping_guest_is_cut_off_at_its_time_budget() {
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("sleeper", HOSTILE).time_budget(Duration::from_millis(300)),
        )
        .start()
        .await
        .unwrap();
    let mut events = system.subscribe_events();
    let error = outcome(&system, "sleeper", "sleep 60000")
        .await
        .expect_err("cut off, not woken up");
    assert!(cut_off(&error, 300), "{error}");
    let trapped = events.recv().await.unwrap();
    assert!(
        matches!(
            trapped.kind,
            airssys_wasm::SupervisionEventKind::Trapped {
                trap: Trap::TimeBudget { .. }
            }
        ),
        "{trapped:?}"
    );
    assert_eq!(answer(&system, "sleeper", "hi").await.as_bytes(), b"hi");
}

/// `read`: a guest blocked in a host file call that never completes
/// (opening a FIFO no one writes) is cut off at its time budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_blocked_in_a_file_call_is_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let _unblock = UnblockOnDrop(fifo.clone());
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("reader", HOSTILE)
                .time_budget(Duration::from_millis(300))
                .wasi_dir(dir.path(), "/data", true),
        )
        .start()
        .await
        .unwrap();
    let error = outcome(&system, "reader", "read /data/fifo")
        .await
        .expect_err("cut off");
    assert!(cut_off(&error, 300), "{error}");
    assert_eq!(answer(&system, "reader", "hi").await.as_bytes(), b"hi");
}

/// Opening a FIFO for reading blocks until someone opens it for writing:
/// the host thread doing the guest's open waits there. Dropped, even on a
/// failed assertion, this opens it for writing, so that thread ends and the
/// runtime can shut down.
struct UnblockOnDrop(std::path::PathBuf);

impl Drop for UnblockOnDrop {
    fn drop(&mut self) {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Non-blocking: with no reader waiting it fails at once, harmlessly.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&self.0);
    }
}

/// `grow`: a guest that allocates without end traps at its memory limit;
/// it fails only that message and answers the next one from a fresh
/// instance.
#[tokio::test]
async fn memory_bomb_fails_only_its_message() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("bomb", HOSTILE).memory_limit(16 * 1024 * 1024))
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

/// Two memories, each grown under the limit, together over it: the memory
/// limit is the component's, not each memory's.
#[tokio::test]
async fn memory_limit_covers_every_memory() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("twice", TWO_MEMORIES).memory_limit(32 << 20))
        .start()
        .await
        .unwrap();
    let error = outcome(&system, "twice", "grow")
        .await
        .expect_err("trapped");
    assert!(
        matches!(
            error,
            RequestError::Trapped { trap: Trap::MemoryLimit { requested, limit: 33_554_432 }, .. }
                if requested > 32 << 20
        ),
        "{error}"
    );
}

/// A `table.grow` by 2^30 elements traps at the host's limit on table
/// elements instead of taking the host's memory.
#[tokio::test]
async fn table_growth_is_bounded() {
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("tables", TABLE_GROWER))
        .start()
        .await
        .unwrap();
    let error = outcome(&system, "tables", "grow")
        .await
        .expect_err("trapped");
    assert!(
        matches!(
            error,
            RequestError::Trapped {
                trap: Trap::TableLimit { .. },
                ..
            }
        ),
        "{error}"
    );
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

/// `flood <target> <bytes>`: one guest requesting large payloads in a loop
/// it never leaves. Its outstanding requests are capped and the outcomes
/// waiting for it are bounded in bytes, so what the host holds for it stays
/// under a bound the limits state; its neighbours keep answering, and
/// everything it made the host hold is let go once it is cut off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_flood_leaves_the_host_memory_bounded() {
    const PAYLOAD: usize = 1_000 * 1024;
    const MAX_PENDING: usize = 16;
    const CALLBACK_BYTES: usize = 4 << 20;
    let system = SystemBuilder::new()
        .component(
            ComponentSpec::from_bytes("attacker", HOSTILE)
                .grant("echo")
                .time_budget(Duration::from_secs(2))
                .max_pending_requests(MAX_PENDING)
                .callback_queue_bytes(CALLBACK_BYTES),
        )
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(ComponentSpec::from_bytes("neighbour", ECHO))
        .start()
        .await
        .unwrap();
    let attack = system
        .request("attacker", format!("flood echo {PAYLOAD}"), Duration::ZERO)
        .unwrap();
    for n in 0..20 {
        let answer = answer(&system, "neighbour", format!("n{n}")).await;
        assert_eq!(answer.as_bytes(), format!("n{n}").as_bytes());
    }
    let error = attack.await.expect_err("the flood never ends on its own");
    assert!(cut_off(&error, 2000), "{error}");
    system.wait_idle().await;

    let stats = system.stats();
    // At most: the requests outstanding (each in echo's mailbox or being
    // answered), the outcomes waiting within their byte limit, and one
    // answer being handed over.
    let bound = MAX_PENDING * PAYLOAD + CALLBACK_BYTES + PAYLOAD;
    assert!(
        stats.peak_bytes_in_flight <= bound,
        "peak {} > bound {bound}",
        stats.peak_bytes_in_flight
    );
    assert!(
        stats.refused > 0,
        "the cap on outstanding requests refused some"
    );
    assert_eq!(stats.bytes_in_flight, 0, "everything held was let go");
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

/// `answer` and `fail-with`: an answer or an error text past the payload
/// limit never reaches the requester, who gets an error naming the size
/// and the limit instead; the responder is not faulted for it.
#[tokio::test]
async fn oversized_answers_become_errors_for_the_requester() {
    let builder = SystemBuilder::new()
        .host_inbox(16)
        .max_payload_bytes(64 * 1024)
        .component(ComponentSpec::from_bytes("big", HOSTILE))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("big")
                .grant("host"),
        );
    let (system, mut inbox) = start(builder).await;
    let too_large = |size| RequestError::ResponseTooLarge {
        responder: "big".into(),
        size,
        limit: 65_536,
    };
    assert_eq!(
        outcome(&system, "big", "answer 1048576").await,
        Err(too_large(1_048_576))
    );
    assert_eq!(
        outcome(&system, "big", "fail-with 100000").await,
        Err(too_large(100_000))
    );
    assert_eq!(
        outcome(&system, "big", "fail-with 10").await,
        Err(RequestError::Responder {
            responder: "big".into(),
            error: ComponentError::Failed("e".repeat(10))
        })
    );
    // From a guest: the requester's callback gets the error, not the bytes.
    let requested = command(&system, "client", "request big 5000 answer 1048576").await;
    let id = id_after(&requested, "requested");
    assert_eq!(
        next_report(&mut inbox).await.1,
        format!("callback {id} err {}", too_large(1_048_576))
    );
    let big = system.component_stats("big").unwrap();
    assert_eq!((big.trapped, big.handled, big.failed), (0, 2, 2));
}

/// `connect`: without a network grant a guest opens no connection; with
/// one, it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_is_closed_without_a_grant() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("closed", HOSTILE))
        .component(ComponentSpec::from_bytes("open", HOSTILE).wasi_network())
        .start()
        .await
        .unwrap();
    let refused = outcome(&system, "closed", format!("connect {address}")).await;
    assert!(
        matches!(
            refused,
            Err(RequestError::Responder {
                error: ComponentError::Failed(_),
                ..
            })
        ),
        "{refused:?}"
    );
    let connected = answer(&system, "open", format!("connect {address}")).await;
    assert_eq!(connected.as_bytes(), b"connected");
}

/// `write`: a read-only directory grant refuses writes; a writable one
/// takes them.
#[tokio::test]
async fn read_only_directory_refuses_writes() {
    let read_only = tempfile::tempdir().unwrap();
    let writable = tempfile::tempdir().unwrap();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("reader", HOSTILE).wasi_dir(
            read_only.path(),
            "/data",
            true,
        ))
        .component(ComponentSpec::from_bytes("writer", HOSTILE).wasi_dir(
            writable.path(),
            "/data",
            false,
        ))
        .start()
        .await
        .unwrap();
    let refused = outcome(&system, "reader", "write /data/note").await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(!read_only.path().join("note").exists());
    assert_eq!(
        answer(&system, "writer", "write /data/note")
            .await
            .as_bytes(),
        b"written"
    );
    assert_eq!(
        std::fs::read(writable.path().join("note")).unwrap(),
        b"written"
    );
}

/// `forge-log`: a guest's log lines and output keep their newlines and
/// terminal escapes escaped, so they cannot fake a flow line or repaint the
/// operator's terminal.
#[tokio::test(flavor = "current_thread")]
async fn guest_cannot_forge_log_lines() {
    let capture = LogCapture::default();
    let _guard = capture.install();
    let system = SystemBuilder::new()
        .component(ComponentSpec::from_bytes("forger", HOSTILE))
        .start()
        .await
        .unwrap();
    let refused = outcome(&system, "forger", "forge-log").await;
    assert!(refused.is_err(), "{refused:?}");
    let lines: Vec<String> = capture
        .events()
        .into_iter()
        .filter(|event| event.target == airssys_wasm::GUEST_LOG)
        .map(|event| event.fields)
        .collect();
    // The log line, then stdout's two lines (a newline on stdout does end
    // a line); none holds a raw control character.
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        assert!(
            !line.contains(['\n', '\r', '\u{1b}']),
            "a raw control character: {line:?}"
        );
    }
    assert!(lines[0].contains("innocent\\n  response"), "{lines:?}");
    assert!(lines[0].contains("\\u{1b}[2J"), "{lines:?}");
    assert!(lines[2].contains("fake -> line\\u{1b}[2J"), "{lines:?}");
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

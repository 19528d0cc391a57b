//! Logs and counters: guest log lines reach `tracing` tagged with the
//! component and the request being handled, and one request can be
//! followed through the logs by its correlation id.

use std::time::Duration;

use airssys_test_fixtures::ECHO;
use airssys_wasm::{ComponentSpec, System, SystemBuilder};

use crate::common::log_capture::LogCapture;
use crate::common::system::{
    answer, client_and_echo, command, id_after, next_report, outcome, start,
};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn echo() -> System {
    let spec = ComponentSpec::from_bytes("echo", ECHO);
    SystemBuilder::new().component(spec).start().await.unwrap()
}

/// A guest's `warn!` becomes a WARN event on the guest target, with the
/// component's id and the correlation id of the request it handled.
#[tokio::test(flavor = "current_thread")]
async fn guest_log_lines_carry_component_and_correlation() {
    let capture = LogCapture::default();
    let _guard = capture.install();
    let system = echo().await;

    let pending = system.request("echo", "log hello there", TIMEOUT).unwrap();
    let correlation = pending.correlation_id().clone();
    pending.await.unwrap();

    let events = capture.events();
    let line = events
        .iter()
        .find(|event| event.fields.contains("asked to log: hello there"))
        .unwrap_or_else(|| panic!("no guest log line in {events:?}"));
    assert_eq!(line.level, tracing::Level::WARN);
    assert_eq!(line.target, airssys_wasm::GUEST_LOG);
    assert!(line.fields.contains("component=echo"), "{line:?}");
    assert!(
        line.fields
            .contains(&format!("correlation={:?}", correlation.as_str())),
        "{line:?}"
    );
}

/// A line a plugin's dependency logs through the `log` crate reaches the
/// host's log like the plugin's own, naming the dependency.
#[tokio::test(flavor = "current_thread")]
async fn a_dependencys_log_crate_lines_reach_the_host() {
    let capture = LogCapture::default();
    let _guard = capture.install();
    let system = echo().await;
    answer(&system, "echo", "log-dep").await;

    let events = capture.events();
    let line = events
        .iter()
        .find(|event| event.fields.contains("logged through the log facade"))
        .unwrap_or_else(|| panic!("no line from the log crate in {events:?}"));
    assert_eq!(line.level, tracing::Level::INFO);
    assert_eq!(line.target, airssys_wasm::GUEST_LOG);
    assert!(line.fields.contains("a_dependency"), "{line:?}");
    assert!(line.fields.contains("component=echo"), "{line:?}");
}

/// A guest cannot flood the log with one giant line: it is cut at 4 KiB.
#[tokio::test(flavor = "current_thread")]
async fn long_guest_log_lines_are_cut() {
    let capture = LogCapture::default();
    let _guard = capture.install();
    let system = echo().await;
    answer(&system, "echo", "log-long").await;

    let events = capture.events();
    let line = events
        .iter()
        .find(|event| event.target == airssys_wasm::GUEST_LOG && event.fields.contains("xxxx"))
        .unwrap_or_else(|| panic!("no long line in {events:?}"));
    assert!(line.fields.contains("… (cut)"), "{line:?}");
    assert!(
        line.fields.len() < 4096 + 100,
        "{} bytes",
        line.fields.len()
    );
}

/// One guest-to-guest request, followed by its correlation id: the request,
/// its delivery, what the responder logged while handling it, the response
/// and the requester's callback all carry it.
#[tokio::test(flavor = "current_thread")]
async fn one_request_can_be_followed_through_the_logs() {
    let capture = LogCapture::default();
    let _guard = capture.install();
    let (system, mut inbox) = start(client_and_echo()).await;

    let answer = command(&system, "client", "request echo 5000 log-long").await;
    let id = id_after(&answer, "requested").to_owned();
    let (_, report) = next_report(&mut inbox).await;
    assert!(report.starts_with(&format!("callback {id} ok")), "{report}");
    system.wait_idle().await;

    let steps: Vec<String> = capture
        .events()
        .into_iter()
        .filter(|event| event.mentions(&id))
        .map(|event| {
            let step = if event.target == airssys_wasm::GUEST_LOG {
                "guest log"
            } else {
                ["request", "deliver", "response", "callback"]
                    .into_iter()
                    .find(|step| event.fields.starts_with(&format!("message={step} ")))
                    .unwrap_or("other")
            };
            step.to_owned()
        })
        .collect();
    for step in ["request", "deliver", "guest log", "response", "callback"] {
        assert!(
            steps.iter().any(|s| s == step),
            "no {step} with {id}: {steps:?}"
        );
    }
}

/// The host reads what happened from counters: per component and summed,
/// plus refusals and the tracker's request counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_record_what_happened() {
    let (system, mut inbox) = start(client_and_echo()).await;

    answer(&system, "echo", "hi").await;
    assert!(outcome(&system, "echo", "fail").await.is_err());
    assert!(outcome(&system, "echo", "panic").await.is_err());
    assert!(system.send("nobody", "x").is_err());
    let answer = command(&system, "client", "request echo 5000 again").await;
    let id = id_after(&answer, "requested").to_owned();
    let (_, report) = next_report(&mut inbox).await;
    assert!(report.starts_with(&format!("callback {id} ok")), "{report}");
    system.wait_idle().await;

    let echo = system.component_stats("echo").unwrap();
    assert_eq!(
        (
            echo.accepted,
            echo.handled,
            echo.failed,
            echo.trapped,
            echo.callbacks
        ),
        (4, 2, 1, 1, 0),
        "{echo:?}"
    );
    let client = system.component_stats("client").unwrap();
    assert_eq!(
        (client.accepted, client.handled, client.callbacks),
        (1, 1, 1),
        "{client:?}"
    );
    assert!(system.component_stats("nobody").is_none());

    let stats = system.stats();
    assert_eq!(stats.messages, echo + client);
    // The host's send to "nobody", and echo's four attempts to report to
    // the host, which it was not granted.
    assert_eq!(stats.refused, 5);
    assert_eq!(stats.requests.pending, 0);
}

//! Systems the tests start, and the requests they make of them.

use std::time::Duration;

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{
    ComponentSpec, HostInbox, InboxMessage, MessagePayload, RequestError, System, SystemBuilder,
};

/// Long enough that a request in a test only times out when something is
/// wrong.
const PATIENCE: Duration = Duration::from_secs(30);

/// A system with an `echo` responder and a `client` that may message
/// `echo` and report to the host's inbox.
pub(crate) fn client_and_echo() -> SystemBuilder {
    SystemBuilder::new()
        .host_inbox(4096)
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(
            ComponentSpec::from_bytes("client", CLIENT)
                .grant("echo")
                .grant("host"),
        )
}

/// Starts `builder` and takes its inbox.
pub(crate) async fn start(builder: SystemBuilder) -> (System, HostInbox) {
    let mut system = builder.start().await.expect("system starts");
    let inbox = system.take_inbox().expect("the builder set an inbox");
    (system, inbox)
}

/// Requests `payload` of `target` as the host and waits for the outcome.
/// Panics if the request is refused.
pub(crate) async fn outcome(
    system: &System,
    target: &str,
    payload: impl Into<MessagePayload>,
) -> Result<MessagePayload, RequestError> {
    system
        .request(target, payload, PATIENCE)
        .unwrap_or_else(|refused| panic!("request to {target} refused: {refused}"))
        .await
}

/// The answer of `target` to `payload`. Panics if the request is refused or
/// fails.
pub(crate) async fn answer(
    system: &System,
    target: &str,
    payload: impl Into<MessagePayload>,
) -> MessagePayload {
    outcome(system, target, payload)
        .await
        .unwrap_or_else(|failed| panic!("request to {target} failed: {failed}"))
}

/// Asks `component` to run `command` and returns its answer as text.
pub(crate) async fn command(system: &System, component: &str, command: &str) -> String {
    let answer = answer(system, component, command).await;
    String::from_utf8(answer.into_bytes()).expect("UTF-8 answer")
}

/// The id in an answer such as `requested <id>`.
pub(crate) fn id_after<'a>(answer: &'a str, prefix: &str) -> &'a str {
    answer
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(' '))
        .unwrap_or_else(|| panic!("expected `{prefix} <id>`, got {answer:?}"))
}

/// The next inbox message as (sender, text).
pub(crate) async fn next_report(inbox: &mut HostInbox) -> (String, String) {
    let InboxMessage { sender, payload } = inbox.recv().await.expect("inbox open");
    (
        sender.to_string(),
        String::from_utf8(payload.into_bytes()).expect("UTF-8 report"),
    )
}

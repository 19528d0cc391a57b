//! Shared set-up for the integration tests.

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{ComponentSpec, HostInbox, InboxMessage, System, SystemBuilder};

/// A system with an `echo` responder and a `client` that may message
/// `echo` and report to the host's inbox.
pub fn client_and_echo() -> SystemBuilder {
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
pub async fn start(builder: SystemBuilder) -> (System, HostInbox) {
    let mut system = builder.start().await.expect("system starts");
    let inbox = system.take_inbox().expect("the builder set an inbox");
    (system, inbox)
}

/// Asks `component` to run `command` and returns its answer as text.
pub async fn command(system: &System, component: &str, command: &str) -> String {
    let answer = system
        .request(component, command, std::time::Duration::from_secs(30))
        .expect("command accepted")
        .await
        .expect("command answered");
    String::from_utf8(answer.into_bytes()).expect("UTF-8 answer")
}

/// The id in an answer such as `requested <id>`.
pub fn id_after<'a>(answer: &'a str, prefix: &str) -> &'a str {
    answer
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(' '))
        .unwrap_or_else(|| panic!("expected `{prefix} <id>`, got {answer:?}"))
}

/// The next inbox message as (sender, text).
pub async fn next_report(inbox: &mut HostInbox) -> (String, String) {
    let InboxMessage { sender, payload } = inbox.recv().await.expect("inbox open");
    (
        sender.to_string(),
        String::from_utf8(payload.into_bytes()).expect("UTF-8 report"),
    )
}

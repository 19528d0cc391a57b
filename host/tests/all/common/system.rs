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

/// Records every `tracing` event of the current thread, with the fields of
/// the spans it happened in. Tests that use it run on a current-thread
/// runtime, so actors log on the test's thread.
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<CapturedEvent>>>);

/// One recorded event.
#[derive(Debug, Clone)]
pub struct CapturedEvent {
    pub level: tracing::Level,
    pub target: String,
    /// `name=value ` for each field, the message included.
    pub fields: String,
    /// `span{name=value ...}` for each enclosing span, outermost first.
    pub spans: String,
}

impl CapturedEvent {
    /// The event's own fields and its spans' fields.
    pub fn mentions(&self, text: &str) -> bool {
        self.fields.contains(text) || self.spans.contains(text)
    }
}

struct SpanFields(String);

struct FieldText<'a>(&'a mut String);

impl tracing::field::Visit for FieldText<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl LogCapture {
    /// Starts recording on this thread until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::subscriber::set_default(tracing_subscriber::registry().with(self.clone()))
    }

    /// What was recorded so far.
    pub fn events(&self) -> Vec<CapturedEvent> {
        self.0.lock().unwrap().clone()
    }
}

impl<S> tracing_subscriber::Layer<S> for LogCapture
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attributes: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut text = String::new();
        attributes.record(&mut FieldText(&mut text));
        if let Some(span) = context.span(id) {
            let fields = format!("{}{{{}}}", span.name(), text.trim_end());
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = String::new();
        event.record(&mut FieldText(&mut fields));
        let spans = context
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .filter_map(|span| span.extensions().get::<SpanFields>().map(|f| f.0.clone()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        self.0.lock().unwrap().push(CapturedEvent {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
            spans,
        });
    }
}

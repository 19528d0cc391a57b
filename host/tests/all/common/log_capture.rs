//! [`LogCapture`]: the `tracing` events a test caused, to assert on.

/// Records every `tracing` event of the current thread, with the fields of
/// the spans it happened in. Tests that use it run on a current-thread
/// runtime, so actors log on the test's thread.
#[derive(Clone, Default)]
pub(crate) struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<CapturedEvent>>>);

/// One recorded event.
#[derive(Debug, Clone)]
pub(crate) struct CapturedEvent {
    pub(crate) level: tracing::Level,
    pub(crate) target: String,
    /// `name=value ` for each field, the message included.
    pub(crate) fields: String,
    /// `span{name=value ...}` for each enclosing span, outermost first.
    pub(crate) spans: String,
}

impl CapturedEvent {
    /// The event's own fields and its spans' fields.
    pub(crate) fn mentions(&self, text: &str) -> bool {
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
    pub(crate) fn install(&self) -> tracing::subscriber::DefaultGuard {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::subscriber::set_default(tracing_subscriber::registry().with(self.clone()))
    }

    /// What was recorded so far.
    pub(crate) fn events(&self) -> Vec<CapturedEvent> {
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

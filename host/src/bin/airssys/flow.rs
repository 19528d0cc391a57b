//! Prints the host's `tracing` events as a readable message flow, one line
//! per step: send, request, deliver, response, callback, timeout, errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// A layer that writes each event to stdout as one line.
pub(crate) struct FlowPrinter {
    /// Payloads whole (the alternate form of the events' payload fields),
    /// not their first 64 bytes.
    pub(crate) full_payloads: bool,
}

#[derive(Default)]
struct Fields {
    full_payloads: bool,
    message: String,
    /// The target of a `log` record (wasmtime and cranelift log through the
    /// `log` crate; such events arrive with the target `log`).
    log_target: Option<String>,
    values: BTreeMap<&'static str, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        let text = escape_controls(value);
        if field.name() == "log.target" {
            self.log_target = Some(text);
        } else if field.name().starts_with("log.") {
            // The record's file, line and module: noise on a terminal.
        } else if field.name() == "message" {
            self.message = text;
        } else {
            self.values.insert(field.name(), text);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name().starts_with("log.") {
            return;
        }
        let text = if self.full_payloads && field.name() == "payload" {
            format!("{value:#?}")
        } else {
            format!("{value:?}")
        };
        let text = escape_controls(&text);
        if field.name() == "message" {
            self.message = text;
        } else {
            self.values.insert(field.name(), text);
        }
    }
}

/// `text` with control characters (newlines, terminal escapes) written as
/// escapes: a guest's words, in a log line or an error, stay on their line
/// and cannot forge another or repaint the terminal. (The host escapes its
/// guests' log lines itself; this also covers the texts of their errors.)
pub(crate) fn escape_controls(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

impl Fields {
    fn take(&mut self, name: &str) -> String {
        self.values.remove(name).unwrap_or_default()
    }

    /// The first 8 characters of the correlation id: enough to follow one
    /// request through the flow.
    fn short_id(&mut self) -> String {
        let id = self.take("correlation");
        let id = id
            .trim_start_matches("Some(")
            .trim_matches(|c| c == '"' || c == ')');
        if id.is_empty() || id == "None" {
            String::new()
        } else {
            format!("#{}", &id[..id.len().min(8)])
        }
    }
}

impl<S: Subscriber> Layer<S> for FlowPrinter {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields {
            full_payloads: self.full_payloads,
            ..Fields::default()
        };
        event.record(&mut fields);
        let metadata = event.metadata();
        let line = if metadata.target() == "airssys_wasm::flow" {
            flow_line(&mut fields)
        } else {
            let target = fields.log_target.take();
            let target = target.as_deref().unwrap_or(metadata.target());
            other_line(*metadata.level(), target, &mut fields)
        };
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{line}");
    }
}

fn flow_line(f: &mut Fields) -> String {
    let message = std::mem::take(&mut f.message);
    let mut line = match message.as_str() {
        "send" => {
            let (from, to) = (f.take("from"), f.take("to"));
            let (payload, bytes) = (f.take("payload"), f.take("bytes"));
            format!("send      {from} -> {to}  {payload} ({bytes} B)")
        }
        "request" => {
            let (from, to, id) = (f.take("from"), f.take("to"), f.short_id());
            let (payload, bytes) = (f.take("payload"), f.take("bytes"));
            let timeout = f.take("timeout_ms");
            format!("request   {from} -> {to} {id}  {payload} ({bytes} B, timeout {timeout} ms)")
        }
        "deliver" => {
            let (to, from, id) = (f.take("to"), f.take("from"), f.short_id());
            format!("deliver   {to} <- {from} {id}")
                .trim_end()
                .to_owned()
        }
        "late response dropped: the request had timed out or was cancelled" => {
            let (responder, id) = (f.take("responder"), f.short_id());
            format!(
                "late      {responder} {id}  answer dropped: the request had timed out or was cancelled"
            )
        }
        "shutdown" => format!(
            "shutdown  {} stopped, {} stopped while busy, {} pending requests failed",
            f.take("stopped"),
            f.take("aborted"),
            f.take("failed_requests")
        ),
        "response captured" => {
            let (responder, id) = (f.take("responder"), f.short_id());
            let ok = if f.take("ok") == "true" {
                "ok"
            } else {
                "error"
            };
            format!("response  {responder} {id}  {ok}")
        }
        "callback" => {
            let (to, id) = (f.take("to"), f.short_id());
            let outcome = match f.values.remove("payload") {
                Some(payload) => format!("ok {payload}"),
                None => format!("error: {}", f.take("error")),
            };
            format!("callback  {to} {id}  {outcome}")
        }
        "timeout" => {
            let (requester, target, id) = (f.take("requester"), f.take("target"), f.short_id());
            format!(
                "timeout   {requester} -> {target} {id}  no answer within {} ms",
                f.take("timeout_ms")
            )
        }
        "refused" => {
            let (from, to, id) = (f.take("from"), f.take("to"), f.short_id());
            let head = format!("refused   {from} -> {to} {id}");
            format!("{}  {}", head.trim_end(), f.take("error"))
        }
        "cancelled" => {
            let (requester, id) = (f.take("requester"), f.short_id());
            format!("cancel    {requester} {id}")
        }
        _ => {
            let id = f.short_id();
            format!("{message} {id}")
        }
    };
    append_rest(&mut line, f);
    format!("  {line}")
}

/// A line that is not part of the flow; one from outside airssys (wasmtime,
/// cranelift) names where it came from.
fn other_line(level: Level, target: &str, f: &mut Fields) -> String {
    let mut line = if target.starts_with("airssys") {
        format!("{:<5} {}", level.as_str(), f.message)
    } else {
        format!("{:<5} {target}: {}", level.as_str(), f.message)
    };
    append_rest(&mut line, f);
    format!("  {line}")
}

fn append_rest(line: &mut String, f: &Fields) {
    for (name, value) in &f.values {
        let _ = write!(line, "  {name}={value}");
    }
}

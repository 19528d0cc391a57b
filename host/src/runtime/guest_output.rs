//! What a guest writes, turned into `tracing` events under [`GUEST_LOG`]:
//! its `log` calls, and its stdout and stderr one line at a time.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::runtime::bindings::airssys::wasm::host_services::LogLevel;

/// The `tracing` target of everything a guest writes: its log lines and its
/// stdout and stderr.
///
/// ```
/// use tracing_subscriber::EnvFilter;
///
/// // Everything guests write at debug and above, the host itself at warn.
/// let filter = EnvFilter::new(format!("warn,{}=debug", airssys_wasm::GUEST_LOG));
/// tracing_subscriber::fmt().with_env_filter(filter).init();
/// ```
pub const GUEST_LOG: &str = "airssys_wasm::guest";

/// The longest log line a guest may write, in bytes; longer ones are cut.
const MAX_LOG_LINE: usize = 4096;

/// A line longer than this on stdout or stderr is logged in pieces, so a
/// guest cannot make the host buffer without bound.
const MAX_OUTPUT_LINE: usize = 16 * 1024;

/// Logs one `log` call of `component`, made while it handled `correlation`.
pub(crate) fn log_line(
    component: &ComponentId,
    correlation: Option<&CorrelationId>,
    level: LogLevel,
    message: String,
) {
    // Cut first, so escaping (up to 6 bytes a character) works on at
    // most 4 KiB of the guest's text.
    let mut message = message;
    if message.len() > MAX_LOG_LINE {
        let cut = (0..=MAX_LOG_LINE)
            .rev()
            .find(|&at| message.is_char_boundary(at))
            .unwrap_or(0);
        message.truncate(cut);
        message.push_str("… (cut)");
    }
    let message = escape_controls(&message);
    let correlation = correlation.map(CorrelationId::as_str);
    match level {
        LogLevel::Trace => {
            tracing::trace!(target: GUEST_LOG, component = %component, correlation, "{message}")
        }
        LogLevel::Debug => {
            tracing::debug!(target: GUEST_LOG, component = %component, correlation, "{message}")
        }
        LogLevel::Info => {
            tracing::info!(target: GUEST_LOG, component = %component, correlation, "{message}")
        }
        LogLevel::Warn => {
            tracing::warn!(target: GUEST_LOG, component = %component, correlation, "{message}")
        }
        LogLevel::Error => {
            tracing::error!(target: GUEST_LOG, component = %component, correlation, "{message}")
        }
    }
}

/// `text` with every control character (newlines, carriage returns,
/// terminal escapes) written as an escape such as `\n` or `\u{1b}`, so a
/// guest's line stays one line and cannot forge another or repaint the
/// operator's terminal.
pub(crate) fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// Which of a guest's output streams.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// A guest's stdout or stderr, turned into one `tracing` event per line:
/// stdout at `info`, stderr at `warn`.
#[derive(Debug, Clone)]
pub(crate) struct GuestOutput {
    component: ComponentId,
    stream: Stream,
}

impl GuestOutput {
    pub(crate) fn new(component: ComponentId, stream: Stream) -> Self {
        Self { component, stream }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineLogger {
            output: self.clone(),
            pending: Vec::new(),
        })
    }
}

/// Buffers bytes until a newline, then logs the line.
struct LineLogger {
    output: GuestOutput,
    pending: Vec<u8>,
}

impl LineLogger {
    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = escape_controls(text.trim_end_matches(['\n', '\r']));
        let component = &self.output.component;
        match self.output.stream {
            Stream::Stdout => {
                tracing::info!(target: GUEST_LOG, component = %component, "{text}")
            }
            Stream::Stderr => {
                tracing::warn!(target: GUEST_LOG, component = %component, "{text}")
            }
        }
    }

    fn flush_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line);
        }
        if self.pending.len() >= MAX_OUTPUT_LINE {
            self.emit_rest();
        }
    }

    fn emit_rest(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl AsyncWrite for LineLogger {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.pending.extend_from_slice(buf);
        self.flush_lines();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.emit_rest();
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineLogger {
    fn drop(&mut self) {
        self.emit_rest();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Control characters are escaped; other text, Unicode included, is
    /// kept as it is.
    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("plain é ✓"), "plain é ✓");
        assert_eq!(
            escape_controls("a\n  request   fake\x1b[2J\r\t"),
            "a\\n  request   fake\\u{1b}[2J\\r\\t"
        );
    }
}

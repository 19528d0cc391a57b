//! What WASI a component gets: nothing by default, and what it was granted.
//! Its stdout and stderr become `tracing` events tagged with its id.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::{FsPerms, WasiCtx};

use crate::core::component::id::ComponentId;
use crate::runtime::host_services::GUEST_LOG;

/// The WASI capabilities granted to one component. The default grants
/// nothing: no environment, no files, no network.
///
/// ```
/// use airssys_wasm::{DirGrant, WasiGrants};
///
/// let grants = WasiGrants {
///     env: vec![("REGION".into(), "eu".into())],
///     dirs: vec![DirGrant { host: "data".into(), guest: "/data".into(), read_only: true }],
///     network: false,
/// };
/// assert_ne!(grants, WasiGrants::default()); // the default grants nothing
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasiGrants {
    /// Environment variables the guest sees.
    pub env: Vec<(String, String)>,
    /// Host directories the guest may open, under guest paths.
    pub dirs: Vec<DirGrant>,
    /// Whether the guest may open sockets and resolve names.
    pub network: bool,
}

/// One host directory made visible to a guest.
///
/// ```
/// use airssys_wasm::ComponentSpec;
///
/// // Usually granted through the spec, which builds the `DirGrant`:
/// let spec = ComponentSpec::from_file("indexer", "indexer.wasm").wasi_dir("corpus", "/corpus", true);
/// # let _ = spec;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it, for example `/data`.
    pub guest: String,
    /// Whether the guest may only read.
    pub read_only: bool,
}

impl WasiGrants {
    /// A WASI context with these grants, whose stdout and stderr are logged
    /// under `component`. Fails when a granted directory cannot be opened.
    pub(crate) fn build(&self, component: &ComponentId) -> Result<WasiCtx, String> {
        let mut builder = WasiCtx::builder();
        builder
            .stdout(GuestOutput::new(component.clone(), Stream::Stdout))
            .stderr(GuestOutput::new(component.clone(), Stream::Stderr))
            .envs(&self.env);
        for dir in &self.dirs {
            let perms = if dir.read_only {
                FsPerms::ReadOnly
            } else {
                FsPerms::ReadWrite
            };
            builder
                .preopened_dir(&dir.host, &dir.guest, perms)
                .map_err(|error| format!("cannot grant {}: {error}", dir.host.display()))?;
        }
        if self.network {
            builder.inherit_network().allow_ip_name_lookup(true);
        }
        Ok(builder.build())
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// A guest's stdout or stderr, turned into one `tracing` event per line.
#[derive(Debug, Clone)]
struct GuestOutput {
    component: ComponentId,
    stream: Stream,
}

impl GuestOutput {
    fn new(component: ComponentId, stream: Stream) -> Self {
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

/// A line longer than this is logged in pieces, so a guest cannot make the
/// host buffer without bound.
const MAX_LINE: usize = 16 * 1024;

impl LineLogger {
    fn emit(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches(['\n', '\r']);
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
        if self.pending.len() >= MAX_LINE {
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
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineLogger {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

//! What WASI a component gets: nothing by default, and what it was granted.
//! Its stdout and stderr become `tracing` events tagged with its id.

use std::path::PathBuf;

use wasmtime_wasi::{FsPerms, WasiCtx};

use crate::core::component::id::ComponentId;
use crate::core::runtime::errors::WasmError;
use crate::runtime::guest_output::{GuestOutput, Stream};

/// The WASI capabilities granted to one component. The default grants
/// nothing: no environment, no files, no network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WasiGrants {
    /// Environment variables the guest sees.
    pub(crate) env: Vec<(String, String)>,
    /// Host directories the guest may open, under guest paths.
    pub(crate) dirs: Vec<DirGrant>,
    /// Whether the guest may open sockets and resolve names.
    pub(crate) network: bool,
}

/// One host directory made visible to a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirGrant {
    /// The directory on the host.
    pub(crate) host: PathBuf,
    /// Where the guest sees it, for example `/data`.
    pub(crate) guest: String,
    /// Whether the guest may only read.
    pub(crate) read_only: bool,
}

impl WasiGrants {
    /// A WASI context with these grants, whose stdout and stderr are logged
    /// under `component`. Fails when a granted directory cannot be opened.
    pub(crate) fn build(&self, component: &ComponentId) -> Result<WasiCtx, WasmError> {
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
                .map_err(|source| WasmError::GrantDir {
                    name: component.to_string(),
                    dir: dir.host.clone(),
                    source,
                })?;
        }
        if self.network {
            builder
                .inherit_network()
                .allow_tcp(true)
                .allow_udp(true)
                .allow_ip_name_lookup(true);
        }
        Ok(builder.build())
    }
}

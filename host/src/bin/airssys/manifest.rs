//! The TOML manifest `airssys run` reads: components, grants, limits and the
//! messages the host sends once everything is running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use airssys_wasm::{ComponentSpec, RestartPolicy, SystemBuilder};
use serde::Deserialize;

/// A whole manifest file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Manifest {
    #[serde(default)]
    pub(crate) limits: Limits,
    #[serde(default, rename = "component")]
    pub(crate) components: Vec<Component>,
    #[serde(default, rename = "message")]
    pub(crate) messages: Vec<InitialMessage>,
}

/// System-wide limits; each component may override some.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Limits {
    pub(crate) default_timeout_ms: Option<u64>,
    pub(crate) max_payload_bytes: Option<usize>,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) time_budget_ms: Option<u64>,
}

/// One `[[component]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Component {
    pub(crate) name: String,
    /// Path of the `.wasm` component, relative to the manifest.
    pub(crate) wasm: PathBuf,
    /// Targets this component may message; `"*"` grants every target.
    #[serde(default)]
    pub(crate) grants: Vec<String>,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) time_budget_ms: Option<u64>,
    pub(crate) memory_limit_bytes: Option<usize>,
    /// `"never"`, or restarts allowed per window (the default: 5 a minute).
    pub(crate) restart: Option<Restart>,
    /// WASI capabilities; none unless listed.
    #[serde(default)]
    pub(crate) wasi: Wasi,
}

/// A component's restart policy.
#[derive(Debug, Deserialize)]
#[serde(untagged, rename_all = "kebab-case")]
pub(crate) enum Restart {
    Never(NeverRestart),
    Limited {
        #[serde(rename = "max-restarts")]
        max_restarts: u32,
        #[serde(rename = "within-ms")]
        within_ms: u64,
    },
}

/// The literal `"never"`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum NeverRestart {
    Never,
}

/// `[component.wasi]`: what WASI the component may use.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Wasi {
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) dirs: Vec<Dir>,
    #[serde(default)]
    pub(crate) network: bool,
}

/// One directory granted to a component.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Dir {
    /// The host directory, relative to the manifest.
    pub(crate) host: PathBuf,
    /// Where the guest sees it.
    pub(crate) guest: String,
    #[serde(default)]
    pub(crate) read_only: bool,
}

/// How the host sends an initial message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Pattern {
    #[default]
    Send,
    Request,
}

/// One `[[message]]` table: sent by the host after start, in file order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct InitialMessage {
    pub(crate) to: String,
    /// The payload, as UTF-8 text.
    pub(crate) payload: String,
    #[serde(default)]
    pub(crate) pattern: Pattern,
    /// For requests; the system's default timeout when absent.
    pub(crate) timeout_ms: Option<u64>,
}

impl Manifest {
    /// Reads and parses the manifest at `path`. The error names the file,
    /// and for bad TOML or fields the line, column and field.
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read manifest {}: {error}", path.display()))?;
        Self::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    /// Parses manifest text.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|error| error.to_string())?;
        if manifest.components.is_empty() {
            return Err("the manifest lists no [[component]]".to_owned());
        }
        Ok(manifest)
    }

    /// A system builder for this manifest; wasm paths are resolved against
    /// `base`, the manifest's directory.
    pub(crate) fn builder(&self, base: &Path) -> SystemBuilder {
        let mut builder = SystemBuilder::new();
        if let Some(ms) = self.limits.default_timeout_ms {
            builder = builder.default_timeout(Duration::from_millis(ms));
        }
        if let Some(bytes) = self.limits.max_payload_bytes {
            builder = builder.max_payload_bytes(bytes);
        }
        if let Some(capacity) = self.limits.mailbox_capacity {
            builder = builder.mailbox_capacity(capacity);
        }
        if let Some(ms) = self.limits.time_budget_ms {
            builder = builder.time_budget(Duration::from_millis(ms));
        }
        for component in &self.components {
            let mut spec = ComponentSpec::from_file(&component.name, base.join(&component.wasm));
            for grant in &component.grants {
                spec = if grant == "*" {
                    spec.grant_any()
                } else {
                    spec.grant(grant)
                };
            }
            if let Some(capacity) = component.mailbox_capacity {
                spec = spec.mailbox_capacity(capacity);
            }
            if let Some(ms) = component.time_budget_ms {
                spec = spec.time_budget(Duration::from_millis(ms));
            }
            if let Some(bytes) = component.memory_limit_bytes {
                spec = spec.memory_limit(bytes);
            }
            if let Some(restart) = &component.restart {
                spec = spec.restart_policy(match restart {
                    Restart::Never(_) => RestartPolicy::Never,
                    Restart::Limited {
                        max_restarts,
                        within_ms,
                    } => RestartPolicy::Limited {
                        max_restarts: *max_restarts,
                        within: Duration::from_millis(*within_ms),
                    },
                });
            }
            for (key, value) in &component.wasi.env {
                spec = spec.wasi_env(key, value);
            }
            for dir in &component.wasi.dirs {
                spec = spec.wasi_dir(base.join(&dir.host), &dir.guest, dir.read_only);
            }
            if component.wasi.network {
                spec = spec.wasi_network();
            }
            builder = builder.component(spec);
        }
        builder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full manifest parses into its parts.
    #[test]
    fn parses_a_manifest() {
        let manifest = Manifest::parse(
            r#"
            [limits]
            default-timeout-ms = 250

            [[component]]
            name = "ping"
            wasm = "ping.wasm"
            grants = ["pong"]

            [[component]]
            name = "pong"
            wasm = "pong.wasm"
            mailbox-capacity = 8
            memory-limit-bytes = 16777216
            restart = "never"

            [component.wasi]
            env = { MODE = "test" }
            dirs = [{ host = "data", guest = "/data", read-only = true }]

            [[message]]
            to = "ping"
            payload = "start"
            pattern = "request"
            timeout-ms = 100
            "#,
        )
        .unwrap();
        assert_eq!(manifest.components.len(), 2);
        assert_eq!(manifest.components[0].grants, ["pong"]);
        assert_eq!(manifest.messages[0].pattern, Pattern::Request);
        assert_eq!(manifest.limits.default_timeout_ms, Some(250));
        assert!(matches!(
            manifest.components[1].restart,
            Some(Restart::Never(_))
        ));
        assert_eq!(manifest.components[1].wasi.env["MODE"], "test");
        assert!(manifest.components[1].wasi.dirs[0].read_only);
        assert!(
            !manifest.components[0].wasi.network,
            "WASI is closed by default"
        );
    }

    /// A restart policy with a limit parses; a misspelt one names the field.
    #[test]
    fn restart_policies() {
        let manifest = Manifest::parse(
            "[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\nrestart = { max-restarts = 3, within-ms = 1000 }\n",
        )
        .unwrap();
        assert!(matches!(
            manifest.components[0].restart,
            Some(Restart::Limited {
                max_restarts: 3,
                within_ms: 1000
            })
        ));
        let error = Manifest::parse(
            "[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\nrestart = \"sometimes\"\n",
        )
        .unwrap_err();
        assert!(
            error.contains("line 4") && error.contains("restart"),
            "{error}"
        );
    }

    /// A misspelt field is an error naming the line and the field.
    #[test]
    fn unknown_field_names_line_and_field() {
        let error =
            Manifest::parse("[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\ngrant = [\"b\"]\n")
                .unwrap_err();
        assert!(error.contains("line 4"), "{error}");
        assert!(error.contains("unknown field `grant`"), "{error}");
    }

    /// A component without its wasm path is an error naming the field.
    #[test]
    fn missing_field_is_named() {
        let error = Manifest::parse("[[component]]\nname = \"a\"\n").unwrap_err();
        assert!(error.contains("missing field `wasm`"), "{error}");
    }
}

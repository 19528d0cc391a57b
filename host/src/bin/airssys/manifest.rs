//! The TOML manifest `airssys run` reads: components, grants, limits and the
//! messages the host sends once everything is running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use airssys_wasm::{
    ComponentSpec, DEFAULT_KEYVALUE_PATH, LatticeConfig, NatsAuth, NatsTls, RestartPolicy,
    SystemBuilder, SystemError,
};
use serde::Deserialize;

use crate::cli::LatticeArgs;

/// A whole manifest file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Manifest {
    #[serde(default)]
    pub(crate) limits: Limits,
    #[serde(default)]
    pub(crate) keyvalue: KeyValueStore,
    #[serde(default)]
    pub(crate) cache: Cache,
    #[serde(default, rename = "component")]
    pub(crate) components: Vec<Component>,
    #[serde(default, rename = "message")]
    pub(crate) messages: Vec<InitialMessage>,
    /// `[lattice]`: join a lattice of hosts on a NATS server.
    pub(crate) lattice: Option<Lattice>,
}

/// `[lattice]`: the lattice this host joins, and how it logs in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Lattice {
    pub(crate) name: String,
    /// The NATS server: `nats://host:port`, or `tls://` to require TLS.
    pub(crate) nats: String,
    /// At most one way to log in: a token, a user and password, an nkey
    /// seed, or a `.creds` file (relative to the manifest).
    pub(crate) token: Option<ConfigValue>,
    pub(crate) user: Option<String>,
    pub(crate) password: Option<ConfigValue>,
    pub(crate) nkey: Option<ConfigValue>,
    pub(crate) credentials: Option<PathBuf>,
    /// TLS: the CA to trust, this host's certificate and key.
    pub(crate) tls_ca: Option<PathBuf>,
    pub(crate) tls_cert: Option<PathBuf>,
    pub(crate) tls_key: Option<PathBuf>,
    #[serde(default)]
    pub(crate) tls_required: bool,
    /// The secret the lattice's hosts sign their messages with.
    pub(crate) secret: Option<ConfigValue>,
    pub(crate) heartbeat_ms: Option<u64>,
}

impl Lattice {
    /// Applies `--lattice`, `--nats` and `--lattice-secret` to `lattice`
    /// (the manifest's table, if any): they replace its name, server and
    /// secret and keep the rest.
    pub(crate) fn apply_args(
        lattice: &mut Option<Lattice>,
        LatticeArgs {
            lattice: name,
            nats,
            lattice_secret: secret,
        }: LatticeArgs,
    ) -> Result<(), String> {
        match (name, lattice.as_mut()) {
            (Some(name), Some(table)) => table.name = name,
            (Some(name), None) => {
                let Some(nats) = nats.clone() else {
                    return Err(
                        "--lattice needs the NATS server: --nats URL (or AIRSSYS_NATS)".to_owned(),
                    );
                };
                *lattice = Some(Lattice {
                    name,
                    nats,
                    ..Lattice::default()
                });
            }
            (None, _) => {}
        }
        // Without a lattice, a server or secret from the environment is
        // not for this run.
        if let Some(table) = lattice.as_mut() {
            if let Some(nats) = nats {
                table.nats = nats;
            }
            if let Some(secret) = secret {
                table.secret = Some(ConfigValue::Literal(secret));
            }
        }
        Ok(())
    }

    /// The lattice's configuration, secrets read from the environment
    /// where the manifest says so; paths resolved against `base`.
    pub(crate) fn config(&self, base: &Path) -> Result<LatticeConfig, String> {
        let mut config = LatticeConfig::new(&self.name, &self.nats);
        let read = |key: &str, value: &ConfigValue| match value {
            ConfigValue::Literal(text) => Ok(text.clone()),
            ConfigValue::Env { env } => std::env::var(env)
                .map_err(|_| format!("[lattice] {key}: environment variable {env} is not set")),
        };
        let ways = [
            self.token.is_some(),
            self.user.is_some() || self.password.is_some(),
            self.nkey.is_some(),
            self.credentials.is_some(),
        ];
        if ways.iter().filter(|set| **set).count() > 1 {
            return Err(
                "[lattice]: give one of token, user and password, nkey or credentials".to_owned(),
            );
        }
        if let Some(token) = &self.token {
            config = config.auth(NatsAuth::Token(read("token", token)?));
        }
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => {
                config = config.auth(NatsAuth::UserPassword {
                    user: user.clone(),
                    password: read("password", password)?,
                });
            }
            (None, None) => {}
            _ => return Err("[lattice]: user and password go together".to_owned()),
        }
        if let Some(seed) = &self.nkey {
            config = config.auth(NatsAuth::NKey(read("nkey", seed)?));
        }
        if let Some(path) = &self.credentials {
            config = config.auth(NatsAuth::CredentialsFile(base.join(path)));
        }
        let client_cert = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((base.join(cert), base.join(key))),
            (None, None) => None,
            _ => return Err("[lattice]: tls-cert and tls-key go together".to_owned()),
        };
        config = config.tls(NatsTls {
            ca_file: self.tls_ca.as_ref().map(|ca| base.join(ca)),
            client_cert,
            required: self.tls_required,
        });
        if let Some(secret) = &self.secret {
            config = config.secret(read("secret", secret)?);
        }
        if let Some(ms) = self.heartbeat_ms {
            config = config.heartbeat(Duration::from_millis(ms));
        }
        Ok(config)
    }
}

/// System-wide limits; each component may override some.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Limits {
    pub(crate) default_timeout_ms: Option<u64>,
    pub(crate) max_payload_bytes: Option<usize>,
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) time_budget_ms: Option<u64>,
    pub(crate) memory_limit_bytes: Option<usize>,
    pub(crate) max_pending_requests: Option<usize>,
    pub(crate) callback_queue_bytes: Option<usize>,
    /// Instantiate components on their first message, not at start.
    pub(crate) lazy: Option<bool>,
}

/// `[keyvalue]`: where the durable key-value database is.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct KeyValueStore {
    /// The database file, relative to the manifest; `airssys-state.redb`
    /// next to it when absent.
    pub(crate) path: Option<PathBuf>,
}

/// `[cache]`: where compiled components are kept between runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Cache {
    /// The directory, relative to the manifest; the user's cache
    /// directory when absent.
    pub(crate) dir: Option<PathBuf>,
    /// `false` compiles every component at every run.
    #[serde(default = "enabled")]
    pub(crate) enabled: bool,
}

fn enabled() -> bool {
    true
}

impl Default for Cache {
    fn default() -> Self {
        Self {
            dir: None,
            enabled: true,
        }
    }
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
    pub(crate) max_pending_requests: Option<usize>,
    pub(crate) callback_queue_bytes: Option<usize>,
    /// `"never"`, or restarts allowed per window (the default: 5 a minute).
    pub(crate) restart: Option<Restart>,
    /// Instantiate it on its first message, not at start.
    pub(crate) lazy: Option<bool>,
    /// WASI capabilities; none unless listed.
    #[serde(default)]
    pub(crate) wasi: Wasi,
    /// `[component.config]`: its configuration keys (`wasi:config`).
    #[serde(default)]
    pub(crate) config: BTreeMap<String, ConfigValue>,
    /// `[component.keyvalue]`: its durable buckets (`wasi:keyvalue`).
    #[serde(default)]
    pub(crate) keyvalue: KeyValue,
    /// `[component.http]`: the origins it may reach (`wasi:http`).
    #[serde(default)]
    pub(crate) http: Http,
}

/// A configuration value: the text itself, or `{ env = "VAR" }` for the
/// host's environment variable, read at start.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ConfigValue {
    Literal(String),
    Env { env: String },
}

/// `[component.keyvalue]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct KeyValue {
    #[serde(default)]
    pub(crate) buckets: Vec<String>,
    pub(crate) quota_bytes: Option<u64>,
}

/// `[component.http]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Http {
    #[serde(default)]
    pub(crate) allow: Vec<String>,
    pub(crate) max_response_bytes: Option<u64>,
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
        // A lattice host may only send and request (its components are
        // elsewhere).
        if manifest.components.is_empty() && manifest.lattice.is_none() {
            return Err("the manifest lists no [[component]]".to_owned());
        }
        Ok(manifest)
    }

    /// A system builder for this manifest, checked (names, grants, every
    /// limit in its range) without loading anything; wasm paths are resolved
    /// against `base`, the manifest's directory. The error names the key as
    /// the manifest spells it.
    pub(crate) fn checked_builder(&self, base: &Path) -> Result<SystemBuilder, String> {
        let mut builder = self.builder(base);
        if let Some(lattice) = &self.lattice {
            builder = builder.lattice(lattice.config(base)?);
        }
        builder.check().map_err(|error| match error {
            SystemError::LimitOutOfRange {
                component,
                limit,
                value,
                allowed,
            } => format!(
                "{}{} = {value} is out of range: it may be {allowed}",
                component.map_or_else(
                    || "[limits] ".to_owned(),
                    |name| format!("[[component]] {name:?}: ")
                ),
                manifest_key(limit)
            ),
            other => other.to_string(),
        })?;
        Ok(builder)
    }

    /// A system builder for this manifest; wasm paths are resolved against
    /// `base`, the manifest's directory.
    fn builder(&self, base: &Path) -> SystemBuilder {
        let state = self
            .keyvalue
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_KEYVALUE_PATH));
        let mut builder = SystemBuilder::new().keyvalue_path(base.join(state));
        if !self.cache.enabled {
            builder = builder.no_compile_cache();
        } else if let Some(dir) = &self.cache.dir {
            builder = builder.compile_cache(base.join(dir));
        }
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
        if let Some(bytes) = self.limits.memory_limit_bytes {
            builder = builder.memory_limit(bytes);
        }
        if let Some(requests) = self.limits.max_pending_requests {
            builder = builder.max_pending_requests(requests);
        }
        if let Some(bytes) = self.limits.callback_queue_bytes {
            builder = builder.callback_queue_bytes(bytes);
        }
        if let Some(lazy) = self.limits.lazy {
            builder = builder.lazy(lazy);
        }
        for component in &self.components {
            builder = builder.component(component.spec(base, true));
        }
        builder
    }
}

impl Component {
    /// The component's spec, its paths resolved against `base`; its
    /// grants only `with_grants`.
    pub(crate) fn spec(&self, base: &Path, with_grants: bool) -> ComponentSpec {
        let component = self;
        let mut spec = ComponentSpec::from_file(&component.name, base.join(&component.wasm));
        let grants = if with_grants {
            &component.grants[..]
        } else {
            &[]
        };
        for grant in grants {
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
        if let Some(requests) = component.max_pending_requests {
            spec = spec.max_pending_requests(requests);
        }
        if let Some(bytes) = component.callback_queue_bytes {
            spec = spec.callback_queue_bytes(bytes);
        }
        if let Some(lazy) = component.lazy {
            spec = spec.lazy(lazy);
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
        for (key, value) in &component.config {
            spec = match value {
                ConfigValue::Literal(text) => spec.config(key, text),
                ConfigValue::Env { env } => spec.config_from_env(key, env),
            };
        }
        for bucket in &component.keyvalue.buckets {
            spec = spec.keyvalue_bucket(bucket);
        }
        if let Some(bytes) = component.keyvalue.quota_bytes {
            spec = spec.keyvalue_quota(bytes);
        }
        for origin in &component.http.allow {
            spec = spec.http_allow(origin);
        }
        if let Some(bytes) = component.http.max_response_bytes {
            spec = spec.max_http_response_bytes(bytes);
        }
        spec
    }
}

/// The manifest's name for a limit the builder names `limit`.
fn manifest_key(limit: &str) -> &str {
    match limit {
        "time_budget" => "time-budget-ms",
        "memory_limit" => "memory-limit-bytes",
        "default_timeout" => "default-timeout-ms",
        "restart_policy" => "restart.within-ms",
        "mailbox_capacity" => "mailbox-capacity",
        "max_pending_requests" => "max-pending-requests",
        "callback_queue_bytes" => "callback-queue-bytes",
        "max_payload_bytes" => "max-payload-bytes",
        other => other,
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

    /// Configuration, buckets and HTTP origins parse; a config value is
    /// text or a reference to an environment variable.
    #[test]
    fn parses_config_keyvalue_and_http() {
        let manifest = Manifest::parse(
            r#"
            [keyvalue]
            path = "state/db.redb"

            [[component]]
            name = "a"
            wasm = "a.wasm"

            [component.config]
            greeting = "hello"
            api-key = { env = "A_API_KEY" }

            [component.keyvalue]
            buckets = ["state", "cache"]
            quota-bytes = 1048576

            [component.http]
            allow = ["https://api.example.com", "http://127.0.0.1:8080"]
            max-response-bytes = 65536
            "#,
        )
        .unwrap();
        assert_eq!(manifest.keyvalue.path, Some(PathBuf::from("state/db.redb")));
        let a = &manifest.components[0];
        assert!(matches!(&a.config["greeting"], ConfigValue::Literal(text) if text == "hello"));
        assert!(matches!(&a.config["api-key"], ConfigValue::Env { env } if env == "A_API_KEY"));
        assert_eq!(a.keyvalue.buckets, ["state", "cache"]);
        assert_eq!(a.keyvalue.quota_bytes, Some(1 << 20));
        assert_eq!(a.http.allow.len(), 2);
        assert_eq!(a.http.max_response_bytes, Some(65536));

        let bad = "[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\n[component.http]\nallow = [\"api.example.com\"]\n";
        let error = Manifest::parse(bad)
            .unwrap()
            .checked_builder(Path::new("."))
            .unwrap_err();
        assert!(
            error.contains("api.example.com") && error.contains("scheme"),
            "{error}"
        );
    }

    /// `lazy` is read system-wide and per component; anything but a
    /// boolean names the field.
    #[test]
    fn lazy_is_a_boolean_system_wide_and_per_component() {
        let manifest = Manifest::parse(
            "[limits]\nlazy = true\n[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\nlazy = false\n",
        )
        .unwrap();
        assert_eq!(manifest.limits.lazy, Some(true));
        assert_eq!(manifest.components[0].lazy, Some(false));
        let error = Manifest::parse("[limits]\nlazy = \"yes\"\n").unwrap_err();
        assert!(error.contains("lazy"), "{error}");
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

    mod numbers {
        //! Fuzz-like: any number in any numeric key is a manifest, or an
        //! error naming that key; never a panic.

        use proptest::prelude::*;

        use super::*;

        const COMPONENT_KEYS: [&str; 5] = [
            "mailbox-capacity",
            "time-budget-ms",
            "memory-limit-bytes",
            "max-pending-requests",
            "callback-queue-bytes",
        ];
        const LIMITS_KEYS: [&str; 7] = [
            "default-timeout-ms",
            "max-payload-bytes",
            "mailbox-capacity",
            "time-budget-ms",
            "memory-limit-bytes",
            "max-pending-requests",
            "callback-queue-bytes",
        ];

        fn number() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                (0i64..70_000).prop_map(|n| n.to_string()),
                Just("4611686018427387904".to_owned()),
                Just("1e9".to_owned()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn any_number_is_a_limit_or_an_error_naming_its_key(
                in_limits in any::<bool>(),
                which in 0..7usize,
                value in number(),
            ) {
                let (key, text) = if in_limits {
                    let key = LIMITS_KEYS[which];
                    (key, format!("[limits]\n{key} = {value}\n\n[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\n"))
                } else {
                    let key = COMPONENT_KEYS[which % COMPONENT_KEYS.len()];
                    (key, format!("[[component]]\nname = \"a\"\nwasm = \"a.wasm\"\n{key} = {value}\n"))
                };
                let checked = Manifest::parse(&text)
                    .and_then(|manifest| manifest.checked_builder(Path::new(".")).map(drop));
                if let Err(error) = checked {
                    prop_assert!(error.contains(key), "{key} = {value}: {error}");
                }
            }
        }
    }
}

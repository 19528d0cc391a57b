//! `wasi:config/store`: each component sees its own keys, none unless given.

use std::sync::Arc;

use wasmtime_wasi_config::WasiConfigVariables;

/// Where one configuration value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConfigValue {
    /// The value itself.
    Literal(String),
    /// The host's environment variable of this name, read at start, so a
    /// manifest or builder call holds no secret.
    Env(String),
}

/// A component's configuration before start: keys and where their values
/// come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConfigSpec(pub(crate) Vec<(String, ConfigValue)>);

/// A host environment variable a configuration key names is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingEnv {
    pub(crate) key: String,
    pub(crate) var: String,
}

impl ConfigSpec {
    /// The values, environment variables read now. A later entry for a key
    /// replaces an earlier one.
    pub(crate) fn resolve(&self) -> Result<ConfigGrant, MissingEnv> {
        let mut variables = WasiConfigVariables::new();
        let mut keys = Vec::with_capacity(self.0.len());
        for (key, value) in &self.0 {
            let value = match value {
                ConfigValue::Literal(text) => text.clone(),
                ConfigValue::Env(var) => std::env::var(var).map_err(|_| MissingEnv {
                    key: key.clone(),
                    var: var.clone(),
                })?,
            };
            variables.insert(key.clone(), value);
            keys.push(key.clone());
        }
        Ok(ConfigGrant {
            variables: Arc::new(variables),
            keys,
        })
    }
}

/// A component's configuration, resolved: what its `wasi:config/store`
/// answers. Shared by all its instances.
#[derive(Clone, Default)]
pub(crate) struct ConfigGrant {
    pub(crate) variables: Arc<WasiConfigVariables>,
    keys: Vec<String>,
}

impl std::fmt::Debug for ConfigGrant {
    // Keys only: values may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigGrant")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

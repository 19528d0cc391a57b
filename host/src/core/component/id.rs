//! [`ComponentId`]: the name a component runs under.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

/// The name under which the host runs a component, for example `"billing"`.
///
/// Cheap to clone: every message carries its sender's id, so the name is
/// shared rather than copied.
///
/// ```
/// use airssys_wasm::ComponentId;
/// let id = ComponentId::new("billing");
/// assert_eq!(id.as_str(), "billing");
/// assert_eq!(id.to_string(), "billing");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId(Arc<str>);

impl ComponentId {
    /// The id under which the host application itself sends and requests.
    /// No component may take this name.
    ///
    /// ```
    /// use airssys_wasm::ComponentId;
    /// // Components granted "host" may send to the host application's inbox.
    /// assert_eq!(ComponentId::HOST, "host");
    /// ```
    pub const HOST: &'static str = "host";

    /// Creates an id from a component name.
    ///
    /// ```
    /// use airssys_wasm::ComponentId;
    /// let from_text: ComponentId = "billing".into();
    /// assert_eq!(ComponentId::new("billing"), from_text);
    /// ```
    pub fn new(name: impl AsRef<str>) -> Self {
        Self(Arc::from(name.as_ref()))
    }

    /// The id of the host application as a participant.
    ///
    /// ```
    /// use airssys_wasm::ComponentId;
    /// assert_eq!(ComponentId::host().as_str(), ComponentId::HOST);
    /// ```
    pub fn host() -> Self {
        // One shared name: the host sends on every request it makes.
        static HOST: std::sync::LazyLock<ComponentId> =
            std::sync::LazyLock::new(|| ComponentId::new(ComponentId::HOST));
        HOST.clone()
    }

    /// Whether this is the host application's id.
    ///
    /// ```
    /// use airssys_wasm::ComponentId;
    /// assert!(ComponentId::host().is_host());
    /// assert!(!ComponentId::new("billing").is_host());
    /// ```
    pub fn is_host(&self) -> bool {
        &*self.0 == Self::HOST
    }

    /// The name as a string slice.
    ///
    /// ```
    /// let id = airssys_wasm::ComponentId::new("billing");
    /// assert!(id.as_str().starts_with("bill"));
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for ComponentId {
    fn from(name: &str) -> Self {
        Self::new(name)
    }
}

impl From<String> for ComponentId {
    fn from(name: String) -> Self {
        Self(Arc::from(name))
    }
}

impl From<&ComponentId> for ComponentId {
    fn from(id: &ComponentId) -> Self {
        id.clone()
    }
}

impl Borrow<str> for ComponentId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ComponentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// As its name, a plain string.
impl serde::Serialize for ComponentId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ComponentId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

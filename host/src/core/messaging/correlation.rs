//! [`CorrelationId`]: pairs a request with its response.

use std::fmt;
use std::sync::Arc;

/// Unique identifier that pairs a request with its response.
///
/// The host generates one for every accepted `send-request`; the requester's
/// `handle-callback` receives the same id with the outcome.
///
/// ```
/// use airssys_wasm::CorrelationId;
/// let a = CorrelationId::generate();
/// let b = CorrelationId::generate();
/// assert_ne!(a, b);
/// assert_eq!(CorrelationId::new(a.as_str()), a);
/// ```
///
/// Cheap to clone: the router, the tracker and the envelope each hold the
/// same id, so the text is shared rather than copied.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorrelationId(Arc<str>);

impl CorrelationId {
    /// Creates a correlation id from a string, for example one a guest passed
    /// back to `cancel-request`.
    ///
    /// ```
    /// use airssys_wasm::CorrelationId;
    /// let id = CorrelationId::new("5f0c3c3e-0000-4000-8000-000000000001");
    /// assert_eq!(id.to_string(), "5f0c3c3e-0000-4000-8000-000000000001");
    /// ```
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// Generates a new unique id (a random UUID v4).
    ///
    /// ```
    /// let id = airssys_wasm::CorrelationId::generate();
    /// assert_eq!(id.as_str().len(), 36); // hyphenated UUID
    /// ```
    pub fn generate() -> Self {
        let mut buf = uuid::Uuid::encode_buffer();
        let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
        Self(Arc::from(&*text))
    }

    /// The id as a string slice.
    ///
    /// ```
    /// let id = airssys_wasm::CorrelationId::new("abc");
    /// assert_eq!(id.as_str(), "abc");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

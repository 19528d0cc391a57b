//! [`CorrelationId`]: pairs a request with its response.

use std::fmt;
use std::sync::{Arc, OnceLock};

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
/// Cheap to make and to clone: an id this host generates is its 128 bits,
/// formatted as text only when something reads it (a guest, a log line), and
/// hashed and compared as a number.
#[derive(Clone)]
pub struct CorrelationId(Repr);

#[derive(Clone)]
enum Repr {
    /// A UUID: generated here, or given as canonical lowercase text.
    Uuid {
        bits: u128,
        text: OnceLock<[u8; UUID_TEXT_LEN]>,
    },
    /// Any other text, kept as it was given.
    Text(Arc<str>),
}

/// Length of a hyphenated UUID's text.
const UUID_TEXT_LEN: usize = 36;

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
        let id = id.into();
        match canonical_uuid(&id) {
            Some(bits) => Self::from_bits(bits),
            None => Self(Repr::Text(Arc::from(id))),
        }
    }

    /// Generates a new unique id (a random UUID v4).
    ///
    /// ```
    /// let id = airssys_wasm::CorrelationId::generate();
    /// assert_eq!(id.as_str().len(), 36); // hyphenated UUID
    /// ```
    pub fn generate() -> Self {
        Self::from_bits(uuid::Uuid::new_v4().as_u128())
    }

    fn from_bits(bits: u128) -> Self {
        Self(Repr::Uuid {
            bits,
            text: OnceLock::new(),
        })
    }

    /// The id as a string slice.
    ///
    /// ```
    /// let id = airssys_wasm::CorrelationId::new("abc");
    /// assert_eq!(id.as_str(), "abc");
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Uuid { bits, text } => {
                let text = text.get_or_init(|| uuid_text(*bits));
                // Hex digits and hyphens: always ASCII.
                std::str::from_utf8(text).unwrap_or_default()
            }
            Repr::Text(text) => text,
        }
    }
}

/// The bits of `text` if it is a UUID written the way [`uuid_text`] writes
/// one, so that an id read back from its text is the same id.
fn canonical_uuid(text: &str) -> Option<u128> {
    if text.len() != UUID_TEXT_LEN {
        return None;
    }
    let bits = uuid::Uuid::try_parse(text).ok()?.as_u128();
    (uuid_text(bits) == text.as_bytes()).then_some(bits)
}

fn uuid_text(bits: u128) -> [u8; UUID_TEXT_LEN] {
    let mut text = [0; UUID_TEXT_LEN];
    uuid::Uuid::from_u128(bits)
        .hyphenated()
        .encode_lower(&mut text);
    text
}

impl PartialEq for CorrelationId {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Uuid { bits: a, .. }, Repr::Uuid { bits: b, .. }) => a == b,
            (Repr::Text(a), Repr::Text(b)) => a == b,
            // Text that reads as a UUID is always kept as one.
            _ => false,
        }
    }
}

impl Eq for CorrelationId {}

impl std::hash::Hash for CorrelationId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match &self.0 {
            Repr::Uuid { bits, .. } => bits.hash(state),
            Repr::Text(text) => text.hash(state),
        }
    }
}

impl PartialOrd for CorrelationId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The order of the ids' text (lowercase hex orders as the numbers do).
impl Ord for CorrelationId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (&self.0, &other.0) {
            (Repr::Uuid { bits: a, .. }, Repr::Uuid { bits: b, .. }) => a.cmp(b),
            _ => self.as_str().cmp(other.as_str()),
        }
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// As its text, a plain string.
impl serde::Serialize for CorrelationId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CorrelationId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id and the id read back from its text are the same, hash the same
    /// and sort the same; other text stays text.
    #[test]
    fn text_and_generated_ids_agree() {
        let minted: Vec<CorrelationId> = (0..64).map(|_| CorrelationId::generate()).collect();
        let read_back: Vec<CorrelationId> = minted
            .iter()
            .map(|id| CorrelationId::new(id.as_str()))
            .collect();
        assert_eq!(minted, read_back);
        let state = std::collections::hash_map::RandomState::new();
        for (a, b) in minted.iter().zip(&read_back) {
            use std::hash::BuildHasher;
            assert_eq!(state.hash_one(a), state.hash_one(b));
        }
        let mut by_id = minted.clone();
        by_id.sort();
        let mut by_text: Vec<String> = minted.iter().map(ToString::to_string).collect();
        by_text.sort();
        let sorted: Vec<String> = by_id.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, by_text);

        let upper = minted[0].as_str().to_uppercase();
        assert_ne!(CorrelationId::new(upper.as_str()), minted[0]);
        assert_eq!(CorrelationId::new(upper.as_str()).as_str(), upper);
        assert_eq!(CorrelationId::new("r1").as_str(), "r1");
        assert!(CorrelationId::new("r1") < CorrelationId::new("r2"));
    }
}

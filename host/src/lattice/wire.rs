//! What travels between hosts: subjects, headers, signatures, outcomes.
//!
//! Every subject of a lattice starts with `airssys.<lattice>.`, so a NATS
//! account's permissions can confine a host to its lattice with one
//! pattern:
//!
//! | subject | carries |
//! | --- | --- |
//! | `hosts` | announcements: a host, its components, their grants |
//! | `hello` | a joining host asks every host to announce itself now |
//! | `c.<component>` | messages and requests to a component (queue group: its name) |
//! | `r.<host>.<correlation>` | the outcome of a request `<host>` made |
//! | `b.<host>` | a refused fire-and-forget message, told back to its sender's host |

use async_nats::HeaderMap;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::core::component::id::ComponentId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;

pub(crate) const HOST: &str = "Airssys-Host";
pub(crate) const FROM: &str = "Airssys-From";
pub(crate) const KIND: &str = "Airssys-Kind";
pub(crate) const TIMEOUT: &str = "Airssys-Timeout-Ms";
pub(crate) const SIGNATURE: &str = "Airssys-Sig";
/// On a failed outcome: the error as text (the body holds it encoded).
pub(crate) const ERROR: &str = "Airssys-Error";

pub(crate) const SEND: &str = "send";
pub(crate) const REQUEST: &str = "request";

/// The subjects of one lattice.
#[derive(Debug, Clone)]
pub(crate) struct Subjects {
    prefix: String,
}

impl Subjects {
    pub(crate) fn new(lattice: &str) -> Self {
        Self {
            prefix: format!("airssys.{lattice}"),
        }
    }

    pub(crate) fn hosts(&self) -> String {
        format!("{}.hosts", self.prefix)
    }

    pub(crate) fn hello(&self) -> String {
        format!("{}.hello", self.prefix)
    }

    pub(crate) fn component(&self, name: &str) -> String {
        format!("{}.c.{}", self.prefix, token(name))
    }

    pub(crate) fn replies(&self, host: &str) -> String {
        format!("{}.r.{host}.*", self.prefix)
    }

    /// Whether `reply` is a reply subject of `host`'s: a host may only ask
    /// for answers to itself.
    pub(crate) fn is_reply_of(&self, reply: &str, host: &str) -> bool {
        reply
            .strip_prefix(&self.prefix)
            .and_then(|rest| rest.strip_prefix(".r."))
            .and_then(|rest| rest.strip_prefix(host))
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|correlation| !correlation.is_empty() && !correlation.contains('.'))
    }

    pub(crate) fn reply(&self, host: &str, correlation: &str) -> String {
        format!("{}.r.{host}.{}", self.prefix, token(correlation))
    }

    pub(crate) fn bounces(&self, host: &str) -> String {
        format!("{}.b.{host}", self.prefix)
    }
}

/// Whether `name` may name a lattice: it becomes a subject token.
pub(crate) fn valid_lattice_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(plain)
}

fn plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// A name as one subject token: itself when it holds only letters, digits,
/// `-` and `_`; otherwise `%` and its bytes in hex, which no plain name can
/// collide with.
pub(crate) fn token(name: &str) -> String {
    if !name.is_empty() && name.bytes().all(plain) {
        return name.to_owned();
    }
    let mut out = String::with_capacity(1 + 2 * name.len());
    out.push('%');
    for byte in name.bytes() {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The last token of a reply subject: the correlation id, decoded.
pub(crate) fn correlation_of(subject: &str) -> Option<String> {
    let last = subject.rsplit('.').next()?;
    match last.strip_prefix('%') {
        None => Some(last.to_owned()),
        Some(hex) => {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
                .collect::<Option<Vec<u8>>>()?;
            String::from_utf8(bytes).ok()
        }
    }
}

/// Signs and checks lattice messages with the lattice's secret. Without
/// one, every message passes (the NATS account is then the only guard).
#[derive(Clone)]
pub(crate) struct Signer {
    key: Option<Vec<u8>>,
}

impl Signer {
    pub(crate) fn new(key: Option<Vec<u8>>) -> Self {
        Self { key }
    }

    /// Whether messages are signed (the lattice has a secret).
    pub(crate) fn signs(&self) -> bool {
        self.key.is_some()
    }

    /// The tag over the subject, the reply subject, the headers that say
    /// who and what, and the payload: each length-prefixed, so no two
    /// messages share a byte string.
    fn tag(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: &HeaderMap,
        payload: &[u8],
    ) -> Option<String> {
        let key = self.key.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        let mut feed = |part: &[u8]| {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_le_bytes());
            mac.update(part);
        };
        feed(subject.as_bytes());
        feed(reply.unwrap_or("").as_bytes());
        for name in [HOST, FROM, KIND, TIMEOUT] {
            feed(
                headers
                    .get(name)
                    .map_or("", |value| value.as_str())
                    .as_bytes(),
            );
        }
        feed(payload);
        let bytes = mac.finalize().into_bytes();
        Some(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub(crate) fn sign(
        &self,
        subject: &str,
        reply: Option<&str>,
        headers: &mut HeaderMap,
        payload: &[u8],
    ) {
        if let Some(tag) = self.tag(subject, reply, headers, payload) {
            headers.insert(SIGNATURE, tag.as_str());
        }
    }

    /// Whether the message carries a valid tag (always, without a secret).
    pub(crate) fn verify(&self, message: &async_nats::Message) -> bool {
        let empty = HeaderMap::new();
        let headers = message.headers.as_ref().unwrap_or(&empty);
        let reply = message.reply.as_ref().map(|reply| reply.as_str());
        let Some(expected) = self.tag(&message.subject, reply, headers, &message.payload) else {
            return true;
        };
        let given = headers.get(SIGNATURE).map_or("", |value| value.as_str());
        // Compared in constant time: a timing difference would leak the tag.
        expected.len() == given.len()
            && expected
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// A host's announcement: who it is and what it runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Announcement {
    pub(crate) host: String,
    pub(crate) components: Vec<Announced>,
    /// The largest payload its router accepts.
    pub(crate) max_payload_bytes: usize,
    /// Sent once when the host leaves: its requesters need not wait.
    #[serde(default)]
    pub(crate) leaving: bool,
    /// How often it announces itself: it is lost after missing three.
    #[serde(default = "default_heartbeat_ms")]
    pub(crate) heartbeat_ms: u64,
}

fn default_heartbeat_ms() -> u64 {
    1000
}

/// A component as its host announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Announced {
    pub(crate) name: String,
    /// SHA-256 of its wasm, hex: the same digest on two hosts makes them
    /// replicas; a different one is a name taken.
    pub(crate) digest: String,
    /// The names it may message.
    pub(crate) grants: Vec<String>,
    /// It may message every component.
    pub(crate) grant_any: bool,
}

impl Announced {
    pub(crate) fn may_message(&self, target: &str) -> bool {
        self.grant_any || self.grants.iter().any(|grant| grant == target)
    }
}

/// A request's outcome on the wire.
#[derive(Serialize, Deserialize)]
enum WireOutcome {
    Answer(#[serde(with = "serde_bytes_compat")] Vec<u8>),
    Failed(RequestError),
}

/// Encodes a request's outcome for the reply subject.
pub(crate) fn encode_outcome(outcome: &RequestOutcome) -> Bytes {
    let wire = match outcome {
        Ok(payload) => WireOutcome::Answer(payload.as_bytes().to_vec()),
        Err(error) => WireOutcome::Failed(error.clone()),
    };
    Bytes::from(rmp_serde::to_vec(&wire).expect("an outcome always encodes"))
}

/// Decodes a reply; a reply that does not decode is the responder's host
/// misbehaving, reported as such to the requester.
pub(crate) fn decode_outcome(target: &ComponentId, bytes: &[u8]) -> RequestOutcome {
    match rmp_serde::from_slice::<WireOutcome>(bytes) {
        Ok(WireOutcome::Answer(payload)) => Ok(MessagePayload::from(payload)),
        Ok(WireOutcome::Failed(error)) => Err(error),
        Err(error) => Err(RequestError::Refused {
            target: target.clone(),
            error: MessagingError::TargetFailed {
                target: target.clone(),
                reason: format!("its host sent an answer that does not decode: {error}"),
            },
        }),
    }
}

/// Encodes a refusal of a fire-and-forget message, for the sender's host.
pub(crate) fn encode_bounce(from: &ComponentId, error: &MessagingError) -> Bytes {
    Bytes::from(rmp_serde::to_vec(&(from, error)).expect("a refusal always encodes"))
}

pub(crate) fn decode_bounce(bytes: &[u8]) -> Option<(ComponentId, MessagingError)> {
    rmp_serde::from_slice(bytes).ok()
}

/// Bytes as a MessagePack binary rather than an array of integers.
mod serde_bytes_compat {
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
        }
        deserializer.deserialize_byte_buf(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_single_tokens_and_come_back() {
        let subjects = Subjects::new("shop");
        assert_eq!(subjects.component("pong"), "airssys.shop.c.pong");
        assert_eq!(subjects.component("a.b"), "airssys.shop.c.%612e62");
        assert_eq!(
            correlation_of("airssys.shop.r.h.%612e62").as_deref(),
            Some("a.b")
        );
        assert_eq!(
            correlation_of("airssys.shop.r.h.abc-1").as_deref(),
            Some("abc-1")
        );
        assert!(!valid_lattice_name("a.b"));
        assert!(valid_lattice_name("prod-eu_1"));
    }

    fn message(
        subject: &str,
        reply: Option<&str>,
        headers: &HeaderMap,
        payload: &[u8],
    ) -> async_nats::Message {
        async_nats::Message {
            subject: subject.into(),
            reply: reply.map(Into::into),
            payload: Bytes::copy_from_slice(payload),
            headers: Some(headers.clone()),
            status: None,
            description: None,
            length: 0,
        }
    }

    #[test]
    fn a_tag_covers_subject_reply_headers_and_payload() {
        let signer = Signer::new(Some(b"k".to_vec()));
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "h1");
        headers.insert(FROM, "ping");
        signer.sign("s", Some("r"), &mut headers, b"p");
        assert!(signer.verify(&message("s", Some("r"), &headers, b"p")));
        assert!(!signer.verify(&message("s2", Some("r"), &headers, b"p")));
        assert!(!signer.verify(&message("s", Some("r2"), &headers, b"p")));
        assert!(!signer.verify(&message("s", None, &headers, b"p")));
        assert!(!signer.verify(&message("s", Some("r"), &headers, b"q")));
        let mut forged = headers.clone();
        forged.insert(FROM, "admin");
        assert!(!signer.verify(&message("s", Some("r"), &forged, b"p")));
        assert!(!Signer::new(Some(b"other".to_vec())).verify(&message(
            "s",
            Some("r"),
            &headers,
            b"p"
        )));
        assert!(Signer::new(None).verify(&message("s", None, &HeaderMap::new(), b"p")));
    }

    #[test]
    fn a_host_asks_for_answers_only_to_itself() {
        let subjects = Subjects::new("shop");
        assert!(subjects.is_reply_of("airssys.shop.r.h1.abc", "h1"));
        assert!(!subjects.is_reply_of("airssys.shop.r.h2.abc", "h1"));
        assert!(!subjects.is_reply_of("airssys.shop.r.h1", "h1"));
        assert!(!subjects.is_reply_of("airssys.shop.r.h1.a.b", "h1"));
        assert!(!subjects.is_reply_of("airssys.other.r.h1.abc", "h1"));
    }

    #[test]
    fn outcomes_round_trip() {
        let target = ComponentId::new("pong");
        let answer: RequestOutcome = Ok(MessagePayload::from("pong 1"));
        assert_eq!(decode_outcome(&target, &encode_outcome(&answer)), answer);
        let refused: RequestOutcome = Err(RequestError::Refused {
            target: target.clone(),
            error: MessagingError::QueueFull {
                target: target.clone(),
                capacity: 4,
            },
        });
        assert_eq!(decode_outcome(&target, &encode_outcome(&refused)), refused);
        assert!(matches!(
            decode_outcome(&target, b"\xff"),
            Err(RequestError::Refused { .. })
        ));
    }
}

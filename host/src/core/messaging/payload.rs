//! [`MessagePayload`]: the bytes of a message.

use std::fmt;

/// The bytes of one message, request or response.
///
/// The router moves payloads and never copies them; the only copy is into the
/// receiving guest's memory.
///
/// ```
/// use airssys_wasm::MessagePayload;
/// let text = MessagePayload::from("hello");
/// let bytes = MessagePayload::from(vec![0xffu8, 0xfe, 0]); // not UTF-8
/// assert_eq!(format!("{text:?} {bytes:?}"), "\"hello\" <3 bytes>");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct MessagePayload(Vec<u8>);

impl MessagePayload {
    /// Wraps bytes as a payload.
    ///
    /// ```
    /// let payload = airssys_wasm::MessagePayload::new(*b"ok");
    /// assert_eq!(payload.as_bytes(), b"ok");
    /// ```
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The payload's bytes.
    ///
    /// ```
    /// let payload = airssys_wasm::MessagePayload::from("héllo");
    /// assert_eq!(std::str::from_utf8(payload.as_bytes()), Ok("héllo"));
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The payload's bytes, owned.
    ///
    /// ```
    /// let payload = airssys_wasm::MessagePayload::from("ok");
    /// let bytes: Vec<u8> = payload.into_bytes();
    /// assert_eq!(bytes, b"ok");
    /// ```
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The payload as text, invalid UTF-8 replaced.
    ///
    /// ```
    /// let payload = airssys_wasm::MessagePayload::from("3 left");
    /// assert_eq!(payload.text(), "3 left");
    /// assert_eq!(payload, "3 left");
    /// ```
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The whole payload, escaped for a terminal or a log line: text as a
    /// quoted string, other bytes as a byte string. (`{:?}` shows only the
    /// first 64 bytes.)
    ///
    /// ```
    /// use airssys_wasm::MessagePayload;
    /// assert_eq!(MessagePayload::from("a\nb").escaped(), r#""a\nb""#);
    /// assert_eq!(MessagePayload::from(vec![0xff, b'a']).escaped(), r#"b"\xffa""#);
    /// ```
    pub fn escaped(&self) -> String {
        match std::str::from_utf8(&self.0) {
            Ok(text) => format!("{text:?}"),
            Err(_) => format!("b\"{}\"", self.0.escape_ascii()),
        }
    }

    /// The size in bytes.
    ///
    /// ```
    /// assert_eq!(airssys_wasm::MessagePayload::from("héllo").len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the payload has no bytes.
    ///
    /// ```
    /// assert!(airssys_wasm::MessagePayload::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Compares with text, as tests do.
impl PartialEq<str> for MessagePayload {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for MessagePayload {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<[u8]> for MessagePayload {
    fn eq(&self, other: &[u8]) -> bool {
        self.0 == other
    }
}

impl PartialEq<&[u8]> for MessagePayload {
    fn eq(&self, other: &&[u8]) -> bool {
        self.0 == *other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for MessagePayload {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.0 == other.as_slice()
    }
}

impl From<Vec<u8>> for MessagePayload {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<&[u8]> for MessagePayload {
    fn from(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for MessagePayload {
    fn from(bytes: &[u8; N]) -> Self {
        Self(bytes.to_vec())
    }
}

impl From<&str> for MessagePayload {
    fn from(text: &str) -> Self {
        Self(text.as_bytes().to_vec())
    }
}

impl From<String> for MessagePayload {
    fn from(text: String) -> Self {
        Self(text.into_bytes())
    }
}

impl fmt::Debug for MessagePayload {
    /// Shows UTF-8 payloads as text (the first 64 bytes' worth of
    /// characters, then `…`), others by size; [`escaped`](Self::escaped)
    /// shows the whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const PREVIEW: usize = 64;
        match std::str::from_utf8(&self.0) {
            Ok(text) if text.len() <= PREVIEW => write!(f, "{text:?}"),
            Ok(text) => {
                let cut = (0..=PREVIEW).rev().find(|&at| text.is_char_boundary(at));
                let head = &text[..cut.unwrap_or(0)];
                write!(f, "{head:?}… <{} bytes>", self.0.len())
            }
            Err(_) => write!(f, "<{} bytes>", self.0.len()),
        }
    }
}

/// A payload in a flow event: its preview, or (alternate form, `{:#}`) the
/// whole of it escaped, for `airssys run --full-payloads`. Not
/// `MessagePayload`'s own alternate `Debug`, which `{:#?}` of anything
/// holding a payload would reach.
pub(crate) struct FlowPayload<'a>(pub(crate) &'a MessagePayload);

impl fmt::Display for FlowPayload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            f.write_str(&self.0.escaped())
        } else {
            write!(f, "{:?}", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FlowPayload, MessagePayload};

    #[test]
    fn debug_shows_text_cut_at_a_character_boundary() {
        assert_eq!(format!("{:?}", MessagePayload::from("hi")), "\"hi\"");
        let long = format!("{}é{}", "a".repeat(63), "b".repeat(10));
        let shown = format!("{:?}", MessagePayload::from(long));
        assert_eq!(shown, format!("\"{}\"… <75 bytes>", "a".repeat(63)));
        assert_eq!(
            format!("{:?}", MessagePayload::from(vec![0xff, 0])),
            "<2 bytes>"
        );
    }

    #[test]
    fn escaped_is_the_whole_payload() {
        let long = format!("{}\n{}", "a".repeat(70), "b".repeat(10));
        let payload = MessagePayload::from(long.as_str());
        assert_eq!(payload.escaped(), format!("{long:?}"));
        assert_eq!(format!("{}", FlowPayload(&payload)), format!("{payload:?}"));
        assert_eq!(format!("{:#}", FlowPayload(&payload)), payload.escaped());
        assert_eq!(
            MessagePayload::from(vec![0xff, 0, b'a', b'"']).escaped(),
            "b\"\\xff\\x00a\\\"\""
        );
    }
}

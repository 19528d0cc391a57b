//! Typed payloads for host code: [`Json`] and [`MsgPack`], the same codecs
//! the guest SDK's `Json<T>` and `MsgPack<T>` use, so both ends agree.
//!
//! ```
//! use airssys_wasm::{Json, MsgPack, MessagePayload};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Order { item: String, quantity: u32 }
//!
//! let order = Order { item: "book".into(), quantity: 2 };
//! let payload: MessagePayload = Json(&order).encode()?;
//! assert_eq!(payload.as_bytes(), br#"{"item":"book","quantity":2}"#);
//! let Json(back) = Json::<Order>::decode(&payload)?;
//! assert_eq!(back, order);
//!
//! let compact = MsgPack(&order).encode()?;
//! assert!(compact.len() < payload.len());
//! # Ok::<(), airssys_wasm::CodecError>(())
//! ```

use std::any::type_name;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::core::messaging::payload::MessagePayload;

/// A value carried as JSON (`serde_json`).
///
/// ```no_run
/// # async fn demo(system: &airssys_wasm::System) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use airssys_wasm::Json;
///
/// #[derive(serde::Serialize)]
/// struct Order { item: String, quantity: u32 }
/// #[derive(serde::Deserialize)]
/// struct Receipt { total_cents: u64 }
///
/// let order = Json(Order { item: "book".into(), quantity: 2 }).encode()?;
/// let answer = system.request("shop", order, Duration::from_secs(1))?.await?;
/// let Json(receipt) = Json::<Receipt>::decode(&answer)?;
/// println!("paid {}", receipt.total_cents);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// A value carried as MessagePack (`rmp-serde`, fields by name).
///
/// ```
/// use airssys_wasm::MsgPack;
///
/// let payload = MsgPack(vec![1u16, 2, 3]).encode()?;
/// assert_eq!(payload.as_bytes(), [0x93, 1, 2, 3]); // a 3-element array
/// assert_eq!(MsgPack::<Vec<u16>>::decode(&payload)?.0, [1, 2, 3]);
/// # Ok::<(), airssys_wasm::CodecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgPack<T>(pub T);

/// A value that could not be encoded, or bytes that are not the expected
/// type. Both name the type and the codec.
///
/// ```
/// use airssys_wasm::{CodecError, Json, MessagePayload};
///
/// let error = Json::<u32>::decode(&MessagePayload::from("\"ten\"")).unwrap_err();
/// assert!(matches!(error, CodecError::Decode { codec: "JSON", type_name: "u32", .. }));
/// assert!(error.to_string().starts_with("expected u32 as JSON: invalid type"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The value cannot be represented in the codec (a JSON map with
    /// non-string keys, a failing `Serialize` impl).
    #[error("cannot encode {type_name} as {codec}: {reason}")]
    Encode {
        /// `"JSON"` or `"MessagePack"`.
        codec: &'static str,
        /// The Rust type that was being encoded.
        type_name: &'static str,
        /// The serializer's explanation.
        reason: String,
    },
    /// The bytes are not a valid encoding of the expected type.
    #[error("expected {type_name} as {codec}: {reason}")]
    Decode {
        /// `"JSON"` or `"MessagePack"`.
        codec: &'static str,
        /// The Rust type that was expected.
        type_name: &'static str,
        /// The deserializer's explanation.
        reason: String,
    },
}

impl<T: Serialize> Json<T> {
    /// Encodes the value as a JSON payload.
    ///
    /// ```
    /// let payload = airssys_wasm::Json(["a", "b"]).encode()?;
    /// assert_eq!(payload.as_bytes(), br#"["a","b"]"#);
    /// # Ok::<(), airssys_wasm::CodecError>(())
    /// ```
    pub fn encode(&self) -> Result<MessagePayload, CodecError> {
        serde_json::to_vec(&self.0)
            .map(MessagePayload::from)
            .map_err(|error| encode_error::<T>("JSON", error))
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// Decodes a JSON payload (a response, an inbox message).
    ///
    /// ```
    /// use airssys_wasm::{Json, MessagePayload};
    /// let Json(total) = Json::<u64>::decode(&MessagePayload::from("1250"))?;
    /// assert_eq!(total, 1250);
    /// # Ok::<(), airssys_wasm::CodecError>(())
    /// ```
    pub fn decode(payload: &MessagePayload) -> Result<Self, CodecError> {
        serde_json::from_slice(payload.as_bytes())
            .map(Json)
            .map_err(|error| decode_error::<T>("JSON", error))
    }
}

impl<T: Serialize> MsgPack<T> {
    /// Encodes the value as a MessagePack payload.
    ///
    /// ```
    /// let payload = airssys_wasm::MsgPack(true).encode()?;
    /// assert_eq!(payload.as_bytes(), [0xc3]);
    /// # Ok::<(), airssys_wasm::CodecError>(())
    /// ```
    pub fn encode(&self) -> Result<MessagePayload, CodecError> {
        rmp_serde::to_vec_named(&self.0)
            .map(MessagePayload::from)
            .map_err(|error| encode_error::<T>("MessagePack", error))
    }
}

impl<T: DeserializeOwned> MsgPack<T> {
    /// Decodes a MessagePack payload.
    ///
    /// ```
    /// use airssys_wasm::{MessagePayload, MsgPack};
    /// let MsgPack(text) = MsgPack::<String>::decode(&MessagePayload::from(&[0xa2, b'o', b'k']))?;
    /// assert_eq!(text, "ok");
    /// # Ok::<(), airssys_wasm::CodecError>(())
    /// ```
    pub fn decode(payload: &MessagePayload) -> Result<Self, CodecError> {
        rmp_serde::from_slice(payload.as_bytes())
            .map(MsgPack)
            .map_err(|error| decode_error::<T>("MessagePack", error))
    }
}

fn encode_error<T>(codec: &'static str, error: impl std::fmt::Display) -> CodecError {
    CodecError::Encode {
        codec,
        type_name: type_name::<T>(),
        reason: error.to_string(),
    }
}

fn decode_error<T>(codec: &'static str, error: impl std::fmt::Display) -> CodecError {
    CodecError::Decode {
        codec,
        type_name: type_name::<T>(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Order {
        item: String,
        quantity: u32,
    }

    #[test]
    fn the_wrong_bytes_name_the_expected_type_and_codec() {
        let error = Json::<Order>::decode(&MessagePayload::from("not json")).unwrap_err();
        assert!(
            matches!(error, CodecError::Decode { codec: "JSON", type_name, .. } if type_name.ends_with("::Order")),
            "{error:?}"
        );
        let json = Json(Order {
            item: "book".into(),
            quantity: 2,
        })
        .encode()
        .unwrap();
        let error = MsgPack::<Order>::decode(&json).unwrap_err();
        assert!(
            matches!(error, CodecError::Decode { codec: "MessagePack", type_name, .. } if type_name.ends_with("::Order")),
            "{error:?}"
        );
    }

    #[test]
    fn a_value_json_cannot_hold_is_an_encode_error() {
        let map: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
        let error = Json(&map).encode().unwrap_err();
        assert!(
            matches!(error, CodecError::Encode { codec: "JSON", .. }),
            "{error}"
        );
    }
}

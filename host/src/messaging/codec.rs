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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// A value carried as MessagePack (`rmp-serde`, fields by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgPack<T>(pub T);

/// A value that could not be encoded, or bytes that are not the expected
/// type. Both name the type and the codec.
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
    pub fn encode(&self) -> Result<MessagePayload, CodecError> {
        serde_json::to_vec(&self.0)
            .map(MessagePayload::from)
            .map_err(|error| encode_error::<T>("JSON", error))
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// Decodes a JSON payload (a response, an inbox message).
    pub fn decode(payload: &MessagePayload) -> Result<Self, CodecError> {
        serde_json::from_slice(payload.as_bytes())
            .map(Json)
            .map_err(|error| decode_error::<T>("JSON", error))
    }
}

impl<T: Serialize> MsgPack<T> {
    /// Encodes the value as a MessagePack payload.
    pub fn encode(&self) -> Result<MessagePayload, CodecError> {
        rmp_serde::to_vec_named(&self.0)
            .map(MessagePayload::from)
            .map_err(|error| encode_error::<T>("MessagePack", error))
    }
}

impl<T: DeserializeOwned> MsgPack<T> {
    /// Decodes a MessagePack payload.
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
        assert!(matches!(error, CodecError::Decode { codec: "JSON", .. }));
        assert!(error.to_string().contains("Order"), "{error}");
        let json = Json(Order {
            item: "book".into(),
            quantity: 2,
        })
        .encode()
        .unwrap();
        let error = MsgPack::<Order>::decode(&json).unwrap_err();
        assert!(error.to_string().contains("as MessagePack"), "{error}");
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

//! Typed messages: [`Json`] and [`MsgPack`] wrap serde types, and
//! [`ToPayload`] is what [`send`](crate::send) and
//! [`request`](crate::request) accept, [`FromCallbackResult`] what a
//! request's outcome is decoded into.
//!
//! A handler takes and returns the wrappers directly, and each function
//! picks its own codec:
//!
//! ```no_run
//! use airssys_wasm_guest::{export, ComponentError, ComponentId, Json};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Order { item: String, quantity: u32 }
//!
//! #[derive(Serialize)]
//! struct Receipt { item: String, total_cents: u64 }
//!
//! #[export]
//! fn handle_message(_sender: ComponentId, Json(order): Json<Order>) -> Result<Json<Receipt>, ComponentError> {
//!     Ok(Json(Receipt { total_cents: 1250 * u64::from(order.quantity), item: order.item }))
//! }
//! ```
//!
//! A message that does not decode never reaches the handler: the sender
//! gets an `invalid-input` error naming the type and the codec.

use std::any::type_name;
use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::ComponentError;

/// A value carried as JSON (`serde_json`): readable, and what a manifest's
/// text payloads and most tools speak.
///
/// ```
/// use airssys_wasm_guest::{export, ComponentError, ComponentId, Json};
///
/// #[derive(serde::Deserialize)]
/// struct Order { item: String, quantity: u32 }
/// #[derive(serde::Serialize)]
/// struct Receipt { item: String, total_cents: u64 }
///
/// /// A payload that is not an `Order` never gets here: the sender gets
/// /// `invalid-input` naming the type.
/// #[export]
/// fn handle_message(_sender: ComponentId, Json(order): Json<Order>) -> Result<Json<Receipt>, ComponentError> {
///     let total_cents = u64::from(order.quantity) * 1250;
///     Ok(Json(Receipt { item: order.item, total_cents }))
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Json<T>(pub T);

/// A value carried as MessagePack (`rmp-serde`, fields by name): compact
/// and fast, for messages between plugins.
///
/// ```
/// use airssys_wasm_guest::{MsgPack, ToPayload};
///
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Reserve { sku: String, count: u16 }
///
/// let wire = MsgPack(Reserve { sku: "b-1".into(), count: 2 }).to_payload()?.into_owned();
/// let MsgPack(back) = MsgPack::<Reserve>::decode(&wire).map_err(|e| format!("{e:?}"))?;
/// assert_eq!(back, Reserve { sku: "b-1".into(), count: 2 });
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgPack<T>(pub T);

/// Anything that can be sent as a message: bytes and text as they are,
/// [`Json`] and [`MsgPack`] values encoded.
///
/// ```
/// use airssys_wasm_guest::{Json, ToPayload};
///
/// // What `send` and `request` accept: bytes and text as they are, typed
/// // values encoded.
/// assert_eq!(&*"hi".to_payload()?, b"hi");
/// assert_eq!(&*vec![1u8, 2].to_payload()?, [1, 2]);
/// assert_eq!(&*Json([1, 2]).to_payload()?, b"[1,2]");
/// # Ok::<(), String>(())
/// ```
pub trait ToPayload {
    /// The message bytes, or why the value cannot be encoded.
    ///
    /// ```
    /// use airssys_wasm_guest::{Json, ToPayload};
    /// use std::collections::HashMap;
    ///
    /// // JSON object keys must be strings: this map cannot be encoded.
    /// let map: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
    /// let error = Json(map).to_payload().unwrap_err();
    /// assert!(error.starts_with("cannot encode"));
    /// ```
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String>;
}

impl ToPayload for [u8] {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(self))
    }
}

impl<const N: usize> ToPayload for [u8; N] {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(self))
    }
}

impl ToPayload for Vec<u8> {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(self))
    }
}

impl ToPayload for str {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(self.as_bytes()))
    }
}

impl ToPayload for String {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        Ok(Cow::Borrowed(self.as_bytes()))
    }
}

impl<T: ToPayload + ?Sized> ToPayload for &T {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        (**self).to_payload()
    }
}

impl<T: Serialize> ToPayload for Json<T> {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        serde_json::to_vec(&self.0)
            .map(Cow::Owned)
            .map_err(|error| format!("cannot encode {} as JSON: {error}", type_name::<T>()))
    }
}

impl<T: Serialize> ToPayload for MsgPack<T> {
    fn to_payload(&self) -> Result<Cow<'_, [u8]>, String> {
        rmp_serde::to_vec_named(&self.0)
            .map(Cow::Owned)
            .map_err(|error| format!("cannot encode {} as MessagePack: {error}", type_name::<T>()))
    }
}

/// What a request's outcome is taken as: the second parameter of
/// `handle_callback`, and what an [`on_reply`](crate::CorrelationId::on_reply)
/// closure takes. `Result<Vec<u8>, String>` as it came, or `Result<Json<T>,
/// String>` / `Result<MsgPack<T>, String>` decoded.
///
/// ```
/// use airssys_wasm_guest::{codec::FromCallbackResult, Json};
/// let answer = <Result<Json<u32>, String>>::from_callback_result(Ok(b"7".to_vec())).unwrap();
/// assert_eq!(answer, Ok(Json(7)));
/// // An answer that does not decode is an error text, like a failed request.
/// let answer = <Result<Json<u32>, String>>::from_callback_result(Ok(b"seven".to_vec())).unwrap();
/// assert!(answer.unwrap_err().contains("u32"));
/// ```
#[diagnostic::on_unimplemented(
    message = "a request's outcome (the second parameter of `handle_callback`, or what an `on_reply` closure takes) must be `Result<Vec<u8>, String>` (or `Json<T>` / `MsgPack<T>` in place of `Vec<u8>`), not `{Self}`",
    label = "expected `Result<Vec<u8>, String>`"
)]
pub trait FromCallbackResult: Sized {
    /// Decodes the outcome: `Ok(bytes)` is the answer, `Err(text)` says why
    /// the request failed.
    ///
    /// ```
    /// use airssys_wasm_guest::codec::FromCallbackResult;
    /// let failed = <Result<Vec<u8>, String>>::from_callback_result(Err("timed out".into()));
    /// assert_eq!(failed, Ok(Err("timed out".to_owned())));
    /// ```
    ///
    /// # Errors
    ///
    /// None of this crate's types fail here: a typed answer that does not
    /// decode becomes the `Err` text of the outcome instead.
    fn from_callback_result(result: Result<Vec<u8>, String>) -> Result<Self, ComponentError>;
}

impl FromCallbackResult for Result<Vec<u8>, String> {
    fn from_callback_result(result: Result<Vec<u8>, String>) -> Result<Self, ComponentError> {
        Ok(result)
    }
}

/// A response that does not decode reaches the handler as an error text, so
/// the handler still runs for every request it made.
impl<T: DeserializeOwned> FromCallbackResult for Result<Json<T>, String> {
    fn from_callback_result(result: Result<Vec<u8>, String>) -> Result<Self, ComponentError> {
        Ok(result.and_then(|bytes| Json::decode(&bytes).map_err(|error| error.to_string())))
    }
}

/// As for [`Json`]: a response that does not decode is an error text.
impl<T: DeserializeOwned> FromCallbackResult for Result<MsgPack<T>, String> {
    fn from_callback_result(result: Result<Vec<u8>, String>) -> Result<Self, ComponentError> {
        Ok(result.and_then(|bytes| MsgPack::decode(&bytes).map_err(|error| error.to_string())))
    }
}

impl<T: DeserializeOwned> Json<T> {
    /// Decodes JSON bytes; the error names the expected type.
    ///
    /// ```
    /// use airssys_wasm_guest::Json;
    /// let Json(n) = Json::<u32>::decode(b"7").unwrap();
    /// assert_eq!(n, 7);
    /// assert!(Json::<u32>::decode(b"\"seven\"").is_err());
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, ComponentError> {
        serde_json::from_slice(bytes).map(Json).map_err(|error| {
            ComponentError::invalid_input(format!("expected {} as JSON: {error}", type_name::<T>()))
        })
    }
}

impl<T: DeserializeOwned> MsgPack<T> {
    /// Decodes MessagePack bytes; the error names the expected type.
    ///
    /// ```
    /// use airssys_wasm_guest::MsgPack;
    /// let MsgPack(flag) = MsgPack::<bool>::decode(&[0xc3]).unwrap();
    /// assert!(flag);
    /// ```
    pub fn decode(bytes: &[u8]) -> Result<Self, ComponentError> {
        rmp_serde::from_slice(bytes).map(MsgPack).map_err(|error| {
            ComponentError::invalid_input(format!(
                "expected {} as MessagePack: {error}",
                type_name::<T>()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Order {
        item: String,
        quantity: u32,
    }

    fn order() -> Order {
        Order {
            item: "book".into(),
            quantity: 2,
        }
    }

    #[test]
    fn both_codecs_round_trip() {
        let json = Json(order()).to_payload().unwrap().into_owned();
        assert_eq!(&*json, br#"{"item":"book","quantity":2}"#);
        assert_eq!(Json::<Order>::decode(&json).unwrap().0, order());
        let packed = MsgPack(order()).to_payload().unwrap().into_owned();
        assert!(packed.len() < json.len());
        assert_eq!(MsgPack::<Order>::decode(&packed).unwrap().0, order());
    }

    #[test]
    fn a_bad_payload_names_the_type_and_the_codec() {
        let error = Json::<Order>::decode(b"{\"item\":1}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("Order") && error.contains("JSON"), "{error}");
        let error = MsgPack::<Order>::decode(b"\xc1").unwrap_err().to_string();
        assert!(
            error.contains("Order") && error.contains("MessagePack"),
            "{error}"
        );
    }

    #[test]
    fn bytes_and_text_pass_unchanged() {
        assert_eq!(&*b"abc".to_payload().unwrap(), b"abc");
        assert_eq!(&*"abc".to_payload().unwrap(), b"abc");
        let bytes = vec![1u8, 2];
        let by_reference: &dyn ToPayload = &&bytes;
        assert_eq!(&*by_reference.to_payload().unwrap(), &[1, 2]);
    }
}

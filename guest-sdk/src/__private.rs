//! What `#[export]` expands to calls. Not a public API: it may change in any
//! release.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::airssys::wasm::types as wit;
pub use crate::codec::FromCallbackResult;
use crate::codec::{Json, MsgPack, ToPayload};
use crate::types::{ComponentError, ComponentId, CorrelationId};

pub use crate::bindings::exports::airssys::wasm::component_lifecycle::Guest;
pub use wit::ComponentError as WitComponentError;

/// The first parameter of `handle_message`.
#[diagnostic::on_unimplemented(
    message = "the first parameter of `handle_message` must be `ComponentId`, not `{Self}`",
    label = "expected `ComponentId`"
)]
pub trait FromSender {
    /// Builds the parameter from the sender's name.
    fn from_sender(sender: String) -> Self;
}

impl FromSender for ComponentId {
    fn from_sender(sender: String) -> Self {
        ComponentId::new(sender)
    }
}

/// The second parameter of `handle_message`.
#[diagnostic::on_unimplemented(
    message = "the second parameter of `handle_message` must be `Vec<u8>`, `Json<T>` or `MsgPack<T>`, not `{Self}`",
    label = "expected `Vec<u8>`, `Json<T>` or `MsgPack<T>`"
)]
pub trait FromPayload: Sized {
    /// Decodes the parameter from the message bytes.
    fn from_payload(bytes: Vec<u8>) -> Result<Self, ComponentError>;
}

impl FromPayload for Vec<u8> {
    fn from_payload(bytes: Vec<u8>) -> Result<Self, ComponentError> {
        Ok(bytes)
    }
}

impl<T: DeserializeOwned> FromPayload for Json<T> {
    fn from_payload(bytes: Vec<u8>) -> Result<Self, ComponentError> {
        Json::decode(&bytes)
    }
}

impl<T: DeserializeOwned> FromPayload for MsgPack<T> {
    fn from_payload(bytes: Vec<u8>) -> Result<Self, ComponentError> {
        MsgPack::decode(&bytes)
    }
}

/// The return type of `handle_message`.
#[diagnostic::on_unimplemented(
    message = "`handle_message` must return `Result<Vec<u8>, ComponentError>` (or `Json<T>` / `MsgPack<T>` in place of `Vec<u8>`), not `{Self}`",
    label = "expected `Result<Vec<u8>, ComponentError>`"
)]
pub trait MessageReturn {
    /// Converts the handler's result for the host.
    fn into_wit(self) -> Result<Vec<u8>, WitComponentError>;
}

impl MessageReturn for Result<Vec<u8>, ComponentError> {
    fn into_wit(self) -> Result<Vec<u8>, WitComponentError> {
        self.map_err(Into::into)
    }
}

impl<T: Serialize> MessageReturn for Result<Json<T>, ComponentError> {
    fn into_wit(self) -> Result<Vec<u8>, WitComponentError> {
        encode_response(self)
    }
}

impl<T: Serialize> MessageReturn for Result<MsgPack<T>, ComponentError> {
    fn into_wit(self) -> Result<Vec<u8>, WitComponentError> {
        encode_response(self)
    }
}

fn encode_response(
    result: Result<impl ToPayload, ComponentError>,
) -> Result<Vec<u8>, WitComponentError> {
    let value = result.map_err(WitComponentError::from)?;
    match value.to_payload() {
        Ok(bytes) => Ok(bytes.into_owned()),
        Err(why) => Err(WitComponentError::Failed(why)),
    }
}

/// The first parameter of `handle_callback`.
#[diagnostic::on_unimplemented(
    message = "the first parameter of `handle_callback` must be `CorrelationId`, not `{Self}`",
    label = "expected `CorrelationId`"
)]
pub trait FromRequestId {
    /// Builds the parameter from the request id.
    fn from_request_id(id: String) -> Self;
}

impl FromRequestId for CorrelationId {
    fn from_request_id(id: String) -> Self {
        CorrelationId::new(id)
    }
}

/// The return type of `handle_callback`.
#[diagnostic::on_unimplemented(
    message = "`handle_callback` must return `Result<(), ComponentError>`, not `{Self}`",
    label = "expected `Result<(), ComponentError>`"
)]
pub trait CallbackReturn {
    /// Converts the handler's result for the host.
    fn into_wit(self) -> Result<(), WitComponentError>;
}

impl CallbackReturn for Result<(), ComponentError> {
    fn into_wit(self) -> Result<(), WitComponentError> {
        self.map_err(Into::into)
    }
}

/// Implemented by the `#[export] fn handle_callback` expansion for the
/// marker type that `#[export] fn handle_message` defines. Method lookup
/// prefers it over [`NoCallback`] (autoref specialization), so a plugin
/// without `handle_callback` still links.
pub trait UserCallback {
    /// Runs the plugin's `handle_callback`.
    fn airssys_dispatch_callback(
        &self,
        request_id: String,
        result: Result<Vec<u8>, String>,
    ) -> Result<(), WitComponentError>;
}

/// The callback of a plugin that wrote no `handle_callback`.
pub trait NoCallback {
    /// Refuses the callback: this plugin made no requests it could answer.
    fn airssys_dispatch_callback(
        &self,
        request_id: String,
        _result: Result<Vec<u8>, String>,
    ) -> Result<(), WitComponentError> {
        Err(WitComponentError::Unsupported(format!(
            "this plugin has no handle_callback; the outcome of request {request_id} was dropped"
        )))
    }
}

impl<T> NoCallback for &T {}

/// What every generated export calls first: installs the SDK's `log`
/// backend, once per instance. `own_crate` is the plugin's `module_path!()`.
pub fn init(own_crate: &'static str) {
    crate::log::install(own_crate);
}

/// The generated `handle_callback` glue: the continuation registered for
/// `request_id`, if any, runs (and is removed); otherwise `handle_callback`
/// does, through the [`UserCallback`] / [`NoCallback`] dispatch.
pub fn dispatch_callback(
    request_id: String,
    result: Result<Vec<u8>, String>,
    handle_callback: impl FnOnce(String, Result<Vec<u8>, String>) -> Result<(), WitComponentError>,
) -> Result<(), WitComponentError> {
    match crate::continuation::take(&request_id) {
        Some(continuation) => continuation(result).map_err(Into::into),
        None => handle_callback(request_id, result),
    }
}

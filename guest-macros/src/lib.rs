//! The `#[export]` attribute of `airssys-wasm-guest`. An implementation
//! detail: depend on `airssys-wasm-guest`, which re-exports it and documents
//! it.

use proc_macro::TokenStream;

mod expand;
mod signature;

/// Turns a plain function into the plugin's `handle-message` or
/// `handle-callback` export. See the `airssys-wasm-guest` crate docs.
///
/// ```
/// use airssys_wasm_guest::{export, ComponentError, ComponentId, CorrelationId};
///
/// /// Answers every request with its own payload, reversed.
/// #[export]
/// fn handle_message(_sender: ComponentId, payload: Vec<u8>) -> Result<Vec<u8>, ComponentError> {
///     Ok(payload.into_iter().rev().collect())
/// }
///
/// /// Optional: outcomes of this plugin's own requests.
/// #[export]
/// fn handle_callback(id: CorrelationId, outcome: Result<Vec<u8>, String>) -> Result<(), ComponentError> {
///     outcome.map(drop).map_err(|error| ComponentError::failed(format!("{id}: {error}")))
/// }
/// ```
#[proc_macro_attribute]
pub fn export(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::export(args.into(), item.into()).into()
}

//! The `#[export]` attribute of `airssys-wasm-guest`. An implementation
//! detail: depend on `airssys-wasm-guest`, which re-exports it and documents
//! it.

#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

use proc_macro::TokenStream;

mod expand;
mod signature;

/// Turns a plain function into the plugin's `handle-message` or
/// `handle-callback` export. See the `airssys-wasm-guest` crate docs.
#[proc_macro_attribute]
pub fn export(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::export(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

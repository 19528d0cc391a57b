//! Generates the component export glue around the user's function.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::signature::{self, Export, Handler};

/// The marker type `handle_message`'s expansion defines and implements the
/// component's exports on, and `handle_callback`'s expansion implements the
/// callback trait for.
const CALLBACKS_MARKER: &str = "__AirssysCallbacks";

/// Expands `#[export]`. Like thiserror's derive, it never drops the user's
/// item: on a mistake it emits the item as written, the glue that does not
/// depend on the mistake, and every error found, each at its own tokens, so
/// no follow-on "cannot find" errors appear. (An item that is not valid Rust
/// on its own, such as a free function taking `self`, still gets rustc's
/// error about that beside ours.)
pub(crate) fn export(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    if !args.is_empty() {
        errors.push(syn::Error::new_spanned(
            &args,
            "#[export] takes no arguments",
        ));
    }
    let expanded = match syn::parse2::<ItemFn>(item.clone()) {
        Err(error) => {
            errors.push(syn::Error::new(
                error.span(),
                "#[export] applies to `fn handle_message` or `fn handle_callback`",
            ));
            item
        }
        Ok(function) => match signature::check(&function) {
            Ok(handler) => match handler.export {
                Export::HandleMessage => handle_message(&handler),
                Export::HandleCallback => handle_callback(&handler),
            },
            Err((export, error)) => {
                errors.push(error);
                // A wrong `handle_message` still defines the marker, so a
                // right `handle_callback` beside it compiles.
                let marker = (export == Some(Export::HandleMessage)).then(callbacks_marker);
                quote! { #function #marker }
            }
        },
    };
    let errors = signature::combine(errors).map(syn::Error::into_compile_error);
    quote! { #errors #expanded }
}

/// The marker type the `handle_message` expansion defines; the
/// `handle_callback` expansion implements the callback trait for it.
fn callbacks_marker() -> TokenStream {
    let marker = Ident::new(CALLBACKS_MARKER, Span::call_site());
    quote! {
        #[doc(hidden)]
        struct #marker;
    }
}

fn handle_message(handler: &Handler<'_>) -> TokenStream {
    let function = handler.function;
    let name = &function.sig.ident;
    let [sender_ty, message_ty] = handler.params;
    let output = handler.output;
    let marker = Ident::new(CALLBACKS_MARKER, Span::call_site());
    let define_marker = callbacks_marker();

    let sender = quote_spanned! {sender_ty.span()=>
        <#sender_ty as ::airssys_wasm_guest::__private::FromSender>::from_sender(sender)
    };
    let message = quote_spanned! {message_ty.span()=>
        <#message_ty as ::airssys_wasm_guest::__private::FromPayload>::from_payload(message)
    };
    let into_wit = quote_spanned! {output.span()=>
        <#output as ::airssys_wasm_guest::__private::MessageReturn>::into_wit(result)
    };

    quote! {
        #function

        #define_marker

        // On the marker, so that the exports can be called natively (the
        // SDK's own tests drive the callback dispatch through it).
        impl ::airssys_wasm_guest::__private::Guest for #marker {
            fn handle_message(
                sender: ::std::string::String,
                message: ::std::vec::Vec<u8>,
            ) -> ::core::result::Result<
                ::std::vec::Vec<u8>,
                ::airssys_wasm_guest::__private::WitComponentError,
            > {
                ::airssys_wasm_guest::__private::init(::core::module_path!());
                let message = match #message {
                    ::core::result::Result::Ok(message) => message,
                    ::core::result::Result::Err(error) => {
                        return ::core::result::Result::Err(::core::convert::Into::into(error));
                    }
                };
                let result: #output = #name(#sender, message);
                #into_wit
            }

            fn handle_callback(
                request_id: ::std::string::String,
                result: ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String>,
            ) -> ::core::result::Result<(), ::airssys_wasm_guest::__private::WitComponentError> {
                ::airssys_wasm_guest::__private::init(::core::module_path!());
                // A continuation registered for the id goes first, with or
                // without a `handle_callback`.
                ::airssys_wasm_guest::__private::dispatch_callback(
                    request_id,
                    result,
                    |request_id, result| {
                        #[allow(unused_imports, reason = "only one of the two applies")]
                        use ::airssys_wasm_guest::__private::{NoCallback as _, UserCallback as _};
                        (&#marker).airssys_dispatch_callback(request_id, result)
                    },
                )
            }
        }

        const _: () = {
            // Native builds (clippy, tests, IDEs) type-check the glue but
            // export nothing: component export names are not valid native
            // symbol names.
            #[cfg(target_arch = "wasm32")]
            ::airssys_wasm_guest::bindings::export_plugin!(
                #marker with_types_in ::airssys_wasm_guest::bindings
            );
            // Natively, this use keeps the handlers from being reported as
            // dead code.
            #[cfg(not(target_arch = "wasm32"))]
            const _: () = {
                let _ = <#marker as ::airssys_wasm_guest::__private::Guest>::handle_message;
                let _ = <#marker as ::airssys_wasm_guest::__private::Guest>::handle_callback;
            };
        };
    }
}

fn handle_callback(handler: &Handler<'_>) -> TokenStream {
    let function = handler.function;
    let name = &function.sig.ident;
    let [id_ty, result_ty] = handler.params;
    let output = handler.output;
    let marker = Ident::new(CALLBACKS_MARKER, name.span());

    let id = quote_spanned! {id_ty.span()=>
        <#id_ty as ::airssys_wasm_guest::__private::FromRequestId>::from_request_id(request_id)
    };
    let outcome = quote_spanned! {result_ty.span()=>
        <#result_ty as ::airssys_wasm_guest::__private::FromCallbackResult>::from_callback_result(result)
    };
    let into_wit = quote_spanned! {output.span()=>
        <#output as ::airssys_wasm_guest::__private::CallbackReturn>::into_wit(result)
    };

    quote! {
        #function

        impl ::airssys_wasm_guest::__private::UserCallback for #marker {
            fn airssys_dispatch_callback(
                &self,
                request_id: ::std::string::String,
                result: ::core::result::Result<::std::vec::Vec<u8>, ::std::string::String>,
            ) -> ::core::result::Result<(), ::airssys_wasm_guest::__private::WitComponentError> {
                let outcome = match #outcome {
                    ::core::result::Result::Ok(outcome) => outcome,
                    ::core::result::Result::Err(error) => {
                        return ::core::result::Result::Err(::core::convert::Into::into(error));
                    }
                };
                let result: #output = #name(#id, outcome);
                #into_wit
            }
        }
    }
}

//! Checks the shape of an exported function; the types themselves are
//! checked by rustc through spanned trait bounds, so errors land on the
//! user's tokens.

use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

/// Which export a function implements.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Export {
    HandleMessage,
    HandleCallback,
}

impl Export {
    pub(crate) fn expected_signature(self) -> &'static str {
        match self {
            Export::HandleMessage => {
                "fn handle_message(sender: ComponentId, message: Vec<u8>) -> Result<Vec<u8>, ComponentError>"
            }
            Export::HandleCallback => {
                "fn handle_callback(id: CorrelationId, result: Result<Vec<u8>, String>) -> Result<(), ComponentError>"
            }
        }
    }
}

/// An exported function that has the right shape.
pub(crate) struct Handler<'a> {
    pub(crate) export: Export,
    pub(crate) function: &'a ItemFn,
    pub(crate) params: [&'a Type; 2],
    pub(crate) output: &'a Type,
}

pub(crate) fn check(function: &ItemFn) -> syn::Result<Handler<'_>> {
    let sig = &function.sig;
    let export = match sig.ident.to_string().as_str() {
        "handle_message" => Export::HandleMessage,
        "handle_callback" => Export::HandleCallback,
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "#[export] applies to `fn handle_message` or `fn handle_callback`",
            ));
        }
    };
    let expected = export.expected_signature();
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new_spanned(
            asyncness,
            format!("an exported handler cannot be `async`; expected `{expected}`"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        return Err(syn::Error::new_spanned(
            unsafety,
            format!("an exported handler cannot be `unsafe`; expected `{expected}`"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!("an exported handler cannot be generic; expected `{expected}`"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new_spanned(
            variadic,
            format!("expected `{expected}`"),
        ));
    }

    let mut params = Vec::with_capacity(2);
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new_spanned(
                    receiver,
                    format!(
                        "an exported handler is a free function and takes no `self`; expected `{expected}`"
                    ),
                ));
            }
            FnArg::Typed(typed) => params.push(&*typed.ty),
        }
    }
    let params: [&Type; 2] = params.try_into().map_err(|found: Vec<&Type>| {
        let message = format!("expected 2 parameters, found {}: `{expected}`", found.len());
        if sig.inputs.is_empty() {
            syn::Error::new(sig.paren_token.span.join(), message)
        } else {
            syn::Error::new(sig.inputs.span(), message)
        }
    })?;

    let output = match &sig.output {
        ReturnType::Type(_, ty) => &**ty,
        ReturnType::Default => {
            return Err(syn::Error::new(
                sig.paren_token.span.close(),
                format!("an exported handler must return a `Result`; expected `{expected}`"),
            ));
        }
    };

    Ok(Handler {
        export,
        function,
        params,
        output,
    })
}

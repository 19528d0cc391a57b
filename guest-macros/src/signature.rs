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

/// Checks `function`'s shape. On a mistake, returns which export it meant
/// (when its name says) and every mistake found, combined.
pub(crate) fn check(function: &ItemFn) -> Result<Handler<'_>, (Option<Export>, syn::Error)> {
    let sig = &function.sig;
    let export = match sig.ident.to_string().as_str() {
        "handle_message" => Export::HandleMessage,
        "handle_callback" => Export::HandleCallback,
        _ => {
            let error = syn::Error::new_spanned(
                &sig.ident,
                "#[export] applies to `fn handle_message` or `fn handle_callback`",
            );
            return Err((None, error));
        }
    };
    let expected = export.expected_signature();
    let mut errors = Vec::new();
    if let Some(asyncness) = &sig.asyncness {
        errors.push(syn::Error::new_spanned(
            asyncness,
            format!("an exported handler cannot be `async`; expected `{expected}`"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            format!("an exported handler cannot be `unsafe`; expected `{expected}`"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            format!("an exported handler cannot be generic; expected `{expected}`"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            format!("expected `{expected}`"),
        ));
    }

    let mut params = Vec::with_capacity(2);
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                format!(
                    "an exported handler is a free function and takes no `self`; expected `{expected}`"
                ),
            )),
            FnArg::Typed(typed) => params.push(&*typed.ty),
        }
    }
    let params: Option<[&Type; 2]> = match params.try_into() {
        Ok(params) => Some(params),
        Err(found) => {
            let found: Vec<&Type> = found;
            let message = format!("expected 2 parameters, found {}: `{expected}`", found.len());
            errors.push(if sig.inputs.is_empty() {
                syn::Error::new(sig.paren_token.span.join(), message)
            } else {
                syn::Error::new(sig.inputs.span(), message)
            });
            None
        }
    };

    let output = match &sig.output {
        ReturnType::Type(_, ty) => Some(&**ty),
        ReturnType::Default => {
            errors.push(syn::Error::new(
                sig.paren_token.span.close(),
                format!("an exported handler must return a `Result`; expected `{expected}`"),
            ));
            None
        }
    };

    match (combine(errors), params, output) {
        (None, Some(params), Some(output)) => Ok(Handler {
            export,
            function,
            params,
            output,
        }),
        // A missing part always recorded its error; the fallback only keeps
        // the macro from panicking if that ever changes.
        (errors, _, _) => Err((
            Some(export),
            errors.unwrap_or_else(|| {
                syn::Error::new_spanned(&sig.ident, format!("expected `{expected}`"))
            }),
        )),
    }
}

/// All of `errors` as one, reported together; `None` when there are none.
pub(crate) fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    errors.into_iter().reduce(|mut all, error| {
        all.combine(error);
        all
    })
}

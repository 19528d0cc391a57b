//! How a call into a component can end badly: [`ComponentError`] (the
//! component said no) and [`Trap`] (the call died).

use thiserror::Error;

/// The error a component returned from `handle-message` or
/// `handle-callback`: the WIT `component-error`, one variant per case.
///
/// ```
/// use airssys_wasm::{ComponentError, RequestError};
///
/// let error = RequestError::Responder {
///     responder: "shop".into(),
///     error: ComponentError::InvalidInput("quantity must be positive".into()),
/// };
/// assert_eq!(error.to_string(), "\"shop\" returned an error: invalid input: quantity must be positive");
/// // Bad input is the caller's to fix; other failures may pass on a retry.
/// assert!(matches!(error, RequestError::Responder { error: ComponentError::InvalidInput(_), .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum ComponentError {
    /// The message could not be decoded or made no sense to the component.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The component does not handle this kind of message.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Handling failed for another reason.
    #[error("{0}")]
    Failed(String),
}

/// Why a call into a component trapped. The call's message fails; the
/// supervisor then restarts the component or gives up on it.
///
/// ```
/// use airssys_wasm::Trap;
///
/// let trap = Trap::TimeBudget { budget_ms: 500 };
/// assert_eq!(trap.to_string(), "ran past its time budget of 500 ms for one call");
/// let advice = match trap {
///     Trap::TimeBudget { .. } => "raise time_budget or split the work",
///     Trap::MemoryLimit { .. } => "raise memory_limit",
///     Trap::TableLimit { .. } => "a plugin gone wrong: real ones hold far fewer table elements",
///     Trap::Guest(_) => "a bug in the plugin (panic, unreachable, bad access)",
///     Trap::Panic(_) => "a bug in a host service",
/// };
/// # let _ = advice;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize, serde::Deserialize)]
pub enum Trap {
    /// The call ran longer than the component's time budget per call.
    #[error("ran past its time budget of {budget_ms} ms for one call")]
    TimeBudget {
        /// The budget, in milliseconds.
        budget_ms: u64,
    },
    /// The call tried to grow the component's memory past its limit. The
    /// limit covers all its linear memories together.
    #[error(
        "tried to grow its memories to {requested} bytes in all, past its limit of {limit} bytes"
    )]
    MemoryLimit {
        /// The total size the guest asked for, in bytes.
        requested: usize,
        /// The component's memory limit, in bytes.
        limit: usize,
    },
    /// The call tried to grow the component's tables past the host's limit
    /// on table elements (all its tables together).
    #[error("tried to grow its tables to {requested} elements in all, past the limit of {limit}")]
    TableLimit {
        /// The total number of elements the guest asked for.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// The guest itself trapped: a panic, `unreachable`, an out-of-bounds
    /// access. The text is wasmtime's, with the guest's backtrace when known.
    #[error("{0}")]
    Guest(String),
    /// A host [`Service`](crate::Service)'s handler panicked; the text is
    /// the panic's message.
    #[error("its handler panicked: {0}")]
    Panic(String),
}

//! The types a plugin handles: ids and errors.

use std::fmt;

use crate::bindings::airssys::wasm::types as wit;

/// The name of a component, such as the sender of a message.
///
/// The host sets it; a plugin cannot claim another name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ComponentId(String);

impl ComponentId {
    /// An id from a component name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name under which the host application itself sends messages.
    pub const HOST: &'static str = "host";

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ComponentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<&str> for ComponentId {
    fn from(name: &str) -> Self {
        Self(name.to_owned())
    }
}

impl From<String> for ComponentId {
    fn from(name: String) -> Self {
        Self(name)
    }
}

impl PartialEq<str> for ComponentId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ComponentId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The id of a request, returned by [`request`](crate::request) and passed
/// to `handle_callback` with the request's outcome.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorrelationId(String);

impl CorrelationId {
    /// An id from its text form.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Why a plugin could not handle a message. For a request, the requester's
/// `handle_callback` receives it as the error text.
///
/// ```
/// use airssys_wasm_guest::ComponentError;
/// let error = ComponentError::invalid_input("quantity must be positive");
/// assert_eq!(error.to_string(), "invalid input: quantity must be positive");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentError {
    /// The message could not be decoded or made no sense.
    InvalidInput(String),
    /// The plugin does not handle this kind of message.
    Unsupported(String),
    /// Handling failed for another reason.
    Failed(String),
}

impl ComponentError {
    /// An [`InvalidInput`](Self::InvalidInput) error.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    /// An [`Unsupported`](Self::Unsupported) error.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::Unsupported(message.into())
    }

    /// A [`Failed`](Self::Failed) error.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }
}

impl fmt::Display for ComponentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(text) => write!(f, "invalid input: {text}"),
            Self::Unsupported(text) => write!(f, "unsupported: {text}"),
            Self::Failed(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ComponentError {}

/// A failed send or request inside a handler becomes a failed message.
impl From<MessagingError> for ComponentError {
    fn from(error: MessagingError) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<ComponentError> for wit::ComponentError {
    fn from(error: ComponentError) -> Self {
        match error {
            ComponentError::InvalidInput(text) => Self::InvalidInput(text),
            ComponentError::Unsupported(text) => Self::Unsupported(text),
            ComponentError::Failed(text) => Self::Failed(text),
        }
    }
}

/// Why the host refused a send, request or cancel. Nothing was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagingError {
    /// The target could not take the message (it or the host is stopping).
    DeliveryFailed(String),
    /// The request is not pending: answered, timed out, cancelled, or not
    /// this plugin's.
    CorrelationTimeout(String),
    /// The message was refused as it stands (too large, a bad argument).
    InvalidMessage(String),
    /// The target's mailbox is full, or this plugin already has as many
    /// requests outstanding as the host allows; nothing was queued. Try
    /// again later: outstanding requests clear only once this handler
    /// returns and their callbacks run, so do not retry in a loop inside it.
    QueueFull,
    /// No component runs under that name.
    TargetNotFound(String),
    /// This plugin holds no grant to message the target.
    CapabilityDenied(String),
}

impl fmt::Display for MessagingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QueueFull => f.write_str(
                "message queue is full (the target's mailbox, or this plugin's outstanding requests)",
            ),
            Self::DeliveryFailed(text)
            | Self::CorrelationTimeout(text)
            | Self::InvalidMessage(text)
            | Self::TargetNotFound(text)
            | Self::CapabilityDenied(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for MessagingError {}

impl From<wit::MessagingError> for MessagingError {
    fn from(error: wit::MessagingError) -> Self {
        match error {
            wit::MessagingError::DeliveryFailed(text) => Self::DeliveryFailed(text),
            wit::MessagingError::CorrelationTimeout(text) => Self::CorrelationTimeout(text),
            wit::MessagingError::InvalidMessage(text) => Self::InvalidMessage(text),
            wit::MessagingError::QueueFull => Self::QueueFull,
            wit::MessagingError::TargetNotFound(text) => Self::TargetNotFound(text),
            wit::MessagingError::CapabilityDenied(text) => Self::CapabilityDenied(text),
        }
    }
}

//! [`HostInbox`]: messages components sent to the host application.

use tokio::sync::mpsc;

use crate::core::component::id::ComponentId;
use crate::core::messaging::envelope::Envelope;
use crate::core::messaging::payload::MessagePayload;

/// Messages components sent to the host application (`send-message` to
/// `"host"`), in the order they were accepted.
///
/// The inbox is the simplest participant beside the components: like a
/// [`Service`](crate::Service) it is a mailbox in the same registry under
/// a name (`host`), reached only with a grant and answering `queue-full`
/// when full; it differs in that the application drains it itself instead
/// of a handler, and takes no requests.
///
/// ```no_run
/// # async fn demo(mut system: airssys_wasm::System) {
/// let mut inbox = system.take_inbox().expect("built with host_inbox");
/// tokio::spawn(async move {
///     while let Some(message) = inbox.recv().await {
///         println!("{} reported {:?}", message.sender, message.payload);
///     }
/// });
/// # }
/// ```
#[derive(Debug)]
pub struct HostInbox {
    messages: mpsc::Receiver<Envelope>,
}

/// One message a component sent to the host application.
///
/// ```no_run
/// # fn demo(message: airssys_wasm::InboxMessage) {
/// use airssys_wasm::Json;
/// #[derive(serde::Deserialize)]
/// struct Alert { level: String }
/// match Json::<Alert>::decode(&message.payload) {
///     Ok(Json(alert)) => println!("{} raised {}", message.sender, alert.level),
///     Err(error) => println!("{} sent something else: {error}", message.sender),
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// The component that sent it.
    pub sender: ComponentId,
    /// What it sent.
    pub payload: MessagePayload,
}

impl HostInbox {
    pub(crate) fn new(messages: mpsc::Receiver<Envelope>) -> Self {
        Self { messages }
    }

    /// The next message; `None` once the system has shut down and the inbox
    /// is empty.
    ///
    /// ```no_run
    /// # async fn demo(mut inbox: airssys_wasm::HostInbox) {
    /// if let Some(first) = inbox.recv().await {
    ///     println!("first report from {}", first.sender);
    /// }
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<InboxMessage> {
        self.messages.recv().await.map(InboxMessage::from)
    }

    /// The next message if one is waiting.
    ///
    /// ```no_run
    /// # fn demo(mut inbox: airssys_wasm::HostInbox) {
    /// // Drain what is there now, without waiting.
    /// let waiting: Vec<_> = std::iter::from_fn(|| inbox.try_recv()).collect();
    /// println!("{} reports waiting", waiting.len());
    /// # }
    /// ```
    pub fn try_recv(&mut self) -> Option<InboxMessage> {
        self.messages.try_recv().ok().map(InboxMessage::from)
    }
}

impl From<Envelope> for InboxMessage {
    fn from(envelope: Envelope) -> Self {
        Self {
            sender: envelope.sender,
            payload: envelope.payload,
        }
    }
}

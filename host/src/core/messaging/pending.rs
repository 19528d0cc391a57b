//! [`PendingResponse`]: the outcome of a request, to await.

use std::future::Future;
use std::pin::Pin;
use std::sync::Weak;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::errors::{MessagingError, RequestError};
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{MessageRouter, ReplyTo, RunInline};

/// The response to a request the host made; await it.
///
/// When the target is idle (started at the system's start, handling
/// nothing, with this request the only message queued and no callback
/// waiting), the first poll handles the request on the awaiting task
/// itself instead of waiting for the target's task; a call that has to
/// wait there (an epoch tick, a host await) finishes on a task of its own.
/// Either way the request gets the same single outcome, in mailbox order.
///
/// ```no_run
/// # async fn demo(system: &airssys_wasm::System) -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// // Start several requests, then await them together.
/// let a = system.request("shard-a", "count", Duration::from_secs(1))?;
/// let b = system.request("shard-b", "count", Duration::from_secs(1))?;
/// let (a, b) = tokio::join!(a, b);
/// println!("{:?} {:?}", a?, b?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PendingResponse {
    correlation_id: CorrelationId,
    target: ComponentId,
    response: oneshot::Receiver<RequestOutcome>,
    /// Tried once, at the first poll: handle the request on this task if
    /// the target is idle. Weak: a response never awaited keeps nothing of
    /// the target alive.
    inline: Option<Weak<dyn RunInline>>,
}

impl PendingResponse {
    /// Sends a request from `sender` through `router` and returns its
    /// response to await. A zero `timeout` asks for the router's default;
    /// any other is at least 1 ms, so a sub-millisecond one does not turn
    /// into the default.
    pub(crate) fn request(
        router: &dyn MessageRouter,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout: Duration,
    ) -> Result<Self, MessagingError> {
        let (reply_to, response) = ReplyTo::channel();
        let correlation_id =
            router.request(sender, target, payload, timeout_ms(timeout), reply_to)?;
        Ok(Self::new(correlation_id, target.clone(), response))
    }

    /// The response to request `correlation_id` of `target`, arriving on
    /// `response` (the receiver of [`ReplyTo::channel`]).
    pub(crate) fn new(
        correlation_id: CorrelationId,
        target: ComponentId,
        response: oneshot::Receiver<RequestOutcome>,
    ) -> Self {
        Self {
            correlation_id,
            target,
            response,
            inline: None,
        }
    }

    /// At its first poll, the response handles the request on the awaiting
    /// task through `inline` if the target is idle, rather than waking the
    /// target's actor and waiting for it.
    pub(crate) fn run_inline_with(mut self, inline: Option<Weak<dyn RunInline>>) -> Self {
        self.inline = inline;
        self
    }
}

/// A request's timeout in whole milliseconds, as the router takes it: zero
/// asks for the default; any other is at least 1 ms, so a sub-millisecond
/// one does not turn into the default.
pub(crate) fn timeout_ms(timeout: Duration) -> u64 {
    match u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX) {
        0 if !timeout.is_zero() => 1,
        ms => ms,
    }
}

impl PendingResponse {
    /// The request's correlation id, for [`System::cancel`](crate::System::cancel).
    ///
    /// ```no_run
    /// # fn demo(system: &airssys_wasm::System) -> Result<(), airssys_wasm::MessagingError> {
    /// let pending = system.request("report", "build", std::time::Duration::from_secs(60))?;
    /// println!("started {}", pending.correlation_id()); // the id in the flow logs
    /// # Ok(()) }
    /// ```
    pub fn correlation_id(&self) -> &CorrelationId {
        &self.correlation_id
    }
}

impl Future for PendingResponse {
    type Output = Result<MessagePayload, RequestError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // Before the answer is awaited (then it arrives without waking this
        // task, which is already running), and only while it is not there
        // yet: else this poll could run another sender's message.
        if let Some(inline) = this.inline.take() {
            match this.response.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) => {
                    if let Some(inline) = inline.upgrade() {
                        inline.run_inline(cx);
                    }
                }
                Ok(outcome) => return Poll::Ready(outcome),
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Poll::Ready(Err(RequestError::Cancelled {
                        target: this.target.clone(),
                    }));
                }
            }
        }
        Pin::new(&mut this.response)
            .poll(cx)
            .map(|received| match received {
                Ok(outcome) => outcome,
                // The tracker dropped the reply without an outcome: only a
                // successful cancel does that.
                Err(_) => Err(RequestError::Cancelled {
                    target: this.target.clone(),
                }),
            })
    }
}

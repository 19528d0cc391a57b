//! [`ResponseRouter`]: the [`MessageRouter`](crate::MessageRouter) implementation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::core::component::id::ComponentId;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::Envelope;
use crate::core::messaging::errors::MessagingError;
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, PendingRequest, ReplyTo};
use crate::messaging::capability::Grants;
use crate::messaging::subscriber::ComponentSubscriber;

/// Limits the router enforces on every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouterLimits {
    /// Largest payload accepted, in bytes.
    pub max_payload_bytes: usize,
    /// Timeout used when a request asks for 0 ms.
    pub default_timeout_ms: u64,
    /// Longest timeout a request may ask for.
    pub max_timeout_ms: u64,
}

impl Default for RouterLimits {
    fn default() -> Self {
        Self {
            max_payload_bytes: 1024 * 1024,
            default_timeout_ms: 5_000,
            max_timeout_ms: 3_600_000,
        }
    }
}

/// Routes messages: checks the sender's grant and the payload size, finds the
/// target's mailbox, and for requests registers the pending entry first.
pub struct ResponseRouter {
    subscriber: Arc<ComponentSubscriber>,
    tracker: Arc<dyn CorrelationTracker>,
    grants: Arc<Grants>,
    limits: RouterLimits,
    open: AtomicBool,
}

impl ResponseRouter {
    /// A router over these mailboxes, tracker and grants.
    pub fn new(
        subscriber: Arc<ComponentSubscriber>,
        tracker: Arc<dyn CorrelationTracker>,
        grants: Arc<Grants>,
        limits: RouterLimits,
    ) -> Self {
        Self {
            subscriber,
            tracker,
            grants,
            limits,
            open: AtomicBool::new(true),
        }
    }

    /// Stops intake: every later send or request is refused with
    /// `DeliveryFailed`. Used at shutdown.
    pub fn close(&self) {
        self.open.store(false, Ordering::Release);
    }

    fn admit(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: &MessagePayload,
    ) -> Result<(), MessagingError> {
        if !self.open.load(Ordering::Acquire) {
            return Err(MessagingError::DeliveryFailed(
                "the host is shutting down and accepts no new messages".to_owned(),
            ));
        }
        if payload.len() > self.limits.max_payload_bytes {
            return Err(MessagingError::InvalidMessage(format!(
                "payload of {} bytes exceeds the limit of {} bytes",
                payload.len(),
                self.limits.max_payload_bytes
            )));
        }
        self.grants.check(sender, target)
    }
}

impl std::fmt::Debug for ResponseRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseRouter")
            .field("limits", &self.limits)
            .field("open", &self.open)
            .finish_non_exhaustive()
    }
}

impl MessageRouter for ResponseRouter {
    fn send(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
    ) -> Result<(), MessagingError> {
        self.admit(sender, target, &payload)?;
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, bytes = payload.len(), payload = ?payload,
            "send"
        );
        let envelope = Envelope {
            sender: sender.clone(),
            payload,
            correlation: None,
        };
        self.subscriber.deliver(target, envelope, || Ok(()), || {})
    }

    fn request(
        &self,
        sender: &ComponentId,
        target: &ComponentId,
        payload: MessagePayload,
        timeout_ms: u64,
        reply_to: ReplyTo,
    ) -> Result<CorrelationId, MessagingError> {
        self.admit(sender, target, &payload)?;
        if target.is_host() {
            return Err(MessagingError::InvalidMessage(
                "the host application answers no requests; use send-message to reach it".to_owned(),
            ));
        }
        let timeout_ms = match timeout_ms {
            0 => self.limits.default_timeout_ms,
            ms if ms > self.limits.max_timeout_ms => {
                return Err(MessagingError::InvalidMessage(format!(
                    "timeout of {ms} ms exceeds the limit of {} ms",
                    self.limits.max_timeout_ms
                )));
            }
            ms => ms,
        };
        let correlation_id = CorrelationId::generate();
        tracing::info!(
            target: "airssys_wasm::flow",
            from = %sender, to = %target, correlation = %correlation_id,
            bytes = payload.len(), payload = ?payload, timeout_ms,
            "request"
        );
        let envelope = Envelope {
            sender: sender.clone(),
            payload,
            correlation: Some(correlation_id.clone()),
        };
        let pending = PendingRequest {
            requester: sender.clone(),
            target: target.clone(),
            reply_to,
        };
        self.subscriber.deliver(
            target,
            envelope,
            || self.tracker.register(&correlation_id, pending, timeout_ms),
            || {
                // Refused at the mailbox: the request was never accepted, so
                // it gets no callback; the caller gets the error instead.
                let _ = self.tracker.remove(&correlation_id);
            },
        )?;
        Ok(correlation_id)
    }

    fn cancel_request(
        &self,
        sender: &ComponentId,
        correlation_id: &CorrelationId,
    ) -> Result<(), MessagingError> {
        self.tracker.cancel(sender, correlation_id)?;
        tracing::info!(
            target: "airssys_wasm::flow",
            requester = %sender, correlation = %correlation_id,
            "cancelled"
        );
        Ok(())
    }
}

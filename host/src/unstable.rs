//! Internals the benchmarks measure on their own (`benches/`), behind the
//! `unstable-internals` feature. No stability promise; not part of the
//! documented API.

use std::sync::Arc;
use std::time::Duration;

use crate::core::component::id::ComponentId;
use crate::core::messaging::activity::Activity;
use crate::core::messaging::correlation::CorrelationId;
use crate::core::messaging::envelope::RequestOutcome;
use crate::core::messaging::payload::MessagePayload;
use crate::core::messaging::traits::{CorrelationTracker, MessageRouter, ReplyTo};
use crate::messaging::capability::Grants;
use crate::messaging::correlation::CorrelationTrackerImpl;
use crate::messaging::router::{ResponseRouter, RouterLimits};
use crate::messaging::subscriber::{ComponentSubscriber, MailboxLimits, MailboxReceivers};
use crate::runtime::engine::WasmEngine;
use crate::runtime::host_services::{HostState, InstanceSettings};
use crate::runtime::instance::Instance;
use crate::runtime::loader::LoadedComponent;
use crate::system::limits::{
    DEFAULT_CALLBACK_QUEUE_BYTES, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MEMORY_LIMIT,
};

/// A router, its tracker and its mailboxes, wired as a system wires them,
/// with no actors: the caller plays the components.
pub struct BareRouter {
    router: Arc<ResponseRouter>,
    tracker: Arc<dyn CorrelationTracker>,
    subscriber: Arc<ComponentSubscriber>,
}

impl BareRouter {
    /// A router with default limits where each `(sender, target)` of
    /// `grants` is allowed.
    pub fn new(grants: &[(&str, &str)]) -> Self {
        let activity = Arc::new(Activity::default());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker: Arc<dyn CorrelationTracker> =
            Arc::new(CorrelationTrackerImpl::with_activity(Some(activity)));
        let table = Grants::default();
        for (sender, target) in grants {
            table.grant(ComponentId::new(sender), ComponentId::new(target));
        }
        let router = Arc::new(ResponseRouter::new(
            Arc::clone(&subscriber),
            Arc::clone(&tracker),
            Arc::new(table),
            RouterLimits::default(),
        ));
        Self {
            router,
            tracker,
            subscriber,
        }
    }

    /// The router.
    pub fn router(&self) -> &dyn MessageRouter {
        &*self.router
    }

    /// The tracker the router registers requests with.
    pub fn tracker(&self) -> Arc<dyn CorrelationTracker> {
        Arc::clone(&self.tracker)
    }

    /// Opens the mailbox of component `name`.
    pub fn mailbox(&self, name: &str, capacity: usize) -> BareMailbox {
        let limits = MailboxLimits {
            capacity,
            callback_queue_bytes: DEFAULT_CALLBACK_QUEUE_BYTES,
            max_pending_requests: Some(DEFAULT_MAX_PENDING_REQUESTS),
        };
        BareMailbox(self.subscriber.subscribe(ComponentId::new(name), limits))
    }

    /// Closes every mailbox: receivers get what is queued, then the end.
    pub fn close_all(&self) {
        self.subscriber.close_all();
    }
}

impl std::fmt::Debug for BareRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BareRouter")
            .field("router", &self.router)
            .finish_non_exhaustive()
    }
}

/// The receiving side of one component's mailbox.
#[derive(Debug)]
pub struct BareMailbox(MailboxReceivers);

impl BareMailbox {
    /// The next message: sender, payload and, for a request, its id. It
    /// counts as handled once returned.
    pub async fn recv(&mut self) -> Option<(ComponentId, MessagePayload, Option<CorrelationId>)> {
        let envelope = self.0.messages.recv().await?;
        Some((envelope.sender, envelope.payload, envelope.correlation))
    }

    /// The next outcome of this component's own requests.
    pub async fn recv_callback(&mut self) -> Option<(CorrelationId, RequestOutcome)> {
        let callback = self.0.callbacks.recv().await?;
        Some((callback.correlation_id, callback.outcome))
    }

    /// Where outcomes of this component's requests go: its callback queue.
    pub fn reply_to(&self) -> ReplyTo {
        ReplyTo::Sink(Arc::clone(&self.0.callback_sink) as _)
    }
}

/// One compiled component and what its instances need, outside any system:
/// the floor of instantiation (a `Store` and an instance from the shared
/// `InstancePre`).
#[derive(Debug)]
pub struct BareInstances {
    component: LoadedComponent,
    router: BareRouter,
    // Keeps the epoch thread running while instances live.
    _engine: WasmEngine,
}

impl BareInstances {
    /// Compiles `bytes` once.
    ///
    /// # Panics
    ///
    /// When the bytes are not a plugin.
    pub fn new(bytes: &[u8]) -> Self {
        let engine = WasmEngine::new(DEFAULT_MEMORY_LIMIT).expect("an engine");
        let component = LoadedComponent::from_bytes(&engine, "bare", bytes).expect("a plugin");
        Self {
            component,
            router: BareRouter::new(&[]),
            _engine: engine,
        }
    }

    /// A fresh instance named `name`, with a mailbox no one reads.
    ///
    /// # Panics
    ///
    /// When instantiation fails.
    pub async fn instance(&self, name: &str) -> BareInstance {
        let mailbox = self.router.mailbox(name, 16).0;
        let settings = InstanceSettings {
            time_budget: Duration::from_secs(10),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            wasi: Default::default(),
            config: Default::default(),
            keyvalue: Default::default(),
            http: Default::default(),
            live: Default::default(),
        };
        let router = Arc::clone(&self.router.router);
        let state = HostState::new(
            ComponentId::new(name),
            router,
            mailbox.callback_sink,
            &settings,
        )
        .expect("no WASI grants to fail");
        BareInstance(
            self.component
                .instantiate(state)
                .await
                .expect("instantiates"),
        )
    }
}

/// An instance outside any system.
#[derive(Debug)]
pub struct BareInstance(Instance);

impl BareInstance {
    /// The floor: the guest's `handle-message` export called with nothing
    /// around it (no budget reset, no mapping of the result).
    ///
    /// # Panics
    ///
    /// When the call traps or the guest returns an error.
    pub async fn call_directly(&mut self, sender: &String, payload: &[u8]) -> Vec<u8> {
        self.0
            .call_handle_message_bare(sender, payload)
            .await
            .expect("no trap")
            .expect("an answer")
    }
}

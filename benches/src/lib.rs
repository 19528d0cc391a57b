//! Shared set-up of the benchmarks (`router.rs`, `wasm.rs`, `latency.rs`,
//! `scale.rs`); results and how to run them are in BENCHMARKS.md.

use std::sync::Arc;
use std::time::Duration;

use airssys_test_fixtures::RELAY;
use airssys_wasm::messaging::activity::Activity;
use airssys_wasm::messaging::capability::Grants;
use airssys_wasm::messaging::router::RouterLimits;
use airssys_wasm::runtime::engine::WasmEngine;
use airssys_wasm::runtime::host_services::{HostState, InstanceSettings};
use airssys_wasm::runtime::loader::{Instance, LoadedComponent};
use airssys_wasm::{
    ComponentId, ComponentSpec, ComponentSubscriber, CorrelationTracker, CorrelationTrackerImpl,
    HostInbox, MessageRouter, ResponseRouter, System, SystemBuilder,
};

/// The payload of every benchmark that does not say otherwise.
pub const PAYLOAD: [u8; 64] = [7; 64];

/// A multi-thread runtime with two workers, one per core of the reference
/// machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A system of relay components under `names`, each granted every target,
/// with mailboxes of `mailbox` messages and a host inbox.
pub async fn relay_system(names: &[&str], mailbox: usize) -> (System, HostInbox) {
    let bytes: Arc<[u8]> = Arc::from(RELAY);
    let mut builder = SystemBuilder::new().host_inbox(1024);
    for name in names {
        builder = builder.component(
            ComponentSpec::from_bytes(*name, Arc::clone(&bytes))
                .grant_any()
                .mailbox_capacity(mailbox),
        );
    }
    let mut system = builder.start().await.unwrap();
    let inbox = system.take_inbox().unwrap();
    (system, inbox)
}

/// Instances of the relay outside any system: the floor of instantiation
/// (a `Store` and an instance from the shared `InstancePre`), wired to a
/// router no one reads.
pub struct BareInstances {
    component: LoadedComponent,
    router: Arc<dyn MessageRouter>,
    subscriber: Arc<ComponentSubscriber>,
    // Keeps the epoch thread running while instances live.
    _engine: WasmEngine,
}

impl BareInstances {
    /// Compiles the relay once.
    pub fn new() -> Self {
        let engine = WasmEngine::new(airssys_wasm::system::builder::DEFAULT_MEMORY_LIMIT).unwrap();
        let component = LoadedComponent::from_bytes(&engine, "echo", RELAY).unwrap();
        let activity = Arc::new(Activity::new());
        let subscriber = Arc::new(ComponentSubscriber::new(Arc::clone(&activity)));
        let tracker: Arc<dyn CorrelationTracker> = Arc::new(CorrelationTrackerImpl::new());
        let router: Arc<dyn MessageRouter> = Arc::new(ResponseRouter::new(
            Arc::clone(&subscriber),
            tracker,
            Arc::new(Grants::new()),
            RouterLimits::default(),
        ));
        Self {
            component,
            router,
            subscriber,
            _engine: engine,
        }
    }

    /// A fresh instance named `name`.
    pub async fn instance(&self, name: &str) -> Instance {
        let receivers = self.subscriber.subscribe(ComponentId::new(name), 16);
        let settings = InstanceSettings {
            ticks_allowed: 1_000,
            memory_limit: 64 << 20,
            wasi: Default::default(),
        };
        let id = ComponentId::new(name);
        let router = Arc::clone(&self.router);
        let state = HostState::new(id, router, receivers.callback_sink, &settings).unwrap();
        self.component.instantiate(state).await.unwrap()
    }
}

impl Default for BareInstances {
    fn default() -> Self {
        Self::new()
    }
}

/// One instance of the relay outside any system, for the direct-call floor.
pub async fn direct_instance() -> (Instance, String) {
    let bare = BareInstances::new();
    let instance = bare.instance("echo").await;
    // The epoch thread must outlive the instance.
    std::mem::forget(bare);
    (instance, "bench".to_owned())
}

/// The floor: the guest's `handle-message` export called with [`PAYLOAD`],
/// with nothing around it.
pub async fn call_directly(instance: &mut Instance, sender: &String) {
    let lifecycle = instance.plugin.airssys_wasm_component_lifecycle();
    let answer = lifecycle
        .call_handle_message(&mut instance.store, sender, &PAYLOAD)
        .await
        .unwrap();
    std::hint::black_box(answer.unwrap());
}

/// Median, 99th and 99.9th percentile of `samples`, in microseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> [f64; 3] {
    samples.sort_unstable();
    let at = |per_mille: usize| {
        let index = (samples.len() * per_mille / 1000).min(samples.len() - 1);
        samples[index].as_secs_f64() * 1e6
    };
    [at(500), at(990), at(999)]
}

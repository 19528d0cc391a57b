//! One instance driven by hand, without a system: what a plugin's own
//! tests can do with `LoadedComponent` and `Instance::handle_message`.

use std::sync::Arc;

use airssys_test_fixtures::ECHO;
use airssys_wasm::messaging::activity::Activity;
use airssys_wasm::messaging::capability::Grants;
use airssys_wasm::messaging::router::RouterLimits;
use airssys_wasm::runtime::engine::WasmEngine;
use airssys_wasm::runtime::host_services::{HostState, InstanceSettings};
use airssys_wasm::runtime::loader::LoadedComponent;
use airssys_wasm::{
    ComponentId, ComponentSubscriber, CorrelationTrackerImpl, MessageRouter, ResponseRouter,
};

/// The answer, the guest's own error, and a trap come back as three
/// different results.
#[tokio::test]
async fn handle_message_returns_answer_error_or_trap() {
    let engine = WasmEngine::new(16 << 20).unwrap();
    let echo = LoadedComponent::from_bytes(&engine, "echo", ECHO).unwrap();
    let subscriber = Arc::new(ComponentSubscriber::new(Arc::new(Activity::new())));
    let router: Arc<dyn MessageRouter> = Arc::new(ResponseRouter::new(
        Arc::clone(&subscriber),
        Arc::new(CorrelationTrackerImpl::new()),
        Arc::new(Grants::new()),
        RouterLimits::default(),
    ));
    let mailbox = subscriber.subscribe(ComponentId::new("echo"), 4);
    let settings = InstanceSettings {
        ticks_allowed: 100,
        memory_limit: 16 << 20,
        wasi: Default::default(),
    };
    let state = HostState::new(
        ComponentId::new("echo"),
        router,
        mailbox.callback_sink,
        &settings,
    )
    .unwrap();
    let mut instance = echo.instantiate(state).await.unwrap();
    assert_eq!(instance.state().id().as_str(), "echo");

    let answer = instance.handle_message("tester", b"hello").await.unwrap();
    assert_eq!(answer, Ok(b"hello".to_vec()));

    let refused = instance.handle_message("tester", b"fail").await.unwrap();
    assert_eq!(refused, Err("asked to fail".to_owned()));

    let trap = instance.handle_message("tester", b"panic").await;
    assert!(trap.is_err(), "a panic is a trap, not an answer");
}

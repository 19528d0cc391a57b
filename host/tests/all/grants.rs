//! Changing who may message whom in a running system.

use airssys_test_fixtures::{CLIENT, ECHO};
use airssys_wasm::{ChangeError, ComponentSpec, Service, SystemBuilder};

use crate::common::system::command;

/// A grant change applies from the next send: revoked, the send is
/// refused with `capability-denied`; the wildcard reaches every target.
/// Unknown names and services are refused, each with its own error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_changes_apply_to_the_next_send() {
    let system = SystemBuilder::new()
        .service_with(
            "upper",
            Service::json(|_call, text: String| async move { Ok(text.to_uppercase()) }),
        )
        .component(ComponentSpec::from_bytes("echo", ECHO))
        .component(ComponentSpec::from_bytes("client", CLIENT).grant("echo"))
        .start()
        .await
        .unwrap();
    assert_eq!(command(&system, "client", "send echo hi").await, "sent");

    system.set_grants("client", &["upper"], false).unwrap();
    let refused = command(&system, "client", "send echo hi").await;
    assert!(refused.starts_with("error CapabilityDenied"), "{refused}");
    assert_eq!(command(&system, "client", "send upper hi").await, "sent");

    system.set_grants("client", &[], true).unwrap();
    assert_eq!(command(&system, "client", "send echo hi").await, "sent");
    system.set_grants("client", &[], false).unwrap();
    let denied = command(&system, "client", "send upper hi").await;
    assert!(denied.starts_with("error CapabilityDenied"), "{denied}");

    let unknown_target = system.set_grants("client", &["nobody"], false);
    assert!(matches!(
        unknown_target,
        Err(ChangeError::UnknownGrant { ref target, .. }) if target == "nobody"
    ));
    let unknown_sender = system.set_grants("nobody", &["echo"], false);
    assert!(matches!(
        unknown_sender,
        Err(ChangeError::UnknownComponent(_))
    ));
    let service = system.set_grants("upper", &["echo"], false);
    assert!(matches!(service, Err(ChangeError::NotAComponent(_))));
    // `host` and `timer` are always known targets.
    system
        .set_grants("client", &["host", "timer"], false)
        .unwrap();
    system.wait_idle().await;
}

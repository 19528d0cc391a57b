//! Every limit has a range: a value outside it refuses the system with an
//! error naming the limit, whatever the number, and never panics.

use std::time::Duration;

use airssys_test_fixtures::ECHO;
use airssys_wasm::{ComponentSpec, RestartPolicy, SystemBuilder, SystemError};
use proptest::prelude::*;

use crate::common::system::answer;

/// The per-component limits, each set on a spec from a number, with the
/// range the docs give it.
const LIMITS: [(&str, u64, u64); 6] = [
    ("mailbox_capacity", 1, 1 << 20),
    ("time_budget", 1, 24 * 3_600_000),
    ("memory_limit", 64 * 1024, 1 << 32),
    ("max_pending_requests", 1, 1 << 16),
    ("callback_queue_bytes", 1024, 1 << 32),
    ("restart_policy", 1, 24 * 3_600_000),
];

fn with_limit(spec: ComponentSpec, limit: &str, value: u64) -> ComponentSpec {
    let size = usize::try_from(value).unwrap_or(usize::MAX);
    let millis = Duration::from_millis(value);
    match limit {
        "mailbox_capacity" => spec.mailbox_capacity(size),
        "time_budget" => spec.time_budget(millis),
        "memory_limit" => spec.memory_limit(size),
        "max_pending_requests" => spec.max_pending_requests(size),
        "callback_queue_bytes" => spec.callback_queue_bytes(size),
        "restart_policy" => spec.restart_policy(RestartPolicy::Limited {
            max_restarts: 3,
            within: millis,
        }),
        other => unreachable!("{other}"),
    }
}

fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..2048,
        (1u64 << 15)..(1 << 21),
        any::<u64>(),
        Just(1 << 62)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any number for any limit, on a component or as the system's
    /// default: accepted inside the range, refused naming the limit
    /// outside it.
    #[test]
    fn any_number_for_any_limit_is_checked(which in 0..LIMITS.len(), value in number(), own in any::<bool>()) {
        let (limit, low, high) = LIMITS[which];
        let spec = ComponentSpec::from_bytes("c", ECHO);
        let builder = if own {
            SystemBuilder::new().component(with_limit(spec, limit, value))
        } else {
            let system = SystemBuilder::new().component(spec);
            match limit {
                "mailbox_capacity" => system.mailbox_capacity(usize::try_from(value).unwrap_or(usize::MAX)),
                "time_budget" => system.time_budget(Duration::from_millis(value)),
                "memory_limit" => system.memory_limit(usize::try_from(value).unwrap_or(usize::MAX)),
                "max_pending_requests" => system.max_pending_requests(usize::try_from(value).unwrap_or(usize::MAX)),
                "callback_queue_bytes" => system.callback_queue_bytes(usize::try_from(value).unwrap_or(usize::MAX)),
                _ => system.restart_policy(RestartPolicy::Limited { max_restarts: 3, within: Duration::from_millis(value) }),
            }
        };
        match builder.check() {
            Ok(()) => prop_assert!((low..=high).contains(&value), "{limit} = {value} accepted"),
            Err(SystemError::LimitOutOfRange { limit: named, component, .. }) => {
                prop_assert!(!(low..=high).contains(&value), "{limit} = {value} refused");
                prop_assert_eq!(named, limit);
                prop_assert_eq!(component.is_some(), own);
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }

    /// The system-wide limits likewise.
    #[test]
    fn any_number_for_a_system_limit_is_checked(value in number(), which in 0..3usize) {
        let size = usize::try_from(value).unwrap_or(usize::MAX);
        let (limit, builder, low, high) = match which {
            0 => ("max_payload_bytes", SystemBuilder::new().max_payload_bytes(size), 1, 1 << 30),
            1 => ("default_timeout", SystemBuilder::new().default_timeout(Duration::from_millis(value)), 1, 3_600_000),
            _ => ("host_inbox", SystemBuilder::new().host_inbox(size), 1, 1 << 20),
        };
        match builder.check() {
            Ok(()) => prop_assert!((low..=high).contains(&value)),
            Err(SystemError::LimitOutOfRange { limit: named, component: None, .. }) => {
                prop_assert!(!(low..=high).contains(&value));
                prop_assert_eq!(named, limit);
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}

/// The largest value of each limit starts and serves; one past it is
/// refused at start, before anything is loaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_at_their_edges_start_and_past_them_do_not() {
    let mut spec = ComponentSpec::from_bytes("c", ECHO);
    for (limit, _, high) in LIMITS {
        spec = with_limit(spec, limit, high);
    }
    let system = SystemBuilder::new()
        .max_payload_bytes(1 << 30)
        .default_timeout(Duration::from_secs(3600))
        .host_inbox(1 << 20)
        .component(spec)
        .start()
        .await
        .expect("starts at the edges");
    assert_eq!(answer(&system, "c", "hi").await.as_bytes(), b"hi");
    system.shutdown(Duration::from_secs(5)).await;

    for (limit, _, high) in LIMITS {
        let spec = with_limit(ComponentSpec::from_bytes("c", ECHO), limit, high + 1);
        let refused = SystemBuilder::new().component(spec).start().await;
        assert!(
            matches!(refused, Err(SystemError::LimitOutOfRange { limit: named, .. }) if named == limit),
            "{limit}: {refused:?}"
        );
    }
}

/// A default timeout of zero would time out at once every request that
/// asks for the default: it is refused, naming the limit, before anything
/// starts.
#[tokio::test]
async fn a_zero_default_timeout_is_refused() {
    let refused = SystemBuilder::new()
        .default_timeout(Duration::ZERO)
        .component(ComponentSpec::from_bytes("c", ECHO))
        .start()
        .await;
    match refused {
        Err(
            error @ SystemError::LimitOutOfRange {
                limit: "default_timeout",
                component: None,
                ..
            },
        ) => {
            assert!(error.to_string().contains("1 ms to 1 hour"), "{error}");
        }
        other => panic!("expected default_timeout out of range, got {other:?}"),
    }
}

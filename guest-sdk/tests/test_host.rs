//! A plugin exported with `#[export]`, tested natively against the
//! `TestHost`: every host call it makes is recorded or answered, and
//! without a test host the calls fail with a message instead of aborting.

use std::time::Duration;

use airssys_wasm_guest::keyvalue::{Bucket, KeyValueError};
use airssys_wasm_guest::log::Level;
use airssys_wasm_guest::testing::TestHost;
use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, Json, MessagingError, config, export, info,
    request, send, timer,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
struct Order {
    item: String,
}

/// Reserves the item at `stock`, counts orders, and asks for a reminder.
#[export]
fn handle_message(
    sender: ComponentId,
    Json(order): Json<Order>,
) -> Result<Vec<u8>, ComponentError> {
    let failed = |error: MessagingError| ComponentError::failed(error.to_string());
    let stock = config::get("stock")
        .map_err(|error| ComponentError::failed(error.to_string()))?
        .unwrap_or_else(|| "stock".to_owned());
    request(&stock, Json(&order), Duration::from_secs(2)).map_err(failed)?;
    let orders = Bucket::open("orders")
        .and_then(|bucket| bucket.increment("count", 1))
        .map_err(|error| ComponentError::failed(error.to_string()))?;
    timer::after("remind", Duration::from_secs(60), "remind").map_err(failed)?;
    info!("order {orders} from {sender}: {}", order.item);
    Ok(orders.to_string().into_bytes())
}

/// Tells `audit` how each reservation went.
#[export]
fn handle_callback(
    id: CorrelationId,
    answer: Result<Vec<u8>, String>,
) -> Result<(), ComponentError> {
    let line = match answer {
        Ok(bytes) => format!("{id} reserved {}", String::from_utf8_lossy(&bytes)),
        Err(why) => format!("{id} failed: {why}"),
    };
    send("audit", line).map_err(|error| ComponentError::failed(error.to_string()))
}

fn order(item: &str) -> Json<Order> {
    Json(Order {
        item: item.to_owned(),
    })
}

#[test]
fn every_host_call_is_recorded_and_callbacks_are_driven_by_the_test() {
    let host = TestHost::new()
        .config("stock", "warehouse")
        .bucket("orders");

    let first = handle_message(ComponentId::new("shop"), order("tea")).unwrap();
    let second = handle_message(ComponentId::new("shop"), order("milk")).unwrap();
    assert_eq!((first, second), (b"1".to_vec(), b"2".to_vec()));
    assert_eq!(host.stored("orders", "count"), Some(b"2".to_vec()));

    let asked = host.pending();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].target, "warehouse");
    assert_eq!(asked[1].json::<Order>().unwrap().item, "milk");
    assert_eq!(asked[0].timeout, Duration::from_secs(2));
    assert_ne!(asked[0].id, asked[1].id);

    handle_callback(asked[0].id.clone(), Ok(b"yes".to_vec())).unwrap();
    host.answered(&asked[0].id);
    handle_callback(asked[1].id.clone(), Err("timed out".to_owned())).unwrap();
    host.answered(&asked[1].id);
    assert!(host.pending().is_empty());

    let sent = host.sent();
    let timers: Vec<_> = sent.iter().filter(|s| s.target == "timer").collect();
    assert_eq!(timers.len(), 2);
    assert_eq!(
        timers[0].json::<serde_json::Value>().unwrap()["after-ms"],
        60_000
    );
    let audit: Vec<String> = sent
        .iter()
        .filter(|s| s.target == "audit")
        .map(|s| s.text())
        .collect();
    assert_eq!(
        audit,
        [
            format!("{} reserved yes", asked[0].id),
            format!("{} failed: timed out", asked[1].id)
        ]
    );
    assert_eq!(
        host.logs(),
        [
            (Level::Info, "order 1 from shop: tea".to_owned()),
            (Level::Info, "order 2 from shop: milk".to_owned())
        ]
    );
}

#[test]
fn refusals_and_missing_grants_reach_the_plugin_as_the_host_would_give_them() {
    let _host = TestHost::new()
        .refuse(
            "stock",
            MessagingError::CapabilityDenied("no grant to stock".into()),
        )
        .bucket("orders");
    let refused = handle_message(ComponentId::new("shop"), order("tea")).unwrap_err();
    assert_eq!(refused, ComponentError::failed("no grant to stock"));

    drop(_host);
    let _host = TestHost::new();
    let no_bucket = handle_message(ComponentId::new("shop"), order("tea")).unwrap_err();
    assert_eq!(
        no_bucket,
        ComponentError::failed(KeyValueError::AccessDenied.to_string())
    );
}

#[test]
fn key_listing_crosses_pages_and_counters_refuse_what_is_not_a_number() {
    let host = TestHost::new().value("orders", "note", "not a number");
    let bucket = Bucket::open("orders").unwrap();
    let entries: Vec<(String, Vec<u8>)> = (0..250).map(|n| (format!("k{n:03}"), vec![1])).collect();
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_slice()))
        .collect();
    bucket.set_many(&borrowed).unwrap();
    assert_eq!(bucket.keys().unwrap().len(), 251);
    assert_eq!(
        bucket.get_many(&["k000", "absent"]).unwrap(),
        [Some(vec![1]), None]
    );
    assert!(matches!(
        bucket.increment("note", 1),
        Err(KeyValueError::Other(_))
    ));
    bucket.delete_many(&["k000", "k001"]).unwrap();
    assert!(!bucket.exists("k000").unwrap());
    assert_eq!(host.stored("orders", "k002"), Some(vec![1]));
}

/// Natively, the generated bindings would abort the test binary; the SDK
/// answers with an error that says what to do instead.
#[test]
fn without_a_test_host_calls_fail_with_how_to_get_one() {
    let error = send("audit", "hello").unwrap_err();
    assert!(
        matches!(&error, MessagingError::DeliveryFailed(why) if why.contains("TestHost")),
        "{error:?}"
    );
    assert!(request("audit", "hello", Duration::ZERO).is_err());
    assert!(
        config::get("key")
            .unwrap_err()
            .to_string()
            .contains("TestHost")
    );
    assert!(
        matches!(Bucket::open("orders"), Err(KeyValueError::Other(why)) if why.contains("TestHost"))
    );
    assert!(airssys_wasm_guest::http::get("https://example.com").is_err());
    info!("still only printed");
}

#[test]
#[should_panic(expected = "already has a TestHost")]
fn one_test_host_per_thread() {
    let _first = TestHost::new();
    let _second = TestHost::new();
}

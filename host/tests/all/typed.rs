//! Typed messages end to end: the typed-orders example's shop (JSON) and
//! warehouse (MessagePack), driven with the host's codecs.

use std::time::Duration;

use airssys_test_fixtures::{SHOP, WAREHOUSE};
use airssys_wasm::{
    ComponentError, ComponentSpec, HostInbox, Json, MessagePayload, MsgPack, RequestError, System,
    SystemBuilder,
};

use crate::common::system::{answer, outcome};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Order<'a> {
    item: &'a str,
    quantity: u32,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Receipt {
    item: String,
    quantity: u32,
    total_cents: u64,
    status: String,
}

#[derive(Serialize)]
struct Reserve<'a> {
    item: &'a str,
    quantity: u32,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Reserved {
    item: String,
    reserved: bool,
    left: u32,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Shipment {
    item: String,
    quantity: u32,
    ships: bool,
    left: u32,
}

const TIMEOUT: Duration = Duration::from_secs(5);

async fn shop_and_warehouse() -> (System, HostInbox) {
    let mut system = SystemBuilder::new()
        .host_inbox(16)
        .component(
            ComponentSpec::from_bytes("shop", SHOP)
                .grant("warehouse")
                .grant("host"),
        )
        .component(ComponentSpec::from_bytes("warehouse", WAREHOUSE))
        .start()
        .await
        .expect("starts");
    let inbox = system.take_inbox().expect("inbox");
    (system, inbox)
}

async fn order(system: &System, item: &str, quantity: u32) -> Result<Receipt, RequestError> {
    let payload = Json(Order { item, quantity }).encode().unwrap();
    let response = system.request("shop", payload, TIMEOUT).unwrap().await?;
    Ok(Json::<Receipt>::decode(&response).unwrap().0)
}

async fn next_shipment(inbox: &mut HostInbox) -> Shipment {
    let message = inbox.recv().await.expect("a shipment report");
    assert_eq!(message.sender.as_str(), "shop");
    Json::<Shipment>::decode(&message.payload).unwrap().0
}

/// JSON in and out of a handler; the handler's typed request to another
/// guest goes out as MessagePack, and the continuation registered with it
/// decodes the answer and, with the order it captured, sends a typed
/// message to the host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_orders_flow_through_both_codecs() {
    let (system, mut inbox) = shop_and_warehouse().await;

    let receipt = order(&system, "book", 4).await.unwrap();
    assert_eq!(
        receipt,
        Receipt {
            item: "book".into(),
            quantity: 4,
            total_cents: 5000,
            status: "accepted".into()
        }
    );
    let shipment = next_shipment(&mut inbox).await;
    assert_eq!(
        shipment,
        Shipment {
            item: "book".into(),
            quantity: 4,
            ships: true,
            left: 6
        }
    );

    order(&system, "book", 7).await.unwrap();
    let shipment = next_shipment(&mut inbox).await;
    assert!(!shipment.ships, "only 6 were left");
    // The quantity came along with the request, in the shop's continuation.
    assert_eq!((shipment.quantity, shipment.left), (7, 6));
    system.shutdown(TIMEOUT).await;
}

/// Bytes that are not the handler's type never reach it: the requester gets
/// an invalid-input error naming the type and the codec, and the component
/// keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_that_does_not_decode_is_an_error_naming_the_type() {
    let (system, _inbox) = shop_and_warehouse().await;

    let missing_field = outcome(&system, "shop", r#"{"item":"book"}"#).await;
    let Err(RequestError::Responder {
        error: ComponentError::InvalidInput(message),
        ..
    }) = missing_field
    else {
        panic!("expected the shop's invalid-input error, got {missing_field:?}");
    };
    // The text is the guest SDK's: the type, the codec, and serde's reason.
    assert!(
        message.contains("Order") && message.contains("as JSON"),
        "{message}"
    );
    assert!(
        message.contains("quantity"),
        "serde says what is missing: {message}"
    );

    // JSON where MessagePack is expected.
    let json = Json(Reserve {
        item: "pen",
        quantity: 1,
    })
    .encode()
    .unwrap();
    let wrong_codec = outcome(&system, "warehouse", json).await;
    let Err(RequestError::Responder {
        error: ComponentError::InvalidInput(message),
        ..
    }) = wrong_codec
    else {
        panic!("expected the warehouse's invalid-input error, got {wrong_codec:?}");
    };
    assert!(
        message.contains("Reserve") && message.contains("as MessagePack"),
        "{message}"
    );

    let receipt = order(&system, "pen", 1).await.unwrap();
    assert_eq!(receipt.total_cents, 1250, "still answers after refusing");
    system.shutdown(TIMEOUT).await;
}

/// The host speaks MessagePack to a guest directly, and the handler's own
/// error (not a decode error) still reaches the requester.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_requests_in_messagepack_and_gets_handler_errors() {
    let (system, _inbox) = shop_and_warehouse().await;

    let payload = MsgPack(Reserve {
        item: "lamp",
        quantity: 3,
    })
    .encode()
    .unwrap();
    let response = answer(&system, "warehouse", payload).await;
    let MsgPack(reserved) = MsgPack::<Reserved>::decode(&response).unwrap();
    assert_eq!(
        reserved,
        Reserved {
            item: "lamp".into(),
            reserved: true,
            left: 7
        }
    );

    let zero = order(&system, "lamp", 0).await;
    assert_eq!(
        zero,
        Err(RequestError::Responder {
            responder: "shop".into(),
            error: ComponentError::InvalidInput("an order needs a quantity".into())
        })
    );
    let empty = outcome(&system, "shop", MessagePayload::default()).await;
    assert!(
        matches!(
            empty,
            Err(RequestError::Responder {
                error: ComponentError::InvalidInput(_),
                ..
            })
        ),
        "{empty:?}"
    );
    system.shutdown(TIMEOUT).await;
}

//! The typed-orders example's shop: takes orders as JSON, answers with a
//! JSON receipt, and reserves stock from the warehouse over MessagePack.
//! When the reservation comes back, the continuation registered with the
//! request tells the host, as JSON, whether the order ships. The message
//! types come from `typed-orders-messages`, a crate the warehouse shares.

use std::time::Duration;

use airssys_wasm_guest::{
    ComponentError, ComponentId, Json, MsgPack, export, info, request, send, warn,
};
use typed_orders_messages::{Order, Receipt, Reserve, Reserved, Shipment};

const PRICE_CENTS: u64 = 1250;

/// Accepts an order, prices it, and asks the warehouse to reserve it; the
/// answer goes to the closure given to `on_reply`, which still has the
/// order.
#[export]
fn handle_message(
    _customer: ComponentId,
    Json(order): Json<Order>,
) -> Result<Json<Receipt>, ComponentError> {
    if order.quantity == 0 {
        warn!("refused an order for {} with no quantity", order.item);
        return Err(ComponentError::invalid_input("an order needs a quantity"));
    }
    info!("order: {} x {}", order.item, order.quantity);
    let reserve = Reserve {
        item: order.item.clone(),
        quantity: order.quantity,
    };
    let quantity = order.quantity;
    request("warehouse", MsgPack(reserve), Duration::from_secs(2))
        .map_err(|error| ComponentError::failed(format!("warehouse unreachable: {error}")))?
        .on_reply(move |reserved: Result<MsgPack<Reserved>, String>| {
            let MsgPack(reserved) = reserved.map_err(ComponentError::failed)?;
            report(quantity, reserved)
        });
    Ok(Json(Receipt {
        total_cents: PRICE_CENTS * u64::from(order.quantity),
        item: order.item,
        quantity: order.quantity,
        status: "accepted".to_owned(),
    }))
}

/// Tells the host whether `quantity` of the reserved item ships.
fn report(quantity: u32, reserved: Reserved) -> Result<(), ComponentError> {
    let shipment = Shipment {
        item: reserved.item,
        quantity,
        ships: reserved.reserved,
        left: reserved.left,
    };
    send(ComponentId::HOST, Json(shipment))
        .map_err(|error| ComponentError::failed(error.to_string()))
}

#[cfg(test)]
mod tests {
    use airssys_wasm_guest::testing::TestHost;
    use airssys_wasm_guest::{Json, MsgPack, ToPayload};

    use super::*;

    fn order(item: &str, quantity: u32) -> Result<Json<Receipt>, ComponentError> {
        let order = Order {
            item: item.to_owned(),
            quantity,
        };
        handle_message(ComponentId::new("customer"), Json(order))
    }

    /// The request path: the order becomes a MessagePack request to the
    /// warehouse, and the warehouse's answer a shipment report to the host
    /// that still knows the quantity ordered.
    #[test]
    fn an_order_is_reserved_then_reported() {
        let host = TestHost::new();
        let Json(receipt) = order("book", 4).unwrap();
        assert_eq!(receipt.total_cents, 5000);

        let asked = host.requests();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].target, "warehouse");
        let MsgPack(reserve) = MsgPack::<Reserve>::decode(&asked[0].payload).unwrap();
        assert_eq!(
            reserve,
            Reserve {
                item: "book".into(),
                quantity: 4
            }
        );

        let answer = MsgPack(Reserved {
            item: "book".into(),
            reserved: true,
            left: 6,
        });
        host.reply(&asked[0].id, Ok(answer.to_payload().unwrap().into_owned()))
            .unwrap();
        let sent = host.sent();
        assert_eq!(sent[0].target, ComponentId::HOST);
        let Json(shipment) = Json::<Shipment>::decode(&sent[0].payload).unwrap();
        assert_eq!(
            shipment,
            Shipment {
                item: "book".into(),
                quantity: 4,
                ships: true,
                left: 6
            }
        );
    }

    /// A failed request is the callback's error, and nothing is reported.
    #[test]
    fn a_failed_reservation_is_an_error_not_a_report() {
        let host = TestHost::new();
        order("pen", 1).unwrap();
        let id = host.requests()[0].id.clone();
        let failed = host.reply(&id, Err("request to \"warehouse\" timed out".into()));
        assert!(matches!(failed, Err(ComponentError::Failed(text)) if text.contains("timed out")));
        assert!(host.sent().is_empty());
    }

    #[test]
    fn an_order_of_nothing_is_refused_before_asking() {
        let host = TestHost::new();
        assert!(matches!(
            order("pen", 0),
            Err(ComponentError::InvalidInput(_))
        ));
        assert!(host.requests().is_empty());
    }
}

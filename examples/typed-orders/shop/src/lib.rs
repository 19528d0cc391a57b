//! The typed-orders example's shop: takes orders as JSON, answers with a
//! JSON receipt, and reserves stock from the warehouse over MessagePack.
//! When the reservation comes back it tells the host, as JSON, whether the
//! order ships.

use std::time::Duration;

use airssys_wasm_guest::{
    ComponentError, ComponentId, CorrelationId, Json, MsgPack, export, info, request, send, warn,
};
use serde::{Deserialize, Serialize};

/// What a customer sends (JSON).
#[derive(Deserialize)]
struct Order {
    item: String,
    quantity: u32,
}

/// What the customer gets back at once (JSON).
#[derive(Serialize)]
struct Receipt {
    item: String,
    quantity: u32,
    total_cents: u64,
    status: &'static str,
}

/// What the shop asks the warehouse (MessagePack).
#[derive(Serialize)]
struct Reserve<'a> {
    item: &'a str,
    quantity: u32,
}

/// What the warehouse answers (MessagePack).
#[derive(Deserialize)]
struct Reserved {
    item: String,
    reserved: bool,
    left: u32,
}

/// What the shop reports to the host once the warehouse has answered (JSON).
#[derive(Serialize)]
struct Shipment {
    item: String,
    ships: bool,
    left: u32,
}

const PRICE_CENTS: u64 = 1250;

/// Accepts an order, prices it, and asks the warehouse to reserve it.
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
        item: &order.item,
        quantity: order.quantity,
    };
    request("warehouse", MsgPack(reserve), Duration::from_secs(2))
        .map_err(|error| ComponentError::failed(format!("warehouse unreachable: {error}")))?;
    Ok(Json(Receipt {
        total_cents: PRICE_CENTS * u64::from(order.quantity),
        item: order.item,
        quantity: order.quantity,
        status: "accepted",
    }))
}

/// The warehouse's answer: report to the host whether the order ships.
#[export]
fn handle_callback(
    _id: CorrelationId,
    reserved: Result<MsgPack<Reserved>, String>,
) -> Result<(), ComponentError> {
    let MsgPack(reserved) = reserved.map_err(ComponentError::failed)?;
    let shipment = Shipment {
        item: reserved.item,
        ships: reserved.reserved,
        left: reserved.left,
    };
    send(ComponentId::HOST, Json(shipment))
        .map_err(|error| ComponentError::failed(error.to_string()))
}

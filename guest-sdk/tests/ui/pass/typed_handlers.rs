use airssys_wasm_guest::{export, ComponentError, ComponentId, CorrelationId, Json, MsgPack};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    quantity: u32,
}

#[derive(Serialize, Deserialize)]
struct Receipt {
    total: u64,
}

#[export]
fn handle_message(_sender: ComponentId, Json(order): Json<Order>) -> Result<MsgPack<Receipt>, ComponentError> {
    Ok(MsgPack(Receipt { total: u64::from(order.quantity) }))
}

#[export]
fn handle_callback(_id: CorrelationId, result: Result<Json<Receipt>, String>) -> Result<(), ComponentError> {
    result.map(|Json(receipt)| drop(receipt.total)).map_err(ComponentError::failed)
}

fn main() {}

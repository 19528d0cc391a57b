//! The typed-orders example's warehouse: reserves stock, speaking
//! MessagePack. Starts with 10 of every item.

use std::cell::RefCell;
use std::collections::HashMap;

use airssys_wasm_guest::{ComponentError, ComponentId, MsgPack, export};
use typed_orders_messages::{Reserve, Reserved};

const STARTING_STOCK: u32 = 10;

thread_local! {
    static STOCK: RefCell<HashMap<String, u32>> = RefCell::new(HashMap::new());
}

/// Reserves `quantity` of `item` if that many are left.
#[export]
fn handle_message(
    _sender: ComponentId,
    MsgPack(request): MsgPack<Reserve>,
) -> Result<MsgPack<Reserved>, ComponentError> {
    STOCK.with_borrow_mut(|stock| {
        let left = stock.entry(request.item.clone()).or_insert(STARTING_STOCK);
        let reserved = *left >= request.quantity;
        if reserved {
            *left -= request.quantity;
        }
        Ok(MsgPack(Reserved {
            item: request.item,
            reserved,
            left: *left,
        }))
    })
}

//! The typed-orders example's messages, shared by the shop and the
//! warehouse: each plugin depends on this crate, so both sides of a message
//! are the same Rust type.
//!
//! ```
//! use typed_orders_messages::Reserve;
//! let reserve = Reserve { item: "book".to_owned(), quantity: 2 };
//! assert_eq!(reserve.quantity, 2);
//! ```

use serde::{Deserialize, Serialize};

/// What a customer sends the shop (JSON).
///
/// ```
/// let order = typed_orders_messages::Order { item: "pen".to_owned(), quantity: 3 };
/// assert_eq!(order.item, "pen");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// What is ordered.
    pub item: String,
    /// How many; zero is refused.
    pub quantity: u32,
}

/// What the customer gets back at once (JSON).
///
/// ```
/// let receipt = typed_orders_messages::Receipt {
///     item: "pen".to_owned(),
///     quantity: 3,
///     total_cents: 3750,
///     status: "accepted".to_owned(),
/// };
/// assert_eq!(receipt.status, "accepted");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// What was ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
    /// The price of the whole order.
    pub total_cents: u64,
    /// `accepted`: the warehouse is asked next.
    pub status: String,
}

/// What the shop asks the warehouse (MessagePack).
///
/// ```
/// let reserve = typed_orders_messages::Reserve { item: "pen".to_owned(), quantity: 3 };
/// assert_eq!(reserve.item, "pen");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserve {
    /// What to reserve.
    pub item: String,
    /// How many.
    pub quantity: u32,
}

/// What the warehouse answers (MessagePack).
///
/// ```
/// let reserved = typed_orders_messages::Reserved { item: "pen".to_owned(), reserved: true, left: 7 };
/// assert!(reserved.reserved);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved {
    /// What was asked for.
    pub item: String,
    /// Whether that many were left and are now held.
    pub reserved: bool,
    /// How many are left after this reservation.
    pub left: u32,
}

/// What the shop tells the host once the warehouse has answered (JSON).
///
/// ```
/// let shipment = typed_orders_messages::Shipment {
///     item: "pen".to_owned(),
///     quantity: 3,
///     ships: true,
///     left: 7,
/// };
/// assert!(shipment.ships);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// What was ordered.
    pub item: String,
    /// How many were ordered: the shop remembers it with the request.
    pub quantity: u32,
    /// Whether the order ships.
    pub ships: bool,
    /// How many are left in the warehouse.
    pub left: u32,
}

//! [`Grants`]: the capability check, deny by default.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::RwLock;

use crate::core::component::id::ComponentId;
use crate::core::messaging::errors::MessagingError;

/// Who may message whom. Deny by default: a component reaches only the
/// targets it was granted, or every target if it holds the explicit wildcard.
/// The host application may message every component.
///
/// ```
/// use airssys_wasm::messaging::capability::Grants;
/// use airssys_wasm::{ComponentId, MessagingError};
///
/// let grants = Grants::new();
/// grants.grant("shop".into(), "warehouse".into());
/// let (shop, warehouse) = (ComponentId::new("shop"), ComponentId::new("warehouse"));
/// assert!(grants.check(&shop, &warehouse).is_ok());
/// assert!(matches!(
///     grants.check(&warehouse, &shop),
///     Err(MessagingError::CapabilityDenied { .. })
/// ));
/// ```
#[derive(Debug, Default)]
pub struct Grants {
    by_sender: RwLock<HashMap<ComponentId, GrantSet>>,
}

#[derive(Debug, Default)]
struct GrantSet {
    any: bool,
    targets: HashSet<ComponentId>,
}

impl Grants {
    /// An empty grant table: nobody but the host may message anyone.
    ///
    /// ```
    /// use airssys_wasm::{ComponentId, messaging::capability::Grants};
    /// let grants = Grants::new();
    /// assert!(grants.check(&ComponentId::new("a"), &ComponentId::new("b")).is_err());
    /// assert!(grants.check(&ComponentId::host(), &ComponentId::new("b")).is_ok());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Allow `sender` to message `target`.
    ///
    /// ```
    /// use airssys_wasm::{ComponentId, messaging::capability::Grants};
    /// let grants = Grants::new();
    /// grants.grant("a".into(), "b".into());
    /// assert!(grants.check(&ComponentId::new("a"), &ComponentId::new("b")).is_ok());
    /// assert!(grants.check(&ComponentId::new("a"), &ComponentId::new("c")).is_err());
    /// ```
    pub fn grant(&self, sender: ComponentId, target: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().targets.insert(target);
    }

    /// Allow `sender` to message every component (the explicit wildcard).
    ///
    /// ```
    /// use airssys_wasm::{ComponentId, messaging::capability::Grants};
    /// let grants = Grants::new();
    /// grants.grant_any("router".into());
    /// assert!(grants.check(&ComponentId::new("router"), &ComponentId::new("anyone")).is_ok());
    /// ```
    pub fn grant_any(&self, sender: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().any = true;
    }

    /// `Ok` when `sender` may message `target`, else `CapabilityDenied`.
    ///
    /// ```
    /// use airssys_wasm::{ComponentId, messaging::capability::Grants};
    /// let error = Grants::new().check(&ComponentId::new("a"), &ComponentId::new("b")).unwrap_err();
    /// assert!(error.to_string().contains("missing grant a -> b"));
    /// ```
    pub fn check(&self, sender: &ComponentId, target: &ComponentId) -> Result<(), MessagingError> {
        if sender.is_host() {
            return Ok(());
        }
        let table = self.by_sender.read().expect("grant table lock poisoned");
        let allowed = table
            .get(sender)
            .is_some_and(|set| set.any || set.targets.contains(target));
        if allowed {
            Ok(())
        } else {
            Err(MessagingError::CapabilityDenied {
                sender: sender.clone(),
                target: target.clone(),
            })
        }
    }
}

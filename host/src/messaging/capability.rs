//! [`Grants`]: the capability check, deny by default.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::RwLock;

use crate::core::component::id::ComponentId;
use crate::core::messaging::errors::MessagingError;

/// Who may message whom. Deny by default: a component reaches only the
/// targets it was granted, or every target if it holds the explicit wildcard.
/// The host application may message every component.
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
    pub fn new() -> Self {
        Self::default()
    }

    /// Allow `sender` to message `target`.
    pub fn grant(&self, sender: ComponentId, target: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().targets.insert(target);
    }

    /// Allow `sender` to message every component (the explicit wildcard).
    pub fn grant_any(&self, sender: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().any = true;
    }

    /// `Ok` when `sender` may message `target`, else `CapabilityDenied`.
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

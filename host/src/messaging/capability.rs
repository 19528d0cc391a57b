//! [`Grants`]: the capability check, deny by default.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::RwLock;

use crate::core::component::id::ComponentId;
use crate::core::messaging::errors::MessagingError;

/// Who may message whom. Deny by default: a component reaches only the
/// targets it was granted, or every target if it holds the explicit wildcard.
/// The host application may message every component.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    by_sender: RwLock<HashMap<ComponentId, GrantSet>>,
}

#[derive(Debug, Default)]
struct GrantSet {
    any: bool,
    targets: HashSet<ComponentId>,
}

impl Grants {
    /// Allow `sender` to message `target`.
    pub(crate) fn grant(&self, sender: ComponentId, target: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().targets.insert(target);
    }

    /// Allow `sender` to message every component (the explicit wildcard).
    pub(crate) fn grant_any(&self, sender: ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.entry(sender).or_default().any = true;
    }

    /// Replaces what `sender` may message: exactly `targets`, or every
    /// target with `any`.
    pub(crate) fn set(&self, sender: ComponentId, targets: Vec<ComponentId>, any: bool) {
        let grants = GrantSet {
            any,
            targets: targets.into_iter().collect(),
        };
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.insert(sender, grants);
    }

    /// What `sender` may message: its targets, sorted, and the wildcard.
    pub(crate) fn of(&self, sender: &str) -> (Vec<String>, bool) {
        let table = self.by_sender.read().expect("grant table lock poisoned");
        table.get(sender).map_or((Vec::new(), false), |set| {
            let mut targets: Vec<String> = set.targets.iter().map(ToString::to_string).collect();
            targets.sort();
            (targets, set.any)
        })
    }

    /// Forgets what `sender` may message: it was removed. Grants to it
    /// stay, so a component added again under its name is reachable as
    /// before.
    pub(crate) fn remove_sender(&self, sender: &ComponentId) {
        let mut table = self.by_sender.write().expect("grant table lock poisoned");
        table.remove(sender);
    }

    /// `Ok` when `sender` may message `target`, else `CapabilityDenied`.
    pub(crate) fn check(&self, sender: &ComponentId, target: &str) -> Result<(), MessagingError> {
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
                target: ComponentId::new(target),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nobody but the host reaches anyone until granted; a grant is one
    /// direction to one target; the wildcard reaches everyone.
    #[test]
    fn deny_by_default_grant_by_target_or_wildcard() {
        let id = ComponentId::new;
        let grants = Grants::default();
        assert_eq!(
            grants.check(&id("shop"), "warehouse"),
            Err(MessagingError::CapabilityDenied {
                sender: id("shop"),
                target: id("warehouse")
            })
        );
        assert_eq!(grants.check(&ComponentId::host(), "warehouse"), Ok(()));

        grants.grant(id("shop"), id("warehouse"));
        assert_eq!(grants.check(&id("shop"), "warehouse"), Ok(()));
        assert!(grants.check(&id("warehouse"), "shop").is_err());
        assert!(grants.check(&id("shop"), "billing").is_err());

        grants.grant_any(id("router"));
        assert_eq!(grants.check(&id("router"), "anyone"), Ok(()));
    }

    /// A removed sender's grants go; grants to it stay.
    #[test]
    fn removing_a_sender_keeps_grants_to_it() {
        let id = ComponentId::new;
        let grants = Grants::default();
        grants.grant(id("shop"), id("warehouse"));
        grants.grant(id("warehouse"), id("shop"));
        grants.remove_sender(&id("shop"));
        assert!(grants.check(&id("shop"), "warehouse").is_err());
        assert_eq!(grants.check(&id("warehouse"), "shop"), Ok(()));
    }
}

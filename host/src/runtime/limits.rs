//! The limits of one call into a guest, and how a trap is told apart: a
//! time budget counted in epoch ticks and a memory limit, each failing with
//! its own error so the [`Trap`] says which.

use std::time::Duration;

use crate::core::component::errors::Trap;

/// How often the epoch advances. A running guest yields to tokio at every
/// tick and its time budget is counted in ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The epoch ticks one call may use, and has used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallBudget {
    allowed: u64,
    used: u64,
}

impl CallBudget {
    /// A budget of `time` per call, rounded down to whole ticks (at least
    /// one).
    pub(crate) fn new(time: Duration) -> Self {
        let ticks = time.as_millis() / EPOCH_TICK.as_millis();
        Self {
            allowed: u64::try_from(ticks).unwrap_or(u64::MAX).max(1),
            used: 0,
        }
    }

    /// A fresh call starts with the whole budget.
    pub(crate) fn reset(&mut self) {
        self.used = 0;
    }

    /// Counts one tick; fails once the call has used more than its budget.
    pub(crate) fn tick(&mut self) -> Result<(), TimeBudgetExceeded> {
        self.used += 1;
        if self.used > self.allowed {
            let tick_ms = u64::try_from(EPOCH_TICK.as_millis()).unwrap_or(u64::MAX);
            return Err(TimeBudgetExceeded {
                budget_ms: self.allowed.saturating_mul(tick_ms),
            });
        }
        Ok(())
    }
}

/// The error the epoch callback traps a call with.
#[derive(Debug, thiserror::Error)]
#[error("ran past its time budget of {budget_ms} ms for one call")]
pub(crate) struct TimeBudgetExceeded {
    budget_ms: u64,
}

/// Caps a store's linear memory; growing past the cap traps the call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MemoryLimiter {
    limit: usize,
}

impl MemoryLimiter {
    pub(crate) fn new(limit: usize) -> Self {
        Self { limit }
    }
}

/// The error the limiter traps a call with.
#[derive(Debug, thiserror::Error)]
#[error("tried to grow its memory to {requested} bytes, past its limit of {limit} bytes")]
pub(crate) struct MemoryLimitExceeded {
    requested: usize,
    limit: usize,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A clear trap beats a guest allocator's confused failure.
        if desired > self.limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                requested: desired,
                limit: self.limit,
            }));
        }
        Ok(maximum.is_none_or(|max| desired <= max))
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("the host could not grow the memory"))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|max| desired <= max))
    }
}

/// What a failed guest call was: one of the host's limits, or the guest's
/// own trap with wasmtime's description.
pub(crate) fn classify_trap(error: &wasmtime::Error) -> Trap {
    if let Some(exceeded) = error.downcast_ref::<TimeBudgetExceeded>() {
        Trap::TimeBudget {
            budget_ms: exceeded.budget_ms,
        }
    } else if let Some(exceeded) = error.downcast_ref::<MemoryLimitExceeded>() {
        Trap::MemoryLimit {
            requested: exceeded.requested,
            limit: exceeded.limit,
        }
    } else {
        Trap::Guest(format!("{error:#}"))
    }
}

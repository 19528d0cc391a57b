//! What bounds a guest, and how a trap is told apart: the memory limit
//! fails with its own error, so the [`Trap`] says which limit it was. (The
//! time budget is a deadline on the whole call, kept by
//! [`Instance`](crate::runtime::instance::Instance).)

use std::time::Duration;

use crate::core::component::errors::Trap;

/// How often the epoch advances. A running guest yields to tokio at every
/// tick, so other actors run and its call's deadline can fire.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Table elements one component may hold, over all its tables. (A funcref
/// element costs the host a pointer or more; real plugins hold thousands.)
pub(crate) const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Core instances, memories and tables one component may create: far more
/// than any toolchain's output has, far fewer than would let one plugin
/// exhaust the host.
const MAX_INSTANCES: usize = 1_000;
const MAX_MEMORIES: usize = 100;
const MAX_TABLES: usize = 1_000;

/// Caps what one component's store may hold: its linear memories together
/// (however many core modules it has) within its memory limit, its table
/// elements together within [`MAX_TABLE_ELEMENTS`], and how many instances,
/// memories and tables it creates. Growing past a cap traps the call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoreLimiter {
    memory_limit: usize,
    /// Bytes of every linear memory of the store, together.
    memory_bytes: usize,
    /// Elements of every table of the store, together.
    table_elements: usize,
}

impl StoreLimiter {
    pub(crate) fn new(memory_limit: usize) -> Self {
        Self {
            memory_limit,
            memory_bytes: 0,
            table_elements: 0,
        }
    }
}

/// The error the limiter traps a call with when memory would pass its limit.
#[derive(Debug, thiserror::Error)]
#[error("tried to grow its memories to {requested} bytes in all, past its limit of {limit} bytes")]
pub(crate) struct MemoryLimitExceeded {
    requested: usize,
    limit: usize,
}

/// The error the limiter traps a call with when tables would pass their
/// limit.
#[derive(Debug, thiserror::Error)]
#[error("tried to grow its tables to {requested} elements in all, past the limit of {limit}")]
pub(crate) struct TableLimitExceeded {
    requested: usize,
    limit: usize,
}

impl wasmtime::ResourceLimiter for StoreLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        // Every memory counts, so several core modules cannot each take
        // the whole limit. A clear trap beats a guest allocator's confused
        // failure.
        let total = self
            .memory_bytes
            .saturating_sub(current)
            .saturating_add(desired);
        if total > self.memory_limit {
            return Err(wasmtime::Error::new(MemoryLimitExceeded {
                requested: total,
                limit: self.memory_limit,
            }));
        }
        self.memory_bytes = total;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("the host could not grow the memory"))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let total = self
            .table_elements
            .saturating_sub(current)
            .saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return Err(wasmtime::Error::new(TableLimitExceeded {
                requested: total,
                limit: MAX_TABLE_ELEMENTS,
            }));
        }
        self.table_elements = total;
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("the host could not grow the table"))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

/// What a failed guest call was: one of the host's limits, or the guest's
/// own trap with wasmtime's description.
pub(crate) fn classify_trap(error: &wasmtime::Error) -> Trap {
    if let Some(exceeded) = error.downcast_ref::<MemoryLimitExceeded>() {
        Trap::MemoryLimit {
            requested: exceeded.requested,
            limit: exceeded.limit,
        }
    } else if let Some(exceeded) = error.downcast_ref::<TableLimitExceeded>() {
        Trap::TableLimit {
            requested: exceeded.requested,
            limit: exceeded.limit,
        }
    } else {
        let mut text = format!("{error:#}");
        if text.len() > MAX_TRAP_TEXT {
            let cut = (0..=MAX_TRAP_TEXT)
                .rev()
                .find(|&at| text.is_char_boundary(at))
                .unwrap_or(0);
            text.truncate(cut);
            text.push_str("… (cut)");
        }
        Trap::Guest(text)
    }
}

/// The longest trap text passed on (to a requester, to the logs): a
/// guest's backtrace is its own to make long.
const MAX_TRAP_TEXT: usize = 4096;

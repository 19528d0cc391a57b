//! [`StartProgress`]: how far [`SystemBuilder::start`] has got, readable
//! while it runs.
//!
//! [`SystemBuilder::start`]: crate::SystemBuilder::start

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::runtime::cache::CacheUse;

/// A handle to the progress of one [`SystemBuilder::start`], shared with
/// the builder through [`SystemBuilder::progress`]. Starting many
/// components takes seconds; read [`counts`](Self::counts) from another
/// task to show how far it is.
///
/// ```no_run
/// # async fn demo(builder: airssys_wasm::SystemBuilder) -> Result<(), airssys_wasm::SystemError> {
/// use airssys_wasm::StartProgress;
///
/// let progress = StartProgress::new();
/// let watcher = progress.clone();
/// tokio::spawn(async move {
///     loop {
///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///         let counts = watcher.counts();
///         eprintln!("compiled {}/{}, started {}/{}",
///             counts.compiled, counts.to_compile, counts.started, counts.to_start);
///     }
/// });
/// let system = builder.progress(progress).start().await?;
/// # Ok(()) }
/// ```
///
/// [`SystemBuilder::start`]: crate::SystemBuilder::start
/// [`SystemBuilder::progress`]: crate::SystemBuilder::progress
#[derive(Debug, Clone, Default)]
pub struct StartProgress(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    to_compile: AtomicUsize,
    compiled: AtomicUsize,
    from_cache: AtomicUsize,
    stored: AtomicUsize,
    to_start: AtomicUsize,
    started: AtomicUsize,
}

/// A reading of a [`StartProgress`]. The totals are zero until `start`
/// knows them.
///
/// ```
/// let counts = airssys_wasm::StartProgress::new().counts();
/// assert_eq!((counts.started, counts.to_start), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StartCounts {
    /// Distinct sources to compile: components sharing bytes or a file
    /// are compiled once.
    pub to_compile: usize,
    /// Sources ready so far: compiled, or loaded from the compile cache.
    pub compiled: usize,
    /// Of those, how many came from the compile cache.
    pub from_cache: usize,
    /// Of those compiled (not from the cache), how many were written to
    /// it; fewer when there is no cache or a write failed.
    pub stored: usize,
    /// Components to instantiate.
    pub to_start: usize,
    /// Components instantiated and running so far.
    pub started: usize,
}

impl StartProgress {
    /// A fresh handle; all counts zero.
    ///
    /// ```
    /// let progress = airssys_wasm::StartProgress::new();
    /// assert_eq!(progress.counts(), Default::default());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The counts now.
    ///
    /// ```
    /// let progress = airssys_wasm::StartProgress::new();
    /// assert_eq!(progress.counts().compiled, 0);
    /// ```
    pub fn counts(&self) -> StartCounts {
        let c = &self.0;
        StartCounts {
            to_compile: c.to_compile.load(Ordering::Relaxed),
            compiled: c.compiled.load(Ordering::Relaxed),
            from_cache: c.from_cache.load(Ordering::Relaxed),
            stored: c.stored.load(Ordering::Relaxed),
            to_start: c.to_start.load(Ordering::Relaxed),
            started: c.started.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn expect_compiles(&self, count: usize) {
        self.0.to_compile.store(count, Ordering::Relaxed);
    }

    pub(crate) fn compiled_one(&self, cache_use: CacheUse) {
        let counter = match cache_use {
            CacheUse::Loaded => Some(&self.0.from_cache),
            CacheUse::Stored => Some(&self.0.stored),
            CacheUse::NotKept => None,
        };
        if let Some(counter) = counter {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.0.compiled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn expect_starts(&self, count: usize) {
        self.0.to_start.store(count, Ordering::Relaxed);
    }

    pub(crate) fn started_one(&self) {
        self.0.started.fetch_add(1, Ordering::Relaxed);
    }
}

//! Counts the heap allocations made on the current thread, for the tests
//! that hold the steady paths to an allocation budget. A test that counts
//! runs on a `current_thread` runtime, so the actors it drives allocate on
//! its thread; other tests, on their own threads, do not disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The test binary's allocator: the system's, counting per thread.
pub(crate) struct Counting;

thread_local! {
    // `const`: reading it never allocates, which the allocator relies on.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: a thread's allocations while its locals are torn down go
    // uncounted rather than panicking.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every call is passed unchanged to `System`, which upholds the
// `GlobalAlloc` contract; counting touches only a thread-local integer.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees for `layout` are `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made on this thread so far.
pub(crate) fn so_far() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

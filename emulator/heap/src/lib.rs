//! How much of the heap the process really uses, as opposed to how much it holds.
//!
//! Resident memory (RSS) counts every page the allocator has touched: a chunk freed after
//! a burst stays resident on the allocator's free lists, ready for the next burst, so RSS
//! follows the peak of transient memory and can step up once, hours into a steady load,
//! without a single byte leaking. The allocator's own books tell the two apart: bytes
//! handed out and not yet freed (`in_use`), and bytes it holds free (`free`). A leak grows
//! `in_use`; a new peak of transient memory grows `free`.
//!
//! On Linux with glibc (2.33 or later) the figures come from `mallinfo2`, which sums every
//! arena. Elsewhere [`stats`] answers `None`.

/// The allocator's books, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapStats {
    /// Allocated and not yet freed: in arenas plus chunks mapped on their own.
    pub in_use: u64,
    /// Held by the allocator but free: on its free lists, or at the top of an arena.
    pub free: u64,
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn stats() -> Option<HeapStats> {
    // SAFETY: `mallinfo2` takes no arguments and returns a plain struct by value; glibc
    // computes it under each arena's lock, so it is safe to call from any thread at any time.
    #[allow(unsafe_code)]
    let m = unsafe { libc::mallinfo2() };
    let bytes = |n: usize| n as u64;
    Some(HeapStats { in_use: bytes(m.uordblks) + bytes(m.hblkhd), free: bytes(m.fordblks) })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn stats() -> Option<HeapStats> {
    None
}

/// Hands the allocator's free pages back to the kernel (glibc's `malloc_trim(0)`: the
/// free chunks of every arena, not only the top of the main heap). For after a one-off
/// burst of transient memory, such as a whole-state dump or snapshot, whose freed chunks
/// would otherwise stay resident on the free lists of whichever thread's arena ran it.
/// Elsewhere it does nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    // SAFETY: `malloc_trim` takes a byte count and only works on the allocator's own free
    // chunks under each arena's lock; it is safe to call from any thread at any time.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures are the whole process's: the tests that read them take turns, or one's
    /// allocations land in the other's before and after.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn a_live_allocation_is_counted_until_it_is_freed() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let before = stats().expect("glibc answers");
        let block: Vec<u8> = vec![1; 256 * 1024];
        let during = stats().expect("glibc answers");
        // Other test threads allocate too, so only a lower bound holds.
        assert!(during.in_use >= before.in_use + 200 * 1024, "{before:?} -> {during:?}");
        drop(block);
        let after = stats().expect("glibc answers");
        assert!(after.in_use + 200 * 1024 <= during.in_use, "{during:?} -> {after:?}");
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn releasing_free_memory_keeps_what_is_in_use() {
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        // Many small chunks (below the mmap threshold) freed but one: their pages are
        // free-list memory the trim can hand back.
        let mut chunks: Vec<Vec<u8>> = (0..4096).map(|i| vec![i as u8; 1024]).collect();
        let kept = chunks.swap_remove(100);
        drop(chunks);
        let before = stats().expect("glibc answers");
        release_free_memory();
        let after = stats().expect("glibc answers");
        assert!(after.free <= before.free, "{before:?} -> {after:?}");
        assert_eq!(kept[0], 100);
    }
}

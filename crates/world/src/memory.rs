//! Process memory: the allocator, reading RSS, and giving freed memory back to the OS.
//!
//! wasmud uses mimalloc as its global allocator (set here, so the server, the tests and the
//! benchmark all run on it). Freeing a million small cache entries with mimalloc is cheap (frees
//! go to per-page free lists) and its pages are returned to the OS by [`release_to_os`]
//! (`mi_collect`), which the world calls after a large flush. With glibc, the same flush left
//! the pages in glibc's free lists until `malloc_trim`, whose consolidation paused the world for
//! ~60 ms per 300,000 entries; see `docs/design.md` for the figures.

/// The process-wide allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Bytes of resident memory of this process (Linux `/proc/self/statm`), 0 where unavailable.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Returns free heap pages to the operating system.
pub fn release_to_os() {
    // SAFETY: mi_collect only walks mimalloc's own heap metadata; it may be called at any time.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

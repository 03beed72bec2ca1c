//! Process memory: reading RSS and giving freed memory back to the operating system.
//!
//! wasmud uses the system allocator (glibc on Linux). Freeing a million small entries leaves
//! most of their pages in glibc's free lists, so RSS would not drop (the seed's CPython
//! problem); after a large flush the world calls [`release_to_os`], which runs `malloc_trim(0)`
//! and returns those pages (measured by `wasmud bench`).

/// Bytes of resident memory of this process (Linux `/proc/self/statm`), 0 where unavailable.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Returns free heap pages to the operating system where the allocator supports it.
pub fn release_to_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only walks the allocator's own free lists; it is safe to
        // call at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

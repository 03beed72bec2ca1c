//! `InstanceLimiter`: the linear-memory and table limits of one typeclass instance.
//!
//! wasmtime's `StoreLimits` caps each linear memory on its own, so a component with several
//! core modules (componentize-py builds have a few) could use the cap once per memory. This
//! limiter counts the bytes of *every* memory of the store together, so
//! [`super::Sandbox::max_memory_bytes`] is what one instance may use in all. A growth past it
//! traps (never a silent `-1` that a guest allocator would turn into a null pointer), with a
//! [`MemoryCapExceeded`] the dispatcher reports plainly.

use wasmtime::ResourceLimiter;

/// Table elements one table may grow to (function references of the guest).
const MAX_TABLE_ELEMENTS: usize = 100_000;
/// Core instances, tables and memories one component instance may create.
const MAX_INSTANCES: usize = 64;
const MAX_TABLES: usize = 64;
const MAX_MEMORIES: usize = 16;

/// A guest asked for more linear memory than its instance may hold.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "memory cap reached: the instance asked for {wanted} bytes of linear memory in all, over its \
     cap of {cap} bytes"
)]
pub struct MemoryCapExceeded {
    /// Bytes of linear memory the instance would have held in all.
    pub wanted: usize,
    /// The cap.
    pub cap: usize,
}

/// Counts the linear memory of one instance across all its memories.
#[derive(Debug)]
pub(crate) struct InstanceLimiter {
    cap: usize,
    used: usize,
    /// Bytes held right after instantiation.
    baseline: usize,
}

impl InstanceLimiter {
    pub(crate) fn new(cap: usize) -> Self {
        InstanceLimiter {
            cap,
            used: 0,
            baseline: 0,
        }
    }

    /// Records the memory the instance holds now as what it started with.
    pub(crate) fn mark_baseline(&mut self) {
        self.baseline = self.used;
    }

    /// Bytes of linear memory the instance holds, all its memories together.
    pub(crate) fn used_bytes(&self) -> usize {
        self.used
    }

    /// Bytes of linear memory grown since instantiation.
    pub(crate) fn grown_bytes(&self) -> usize {
        self.used.saturating_sub(self.baseline)
    }
}

impl ResourceLimiter for InstanceLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let wanted = self.used.saturating_add(desired.saturating_sub(current));
        if wanted > self.cap {
            return Err(MemoryCapExceeded {
                wanted,
                cap: self.cap,
            }
            .into());
        }
        if maximum.is_some_and(|max| desired > max) {
            wasmtime::bail!("memory grown past its declared maximum ({desired} bytes)");
        }
        self.used = wanted;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("linear memory could not grow"))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            wasmtime::bail!("table grown past {MAX_TABLE_ELEMENTS} elements");
        }
        Ok(true)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("table could not grow"))
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_every_memory_of_the_instance() {
        let mut l = InstanceLimiter::new(100);
        assert!(l.memory_growing(0, 60, None).unwrap());
        // A second memory of 60 would fit a per-memory cap, not the instance's.
        let err = l.memory_growing(0, 60, None).unwrap_err();
        let cap = err.downcast_ref::<MemoryCapExceeded>().unwrap();
        assert_eq!((cap.wanted, cap.cap), (120, 100));
        assert!(l.memory_growing(60, 100, None).unwrap());
        assert_eq!(l.used, 100);
        l.mark_baseline();
        assert_eq!(l.grown_bytes(), 0);
    }
}

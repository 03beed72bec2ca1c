//! [`IdIndex`]: a map from object id to cache entry, indexed directly by id.
//!
//! Object ids are dense (a sequence from 1, never reused), so instead of hashing, the index
//! splits an id into a page number and a slot: a lookup is two array reads, and walking entries
//! in id (≈ load) order touches memory sequentially, which is what makes flushing a million
//! entries cheap. A page of [`PAGE_SLOTS`] slots is allocated when its first entry arrives and
//! freed when its last one leaves, so a cache costs 8 bytes per id in the pages it touches.

use crate::cache::Entry;
use crate::value::ObjectId;

/// Ids per page (32 KiB of slots).
pub const PAGE_SLOTS: usize = 1 << PAGE_BITS;
const PAGE_BITS: u32 = 12;

struct Page {
    slots: Box<[Option<Box<Entry>>]>,
    live: usize,
}

/// Object id → boxed entry, by direct index.
#[derive(Default)]
pub struct IdIndex {
    pages: Vec<Option<Page>>,
    len: usize,
}

fn split(id: ObjectId) -> (usize, usize) {
    let page = usize::try_from(id >> PAGE_BITS).unwrap_or(usize::MAX);
    (page, (id as usize) & (PAGE_SLOTS - 1))
}

impl IdIndex {
    /// The entry of `id`.
    #[inline]
    pub fn get(&self, id: ObjectId) -> Option<&Entry> {
        let (page, slot) = split(id);
        self.pages.get(page)?.as_ref()?.slots[slot].as_deref()
    }

    /// The entry of `id`, mutable.
    #[inline]
    pub fn get_mut(&mut self, id: ObjectId) -> Option<&mut Entry> {
        let (page, slot) = split(id);
        self.pages.get_mut(page)?.as_mut()?.slots[slot].as_deref_mut()
    }

    /// Inserts (or replaces) the entry of `id`; returns the one it replaced.
    pub fn insert(&mut self, id: ObjectId, entry: Box<Entry>) -> Option<Box<Entry>> {
        let (page, slot) = split(id);
        if self.pages.len() <= page {
            self.pages.resize_with(page + 1, || None);
        }
        let page = self.pages[page].get_or_insert_with(|| Page {
            slots: (0..PAGE_SLOTS).map(|_| None).collect(),
            live: 0,
        });
        let previous = page.slots[slot].replace(entry);
        if previous.is_none() {
            page.live += 1;
            self.len += 1;
        }
        previous
    }

    /// Removes the entry of `id`, freeing its page if it was the last one there.
    pub fn remove(&mut self, id: ObjectId) -> Option<Box<Entry>> {
        let (page_no, slot) = split(id);
        let page = self.pages.get_mut(page_no)?.as_mut()?;
        let entry = page.slots[slot].take()?;
        page.live -= 1;
        self.len -= 1;
        if page.live == 0 {
            self.pages[page_no] = None;
        }
        Some(entry)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every entry, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, &Entry)> {
        self.pages
            .iter()
            .enumerate()
            .filter_map(|(p, page)| page.as_ref().map(|page| (p, page)))
            .flat_map(|(p, page)| {
                page.slots.iter().enumerate().filter_map(move |(s, e)| {
                    e.as_deref()
                        .map(|e| (((p as ObjectId) << PAGE_BITS) | s as ObjectId, e))
                })
            })
    }

    /// Bytes of slots and page table.
    pub fn slot_bytes(&self) -> usize {
        let pages = self.pages.iter().filter(|p| p.is_some()).count();
        pages * PAGE_SLOTS * size_of::<Option<Box<Entry>>>()
            + self.pages.capacity() * size_of::<Option<Page>>()
    }

    /// Drops the page table's spare capacity.
    pub fn shrink(&mut self) {
        while self.pages.last().is_some_and(Option::is_none) {
            self.pages.pop();
        }
        self.pages.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbol::Interner;

    fn entry(key: &str) -> Box<Entry> {
        Box::new(Entry::new(
            key.into(),
            Interner::default().intern("t"),
            None,
            Vec::new(),
        ))
    }

    #[test]
    fn pages_come_and_go_with_their_entries() {
        let mut index = IdIndex::default();
        let far = (PAGE_SLOTS as ObjectId) * 3 + 5;
        assert!(index.insert(1, entry("a")).is_none());
        assert!(index.insert(far, entry("b")).is_none());
        assert!(index.insert(1, entry("c")).is_some(), "replaced");
        assert_eq!(index.len(), 2);
        assert_eq!(&*index.get(1).unwrap().key, "c");
        assert!(index.get(2).is_none() && index.get(u64::MAX).is_none());
        let ids: Vec<ObjectId> = index.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, vec![1, far]);
        assert_eq!(index.slot_bytes() / (PAGE_SLOTS * 8), 2, "two pages");
        index.remove(far);
        assert_eq!(
            index.slot_bytes() / (PAGE_SLOTS * 8),
            1,
            "an empty page is freed"
        );
        assert!(index.remove(far).is_none());
        assert_eq!(index.len(), 1);
    }
}

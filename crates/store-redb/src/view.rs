//! The contract's reads ([`StoreView`]) on redb's read and write transactions.

use redb::{ReadableMultimapTable, ReadableTable, ReadableTableMetadata};
use wasmud_common::{ObjectId, Value};
use wasmud_store::records::decode;
use wasmud_store::{LoadedObject, ObjectRecord, StoreError, StoreView, Visit};

use crate::error::run;
use crate::tables::{ATTRS, CONTENTS, KEYS, META, OBJECTS, TOMBSTONES};
use crate::{RedbRead, RedbWrite};

macro_rules! impl_store_view {
    ($ty:ty) => {
        impl StoreView for $ty {
            fn load(&self, id: ObjectId) -> Result<Option<LoadedObject>, StoreError> {
                run(|| {
                    let objects = self.txn.open_table(OBJECTS)?;
                    let Some(raw) = objects.get(id)? else {
                        return Ok(None);
                    };
                    let record = decode::<ObjectRecord>(raw.value())?;
                    let attrs = self.txn.open_table(ATTRS)?;
                    let mut list = Vec::new();
                    for row in attrs.range((id, "")..(id + 1, ""))? {
                        let (k, v) = row?;
                        list.push((Box::from(k.value().1), decode::<Value>(v.value())?));
                    }
                    Ok(Some((record, list)))
                })
            }

            fn record(&self, id: ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
                run(|| {
                    let objects = self.txn.open_table(OBJECTS)?;
                    let Some(raw) = objects.get(id)? else {
                        return Ok(None);
                    };
                    Ok(Some(decode::<ObjectRecord>(raw.value())?))
                })
            }

            fn contents(&self, location: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
                run(|| {
                    let table = self.txn.open_multimap_table(CONTENTS)?;
                    table.get(location)?.map(|v| Ok(v?.value())).collect()
                })
            }

            fn search(&self, key: &str) -> Result<Vec<ObjectId>, StoreError> {
                run(|| {
                    let table = self.txn.open_multimap_table(KEYS)?;
                    let folded = key.to_ascii_lowercase();
                    table
                        .get(folded.as_str())?
                        .map(|v| Ok(v?.value()))
                        .collect()
                })
            }

            fn exists(&self, id: ObjectId) -> Result<bool, StoreError> {
                run(|| Ok(self.txn.open_table(OBJECTS)?.get(id)?.is_some()))
            }

            fn is_deleted(&self, id: ObjectId) -> Result<bool, StoreError> {
                run(|| Ok(self.txn.open_table(TOMBSTONES)?.get(id)?.is_some()))
            }

            fn next_id(&self) -> Result<ObjectId, StoreError> {
                run(|| {
                    Ok(self
                        .txn
                        .open_table(META)?
                        .get("next_id")?
                        .map(|v| v.value())
                        .unwrap_or(1))
                })
            }

            fn object_count(&self) -> Result<u64, StoreError> {
                run(|| Ok(self.txn.open_table(OBJECTS)?.len()?))
            }

            fn scan_objects(
                &self,
                visit: Visit<'_, (ObjectId, LoadedObject)>,
            ) -> Result<(), StoreError> {
                run(|| {
                    let attrs = self.txn.open_table(ATTRS)?;
                    let mut attr_rows = attrs.iter()?.peekable();
                    for row in self.txn.open_table(OBJECTS)?.iter()? {
                        let (id, raw) = row?;
                        let id = id.value();
                        let record = decode::<ObjectRecord>(raw.value())?;
                        let mut list = Vec::new();
                        // Attributes are ordered by (object, name): take this object's, skip
                        // any of objects that do not exist (`check` reports those).
                        while let Some(next) = attr_rows.peek() {
                            let owner = match next {
                                Ok((k, _)) => k.value().0,
                                Err(_) => id,
                            };
                            if owner > id {
                                break;
                            }
                            let (k, v) = attr_rows.next().expect("peeked")?;
                            if owner == id {
                                list.push((Box::from(k.value().1), decode::<Value>(v.value())?));
                            }
                        }
                        visit((id, (record, list)))?;
                    }
                    Ok(())
                })
            }

            fn scan_tombstones(&self, visit: Visit<'_, ObjectId>) -> Result<(), StoreError> {
                run(|| {
                    for row in self.txn.open_table(TOMBSTONES)?.iter()? {
                        visit(row?.0.value())?;
                    }
                    Ok(())
                })
            }

            fn scan_keys(
                &self,
                visit: &mut dyn FnMut(&str, ObjectId) -> Result<(), StoreError>,
            ) -> Result<(), StoreError> {
                run(|| {
                    for row in self.txn.open_multimap_table(KEYS)?.iter()? {
                        let (key, ids) = row?;
                        for id in ids {
                            visit(key.value(), id?.value())?;
                        }
                    }
                    Ok(())
                })
            }

            fn scan_attr(
                &self,
                name: &str,
                visit: Visit<'_, (ObjectId, Value)>,
            ) -> Result<(), StoreError> {
                run(|| {
                    for row in self.txn.open_table(ATTRS)?.iter()? {
                        let (key, raw) = row?;
                        let (id, attr) = key.value();
                        if attr == name {
                            visit((id, decode::<Value>(raw.value())?))?;
                        }
                    }
                    Ok(())
                })
            }
        }
    };
}

impl_store_view!(RedbRead);
impl_store_view!(RedbWrite);

//! Where a store's database lives, and how it is made again: reopened after an I/O failure,
//! or rewritten into fresh storage.
//!
//! Why rewrite: after a failed fsync the kernel may keep the unwritten pages in its cache,
//! marked clean, and never write them (PostgreSQL's "fsyncgate", 2018). Reopening the same
//! file then reads those pages from the cache, a later commit builds on them, and a power cut
//! leaves a store whose roots point at pages that were never written. So after a failure the
//! world copies the store (as the cache shows it: consistent, the latest commit) into fresh
//! storage, makes that durable, and puts it in the old one's place (for a file: a new file
//! renamed over the old name). Pages the old file never got no longer matter.

use std::path::{Path, PathBuf};

use redb::Database;

use wasmud_store::StoreError;

use crate::error::from_database;

/// Which storage a [`Storage`] factory is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The store's current storage.
    Current,
    /// New, empty storage to copy the store into.
    Fresh,
    /// The fresh storage is complete and durable: make it the current one.
    Promote,
}

/// Opens a database on some storage.
pub(crate) type Open = Box<dyn Fn(Storage) -> Result<Option<Database>, StoreError> + Send>;

/// The storage of a store in the file at `path` (fresh storage: a private file beside it,
/// renamed over it when promoted).
pub(crate) fn file(path: &Path, cache_bytes: usize) -> Open {
    let path = path.to_owned();
    let fresh = fresh_name(&path);
    Box::new(move |storage| match storage {
        Storage::Current => redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(&path)
            .map(Some)
            .map_err(|e| from_database(&path, e)),
        Storage::Fresh => {
            let _ = std::fs::remove_file(&fresh);
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options.open(&fresh)?;
            let backend =
                redb::backends::FileBackend::new(file).map_err(|e| from_database(&fresh, e))?;
            redb::Builder::new()
                .create_with_backend(backend)
                .map(Some)
                .map_err(|e| from_database(&fresh, e))
        }
        Storage::Promote => {
            std::fs::File::open(&fresh)?.sync_all()?;
            std::fs::rename(&fresh, &path)?;
            if let Some(dir) = path.parent() {
                std::fs::File::open(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                })?
                .sync_all()?;
            }
            Ok(None)
        }
    })
}

/// Where a file store's fresh copy is written.
fn fresh_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "world.redb".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.rewrite"))
}

/// The storage made by `backend` for each [`Storage`] request (tests: a disk that fails, fills
/// up or loses power); `Promote` is passed to the factory, which returns nothing for it.
pub(crate) fn backends<B: redb::StorageBackend>(
    backend: impl Fn(Storage) -> std::io::Result<Option<B>> + Send + 'static,
    cache_bytes: usize,
) -> Open {
    Box::new(move |storage| {
        let Some(made) = backend(storage)? else {
            return Ok(None);
        };
        redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create_with_backend(made)
            .map(Some)
            .map_err(|e| from_database(Path::new("<storage backend>"), e))
    })
}

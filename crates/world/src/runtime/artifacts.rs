//! [`ArtifactCache`]: precompiled typeclass components on disk, keyed by content hash.
//!
//! Compiling a component with Cranelift takes tens of milliseconds; loading the engine's own
//! precompiled artifact takes a fraction of one. The key is the SHA-256 of the component bytes
//! plus the engine's compatibility hash (wasmtime version and settings), so a changed script or
//! a changed engine never loads a stale artifact. A file that fails to load is recompiled and
//! replaced.
//!
//! # Trust
//! A `.wasm` is untrusted (it is compiled and sandboxed); an artifact is native code that is
//! run as it is. So an artifact is loaded only if nobody but this process's user could have
//! written it: the directory (created with mode 0700) and the file (written with mode 0600)
//! must be owned by the effective uid and must not be writable by group or others, and the file
//! must not be a symbolic link. Anything else is logged and ignored: the component is compiled
//! from its `.wasm` instead (and not cached into a directory that fails the check).

use std::fs::{DirBuilder, File, Metadata, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a component came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Loaded from a precompiled artifact.
    Cached,
    /// Compiled now (and, with a cache, written to it).
    Compiled,
}

/// A directory of precompiled components.
#[derive(Clone, Debug)]
pub struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    /// A cache in `dir` (created, mode 0700, on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ArtifactCache { dir: dir.into() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut engine_hash = std::hash::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let digest = Sha256::digest(wasm);
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir
            .join(format!("{hex}-{:016x}.cwasm", engine_hash.finish()))
    }

    /// The component for `wasm`: from the cache if present, valid and trusted, else compiled
    /// and stored.
    ///
    /// # Errors
    /// If `wasm` does not compile. Cache I/O failures and refused artifacts only cost the
    /// speed-up (logged).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, Origin)> {
        let path = self.path(engine, wasm);
        if let Some(component) = self.load_cached(engine, &path) {
            return Ok((component, Origin::Cached));
        }
        // Servers sharing a cache (the tests, several worlds on one machine) compile a big
        // component once: the others wait for the lock, then load what the first one stored.
        let lock = self.lock(&path);
        if lock.is_some()
            && let Some(component) = self.load_cached(engine, &path)
        {
            return Ok((component, Origin::Cached));
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), "could not cache the artifact: {e:#}");
        }
        drop(lock);
        Ok((component, Origin::Compiled))
    }

    /// The cached artifact at `path`, if it is there, trusted and loads.
    fn load_cached(&self, engine: &Engine, path: &Path) -> Option<Component> {
        match self.read_trusted(path) {
            Ok(Some(bytes)) => {
                // SAFETY: the bytes come from a file only this user could have written (checked
                // by `read_trusted` on the open file and its directory), and such files are
                // written only by `Component::serialize` of an engine with the same
                // compatibility hash (it is in the file name); wasmtime checks the artifact's
                // header and version before using it.
                match unsafe { Component::deserialize(engine, &bytes) } {
                    Ok(component) => return Some(component),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), "stale artifact, recompiling: {e}")
                    }
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                path = %path.display(),
                "refusing the cached artifact (native code), compiling the component instead: {e:#}"
            ),
        }
        None
    }

    /// An exclusive lock on `<path>.lock` (blocking until other processes release it), or
    /// `None` if it cannot be taken (then this process simply compiles too).
    fn lock(&self, path: &Path) -> Option<File> {
        let taken = (|| -> std::io::Result<File> {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.dir)?;
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path.with_extension("lock"))?;
            file.lock()?;
            Ok(file)
        })();
        match taken {
            Ok(file) => Some(file),
            Err(e) => {
                tracing::warn!(path = %path.display(), "could not lock the artifact: {e}");
                None
            }
        }
    }

    /// The bytes of the artifact at `path`, `None` if there is none, or an error saying why it
    /// is not trusted. Opens without following a symbolic link and checks the open file, so
    /// the bytes checked are the bytes read.
    fn read_trusted(&self, path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
        let dir = match std::fs::symlink_metadata(&self.dir) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow::Error::new(e).context("open (is it a symbolic link?)")),
        };
        check_owned(&self.dir, &dir, "directory")?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            anyhow::bail!("not a regular file");
        }
        check_owned(path, &meta, "file")?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let dir = std::fs::symlink_metadata(&self.dir)?;
        check_owned(&self.dir, &dir, "directory")?;
        let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
        // A fresh name per write: concurrent compiles never share a temporary file.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = path.with_extension(format!(
            "{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| -> std::io::Result<()> {
            let mut file: File = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(&bytes)?;
            // A torn artifact must never be renamed into place.
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok(written?)
    }
}

/// Fails unless `meta` (of `path`, a `what`) is owned by this process's effective user and
/// cannot be written by group or others (and, for the directory, is not a symbolic link).
fn check_owned(path: &Path, meta: &Metadata, what: &str) -> anyhow::Result<()> {
    if meta.file_type().is_symlink() {
        anyhow::bail!("the {what} {} is a symbolic link", path.display());
    }
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        anyhow::bail!(
            "the {what} {} belongs to uid {}, not to this user (uid {me})",
            path.display(),
            meta.uid()
        );
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        anyhow::bail!(
            "the {what} {} has mode {mode:04o}: group or others can write it",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// The smallest valid component: just the header.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn setup() -> (tempfile::TempDir, ArtifactCache, Engine, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let cache = ArtifactCache::new(root.path().join("data/artifacts"));
        let engine = Engine::default();
        let path = cache.path(&engine, EMPTY_COMPONENT);
        (root, cache, engine, path)
    }

    fn origin(cache: &ArtifactCache, engine: &Engine) -> Origin {
        cache.load_or_compile(engine, EMPTY_COMPONENT).unwrap().1
    }

    #[test]
    fn artifacts_are_written_private_and_loaded_back() {
        let (_root, cache, engine, path) = setup();
        assert_eq!(origin(&cache, &engine), Origin::Compiled);
        assert_eq!(mode(cache.dir()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(origin(&cache, &engine), Origin::Cached);
        let files: Vec<_> = std::fs::read_dir(cache.dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none_or(|e| e != "lock"))
            .collect();
        assert_eq!(files, [path], "no temporary file is left");
    }

    #[test]
    fn an_artifact_others_can_write_is_compiled_instead_and_replaced() {
        let (_root, cache, engine, path) = setup();
        origin(&cache, &engine);
        for loose in [0o666, 0o620, 0o602] {
            chmod(&path, loose);
            assert_eq!(origin(&cache, &engine), Origin::Compiled, "{loose:o}");
            // The refused file was replaced by a private one, which is trusted again.
            assert_eq!(mode(&path), 0o600);
            assert_eq!(origin(&cache, &engine), Origin::Cached);
        }
    }

    #[test]
    fn a_directory_others_can_write_is_not_trusted_nor_written() {
        let (_root, cache, engine, path) = setup();
        origin(&cache, &engine);
        chmod(cache.dir(), 0o777);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(origin(&cache, &engine), Origin::Compiled);
        assert!(!path.exists(), "nothing is cached into an open directory");
        chmod(cache.dir(), 0o700);
        origin(&cache, &engine);
        chmod(cache.dir(), 0o757);
        assert_eq!(
            origin(&cache, &engine),
            Origin::Compiled,
            "a valid file in it"
        );
    }

    #[test]
    fn a_symlinked_artifact_is_not_followed() {
        let (root, cache, engine, path) = setup();
        origin(&cache, &engine);
        let elsewhere = root.path().join("elsewhere.cwasm");
        std::fs::rename(&path, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        assert_eq!(origin(&cache, &engine), Origin::Compiled);
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
    }
}

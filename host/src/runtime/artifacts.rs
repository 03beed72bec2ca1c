//! [`ArtifactCache`]: precompiled typeclass components on disk, keyed by content hash.
//!
//! Compiling a component with Cranelift takes tens of milliseconds; loading the engine's own
//! precompiled artifact takes a fraction of one. The key is the SHA-256 of the component bytes
//! plus the engine's compatibility hash (wasmtime version and settings), so a changed script or
//! a changed engine never loads a stale artifact. A file that fails to load is recompiled and
//! replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

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
    /// A cache in `dir` (created on first write).
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

    /// The component for `wasm`: from the cache if present and valid, else compiled and stored.
    ///
    /// # Errors
    /// If `wasm` does not compile. Cache I/O failures only cost the speed-up (logged).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> wasmtime::Result<(Component, Origin)> {
        let path = self.path(engine, wasm);
        if path.exists() {
            // SAFETY: files in this directory are written only by `Component::serialize` of an
            // engine with the same compatibility hash (it is in the file name), and wasmtime
            // checks the artifact's header and version before using it.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, Origin::Cached)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "stale artifact, recompiling: {e}")
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::warn!(path = %path.display(), "could not cache the artifact: {e}");
        }
        Ok((component, Origin::Compiled))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

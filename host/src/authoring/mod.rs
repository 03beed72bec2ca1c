//! Writing typeclasses: `wasmud new` makes a project (a Rust crate or a Python module) and
//! `wasmud build` builds one and installs its component into a world's scripts directory,
//! where a running server's watcher swaps it in. One path for both languages:
//!
//! ```text
//! wasmud new lamp [--python]        # ./lamp: Cargo.toml + src/lib.rs, or app.py
//! wasmud build lamp --data data     # data/typeclasses/lamp.wasm; the server reloads it
//! ```

mod build;
mod embedded;
mod templates;

use std::path::{Path, PathBuf};

pub use build::{Built, build, install};

/// The language of a typeclass project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// A cdylib crate using `wasmud-sdk`, built by cargo for `wasm32-wasip2`.
    Rust,
    /// A module `app.py` using the Python SDK, built by componentize-py.
    Python,
}

/// Why a project could not be made, built or installed.
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    /// The name cannot be a typeclass's (it is also the crate's and the file's name).
    #[error(
        "`{0}` cannot name a typeclass: use lowercase letters, digits and `_`, starting with a \
         letter (at most 64)"
    )]
    BadName(String),
    /// `new` would overwrite something.
    #[error("{0} already exists")]
    Exists(PathBuf),
    /// The directory holds neither a `Cargo.toml` nor an `app.py`.
    #[error("{0} is not a typeclass project: it has neither a Cargo.toml nor an app.py")]
    NotAProject(PathBuf),
    /// The Rust SDK is not where `new` was told it is.
    #[error(
        "no wasmud-sdk at {0} (its Cargo.toml is missing): pass --sdk <the guest-sdk directory \
         of a wasmud source tree>"
    )]
    NoSdk(PathBuf),
    /// A tool the build needs is not installed.
    #[error("{0}")]
    MissingTool(String),
    /// The compiler rejected the project (its own messages were printed above).
    #[error("{0}")]
    BuildFailed(String),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl AuthoringError {
    fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> AuthoringError {
        let what = what.into();
        move |source| AuthoringError::Io { what, source }
    }
}

/// Checks that `name` can name a typeclass, its crate and its file (`<name>.wasm`).
///
/// # Errors
/// [`AuthoringError::BadName`] otherwise.
pub fn check_name(name: &str) -> Result<(), AuthoringError> {
    let ok = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AuthoringError::BadName(name.to_owned()))
    }
}

/// The Rust SDK of the source tree this binary was built from.
pub fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("guest-sdk")
}

/// Makes the project of a new typeclass `name` in `dir` (which must not exist) and returns
/// the files written. A Rust project depends on the SDK at `sdk`.
///
/// # Errors
/// A bad name, an existing `dir`, a missing SDK, or a file that cannot be written.
pub fn new_project(
    dir: &Path,
    name: &str,
    language: Language,
    sdk: &Path,
) -> Result<Vec<PathBuf>, AuthoringError> {
    check_name(name)?;
    if dir.exists() {
        return Err(AuthoringError::Exists(dir.to_owned()));
    }
    let files = match language {
        Language::Rust => {
            if !sdk.join("Cargo.toml").is_file() {
                return Err(AuthoringError::NoSdk(sdk.to_owned()));
            }
            let sdk =
                std::path::absolute(sdk).map_err(AuthoringError::io("resolve the SDK path"))?;
            let sdk = normalize(&sdk);
            templates::rust(name, &sdk.display().to_string())
        }
        Language::Python => templates::python(name),
    };
    let mut written = Vec::new();
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(AuthoringError::io(format!("create {}", parent.display())))?;
        }
        std::fs::write(&path, text)
            .map_err(AuthoringError::io(format!("write {}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

/// `a/b/../c` → `a/c`, without touching the file system (the SDK path goes into a manifest).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["lamp", "brass_lamp", "l2"] {
            check_name(good).unwrap();
        }
        for bad in [
            "",
            "Lamp",
            "2lamp",
            "brass-lamp",
            "../x",
            "a b",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(check_name(bad), Err(AuthoringError::BadName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_project_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().join("lamp");
        let written = new_project(&project, "lamp", Language::Python, &default_sdk()).unwrap();
        assert_eq!(written, vec![project.join("app.py")]);
        std::fs::write(project.join("app.py"), "mine").unwrap();
        let e = new_project(&project, "lamp", Language::Python, &default_sdk()).unwrap_err();
        assert!(matches!(e, AuthoringError::Exists(_)), "{e}");
        assert_eq!(
            std::fs::read_to_string(project.join("app.py")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn a_rust_project_needs_the_sdk() {
        let dir = tempfile::tempdir().unwrap();
        let e =
            new_project(&dir.path().join("lamp"), "lamp", Language::Rust, dir.path()).unwrap_err();
        assert!(matches!(e, AuthoringError::NoSdk(_)), "{e}");
        assert!(!dir.path().join("lamp").exists());
        let written = new_project(
            &dir.path().join("lamp"),
            "lamp",
            Language::Rust,
            &default_sdk(),
        )
        .unwrap();
        let manifest = std::fs::read_to_string(&written[0]).unwrap();
        assert!(
            manifest.contains("[package]\nname = \"lamp\""),
            "{manifest}"
        );
        assert!(!manifest.contains(".."), "{manifest}");
    }
}

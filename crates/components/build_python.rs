//! The Python typeclasses: `<dir>/<name>/app.py` (with the SDK in `guest-sdk/python`) built
//! into `<name>.wasm` by componentize-py, pinned, in a virtual environment this build creates
//! under `target/scripts/python/venv` (nothing is installed globally). A component is rebuilt
//! only when its sources, the SDK, the contract or the pinned tools change.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned tools: componentize-py builds the components, pytest runs the SDK's tests.
const TOOLS: &[&str] = &["componentize-py==0.25.1", "pytest==8.3.4"];

/// The virtual environment's directory under `python_dir`.
pub fn venv(python_dir: &Path) -> PathBuf {
    python_dir.join("venv")
}

/// Creates the virtual environment with the pinned tools, unless it already has them.
fn ensure_venv(python_dir: &Path) {
    let venv = venv(python_dir);
    let stamp = venv.join("wasmud-tools.txt");
    let wanted = TOOLS.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return;
    }
    let python = std::env::var("WASMUD_PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
        "create the Python virtual environment (Debian: apt-get install python3-venv)",
    );
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(TOOLS),
        "install componentize-py and pytest into the virtual environment",
    );
    std::fs::write(&stamp, wanted).expect("write the tools stamp");
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot {what}: {e}"));
    assert!(status.success(), "could not {what}: {status}");
}

/// Hashes every file under `dir` (paths and contents, in sorted order) into `h`.
fn hash_tree(dir: &Path, h: &mut impl Hasher) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => return,
    };
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // Caches, and unit tests (never imported by the component) change nothing built.
        if name == "__pycache__" || name.starts_with('.') || name.starts_with("test_") {
            continue;
        }
        if path.is_dir() {
            hash_tree(&path, h);
        } else if let Ok(bytes) = std::fs::read(&path) {
            path.hash(h);
            bytes.hash(h);
        }
    }
}

/// Copies the files under `from` into `to`, leaving out caches and hidden files.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a staging dir");
    for entry in std::fs::read_dir(from)
        .expect("read a Python typeclass's dir")
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "__pycache__" || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &to.join(&*name));
        } else {
            std::fs::copy(&path, to.join(&*name)).expect("stage a Python source file");
        }
    }
}

/// Builds each Python typeclass (its name and the directory of its `app.py`) into
/// `<python_dir>/<name>.wasm` and returns the directory the components are in.
pub fn build(root: &Path, python_dir: &Path, typeclasses: &[(&str, PathBuf)]) -> PathBuf {
    ensure_venv(python_dir);
    let sdk = root.join("guest-sdk/python");
    let wit = root.join("wit");
    for (name, source) in typeclasses {
        let mut h = std::hash::DefaultHasher::new();
        TOOLS.hash(&mut h);
        for dir in [source, &sdk.join("wasmud"), &wit] {
            hash_tree(dir, &mut h);
        }
        let digest = format!("{:016x}", h.finish());
        let out = python_dir.join(format!("{name}.wasm"));
        let stamp = python_dir.join(format!("{name}.hash"));
        if out.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&digest) {
            continue;
        }
        // componentize-py's interpreter writes __pycache__ next to every module it imports,
        // the SDK's too, whatever the environment says: build from copies, or the source tree
        // changes under cargo's feet and the next cargo command builds the host again.
        let staged = python_dir.join("src").join(name);
        let _ = std::fs::remove_dir_all(&staged);
        copy_tree(source, &staged);
        let staged_sdk = python_dir.join("sdk");
        let _ = std::fs::remove_dir_all(&staged_sdk);
        copy_tree(&sdk.join("wasmud"), &staged_sdk.join("wasmud"));
        let tmp = python_dir.join(format!(".{name}.wasm.tmp"));
        run(
            Command::new(venv(python_dir).join("bin/componentize-py"))
                .arg("-d")
                .arg(&wit)
                .args(["-w", "typeclass", "componentize", "-p"])
                .arg(&staged_sdk)
                .arg("-p")
                .arg(&staged)
                .arg("app")
                .arg("-o")
                .arg(&tmp),
            &format!("build the Python typeclass {name} with componentize-py"),
        );
        std::fs::rename(&tmp, &out).expect("install a built Python typeclass");
        std::fs::write(&stamp, digest).expect("write a Python typeclass's stamp");
    }
    python_dir.to_path_buf()
}

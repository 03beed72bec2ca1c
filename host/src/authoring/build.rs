//! `wasmud build`: a project's component, built with its language's tools, installed into a
//! scripts directory the way a watcher wants it (written beside, then renamed: never half a
//! file).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{AuthoringError, Language, check_name, embedded};

/// The guest target every component is built for.
const TARGET: &str = "wasm32-wasip2";
/// The componentize-py release the Python SDK is tested with.
const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";

/// A component built from a project.
#[derive(Debug)]
pub struct Built {
    /// The typeclass name (the component's file name without `.wasm`).
    pub name: String,
    /// The project's language.
    pub language: Language,
    /// The component.
    pub bytes: Vec<u8>,
}

/// Builds the project in `project`: a Rust crate (`Cargo.toml`) with cargo for
/// `wasm32-wasip2`, or a Python module (`app.py`) with componentize-py against the contract
/// and the SDK embedded in this binary. The tools' own messages go to stderr.
///
/// # Errors
/// No project there, a tool missing, or a build that fails.
pub fn build(project: &Path) -> Result<Built, AuthoringError> {
    if project.join("Cargo.toml").is_file() {
        build_rust(project)
    } else if project.join("app.py").is_file() {
        build_python(project)
    } else {
        Err(AuthoringError::NotAProject(project.to_owned()))
    }
}

/// Installs `built` into `scripts_dir` as `<name>.wasm` (created if missing) and returns its
/// path.
///
/// # Errors
/// If the directory or the file cannot be written.
pub fn install(built: &Built, scripts_dir: &Path) -> Result<PathBuf, AuthoringError> {
    std::fs::create_dir_all(scripts_dir).map_err(AuthoringError::io(format!(
        "create {}",
        scripts_dir.display()
    )))?;
    let to = scripts_dir.join(format!("{}.wasm", built.name));
    // A dot file: the watcher and the loader skip it until the rename.
    let partial = scripts_dir.join(format!(".{}.wasm.partial", built.name));
    std::fs::write(&partial, &built.bytes)
        .map_err(AuthoringError::io(format!("write {}", partial.display())))?;
    std::fs::rename(&partial, &to)
        .map_err(AuthoringError::io(format!("install {}", to.display())))?;
    Ok(to)
}

fn build_rust(project: &Path) -> Result<Built, AuthoringError> {
    let manifest = project.join("Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .args([
            "--target",
            TARGET,
            "--release",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            AuthoringError::MissingTool(format!(
                "cannot run cargo ({e}): install Rust (https://rustup.rs)"
            ))
        })?;
    if !output.status.success() {
        return Err(AuthoringError::BuildFailed(format!(
            "cargo could not build {} (its messages are above; a missing target is added with \
             `rustup target add {TARGET}`)",
            manifest.display()
        )));
    }
    let wasm =
        component_of(&String::from_utf8_lossy(&output.stdout), &manifest).ok_or_else(|| {
            AuthoringError::BuildFailed(format!(
                "cargo built no component from {}: its [lib] needs crate-type = [\"cdylib\"]",
                manifest.display()
            ))
        })?;
    let name = wasm
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    check_name(&name)?;
    let bytes =
        std::fs::read(&wasm).map_err(AuthoringError::io(format!("read {}", wasm.display())))?;
    Ok(Built {
        name,
        language: Language::Rust,
        bytes,
    })
}

/// The `.wasm` cargo's JSON messages say it built for the package of `manifest`.
fn component_of(messages: &str, manifest: &Path) -> Option<PathBuf> {
    let manifest = std::fs::canonicalize(manifest).ok()?;
    messages.lines().find_map(|line| {
        let message: serde_json::Value = serde_json::from_str(line).ok()?;
        if message["reason"] != "compiler-artifact" {
            return None;
        }
        let ours = std::fs::canonicalize(message["manifest_path"].as_str()?).ok()? == manifest;
        let cdylib = message["target"]["kind"]
            .as_array()?
            .iter()
            .any(|k| k == "cdylib");
        if !(ours && cdylib) {
            return None;
        }
        message["filenames"]
            .as_array()?
            .iter()
            .filter_map(|f| f.as_str())
            .find(|f| f.ends_with(".wasm"))
            .map(PathBuf::from)
    })
}

fn build_python(project: &Path) -> Result<Built, AuthoringError> {
    let project =
        std::path::absolute(project).map_err(AuthoringError::io("resolve the project's path"))?;
    let name = project
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    check_name(&name)?;
    let tool = componentize_py()?;
    let work = tempfile::tempdir().map_err(AuthoringError::io("make a build directory"))?;
    let wit = work.path().join("wit");
    let sdk = work.path().join("sdk");
    embedded::write(&wit, embedded::WIT).map_err(AuthoringError::io("write the contract"))?;
    embedded::write(&sdk.join("wasmud"), embedded::PYTHON_SDK)
        .map_err(AuthoringError::io("write the Python SDK"))?;
    // componentize-py's interpreter writes __pycache__ beside the module whatever the
    // environment says: one it made is removed again (the author's errors keep their paths).
    let cache = project.join("__pycache__");
    let had_cache = cache.exists();
    let out = work.path().join(format!("{name}.wasm"));
    let status = Command::new(&tool)
        .arg("-d")
        .arg(&wit)
        .args(["-w", "typeclass", "componentize", "-p"])
        .arg(&sdk)
        .arg("-p")
        .arg(&project)
        .arg("app")
        .arg("-o")
        .arg(&out)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| AuthoringError::MissingTool(format!("cannot run {}: {e}", tool.display())))?;
    if !had_cache {
        let _ = std::fs::remove_dir_all(&cache);
    }
    if !status.success() {
        return Err(AuthoringError::BuildFailed(format!(
            "componentize-py could not build {} (its messages are above)",
            project.join("app.py").display()
        )));
    }
    let bytes =
        std::fs::read(&out).map_err(AuthoringError::io(format!("read {}", out.display())))?;
    Ok(Built {
        name,
        language: Language::Python,
        bytes,
    })
}

/// componentize-py: `WASMUD_COMPONENTIZE_PY`, else the one this binary's build installed
/// (pinned), else the one on `PATH`.
fn componentize_py() -> Result<PathBuf, AuthoringError> {
    if let Some(tool) = std::env::var_os("WASMUD_COMPONENTIZE_PY") {
        return Ok(tool.into());
    }
    let built = Path::new(wasmud_components::PYTHON_VENV).join("bin/componentize-py");
    if built.is_file() {
        return Ok(built);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("componentize-py"))
            .find(|tool| tool.is_file())
    });
    on_path.ok_or_else(|| {
        AuthoringError::MissingTool(format!(
            "componentize-py is not installed: `python3 -m pip install {COMPONENTIZE_PY}` (or \
             set WASMUD_COMPONENTIZE_PY to its path)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_is_found_among_cargos_messages() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::write(&manifest, "").unwrap();
        let other = dir.path().join("dep.toml");
        std::fs::write(&other, "").unwrap();
        let line = |manifest: &Path, kind: &str, file: &str| {
            serde_json::json!({
                "reason": "compiler-artifact",
                "manifest_path": manifest,
                "target": {"kind": [kind]},
                "filenames": [file],
            })
            .to_string()
        };
        let messages = [
            line(&other, "cdylib", "/t/dep.wasm"),
            line(&manifest, "lib", "/t/liblamp.rlib"),
            r#"{"reason":"build-finished","success":true}"#.to_owned(),
            line(&manifest, "cdylib", "/t/lamp.wasm"),
        ]
        .join("\n");
        assert_eq!(
            component_of(&messages, &manifest),
            Some(PathBuf::from("/t/lamp.wasm"))
        );
        assert_eq!(component_of(&messages[..20], &manifest), None);
    }
}

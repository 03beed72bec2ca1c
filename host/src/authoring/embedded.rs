//! The sources a Python typeclass is built against, embedded in the binary so that
//! `wasmud build` needs no source tree: the contract (`wit/`) and the Python SDK
//! (`guest-sdk/python/wasmud`).

/// The contract's WIT files: (file name, text).
pub const WIT: &[(&str, &str)] = &[
    ("accounts.wit", include_str!("../../../wit/accounts.wit")),
    ("hooks.wit", include_str!("../../../wit/hooks.wit")),
    ("log.wit", include_str!("../../../wit/log.wit")),
    ("object.wit", include_str!("../../../wit/object.wit")),
    ("puppet.wit", include_str!("../../../wit/puppet.wit")),
    ("timers.wit", include_str!("../../../wit/timers.wit")),
    ("world.wit", include_str!("../../../wit/world.wit")),
];

/// The Python SDK's package `wasmud`: (file name, text).
pub const PYTHON_SDK: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../guest-sdk/python/wasmud/__init__.py"),
    ),
    (
        "errors.py",
        include_str!("../../../guest-sdk/python/wasmud/errors.py"),
    ),
    (
        "log.py",
        include_str!("../../../guest-sdk/python/wasmud/log.py"),
    ),
    (
        "obj.py",
        include_str!("../../../guest-sdk/python/wasmud/obj.py"),
    ),
    (
        "typeclass.py",
        include_str!("../../../guest-sdk/python/wasmud/typeclass.py"),
    ),
    (
        "values.py",
        include_str!("../../../guest-sdk/python/wasmud/values.py"),
    ),
];

/// Writes `files` into `dir` (created if missing).
pub fn write(dir: &std::path::Path, files: &[(&str, &str)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the contract and the SDK is embedded: a file added there and not here
    /// would build Python typeclasses against half a contract.
    #[test]
    fn the_embedded_files_are_all_the_files() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (dir, ext, embedded) in [
            ("wit", "wit", WIT),
            ("guest-sdk/python/wasmud", "py", PYTHON_SDK),
        ] {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(&format!(".{ext}")))
                .collect();
            on_disk.sort();
            let names: Vec<&str> = embedded.iter().map(|(n, _)| *n).collect();
            assert_eq!(on_disk, names, "{dir}");
        }
    }
}

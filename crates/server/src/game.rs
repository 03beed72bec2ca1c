//! The scripts directory a new world starts with: the demo game (`scripts/` in the source
//! tree, embedded in the binary by `crates/components/build.rs`) is written into `<data>/typeclasses` on
//! the first start, and from then on that directory is the world's own: the server never
//! writes into it again, and `wasmud build` installs what authors build there.

use std::io;
use std::path::Path;

/// The scripts directory inside the data directory, served when the configuration names none.
pub const DEFAULT_DIR: &str = "typeclasses";

/// Writes `files` (file name and contents) into the directory `dir`, which must not exist:
/// they are written into a sibling directory first and renamed into place, so a crash leaves
/// either no directory or the whole game, never half of it.
///
/// # Errors
/// If `dir` exists, or a file cannot be written.
pub fn write_game(dir: &Path, files: &[(&str, &[u8])]) -> io::Result<()> {
    if dir.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", dir.display()),
        ));
    }
    let name = dir.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no directory", dir.display()),
        )
    })?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let partial = parent.join(format!(".{}.partial", name.to_string_lossy()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?; // a crash during an earlier first start
    }
    std::fs::create_dir(&partial)?;
    for (file, bytes) in files {
        std::fs::write(partial.join(file), bytes)?;
    }
    std::fs::rename(&partial, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_game_is_written_once_and_whole() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data").join(DEFAULT_DIR);
        let files: &[(&str, &[u8])] = &[("a.wasm", b"a"), ("grants.toml", b"a = []\n")];
        write_game(&dir, files).unwrap();
        assert_eq!(std::fs::read(dir.join("a.wasm")).unwrap(), b"a");
        assert_eq!(std::fs::read(dir.join("grants.toml")).unwrap(), b"a = []\n");
        // Never over a world's own directory.
        std::fs::write(dir.join("a.wasm"), b"mine").unwrap();
        let e = write_game(&dir, files).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(dir.join("a.wasm")).unwrap(), b"mine");
        // No partial directory is left beside it.
        let names: Vec<_> = std::fs::read_dir(root.path().join("data"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(DEFAULT_DIR)]);
    }
}

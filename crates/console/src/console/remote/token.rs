//! The admin token: where it lives, how it is created (random, mode 0600, written atomically),
//! which existing token files are refused, and how an offered token is compared.
//!
//! Anyone who can read the token can run every admin command, so a token file that is a
//! symbolic link (perhaps to a file someone else reads) or that group or others may read or
//! write is refused with the fix in the message, never used as it is.

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

use anyhow::Context as _;

/// The token file in the data directory.
pub const TOKEN_FILE: &str = "console.token";
/// The environment variable `wasmud console` takes the token from when `--token` is not given.
pub const TOKEN_ENV: &str = "WASMUD_CONSOLE_TOKEN";

/// The admin token of the data directory, created (random, mode 0600) if missing.
///
/// An existing token file is refused if it is a symbolic link or if group or others may read
/// or write it: anyone who can read the token can run every admin command.
///
/// # Errors
/// If the file is refused, or cannot be read or written.
pub fn ensure_token(data: &Path) -> anyhow::Result<String> {
    let path = data.join(TOKEN_FILE);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) => {
            if meta.file_type().is_symlink() {
                anyhow::bail!(
                    "refusing the admin token file {}: it is a symbolic link; replace it with a \
                     regular file only this user can read (chmod 600), or delete it and a new \
                     token is generated",
                    path.display()
                );
            }
            let token = read_private(&path)?;
            if !token.is_empty() {
                return Ok(token);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("inspect {}", path.display())),
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("read /dev/urandom for the console token")?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, format!("{token}\n").as_bytes())
        .with_context(|| format!("create {}", path.display()))?;
    Ok(token)
}

/// Whether the `offered` token is `token`, in constant time in the token's length: no early
/// exit on the first wrong byte, so response times do not reveal how much of a guess was right.
pub(super) fn same(offered: &str, token: &str) -> bool {
    offered.len() == token.len()
        && offered
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Reads a file that must be a regular file that group and others can neither read nor write.
fn read_private(path: &Path) -> anyhow::Result<String> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("open {}", path.display()))?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        anyhow::bail!(
            "refusing the admin token file {}: it is not a regular file",
            path.display()
        );
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "refusing the admin token file {}: its mode is {mode:04o}, so group or others may \
             read or write it; run `chmod 600 {}` (or delete the file and a new token is \
             generated)",
            path.display(),
            path.display()
        );
    }
    let mut token = String::new();
    std::io::Read::read_to_string(&mut file, &mut token)
        .with_context(|| format!("read {}", path.display()))?;
    Ok(token.trim().to_owned())
}

/// Writes `path` atomically with mode 0600: a new temporary file (`O_EXCL`, mode 0600 from
/// the start) in the same directory, synced, then renamed over `path`.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // Make the rename itself durable (best effort: not every file system can sync a directory).
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o777
    }

    #[test]
    fn a_new_token_file_is_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let token = ensure_token(dir.path()).unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(mode(&dir.path().join(TOKEN_FILE)), 0o600);
        assert_eq!(ensure_token(dir.path()).unwrap(), token);
        // Nothing but the token file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_readable_or_linked_token_file_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        std::fs::write(&path, "secret\n").unwrap();
        for bad in [0o644, 0o620, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bad)).unwrap();
            let e = format!("{:#}", ensure_token(dir.path()).unwrap_err());
            assert!(
                e.contains(&format!("{bad:04o}")) && e.contains("chmod 600"),
                "{e}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(ensure_token(dir.path()).unwrap(), "secret");

        let elsewhere = dir.path().join("elsewhere");
        std::fs::rename(&path, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
        let e = format!("{:#}", ensure_token(dir.path()).unwrap_err());
        assert!(e.contains("symbolic link") && e.contains(TOKEN_FILE), "{e}");
    }

    #[test]
    fn only_the_exact_token_matches() {
        assert!(same("0123abcd", "0123abcd"));
        assert!(!same("0123abce", "0123abcd"));
        assert!(!same("0123abc", "0123abcd"), "a prefix is not the token");
        assert!(!same("", "0123abcd"));
    }
}

//! Account rules and passwords: valid names and passwords, argon2id hashing and verification.
//!
//! Hashing costs tens of milliseconds of CPU on purpose: callers run it off the world thread
//! (`spawn_blocking`), a bounded number at a time. Verifying against an unknown account checks
//! a dummy hash, so a wrong name costs as long as a wrong password.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Argon2, PasswordHash};

/// Shortest and longest account name.
pub const NAME_LEN: std::ops::RangeInclusive<usize> = 3..=30;
/// Shortest password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password (bounds the work a hash costs).
pub const MAX_PASSWORD_LEN: usize = 128;

/// Why a name or password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    /// The name breaks the rules.
    #[error("a name is {min}-{max} letters, digits, `-` or `_`, starting with a letter", min = NAME_LEN.start(), max = NAME_LEN.end())]
    BadName,
    /// The password breaks the rules.
    #[error("a password is {MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN} characters")]
    BadPassword,
    /// Hashing failed (should not happen).
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks an account name: ASCII letters, digits, `-` and `_`, starting with a letter.
///
/// # Errors
/// [`AccountError::BadName`].
pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = NAME_LEN.contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName)
    }
}

/// Checks a password's length.
///
/// # Errors
/// [`AccountError::BadPassword`].
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let len = password.chars().count();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len)
        && password.len() <= 4 * MAX_PASSWORD_LEN
    {
        Ok(())
    } else {
        Err(AccountError::BadPassword)
    }
}

/// Hashes `password` with argon2id (default parameters, random salt) into a PHC string.
///
/// # Errors
/// [`AccountError::BadPassword`] for a password that breaks the rules.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    check_password(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// True if `password` matches the PHC string `phc`; with `None` (no such account) a dummy hash
/// is checked, so the answer takes as long as for a real account, and is false.
pub fn verify_password(phc: Option<&str>, password: &str) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        hash_password("not a real password, never matches").expect("hash a constant")
    });
    let Ok(hash) = PasswordHash::new(phc.unwrap_or(dummy)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok();
    matches && phc.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_follow_the_rules() {
        assert!(check_name("Anna").is_ok());
        assert!(check_name("x_y-2").is_ok());
        for bad in ["ab", "2fast", "has space", "émile", &"a".repeat(31)] {
            assert_eq!(check_name(bad), Err(AccountError::BadName), "{bad}");
        }
        assert!(check_password("12345678").is_ok());
        assert_eq!(check_password("short"), Err(AccountError::BadPassword));
        assert_eq!(
            check_password(&"x".repeat(129)),
            Err(AccountError::BadPassword)
        );
    }

    #[test]
    fn hashes_are_argon2id_and_verify_only_the_right_password() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(Some(&phc), "correct horse"));
        assert!(!verify_password(Some(&phc), "wrong horse"));
        assert!(!verify_password(None, "correct horse"));
    }
}

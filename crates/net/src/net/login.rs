//! Checking a name and password, under every throttle at once: failures per address (an IPv6
//! /64, and a /48 as a whole), failed logins per account whatever the address, and the number
//! of password hashes computed at a time. The telnet and web sessions and the dashboard all
//! log in through [`Players::log_in`], so no door counts guesses apart from the others.

use std::net::IpAddr;
use std::time::Instant;

use super::Players;
use crate::throttle::Refusal;
use wasmud_world::accounts;
use wasmud_world::store::AccountRecord;

/// Why a login did not happen, in words for the one logging in.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Too many failures from the address.
    #[error("Too many failed logins from your address; try again in {0} s.")]
    AddressBlocked(u64),
    /// Too many logins under way from the address.
    #[error("Too many logins at once from your address; try again in a moment.")]
    Busy,
    /// Too many failures for the account.
    #[error("Too many failed logins for that account; try again in {0} s.")]
    AccountBlocked(u64),
    /// No such account, or the wrong password (not told apart).
    #[error("Wrong name or password.")]
    Wrong,
    /// The check could not run (the world is stopping or could not read the account).
    #[error("{0}")]
    Unavailable(String),
}

impl Players {
    /// Checks `password` for account `name` logging in from `peer`: the account, or why not.
    /// A wrong name or password counts against the address and the account.
    ///
    /// # Errors
    /// [`LoginError`], whose text is for the one logging in.
    pub async fn log_in(
        &self,
        peer: IpAddr,
        name: &str,
        password: &str,
    ) -> Result<AccountRecord, LoginError> {
        // Counted as in flight before any work: parallel guesses cannot all pass first.
        let now = Instant::now();
        let begun = (self.failed_logins.lock())
            .expect("throttle lock")
            .begin(peer, now);
        match begun {
            Ok(()) => {}
            Err(Refusal::Blocked { retry_in }) => {
                return Err(LoginError::AddressBlocked(retry_in.as_secs() + 1));
            }
            Err(Refusal::Busy) => return Err(LoginError::Busy),
        }
        let guarded = (self.account_guard.lock())
            .expect("account guard lock")
            .begin(name, peer, now);
        let outcome = match guarded {
            Ok(()) => self.check_password(name, password).await,
            Err(wait) => Err(LoginError::AccountBlocked(wait.as_secs() + 1)),
        };
        // Only a wrong name or password is a guess; a refusal before any check is not.
        let failure = outcome == Err(LoginError::Wrong);
        (self.failed_logins.lock())
            .expect("throttle lock")
            .finish(peer, Instant::now(), failure);
        if outcome.is_ok() {
            (self.account_guard.lock())
                .expect("account guard lock")
                .succeeded(name, peer);
        }
        outcome
    }

    async fn check_password(
        &self,
        name: &str,
        password: &str,
    ) -> Result<AccountRecord, LoginError> {
        let owned = name.to_owned();
        let record = match self.world.call(move |w| w.account(&owned)).await {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                return Err(LoginError::Unavailable(format!(
                    "Sorry, the server could not look that up: {e}"
                )));
            }
            Err(e) => {
                return Err(LoginError::Unavailable(format!(
                    "Sorry, the server is stopping: {e}"
                )));
            }
        };
        let phc = record.as_ref().map(|r| r.password.to_string());
        let password = password.to_owned();
        let matches = self
            .hash(move || accounts::verify_password(phc.as_deref(), &password))
            .await;
        match record {
            Some(record) if matches => Ok(record),
            _ => Err(LoginError::Wrong),
        }
    }

    /// Runs `f` (a password hash or check) off the async threads, at most
    /// `limits.concurrent_hashes` at a time.
    pub(crate) async fn hash<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let _permit = self.hashing.acquire().await;
        tokio::task::spawn_blocking(f)
            .await
            .expect("password hashing does not panic")
    }
}

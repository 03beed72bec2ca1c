//! Where the admin console listens: a Unix socket in the data directory (the default), or a
//! TCP address. A Unix socket is reachable only from this machine, by processes of the
//! server's own user (or root): the socket file is mode 0600 and each connection's peer
//! credentials are checked. No web page can reach it (a browser's `fetch` to 127.0.0.1 can
//! reach a TCP port) and no other local user can lock the admin out or fill its slots.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The default admin address: `console.sock` in the data directory.
pub const DEFAULT_ADDR: &str = "unix:console.sock";

/// An admin console address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleAddr {
    /// A TCP address (`127.0.0.1:4005`).
    Tcp(SocketAddr),
    /// A Unix socket (`unix:<path>`; a relative path is under the data directory).
    Unix(PathBuf),
}

impl FromStr for ConsoleAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("`unix:` needs a path, e.g. unix:console.sock".into());
            }
            return Ok(ConsoleAddr::Unix(PathBuf::from(path)));
        }
        text.parse()
            .map(ConsoleAddr::Tcp)
            .map_err(|e| format!("`{text}` is neither host:port nor unix:<path> ({e})"))
    }
}

impl fmt::Display for ConsoleAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleAddr::Tcp(addr) => write!(f, "{addr}"),
            ConsoleAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl ConsoleAddr {
    /// This address with a relative socket path taken as under `data`.
    pub fn under(&self, data: &Path) -> ConsoleAddr {
        match self {
            ConsoleAddr::Unix(path) if path.is_relative() => ConsoleAddr::Unix(data.join(path)),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        let unix: ConsoleAddr = DEFAULT_ADDR.parse().unwrap();
        assert_eq!(
            unix.under(Path::new("/srv/data")).to_string(),
            "unix:/srv/data/console.sock"
        );
        let abs: ConsoleAddr = "unix:/run/w.sock".parse().unwrap();
        assert_eq!(abs.under(Path::new("/srv")), abs);
        let tcp: ConsoleAddr = "127.0.0.1:4005".parse().unwrap();
        assert_eq!(tcp.to_string(), "127.0.0.1:4005");
        assert!("unix:".parse::<ConsoleAddr>().is_err());
        assert!("localhost".parse::<ConsoleAddr>().is_err());
    }
}

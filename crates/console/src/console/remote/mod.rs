//! The remote console: an authenticated, line-based admin port, and its client.
//!
//! # Protocol
//! The client's first line is `AUTH <token>`; every later line is one command. The server
//! answers each line with one JSON object on one line: a [`Reply`] (`ok`, `text`, `json`).
//! A wrong or missing token gets one error reply, the attempt is logged, and the connection is
//! closed before any command runs. The token is generated into `<data>/console.token` (mode
//! 0600) on first start, and an existing one is refused if it is a symbolic link or group or
//! others may read it. By default the port is a Unix socket, `<data>/console.sock` (mode 0600,
//! and each peer's credentials must be the server's user or root: see [`ConsoleAddr`]); a TCP
//! address is an option (`--console-addr 127.0.0.1:4005`; anything but loopback is logged as a
//! warning). The address bound is written to `<data>/console.addr` for the client, which takes
//! the token from `--token`, then [`TOKEN_ENV`], then the file.
//!
//! # Limits
//! The port must survive whoever can reach it ([`ConsoleLimits`]): at most
//! [`MAX_CONNECTIONS`] connections at once (the next one gets one "busy" error line, written
//! without waiting; the server never reads from it in a loop), an `AUTH` line within
//! [`AUTH_TIMEOUT`] or the connection is closed, and on TCP, after [`MAX_FAILED_LOGINS`] wrong
//! tokens from one address within [`FAILED_LOGIN_WINDOW`] that address is refused, without
//! checking its tokens, for one window. Only `AUTH` lines count as attempts: a connection that
//! sends anything else first (an HTTP request from a web page, a port scanner's probe) is
//! closed without counting, so it cannot lock the admin out. Accept errors (such as running
//! out of file descriptors) back off from 10 ms to 1 s instead of spinning. A command line is
//! at most 64 KiB.
//!
//! # Threading
//! One task accepts; each connection is its own task, and its commands are world jobs. The
//! failed-login record is the only state the connection tasks share (see `Shared`).
//!
//! # Layout
//! - this file: binding the port, the accept loop and one connection's life.
//! - `limits`: [`ConsoleLimits`], the per-address login throttle, the accept backoff.
//! - `token`: [`ensure_token`], the token file's checks, comparing an offered token.
//! - `client`: [`Client`], the side `wasmud console` runs.
//!
//! Everything public is re-exported here: `console::remote::{bind, serve, Client, ...}`.

mod address;
mod client;
mod limits;
mod token;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;

use self::limits::{LoginThrottle, Verdict};
use super::exec::{ConsoleContext, Reply, execute};
use wasmud_net::accept::AcceptBackoff;

pub use self::address::{ConsoleAddr, DEFAULT_ADDR};
pub use self::client::Client;
pub use self::limits::{
    AUTH_TIMEOUT, AUTH_TIMEOUT_ENV, ConsoleLimits, FAILED_LOGIN_WINDOW, MAX_CONNECTIONS,
    MAX_CONNECTIONS_ENV, MAX_FAILED_LOGINS, TRACKED_ADDRESSES,
};
pub use self::token::{TOKEN_ENV, TOKEN_FILE, ensure_token};

/// The file the server writes its bound admin address to.
pub const ADDR_FILE: &str = "console.addr";
/// Longest command line accepted (a client cannot make the server buffer more).
const MAX_LINE: u64 = 64 * 1024;

/// A bound admin port.
pub enum ConsoleListener {
    /// A TCP port.
    Tcp(TcpListener),
    /// A Unix socket, and its path (removed when the listener is dropped).
    Unix(UnixListener, std::path::PathBuf),
}

impl Drop for ConsoleListener {
    fn drop(&mut self) {
        if let ConsoleListener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Binds the admin port (a relative socket path is under `data`) and writes its address to
/// `<data>/console.addr`.
///
/// # Errors
/// If the address cannot be bound or the file written.
pub async fn bind(addr: &ConsoleAddr, data: &Path) -> anyhow::Result<ConsoleListener> {
    let (listener, bound) = match addr.under(data) {
        ConsoleAddr::Tcp(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("bind the admin console to {addr}"))?;
            let bound = listener.local_addr()?;
            if !bound.ip().is_loopback() {
                tracing::warn!(
                    %bound,
                    "the admin console listens on a non-loopback address: it is reachable from \
                     the network and the token is sent in clear text; prefer the default Unix \
                     socket and an SSH tunnel"
                );
            }
            (ConsoleListener::Tcp(listener), ConsoleAddr::Tcp(bound))
        }
        ConsoleAddr::Unix(path) => {
            let path = std::path::absolute(&path)?;
            // A socket left by a server that was killed: the store's lock already proved no
            // other server runs on this data directory.
            if std::fs::symlink_metadata(&path)
                .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()))
            {
                std::fs::remove_file(&path)?;
            }
            let listener = UnixListener::bind(&path).with_context(|| {
                format!(
                    "bind the admin console to the Unix socket {} (a path over 107 bytes is too \
                     long: use a shorter --data or --console-addr)",
                    path.display()
                )
            })?;
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            let bound = ConsoleAddr::Unix(path.clone());
            (ConsoleListener::Unix(listener, path), bound)
        }
    };
    // Written whole, then renamed: a client polling for the file never reads half of it.
    let tmp = data.join(format!("{ADDR_FILE}.tmp"));
    std::fs::write(&tmp, format!("{bound}\n"))?;
    std::fs::rename(&tmp, data.join(ADDR_FILE))?;
    tracing::info!(%bound, "admin console listening");
    Ok(listener)
}

/// What every connection task of one admin port shares.
struct Shared {
    token: String,
    ctx: ConsoleContext,
    limits: ConsoleLimits,
    /// A std mutex, not an async one: it is held only for a map lookup and a constant-time
    /// token comparison, never across an `.await`. One lock makes "check, compare, record"
    /// atomic, so parallel connections from one address cannot get more guesses.
    logins: Mutex<LoginThrottle>,
}

/// Who is on the other end of an admin connection.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// A TCP client (its address is throttled).
    Tcp(SocketAddr),
    /// A local process of the server's user (checked by its credentials).
    Local(u32),
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Tcp(addr) => write!(f, "{addr}"),
            Peer::Local(uid) => write!(f, "local uid {uid}"),
        }
    }
}

/// Accepts admin connections until the task is dropped, with [`ConsoleLimits::from_env`].
pub async fn serve(listener: ConsoleListener, token: String, ctx: ConsoleContext) {
    serve_with(listener, token, ctx, ConsoleLimits::from_env()).await;
}

/// Accepts admin connections until the task is dropped, within `limits`.
pub async fn serve_with(
    listener: ConsoleListener,
    token: String,
    ctx: ConsoleContext,
    limits: ConsoleLimits,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let shared = Arc::new(Shared {
        token,
        ctx,
        logins: Mutex::new(limits.login_throttle()),
        limits,
    });
    // SAFETY: geteuid only reads the process's credentials.
    let me = unsafe { libc::geteuid() };
    let mut backoff = AcceptBackoff::default();
    loop {
        let accepted = match &listener {
            ConsoleListener::Tcp(l) => l.accept().await.map(|(stream, peer)| {
                let _ = stream.set_nodelay(true);
                (Stream::Tcp(stream), Peer::Tcp(peer))
            }),
            ConsoleListener::Unix(l, _) => l.accept().await.and_then(|(stream, _)| {
                let uid = stream.peer_cred()?.uid();
                Ok((Stream::Unix(stream), Peer::Local(uid)))
            }),
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                backoff.pause("admin console", &e).await;
                continue;
            }
        };
        backoff.accepted("admin console");
        if let Peer::Local(uid) = peer
            && uid != me
            && uid != 0
        {
            tracing::warn!(
                uid,
                "admin console: refused a local user who is not the server's"
            );
            stream.refuse("this admin console belongs to another user");
            continue;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "admin console busy: connection refused");
            let max = shared.limits.max_connections;
            stream.refuse(&format!(
                "the admin console is busy: {max} connections are open"
            ));
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let result = match stream {
                Stream::Tcp(s) => connection(s, peer, &shared).await,
                Stream::Unix(s) => connection(s, peer, &shared).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, "console connection ended: {e}");
            }
        });
    }
}

/// An accepted admin connection.
enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Stream {
    /// Tells the client why it is refused, and closes: one non-blocking write and one bounded
    /// read (so the close is not a reset), never a wait and never a loop on the client.
    fn refuse(self, why: &str) {
        let reply = Reply::error(why, "try again later");
        let Ok(mut line) = serde_json::to_string(&reply) else {
            return;
        };
        line.push('\n');
        let mut sink = [0u8; 4096];
        match &self {
            Stream::Tcp(s) => {
                let _ = s.try_write(line.as_bytes());
                let _ = s.try_read(&mut sink);
            }
            Stream::Unix(s) => {
                let _ = s.try_write(line.as_bytes());
                let _ = s.try_read(&mut sink);
            }
        }
    }
}

/// Reads one line into `buf` (cleared first): its length, 0 at end of stream, or an error if
/// it is longer than [`MAX_LINE`].
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    buf: &mut String,
) -> std::io::Result<usize> {
    buf.clear();
    let n = (&mut *reader).take(MAX_LINE + 1).read_line(buf).await?;
    if buf.len() as u64 > MAX_LINE {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(n)
}

/// Writes `reply` as one JSON line.
async fn send<W: AsyncWrite + Unpin>(writer: &mut W, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

/// One connection: the `AUTH` line (within the timeout, through the login throttle on TCP),
/// then its commands until it closes.
async fn connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    peer: Peer,
    shared: &Shared,
) -> std::io::Result<()> {
    let (read, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(read);
    let mut line = String::new();
    let timeout = shared.limits.auth_timeout;
    let Ok(read) = tokio::time::timeout(timeout, read_line(&mut reader, &mut line)).await else {
        tracing::info!(%peer, "admin console: no AUTH line in time, closing");
        let reply = Reply::error(
            &format!(
                "authentication timed out: no `AUTH <token>` line within {} ms",
                timeout.as_millis()
            ),
            "send `AUTH <token>` as the first line",
        );
        return send(&mut writer, &reply).await;
    };
    if read? == 0 {
        // Connected and closed without a word (a port check): not a login attempt.
        return Ok(());
    }
    let Some(offered) = line.trim().strip_prefix("AUTH ").map(str::trim) else {
        // Not a login attempt at all (an HTTP request from a web page, a probe): answered
        // and closed, never counted, so nobody can lock the admin out by sending junk.
        tracing::info!(%peer, "admin console: a first line that is not AUTH, closing");
        let reply = Reply::error(
            "authentication failed: the first line must be `AUTH <token>` (not counted as a \
             guess)",
            "use `wasmud console`",
        );
        return send(&mut writer, &reply).await;
    };
    let check = || token::same(offered, &shared.token);
    let verdict = match peer {
        Peer::Tcp(addr) => shared
            .logins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .attempt(addr.ip(), Instant::now(), check),
        // Only the server's own user reaches the Unix socket: nothing to throttle.
        Peer::Local(_) if check() => Verdict::Accepted,
        Peer::Local(_) => Verdict::Rejected { now_blocked: false },
    };
    let reply = match verdict {
        Verdict::Accepted => {
            tracing::info!(%peer, "admin console: client authenticated");
            send(&mut writer, &Reply::message("authenticated")).await?;
            return serve_commands(reader, writer, &shared.ctx).await;
        }
        Verdict::Rejected { now_blocked } => {
            tracing::warn!(%peer, "admin console: authentication failed (wrong or missing token)");
            if now_blocked {
                tracing::warn!(
                    %peer,
                    "admin console: too many failed logins; refusing this address for {} s",
                    shared.limits.failure_window.as_secs()
                );
            }
            Reply::error(
                "authentication failed: wrong or missing token",
                "use the token in <data>/console.token",
            )
        }
        Verdict::Throttled { retry_in } => {
            tracing::debug!(%peer, "admin console: login refused, too many failures");
            Reply::error(
                &format!(
                    "too many failed logins from your address: try again in {} s",
                    retry_in.as_secs().max(1)
                ),
                "wait, or use the Unix socket (the default console address)",
            )
        }
    };
    send(&mut writer, &reply).await
}

/// Runs an authenticated connection's command lines, one reply each, until it closes.
async fn serve_commands<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    mut reader: BufReader<R>,
    mut writer: W,
    ctx: &ConsoleContext,
) -> std::io::Result<()> {
    let mut line = String::new();
    loop {
        if read_line(&mut reader, &mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim();
        if command.is_empty() {
            continue;
        }
        let reply = execute(ctx, command).await;
        send(&mut writer, &reply).await?;
    }
}

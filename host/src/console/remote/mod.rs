//! The remote console: an authenticated, line-based TCP admin port, and its client.
//!
//! # Protocol
//! The client's first line is `AUTH <token>`; every later line is one command. The server
//! answers each line with one JSON object on one line: a [`Reply`] (`ok`, `text`, `json`).
//! A wrong or missing token gets one error reply, the attempt is logged, and the connection is
//! closed before any command runs. The token is generated into `<data>/console.token` (mode
//! 0600) on first start, and an existing one is refused if it is a symbolic link or group or
//! others may read it. The port binds to 127.0.0.1 by default (anything else is logged as a
//! warning), and the address it bound is written to `<data>/console.addr` for the client, which
//! takes the token from `--token`, then [`TOKEN_ENV`], then the file.
//!
//! # Limits
//! The port must survive whoever can reach it ([`ConsoleLimits`]): at most
//! [`MAX_CONNECTIONS`] connections at once (the next one gets one "busy" error line), an
//! `AUTH` line within [`AUTH_TIMEOUT`] or the connection is closed, and after
//! [`MAX_FAILED_LOGINS`] wrong tokens from one address within [`FAILED_LOGIN_WINDOW`] that
//! address is refused, without checking its tokens, for one window. Accept errors (such as
//! running out of file descriptors) back off from 10 ms to 1 s instead of spinning. A command
//! line is at most 64 KiB.
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

mod client;
mod limits;
mod token;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use self::limits::{AcceptBackoff, LoginThrottle, Verdict};
use super::exec::{ConsoleContext, Reply, execute};

pub use self::client::Client;
pub use self::limits::{
    AUTH_TIMEOUT, AUTH_TIMEOUT_ENV, ConsoleLimits, FAILED_LOGIN_WINDOW, MAX_CONNECTIONS,
    MAX_CONNECTIONS_ENV, MAX_FAILED_LOGINS, TRACKED_ADDRESSES,
};
pub use self::token::{TOKEN_ENV, TOKEN_FILE, ensure_token};

/// The file the server writes its bound admin address to.
pub const ADDR_FILE: &str = "console.addr";
/// The default admin address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4005";
/// Longest command line accepted (a client cannot make the server buffer more).
const MAX_LINE: u64 = 64 * 1024;

/// Binds the admin port and writes its address to `<data>/console.addr`.
///
/// # Errors
/// If the address cannot be bound or the file written.
pub async fn bind(addr: SocketAddr, data: &Path) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind the admin console to {addr}"))?;
    let bound = listener.local_addr()?;
    // Written whole, then renamed: a client polling for the file never reads half of it.
    let tmp = data.join(format!("{ADDR_FILE}.tmp"));
    std::fs::write(&tmp, format!("{bound}\n"))?;
    std::fs::rename(&tmp, data.join(ADDR_FILE))?;
    if !bound.ip().is_loopback() {
        tracing::warn!(
            %bound,
            "the admin console listens on a non-loopback address: it is reachable from the \
             network and the token is sent in clear text; prefer 127.0.0.1 and an SSH tunnel"
        );
    }
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

/// Accepts admin connections until the task is dropped, with [`ConsoleLimits::from_env`].
pub async fn serve(listener: TcpListener, token: String, ctx: ConsoleContext) {
    serve_with(listener, token, ctx, ConsoleLimits::from_env()).await;
}

/// Accepts admin connections until the task is dropped, within `limits`.
pub async fn serve_with(
    listener: TcpListener,
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
    let mut backoff = AcceptBackoff::default();
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if let Some(failures) = backoff.succeeded() {
                    tracing::info!("admin console accepts again after {failures} failed accepts");
                }
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    tracing::debug!(%peer, "admin console busy: connection refused");
                    refuse_busy(stream, shared.limits.max_connections);
                    continue;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = connection(stream, peer, &shared).await {
                        tracing::debug!(%peer, "console connection ended: {e}");
                    }
                });
            }
            Err(e) => {
                let (delay, log) = backoff.failed(Instant::now());
                if let Some(unlogged) = log {
                    let quiet = if unlogged > 0 {
                        format!(" ({unlogged} more failures since the last warning)")
                    } else {
                        String::new()
                    };
                    tracing::warn!(
                        "admin console accept failed: {e}; retrying in {} ms{quiet}",
                        delay.as_millis()
                    );
                }
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Tells a connection over the limit that the console is busy, and closes it, without a task
/// and without waiting: the line fits in a fresh socket's buffer, or is dropped.
fn refuse_busy(stream: TcpStream, max: usize) {
    let reply = Reply::error(
        &format!("the admin console is busy: {max} connections are open"),
        "try again later",
    );
    let Ok(mut line) = serde_json::to_string(&reply) else {
        return;
    };
    line.push('\n');
    if let Ok(mut stream) = stream.into_std() {
        let _ = stream.write_all(line.as_bytes());
        let _ = stream.shutdown(std::net::Shutdown::Write);
        // Drain what the client already sent, so closing sends FIN rather than a reset that
        // could destroy the line before the client reads it (non-blocking: stops at once).
        let mut sink = [0u8; 1024];
        while matches!(std::io::Read::read(&mut stream, &mut sink), Ok(n) if n > 0) {}
    }
}

/// Reads one line into `buf` (cleared first): its length, 0 at end of stream, or an error if
/// it is longer than [`MAX_LINE`].
async fn read_line(
    reader: &mut BufReader<OwnedReadHalf>,
    buf: &mut String,
) -> std::io::Result<usize> {
    buf.clear();
    let n = reader.take(MAX_LINE + 1).read_line(buf).await?;
    if buf.len() as u64 > MAX_LINE {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(n)
}

/// Writes `reply` as one JSON line.
async fn send(writer: &mut OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

/// One connection: the `AUTH` line (within the timeout, through the login throttle), then its
/// commands until it closes.
async fn connection(stream: TcpStream, peer: SocketAddr, shared: &Shared) -> std::io::Result<()> {
    let (read, mut writer) = stream.into_split();
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
    let offered = line.trim().strip_prefix("AUTH ").map(str::trim);
    let verdict = shared
        .logins
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .attempt(peer.ip(), Instant::now(), || {
            offered.is_some_and(|t| token::same(t, &shared.token))
        });
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
                    ip = %peer.ip(),
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
                    "too many failed logins from {}: try again in {} s",
                    peer.ip(),
                    retry_in.as_secs().max(1)
                ),
                "wait, then use the token in <data>/console.token",
            )
        }
    };
    send(&mut writer, &reply).await
}

/// Runs an authenticated connection's command lines, one reply each, until it closes.
async fn serve_commands(
    mut reader: BufReader<OwnedReadHalf>,
    mut writer: OwnedWriteHalf,
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

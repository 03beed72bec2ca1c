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
//! running out of file descriptors) back off from 10 ms to 1 s instead of spinning.
//!
//! # Threading
//! One task accepts; each connection is its own task, and its commands are world jobs. The
//! failed-login record is the only state the connection tasks share (see `Shared`).

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::exec::{ConsoleContext, Reply, execute};

/// The token file in the data directory.
pub const TOKEN_FILE: &str = "console.token";
/// The file the server writes its bound admin address to.
pub const ADDR_FILE: &str = "console.addr";
/// The default admin address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4001";
/// The environment variable `wasmud console` takes the token from when `--token` is not given.
pub const TOKEN_ENV: &str = "WASMUD_CONSOLE_TOKEN";
/// Longest command line accepted (a client cannot make the server buffer more).
const MAX_LINE: u64 = 64 * 1024;

/// Most admin connections open at once. Bounds the file descriptors and tasks a flood of
/// connections can take (each one holds a socket until it authenticates or times out).
pub const MAX_CONNECTIONS: usize = 32;
/// How long a new connection has to send its `AUTH` line. Bounds how long a silent or slow
/// client holds one of the [`MAX_CONNECTIONS`] slots.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Wrong tokens from one address within [`FAILED_LOGIN_WINDOW`] before it is refused. Makes
/// guessing the token from one address cost a window per few guesses, not microseconds.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The window over which failed logins count, and how long an address is then refused.
pub const FAILED_LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Most addresses whose failed logins are remembered: the record cannot grow without bound
/// under a flood from many addresses (expired entries go first, then the oldest).
pub const TRACKED_ADDRESSES: usize = 4096;
/// Overrides [`AUTH_TIMEOUT`] (milliseconds), e.g. for tests.
pub const AUTH_TIMEOUT_ENV: &str = "WASMUD_CONSOLE_AUTH_TIMEOUT_MS";
/// Overrides [`MAX_CONNECTIONS`].
pub const MAX_CONNECTIONS_ENV: &str = "WASMUD_CONSOLE_MAX_CONNECTIONS";

/// First pause after a failed `accept`; it doubles on each failure in a row.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// Longest pause after a failed `accept`; also the least time between two warnings about it.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The limits of the admin port (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a connection has to authenticate.
    pub auth_timeout: Duration,
    /// Wrong tokens from one address within `failure_window` before it is refused.
    pub max_failures: u32,
    /// The window over which failures count, and how long an address is then refused.
    pub failure_window: Duration,
    /// Most addresses whose failures are remembered.
    pub tracked_addresses: usize,
}

impl Default for ConsoleLimits {
    fn default() -> Self {
        ConsoleLimits {
            max_connections: MAX_CONNECTIONS,
            auth_timeout: AUTH_TIMEOUT,
            max_failures: MAX_FAILED_LOGINS,
            failure_window: FAILED_LOGIN_WINDOW,
            tracked_addresses: TRACKED_ADDRESSES,
        }
    }
}

impl ConsoleLimits {
    /// The defaults, with [`AUTH_TIMEOUT_ENV`] and [`MAX_CONNECTIONS_ENV`] applied if set.
    pub fn from_env() -> Self {
        let mut limits = ConsoleLimits::default();
        if let Some(ms) = env_number(AUTH_TIMEOUT_ENV) {
            limits.auth_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = env_number(MAX_CONNECTIONS_ENV) {
            limits.max_connections = usize::try_from(n).unwrap_or(usize::MAX).max(1);
        }
        limits
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            tracing::warn!("ignoring {name}={text:?}: not a whole number");
            None
        }
    }
}

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

/// Binds the admin port and writes its address to `<data>/console.addr`.
///
/// # Errors
/// If the address cannot be bound or the file written.
pub async fn bind(addr: SocketAddr, data: &Path) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("bind the admin console to {addr}"))?;
    let bound = listener.local_addr()?;
    std::fs::write(data.join(ADDR_FILE), format!("{bound}\n"))?;
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
        logins: Mutex::new(LoginThrottle::new(&limits)),
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

fn same(a: &str, b: &str) -> bool {
    // Constant time in the token's length: no early exit on the first wrong byte.
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    buf: &mut String,
) -> std::io::Result<usize> {
    buf.clear();
    let n = reader.take(MAX_LINE + 1).read_line(buf).await?;
    if buf.len() as u64 > MAX_LINE {
        return Err(std::io::Error::other("line too long"));
    }
    Ok(n)
}

async fn send(writer: &mut tokio::net::tcp::OwnedWriteHalf, reply: &Reply) -> std::io::Result<()> {
    let mut line = serde_json::to_string(reply).map_err(std::io::Error::other)?;
    line.push('\n');
    writer.write_all(line.as_bytes()).await
}

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
            offered.is_some_and(|t| same(t, &shared.token))
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

async fn serve_commands(
    mut reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    mut writer: tokio::net::tcp::OwnedWriteHalf,
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

/// The outcome of one login attempt.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// The token was right.
    Accepted,
    /// The token was wrong; `now_blocked` if this failure got the address refused.
    Rejected { now_blocked: bool },
    /// The address is refused for now; its token was not checked.
    Throttled { retry_in: Duration },
}

/// Failed logins per address (IPv6 per /64, which one host usually has whole).
#[derive(Debug)]
struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    capacity: usize,
    records: HashMap<IpAddr, Failures>,
}

/// The failed logins of one address.
#[derive(Debug)]
struct Failures {
    /// When the first failure of the current window happened.
    since: Instant,
    count: u32,
    /// Refused until then, once `count` reached the limit.
    blocked_until: Option<Instant>,
}

impl Failures {
    fn expired(&self, now: Instant, window: Duration) -> bool {
        match self.blocked_until {
            Some(until) => now >= until,
            None => now.saturating_duration_since(self.since) >= window,
        }
    }
}

impl LoginThrottle {
    fn new(limits: &ConsoleLimits) -> Self {
        LoginThrottle {
            max_failures: limits.max_failures.max(1),
            window: limits.failure_window,
            capacity: limits.tracked_addresses.max(1),
            records: HashMap::new(),
        }
    }

    /// One login from `ip` at `now`: refused outright while the address is blocked, else
    /// `check` decides and a failure is recorded.
    fn attempt(&mut self, ip: IpAddr, now: Instant, check: impl FnOnce() -> bool) -> Verdict {
        let key = address_key(ip);
        if let Some(record) = self.records.get(&key) {
            if let Some(until) = record.blocked_until.filter(|&until| now < until) {
                return Verdict::Throttled {
                    retry_in: until - now,
                };
            }
            if record.expired(now, self.window) {
                self.records.remove(&key);
            }
        }
        if check() {
            self.records.remove(&key);
            return Verdict::Accepted;
        }
        if !self.records.contains_key(&key) && self.records.len() >= self.capacity {
            self.make_room(now);
        }
        let record = self.records.entry(key).or_insert(Failures {
            since: now,
            count: 0,
            blocked_until: None,
        });
        record.count += 1;
        let now_blocked = record.count >= self.max_failures;
        if now_blocked {
            record.blocked_until = Some(now + self.window);
        }
        Verdict::Rejected { now_blocked }
    }

    /// Forgets expired records, and if that is not enough, the oldest one.
    fn make_room(&mut self, now: Instant) {
        let window = self.window;
        self.records.retain(|_, r| !r.expired(now, window));
        if self.records.len() >= self.capacity
            && let Some(oldest) = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.since)
                .map(|(k, _)| *k)
        {
            self.records.remove(&oldest);
        }
    }
}

/// The key failures are counted under: the address, or for IPv6 its /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
        v4 => v4,
    }
}

/// The pause after failed accepts: doubling from [`ACCEPT_BACKOFF_FIRST`] to
/// [`ACCEPT_BACKOFF_MAX`], reset by a success, and at most one warning per
/// [`ACCEPT_BACKOFF_MAX`].
#[derive(Debug, Default)]
struct AcceptBackoff {
    /// Failures in a row.
    failures: u64,
    /// When a warning was last logged in this run of failures.
    logged_at: Option<Instant>,
    /// Failures since that warning.
    unlogged: u64,
}

impl AcceptBackoff {
    /// A failure at `now`: how long to pause, and `Some(failures not logged since the last
    /// warning)` if this one should be logged.
    fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
        let delay = ACCEPT_BACKOFF_FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(ACCEPT_BACKOFF_MAX);
        self.failures += 1;
        let log = match self.logged_at {
            Some(at) if now.saturating_duration_since(at) < ACCEPT_BACKOFF_MAX => {
                self.unlogged += 1;
                None
            }
            _ => {
                self.logged_at = Some(now);
                Some(std::mem::take(&mut self.unlogged))
            }
        };
        (delay, log)
    }

    /// An accept succeeded: the pause starts over. `Some(failures in a row)` if any.
    fn succeeded(&mut self) -> Option<u64> {
        let failures = std::mem::take(self).failures;
        (failures > 0).then_some(failures)
    }
}

/// A connection to a server's admin port.
pub struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    /// Connects and authenticates.
    ///
    /// # Errors
    /// If the server cannot be reached or refuses the token.
    pub async fn connect(addr: &str, token: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to the admin console at {addr}"))?;
        let (read, writer) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(read),
            writer,
        };
        let reply = client.send(&format!("AUTH {token}")).await?;
        if !reply.ok {
            anyhow::bail!("{}", reply.text);
        }
        Ok(client)
    }

    /// Sends one command line and returns the reply.
    ///
    /// # Errors
    /// If the connection fails.
    pub async fn send(&mut self, line: &str) -> anyhow::Result<Reply> {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .await?;
        let mut buf = String::new();
        if self.reader.read_line(&mut buf).await? == 0 {
            anyhow::bail!("the server closed the connection");
        }
        serde_json::from_str(&buf).context("malformed reply from the server")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&ConsoleLimits::default())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_is_refused_after_five_failures_until_the_window_passes() {
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        for i in 0..4 {
            let v = t.attempt(a, t0 + SEC * i, || false);
            assert_eq!(v, Verdict::Rejected { now_blocked: false });
        }
        let v = t.attempt(a, t0 + SEC * 4, || false);
        assert_eq!(v, Verdict::Rejected { now_blocked: true });
        let mut checked = false;
        let v = t.attempt(a, t0 + SEC * 5, || {
            checked = true;
            true
        });
        assert!(matches!(v, Verdict::Throttled { retry_in } if retry_in == SEC * 59));
        assert!(!checked, "a refused address's token is not even compared");
        // Another address is unaffected; once the window has passed the right token works.
        assert_eq!(t.attempt(ip("10.0.0.2"), t0, || true), Verdict::Accepted);
        assert_eq!(t.attempt(a, t0 + SEC * 65, || true), Verdict::Accepted);
        assert!(t.records.is_empty(), "success forgets the failures");
    }

    #[test]
    fn failures_spread_over_more_than_a_window_are_not_blocked() {
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        for i in 0..20 {
            let v = t.attempt(a, t0 + SEC * 20 * i, || false);
            assert_eq!(v, Verdict::Rejected { now_blocked: false }, "attempt {i}");
        }
    }

    #[test]
    fn ipv6_neighbours_share_a_record_and_mapped_ipv4_is_ipv4() {
        let (mut t, t0) = (throttle(), Instant::now());
        for i in 0..5 {
            t.attempt(ip(&format!("2001:db8::{i}")), t0, || false);
        }
        let v = t.attempt(ip("2001:db8::ffff:1"), t0, || true);
        assert!(matches!(v, Verdict::Throttled { .. }), "{v:?}");
        assert_eq!(t.attempt(ip("2001:db9::1"), t0, || true), Verdict::Accepted);
        assert_eq!(address_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn the_record_stays_bounded_under_a_flood_of_addresses() {
        let (mut t, t0) = (throttle(), Instant::now());
        for i in 0..3 * TRACKED_ADDRESSES as u32 {
            let a = IpAddr::from(i.to_be_bytes());
            t.attempt(a, t0 + Duration::from_millis(i.into()), || false);
            assert!(t.records.len() <= TRACKED_ADDRESSES);
        }
        // The newest addresses are the ones remembered.
        let newest = IpAddr::from((3 * TRACKED_ADDRESSES as u32 - 1).to_be_bytes());
        assert!(t.records.contains_key(&newest));
    }

    #[test]
    fn accept_backoff_doubles_to_a_second_logs_once_per_second_and_resets() {
        let (mut b, t0) = (AcceptBackoff::default(), Instant::now());
        let mut now = t0;
        let mut delays = Vec::new();
        let mut logged = 0;
        for _ in 0..12 {
            let (delay, log) = b.failed(now);
            delays.push(delay.as_millis());
            logged += usize::from(log.is_some());
            now += delay;
        }
        assert_eq!(
            delays,
            [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000]
        );
        // 12 failures over ~7.3 s: the first, then at most one warning a second.
        assert!((2..=8).contains(&logged), "{logged} warnings");
        // A burst of failures at one instant logs once.
        let (mut burst, mut burst_logs) = (AcceptBackoff::default(), 0);
        for _ in 0..1000 {
            burst_logs += usize::from(burst.failed(t0).1.is_some());
        }
        assert_eq!(burst_logs, 1);
        assert_eq!(b.succeeded(), Some(12));
        assert_eq!(
            b.failed(now).0,
            ACCEPT_BACKOFF_FIRST,
            "a success resets the pause"
        );
        assert_eq!(AcceptBackoff::default().succeeded(), None);
    }

    #[test]
    fn limits_come_from_the_defaults() {
        let limits = ConsoleLimits::default();
        assert_eq!(limits.max_connections, 32);
        assert_eq!(limits.auth_timeout, Duration::from_secs(10));
        assert_eq!(
            (limits.max_failures, limits.failure_window.as_secs()),
            (5, 60)
        );
    }

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
}

//! The network front: where players connect.
//!
//! # Layout
//! - [`telnet`]: the telnet port: negotiation, lines in, text out, keepalive; [`gmcp`],
//!   [`mssp`] and [`ttype`], the protocols it speaks beside text.
//! - [`web`]: the web port: the web client page and its websocket.
//! - [`markup`]: Evennia's colour markup, rendered for each client.
//! - [`outlet`] and [`lines`]: a connection's bounded output and its input lines, whatever
//!   the protocol.
//! - [`session`]: what a connection is, whatever its protocol: the login screen, accounts,
//!   the puppeted character, input to the world and output back.
//! - this module: [`NetConfig`] (addresses and limits) and [`Players`] (what every connection
//!   shares).
//!
//! Connections are tokio tasks. They reach the world only through the world thread's channel
//! ([`WorldHandle`]); the text the world produces for a character reaches its session through
//! the world thread's outbox (`wasmud_world::outbox`), handed over once the turn is durable and never
//! waited for: a session whose output queue is full is dropped.

pub mod account_guard;
pub mod address_rate;
pub mod gmcp;
pub mod lines;
pub mod login;
pub mod markup;
pub mod mssp;
pub mod outlet;
pub mod session;
pub mod telnet;
pub mod telnet_input;
pub mod ttype;
pub mod web;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::throttle::LoginThrottle;
use wasmud_world::value::ObjectId;
use wasmud_world::world_thread::WorldHandle;

/// Addresses whose failed logins and account creations are remembered (the oldest go first).
const TRACKED_ADDRESSES: usize = 4096;

/// The default telnet address (Evennia's port).
pub const DEFAULT_TELNET_ADDR: &str = "0.0.0.0:4000";

/// The default web client address (Evennia's port).
pub const DEFAULT_WEB_ADDR: &str = "0.0.0.0:4001";

/// Limits of the player ports (Evennia's defaults where it has one).
#[derive(Clone, Debug)]
pub struct NetLimits {
    /// Connections open at once; the next one is told the server is full.
    pub max_connections: usize,
    /// New connections admitted per second, both ports together, after a burst of as many
    /// (0: no limit). More wait their turn (telnet ones in the listen backlog).
    pub connection_rate: u32,
    /// Longest input line, in characters; longer lines are dropped with a warning.
    pub max_line_chars: usize,
    /// Commands a session may send per second; more are dropped with a warning.
    pub commands_per_second: u32,
    /// Output messages queued for a session; a session whose queue is full (a client that
    /// stopped reading) is disconnected.
    pub output_queue: usize,
    /// Password hashes computed at once (each costs tens of milliseconds of CPU).
    pub concurrent_hashes: usize,
    /// Connections open at once from one address (IPv6: one /64).
    pub max_connections_per_address: usize,
    /// Bytes of output queued for a session; past it, the session is disconnected.
    pub output_bytes: usize,
    /// How long a connection may take to log in.
    pub login_timeout: Duration,
    /// Disconnect a logged-in player who sent nothing (no line, no GMCP keepalive) this long
    /// (`None`: never, the default).
    pub idle_timeout: Option<Duration>,
    /// How often an idle telnet connection gets a keepalive (`IAC NOP`).
    pub keepalive: Duration,
    /// Failed logins from one address within `failed_login_window` before it is refused
    /// for that long.
    pub max_failed_logins: u32,
    /// See `max_failed_logins`.
    pub failed_login_window: Duration,
    /// Accounts one address may create within `account_creation_window` (0: no limit).
    pub max_new_accounts: u32,
    /// See `max_new_accounts`.
    pub account_creation_window: Duration,
    /// New connections one address (IPv6: one /64) may open per second, after a burst of ten
    /// seconds' worth (0: no limit). Checked first: refused ones never spend the global
    /// [`NetLimits::connection_rate`].
    pub connection_rate_per_address: u32,
    /// How long an HTTP client has to send a request's headers.
    pub http_header_timeout: Duration,
    /// How long an HTTP connection that is not a websocket may stay open (keep-alive
    /// included).
    pub http_connection_life: Duration,
    /// Origins (`https://example.org`) whose pages may open the websocket, besides the page's
    /// own host. Requests without an `Origin` (non-browser clients) are always allowed.
    pub web_origins: Vec<String>,
}

impl Default for NetLimits {
    fn default() -> Self {
        NetLimits {
            max_connections: 1_000,
            connection_rate: 10,
            max_line_chars: 6_000,
            commands_per_second: 80,
            output_queue: 1_024,
            concurrent_hashes: 2,
            max_connections_per_address: 32,
            output_bytes: 1 << 20,
            login_timeout: Duration::from_secs(120),
            idle_timeout: None,
            keepalive: Duration::from_secs(30),
            max_failed_logins: 5,
            failed_login_window: Duration::from_secs(300),
            max_new_accounts: 2,
            account_creation_window: Duration::from_secs(600),
            connection_rate_per_address: 2,
            http_header_timeout: Duration::from_secs(10),
            http_connection_life: Duration::from_secs(30),
            web_origins: Vec::new(),
        }
    }
}

/// Where players connect and under which limits (by default: no port).
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    /// The telnet address (`None`: no telnet port).
    pub telnet: Option<SocketAddr>,
    /// The web client's address (`None`: no web port).
    pub web: Option<SocketAddr>,
    /// The limits.
    pub limits: NetLimits,
    /// Where new characters start (the seeded Limbo when `None`).
    pub home: Option<ObjectId>,
}

/// What every player connection shares.
pub struct Players {
    /// The world thread.
    pub world: WorldHandle,
    /// The limits.
    pub limits: NetLimits,
    /// Where new characters start.
    pub home: Option<ObjectId>,
    /// Bounds the password hashes computed at once.
    hashing: Semaphore,
    /// Numbers sessions.
    next_session: AtomicU64,
    /// Connections open now (bounded by `limits.max_connections`).
    open: Arc<Semaphore>,
    /// Failed logins per address. (A std mutex: held for a map lookup, never across an
    /// `.await`.)
    pub(crate) failed_logins: Mutex<LoginThrottle>,
    /// Accounts created per address (each creation counts as one "failure").
    pub(crate) new_accounts: Mutex<LoginThrottle>,
    /// Failed logins per account name, whatever the address.
    pub(crate) account_guard: Mutex<account_guard::AccountGuard>,
    /// Connections open now per address key.
    per_address: Mutex<HashMap<IpAddr, usize>>,
    /// Sessions logged in now, by session id: the account name (`who`, MSSP `PLAYERS`).
    online: Mutex<BTreeMap<u64, String>>,
    /// When the server started, in Unix seconds (MSSP `UPTIME`).
    pub(crate) started_unix: u64,
    /// When the next new connection may be admitted (see [`NetLimits::connection_rate`]).
    next_admission: Mutex<tokio::time::Instant>,
    /// New connections per address (see [`NetLimits::connection_rate_per_address`]).
    address_rate: Mutex<address_rate::AddressRate>,
}

impl Players {
    /// The shared state for connections to `world`.
    pub fn new(world: WorldHandle, config: &NetConfig) -> Arc<Self> {
        Arc::new(Players {
            world,
            hashing: Semaphore::new(config.limits.concurrent_hashes.max(1)),
            open: Arc::new(Semaphore::new(config.limits.max_connections)),
            limits: config.limits.clone(),
            home: config.home,
            next_session: AtomicU64::new(1),
            failed_logins: Mutex::new(LoginThrottle::new(
                config.limits.max_failed_logins,
                config.limits.failed_login_window,
                TRACKED_ADDRESSES,
            )),
            account_guard: Mutex::new(account_guard::AccountGuard::new(
                config.limits.failed_login_window,
            )),
            online: Mutex::new(BTreeMap::new()),
            next_admission: Mutex::new(tokio::time::Instant::now()),
            address_rate: Mutex::new(address_rate::AddressRate::new(
                config.limits.connection_rate_per_address,
            )),
            per_address: Mutex::new(HashMap::new()),
            started_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            new_accounts: Mutex::new(LoginThrottle::new(
                config.limits.max_new_accounts,
                config.limits.account_creation_window,
                TRACKED_ADDRESSES,
            )),
        })
    }

    /// Reserves this connection's turn under [`NetLimits::connection_rate`] and returns when
    /// it comes: a burst of a second's worth passes at once, then one every `1/rate` s. Call it
    /// where connections arrive one at a time (the accept loop, the upgrade handler), so turns
    /// follow arrival order; the connection then sleeps until its turn in its own task.
    pub fn admission(&self) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        let rate = self.limits.connection_rate;
        if rate == 0 {
            return now;
        }
        let interval = Duration::from_secs(1) / rate;
        // The generic cell rate algorithm: `next` is when the queue of admissions empties.
        let mut next = self.next_admission.lock().expect("admission lock");
        let due = (*next).max(now);
        *next = due + interval;
        due.checked_sub(interval * (rate - 1))
            .map_or(now, |at| at.max(now))
    }

    /// Players logged in now.
    pub fn online_count(&self) -> usize {
        self.online.lock().expect("online lock").len()
    }

    /// The names of the players logged in now, sorted, each once.
    pub fn online_names(&self) -> Vec<String> {
        let online = self.online.lock().expect("online lock");
        let mut names: Vec<String> = online.values().cloned().collect();
        names.sort_unstable_by_key(|n| n.to_lowercase());
        names.dedup();
        names
    }

    /// Session `session` logged in as `name` (`None`: it logged out).
    fn set_online(&self, session: u64, name: Option<&str>) {
        let mut online = self.online.lock().expect("online lock");
        match name {
            Some(name) => online.insert(session, name.to_owned()),
            None => online.remove(&session),
        };
    }

    fn session_id(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// Admits a connection from `ip` (both ports count together), or says why not: that
    /// address opens connections too fast, the server is full, or that address has as many
    /// connections open as allowed. The per-address checks come first, so a refused
    /// connection never spends what other addresses share. The returned guard holds the
    /// places until the connection ends.
    pub fn enter(self: &Arc<Self>, ip: IpAddr) -> Result<Entry, &'static str> {
        let within_rate = (self.address_rate.lock())
            .expect("address rate lock")
            .admit(ip, std::time::Instant::now());
        if !within_rate {
            return Err("Too many new connections from your address; wait a moment.");
        }
        let Some(slot) = self.admit(ip) else {
            return Err("Too many connections from your address.");
        };
        let Ok(permit) = self.open.clone().try_acquire_owned() else {
            return Err("The server is full; please try again later.");
        };
        Ok(Entry {
            _permit: permit,
            _slot: slot,
        })
    }

    /// Counts a connection from `ip`, or `None` if that address has as many open as allowed;
    /// the count goes down when the guard is dropped.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let key = crate::throttle::address_key(ip);
        let mut open = self.per_address.lock().expect("address lock");
        let count = open.entry(key).or_default();
        if *count >= self.limits.max_connections_per_address {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            players: self.clone(),
            key,
        })
    }
}

/// Tells a connection it cannot be served, without waiting and without a task: one
/// non-blocking write (a fresh socket's buffer takes it) and one bounded read of what the
/// client already sent (so that closing sends a FIN rather than a reset that could destroy the
/// line); the caller then drops the socket. A client cannot make this loop or hold a
/// descriptor.
pub(crate) fn refuse(stream: &tokio::net::TcpStream, text: &str) {
    let _ = stream.try_write(text.as_bytes());
    let mut sink = [0u8; 4096];
    let _ = stream.try_read(&mut sink);
}

/// Waits until a connection has been silent too long: [`NetLimits::login_timeout`] from
/// `opened` before a login, [`NetLimits::idle_timeout`] from `last_input` after one (forever
/// without one). Returns what to tell the player before closing.
pub(crate) async fn silence(
    limits: &NetLimits,
    opened: tokio::time::Instant,
    last_input: tokio::time::Instant,
    logged_in: bool,
) -> &'static str {
    if !logged_in {
        tokio::time::sleep_until(opened + limits.login_timeout).await;
        return "Timed out waiting for a login.";
    }
    match limits.idle_timeout {
        Some(idle) => {
            tokio::time::sleep_until(last_input + idle).await;
            "Idle timeout: you sent nothing for too long."
        }
        None => std::future::pending().await,
    }
}

/// An admitted connection's places (see [`Players::enter`]).
pub struct Entry {
    _permit: tokio::sync::OwnedSemaphorePermit,
    _slot: AddressSlot,
}

/// One open connection of an address (see [`Players::admit`]).
struct AddressSlot {
    players: Arc<Players>,
    key: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.players.per_address.lock().expect("address lock");
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

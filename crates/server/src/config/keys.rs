//! Every setting of `serve`: its place in `wasmud.toml`, its command-line flag and what it
//! means. One table feeds the file written on first start, the flags, the `WASMUD_*`
//! environment variables and `wasmud config`; a test keeps it in step with [`super::Settings`].

/// How a setting's flag is given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    /// `--flag VALUE`.
    Value,
    /// `--no-thing`: present sets the boolean setting to false.
    Off,
    /// `--flag VALUE`, repeatable: each adds one element to a list setting.
    Many,
}

/// How a setting's value is read from a flag or an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Text as given.
    Text,
    /// A path: relative to the directory of the file when it comes from the config file, to
    /// the working directory when it comes from a flag or the environment.
    Path,
    /// A whole number, not negative.
    Number,
    /// `true` or `false`.
    Switch,
    /// A list of text; in the environment, comma-separated.
    List,
}

/// One setting.
#[derive(Clone, Copy, Debug)]
pub struct Key {
    /// Its place in the file: `name` at the top, `section.name` in a table.
    pub path: &'static str,
    /// Its long flag, without the dashes.
    pub flag: &'static str,
    /// How the flag is given.
    pub flag_kind: FlagKind,
    /// How its value is read.
    pub kind: ValueKind,
    /// What it means (the file's comment and the flag's help).
    pub doc: &'static str,
}

impl Key {
    /// The environment variable that overrides it: `WASMUD_` and the path in capitals,
    /// `.` as `_` (`sandbox.hook_deadline_ms` is `WASMUD_SANDBOX_HOOK_DEADLINE_MS`).
    pub fn env_var(&self) -> String {
        format!("WASMUD_{}", self.path.replace('.', "_").to_uppercase())
    }

    /// The key's section (`""` at the top) and its name in it.
    pub fn split(&self) -> (&'static str, &'static str) {
        self.path.rsplit_once('.').unwrap_or(("", self.path))
    }
}

const fn key(path: &'static str, flag: &'static str, kind: ValueKind, doc: &'static str) -> Key {
    Key {
        path,
        flag,
        flag_kind: FlagKind::Value,
        kind,
        doc,
    }
}

const fn off(path: &'static str, flag: &'static str, doc: &'static str) -> Key {
    Key {
        path,
        flag,
        flag_kind: FlagKind::Off,
        kind: ValueKind::Switch,
        doc,
    }
}

use ValueKind::{List, Number, Path, Text};

/// Every setting, in the order of the file.
pub const KEYS: &[Key] = &[
    key(
        "store",
        "store",
        Text,
        "Where the world is stored. Empty: world.redb in the data directory (embedded, nothing \
         to install). A path: that redb file. `postgres://user@host/db` or `postgres:host=... \
         dbname=...`: a PostgreSQL database (its password is better kept in ~/.pgpass).",
    ),
    key(
        "scripts",
        "scripts",
        Path,
        "Directory of typeclass components (`<name>.wasm`), watched for changes. Empty: \
         typeclasses/ in the data directory, written with the demo game on the first start.",
    ),
    key(
        "grants",
        "grants",
        Path,
        "The grants file: what each typeclass may do beyond its own objects. Empty: \
         grants.toml in the scripts directory. Unlisted typeclasses get nothing.",
    ),
    key(
        "artifacts",
        "artifacts",
        Path,
        "Where compiled typeclasses are cached (native code, by content and engine). Empty: \
         <data>/artifacts.",
    ),
    off(
        "watch",
        "no-watch",
        "Reload changed components by themselves (--no-watch: only on `reload`).",
    ),
    off(
        "prompt",
        "no-prompt",
        "An admin prompt on the terminal when stdin is one (--no-prompt: never).",
    ),
    key(
        "log_format",
        "log-format",
        Text,
        "`text` (one line per event; colours only on a terminal) or `json` (one object per \
         line, for log shippers).",
    ),
    off(
        "console.enabled",
        "no-console",
        "Open the admin console (--no-console: do not).",
    ),
    key(
        "console.addr",
        "console-addr",
        Text,
        "Where the admin console listens: `unix:<path>` (relative to the data directory; only \
         the server's user may connect) or `host:port` (token in <data>/console.token).",
    ),
    key(
        "commit.policy",
        "commit",
        Text,
        "`durable`: an answer leaves only once its turn is on disk (group commit); `relaxed`: \
         answers leave at once and a crash loses at most commit.window_ms.",
    ),
    key(
        "commit.window_ms",
        "commit-window-ms",
        Number,
        "With the relaxed policy: the most a crash may lose, in milliseconds.",
    ),
    key(
        "commit.group_ms",
        "commit-group-ms",
        Number,
        "With the durable policy: the longest a group of turns waits for its fsync, in \
         milliseconds.",
    ),
    key(
        "commit.group_turns",
        "commit-group-turns",
        Number,
        "With the durable policy: the most turns one fsync covers.",
    ),
    key(
        "world.store_cache_mib",
        "store-cache-mib",
        Number,
        "MiB of redb page cache.",
    ),
    key(
        "world.cache_max_entries",
        "cache-max-entries",
        Number,
        "Most objects the identity map keeps; past it the least recently used are evicted \
         (Evennia's IDMAPPER_CACHE_MAXSIZE). 0: no limit.",
    ),
    key(
        "world.ndb_total_mib",
        "ndb-total-mib",
        Number,
        "MiB of ndb data all cached objects may hold together.",
    ),
    key(
        "world.ndb_per_object_kib",
        "ndb-per-object-kib",
        Number,
        "KiB of ndb data one object may hold.",
    ),
    key(
        "world.max_events_per_turn",
        "max-events-per-turn",
        Number,
        "Events (messages, moves) one turn may queue.",
    ),
    key(
        "world.max_event_kib_per_turn",
        "max-event-kib-per-turn",
        Number,
        "KiB of message text one turn may queue.",
    ),
    key(
        "world.max_undo_mib_per_turn",
        "max-undo-mib-per-turn",
        Number,
        "MiB of overwritten data one turn may keep for its rollback.",
    ),
    key(
        "world.timers_per_object",
        "timers-per-object",
        Number,
        "Timers one object may have.",
    ),
    key(
        "world.timers_total",
        "timers-total",
        Number,
        "Timers the whole world may have.",
    ),
    key(
        "sandbox.hook_deadline_ms",
        "hook-deadline-ms",
        Number,
        "Milliseconds one hook call may run, not counting the hooks it nests.",
    ),
    key(
        "sandbox.turn_budget_ms",
        "turn-budget-ms",
        Number,
        "Milliseconds one turn may take in all (hooks, nested hooks, queued events).",
    ),
    key(
        "sandbox.max_memory_mib",
        "max-memory-mib",
        Number,
        "MiB of linear memory one typeclass instance may hold.",
    ),
    key(
        "sandbox.pool_memory_mib",
        "pool-memory-mib",
        Number,
        "An instance that grew by more than this many MiB in a call is dropped, not pooled.",
    ),
    key(
        "sandbox.idle_memory_mib",
        "idle-memory-mib",
        Number,
        "MiB of linear memory the idle instances of all typeclasses may hold together.",
    ),
    key(
        "sandbox.max_handles",
        "max-handles",
        Number,
        "Handles one instance may hold at once.",
    ),
    key(
        "sandbox.quarantine_after",
        "quarantine-after",
        Number,
        "Limits hit within the quarantine window after which a typeclass is quarantined.",
    ),
    key(
        "sandbox.quarantine_window_secs",
        "quarantine-window-secs",
        Number,
        "The window over which limits hit are counted, in seconds.",
    ),
    key(
        "sandbox.output_lines_per_second",
        "output-lines-per-second",
        Number,
        "Log lines per second one instance may write; the rest are dropped and counted.",
    ),
    off(
        "players.telnet",
        "no-telnet",
        "Open the telnet port (--no-telnet: do not).",
    ),
    key(
        "players.telnet_addr",
        "telnet-addr",
        Text,
        "Address of the telnet port (the bound address is written to <data>/telnet.addr).",
    ),
    off(
        "players.web",
        "no-web",
        "Open the web port (--no-web: do not).",
    ),
    key(
        "players.web_addr",
        "web-addr",
        Text,
        "Address of the web client and its websocket (written to <data>/web.addr).",
    ),
    Key {
        path: "players.web_origins",
        flag: "web-origin",
        flag_kind: FlagKind::Many,
        kind: List,
        doc: "Other sites whose pages may open the game's websocket (e.g. \
              `https://play.example.org`). The web port's own page is always allowed.",
    },
    key(
        "players.max_connections",
        "max-connections",
        Number,
        "Player connections open at once (telnet and web together).",
    ),
    key(
        "players.max_connections_per_address",
        "max-connections-per-address",
        Number,
        "Player connections one address (IPv6: one /64) may have open at once.",
    ),
    key(
        "players.connection_rate",
        "connection-rate",
        Number,
        "New player connections admitted per second after a burst of as many; more wait \
         their turn. 0: no limit.",
    ),
    key(
        "players.connection_rate_per_address",
        "connection-rate-per-address",
        Number,
        "New connections one address may open per second, after a burst of ten seconds' \
         worth; checked before the global rate. 0: no limit.",
    ),
    key(
        "players.commands_per_second",
        "commands-per-second",
        Number,
        "Commands a player may send per second; more are dropped with a warning.",
    ),
    key(
        "players.max_line_chars",
        "max-line-chars",
        Number,
        "Longest input line, in characters; longer ones are dropped with a warning.",
    ),
    key(
        "players.max_output_queue",
        "max-output-queue",
        Number,
        "Messages queued for a player whose client does not read; past it, it is \
         disconnected.",
    ),
    key(
        "players.max_output_kib",
        "max-output-kib",
        Number,
        "KiB of output queued for a player; past it, it is disconnected.",
    ),
    key(
        "players.login_timeout_secs",
        "login-timeout-secs",
        Number,
        "Seconds a connection has to log in.",
    ),
    key(
        "players.idle_timeout_secs",
        "idle-timeout-secs",
        Number,
        "Disconnect players who send nothing for this many seconds. 0: never.",
    ),
    key(
        "players.keepalive_secs",
        "keepalive-secs",
        Number,
        "Seconds between keepalives to an idle connection (telnet IAC NOP, websocket ping).",
    ),
    key(
        "players.max_failed_logins",
        "max-failed-logins",
        Number,
        "Failed logins from one address within the window before it is refused for as long.",
    ),
    key(
        "players.failed_login_window_secs",
        "failed-login-window-secs",
        Number,
        "The window of max_failed_logins, in seconds.",
    ),
    key(
        "players.max_new_accounts",
        "max-new-accounts",
        Number,
        "Accounts one address may create within the account creation window. 0: no limit.",
    ),
    key(
        "players.account_creation_window_secs",
        "account-creation-window-secs",
        Number,
        "The window of max_new_accounts, in seconds.",
    ),
    key(
        "players.concurrent_hashes",
        "concurrent-hashes",
        Number,
        "Password hashes computed at once (each costs tens of milliseconds of CPU).",
    ),
    key(
        "players.http_header_timeout_secs",
        "http-header-timeout-secs",
        Number,
        "Seconds an HTTP client has to send its request headers on the web port.",
    ),
    key(
        "players.http_connection_life_secs",
        "http-connection-life-secs",
        Number,
        "Seconds an HTTP connection that is not a websocket may stay open.",
    ),
];

/// The setting at `path`, if there is one.
pub fn find(path: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.path == path)
}

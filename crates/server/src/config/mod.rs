//! `serve`'s configuration: `<data>/wasmud.toml` (written with commented defaults on first
//! start), overridden by `WASMUD_*` environment variables, overridden by command-line flags.
//! [`resolve`] layers them and remembers where each value came from (`wasmud config` prints
//! it); [`Resolved::serve_config`] turns the result into a [`ServeConfig`].
//!
//! A mistake names its key and where it was written: the file and line, the variable or the
//! flag. An unknown key in the file is a mistake too (a misspelt limit must not be ignored).

pub mod flags;
pub mod keys;
mod render;
mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::flags::SettingFlags;
pub use self::render::{effective, template};
pub use self::settings::{
    CommitSettings, ConsoleSettings, LogFormat, PlayerSettings, SandboxSettings, Settings,
    WorldSettings,
};
use crate::server::{CommitPolicy, ServeConfig};
use keys::{KEYS, Key, ValueKind};

/// The configuration file's name in the data directory.
pub const CONFIG_FILE: &str = "wasmud.toml";

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Nobody set it.
    Default,
    /// The configuration file, at this line (1-based).
    File {
        /// The file.
        path: PathBuf,
        /// Its line.
        line: usize,
    },
    /// An environment variable.
    Env(String),
    /// A command-line flag (without dashes).
    Flag(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File { path, line } => write!(f, "{} line {line}", path.display()),
            Source::Env(var) => write!(f, "environment {var}"),
            Source::Flag(flag) => write!(f, "flag --{flag}"),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// The file is not valid: bad TOML, an unknown key, a value of the wrong type. The message
    /// names the key and the line.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// toml's account, with the line and column.
        message: String,
    },
    /// A value that does not mean anything for its key.
    #[error("`{key}` (from {from}): {message}")]
    Value {
        /// The key.
        key: &'static str,
        /// Where the value was written.
        from: Source,
        /// What is wrong with it.
        message: String,
    },
}

/// A configuration layered from defaults, the file, the environment and the flags.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The values in force.
    pub settings: Settings,
    /// Where each key's value came from, by path.
    pub sources: BTreeMap<&'static str, Source>,
    /// The configuration file that was read, if it existed.
    pub file: Option<PathBuf>,
}

/// Reads `file` (if it exists), then overrides it with the environment (as `env` reads it)
/// and the `flags`.
///
/// # Errors
/// [`ConfigError`] naming the key and where it was written.
pub fn resolve(
    file: &Path,
    env: impl Fn(&str) -> Option<String>,
    flags: &SettingFlags,
) -> Result<Resolved, ConfigError> {
    let mut sources: BTreeMap<&'static str, Source> =
        KEYS.iter().map(|k| (k.path, Source::Default)).collect();
    let (mut settings, read) = match std::fs::read_to_string(file) {
        Ok(text) => {
            let settings = settings::from_file(&text).map_err(|message| ConfigError::File {
                path: file.to_owned(),
                message,
            })?;
            for (path, line) in settings::lines(&text) {
                if let Some(key) = keys::find(&path) {
                    sources.insert(
                        key.path,
                        Source::File {
                            path: file.to_owned(),
                            line,
                        },
                    );
                }
            }
            (settings, Some(file.to_owned()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), None),
        Err(error) => {
            return Err(ConfigError::Io {
                path: file.to_owned(),
                error,
            });
        }
    };
    // Paths written in the file are relative to the file's directory.
    let base = file.parent().unwrap_or(Path::new("."));
    for key in KEYS.iter().filter(|k| k.kind == ValueKind::Path) {
        if matches!(sources[key.path], Source::File { .. }) {
            settings.rebase_path(key.path, base);
        }
    }
    let mut overrides: Vec<(&'static Key, Source, Vec<String>)> = Vec::new();
    for key in KEYS {
        let var = key.env_var();
        if let Some(value) = env(&var) {
            let words = if key.kind == ValueKind::List {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                vec![value]
            };
            overrides.push((key, Source::Env(var), words));
        }
    }
    for (key, words) in flags.given() {
        overrides.push((key, Source::Flag(key.flag.to_owned()), words));
    }
    for (key, source, words) in overrides {
        settings
            .set(key, &words)
            .map_err(|message| ConfigError::Value {
                key: key.path,
                from: source.clone(),
                message,
            })?;
        sources.insert(key.path, source);
    }
    Ok(Resolved {
        settings,
        sources,
        file: read,
    })
}

/// Writes `file` with every setting commented out at its default, unless it exists.
/// Returns whether it wrote one.
///
/// # Errors
/// [`ConfigError::Io`] if it could not be written.
pub fn write_defaults(file: &Path) -> Result<bool, ConfigError> {
    use std::io::Write as _;
    let io = |error| ConfigError::Io {
        path: file.to_owned(),
        error,
    };
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
    {
        Ok(mut f) => {
            f.write_all(template().as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io(e)),
    }
}

impl Resolved {
    fn bad(&self, key: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError::Value {
            key,
            from: self.sources.get(key).cloned().unwrap_or(Source::Default),
            message: message.into(),
        }
    }

    fn count(&self, key: &'static str, value: u64) -> Result<usize, ConfigError> {
        usize::try_from(value).map_err(|_| self.bad(key, "too large"))
    }

    fn positive(&self, key: &'static str, value: u64) -> Result<u64, ConfigError> {
        if value == 0 {
            Err(self.bad(key, "must be at least 1"))
        } else {
            Ok(value)
        }
    }

    fn mib(&self, key: &'static str, value: u64, shift: u32) -> Result<usize, ConfigError> {
        value
            .checked_mul(1 << shift)
            .and_then(|b| usize::try_from(b).ok())
            .ok_or_else(|| self.bad(key, "too large"))
    }

    fn addr(&self, key: &'static str, text: &str) -> Result<std::net::SocketAddr, ConfigError> {
        text.parse()
            .map_err(|e| self.bad(key, format!("`{text}` is not an address (host:port): {e}")))
    }

    /// The `serve` configuration for the world in `data` (its scripts directory, when none is
    /// set: [`crate::game::DEFAULT_DIR`] inside `data`).
    ///
    /// # Errors
    /// [`ConfigError::Value`] for a value that means nothing for its key (an address that
    /// does not parse, a zero where at least one is needed, an unknown policy).
    pub fn serve_config(&self, data: &Path) -> Result<ServeConfig, ConfigError> {
        let s = &self.settings;
        let path = |p: &str| (!p.is_empty()).then(|| PathBuf::from(p));
        let scripts = path(&s.scripts).unwrap_or_else(|| data.join(crate::game::DEFAULT_DIR));
        let mut config = ServeConfig::new(data, scripts);
        config.grants = path(&s.grants);
        config.artifacts = path(&s.artifacts);
        config.store = (!s.store.trim().is_empty())
            .then(|| crate::location::StoreLocation::parse(&s.store, data));
        config.watch = s.watch;
        config.console = if s.console.enabled {
            Some(
                s.console
                    .addr
                    .parse()
                    .map_err(|e: String| self.bad("console.addr", e))?,
            )
        } else {
            None
        };
        let ms = Duration::from_millis;
        let secs = Duration::from_secs;
        config.commit = match s.commit.policy.as_str() {
            "durable" => CommitPolicy::Durable {
                max_delay: ms(s.commit.group_ms),
                max_turns: self.count(
                    "commit.group_turns",
                    self.positive("commit.group_turns", s.commit.group_turns)?,
                )?,
            },
            "relaxed" => CommitPolicy::relaxed(s.commit.window_ms),
            other => {
                return Err(self.bad(
                    "commit.policy",
                    format!("`{other}` is not a policy: `durable` or `relaxed`"),
                ));
            }
        };

        let w = &s.world;
        let options = &mut config.options;
        options.store_cache_bytes = self.mib("world.store_cache_mib", w.store_cache_mib, 20)?;
        options.cache_max_entries = match w.cache_max_entries {
            0 => None,
            n => Some(self.count("world.cache_max_entries", n)?),
        };
        let limits = &mut options.limits;
        limits.ndb_bytes_total = self.mib("world.ndb_total_mib", w.ndb_total_mib, 20)?;
        limits.ndb_bytes_per_object =
            self.mib("world.ndb_per_object_kib", w.ndb_per_object_kib, 10)?;
        limits.max_events_per_turn =
            self.count("world.max_events_per_turn", w.max_events_per_turn)?;
        limits.max_event_bytes_per_turn =
            self.mib("world.max_event_kib_per_turn", w.max_event_kib_per_turn, 10)?;
        limits.max_undo_bytes_per_turn =
            self.mib("world.max_undo_mib_per_turn", w.max_undo_mib_per_turn, 20)?;
        limits.timers_per_object = self.count("world.timers_per_object", w.timers_per_object)?;
        limits.timers_total = w.timers_total;

        let b = &s.sandbox;
        let sandbox = &mut options.sandbox;
        sandbox.hook_deadline = ms(self.positive("sandbox.hook_deadline_ms", b.hook_deadline_ms)?);
        sandbox.turn_budget = ms(self.positive("sandbox.turn_budget_ms", b.turn_budget_ms)?);
        sandbox.max_memory_bytes = self.mib("sandbox.max_memory_mib", b.max_memory_mib, 20)?;
        sandbox.pool_memory_bytes = self.mib("sandbox.pool_memory_mib", b.pool_memory_mib, 20)?;
        sandbox.idle_memory_bytes = self.mib("sandbox.idle_memory_mib", b.idle_memory_mib, 20)?;
        sandbox.max_handles = self.count("sandbox.max_handles", b.max_handles)?;
        sandbox.quarantine_after = u32::try_from(b.quarantine_after)
            .map_err(|_| self.bad("sandbox.quarantine_after", "too large"))?;
        sandbox.quarantine_window = secs(b.quarantine_window_secs);
        sandbox.output_lines_per_second = u32::try_from(b.output_lines_per_second)
            .map_err(|_| self.bad("sandbox.output_lines_per_second", "too large"))?;

        let p = &s.players;
        let net = &mut config.net;
        net.telnet = if p.telnet {
            Some(self.addr("players.telnet_addr", &p.telnet_addr)?)
        } else {
            None
        };
        net.web = if p.web {
            Some(self.addr("players.web_addr", &p.web_addr)?)
        } else {
            None
        };
        let rate = |key, v: u64| u32::try_from(v).map_err(|_| self.bad(key, "too large"));
        let limits = &mut net.limits;
        limits.web_origins.clone_from(&p.web_origins);
        limits.max_connections = self.count("players.max_connections", p.max_connections)?;
        limits.max_connections_per_address = self.count(
            "players.max_connections_per_address",
            p.max_connections_per_address,
        )?;
        limits.connection_rate = rate("players.connection_rate", p.connection_rate)?;
        limits.connection_rate_per_address = rate(
            "players.connection_rate_per_address",
            p.connection_rate_per_address,
        )?;
        limits.commands_per_second = rate("players.commands_per_second", p.commands_per_second)?;
        limits.max_line_chars = self.count("players.max_line_chars", p.max_line_chars)?;
        limits.output_queue = self.count(
            "players.max_output_queue",
            self.positive("players.max_output_queue", p.max_output_queue)?,
        )?;
        limits.output_bytes = self.mib("players.max_output_kib", p.max_output_kib, 10)?;
        limits.login_timeout =
            secs(self.positive("players.login_timeout_secs", p.login_timeout_secs)?);
        limits.idle_timeout = (p.idle_timeout_secs > 0).then(|| secs(p.idle_timeout_secs));
        limits.keepalive = secs(self.positive("players.keepalive_secs", p.keepalive_secs)?);
        limits.max_failed_logins = rate("players.max_failed_logins", p.max_failed_logins)?;
        limits.failed_login_window = secs(p.failed_login_window_secs);
        limits.max_new_accounts = rate("players.max_new_accounts", p.max_new_accounts)?;
        limits.account_creation_window = secs(p.account_creation_window_secs);
        limits.concurrent_hashes = self.count(
            "players.concurrent_hashes",
            self.positive("players.concurrent_hashes", p.concurrent_hashes)?,
        )?;
        limits.http_header_timeout = secs(self.positive(
            "players.http_header_timeout_secs",
            p.http_header_timeout_secs,
        )?);
        limits.http_connection_life =
            secs(p.http_connection_life_secs).max(limits.http_header_timeout);
        Ok(config)
    }
}

#[cfg(test)]
mod tests;

//! The settings as they are written in `wasmud.toml`: plain numbers in the unit their name
//! says, text, switches. Their defaults are the runtime's own (`NetLimits`, `Sandbox`,
//! `WorldLimits`, `WorldOptions`), read from there so that the two cannot drift.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::keys::{Key, ValueKind};

pub use wasmud_console::logs::LogFormat;

/// Every setting of `serve` (see [`super::keys::KEYS`] for what each means).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct Settings {
    pub store: String,
    pub scripts: String,
    pub grants: String,
    pub artifacts: String,
    pub watch: bool,
    pub prompt: bool,
    pub log_format: LogFormat,
    pub console: ConsoleSettings,
    pub commit: CommitSettings,
    pub world: WorldSettings,
    pub sandbox: SandboxSettings,
    pub players: PlayerSettings,
}

/// `[console]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct ConsoleSettings {
    pub enabled: bool,
    pub addr: String,
}

/// `[commit]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct CommitSettings {
    pub policy: String,
    pub window_ms: u64,
    pub group_ms: u64,
    pub group_turns: u64,
}

/// `[world]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct WorldSettings {
    pub store_cache_mib: u64,
    pub cache_max_entries: u64,
    pub ndb_total_mib: u64,
    pub ndb_per_object_kib: u64,
    pub max_events_per_turn: u64,
    pub max_event_kib_per_turn: u64,
    pub max_undo_mib_per_turn: u64,
    pub timers_per_object: u64,
    pub timers_total: u64,
}

/// `[sandbox]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct SandboxSettings {
    pub hook_deadline_ms: u64,
    pub turn_budget_ms: u64,
    pub max_memory_mib: u64,
    pub pool_memory_mib: u64,
    pub idle_memory_mib: u64,
    pub max_handles: u64,
    pub quarantine_after: u64,
    pub quarantine_window_secs: u64,
    pub output_lines_per_second: u64,
}

/// `[players]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs, reason = "documented once, in keys::KEYS")]
pub struct PlayerSettings {
    pub telnet: bool,
    pub telnet_addr: String,
    pub web: bool,
    pub web_addr: String,
    pub web_origins: Vec<String>,
    pub max_connections: u64,
    pub max_connections_per_address: u64,
    pub connection_rate: u64,
    pub connection_rate_per_address: u64,
    pub commands_per_second: u64,
    pub max_line_chars: u64,
    pub max_output_queue: u64,
    pub max_output_kib: u64,
    pub login_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub keepalive_secs: u64,
    pub max_failed_logins: u64,
    pub failed_login_window_secs: u64,
    pub max_new_accounts: u64,
    pub account_creation_window_secs: u64,
    pub concurrent_hashes: u64,
    pub http_header_timeout_secs: u64,
    pub http_connection_life_secs: u64,
}

const fn n(v: usize) -> u64 {
    v as u64
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store: String::new(),
            scripts: String::new(),
            grants: String::new(),
            artifacts: String::new(),
            watch: true,
            prompt: true,
            log_format: LogFormat::Text,
            console: ConsoleSettings::default(),
            commit: CommitSettings::default(),
            world: WorldSettings::default(),
            sandbox: SandboxSettings::default(),
            players: PlayerSettings::default(),
        }
    }
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            enabled: true,
            addr: wasmud_console::console::remote::DEFAULT_ADDR.to_owned(),
        }
    }
}

impl Default for CommitSettings {
    fn default() -> Self {
        let crate::server::CommitPolicy::Durable {
            max_delay,
            max_turns,
        } = crate::server::CommitPolicy::durable()
        else {
            unreachable!("durable() is durable")
        };
        CommitSettings {
            policy: "durable".to_owned(),
            window_ms: 100,
            group_ms: max_delay.as_millis() as u64,
            group_turns: n(max_turns),
        }
    }
}

impl Default for WorldSettings {
    fn default() -> Self {
        let options = wasmud_world::WorldOptions::default();
        let l = &options.limits;
        WorldSettings {
            store_cache_mib: n(options.store_cache_bytes >> 20),
            cache_max_entries: options.cache_max_entries.map_or(0, n),
            ndb_total_mib: n(l.ndb_bytes_total >> 20),
            ndb_per_object_kib: n(l.ndb_bytes_per_object >> 10),
            max_events_per_turn: n(l.max_events_per_turn),
            max_event_kib_per_turn: n(l.max_event_bytes_per_turn >> 10),
            max_undo_mib_per_turn: n(l.max_undo_bytes_per_turn >> 20),
            timers_per_object: n(l.timers_per_object),
            timers_total: l.timers_total,
        }
    }
}

impl Default for SandboxSettings {
    fn default() -> Self {
        let s = wasmud_world::runtime::Sandbox::default();
        SandboxSettings {
            hook_deadline_ms: s.hook_deadline.as_millis() as u64,
            turn_budget_ms: s.turn_budget.as_millis() as u64,
            max_memory_mib: n(s.max_memory_bytes >> 20),
            pool_memory_mib: n(s.pool_memory_bytes >> 20),
            idle_memory_mib: n(s.idle_memory_bytes >> 20),
            max_handles: n(s.max_handles),
            quarantine_after: u64::from(s.quarantine_after),
            quarantine_window_secs: s.quarantine_window.as_secs(),
            output_lines_per_second: u64::from(s.output_lines_per_second),
        }
    }
}

impl Default for PlayerSettings {
    fn default() -> Self {
        let l = wasmud_net::net::NetLimits::default();
        PlayerSettings {
            telnet: true,
            telnet_addr: wasmud_net::net::DEFAULT_TELNET_ADDR.to_owned(),
            web: true,
            web_addr: wasmud_net::net::DEFAULT_WEB_ADDR.to_owned(),
            web_origins: l.web_origins.clone(),
            max_connections: n(l.max_connections),
            max_connections_per_address: n(l.max_connections_per_address),
            connection_rate: u64::from(l.connection_rate),
            connection_rate_per_address: u64::from(l.connection_rate_per_address),
            commands_per_second: u64::from(l.commands_per_second),
            max_line_chars: n(l.max_line_chars),
            max_output_queue: n(l.output_queue),
            max_output_kib: n(l.output_bytes >> 10),
            login_timeout_secs: l.login_timeout.as_secs(),
            idle_timeout_secs: l.idle_timeout.map_or(0, |d| d.as_secs()),
            keepalive_secs: l.keepalive.as_secs(),
            max_failed_logins: u64::from(l.max_failed_logins),
            failed_login_window_secs: l.failed_login_window.as_secs(),
            max_new_accounts: u64::from(l.max_new_accounts),
            account_creation_window_secs: l.account_creation_window.as_secs(),
            concurrent_hashes: n(l.concurrent_hashes),
            http_header_timeout_secs: l.http_header_timeout.as_secs(),
            http_connection_life_secs: l.http_connection_life.as_secs(),
        }
    }
}

/// The settings a file holds (defaults for what it leaves out).
///
/// # Errors
/// toml's account of the first mistake: the line, the key, what was expected.
pub(super) fn from_file(text: &str) -> Result<Settings, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
}

/// The line (1-based) of each key written in `text`, as `section.key` paths.
pub(super) fn lines(text: &str) -> Vec<(String, usize)> {
    let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
    let mut out = Vec::new();
    let Ok(root) = toml::de::DeTable::parse(text) else {
        return out;
    };
    for (name, value) in root.get_ref() {
        if let toml::de::DeValue::Table(section) = value.get_ref() {
            for (inner, _) in section {
                out.push((
                    format!("{}.{}", name.get_ref(), inner.get_ref()),
                    line_of(inner.span().start),
                ));
            }
        } else {
            out.push((name.get_ref().to_string(), line_of(name.span().start)));
        }
    }
    out
}

impl Settings {
    /// The text of the setting at `path` (`Text` and `Path` keys only).
    fn text_mut(&mut self, path: &str) -> Option<&mut String> {
        match path {
            "store" => Some(&mut self.store),
            "scripts" => Some(&mut self.scripts),
            "grants" => Some(&mut self.grants),
            "artifacts" => Some(&mut self.artifacts),
            _ => None,
        }
    }

    /// Makes the relative path at `path` relative to `base` instead (a path written in the
    /// file is relative to the file).
    pub(super) fn rebase_path(&mut self, path: &str, base: &Path) {
        if let Some(text) = self.text_mut(path)
            && !text.is_empty()
            && Path::new(text.as_str()).is_relative()
        {
            *text = base.join(text.as_str()).display().to_string();
        }
    }

    /// Sets `key` from the words of a flag or an environment variable.
    ///
    /// # Errors
    /// What is wrong with the value, in a few words.
    pub(super) fn set(&mut self, key: &Key, words: &[String]) -> Result<(), String> {
        use toml::Value;
        let last = words.last().map_or("", String::as_str);
        let value = match key.kind {
            ValueKind::Text | ValueKind::Path => Value::String(last.to_owned()),
            ValueKind::Number => {
                let n: u64 = last
                    .trim()
                    .replace('_', "")
                    .parse()
                    .map_err(|_| format!("`{last}` is not a whole number (0 or more)"))?;
                Value::Integer(i64::try_from(n).map_err(|_| format!("`{last}` is too large"))?)
            }
            ValueKind::Switch => Value::Boolean(match last.trim() {
                "true" | "yes" | "on" | "1" => true,
                "false" | "no" | "off" | "0" => false,
                _ => return Err(format!("`{last}` is not `true` or `false`")),
            }),
            ValueKind::List => Value::Array(words.iter().cloned().map(Value::String).collect()),
        };
        let mut table = toml::Table::try_from(&*self).map_err(|e| e.to_string())?;
        let (section, name) = key.split();
        let target = if section.is_empty() {
            &mut table
        } else {
            table
                .get_mut(section)
                .and_then(Value::as_table_mut)
                .ok_or_else(|| format!("no section [{section}]"))?
        };
        target.insert(name.to_owned(), value);
        *self = table
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_owned())?;
        Ok(())
    }
}

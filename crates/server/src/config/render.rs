//! The configuration as text: the file written on first start (every default, commented
//! out, with what it means) and the effective configuration `wasmud config` prints.

use std::fmt::Write as _;

use super::keys::{KEYS, Key};
use super::{Resolved, Settings};

/// The text of a new `wasmud.toml`: every setting at its default, commented out.
pub fn template() -> String {
    let values = table(&Settings::default());
    let mut out = String::from(
        "# wasmud configuration. Every setting is here with its default, commented out:\n\
         # uncomment a line to change it. Flags and WASMUD_* environment variables override\n\
         # this file; `wasmud config --data <dir>` prints the values in force and where each\n\
         # came from. Paths are relative to this file's directory.\n",
    );
    each(&values, |key, value, new_section| {
        if let Some(section) = new_section {
            let _ = write!(out, "\n[{section}]\n");
        }
        out.push('\n');
        for line in wrap(key.doc, 90) {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "# {} = {value}", key.split().1);
    });
    out
}

/// The values in force as TOML, each with where it came from.
pub fn effective(resolved: &Resolved) -> String {
    let mut settings = resolved.settings.clone();
    // The store's connection string may hold a password: never print it.
    settings.store = crate::location::redact(&settings.store);
    let values = table(&settings);
    let mut out = match &resolved.file {
        Some(file) => format!("# configuration: {}\n", file.display()),
        None => "# configuration: no file (defaults, environment, flags)\n".to_owned(),
    };
    each(&values, |key, value, new_section| {
        if let Some(section) = new_section {
            let _ = write!(out, "\n[{section}]\n");
        }
        let source = resolved
            .sources
            .get(key.path)
            .map_or_else(|| "default".to_owned(), ToString::to_string);
        let _ = writeln!(out, "{} = {value}  # {source}", key.split().1);
    });
    out
}

fn table(settings: &Settings) -> toml::Table {
    toml::Table::try_from(settings).expect("settings are plain TOML values")
}

/// Calls `f` for each key with its value as TOML and, at the first key of a section, the
/// section's name.
fn each(values: &toml::Table, mut f: impl FnMut(&Key, String, Option<&str>)) {
    let mut section = "";
    for key in KEYS {
        let (in_section, name) = key.split();
        let value = if in_section.is_empty() {
            values.get(name)
        } else {
            values
                .get(in_section)
                .and_then(toml::Value::as_table)
                .and_then(|t| t.get(name))
        };
        let shown = value.map_or_else(String::new, ToString::to_string);
        let new_section = (in_section != section).then_some(in_section);
        section = in_section;
        f(key, shown, new_section);
    }
}

/// `text` in lines of at most `width` characters (words are not broken).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

//! Finding objects by part of a name, as Evennia's `find` does: `find rose` finds "a red
//! rose", `find red ro` too, and an exit called "north" with the alias "n" is found by `n`.
//!
//! A query matches a name when every word of the query begins some word of the name (ASCII
//! case ignored; words are split at anything that is not a letter or a digit). Names are the
//! object's key and its aliases (the `aliases` attribute: a JSON list of strings, or one
//! string). It reads a snapshot and scans the keys and the attributes, so callers run it off
//! the world thread.

use std::collections::BTreeMap;

use serde::Serialize;
use wasmud_common::{ObjectId, Value};

use crate::StoreError;
use crate::view::StoreView;

/// The attribute whose strings are an object's other names.
pub const ALIASES: &str = "aliases";

/// One object `find` matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Found {
    /// Its id.
    pub id: ObjectId,
    /// Its key.
    pub key: String,
    /// Its typeclass.
    pub typeclass: String,
    /// Its key equals the query (ASCII case ignored).
    pub exact: bool,
    /// The alias that matched, when the key did not.
    pub alias: Option<String>,
}

/// What [`find`] found: exact matches first, then by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finds {
    /// The objects, at most the limit asked for.
    pub objects: Vec<Found>,
    /// More objects matched than were listed.
    pub more: bool,
}

/// The words of `name`, lower-cased.
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// True if every word of `query` (already split) begins a word of `name`.
fn matches(query: &[String], name: &str) -> bool {
    let name: Vec<String> = words(name).collect();
    !query.is_empty()
        && query
            .iter()
            .all(|q| name.iter().any(|w| w.starts_with(q.as_str())))
}

/// The aliases an `aliases` attribute holds.
fn aliases(value: &Value) -> Vec<String> {
    match value {
        Value::Text(text) => vec![text.to_string()],
        Value::Json(json) => serde_json::from_str::<Vec<serde_json::Value>>(json)
            .map(|list| {
                list.into_iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The first `limit` matches in listing order, keyed by (not exact, id).
struct Best {
    kept: BTreeMap<(bool, ObjectId), Option<String>>,
    limit: usize,
    /// A match was dropped for being past the limit.
    more: bool,
}

impl Best {
    fn offer(&mut self, id: ObjectId, exact: bool, alias: Option<String>) {
        self.kept.insert((!exact, id), alias);
        if self.kept.len() > self.limit {
            self.kept.pop_last();
            self.more = true;
        }
    }

    /// Whether `id` is kept already. (One dropped as past the limit may be offered again by its
    /// alias: it is past the limit again, since what is kept only gets better.)
    fn has(&self, id: ObjectId) -> bool {
        self.kept.contains_key(&(true, id)) || self.kept.contains_key(&(false, id))
    }
}

/// The objects of `view` whose key or an alias matches `query` (see the module docs), exact
/// key matches first, then by id; at most `limit`.
///
/// # Errors
/// [`StoreError`] on a storage failure or an undecodable record.
pub fn find(view: &dyn StoreView, query: &str, limit: usize) -> Result<Finds, StoreError> {
    let query_words: Vec<String> = words(query).collect();
    let folded = query.trim().to_ascii_lowercase();
    // The best `limit` so far, in listing order (exact key first, then by id), with the
    // alias that matched: however many objects match, the scan holds at most `limit + 1`.
    let mut hits = Best {
        kept: BTreeMap::new(),
        limit,
        more: false,
    };
    view.scan_keys(&mut |key, id| {
        let exact = key == folded;
        if exact || matches(&query_words, key) {
            hits.offer(id, exact, None);
        }
        Ok(())
    })?;
    view.scan_attr(ALIASES, &mut |(id, value)| {
        if !hits.has(id)
            && let Some(alias) = aliases(&value)
                .into_iter()
                .find(|a| a.eq_ignore_ascii_case(query.trim()) || matches(&query_words, a))
        {
            hits.offer(id, false, Some(alias));
        }
        Ok(())
    })?;
    let more = hits.more;
    let mut objects = Vec::with_capacity(hits.kept.len());
    for ((not_exact, id), alias) in hits.kept {
        let Some(record) = view.record(id)? else {
            continue;
        };
        objects.push(Found {
            id,
            key: record.key.into(),
            typeclass: record.typeclass.into(),
            exact: !not_exact,
            alias,
        });
    }
    Ok(Finds { objects, more })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(query: &str) -> Vec<String> {
        words(query).collect()
    }

    #[test]
    fn every_query_word_begins_a_word_of_the_name() {
        assert!(matches(&q("rose"), "a red rose"));
        assert!(matches(&q("red ro"), "A Red Rose"));
        assert!(matches(&q("ROSE"), "rose-bush"));
        assert!(!matches(&q("ose"), "a red rose"));
        assert!(!matches(&q("rose blue"), "a red rose"));
        assert!(!matches(&q(""), "a red rose"));
        assert_eq!(
            aliases(&Value::Json(r#"["n","North Gate",3]"#.into())),
            ["n", "North Gate"]
        );
        assert_eq!(aliases(&Value::Text("n".into())), ["n"]);
        assert!(aliases(&Value::Int(1)).is_empty());
    }
}

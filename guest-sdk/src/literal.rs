//! [`parse_literal`]: what a builder types after `set <obj>/<attr> =`, read the way Evennia
//! reads it (Python's `literal_eval`): numbers, quoted strings, lists, tuples, dicts, `True`,
//! `False` and `None`; anything else is the text itself.

use serde_json::{Map, Number, Value as Json};

/// How deep lists and dicts may nest (deeper input is kept as text, not parsed).
pub const MAX_DEPTH: usize = 32;

/// A value a builder typed, ready to store with [`crate::Attrs::set_literal`].
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// `None`.
    Null,
    /// `True` or `False`.
    Boolean(bool),
    /// A whole number that fits in 64 bits.
    Integer(i64),
    /// A number with a fraction or an exponent (or too big for 64 bits).
    Float(f64),
    /// A quoted string, or any input that is not a literal (stored as typed, trimmed).
    Text(String),
    /// A list, tuple or dict, as JSON (a tuple becomes a list; dict keys become strings).
    Json(String),
}

/// Reads `input` as a Python literal; input that is not one (`a red rose`, `[1,`) is
/// [`Literal::Text`] of the trimmed input, as in Evennia.
pub fn parse_literal(input: &str) -> Literal {
    let text = input.trim();
    let mut parser = Parser {
        rest: text,
        depth: 0,
    };
    let parsed = parser
        .value()
        .filter(|_| parser.rest.trim_start().is_empty());
    match parsed {
        Some(Json::Null) => Literal::Null,
        Some(Json::Bool(b)) => Literal::Boolean(b),
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Literal::Integer(i),
            None => Literal::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Some(Json::String(s)) => Literal::Text(s),
        Some(other) => Literal::Json(other.to_string()),
        None => Literal::Text(text.to_owned()),
    }
}

struct Parser<'a> {
    rest: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn value(&mut self) -> Option<Json> {
        self.skip_space();
        let first = self.rest.chars().next()?;
        match first {
            '[' => self.sequence('[', ']'),
            '(' => self.sequence('(', ')'),
            '{' => self.dict(),
            '\'' | '"' => self.string(first).map(Json::String),
            _ => self.word(),
        }
    }

    /// `True`, `False`, `None` or a number.
    fn word(&mut self) -> Option<Json> {
        let end = self
            .rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_')))
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        let value = match word {
            "True" => Json::Bool(true),
            "False" => Json::Bool(false),
            "None" => Json::Null,
            _ => number(word)?,
        };
        self.rest = rest;
        Some(value)
    }

    /// A quoted string with Python's common escapes.
    fn string(&mut self, quote: char) -> Option<String> {
        let mut out = String::new();
        let mut chars = self.rest[quote.len_utf8()..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.rest = &self.rest[quote.len_utf8() + i + c.len_utf8()..];
                    return Some(out);
                }
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
        None
    }

    fn nest(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A list or tuple (trailing comma allowed).
    fn sequence(&mut self, open: char, close: char) -> Option<Json> {
        self.nest()?;
        self.eat(open);
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                break;
            }
            items.push(self.value()?);
            if !self.eat(',') {
                if !self.eat(close) {
                    return None;
                }
                break;
            }
        }
        self.depth -= 1;
        Some(Json::Array(items))
    }

    /// A dict. Keys are strings, numbers, booleans or `None` (a number's key is its text:
    /// JSON keys are strings); a list or dict as a key is not a literal, as in Python (and
    /// its text, escaped again at every level, would double with each one).
    fn dict(&mut self) -> Option<Json> {
        self.nest()?;
        self.eat('{');
        let mut map = Map::new();
        loop {
            if self.eat('}') {
                break;
            }
            let key = match self.value()? {
                Json::String(s) => s,
                Json::Array(_) | Json::Object(_) => return None,
                scalar => scalar.to_string(),
            };
            if !self.eat(':') {
                return None;
            }
            let value = self.value()?;
            map.insert(key, value);
            if !self.eat(',') {
                if !self.eat('}') {
                    return None;
                }
                break;
            }
        }
        self.depth -= 1;
        Some(Json::Object(map))
    }
}

/// A Python number: an integer (`-3`, `1_000`), or a float (`2.5`, `1e3`, `.5`).
fn number(word: &str) -> Option<Json> {
    let digits = word.replace('_', "");
    if word.starts_with('_') || word.ends_with('_') || word.contains("__") {
        return None;
    }
    let unsigned = digits.trim_start_matches(['+', '-']);
    if unsigned.is_empty() || !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if digits
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
        && let Ok(i) = digits.parse::<i64>()
    {
        return Some(Json::Number(i.into()));
    }
    let x: f64 = digits.parse().ok()?;
    Number::from_f64(x).map(Json::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn evennia_examples() {
        assert_eq!(parse_literal("42"), Literal::Integer(42));
        assert_eq!(parse_literal(" -7 "), Literal::Integer(-7));
        assert_eq!(parse_literal("2.5"), Literal::Float(2.5));
        assert_eq!(parse_literal("1e3"), Literal::Float(1000.0));
        assert_eq!(parse_literal("True"), Literal::Boolean(true));
        assert_eq!(parse_literal("None"), Literal::Null);
        assert_eq!(parse_literal("'a rose'"), Literal::Text("a rose".into()));
        assert_eq!(
            parse_literal(r#""say \"hi\"""#),
            Literal::Text("say \"hi\"".into())
        );
        assert_eq!(
            parse_literal("['n', 'north']"),
            Literal::Json(r#"["n","north"]"#.into())
        );
        assert_eq!(parse_literal("(1, 2,)"), Literal::Json("[1,2]".into()));
        assert_eq!(
            parse_literal("{'hp': 10, 3: [True, None]}"),
            Literal::Json(r#"{"3":[true,null],"hp":10}"#.into())
        );
        // Not literals: kept as typed.
        for text in [
            "a red rose",
            "[1,",
            "true",
            "12abc",
            "'open",
            "1 2",
            "{'a' 1}",
        ] {
            assert_eq!(parse_literal(text), Literal::Text(text.into()), "{text}");
        }
        assert_eq!(parse_literal("  a  "), Literal::Text("a".into()));
        assert_eq!(parse_literal(""), Literal::Text(String::new()));
    }

    #[test]
    fn a_list_or_dict_is_not_a_key() {
        for text in ["{[1]: 2}", "{{'a': 1}: 1}", "{{{'a': 1}: 1}: 1}"] {
            assert_eq!(parse_literal(text), Literal::Text(text.into()), "{text}");
        }
        // Nested dicts as keys, 32 deep: still only the input's size, as text.
        let mut deep = "{'a': 1}".to_owned();
        for _ in 0..31 {
            deep = format!("{{{deep}: 1}}");
        }
        assert_eq!(parse_literal(&deep), Literal::Text(deep.clone()));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_literal(&deep), Literal::Text(deep.clone()));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(matches!(parse_literal(&ok), Literal::Json(_)));
    }

    /// A JSON value and how Python would write it.
    fn python_value() -> impl Strategy<Value = (Json, String)> {
        let leaf = prop_oneof![
            Just((Json::Null, "None".to_owned())),
            any::<bool>()
                .prop_map(|b| (Json::Bool(b), if b { "True" } else { "False" }.to_owned())),
            any::<i64>().prop_map(|i| (Json::Number(i.into()), i.to_string())),
            "[a-zA-Z0-9 ,:\\[\\]{}()'\"\\\\]{0,12}".prop_map(|s| {
                let quoted = format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"));
                (Json::String(s), quoted)
            }),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(|items| {
                    let text = items.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>();
                    let json = items.iter().map(|(j, _)| j.clone()).collect();
                    (Json::Array(json), format!("[{}]", text.join(", ")))
                }),
                prop::collection::btree_map("[a-z]{1,6}", inner, 0..5).prop_map(|entries| {
                    let text = entries
                        .iter()
                        .map(|(k, (_, t))| format!("'{k}': {t}"))
                        .collect::<Vec<_>>();
                    let json = entries.into_iter().map(|(k, (j, _))| (k, j)).collect();
                    (Json::Object(json), format!("{{{}}}", text.join(", ")))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_input_is_read_without_panicking_and_text_is_kept(input in ".{0,200}") {
            if let Literal::Text(text) = parse_literal(&input) {
                // Text is the input itself (trimmed) unless it was a quoted string.
                let trimmed = input.trim();
                prop_assert!(text == trimmed || trimmed.starts_with(['\'', '"']));
            }
        }

        #[test]
        fn what_python_writes_is_read_back(value in python_value()) {
            let (json, text) = value;
            let expected = match &json {
                Json::Null => Literal::Null,
                Json::Bool(b) => Literal::Boolean(*b),
                Json::Number(n) => Literal::Integer(n.as_i64().unwrap()),
                Json::String(s) => Literal::Text(s.clone()),
                other => Literal::Json(other.to_string()),
            };
            prop_assert_eq!(parse_literal(&text), expected);
        }

        #[test]
        fn adversarial_brackets_never_panic_nor_grow(input in "[\\[\\]{}(),:'\"\\\\ 0-9a-zTFN.]{0,400}") {
            // What is stored is never much bigger than what was typed (escaping quotes and
            // backslashes at most doubles a string; `None` becomes `null`).
            let size = match parse_literal(&input) {
                Literal::Text(t) | Literal::Json(t) => t.len(),
                _ => 0,
            };
            prop_assert!(size <= 2 * input.len() + 8, "{} -> {}", input.len(), size);
        }
    }
}

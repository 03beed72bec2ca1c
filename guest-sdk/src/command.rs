//! Reading a command's arguments the way Evennia's builder commands do: `<lhs> = <rhs>`,
//! comma-separated lists, and `name;alias;alias` specs.

/// Splits arguments at the first `=` into a trimmed left side and, if there was an `=`, a
/// trimmed right side: `desc here = A hall.` gives `("here", Some("A hall."))`.
pub fn split_assign(args: &str) -> (&str, Option<&str>) {
    match args.split_once('=') {
        Some((lhs, rhs)) => (lhs.trim(), Some(rhs.trim())),
        None => (args.trim(), None),
    }
}

/// The trimmed, non-empty items of a comma-separated list: `north;n, south;s`.
pub fn split_list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A name with aliases, as builders type it: `north;n;up`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSpec {
    /// The key: the first name (trimmed; may be empty if nothing was typed before a `;`).
    pub key: String,
    /// The other names, trimmed, without empty ones or repeats of the key (ignoring case).
    pub aliases: Vec<String>,
}

impl NameSpec {
    /// Reads `name;alias;alias`.
    pub fn parse(spec: &str) -> NameSpec {
        let mut names = spec.split(';').map(str::trim);
        let key = names.next().unwrap_or_default().to_owned();
        let mut aliases: Vec<String> = Vec::new();
        for alias in names {
            if !alias.is_empty()
                && !alias.eq_ignore_ascii_case(&key)
                && !aliases.iter().any(|a| a.eq_ignore_ascii_case(alias))
            {
                aliases.push(alias.to_owned());
            }
        }
        NameSpec { key, aliases }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn evennia_shapes() {
        assert_eq!(
            split_assign("here = A hall. = B"),
            ("here", Some("A hall. = B"))
        );
        assert_eq!(split_assign(" box "), ("box", None));
        assert_eq!(split_assign("rose/colour ="), ("rose/colour", Some("")));
        assert_eq!(split_list("north;n , south;s,, "), ["north;n", "south;s"]);
        assert_eq!(
            NameSpec::parse(" north ; n;N; ;up;north"),
            NameSpec {
                key: "north".into(),
                aliases: vec!["n".into(), "up".into()]
            }
        );
        assert_eq!(NameSpec::parse("").key, "");
    }

    proptest! {
        #[test]
        fn assignment_keeps_both_sides(lhs in "[^=]{0,40}", rhs in ".{0,40}") {
            let joined = format!("{lhs}={rhs}");
            prop_assert_eq!(split_assign(&joined), (lhs.trim(), Some(rhs.trim())));
            prop_assert_eq!(split_assign(&lhs), (lhs.trim(), None));
        }

        #[test]
        fn name_specs_have_clean_names(spec in ".{0,80}") {
            let parsed = NameSpec::parse(&spec);
            prop_assert!(!parsed.key.contains(';'));
            prop_assert_eq!(parsed.key.trim(), parsed.key.as_str());
            for alias in &parsed.aliases {
                prop_assert!(!alias.is_empty() && !alias.contains(';'));
                prop_assert_eq!(alias.trim(), alias.as_str());
                prop_assert!(!alias.eq_ignore_ascii_case(&parsed.key));
            }
        }

        #[test]
        fn list_items_are_trimmed_and_never_empty(text in ".{0,80}") {
            for item in split_list(&text) {
                prop_assert!(!item.is_empty() && !item.contains(','));
                prop_assert_eq!(item.trim(), item);
            }
        }
    }
}

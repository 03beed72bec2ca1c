//! A command-line flag for every setting, made from [`super::keys::KEYS`] (so a new setting
//! gets its flag, its help and its environment variable in one place).

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use super::keys::{FlagKind, KEYS, Key};

/// The settings given as flags: each key that was given and its words, in [`KEYS`] order.
#[derive(Clone, Debug, Default)]
pub struct SettingFlags {
    given: Vec<(&'static Key, Vec<String>)>,
}

impl SettingFlags {
    /// The keys given on the command line, each with its value(s) as typed.
    pub fn given(&self) -> impl Iterator<Item = (&'static Key, Vec<String>)> + '_ {
        self.given.iter().map(|(k, w)| (*k, w.clone()))
    }
}

impl FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = SettingFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        for key in KEYS {
            let words: Vec<String> = match key.flag_kind {
                FlagKind::Off => {
                    if !matches.get_flag(key.flag) {
                        continue;
                    }
                    vec!["false".to_owned()]
                }
                FlagKind::Value | FlagKind::Many => match matches.get_many::<String>(key.flag) {
                    Some(values) => values.cloned().collect(),
                    None => continue,
                },
            };
            self.given.retain(|(k, _)| k.path != key.path);
            self.given.push((key, words));
        }
        Ok(())
    }
}

impl Args for SettingFlags {
    fn augment_args(mut cmd: Command) -> Command {
        for key in KEYS {
            let help = format!("{} [config: {}; env: {}]", key.doc, key.path, key.env_var());
            let arg = Arg::new(key.flag).long(key.flag).help(help);
            let arg = match key.flag_kind {
                FlagKind::Off => arg.action(ArgAction::SetTrue),
                FlagKind::Value => arg.action(ArgAction::Set).value_name(value_name(key)),
                FlagKind::Many => arg.action(ArgAction::Append).value_name(value_name(key)),
            };
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

fn value_name(key: &Key) -> &'static str {
    use super::keys::ValueKind;
    match key.kind {
        ValueKind::Number => "N",
        ValueKind::Path => "PATH",
        ValueKind::Switch => "BOOL",
        ValueKind::Text | ValueKind::List => "TEXT",
    }
}

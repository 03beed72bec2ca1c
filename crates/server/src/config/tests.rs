use std::path::Path;

use clap::{FromArgMatches as _, Parser};

use super::*;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    flags: SettingFlags,
}

fn flags(args: &[&str]) -> SettingFlags {
    let mut argv = vec!["wasmud"];
    argv.extend_from_slice(args);
    let matches = <Cli as clap::CommandFactory>::command()
        .try_get_matches_from(argv)
        .expect("flags parse");
    SettingFlags::from_arg_matches(&matches).expect("flags read")
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn with_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(CONFIG_FILE);
    std::fs::write(&file, text).expect("write");
    (dir, file)
}

#[test]
fn every_setting_has_one_key_in_the_table_in_the_files_order() {
    let table = toml::Table::try_from(Settings::default()).expect("table");
    let mut paths = Vec::new();
    for (name, value) in &table {
        match value.as_table() {
            Some(section) => paths.extend(section.keys().map(|k| format!("{name}.{k}"))),
            None => paths.push(name.clone()),
        }
    }
    let keys: Vec<String> = KEYS.iter().map(|k| k.path.to_owned()).collect();
    let (mut a, mut b) = (paths.clone(), keys.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b, "Settings and keys::KEYS list the same settings");
    let flags: std::collections::BTreeSet<_> = KEYS.iter().map(|k| k.flag).collect();
    assert_eq!(flags.len(), KEYS.len(), "no two settings share a flag");
}

#[test]
fn the_file_written_on_first_start_holds_the_defaults_and_means_them_uncommented() {
    let text = template();
    assert_eq!(
        settings::from_file(&text).expect("parses"),
        Settings::default(),
        "all commented out"
    );
    let uncommented: String = text
        .lines()
        .map(|line| {
            let names = KEYS.iter().map(|k| k.split().1);
            match line.strip_prefix("# ") {
                Some(rest) if names.clone().any(|n| rest.starts_with(&format!("{n} = "))) => {
                    rest.to_owned()
                }
                _ => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        settings::from_file(&uncommented).expect("parses"),
        Settings::default(),
        "{uncommented}"
    );
    assert_eq!(
        settings::lines(&uncommented).len(),
        KEYS.len(),
        "every key is written once"
    );
}

#[test]
fn an_unknown_key_or_a_wrong_type_is_named_with_its_line() {
    let (_dir, file) = with_file("watch = true\n\n[sandbox]\nhook_deadline_msec = 10\n");
    let err = resolve(&file, no_env, &flags(&[])).expect_err("unknown key");
    let text = err.to_string();
    assert!(text.contains("line 4"), "{text}");
    assert!(text.contains("hook_deadline_msec"), "{text}");

    let (_dir, file) = with_file("[players]\nmax_connections = \"many\"\n");
    let text = resolve(&file, no_env, &flags(&[]))
        .expect_err("a string for a number")
        .to_string();
    assert!(text.contains("line 2"), "{text}");

    let (_dir, file) = with_file("[sandbox]\nturn_budget_ms = -1\n");
    let text = resolve(&file, no_env, &flags(&[]))
        .expect_err("negative")
        .to_string();
    assert!(text.contains("line 2"), "{text}");
}

#[test]
fn flags_beat_the_environment_which_beats_the_file_and_each_source_is_kept() {
    let (_dir, file) = with_file(
        "[sandbox]\nhook_deadline_ms = 70\nturn_budget_ms = 300\n\n[players]\nmax_connections = 5\n",
    );
    let env = |var: &str| match var {
        "WASMUD_SANDBOX_TURN_BUDGET_MS" => Some("400".to_owned()),
        "WASMUD_PLAYERS_MAX_CONNECTIONS" => Some("6".to_owned()),
        "WASMUD_PLAYERS_WEB_ORIGINS" => Some("https://a.example, https://b.example".to_owned()),
        _ => None,
    };
    let resolved = resolve(
        &file,
        env,
        &flags(&["--max-connections", "7", "--no-telnet"]),
    )
    .expect("resolves");
    let s = &resolved.settings;
    assert_eq!(s.sandbox.hook_deadline_ms, 70);
    assert_eq!(s.sandbox.turn_budget_ms, 400);
    assert_eq!(s.players.max_connections, 7);
    assert!(!s.players.telnet);
    assert_eq!(
        s.players.web_origins,
        ["https://a.example", "https://b.example"]
    );
    let source = |k| resolved.sources[k].to_string();
    assert_eq!(
        source("sandbox.hook_deadline_ms"),
        format!("{} line 2", file.display())
    );
    assert_eq!(
        source("sandbox.turn_budget_ms"),
        "environment WASMUD_SANDBOX_TURN_BUDGET_MS"
    );
    assert_eq!(source("players.max_connections"), "flag --max-connections");
    assert_eq!(source("players.telnet"), "flag --no-telnet");
    assert_eq!(source("watch"), "default");

    let config = resolved.serve_config(Path::new("data")).expect("usable");
    assert_eq!(
        config.options.sandbox.hook_deadline,
        Duration::from_millis(70)
    );
    assert_eq!(config.net.limits.max_connections, 7);
    assert_eq!(config.net.telnet, None);
    assert!(config.net.web.is_some());
    assert_eq!(config.scripts, Path::new("data/typeclasses"));
}

#[test]
fn a_bad_value_names_its_key_and_where_it_was_written() {
    let env = |var: &str| (var == "WASMUD_PLAYERS_TELNET_ADDR").then(|| "localhost".to_owned());
    let resolved = resolve(Path::new("/nonexistent/wasmud.toml"), env, &flags(&[])).expect("ok");
    let text = resolved
        .serve_config(Path::new("data"))
        .expect_err("not an address")
        .to_string();
    assert!(text.contains("players.telnet_addr"), "{text}");
    assert!(text.contains("WASMUD_PLAYERS_TELNET_ADDR"), "{text}");

    let text = resolve(
        Path::new("/nonexistent/wasmud.toml"),
        no_env,
        &flags(&["--hook-deadline-ms", "fast"]),
    )
    .expect_err("not a number")
    .to_string();
    assert!(text.contains("sandbox.hook_deadline_ms"), "{text}");
    assert!(text.contains("--hook-deadline-ms"), "{text}");

    let (_dir, file) = with_file("[commit]\npolicy = \"sometimes\"\n");
    let resolved = resolve(&file, no_env, &flags(&[])).expect("a string is a string");
    let text = resolved
        .serve_config(Path::new("data"))
        .expect_err("no such policy")
        .to_string();
    assert!(text.contains("commit.policy"), "{text}");
    assert!(text.contains("line 2"), "{text}");

    let text = resolve(
        Path::new("/nonexistent/wasmud.toml"),
        no_env,
        &flags(&["--log-format", "xml"]),
    )
    .expect_err("no such format")
    .to_string();
    assert!(text.contains("log_format"), "{text}");
}

#[test]
fn paths_in_the_file_are_relative_to_it_and_flags_to_the_working_directory() {
    let (dir, file) = with_file("scripts = \"game\"\ngrants = \"/etc/wasmud/grants.toml\"\n");
    let resolved = resolve(&file, no_env, &flags(&["--artifacts", "cache"])).expect("ok");
    let s = &resolved.settings;
    assert_eq!(Path::new(&s.scripts), dir.path().join("game"));
    assert_eq!(s.grants, "/etc/wasmud/grants.toml");
    assert_eq!(s.artifacts, "cache");
}

#[test]
fn the_effective_configuration_is_toml_with_the_values_in_force() {
    let resolved = resolve(
        Path::new("/nonexistent/wasmud.toml"),
        no_env,
        &flags(&["--turn-budget-ms", "900"]),
    )
    .expect("ok");
    let text = effective(&resolved);
    let back = settings::from_file(&text).expect("the output is TOML");
    assert_eq!(back.sandbox.turn_budget_ms, 900);
    assert!(
        text.contains("turn_budget_ms = 900  # flag --turn-budget-ms"),
        "{text}"
    );
}

#[test]
fn the_defaults_are_written_once_and_never_over_an_operators_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(CONFIG_FILE);
    assert!(write_defaults(&file).expect("written"));
    std::fs::write(&file, "watch = false\n").expect("edit");
    assert!(!write_defaults(&file).expect("kept"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "watch = false\n"
    );
}

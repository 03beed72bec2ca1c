//! What an operator types around a running server, through the real binary: a backup file
//! named relative to where the command is typed means the same from `wasmud backup`, from
//! `wasmud console ... backup` and from the console's prompt, wherever the server runs.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::Server;

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");

#[test]
fn a_relative_backup_file_is_relative_to_where_the_command_was_typed() {
    let server = Server::start(&[]);
    let here = tempfile::tempdir().expect("tempdir");
    let data = server.data().to_str().expect("utf-8 path").to_owned();

    let out = Command::new(BIN)
        .args(["backup", "--data", &data, "one.redb"])
        .current_dir(here.path())
        .output()
        .expect("run backup");
    assert!(out.status.success(), "{out:?}");

    let out = Command::new(BIN)
        .args(["console", "--data", &data, "backup", "two.redb"])
        .current_dir(here.path())
        .output()
        .expect("run console");
    assert!(out.status.success(), "{out:?}");

    let mut prompt = Command::new(BIN)
        .args(["console", "--data", &data])
        .current_dir(here.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the console's prompt");
    prompt
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"backup \"three file.redb\"\nexit\n")
        .expect("type");
    let out = prompt.wait_with_output().expect("prompt ends");
    assert!(out.status.success(), "{out:?}");

    for name in ["one.redb", "two.redb", "three file.redb"] {
        let file = here.path().join(name);
        assert!(
            file.metadata().is_ok_and(|m| m.len() > 0),
            "{name} is not in the directory it was typed in: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Digits as `N`: ids and timings differ from run to run, the words around them may not.
fn shape(line: &str) -> String {
    let mut out = String::new();
    for c in line.trim_end().chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_console_command_in_the_readme_runs_on_the_demo_world_as_shown() {
    const PROMPT: &str = "$ cargo run --release -- console --data data ";
    let readme = include_str!("../../README.md");
    let lines: Vec<&str> = readme.lines().collect();
    let server = Server::start(&[]);
    let data = server.data().to_str().expect("utf-8 path").to_owned();
    let mut ran = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.strip_prefix(PROMPT) else {
            continue;
        };
        let words = shlex::split(rest).expect("shell words");
        let shown = lines[i + 1];
        let out = Command::new(BIN)
            .args(["console", "--data", &data])
            .args(&words)
            .output()
            .expect("run console");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let expect_failure = shown.starts_with("error:");
        assert_eq!(
            out.status.success(),
            !expect_failure,
            "README line {}: `{rest}` said:\n{said}",
            i + 1
        );
        let first = said.lines().next().unwrap_or_default();
        assert_eq!(
            shape(first),
            shape(shown),
            "README line {}: `{rest}` said:\n{said}",
            i + 1
        );
        ran += 1;
    }
    assert!(
        ran >= 6,
        "the README's console session was found ({ran} commands)"
    );
}

/// Every other `wasmud` command the README shows (`cargo run --release -- ...`) is one the
/// binary takes: its subcommand and flags parse (`--help` after them stops before running;
/// clap refuses an unknown flag before it gets there). The ones that run for real are run
/// elsewhere: `serve` by every server test, `backup` and `check` here and in `check.rs`, `new`,
/// `build` and `test` in `authoring.rs` and `transcripts.rs`, `config` below.
#[test]
fn every_wasmud_command_in_the_readme_is_one_the_binary_takes() {
    const RUN: &str = "cargo run --release -- ";
    let readme = include_str!("../../README.md");
    let mut checked = Vec::new();
    for (i, line) in readme.lines().enumerate() {
        let Some(at) = line.find(RUN) else {
            continue;
        };
        if line[..at].contains('`') && !line.trim_start().starts_with("$ ") {
            continue; // prose: "`cargo run --release -- bench` prints ..."
        }
        let rest = &line[at + RUN.len()..];
        let rest = rest.split(" #").next().unwrap_or_default();
        let rest = rest.replace("[--repair]", "--repair");
        let words = shlex::split(&rest).expect("shell words");
        if words[0] == "console" {
            continue; // run as shown by the test above
        }
        let out = Command::new(BIN)
            .args(&words)
            .arg("--help")
            .output()
            .expect("run wasmud");
        assert!(
            out.status.success(),
            "README line {}: `{rest}`: {}",
            i + 1,
            String::from_utf8_lossy(&out.stderr)
        );
        checked.push(words[0].clone());
    }
    for command in [
        "serve", "backup", "check", "bench", "config", "new", "build", "test",
    ] {
        assert!(
            checked.iter().any(|c| c == command),
            "{command}: {checked:?}"
        );
    }
}

/// The README's `wasmud config` example, run: each value comes from where it says.
#[test]
fn the_readmes_config_example_shows_where_each_value_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("wasmud.toml"),
        "[sandbox]\nhook_deadline_ms = 70\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "config",
            "--data",
            data.to_str().unwrap(),
            "--max-connections",
            "50",
        ])
        .env("WASMUD_SANDBOX_TURN_BUDGET_MS", "400")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    let file = data.join("wasmud.toml");
    for line in [
        format!("hook_deadline_ms = 70  # {} line 2", file.display()),
        "turn_budget_ms = 400  # environment WASMUD_SANDBOX_TURN_BUDGET_MS".to_owned(),
        "max_connections = 50  # flag --max-connections".to_owned(),
        "scripts = \"\"  # default".to_owned(),
    ] {
        assert!(shown.contains(&line), "{line}\n{shown}");
    }
}

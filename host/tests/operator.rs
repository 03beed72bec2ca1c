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

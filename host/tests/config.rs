//! The real binary's configuration: `serve` writes `<data>/wasmud.toml` with commented defaults
//! on first start, an operator's edit is in force on the next start, the environment and the
//! flags override it, `wasmud config` says where each value came from, and a mistake stops
//! `serve` with the key and the line. The log: no terminal escapes in a file, JSON on request,
//! one line per event.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Client;

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");

/// `wasmud config --data <data>` with `args` and `env`.
fn config(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .arg("config")
        .arg("--data")
        .arg(data)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run wasmud config")
}

/// `wasmud serve` on loopback ports with `args`, its log in `log`.
fn serve(data: &Path, log: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(BIN)
        .args(["serve", "--no-prompt", "--no-watch", "--no-web"])
        .args([
            "--telnet-addr",
            "127.0.0.1:0",
            "--console-addr",
            "127.0.0.1:0",
        ])
        .args(args)
        .arg("--data")
        .arg(data)
        .envs(env.iter().copied())
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("start wasmud")
}

fn wait_up(data: &Path, child: &mut Child, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !data.join("telnet.addr").exists() || !data.join("console.addr").exists() {
        if let Some(status) = child.try_wait().expect("poll") {
            panic!("serve exited ({status}):\n{}", read(log));
        }
        assert!(Instant::now() < deadline, "never came up:\n{}", read(log));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(mut child: Child, data: &Path) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(child.wait().expect("wait").success());
    for f in ["telnet.addr", "console.addr"] {
        let _ = std::fs::remove_file(data.join(f));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The line of `file` that sets `name`, 1-based.
fn line_of(file: &str, name: &str) -> usize {
    file.lines()
        .position(|l| l.starts_with(&format!("{name} = ")))
        .expect("set")
        + 1
}

#[test]
fn the_file_written_on_first_start_is_in_force_once_edited_and_flags_and_env_override_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let file = data.join("wasmud.toml");

    // First start: the file is written, every default commented out; the log is a file, so
    // it has no terminal escapes.
    let mut child = serve(&data, &log, &[], &[]);
    wait_up(&data, &mut child, &log);
    stop(child, &data);
    let written = read(&file);
    assert!(written.starts_with("# wasmud configuration."), "{written}");
    assert!(
        written.contains("\n# max_connections = 1000\n"),
        "{written}"
    );
    let logged = read(&log);
    assert!(
        logged.contains("wrote the configuration's defaults"),
        "{logged}"
    );
    assert!(
        !logged.contains('\x1b'),
        "no escapes in a log file:\n{logged}"
    );

    // The operator uncomments one line and changes it: one player at a time.
    let edited = written.replace("# max_connections = 1000", "max_connections = 1");
    std::fs::write(&file, &edited).expect("edit");
    let line = line_of(&edited, "max_connections");

    let out = config(&data, &[], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        shown.contains(&format!(
            "max_connections = 1  # {} line {line}",
            file.display()
        )),
        "{shown}"
    );
    assert!(
        shown.contains("hook_deadline_ms = 50  # default"),
        "{shown}"
    );

    let mut child = serve(&data, &log, &[], &[]);
    wait_up(&data, &mut child, &log);
    let addr = read(&data.join("telnet.addr")).trim().to_owned();
    let mut first = Client::connect(&addr);
    first.expect("Welcome to wasmud.");
    let mut second = Client::connect(&addr);
    second.expect("The server is full; please try again later.");
    drop((first, second));
    stop(child, &data);

    // The environment overrides the file, a flag overrides both.
    let env = [("WASMUD_PLAYERS_MAX_CONNECTIONS", "2")];
    let out = config(&data, &[], &env);
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        shown.contains("max_connections = 2  # environment WASMUD_PLAYERS_MAX_CONNECTIONS"),
        "{shown}"
    );
    let out = config(&data, &["--max-connections", "3"], &env);
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        shown.contains("max_connections = 3  # flag --max-connections"),
        "{shown}"
    );
    let mut child = serve(&data, &log, &["--max-connections", "2"], &[]);
    wait_up(&data, &mut child, &log);
    let addr = read(&data.join("telnet.addr")).trim().to_owned();
    let mut players: Vec<Client> = (0..2).map(|_| Client::connect(&addr)).collect();
    for p in &mut players {
        p.expect("Welcome to wasmud.");
    }
    let mut third = Client::connect(&addr);
    third.expect("The server is full; please try again later.");
    drop((players, third));
    stop(child, &data);
    assert_eq!(
        read(&file),
        edited,
        "serve never rewrites an operator's file"
    );
}

/// A file's contents, the environment, flags, and what the error must name.
type Mistake<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [&'a str],
    &'a [&'a str],
);

#[test]
fn a_mistake_stops_serve_naming_the_key_and_where_it_was_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    let file = data.join("wasmud.toml");

    let cases: [Mistake; 4] = [
        // A misspelt key in the file.
        (
            "watch = true\n[sandbox]\nhook_deadline = 10\n",
            &[],
            &[],
            &["hook_deadline", "line 3"],
        ),
        // A value of the wrong type in the file.
        (
            "[players]\nmax_connections = \"many\"\n",
            &[],
            &[],
            &["max_connections", "line 2"],
        ),
        // A bad value from the environment.
        (
            "",
            &[("WASMUD_PLAYERS_MAX_CONNECTIONS", "lots")],
            &[],
            &["players.max_connections", "WASMUD_PLAYERS_MAX_CONNECTIONS"],
        ),
        // An address that does not parse, from a flag.
        (
            "",
            &[],
            &["--web-addr", "localhost"],
            &["players.web_addr", "--web-addr"],
        ),
    ];
    for (contents, env, flags, named) in cases {
        std::fs::write(&file, contents).expect("write");
        // `timeout`: a serve that wrongly started would otherwise never return.
        let out = Command::new("timeout")
            .args([
                "60",
                BIN,
                "serve",
                "--no-prompt",
                "--telnet-addr",
                "127.0.0.1:0",
            ])
            .args(flags)
            .arg("--data")
            .arg(&data)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run serve");
        let said = text(&out);
        assert!(
            !out.status.success(),
            "{contents:?} {env:?} {flags:?}: {said}"
        );
        for word in named {
            assert!(said.contains(word), "{word:?} not in: {said}");
        }
        assert!(
            !data.join("world.redb").exists(),
            "stopped before opening the world"
        );
        // `config` reports the same mistake.
        let out = config(&data, flags, env);
        assert!(!out.status.success());
        assert!(text(&out).contains(named[0]), "{}", text(&out));
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let log = dir.path().join("serve.log");
    let mut child = serve(&data, &log, &["--log-format", "json"], &[]);
    wait_up(&data, &mut child, &log);
    stop(child, &data);
    let logged = read(&log);
    let lines: Vec<&str> = logged.lines().collect();
    assert!(lines.len() > 3, "{logged}");
    for line in lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(event["level"].is_string(), "{line}");
        assert!(event["fields"]["message"].is_string(), "{line}");
    }
    assert!(logged.contains("store closed cleanly"), "{logged}");
}

#[test]
fn the_version_names_the_contract_typeclasses_are_built_against() {
    let out = Command::new(BIN).arg("--version").output().expect("run");
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("wasmud "), "{said}");
    assert!(said.contains(wasmud::runtime::CONTRACT), "{said}");
}

/// The store's connection string may hold a password: `wasmud config` shows where the store
/// is, never the password.
#[test]
fn the_store_password_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["config", "--data"])
        .arg(dir.path())
        .env("WASMUD_STORE", "postgres://mud:s3cret@db.example/world")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains(r#"store = "postgres://mud:***@db.example/world""#),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}

//! The local console: `wasmud serve` in a terminal (a pty from `script(1)`) gets a prompt with
//! line editing, tab completion and history, running the same commands as the remote console.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_local_prompt_completes_remembers_and_runs_commands() {
    // No silent pass: without a pty this test would prove nothing. `.ci/run` installs it.
    if let Err(e) = Command::new("script").arg("--version").output() {
        panic!(
            "script(1) is needed to give `wasmud serve` a terminal ({e}); install it, e.g. \
             `apt-get install bsdutils` on Debian or Ubuntu"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let serve = format!(
        "{} serve --no-watch --no-console --no-telnet --no-web --data {}",
        env!("CARGO_BIN_EXE_wasmud"),
        data.display()
    );
    let mut child = Command::new("script")
        .args(["-qfec", &serve, "/dev/null"])
        .env("RUST_LOG", "warn")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    });
    // Wait for the world (the store file appears when it opens), then type.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !data.join("world.redb").exists() {
        assert!(Instant::now() < deadline, "serve never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    for keys in [
        "help\r",
        "sta\t\r", // tab completes `stats`
        "examine 1\r",
        "\x1b[A\r", // up arrow: `examine 1` again
        "shutdown\r",
    ] {
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    // A watchdog: the test fails instead of hanging if the prompt never shuts the server down.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("serve did not stop after `shutdown` at the prompt");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let out = reader.join().unwrap();
    assert!(status.success(), "{out}");
    assert!(out.contains("commands (add --json"), "help ran: {out}");
    assert!(out.contains("uptime:"), "tab completion ran stats: {out}");
    assert_eq!(
        out.matches("typeclass: room").count(),
        2,
        "history re-ran examine: {out}"
    );
    assert!(out.contains("shutting down"), "{out}");
    assert!(
        data.join("console.history").exists(),
        "history is kept in the data dir"
    );
}

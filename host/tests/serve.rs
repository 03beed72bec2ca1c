//! The real binary: `wasmud serve` creates and seeds a world, stops cleanly on Ctrl-C (SIGINT)
//! and on SIGTERM (what systemd sends), and serves the same world again on the next start
//! without seeding twice.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn serve(data: &std::path::Path) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmud"))
        .args([
            "serve",
            "--telnet-addr",
            "127.0.0.1:0",
            "--no-web",
            "--no-prompt",
            "--console-addr",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(data)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wasmud");
    let (tx, rx) = std::sync::mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    (child, rx)
}

fn wait_for(rx: &std::sync::mpsc::Receiver<String>, needle: &str, log: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let found = line.contains(needle);
            log.push(line);
            if found {
                return;
            }
        }
    }
    panic!("{needle:?} never appeared in:\n{}", log.join("\n"));
}

fn interrupt(child: &mut Child) {
    send_signal(child, "INT");
}

fn send_signal(child: &mut Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn serve_seeds_a_world_stops_on_ctrl_c_and_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let (mut child, rx) = serve(&data);
    let mut log = Vec::new();
    wait_for(&rx, "seeded a new world", &mut log);
    wait_for(&rx, "objects=14", &mut log);
    interrupt(&mut child);
    wait_for(&rx, "store closed cleanly", &mut log);
    assert!(child.wait().unwrap().success(), "{}", log.join("\n"));
    assert!(data.join("world.redb").exists());

    let (mut child, rx) = serve(&data);
    let mut log = Vec::new();
    wait_for(&rx, "wasmud is serving", &mut log);
    assert!(
        log.iter().all(|l| !l.contains("seeded")),
        "seeded twice: {log:?}"
    );
    assert!(log.iter().any(|l| l.contains("objects=14")), "{log:?}");
    interrupt(&mut child);
    wait_for(&rx, "store closed cleanly", &mut log);
    assert!(child.wait().unwrap().success());
}

/// SIGTERM used to kill the server outright (the default action): no final checkpoint, a store
/// left open. It must stop exactly like Ctrl-C.
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    let (mut child, rx) = serve(&data);
    let mut log = Vec::new();
    wait_for(&rx, "wasmud is serving", &mut log);
    send_signal(&mut child, "TERM");
    wait_for(&rx, "store closed cleanly", &mut log);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {}", log.join("\n"));
    assert!(log.iter().any(|l| l.contains("SIGTERM")), "{log:?}");

    // The store was closed properly: the next server opens it without recovery or seeding.
    let (mut child, rx) = serve(&data);
    let mut log = Vec::new();
    wait_for(&rx, "wasmud is serving", &mut log);
    assert!(log.iter().any(|l| l.contains("objects=14")), "{log:?}");
    assert!(
        log.iter().all(|l| !l.contains("seeded")),
        "seeded twice: {log:?}"
    );
    send_signal(&mut child, "TERM");
    wait_for(&rx, "store closed cleanly", &mut log);
    assert!(child.wait().unwrap().success());
}

#[test]
fn serve_reports_a_corrupt_store_and_exits_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("world.redb"), vec![0x5a; 8192]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wasmud"))
        .args([
            "serve",
            "--no-console",
            "--telnet-addr",
            "127.0.0.1:0",
            "--no-web",
            "--data",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("corrupt"), "{err}");
}

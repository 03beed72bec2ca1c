//! TinTin++ (Debian `tintin++`), a real MUD client, drives a short session from a script file
//! against the real `wasmud serve`: it negotiates (TTYPE/MTTS gives it colour), creates an
//! account, looks, walks, picks something up and quits. TinTin++ needs a terminal: it runs in
//! a detached `tmux` session and logs what it received to a file.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Server;

fn tintin() -> &'static str {
    if std::path::Path::new("/usr/games/tt++").exists() {
        "/usr/games/tt++"
    } else {
        "tt++"
    }
}

#[test]
fn tintin_plays_a_scripted_session() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("session.log");
    let addr = std::fs::read_to_string(server.data().join("telnet.addr")).unwrap();
    let (host, port) = addr.trim().rsplit_once(':').unwrap();
    let script = dir.path().join("play.tin");
    std::fs::write(
        &script,
        format!(
            "#session wasmud {host} {port}\n\
             #log overwrite {log}\n\
             #delay 1 {{create tintin password1}}\n\
             #delay 2 {{look}}\n\
             #delay 3 {{east}}\n\
             #delay 4 {{get mug}}\n\
             #delay 5 {{inventory}}\n\
             #delay 6 {{quit}}\n\
             #delay 8 {{#end}}\n",
            log = log.display()
        ),
    )
    .unwrap();
    let session = format!("wasmud-tintin-{}", std::process::id());
    let status = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "40"])
        .arg(format!("{} -G {}", tintin(), script.display()))
        .status()
        .expect("run tmux (Debian: apt-get install tmux tintin++; .ci/run installs them)");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("Goodbye.") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &session])
        .status();
    assert!(text.contains("Welcome, tintin!"), "{text}");
    // TinTin++ answers TTYPE with MTTS: the room names arrive in colour.
    assert!(text.contains("\x1b[1;36mLimbo\x1b[0m"), "{text}");
    assert!(text.contains("\x1b[1;36mTavern\x1b[0m"), "{text}");
    assert!(text.contains("You pick up a mug of ale."), "{text}");
    assert!(text.contains("You are carrying: a mug of ale."), "{text}");
    assert!(text.contains("Goodbye."), "{text}");
}

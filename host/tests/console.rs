//! The admin console through the real binary: `wasmud serve` with its admin port, driven by
//! `wasmud console` and by raw TCP clients (authentication, concurrent admins, a stalled client).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");

struct Serve {
    child: Child,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Serve {
    fn start() -> Serve {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let child = Command::new(BIN)
            .args([
                "serve",
                "--no-prompt",
                "--no-watch",
                "--console-addr",
                "127.0.0.1:0",
            ])
            .arg("--data")
            .arg(&data)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !data.join("console.addr").exists() {
            assert!(Instant::now() < deadline, "the admin console never came up");
            std::thread::sleep(Duration::from_millis(50));
        }
        Serve {
            child,
            data,
            _dir: dir,
        }
    }

    /// Runs `wasmud console --data <data> <words>`: (success, stdout).
    fn console(&self, words: &[&str]) -> (bool, String) {
        let out = Command::new(BIN)
            .arg("console")
            .arg("--data")
            .arg(&self.data)
            .args(words)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success(), text)
    }

    fn ok(&self, words: &[&str]) -> String {
        let (ok, text) = self.console(words);
        assert!(ok, "{words:?} failed: {text}");
        text
    }

    fn json(&self, words: &[&str]) -> serde_json::Value {
        let mut words = words.to_vec();
        words.push("--json");
        serde_json::from_str(&self.ok(&words)).unwrap()
    }

    fn addr(&self) -> String {
        read(&self.data.join("console.addr"))
    }

    fn token(&self) -> String {
        read(&self.data.join("console.token"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

/// A raw protocol client: sends lines, reads one JSON reply per line.
struct Raw {
    stream: BufReader<TcpStream>,
}

impl Raw {
    fn connect(addr: &str) -> Raw {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Raw {
            stream: BufReader::new(stream),
        }
    }

    fn send(&mut self, line: &str) -> Option<serde_json::Value> {
        self.stream
            .get_mut()
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
        let mut reply = String::new();
        match self.stream.read_line(&mut reply) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(serde_json::from_str(&reply).unwrap()),
        }
    }
}

#[test]
fn every_command_works_remotely_with_text_and_json() {
    let s = Serve::start();
    assert!(s.ok(&["help"]).contains("examine <id|key>"));
    assert!(s.ok(&["help", "flush"]).starts_with("usage: flush"));
    let stats = s.json(&["stats"]);
    assert_eq!(stats["entries"], 4, "{stats}");
    assert!(stats["rss_bytes"].as_u64().unwrap() > 0);
    assert!(s.ok(&["stats"]).contains("hooks:"));

    let tcs = s.json(&["typeclasses"]);
    let names: Vec<&str> = tcs["typeclasses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"room") && names.contains(&"counter"),
        "{names:?}"
    );

    assert_eq!(s.ok(&["find", "limbo"]).trim(), "#1 Limbo (room)");
    let limbo = s.json(&["examine", "Limbo"]);
    assert_eq!(limbo["typeclass"], "room");
    assert_eq!(limbo["contents"][0]["key"], "Guest");
    assert!(
        s.ok(&["examine", "#1"])
            .contains("desc = \"A featureless grey void.")
    );

    let created = s.json(&["create", "rock", "object", "Limbo"]);
    let rock = created["id"].as_u64().unwrap().to_string();
    assert!(
        s.ok(&["set", &rock, "weight", "12"])
            .contains("db.weight = 12")
    );
    s.ok(&["set", &rock, "mood", "grumpy", "--ndb"]);
    s.ok(&["set", &rock, "owner", "#3"]);
    let examined = s.json(&["examine", &rock]);
    assert_eq!(examined["db"]["weight"], 12);
    assert_eq!(examined["db"]["owner"]["object"], 3);
    assert_eq!(examined["ndb"]["mood"], "grumpy");

    let called = s.json(&["call", "tally", "at-command", "Guest", "incr"]);
    assert_eq!(called["answer"], true);
    assert_eq!(called["delivered"][0]["text"], "count is 1");
    assert!(
        s.ok(&["call", "Guest", "at-command", "Guest", "look"])
            .contains("You see: rock.")
    );

    let flushed = s.json(&["flush"]);
    assert!(flushed["dropped"].as_u64().unwrap() >= 1, "{flushed}");
    assert!(flushed["kept"]["ndb"].as_u64().unwrap() >= 1, "{flushed}");
    let forced = s.json(&["flush", &rock, "--force"]);
    assert_eq!(forced["discarded_ndb"][0]["ndb"][0], "mood");
    s.ok(&["flush", "idle", "3600"]);

    let reloaded = s.json(&["reload", "counter"]);
    assert_eq!(reloaded["reloaded"][0]["ok"], true);
    assert!(s.ok(&["reload"]).contains("room: reloaded"));
    assert!(s.ok(&["save"]).starts_with("saved"));
    assert!(s.ok(&["shutdown"]).contains("shutting down"));
}

#[test]
fn mistakes_get_one_clear_line_and_a_suggestion() {
    let s = Serve::start();
    for (words, expected, hint) in [
        (
            vec!["stast"],
            "unknown command `stast`",
            "did you mean `stats`?",
        ),
        (
            vec!["examine"],
            "`examine` takes 1 argument, got 0",
            "usage: examine",
        ),
        (
            vec!["examine", "999"],
            "not found: object #999",
            "find <key>",
        ),
        (
            vec!["examine", "nobody"],
            "no object is called `nobody`",
            "find <key>",
        ),
        (
            vec!["flush", "soon"],
            "`soon` is not an object id",
            "usage: flush",
        ),
        (
            vec!["call", "1", "at-bogus"],
            "unknown hook `at-bogus`",
            "at-command",
        ),
        (
            vec!["create", "x", "no-such-typeclass"],
            "not found: typeclass",
            "`typeclasses`",
        ),
        (vec!["reload", "nothing-here"], "REJECTED", "fix the script"),
    ] {
        let (ok, text) = s.console(&words);
        assert!(!ok, "{words:?} should fail");
        assert!(text.contains(expected), "{words:?}: {text}");
        assert!(text.contains(hint), "{words:?}: {text}");
    }
    // The server is unharmed.
    assert!(s.ok(&["stats"]).contains("cache:"));
}

#[test]
fn a_wrong_or_missing_token_runs_nothing() {
    let s = Serve::start();
    for first in ["AUTH not-the-token", "stats", ""] {
        let mut raw = Raw::connect(&s.addr());
        let reply = raw.send(first).expect("one error reply");
        assert_eq!(reply["ok"], false);
        assert!(
            reply["text"]
                .as_str()
                .unwrap()
                .contains("authentication failed")
        );
        assert!(raw.send("shutdown").is_none(), "the connection is closed");
    }
    let out = Command::new(BIN)
        .args(["console", "--token", "nope", "--addr", &s.addr(), "stats"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("authentication failed"));
    assert!(s.ok(&["stats"]).contains("cache:"), "the server still runs");
}

#[test]
fn concurrent_admins_are_serialised_and_a_stalled_client_stalls_nobody() {
    let s = Serve::start();
    // One client authenticates, starts a line and never finishes it.
    let mut stalled = Raw::connect(&s.addr());
    stalled.send(&format!("AUTH {}", s.token())).unwrap();
    stalled.stream.get_mut().write_all(b"sta").unwrap();

    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (addr, token) = (s.addr(), s.token());
            std::thread::spawn(move || {
                let mut raw = Raw::connect(&addr);
                assert_eq!(raw.send(&format!("AUTH {token}")).unwrap()["ok"], true);
                for _ in 0..25 {
                    let reply = raw.send("call tally at-command Guest incr").unwrap();
                    assert_eq!(reply["ok"], true, "{reply}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let tally = s.json(&["examine", "tally"]);
    assert_eq!(
        tally["db"]["count"], 100,
        "every increment ran exactly once"
    );
}

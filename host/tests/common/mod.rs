//! What the player-port tests share: a real `wasmud serve` on loopback ports and a raw TCP
//! telnet client that never answers negotiation.
#![allow(dead_code, reason = "each test file uses a different part of it")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");

/// Runs `wasmud <args>` to the end. Typeclass projects it builds share one cargo target dir
/// under the workspace's (their dependencies are compiled once).
pub fn wasmud(args: &[&str]) -> std::process::Output {
    let target =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/scripts/authoring");
    Command::new(BIN)
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap()
}

/// What a finished command printed, stdout then stderr.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub struct Server {
    child: Child,
    data: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    /// A server whose account-creation throttle is off (the tests create many accounts from
    /// 127.0.0.1), with `extra` arguments.
    pub fn start(extra: &[&str]) -> Server {
        let mut args = vec!["--max-new-accounts", "0"];
        args.extend_from_slice(extra);
        Server::start_with(&args)
    }

    pub fn start_with(extra: &[&str]) -> Server {
        Server::launch(extra, None, false)
    }

    /// A server whose watcher reloads changed components (the others reload on `reload`).
    pub fn start_watching(extra: &[&str]) -> Server {
        let mut args = vec!["--max-new-accounts", "0"];
        args.extend_from_slice(extra);
        Server::launch(&args, None, true)
    }

    /// A server started with `ulimit -n nofile` (soft and hard), with `extra` arguments.
    pub fn start_with_nofile(nofile: u32, extra: &[&str]) -> Server {
        let mut args = vec!["--max-new-accounts", "0"];
        args.extend_from_slice(extra);
        Server::launch(&args, Some(nofile), false)
    }

    fn launch(extra: &[&str], nofile: Option<u32>, watch: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let log = dir.path().join("server.log");
        let mut command = match nofile {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(BIN);
                c
            }
            None => Command::new(BIN),
        };
        command.args(["serve", "--no-prompt"]);
        if !watch {
            command.arg("--no-watch");
        }
        // The admin console on a TCP port unless the test chose its address.
        if !extra.contains(&"--console-addr") {
            command.args(["--console-addr", "127.0.0.1:0"]);
        }
        let child = command
            .args(["--telnet-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0"])
            .args(extra)
            .arg("--data")
            .arg(&data)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let up = |f: &str| data.join(f).exists();
        while !up("telnet.addr") || !up("console.addr") || !up("web.addr") {
            assert!(Instant::now() < deadline, "the server never came up");
            std::thread::sleep(Duration::from_millis(10));
        }
        Server {
            child,
            data,
            log,
            _dir: dir,
        }
    }

    /// The server's data directory.
    pub fn data(&self) -> &std::path::Path {
        &self.data
    }

    /// The web port's address.
    pub fn web_addr(&self) -> String {
        let addr = std::fs::read_to_string(self.data.join("web.addr")).unwrap();
        addr.trim().to_owned()
    }

    /// The telnet port's address.
    pub fn telnet_addr(&self) -> String {
        let addr = std::fs::read_to_string(self.data.join("telnet.addr")).unwrap();
        addr.trim().to_owned()
    }

    /// A new telnet connection.
    pub fn connect(&self) -> Client {
        Client::connect(&self.telnet_addr())
    }

    /// A new telnet connection from the loopback address `from` (any of 127.0.0.0/8).
    pub fn connect_from(&self, from: &str) -> Client {
        Client::connect_from(&self.telnet_addr(), from)
    }

    /// Runs an admin console command given as the shell's words; its JSON reply.
    pub fn console_argv(&self, words: &[&str]) -> serde_json::Value {
        let data = self.data.to_str().unwrap();
        let out = Command::new(BIN)
            .args(["console", "--data", data])
            .args(words)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success(), "{words:?}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Runs an admin console command given as the shell's words, success or not: whether it
    /// succeeded, and what it printed.
    pub fn console_outcome(&self, words: &[&str]) -> (bool, String) {
        let data = self.data.to_str().unwrap();
        let out = Command::new(BIN)
            .args(["console", "--data", data])
            .args(words)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text.into_owned())
    }

    /// Runs an admin console command and returns its JSON.
    pub fn console(&self, command: &str) -> serde_json::Value {
        let mut args = vec!["console", "--data"];
        let data = self.data.to_str().unwrap();
        args.push(data);
        args.extend(command.split(' '));
        args.push("--json");
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{command}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP connection to `addr` from the loopback address `from` (Linux routes all of
/// 127.0.0.0/8 to the loopback interface: a second source address without any setup).
pub fn tcp_from(addr: &str, from: &str) -> TcpStream {
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: std::net::SocketAddr = format!("{from}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    socket.connect(&addr.into()).unwrap();
    socket.into()
}

/// A raw TCP client that never answers telnet negotiation.
pub struct Client {
    pub stream: TcpStream,
    /// Everything received and not yet consumed by `expect`.
    pub seen: Vec<u8>,
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Client {
    /// A new connection to the telnet port at `addr`, from the loopback address `from`.
    pub fn connect_from(addr: &str, from: &str) -> Client {
        Client::wrap(tcp_from(addr, from))
    }

    /// A new connection to the telnet port at `addr`.
    pub fn connect(addr: &str) -> Client {
        Client::wrap(TcpStream::connect(addr).unwrap())
    }

    fn wrap(stream: TcpStream) -> Client {
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Client {
            stream,
            seen: Vec::new(),
        }
    }

    pub fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// Reads until `needle` arrives (within `within`) and returns everything up to and
    /// including it; what follows stays for the next call.
    pub fn expect_within(&mut self, needle: &[u8], within: Duration) -> Vec<u8> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(at) = find(&self.seen, needle) {
                let rest = self.seen.split_off(at + needle.len());
                return std::mem::replace(&mut self.seen, rest);
            }
            assert!(
                Instant::now() < deadline,
                "{:?} never arrived; got {:?}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(&self.seen)
            );
            assert!(
                self.read_some(),
                "connection closed before {:?}; got {:?}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(&self.seen)
            );
        }
    }

    /// Reads what has arrived (waiting at most the read timeout) into `seen`; false once the
    /// connection is closed.
    pub fn read_some(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.seen.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    }

    pub fn expect(&mut self, text: &str) -> String {
        let got = self.expect_within(text.as_bytes(), Duration::from_secs(20));
        String::from_utf8_lossy(&got).into_owned()
    }

    /// True if the server closed the connection within `within`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if !self.read_some() {
                return true;
            }
        }
        false
    }
}

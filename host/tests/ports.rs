//! The player ports' promises, tried against the real `wasmud serve` the way an attacker
//! would: byte sequences the telnet parser keeps, a success between wrong guesses, guesses
//! from many addresses, sockets holding half an HTTP request, one address connecting in a
//! loop, pages from other sites, hooks that fail, text made to look like the server's, and
//! console values that must arrive exactly as typed.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Client, Server, find, tcp_from};

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const WILL: u8 = 251;

/// A new player: connects, creates the account `name` and waits for the welcome.
fn player(server: &Server, name: &str) -> Client {
    let mut c = server.connect();
    c.send(&format!("create {name} password1"));
    c.expect(&format!("Welcome, {name}!"));
    c
}

/// Reads until one of `needles` arrives; which one.
fn expect_any(client: &mut Client, needles: &[&str]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = needles
            .iter()
            .enumerate()
            .filter_map(|(i, n)| find(&client.seen, n.as_bytes()).map(|at| (at, i, n.len())))
            .min();
        if let Some((at, i, len)) = found {
            client.seen.drain(..at + len);
            return i;
        }
        assert!(
            Instant::now() < deadline,
            "none of {needles:?} arrived; got {:?}",
            String::from_utf8_lossy(&client.seen)
        );
        assert!(client.read_some(), "closed before any of {needles:?}");
    }
}

/// Defect 1: `IAC SB IAC SE` (the parser takes the second IAC as the option) or `IAC WILL IAC`
/// then `IAC SB` used to start a subnegotiation the guard never saw, buffered without bound.
#[test]
fn an_endless_subnegotiation_is_cut_however_it_begins() {
    let server = Server::start(&[]);
    let prefixes: [&[u8]; 3] = [
        &[IAC, SB, IAC, SE],
        &[IAC, WILL, IAC, IAC, SB, b'A'],
        &[IAC, SB, 201],
    ];
    for (i, prefix) in prefixes.iter().enumerate() {
        let mut c = server.connect();
        c.send(&format!("create sneaky{i} password1"));
        c.expect("Welcome, sneaky");
        c.stream.write_all(prefix).unwrap();
        // Ordinary bytes, never the end of a subnegotiation: more than the bound, less than
        // the socket buffers hold.
        let _ = c.stream.write_all(&[b'a'; 48 * 1024]);
        assert!(
            c.closed_within(Duration::from_secs(10)),
            "prefix {prefix:?}: the connection was never cut"
        );
    }
    // The server serves on.
    player(&server, "after");
}

/// Defect 2: four wrong guesses at someone else's account, a login to one's own, again: a
/// success used to forgive the failures, for unlimited guesses.
#[test]
fn a_login_in_between_forgives_no_wrong_guesses() {
    let server = Server::start(&[]);
    let mut setup = player(&server, "victim");
    setup.send("quit");
    let mut own = server.connect_from("127.0.0.2");
    own.send("create mallory password2");
    own.expect("Welcome, mallory!");
    own.send("quit");
    let (mut guesses, mut refused) = (0, false);
    'rounds: for _ in 0..4 {
        let mut c = server.connect_from("127.0.0.2");
        c.expect("quit");
        for _ in 0..4 {
            c.send("connect victim wrongpass");
            match expect_any(
                &mut c,
                &["Wrong name or password.", "Too many failed logins"],
            ) {
                0 => guesses += 1,
                _ => {
                    refused = true;
                    break 'rounds;
                }
            }
        }
        c.send("connect mallory password2");
        if expect_any(&mut c, &["Welcome, mallory!", "Too many failed logins"]) == 1 {
            refused = true;
            break;
        }
        c.send("quit");
    }
    assert!(refused, "never refused after {guesses} wrong guesses");
    assert!(guesses <= 5, "{guesses} wrong guesses were checked");
}

/// Defect 2, across addresses: guesses at one account from many addresses slow down on the
/// account, while its owner, from an address they logged in from, is not slowed.
#[test]
fn guesses_from_many_addresses_slow_down_on_the_account() {
    let server = Server::start(&[]);
    let mut owner = player(&server, "target");
    owner.send("quit");
    let mut delayed = false;
    for i in 2..12 {
        let mut c = server.connect_from(&format!("127.0.0.{i}"));
        c.send("connect target wrongpass");
        let got = expect_any(
            &mut c,
            &[
                "Wrong name or password.",
                "Too many failed logins for that account",
            ],
        );
        if got == 1 {
            assert!(i > 6, "delayed after only {} guesses", i - 2);
            delayed = true;
            break;
        }
    }
    assert!(delayed, "ten guesses from ten addresses were never slowed");
    let mut owner = server.connect();
    owner.send("connect target password1");
    owner.expect("Welcome, target!");
}

/// Defect 3: sockets holding half a `GET` used to stay open without limit and outside every
/// cap, until the process ran out of descriptors and neither players nor the admin got in.
#[test]
fn half_requests_on_the_web_port_cannot_lock_out_players_or_the_admin() {
    let server = Server::start_with_nofile(
        512,
        &["--http-header-timeout-secs", "2", "--connection-rate", "0"],
    );
    let stats = server.console("stats");
    let limit = &stats["files"]["limit"];
    assert_eq!(limit["soft"], 512, "{stats}");
    let web = server.web_addr();
    // 600 sockets from 30 addresses, each holding an unfinished request.
    let mut held = Vec::new();
    for i in 0..600 {
        let from = format!("127.0.1.{}", 10 + i % 30);
        let mut s = tcp_from(&web, &from);
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
        held.push(s);
    }
    // The admin still answers, at once.
    let started = Instant::now();
    let stats = server.console("stats");
    assert!(started.elapsed() < Duration::from_secs(5), "{stats}");
    // Past the header deadline every half request is closed by the server ...
    std::thread::sleep(Duration::from_secs(3));
    let mut still_open = 0;
    for s in &mut held {
        s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut buf = [0u8; 1024];
        // 0 (closed) or an error (reset), after any 408 the server may have sent.
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    still_open += 1;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    assert_eq!(still_open, 0, "half requests outlived the header deadline");
    drop(held);
    // ... and a player gets in.
    player(&server, "latecomer");
}

/// Defect 4: one address connecting and closing 50 times a second used to spend the global
/// connection pace, so other addresses waited 10 s and more for the banner.
#[test]
fn one_address_connecting_in_a_loop_does_not_slow_anyone_else() {
    let server = Server::start(&[]);
    let addr = server.telnet_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let flood = {
        let (stop, addr) = (stop.clone(), addr.clone());
        std::thread::spawn(move || {
            let mut opened = 0;
            while !stop.load(Ordering::Relaxed) {
                drop(tcp_from(&addr, "127.0.0.2"));
                opened += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            opened
        })
    };
    std::thread::sleep(Duration::from_secs(2));
    for _ in 0..3 {
        let started = Instant::now();
        let mut c = server.connect_from("127.0.0.3");
        c.expect_within(b"Welcome to wasmud.", Duration::from_secs(2));
        assert!(started.elapsed() < Duration::from_millis(1500));
        std::thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, Ordering::Relaxed);
    let opened = flood.join().unwrap();
    assert!(opened > 60, "the flood opened only {opened} connections");
    // The flooding address itself was refused on its own budget.
    let mut c = server.connect_from("127.0.0.2");
    c.expect("Too many new connections from your address");
}

/// Sends a raw HTTP request to the web port and returns the response head.
fn http(server: &Server, request: &str) -> String {
    let mut s = TcpStream::connect(server.web_addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while find(&got, b"\r\n\r\n").is_none() {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn upgrade_request(host: &str, origin: Option<&str>) -> String {
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    )
}

/// Defect 6: any page a player visited could open sockets to the game from the player's
/// address; the page could be framed by any site.
#[test]
fn the_websocket_serves_only_its_own_page_and_the_page_cannot_be_framed() {
    let server = Server::start(&[]);
    let host = server.web_addr();
    let evil = http(
        &server,
        &upgrade_request(&host, Some("https://evil.example")),
    );
    assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
    let own = http(
        &server,
        &upgrade_request(&host, Some(&format!("http://{host}"))),
    );
    assert!(own.starts_with("HTTP/1.1 101"), "{own}");
    let no_origin = http(&server, &upgrade_request(&host, None));
    assert!(no_origin.starts_with("HTTP/1.1 101"), "{no_origin}");
    let page = http(&server, &format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n")).to_lowercase();
    assert!(page.contains("frame-ancestors 'none'"), "{page}");
    assert!(page.contains("x-frame-options: deny"), "{page}");
    // The dashboard's socket and page too.
    let admin =
        upgrade_request(&host, Some("https://evil.example")).replace("GET /ws", "GET /admin/ws");
    let evil = http(&server, &admin);
    assert!(evil.starts_with("HTTP/1.1 403"), "{evil}");
    let page = http(
        &server,
        &format!("GET /admin HTTP/1.1\r\nHost: {host}\r\n\r\n"),
    )
    .to_lowercase();
    assert!(page.contains("frame-ancestors 'none'"), "{page}");
    // An origin the operator allowed is let in.
    let server = Server::start(&["--web-origin", "https://play.example.org"]);
    let host = server.web_addr();
    let allowed = http(
        &server,
        &upgrade_request(&host, Some("https://play.example.org")),
    );
    assert!(allowed.starts_with("HTTP/1.1 101"), "{allowed}");
}

/// Defects 7 and 9: a character whose own `at-command` fails used to have its line offered to
/// the room, where another character ran it as itself, and the player saw the internal error.
#[test]
fn a_failing_command_answers_its_player_in_short_and_nobody_else_runs_it() {
    let server = Server::start(&[]);
    let mut alice = player(&server, "alice");
    let mut bob = player(&server, "bob");
    alice.expect("bob wakes up.");
    // Break alice's character: its command counter holds text.
    let id = server.console("find alice")["objects"][0]["id"]
        .as_u64()
        .unwrap();
    server.console_argv(&["set", &format!("#{id}"), "commands", "\"text\"", "--ndb"]);
    alice.send("say hello, I am alice");
    let answer = alice.expect("an admin can look it up.)");
    assert!(answer.contains("Something went wrong"), "{answer}");
    assert!(!answer.contains("attribute"), "internals shown: {answer}");
    let reference = answer
        .split("Reference ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .unwrap()
        .to_owned();
    // Nobody ran alice's line as themselves.
    bob.send("look");
    let seen = bob.expect("Exits:");
    assert!(!seen.contains("hello, I am alice"), "{seen}");
    // The details are the admins': in the log and in `incidents`, under the reference.
    let incidents = server.console("incidents");
    let found = incidents["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference"] == reference.as_str())
        .unwrap_or_else(|| panic!("{reference} not in {incidents}"));
    assert!(
        found["error"].as_str().unwrap().contains("commands"),
        "{found}"
    );
    assert!(server.log().contains(&reference));
}

/// Defect 9, the demo's half: a character handed a line typed by someone else does nothing.
#[test]
fn a_character_acts_only_on_its_own_players_lines() {
    let server = Server::start(&[]);
    let mut bob = player(&server, "bob");
    bob.send("e");
    bob.send("n");
    bob.send("get lantern");
    bob.expect("You pick up a brass lantern.");
    let _alice = player(&server, "alice");
    // Offer alice's line to bob's character directly.
    let reply = server.console_argv(&["call", "bob", "at-command", "alice", "drop lantern"]);
    assert_eq!(reply["answer"], false, "{reply}");
    bob.send("i");
    bob.expect("You are carrying: a brass lantern.");
}

/// Defect 8: `|/` in a pose used to start a new line in everyone's terminal.
#[test]
fn players_cannot_start_a_line_that_looks_like_the_servers() {
    let server = Server::start(&[]);
    let mut alice = player(&server, "alice");
    let mut bob = player(&server, "bob");
    alice.send("pose waves.|/|rSYSTEM: the server restarts; log in again");
    let line = bob.expect("SYSTEM");
    let from = line.rfind("alice waves.").expect("the pose");
    assert!(
        !line[from..].contains('\n') && !line[from..].contains('\r'),
        "a line break inside a pose: {line:?}"
    );
    alice.send(&format!("say hi{}SYSTEM: reboot", " ".repeat(120)));
    let line = bob.expect("reboot");
    assert!(
        !line.contains("   "),
        "spaces that wrap a terminal: {line:?}"
    );
}

/// Defect 10: the console client re-split and un-quoted the shell's words, so a JSON list
/// was stored as the text `[n,north]` and a quoted number became a number.
#[test]
fn console_values_arrive_exactly_as_the_shell_passed_them() {
    let server = Server::start(&[]);
    let cases = [
        (r#"["n","north"]"#, serde_json::json!(["n", "north"])),
        (r#"{"a":["n"]}"#, serde_json::json!({"a": ["n"]})),
        (r#""1984""#, serde_json::json!("1984")),
        ("1984", serde_json::json!(1984)),
        ("a \"quoted\" word", serde_json::json!("a \"quoted\" word")),
    ];
    for (i, (typed, stored)) in cases.iter().enumerate() {
        let name = format!("value{i}");
        server.console_argv(&["set", "Limbo", &name, typed]);
        let limbo = server.console("examine Limbo");
        assert_eq!(&limbo["db"][&name], stored, "{typed}: {limbo}");
    }
    // The same at an interactive prompt (a raw line on the admin port).
    let token = std::fs::read_to_string(server.data().join("console.token")).unwrap();
    let addr = std::fs::read_to_string(server.data().join("console.addr")).unwrap();
    let mut s = TcpStream::connect(addr.trim()).unwrap();
    s.write_all(
        format!(
            "AUTH {}\nset Limbo typed [\"n\", \"north\"]\n",
            token.trim()
        )
        .as_bytes(),
    )
    .unwrap();
    let mut reader = std::io::BufReader::new(s);
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
        assert!(line.contains("\"ok\":true"), "{line}");
    }
    let limbo = server.console("examine Limbo");
    assert_eq!(limbo["db"]["typed"], serde_json::json!(["n", "north"]));
}

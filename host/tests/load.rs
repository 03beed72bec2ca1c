//! Load: 300 telnet players connected at once to the real `wasmud serve`, each sending a
//! command every 200 ms for a bounded time (`WASMUD_LOAD_SECS`, 10 s by default; the long run
//! is a documented command), while one client stops reading and another floods. Every command
//! of every player is answered and nobody waits long, whatever the stalled reader and the
//! flood do (the flood is cut to its rate).

mod common;

use std::io::{Read as _, Write as _};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{Client, Server, find};

const PLAYERS: usize = 300;
const PACE: Duration = Duration::from_millis(200);
const ANSWER: &[u8] = b"You are carrying nothing.";

/// A player's figures: commands sent, answers received, the slowest answer.
struct Played {
    sent: usize,
    answered: usize,
    slowest: Duration,
}

/// Logs in `name` on a new connection to `addr`.
fn log_in(addr: &str, name: &str) -> Client {
    let mut client = Client::connect(addr);
    client.send(&format!("create {name} password{name}"));
    client.expect_within(b"Exits:", Duration::from_secs(120));
    client.seen.clear();
    client
}

/// Sends `i` every `PACE` until `until`, then waits for the last answers.
fn play(mut client: Client, until: Instant) -> Played {
    let mut played = Played {
        sent: 0,
        answered: 0,
        slowest: Duration::ZERO,
    };
    let mut asked: std::collections::VecDeque<Instant> = std::collections::VecDeque::new();
    let mut next = Instant::now();
    let grace = until + Duration::from_secs(20);
    while Instant::now() < grace && (Instant::now() < until || !asked.is_empty()) {
        if Instant::now() >= next && Instant::now() < until {
            client.send("i");
            asked.push_back(Instant::now());
            played.sent += 1;
            next += PACE;
        }
        client.read_some();
        while let Some(at) = find(&client.seen, ANSWER) {
            client.seen.drain(..at + ANSWER.len());
            let Some(sent) = asked.pop_front() else { break };
            played.answered += 1;
            played.slowest = played.slowest.max(sent.elapsed());
        }
    }
    played
}

#[test]
fn three_hundred_players_are_all_answered_beside_a_stalled_reader_and_a_flood() {
    let secs: u64 = std::env::var("WASMUD_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let server = Server::start(&[
        "--max-connections-per-address",
        "400",
        "--connection-rate",
        "0",
        "--connection-rate-per-address",
        "0",
        "--max-output-queue",
        "64",
    ]);
    // Everyone logs in first (account creation hashes passwords, 2 at a time).
    let logins: Vec<_> = (0..PLAYERS)
        .map(|i| {
            let addr = server.telnet_addr();
            std::thread::spawn(move || log_in(&addr, &format!("p{i:03}")))
        })
        .collect();
    let clients: Vec<Client> = logins.into_iter().map(|t| t.join().unwrap()).collect();

    // The stalled reader asks for its room (300 names long) and never reads.
    let mut stalled = log_in(&server.telnet_addr(), "stalled");
    // The flood sends as fast as it can, and reads what it gets.
    let mut flood = log_in(&server.telnet_addr(), "flood");
    let start = Arc::new(Barrier::new(PLAYERS + 2));
    let until = Instant::now() + Duration::from_secs(secs) + Duration::from_secs(2);
    let flooder = {
        let start = start.clone();
        std::thread::spawn(move || {
            start.wait();
            let burst = "i\r\n".repeat(2_000);
            let mut buf = vec![0u8; 1 << 16];
            let mut warned = false;
            while Instant::now() < until {
                let _ = flood.stream.write_all(burst.as_bytes());
                while let Ok(n) = flood.stream.read(&mut buf) {
                    warned |= find(&buf[..n], b"sending commands too fast").is_some();
                    if n == 0 {
                        break;
                    }
                }
            }
            warned
        })
    };
    let players: Vec<_> = clients
        .into_iter()
        .map(|client| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                play(client, until)
            })
        })
        .collect();
    start.wait();
    // ~3 KB a look, 60 a second, never read: megabytes pile up in its socket and queue.
    let look = "look\r\n".repeat(60);
    while Instant::now() < until {
        if stalled.stream.write_all(look.as_bytes()).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1_000));
    }

    let played: Vec<Played> = players.into_iter().map(|t| t.join().unwrap()).collect();
    let sent: usize = played.iter().map(|p| p.sent).sum();
    let answered: usize = played.iter().map(|p| p.answered).sum();
    let slowest = played.iter().map(|p| p.slowest).max().unwrap();
    eprintln!(
        "{PLAYERS} players, {secs} s: {sent} commands, {answered} answered, slowest {slowest:?}"
    );
    for (i, p) in played.iter().enumerate() {
        assert!(
            p.sent >= 5 * secs as usize,
            "player {i} sent only {}",
            p.sent
        );
        assert_eq!(p.answered, p.sent, "player {i} was starved");
    }
    assert!(
        slowest < Duration::from_secs(3),
        "an answer took {slowest:?}"
    );
    assert!(
        flooder.join().unwrap(),
        "the flood was never told to slow down"
    );
    // (That a stalled reader is dropped once its queue is full is `telnet.rs`'s test: here
    // the kernel's socket buffers hold megabytes before the server's queue fills.)
    drop(stalled);
}

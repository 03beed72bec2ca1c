//! Players over raw TCP telnet against the real `wasmud serve`: bytes asserted, negotiation
//! included. Two players create accounts, see each other speak, walk, leave and come back to
//! where they were; the two-prompt login hides the password with `WILL ECHO`/`WONT ECHO`; a
//! second login takes the character over; a connected character is pinned through a flush and
//! keeps playing through a hot reload;
//! limits on line length and command rate; a client that stops reading is dropped without
//! slowing anyone else.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::{Client, Server, find};

const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const GA: u8 = 249;
const ECHO: u8 = 1;
const SGA: u8 = 3;
const NAWS: u8 = 31;
const SB: u8 = 250;
const SE: u8 = 240;
const GMCP: u8 = 201;
const MSSP: u8 = 70;

#[test]
fn two_players_create_accounts_talk_walk_leave_and_come_back() {
    let server = Server::start(&[]);
    let mut alice = server.connect();
    // Negotiation offers first, then the banner at once: nothing waits for an answer.
    let opening = alice.expect_within(b"Welcome to wasmud.", Duration::from_secs(2));
    assert!(
        opening.starts_with(&[IAC, WILL, SGA, IAC, DO, NAWS]),
        "{opening:?}"
    );
    alice.expect("quit");
    alice.send("create alice password1");
    alice.expect("Account alice created.");
    alice.expect("Welcome, alice!");
    alice.expect("Limbo\r\nA featureless grey void.");

    // Bob's whole login is in his very first packet, before any negotiation.
    let mut bob = server.connect();
    bob.send("create bob password2");
    bob.expect("Welcome, bob!");
    // The character's puppet hook tells the room.
    alice.expect("bob wakes up.");
    bob.expect("Limbo\r\n");

    alice.send("say hello there");
    bob.expect("alice says, \"hello there\"");
    bob.send("east");
    bob.expect("Tavern\r\nA warm room");
    alice.expect("bob leaves east.");
    bob.send("look");
    bob.expect("Exits: west and north");
    bob.send("n");
    bob.expect("Garden\r\n");
    bob.send("get lantern");
    bob.expect("You pick up a brass lantern.");
    bob.send("i");
    bob.expect("You are carrying: a brass lantern.");
    bob.send("dance");
    bob.expect("Huh? Nothing here understands \"dance\". (Type help for help.)");
    alice.send("e");
    alice.send("go garden");
    alice.expect("Garden\r\n");
    bob.send("quit");
    bob.expect("Goodbye.");
    assert!(bob.closed_within(Duration::from_secs(5)));
    alice.expect("bob falls asleep.");

    // Back again, through the two-prompt login: the password is typed with echo off.
    let mut bob = server.connect();
    bob.expect("quit");
    bob.send("bob");
    let prompt = bob.expect_within(b"Password: ", Duration::from_secs(20));
    assert!(find(&prompt, &[IAC, WILL, ECHO]).is_some(), "{prompt:?}");
    // A client that ignored SGA gets IAC GA after the prompt.
    bob.expect_within(&[IAC, GA], Duration::from_secs(5));
    bob.send("password2");
    let after = bob.expect_within(b"Welcome, bob!", Duration::from_secs(20));
    alice.expect("bob wakes up.");
    assert!(after.starts_with(&[IAC, WONT, ECHO]), "{after:?}");
    bob.expect("Garden\r\nA small walled garden");
    bob.send("inventory");
    bob.expect("You are carrying: a brass lantern.");
    alice.send("who");
    alice.expect("Players online (2): alice, bob");

    // A wrong password, and a name that does not exist, get the same answer.
    let mut mallory = server.connect();
    mallory.send("connect bob wrongpassword");
    mallory.expect("Wrong name or password.");
    mallory.send("connect nobody wrongpassword");
    mallory.expect("Wrong name or password.");
    let log = server.log();
    for secret in ["password1", "password2", "wrongpassword"] {
        assert!(!log.contains(secret), "a password in the log:\n{log}");
    }
}

#[test]
fn a_second_login_takes_over_and_a_connected_character_is_pinned() {
    let server = Server::start(&[]);
    let mut first = server.connect();
    first.send("create carol password3");
    first.expect("Limbo");
    first.send("stats");
    first.expect("hp 100 level 1");
    // ndb.commands counts the commands since the character was loaded: a flush would reset it,
    // and even a forced flush keeps a connected player's character.
    server.console("flush --force");
    let carol = server.console("find carol");
    let id = carol["objects"][0]["id"].as_u64().unwrap();
    let examined = server.console(&format!("examine #{id}"));
    assert_eq!(examined["ndb"]["commands"], 2, "{examined}");

    let mut second = server.connect();
    second.send("connect carol password3");
    second.expect("Welcome, carol!");
    first.expect("Another connection logged in to this character.");
    assert!(first.closed_within(Duration::from_secs(5)));
    second.send("say still here");
    second.send("stats");
    second.expect("hp 100 level 1");
    // Still pinned after the first session left (the second one is on it).
    server.console("flush --force");
    let examined = server.console(&format!("examine #{id}"));
    let commands = examined["ndb"]["commands"].as_i64().unwrap();
    assert!(commands >= 5, "{examined}");

    // A hot reload of the character's typeclass mid-session: the session goes on untouched,
    // the character keeps its ndb data.
    let reloaded = server.console("reload character");
    assert_eq!(reloaded["reloaded"][0]["ok"], true, "{reloaded}");
    second.send("stats");
    second.expect("hp 100 level 1");
    let examined = server.console(&format!("examine #{id}"));
    assert_eq!(examined["ndb"]["commands"], commands + 1, "{examined}");
}

#[test]
fn long_lines_and_fast_commands_are_dropped_with_a_warning() {
    let server = Server::start(&[]);
    let mut dave = server.connect();
    dave.send("create dave password4");
    dave.expect("Limbo");
    dave.send(&"x".repeat(7_000));
    dave.expect("longer than 6000 characters and was dropped");
    // More than 80 commands in a second: the rest are dropped with a warning.
    let burst: String = (0..200).map(|_| "stats\r\n").collect();
    dave.stream.write_all(burst.as_bytes()).unwrap();
    dave.expect("You are sending commands too fast");
    std::thread::sleep(Duration::from_millis(1_100));
    dave.send("look");
    dave.expect("Limbo\r\n");
}

#[test]
fn a_client_that_stops_reading_is_dropped_without_slowing_the_others() {
    let server = Server::start(&["--max-output-queue", "16"]);
    // Erin never reads; three talkers in her room say 6 KB lines as fast as their rate allows
    // (and read what they hear); frank, elsewhere, keeps looking around.
    let mut stalled = server.connect();
    stalled.send("create erin password5");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.console("find erin")["objects"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "erin was never created");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut frank = server.connect();
    frank.send("create frank password6");
    frank.expect("Welcome, frank!");
    frank.send("go Tavern");
    frank.send("look");
    frank.expect("Tavern\r\n");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let talkers: Vec<_> = (0..3)
        .map(|i| {
            let mut talker = server.connect();
            talker.send(&format!("create talker{i} password{i}xx"));
            talker.expect("Limbo\r\n");
            let stop = stop.clone();
            std::thread::spawn(move || {
                let line = format!("say {}\r\n", "x".repeat(5_990));
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    for _ in 0..40 {
                        if talker.stream.write_all(line.as_bytes()).is_err() {
                            return;
                        }
                        let mut buf = [0u8; 65536];
                        while let Ok(n) = talker.stream.read(&mut buf) {
                            if n == 0 {
                                return;
                            }
                        }
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            })
        })
        .collect();
    let started = Instant::now();
    let mut dropped = false;
    while started.elapsed() < Duration::from_secs(90) {
        let asked = Instant::now();
        frank.send("look");
        frank.expect("Tavern\r\n");
        frank.seen.clear();
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "frank waited {:?}",
            asked.elapsed()
        );
        if server.log().contains("fell too far behind") {
            dropped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for talker in talkers {
        talker.join().unwrap();
    }
    assert!(dropped, "the stalled reader was never dropped");
    // It was erin's connection that was closed (what it had buffered, then the end)...
    assert!(stalled.closed_within(Duration::from_secs(10)));
    // ...and frank is still served.
    frank.send("look");
    frank.expect("Tavern");
}

#[test]
fn failed_logins_and_account_creations_are_throttled_per_address() {
    let server = Server::start_with(&["--max-new-accounts", "2"]);
    for name in ["gina", "hank"] {
        let mut c = server.connect();
        c.send(&format!("create {name} password7"));
        c.expect(&format!("Welcome, {name}!"));
    }
    let mut third = server.connect();
    third.send("create ivan password7");
    third.expect("Too many new accounts from your address");
    // Five wrong passwords, and then even the right one is refused for a while.
    let mut guesser = server.connect();
    for _ in 0..5 {
        guesser.send("connect gina wrongpassword");
        guesser.expect("Wrong name or password.");
    }
    guesser.send("connect gina password7");
    guesser.expect("Too many failed logins from your address");
}

fn gmcp(message: &str) -> Vec<u8> {
    let mut sb = vec![IAC, SB, GMCP];
    sb.extend_from_slice(message.as_bytes());
    sb.extend_from_slice(&[IAC, SE]);
    sb
}

#[test]
fn gmcp_clients_get_char_and_room_info_and_crawlers_get_mssp() {
    let server = Server::start(&[]);
    let mut client = server.connect();
    let opening = client.expect_within(b"Welcome to wasmud.", Duration::from_secs(2));
    assert!(find(&opening, &[IAC, WILL, GMCP]).is_some(), "{opening:?}");
    assert!(find(&opening, &[IAC, WILL, MSSP]).is_some(), "{opening:?}");
    let mut hello = vec![IAC, DO, GMCP, IAC, DO, MSSP];
    hello.extend(gmcp(r#"Core.Hello {"client":"test","version":"1"}"#));
    hello.extend(gmcp(r#"Core.Supports.Set ["Char 1", "Room 1"]"#));
    hello.extend(gmcp("Core.Ping"));
    hello.extend(gmcp("Made.Up.Package {}"));
    client.stream.write_all(&hello).unwrap();
    // MSSP: the table, with the start time as UPTIME.
    let table = client.expect_within(
        &[1, b'U', b'P', b'T', b'I', b'M', b'E', 2],
        Duration::from_secs(5),
    );
    assert!(find(&table, &[IAC, SB, MSSP, 1, b'N', b'A', b'M', b'E', 2]).is_some());
    let uptime = client.expect_within(&[1], Duration::from_secs(5));
    let started: u64 = String::from_utf8_lossy(&uptime[..uptime.len() - 1])
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(started <= now && now - started < 300, "{started} vs {now}");
    client.expect_within(&gmcp("Core.Ping"), Duration::from_secs(5));
    client.send("create gwen password8");
    let login = client.expect("Room.Info");
    assert!(
        find(login.as_bytes(), b"Char.Name {").is_some(),
        "{login:?}"
    );
    assert!(login.contains(r#""name":"gwen""#), "{login:?}");
    assert!(
        login.contains(r#"Char.Vitals {"hp":100,"level":1}"#),
        "{login:?}"
    );
    let room = client.expect(r#""name":"Limbo""#);
    assert!(room.contains(r#" {"exits":{"east":2},"#), "{room:?}");
    client.send("go Tavern");
    client.expect("Room.Info");
    client.expect(r#""name":"Tavern""#);
    assert!(!server.log().contains("ERROR"), "{}", server.log());

    // A client that never accepted GMCP gets none of it.
    let mut plain = server.connect();
    plain.send("create hugo password9");
    // (Raw bytes: a lossy string would hide the IAC.)
    let got = plain.expect_within(b"Limbo\r\n", Duration::from_secs(20));
    assert!(find(&got, &[IAC, SB]).is_none(), "{got:?}");
    plain.send("go Tavern");
    plain.send("look");
    let got = plain.expect_within(b"Tavern\r\n", Duration::from_secs(20));
    assert!(find(&got, &[IAC, SB]).is_none(), "{got:?}");
    // The same check finds GMCP where it was sent.
    client.send("look");
    let got = client.expect_within(b"Tavern\r\n", Duration::from_secs(20));
    assert!(
        find(&got, &[IAC, SB, GMCP]).is_none(),
        "no room change, no Room.Info"
    );
    client.send("go Limbo");
    let got = client.expect_within(b"Room.Info", Duration::from_secs(20));
    assert!(find(&got, &[IAC, SB, GMCP]).is_some(), "{got:?}");
}

#[test]
fn hostile_input_is_bounded_endless_subnegotiations_control_codes_and_idle_logins() {
    let server = Server::start(&["--login-timeout-secs", "2"]);
    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Limbo\r\n");
    let mut bob = server.connect();
    bob.send("create bob password2");
    bob.expect("Limbo\r\n");
    // Escape codes typed by one player never reach another's terminal.
    alice.send("say hi\x1b[2J\x07there");
    let heard = bob.expect_within(b"there", Duration::from_secs(20));
    assert!(
        find(&heard, b"alice says, \"hi[2Jthere").is_some(),
        "{heard:?}"
    );
    assert!(
        !heard.contains(&0x1b) && !heard.contains(&0x07),
        "{heard:?}"
    );
    // A subnegotiation that never ends is cut off, not buffered.
    let mut endless = server.connect();
    let mut bytes = vec![IAC, SB, GMCP];
    bytes.extend(std::iter::repeat_n(b'x', 20_000));
    endless.stream.write_all(&bytes).unwrap();
    endless.expect("subnegotiation was too long");
    assert!(endless.closed_within(Duration::from_secs(5)));
    // A connection that never logs in is closed after the login timeout.
    let mut idle = server.connect();
    idle.expect_within(b"Timed out waiting for a login.", Duration::from_secs(10));
    assert!(idle.closed_within(Duration::from_secs(5)));
    // The players who logged in were not timed out.
    alice.send("look");
    alice.expect("Limbo\r\n");
}

#[test]
fn one_address_cannot_hold_every_slot_or_guess_in_parallel() {
    let server = Server::start(&["--max-connections-per-address", "12"]);
    let mut owner = server.connect();
    owner.send("create gina password7");
    owner.expect("Welcome, gina!");
    // Ten guesses sent at once: at most five are even checked.
    let mut guessers: Vec<Client> = (0..10).map(|_| server.connect()).collect();
    for g in &mut guessers {
        g.expect("quit");
    }
    for g in &mut guessers {
        g.send("connect gina wrongpassword");
    }
    let (mut wrong, mut refused) = (0, 0);
    for g in &mut guessers {
        let answer = g.expect(".");
        if answer.contains("Wrong name or password") {
            wrong += 1;
        } else if answer.contains("Too many failed logins")
            || answer.contains("Too many logins at once")
        {
            refused += 1;
        }
    }
    assert_eq!(wrong + refused, 10);
    assert!(wrong <= 5, "{wrong} guesses were checked");
    // The twelfth connection from this address is the last one allowed.
    let mut last = server.connect();
    last.expect("Welcome to wasmud.");
    let mut over = server.connect();
    over.expect("Too many connections from your address.");
    assert!(over.closed_within(Duration::from_secs(5)));
}

#[test]
fn an_idle_player_is_disconnected_when_an_idle_timeout_is_set() {
    let server = Server::start(&["--idle-timeout-secs", "2"]);
    let mut busy = server.connect();
    busy.send("create ida password9");
    busy.expect("Limbo\r\n");
    let mut idle = server.connect();
    idle.send("create ivo password9");
    idle.expect("Limbo\r\n");
    let started = Instant::now();
    // One keeps typing, the other does not.
    while started.elapsed() < Duration::from_secs(4) {
        busy.send("look");
        busy.expect("Limbo\r\n");
        std::thread::sleep(Duration::from_millis(300));
    }
    idle.expect("Idle timeout");
    assert!(idle.closed_within(Duration::from_secs(5)));
    busy.send("look");
    busy.expect("Limbo\r\n");
}

const TTYPE: u8 = 24;
const NOP: u8 = 241;
const DONT: u8 = 254;
const TTYPE_SEND: [u8; 6] = [IAC, SB, TTYPE, 1, IAC, SE];

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn ttype_is(name: &str) -> Vec<u8> {
    let mut sb = vec![IAC, SB, TTYPE, 0];
    sb.extend_from_slice(name.as_bytes());
    sb.extend_from_slice(&[IAC, SE]);
    sb
}

#[test]
fn ttype_decides_colour_offers_are_said_once_and_idle_connections_get_nops() {
    let server = Server::start(&["--keepalive-secs", "1"]);
    let mut client = server.connect();
    let mut heard = client.expect_within(b"Welcome to wasmud.", Duration::from_secs(2));
    assert!(find(&heard, &[IAC, DO, TTYPE]).is_some(), "{heard:?}");
    // A client that agrees to everything, then answers three TTYPE rounds, Mudlet-style.
    client
        .stream
        .write_all(&[IAC, WILL, TTYPE, IAC, WILL, NAWS, IAC, DO, SGA])
        .unwrap();
    for answer in ["MUDLET", "XTERM", "MTTS 137"] {
        heard.extend(client.expect_within(&TTYPE_SEND, Duration::from_secs(5)));
        client.stream.write_all(&ttype_is(answer)).unwrap();
    }
    client.send("create tina password1");
    // MTTS 137 = ANSI | 256 colours | proxy: the room name in colour.
    let room = client.expect("Exits:");
    assert!(room.contains("\x1b[1;36mLimbo\x1b[0m"), "{room:?}");
    heard.extend(room.as_bytes());
    // An agreement is never answered: each offer was said once, and no fourth TTYPE round.
    for offer in [[IAC, DO, TTYPE], [IAC, DO, NAWS], [IAC, WILL, SGA]] {
        assert_eq!(count(&heard, &offer), 1, "{offer:?} in {heard:?}");
    }
    assert_eq!(count(&heard, &TTYPE_SEND), 3, "{heard:?}");

    // A late DONT SGA is acknowledged once, and the connection carries on.
    client.stream.write_all(&[IAC, DONT, SGA]).unwrap();
    client.send("look");
    let after = client.expect_within(b"Exits:", Duration::from_secs(20));
    assert_eq!(count(&after, &[IAC, WONT, SGA]), 1, "{after:?}");
    // Idle: a keepalive every second.
    client.expect_within(&[IAC, NOP], Duration::from_secs(3));
    client.expect_within(&[IAC, NOP], Duration::from_secs(3));

    // A dumb terminal gets no colour.
    let mut dumb = server.connect();
    dumb.stream.write_all(&[IAC, WILL, TTYPE]).unwrap();
    dumb.expect_within(&TTYPE_SEND, Duration::from_secs(5));
    dumb.stream.write_all(&ttype_is("DUMB")).unwrap();
    dumb.send("create ulla password1");
    let room = dumb.expect("Exits:");
    assert!(
        room.contains("Limbo\r\n") && !room.contains('\x1b'),
        "{room:?}"
    );
}

#[test]
fn connections_over_the_rate_wait_their_turn() {
    let server = Server::start(&["--connection-rate", "2"]);
    let started = Instant::now();
    // Eight at once: two (a second's worth) get in at once, the rest one every half second.
    let mut clients: Vec<Client> = (0..8).map(|_| server.connect()).collect();
    let mut waited = Vec::new();
    for client in &mut clients {
        client.expect_within(b"Welcome to wasmud.", Duration::from_secs(20));
        waited.push(started.elapsed());
    }
    assert!(waited[1] < Duration::from_millis(1_500), "{waited:?}");
    assert!(waited[7] >= Duration::from_millis(2_500), "{waited:?}");
    // In arrival order: the third in waits about half a second, not behind the last.
    for (i, waited) in waited.iter().enumerate().skip(2) {
        let turn = Duration::from_millis(500) * (i as u32 - 1);
        assert!(
            *waited < turn + Duration::from_millis(1_500),
            "{i}: {waited:?}"
        );
    }
    // Queued, not refused: every one of them plays.
    for (i, client) in clients.iter_mut().enumerate() {
        client.send(&format!("create rate{i} password1"));
    }
    for client in &mut clients {
        client.expect("Exits:");
    }
}

#[test]
fn the_connection_cap_turns_the_next_one_away_and_a_deleted_character_is_explained() {
    let scripts = wasmud::scripts::TEST_DIR;
    let server = Server::start(&["--max-connections", "3", "--scripts", scripts]);
    let mut open: Vec<Client> = (0..3).map(|_| server.connect()).collect();
    for client in &mut open {
        client.expect("Welcome to wasmud.");
    }
    let mut fourth = server.connect();
    fourth.expect("The server is full; please try again later.");
    assert!(fourth.closed_within(Duration::from_secs(5)));

    // The account's character is deleted by an admin: logging in says so and goes no further.
    open[0].send("create zed password1");
    open[0].expect("Exits:");
    open[0].send("quit");
    open[0].expect("Goodbye.");
    let zed = server.console("find zed");
    let id = zed["objects"][0]["id"].as_u64().unwrap();
    server.console("create remover counter");
    server.console(&format!("call remover at-command remover delete {id}"));
    open[1].send("connect zed password1");
    open[1].expect("Your character no longer exists (it was deleted).");
    // Still at the login screen.
    open[1].send("what now?");
    open[1].expect("Type `connect <name> <password>`");

    // A place freed is taken again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = server.connect();
        let got = again.expect_within(b".", Duration::from_secs(5));
        if find(&got, b"Welcome").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the place was never freed");
        std::thread::sleep(Duration::from_millis(200));
    }
}

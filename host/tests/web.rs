//! The web port of the real `wasmud serve`: the page is served, and the playthrough of the
//! telnet tests runs over the websocket, in Evennia's JSON frames and in the
//! `terminal.mudstandards.org` subprotocol, with a telnet player in the same room. The
//! headless-browser test is in `browser.rs`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Server;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A websocket player.
struct Web {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    /// Text received and not yet matched by `expect` (each frame's text, then a newline).
    seen: String,
}

impl Web {
    fn connect(server: &Server, protocol: &str) -> Web {
        let mut request = format!("ws://{}/ws", server.web_addr())
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        let (ws, response) = tungstenite::connect(request).unwrap();
        let chosen = response.headers()["Sec-WebSocket-Protocol"]
            .to_str()
            .unwrap();
        assert_eq!(chosen, protocol);
        if let MaybeTlsStream::Plain(stream) = ws.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
        }
        Web {
            ws,
            seen: String::new(),
        }
    }

    /// Sends a line as Evennia's web client does.
    fn send(&mut self, line: &str) {
        let frame = serde_json::json!(["text", [line], {}]).to_string();
        self.ws.send(Message::text(frame)).unwrap();
    }

    /// Reads frames until `needle` shows up (within 20 s); returns the text up to it.
    fn expect(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(at) = self.seen.find(needle) {
                let rest = self.seen.split_off(at + needle.len());
                return std::mem::replace(&mut self.seen, rest);
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never arrived; got {:?}",
                self.seen
            );
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    self.seen.push_str(text.as_str());
                    self.seen.push('\n');
                }
                Ok(Message::Binary(bytes)) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => {}
                Err(e) if timed_out(&e) => {}
                Err(e) => panic!(
                    "the socket failed before {needle:?}: {e}; got {:?}",
                    self.seen
                ),
            }
        }
    }

    /// True if the server closed the socket within 5 s.
    fn closed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(Message::Close(_)) => return true,
                Ok(_) => {}
                Err(e) if timed_out(&e) => {}
                Err(_) => return true,
            }
        }
        false
    }
}

/// True for a read that only ran into the socket's read timeout.
fn timed_out(e: &tungstenite::Error) -> bool {
    matches!(e, tungstenite::Error::Io(e) if matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ))
}

/// `GET path` over plain HTTP/1.1: the status line and the body.
fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn the_page_is_served_from_the_binary() {
    let server = Server::start(&[]);
    let (status, body) = http_get(&server.web_addr(), "/");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("<title>wasmud</title>"), "{body}");
    assert!(body.contains("v1.evennia.com"));
    let (status, _) = http_get(&server.web_addr(), "/nothing-here");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
}

#[test]
fn a_web_player_plays_through_beside_a_telnet_player() {
    let server = Server::start(&[]);
    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Exits:");

    let mut wendy = Web::connect(&server, "v1.evennia.com");
    wendy.expect(r#"["text",["Welcome to wasmud."#);
    wendy.send("create wendy password2");
    wendy.expect(r#"["text",["Welcome, wendy!"],{}]"#);
    // The browser renders ANSI: the room's name arrives in colour.
    wendy.expect(r#"\u001b[1;36mLimbo\u001b[0m"#);
    alice.send("say hello, web");
    wendy.expect(r#"alice says, \"hello, web\""#);
    wendy.send("east");
    alice.expect("wendy leaves east.");
    wendy.expect("Tavern");
    wendy.send("n");
    wendy.expect("Garden");
    wendy.send("get lantern");
    wendy.expect("You pick up a brass lantern.");
    wendy.send("i");
    wendy.expect("You are carrying: a brass lantern.");
    wendy.send("quit");
    wendy.expect("Goodbye.");
    assert!(wendy.closed(), "quit closes the socket");

    // Back with the two-prompt login: the page is told to hide the password.
    let mut wendy = Web::connect(&server, "v1.evennia.com");
    wendy.send("wendy");
    wendy.expect(r#"["echo",[false],{}]"#);
    wendy.expect(r#"["prompt",["Password: "],{}]"#);
    wendy.send("password2");
    wendy.expect(r#"["echo",[true],{}]"#);
    wendy.expect("Welcome, wendy!");
    wendy.expect("Garden");
    wendy.send("inventory");
    wendy.expect("You are carrying: a brass lantern.");
    // A builder builds from the browser as from a MUD client.
    wendy.send("dig Greenhouse");
    wendy.expect("Huh? Nothing here understands");
    server.console_argv(&["grant", "wendy", "builder"]);
    wendy.send("dig Greenhouse = glass door;glass, out");
    wendy.expect("Created exit out (#");
    wendy.send("glass");
    wendy.expect("Greenhouse");
    wendy.send("desc here = Warm and humid.");
    wendy.expect("The description of Greenhouse (#");
    wendy.send("look");
    wendy.expect("Warm and humid.");
    wendy.send("out");
    wendy.expect("Garden");
    // Evennia's keepalive is not a command.
    wendy.send("idle");
    wendy.send("who");
    let who = wendy.expect("alice, wendy");
    assert!(who.contains("Players online (2):"), "{who}");
    assert!(!who.contains("Huh?"), "{who}");

    // The raw-ANSI subprotocol: binary frames both ways; logging in takes the character over.
    let mut raw = Web::connect(&server, "terminal.mudstandards.org");
    raw.expect("Welcome to wasmud.");
    raw.ws
        .send(Message::binary(b"connect wendy password2\r\n".to_vec()))
        .unwrap();
    raw.expect("Welcome, wendy!\r\n");
    raw.expect("\x1b[1;36mGarden\x1b[0m");
    wendy.expect("Another connection logged in to this character.");
    assert!(wendy.closed());
    assert!(!server.log().contains("password2"), "a password in the log");
}

#[test]
fn web_limits_long_messages_are_refused_and_silent_sockets_dropped() {
    let server = Server::start(&["--keepalive-secs", "1"]);
    let mut big = Web::connect(&server, "v1.evennia.com");
    big.expect("Welcome to wasmud.");
    // Over the 64 KiB message limit: the socket is closed, the server carries on.
    let huge = "x".repeat(100_000);
    let _ = big.ws.send(Message::text(huge));
    assert!(big.closed(), "a 100 KB message closes the socket");

    // A client that never answers pings (its socket is never read) is dropped after two
    // keepalives, and its place is freed.
    let silent = Web::connect(&server, "v1.evennia.com");
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        server.log().contains("no answer to pings"),
        "{}",
        server.log()
    );
    drop(silent);

    let mut fine = Web::connect(&server, "v1.evennia.com");
    fine.send("create vera password3");
    fine.expect("Exits:");
}

//! The web client in a real browser: headless Chromium (Debian `chromium`) loads the page
//! from the real `wasmud serve`, a player types `create` and `look` into the input line, and
//! the test reads the rendered output (the room's name in colour) and saves a screenshot to
//! `target/web-client.png`. Driven over the Chrome DevTools Protocol (a websocket).

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::Server;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A headless Chromium and a DevTools connection to its page.
struct Browser {
    child: Child,
    page: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                "--window-size=960,600",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chromium (Debian: apt-get install chromium; .ci/run installs it)");
        // "DevTools listening on ws://127.0.0.1:<port>/devtools/browser/<id>"
        let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut port = None;
        for line in stderr.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                port = rest.split('/').next().map(str::to_owned);
                break;
            }
        }
        let port = port.expect("chromium never said where DevTools listens");
        // Chromium keeps logging (no D-Bus here): drain it, or it blocks on a full pipe.
        std::thread::spawn(move || stderr.for_each(drop));
        let deadline = Instant::now() + Duration::from_secs(30);
        let target = loop {
            let list: Value = serde_json::from_str(&http_get(&port, "/json/list")).unwrap();
            let page = list.as_array().unwrap().iter().find(|t| {
                t["type"] == "page" && t["url"].as_str().is_some_and(|u| u.starts_with(url))
            });
            if let Some(page) = page {
                break page["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
            }
            assert!(Instant::now() < deadline, "no page in {list}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (page, _) = tungstenite::connect(target).unwrap();
        if let MaybeTlsStream::Plain(stream) = page.get_ref() {
            // A command that never answers fails the test instead of hanging it.
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        Browser {
            child,
            page,
            next_id: 1,
            _profile: profile,
        }
    }

    /// Runs a DevTools command and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({ "id": id, "method": method, "params": params });
        self.page.send(Message::text(request.to_string())).unwrap();
        loop {
            let message = (self.page.read()).unwrap_or_else(|e| panic!("{method}: {e}"));
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).unwrap();
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        result["result"]["value"].clone()
    }

    /// Waits until the output pane shows `text` `times` times; returns the pane's text.
    fn wait_for(&mut self, text: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let shown = self.eval("document.getElementById('output').innerText");
            let shown = shown.as_str().unwrap_or_default().to_owned();
            if shown.matches(text).count() >= times {
                return shown;
            }
            assert!(Instant::now() < deadline, "{text:?} never shown: {shown}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `line` into the focused input line and presses Enter, as a person would.
    fn type_line(&mut self, line: &str) {
        self.eval("document.getElementById('input').focus()");
        self.call("Input.insertText", json!({ "text": line }));
        for kind in ["keyDown", "keyUp"] {
            let key = json!({
                "type": kind, "key": "Enter", "code": "Enter",
                "windowsVirtualKeyCode": 13, "text": "\r",
            });
            self.call("Input.dispatchKeyEvent", key);
        }
    }
}

/// `GET path` from `127.0.0.1:port`: the body (DevTools keeps the connection open, so the
/// body is read by its `Content-Length`).
fn http_get(port: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    String::from_utf8(body).unwrap()
}

#[test]
fn a_player_types_look_in_headless_chromium_and_sees_the_room_in_colour() {
    let server = Server::start(&[]);
    let url = format!("http://{}/", server.web_addr());
    let mut browser = Browser::open(&url);
    browser.wait_for("Welcome to wasmud.", 1);
    browser.type_line("create petra password1");
    browser.wait_for("Exits:", 1);
    browser.type_line("look");
    let shown = browser.wait_for("Exits:", 2);
    assert!(
        shown.contains("\nlook\n"),
        "the typed line is echoed: {shown}"
    );
    assert!(shown.contains("A featureless grey void."), "{shown}");
    // ANSI rendered, not shown raw: `|c` (bright cyan) on the room's name.
    assert!(
        !shown.contains("\u{1b}") && !shown.contains("[1;36m"),
        "{shown}"
    );
    let colour = browser.eval(
        "[...document.querySelectorAll('#output span')]\
         .filter(s => s.textContent === 'Limbo').map(s => getComputedStyle(s).color)",
    );
    assert_eq!(colour[0], "rgb(41, 184, 219)", "{colour}");
    // History: the up arrow brings the last line back.
    browser.eval("document.getElementById('input').focus()");
    let up = json!({ "type": "keyDown", "key": "ArrowUp", "code": "ArrowUp",
                     "windowsVirtualKeyCode": 38 });
    browser.call("Input.dispatchKeyEvent", up);
    assert_eq!(
        browser.eval("document.getElementById('input').value"),
        "look"
    );
    browser.eval("document.getElementById('input').value = ''");

    browser.screenshot("web-client.png");
}

impl Browser {
    /// Fills the dashboard's login form and submits it, as a person would.
    fn log_in(&mut self, name: &str, password: &str) {
        self.eval(&format!(
            "document.getElementById('name').value = {name:?};\
             document.getElementById('password').value = {password:?};\
             document.getElementById('go').click()"
        ));
    }

    /// Clicks the element `selector` with the mouse, at its centre.
    fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const r = document.querySelector({selector:?}).getBoundingClientRect();\
             return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        for kind in ["mousePressed", "mouseReleased"] {
            let event = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
            self.call("Input.dispatchMouseEvent", event);
        }
    }

    /// Saves a screenshot of the page as `target/<name>` (a PNG).
    fn screenshot(&mut self, name: &str) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target")
            .join(name);
        std::fs::write(&target, &png).unwrap();
    }

    /// Waits until the JavaScript `condition` is true.
    fn wait_until(&mut self, condition: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.eval(condition) != json!(true) {
            let page = self.eval("document.body.innerText");
            assert!(Instant::now() < deadline, "never true: {condition}\n{page}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn an_admin_watches_the_dashboard_and_a_flush_clicked_there_shows_in_the_chart() {
    let server = Server::start(&[]);
    let mut online = Vec::new(); // connected until the end: two players online
    for name in ["root", "bob"] {
        let mut client = server.connect();
        client.send(&format!("create {name} password1"));
        client.expect("Exits:");
        online.push(client);
    }
    server.console_argv(&["grant", "root", "admin"]);
    let url = format!("http://{}/admin", server.web_addr());
    let mut browser = Browser::open(&url);

    // A player who is not an admin, and a wrong password, are turned away in the page.
    // (The page may still be the blank one Chromium starts with.)
    browser.wait_until("document.getElementById('go') !== null");
    browser.log_in("bob", "password1");
    browser.wait_until("document.getElementById('error').innerText.includes('not an admin')");
    browser.log_in("root", "wrong-password");
    browser.wait_until(
        "document.getElementById('error').innerText.includes('Wrong name or password')",
    );

    browser.log_in("root", "password1");
    browser.wait_until("window.dashboard.samples.length >= 3");
    let shown = browser.eval("document.body.innerText");
    let shown = shown.as_str().unwrap();
    for chart in [
        "cache entries",
        "turn time p99",
        "durable commits /s",
        "fsync p99",
        "players online",
    ] {
        assert!(shown.contains(chart), "{chart}: {shown}");
    }
    assert_eq!(
        browser.eval("window.dashboard.samples.at(-1).players"),
        json!(2)
    );
    assert!(
        browser.eval("window.dashboard.log.some(l => l.includes('dashboard opened'))")
            == json!(true),
        "the recent log is shown"
    );

    // A flush clicked in the page runs the console's flush, and the next sample shows it.
    let before = browser.eval("window.dashboard.samples.at(-1).flushes");
    let entries = browser.eval("window.dashboard.samples.at(-1).entries");
    browser.click("#flush");
    browser.wait_until("window.dashboard.reply !== null && window.dashboard.reply.ok");
    browser.wait_until(&format!(
        "window.dashboard.samples.at(-1).flushes > {before} && \
         window.dashboard.samples.some(s => s.flushed > 0)"
    ));
    let after = browser.eval("window.dashboard.samples.at(-1).entries");
    assert!(
        after.as_u64() < entries.as_u64(),
        "entries {entries} -> {after}"
    );
    let flushed = browser.eval("[...document.querySelectorAll('.chart')].find(c => c.innerText.includes('flushed /s')).querySelector('canvas').width > 0");
    assert_eq!(flushed, json!(true));

    browser.screenshot("dashboard.png");
}

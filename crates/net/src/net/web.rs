//! The web port: a small web client page (`/`, embedded in the binary) and its websocket
//! (`/ws`), on one HTTP port (axum).
//!
//! Two websocket subprotocols, picked from the client's `Sec-WebSocket-Protocol` list:
//! - `v1.evennia.com` (also with no header): text frames holding JSON arrays
//!   `["cmd", [args], {kwargs}]` both ways, as Evennia's web client speaks. In: `["text",
//!   ["look"], {}]` (Evennia's `["text", ["idle"], {}]` keepalive is ignored). Out: `["text",
//!   [text], {}]`, `["prompt", [text], {}]` and `["echo", [false], {}]` around a password.
//!   The text is ANSI, which the page renders.
//! - `terminal.mudstandards.org`: binary frames of UTF-8 ANSI text both ways, one line per
//!   newline, no out-of-band data.
//!
//! A connection runs the same [`Session`] as telnet under the same limits (one connection cap
//! for both ports, per-address caps, login and idle timeouts, line length, command rate, a
//! bounded output queue). Messages over 64 KiB are refused by the websocket layer. The server
//! pings every [`super::NetLimits::keepalive`]; a socket that answers nothing for two of those
//! is dropped.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Extension, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

use super::Players;
use super::lines::LineBuffer;
use super::markup::{self, ColorLevel};
use super::outlet::Outlet;
use super::session::{Flow, Session, Terminal};
use wasmud_world::outbox::Listener;

/// The page: plain HTML, CSS and JavaScript, no build step.
const PAGE: &str = include_str!("web/client.html");

/// The subprotocols, in the server's order of preference.
const PROTOCOLS: [&str; 2] = [V1, TERMINAL];
const V1: &str = "v1.evennia.com";
const TERMINAL: &str = "terminal.mudstandards.org";

/// The largest websocket message (and frame) accepted.
const MAX_MESSAGE: usize = 64 * 1024;

/// Binds the web port.
///
/// # Errors
/// If the address cannot be bound.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves the page and the websocket until the task is dropped.
///
/// The accept loop is our own rather than `axum::serve`'s, so that every HTTP connection,
/// not only websockets, is counted against the connection caps the moment it is accepted (a
/// socket holding half a request is a descriptor too), and so that each one has a deadline
/// for its headers ([`super::NetLimits::http_header_timeout`]) and a life
/// ([`super::NetLimits::http_connection_life`]); a websocket, once upgraded, lives on under
/// the player limits.
pub async fn serve(listener: TcpListener, players: Arc<Players>, admin: Arc<dyn AdminPage>) {
    let app = Router::new()
        .route("/", get(page))
        .route("/ws", get(upgrade))
        .route("/admin", get(admin_page))
        .route("/admin/ws", get(admin_upgrade))
        .layer(Extension(admin))
        .with_state(players.clone());
    let mut backoff = crate::accept::AcceptBackoff::default();
    loop {
        let (stream, peer) = crate::accept::accept_tcp(&listener, &mut backoff, "web").await;
        let entry = match players.enter(peer.ip()) {
            Ok(entry) => Arc::new(entry),
            Err(why) => {
                let response = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{why}",
                    why.len()
                );
                super::refuse(&stream, &response);
                continue;
            }
        };
        let (app, limits) = (app.clone(), players.limits.clone());
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(entry.clone());
                app.clone().oneshot(request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.http_header_timeout)
                .max_buf_size(MAX_HTTP_BUFFER)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            // Past its life the connection is dropped, its socket closed; an upgraded
            // websocket has left it by then and goes on.
            let _ = tokio::time::timeout(limits.http_connection_life, connection).await;
        });
    }
}

/// The most a client's request may make the server buffer.
const MAX_HTTP_BUFFER: usize = 16 * 1024;

/// The page's security headers: scripts, styles and sockets from its own origin only, never
/// framed by another site.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

async fn page() -> Response {
    html(PAGE)
}

/// What the web port serves admins at `/admin` (the console crate's dashboard): the network
/// front only carries it, so it knows nothing of the console.
pub trait AdminPage: Send + Sync + 'static {
    /// The page (served with the same security headers as the game's).
    fn page(&self) -> &'static str;
    /// Serves one admin's websocket, opened from `peer` (already counted as a connection and
    /// checked to come from this site's pages).
    fn serve(
        self: Arc<Self>,
        socket: WebSocket,
        peer: IpAddr,
        players: Arc<Players>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

async fn admin_page(Extension(admin): Extension<Arc<dyn AdminPage>>) -> Response {
    html(admin.page())
}

/// A page with the security headers.
fn html(page: &'static str) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page),
    )
        .into_response()
}

/// True if a websocket request from a page at `origin` may connect to a server reached as
/// `host`: no `Origin` at all (not a browser), the page's own host, or an allowed origin.
fn origin_allowed(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let origin = origin.trim().trim_end_matches('/');
    if allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h.trim()))
}

/// A refusal for a websocket request from a page of another site (see [`origin_allowed`]).
fn other_site(headers: &HeaderMap, peer: SocketAddr, players: &Players) -> Option<Response> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let origin = text(header::ORIGIN);
    if origin_allowed(origin, text(header::HOST), &players.limits.web_origins) {
        return None;
    }
    tracing::info!(%peer, origin, "websocket refused: its page is from another site");
    Some(
        (
            StatusCode::FORBIDDEN,
            "This game's websockets only serve its own pages.",
        )
            .into_response(),
    )
}

/// The dashboard's websocket: same-site pages only, counted as a connection like any other.
async fn admin_upgrade(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(entry): Extension<Arc<super::Entry>>,
    Extension(admin): Extension<Arc<dyn AdminPage>>,
    headers: HeaderMap,
    State(players): State<Arc<Players>>,
) -> Response {
    if let Some(refused) = other_site(&headers, peer, &players) {
        return refused;
    }
    let ws = ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE);
    ws.on_upgrade(move |socket| async move {
        admin.serve(socket, peer.ip(), players).await;
        drop(entry);
    })
}

async fn upgrade(
    ws: WebSocketUpgrade,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(entry): Extension<Arc<super::Entry>>,
    headers: HeaderMap,
    State(players): State<Arc<Players>>,
) -> Response {
    if let Some(refused) = other_site(&headers, peer, &players) {
        return refused;
    }
    let ws = ws
        .protocols(PROTOCOLS)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE);
    let terminal = ws
        .selected_protocol()
        .is_some_and(|p| p.as_bytes() == TERMINAL.as_bytes());
    // Over the connection rate, the socket waits its turn (taken now, in request order).
    let turn = players.admission();
    ws.on_upgrade(move |socket| async move {
        tokio::time::sleep_until(turn).await;
        connection(socket, peer, players, terminal).await;
        drop(entry);
    })
}

/// A websocket connection's output side.
struct WebTerm {
    out: Outlet<Message>,
    /// `terminal.mudstandards.org` (binary ANSI) rather than Evennia's JSON arrays.
    terminal: bool,
}

impl WebTerm {
    /// Sends one Evennia-style command (`["cmd", [args], {}]`), or for the terminal
    /// protocol the text of a `text` or `prompt` command.
    fn command(&self, cmd: &str, arg: serde_json::Value) {
        let message = if self.terminal {
            let Some(text) = arg.as_str() else { return };
            let mut text = text.to_owned();
            if cmd == "text" {
                text.push_str("\r\n");
            }
            Message::Binary(Bytes::from(text))
        } else {
            let frame = serde_json::json!([cmd, [arg], {}]).to_string();
            Message::Text(Utf8Bytes::from(frame))
        };
        let len = match &message {
            Message::Binary(b) => b.len(),
            Message::Text(t) => t.len(),
            _ => 0,
        };
        self.out.send(message, len);
    }

    fn render(text: &str) -> String {
        markup::render(text, ColorLevel::Xterm256, false).replace('\n', "\r\n")
    }
}

impl Listener for WebTerm {
    fn deliver(&self, text: &str) {
        self.command("text", Self::render(text).into());
    }

    fn kick(&self, reason: &str) {
        self.deliver(reason);
        self.out.end(reason);
    }
}

impl Terminal for WebTerm {
    fn prompt(&self, text: &str) {
        self.command("prompt", Self::render(text).into());
    }

    fn echo(&self, visible: bool) {
        if !self.terminal {
            self.command("echo", visible.into());
        }
    }
}

/// What one websocket message from the client asks for.
enum Input {
    /// Lines typed.
    Text(String),
    /// Nothing to do (a keepalive, an unknown command, a pong).
    Nothing,
    /// The client closed the socket.
    Close,
}

/// Reads an Evennia JSON array: `["text", ["look"], {}]` gives `look`; anything else nothing.
fn evennia_text(frame: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(frame).ok()?;
    let array = value.as_array()?;
    if array.first()?.as_str()? != "text" {
        return None;
    }
    let line = array.get(1)?.as_array()?.first()?.as_str()?;
    (line != "idle").then(|| line.to_owned())
}

fn input(message: Message, terminal: bool) -> Input {
    match message {
        Message::Text(text) if !terminal => {
            evennia_text(text.as_str()).map_or(Input::Nothing, |mut line| {
                line.push('\n');
                Input::Text(line)
            })
        }
        Message::Text(text) => Input::Text(text.as_str().to_owned()),
        Message::Binary(bytes) if terminal => {
            Input::Text(String::from_utf8_lossy(&bytes).into_owned())
        }
        Message::Close(_) => Input::Close,
        _ => Input::Nothing,
    }
}

async fn connection(socket: WebSocket, peer: SocketAddr, players: Arc<Players>, terminal: bool) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut drain) = Outlet::new(peer, &players.limits);
    let term = Arc::new(WebTerm { out, terminal });
    let writer_task = tokio::spawn(async move {
        while let Some((message, len)) = drain.next().await {
            if sink.send(message).await.is_err() {
                break;
            }
            drain.written(len);
        }
        let _ = sink.close().await;
    });
    tracing::debug!(%peer, terminal, "websocket connection");
    let mut session = Session::new(players.clone(), term.clone(), peer.ip());
    let mut lines = LineBuffer::new(players.limits.max_line_chars);
    let limits = &players.limits;
    let mut keepalive = tokio::time::interval(limits.keepalive);
    keepalive.tick().await;
    let opened = tokio::time::Instant::now();
    // Any message (a pong included) shows the socket is alive; a line shows the player is.
    let mut last_heard = opened;
    let mut last_input = last_heard;
    'conn: loop {
        tokio::select! {
            message = stream.next() => {
                let Some(Ok(message)) = message else { break };
                last_heard = tokio::time::Instant::now();
                let text = match input(message, terminal) {
                    Input::Text(text) => text,
                    Input::Nothing => continue,
                    Input::Close => break,
                };
                last_input = last_heard;
                for line in lines.push(text.as_bytes()) {
                    if term.out.is_ended() {
                        break 'conn;
                    }
                    match line {
                        Ok(line) => {
                            if session.line(&line).await == Flow::Quit {
                                break 'conn;
                            }
                        }
                        Err(too_long) => term.deliver(&too_long),
                    }
                }
            }
            () = term.out.ending() => break,
            why = super::silence(limits, opened, last_input, session.logged_in()) => {
                term.kick(why);
                break;
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > 2 * limits.keepalive {
                    tracing::info!(%peer, "websocket dropped: no answer to pings");
                    break;
                }
                term.out.send(Message::Ping(Bytes::new()), 0);
            }
        }
        if term.out.is_ended() {
            break;
        }
    }
    session.end();
    term.out.close(writer_task).await;
    tracing::debug!(%peer, "websocket connection closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_own_origin_or_an_allowed_one_opens_the_socket() {
        let allowed = vec!["https://play.example.org".to_owned()];
        let ok = |origin, host| origin_allowed(origin, host, &allowed);
        assert!(ok(None, Some("127.0.0.1:4001")), "non-browser clients");
        assert!(ok(Some("http://127.0.0.1:4001"), Some("127.0.0.1:4001")));
        assert!(ok(Some("https://Play.Example.org/"), Some("10.0.0.1:4001")));
        assert!(!ok(Some("https://evil.example"), Some("127.0.0.1:4001")));
        assert!(!ok(
            Some("http://127.0.0.1:4001.evil.example"),
            Some("127.0.0.1:4001")
        ));
        assert!(!ok(Some("null"), Some("127.0.0.1:4001")));
        assert!(!ok(Some("http://127.0.0.1:4001"), None));
    }

    #[test]
    fn evennia_frames_carry_text_and_the_rest_is_ignored() {
        assert_eq!(
            evennia_text(r#"["text", ["look"], {}]"#),
            Some("look".into())
        );
        assert_eq!(evennia_text(r#"["text", ["idle"], {}]"#), None);
        assert_eq!(evennia_text(r#"["logged_in", [], {}]"#), None);
        assert_eq!(evennia_text(r#"{"text": "look"}"#), None);
        assert_eq!(evennia_text("not json"), None);
    }
}

//! The telnet port: what MUD clients (Mudlet, TinTin++, MUSHclient, plain `telnet`) speak.
//!
//! Parsing is `libmudtelnet`'s. On connect the server offers `WILL SGA`, `DO NAWS`, `DO TTYPE`,
//! `WILL GMCP` and `WILL MSSP` and shows the banner at once: nothing waits for an answer, so a client that ignores telnet entirely
//! logs in as well as one that negotiates, and `connect name pass` in the very first packet
//! works. Options the server does not offer are refused (`DONT`/`WONT`), and an answer to an
//! answer is never sent twice, so negotiation cannot loop. Passwords are typed between `WILL
//! ECHO` and `WONT ECHO` (the client stops echoing; Mudlet's convention). TTYPE/MTTS answers
//! decide the colour the client gets (none until it says; see [`super::ttype`]). Prompts end in
//! `IAC GA` unless the client accepted SGA. An idle connection gets `IAC NOP` every
//! [`super::NetLimits::keepalive`] (home routers drop silent TCP connections).
//!
//! Each connection has two tasks: this one reads (and runs the session), a writer drains a
//! bounded queue into the socket. The world thread and the session only ever `try_send` into
//! that queue; a client that stops reading fills it and is disconnected, and no one waits.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use libmudtelnet::Parser;
use libmudtelnet::compatibility::{CompatibilityEntry, CompatibilityTable};
use libmudtelnet::events::{TelnetEvents, TelnetSubnegotiation};
use libmudtelnet::telnet::{op_command as cmd, op_option as opt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::gmcp::{self, GmcpState};
use super::lines::LineBuffer;
use super::markup::{self, ColorLevel};
use super::outlet::{Next, Outlet};
use super::session::{Flow, Session, Terminal};
use super::telnet_input::{READ_CHUNK, TelnetInput};
use super::ttype::{self, Ttype};
use super::{Players, mssp};
use wasmud_world::outbox::Listener;

/// Binds the telnet port.
///
/// # Errors
/// If the address cannot be bound.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Accepts telnet connections until the task is dropped. Each one is checked against its
/// address's rate and caps at once, then waits its turn under the global connection rate in
/// its own task (holding its place), so the accept loop never waits.
pub async fn serve(listener: TcpListener, players: Arc<Players>) {
    let mut backoff = crate::accept::AcceptBackoff::default();
    loop {
        let (stream, peer) = crate::accept::accept_tcp(&listener, &mut backoff, "telnet").await;
        let entry = match players.enter(peer.ip()) {
            Ok(entry) => entry,
            Err(why) => {
                super::refuse(&stream, &format!("{why}\r\n"));
                continue;
            }
        };
        let players = players.clone();
        // The turn is taken here, in accept order; the task waits for it (holding its place).
        let turn = players.admission();
        tokio::spawn(async move {
            tokio::time::sleep_until(turn).await;
            connection(stream, peer, players).await;
            drop(entry);
        });
    }
}

/// What a telnet connection's writer sends: bytes ready to go, or a line of text that it
/// renders for this client first (so the world thread only queues what a room hears, once
/// for everyone, and the rendering happens on the connection's own task).
enum Out {
    Bytes(Bytes),
    Line(Arc<str>),
}

/// How a client shows text (set from TTYPE/MTTS by the reader, read by the writer).
#[derive(Default)]
struct Style {
    /// The client's colour level ([`ColorLevel::code`]).
    color: AtomicU8,
    /// The client said (MTTS) it does not take UTF-8.
    ascii: AtomicBool,
}

impl Style {
    /// `text` with its colour markup rendered for this client.
    fn render(&self, text: &str) -> String {
        let level = ColorLevel::from_code(self.color.load(Ordering::Relaxed));
        markup::render(text, level, self.ascii.load(Ordering::Relaxed))
    }

    /// Appends `item` to `buf` as it goes on the wire.
    fn append(&self, buf: &mut Vec<u8>, item: Out) {
        match item {
            Out::Bytes(bytes) => buf.extend_from_slice(&bytes),
            Out::Line(text) => {
                push_crlf(buf, &self.render(&text));
                buf.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// Appends `text` with telnet line endings. (UTF-8 text never contains 255, IAC, so nothing
/// needs escaping.)
fn push_crlf(buf: &mut Vec<u8>, text: &str) {
    for byte in text.bytes() {
        if byte == b'\n' {
            buf.push(b'\r');
        }
        buf.push(byte);
    }
}

/// Most bytes a writer gathers into one write.
const WRITE_BATCH: usize = 64 * 1024;

/// A telnet connection's output side, shared by its reader, its session and the world
/// thread's outbox.
struct TelnetTerm {
    out: Outlet<Out>,
    /// The option state (the session's echo changes it while the reader parses).
    parser: Mutex<Parser>,
    /// True until the client accepts SGA: prompts end in `IAC GA`.
    go_ahead: AtomicBool,
    /// The client's window width (NAWS), 0 if unknown.
    width: AtomicU16,
    /// The client accepted GMCP (`DO GMCP`).
    gmcp_on: AtomicBool,
    /// What the client said over GMCP.
    gmcp: Mutex<GmcpState>,
    /// How the client shows text (TTYPE), shared with the writer.
    style: Arc<Style>,
}

impl TelnetTerm {
    fn send(&self, bytes: Bytes) {
        let len = bytes.len();
        self.out.send(Out::Bytes(bytes), len);
    }
}

impl Listener for TelnetTerm {
    fn deliver(&self, text: &str) {
        self.deliver_shared(&Arc::from(text));
    }

    fn deliver_shared(&self, text: &Arc<str>) {
        self.out.send(Out::Line(text.clone()), text.len() + 2);
    }

    fn kick(&self, reason: &str) {
        self.deliver(reason);
        self.out.end(reason);
    }
}

impl TelnetTerm {
    /// Sends one GMCP message.
    fn send_gmcp(&self, message: &str) {
        let sb = TelnetSubnegotiation::new(opt::GMCP, Bytes::copy_from_slice(message.as_bytes()));
        self.send(sb.to_bytes());
    }
}

impl Terminal for TelnetTerm {
    fn wants(&self, package: &str) -> bool {
        self.gmcp_on.load(Ordering::SeqCst) && self.gmcp.lock().expect("gmcp lock").wants(package)
    }

    fn gmcp(&self, package: &str, data: &serde_json::Value) {
        if self.wants(package) {
            self.send_gmcp(&gmcp::message(package, data));
        }
    }

    fn prompt(&self, text: &str) {
        let mut bytes = Vec::with_capacity(text.len() + 2);
        push_crlf(&mut bytes, &self.style.render(text));
        if self.go_ahead.load(Ordering::SeqCst) {
            bytes.extend_from_slice(&[cmd::IAC, cmd::GA]);
        }
        self.send(Bytes::from(bytes));
    }

    fn echo(&self, visible: bool) {
        let event = {
            let mut parser = self.parser.lock().expect("parser lock");
            if visible {
                parser._wont(opt::ECHO)
            } else {
                parser._will(opt::ECHO)
            }
        };
        if let Some(event) = event {
            self.send(event.to_bytes());
        }
    }
}

/// The options the server speaks: it offers SGA, GMCP and MSSP (and ECHO around passwords)
/// itself and asks for NAWS and TTYPE. (Those two are marked local too: the parser reports
/// subnegotiations only for options enabled locally.)
fn options() -> CompatibilityTable {
    let mut table = CompatibilityTable::new();
    table.support_local(opt::SGA);
    table.support_local(opt::ECHO);
    table.support_local(opt::GMCP);
    table.support_local(opt::MSSP);
    table.set_option(opt::NAWS, CompatibilityEntry::new(true, true, true, false));
    table.set_option(opt::TTYPE, CompatibilityEntry::new(true, true, true, false));
    table
}

async fn connection(stream: TcpStream, peer: SocketAddr, players: Arc<Players>) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (out, mut drain) = Outlet::new(peer, &players.limits);
    let style = Arc::new(Style::default());
    let mut parser = Parser::with_support(options());
    // Offers, sent as they are (the answers arrive as events; nothing waits for them).
    let offers = [
        parser.negotiate(cmd::WILL, opt::SGA),
        parser.negotiate(cmd::DO, opt::NAWS),
        parser.negotiate(cmd::DO, opt::TTYPE),
        parser.negotiate(cmd::WILL, opt::GMCP),
        parser.negotiate(cmd::WILL, opt::MSSP),
    ];
    // The parser confirms a client's agreement by repeating the offer; an offer is said once.
    let mut unanswered: Vec<Bytes> = offers.iter().map(|o| o.clone().to_bytes()).collect();
    let mut ttype = Ttype::default();
    let term = Arc::new(TelnetTerm {
        out,
        parser: Mutex::new(parser),
        go_ahead: AtomicBool::new(true),
        width: AtomicU16::new(0),
        gmcp_on: AtomicBool::new(false),
        gmcp: Mutex::new(GmcpState::default()),
        style: style.clone(),
    });
    // The writer renders queued lines and sends everything queued in one write.
    let writer_task = tokio::spawn(async move {
        let mut buf = Vec::with_capacity(4096);
        'write: while let Some((item, len)) = drain.next().await {
            let (mut written, mut closing) = (len, false);
            style.append(&mut buf, item);
            while buf.len() < WRITE_BATCH {
                match drain.try_next() {
                    Next::Item(item, len) => {
                        written += len;
                        style.append(&mut buf, item);
                    }
                    Next::Close => {
                        closing = true;
                        break;
                    }
                    Next::Empty => break,
                }
            }
            if writer.write_all(&buf).await.is_err() {
                break 'write;
            }
            buf.clear();
            drain.written(written);
            if closing {
                break;
            }
        }
        let _ = writer.shutdown().await;
    });
    for offer in offers {
        term.send(offer.to_bytes());
    }
    tracing::debug!(%peer, "telnet connection");
    let mut session = Session::new(players.clone(), term.clone(), peer.ip());
    let mut lines = LineBuffer::new(players.limits.max_line_chars);
    let mut keepalive = tokio::time::interval(players.limits.keepalive);
    keepalive.tick().await;
    let opened = tokio::time::Instant::now();
    let mut last_input = opened;
    let mut input = TelnetInput::default();
    let mut buf = vec![0u8; READ_CHUNK];
    'conn: loop {
        tokio::select! {
            read = reader.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                last_input = tokio::time::Instant::now();
                let events = {
                    let mut parser = term.parser.lock().expect("parser lock");
                    input.receive(&mut parser, &buf[..n])
                };
                let Ok(events) = events else {
                    term.kick("That telnet subnegotiation was too long.");
                    break;
                };
                for event in events {
                    match event {
                        // IAC is never an option: a client that names it is malformed (and
                        // how the parser reads what follows depends on how the bytes were cut
                        // into reads), so it is cut, whatever the reads were.
                        TelnetEvents::Subnegotiation(sb) if sb.option == cmd::IAC => {
                            term.kick("That telnet subnegotiation was malformed.");
                            break 'conn;
                        }
                        TelnetEvents::Negotiation(n) if n.option == cmd::IAC => {
                            term.kick("That telnet negotiation was malformed.");
                            break 'conn;
                        }
                        TelnetEvents::DataSend(bytes) => {
                            match unanswered.iter().position(|offer| *offer == bytes) {
                                Some(i) => drop(unanswered.swap_remove(i)),
                                None => term.send(bytes),
                            }
                        }
                        TelnetEvents::Negotiation(n)
                            if n.option == opt::TTYPE && n.command == cmd::WILL && ttype.ask() =>
                        {
                            term.send(ttype_send());
                        }
                        TelnetEvents::Subnegotiation(sb)
                            if sb.option == opt::TTYPE && sb.buffer.first() == Some(&ttype::IS) =>
                        {
                            let again = ttype.answer(&sb.buffer[1..]);
                            term.style.color.store(ttype.color.code(), Ordering::Relaxed);
                            term.style.ascii.store(!ttype.utf8, Ordering::Relaxed);
                            if again && ttype.ask() {
                                term.send(ttype_send());
                            }
                        }
                        TelnetEvents::DataReceive(data) => {
                            for line in lines.push(&data) {
                                // Kicked (taken over, too far behind): no more input counts.
                                if term.out.is_ended() {
                                    break 'conn;
                                }
                                let line = match line {
                                    Ok(line) => line,
                                    Err(too_long) => {
                                        term.deliver(&too_long);
                                        continue;
                                    }
                                };
                                if session.line(&line).await == Flow::Quit {
                                    break 'conn;
                                }
                            }
                        }
                        TelnetEvents::Negotiation(n) if n.option == opt::SGA => {
                            term.go_ahead.store(n.command != cmd::DO, Ordering::SeqCst);
                        }
                        TelnetEvents::Negotiation(n) if n.option == opt::GMCP => {
                            term.gmcp_on.store(n.command == cmd::DO, Ordering::SeqCst);
                        }
                        TelnetEvents::Negotiation(n)
                            if n.option == opt::MSSP && n.command == cmd::DO =>
                        {
                            let port = reader.local_addr().map_or(0, |a| a.port());
                            let online = players.online_count();
                            let table = mssp::table(online, players.started_unix, port);
                            let sb = TelnetSubnegotiation::new(opt::MSSP, Bytes::from(table));
                            term.send(sb.to_bytes());
                        }
                        TelnetEvents::Subnegotiation(sb) if sb.option == opt::GMCP => {
                            let text = String::from_utf8_lossy(&sb.buffer);
                            let reply = term.gmcp.lock().expect("gmcp lock").receive(&text);
                            if let gmcp::Reply::Send(message) = reply {
                                term.send_gmcp(&message);
                            }
                        }
                        TelnetEvents::Subnegotiation(sb) if sb.option == opt::NAWS => {
                            if let [w0, w1, ..] = sb.buffer[..] {
                                term.width.store(u16::from_be_bytes([w0, w1]), Ordering::SeqCst);
                            }
                        }
                        _ => {}
                    }
                }
            }
            () = term.out.ending() => break,
            why = super::silence(&players.limits, opened, last_input, session.logged_in()) => {
                term.kick(why);
                break;
            }
            _ = keepalive.tick() => term.send(Bytes::from_static(&[cmd::IAC, cmd::NOP])),
        }
        if term.out.is_ended() {
            break;
        }
    }
    session.end();
    term.out.close(writer_task).await;
    tracing::debug!(%peer, "telnet connection closed");
}

/// `IAC SB TTYPE SEND IAC SE`: asks the client for its (next) terminal type.
fn ttype_send() -> Bytes {
    Bytes::from_static(&[
        cmd::IAC,
        cmd::SB,
        opt::TTYPE,
        ttype::SEND,
        cmd::IAC,
        cmd::SE,
    ])
}

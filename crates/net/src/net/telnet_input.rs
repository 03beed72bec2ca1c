//! [`TelnetInput`]: the bound on what a telnet client can make the parser hold.
//!
//! `libmudtelnet`'s parser keeps every byte it cannot yet turn into an event (an unfinished
//! subnegotiation, half a command) and scans all of them again on every read. Which bytes it
//! keeps depends on its own state machine (after `IAC SB` it takes the next byte as the option
//! even when that is `IAC`; after `IAC WILL` the next byte whatever it is), so mirroring that
//! machine is a promise that breaks with the parser's next release. The bound here does not
//! depend on it: the parser only ever keeps bytes it has not produced an event from, and once
//! it does produce one, only what followed in the same read. So the bytes handed to it since the
//! read that last produced an event (that read included) bound what it holds, whatever it does.
//! Past [`MAX_PENDING`] of them the connection is closed.

use libmudtelnet::Parser;
use libmudtelnet::events::TelnetEvents;

/// The longest telnet subnegotiation accepted (GMCP messages included), in bytes.
pub const MAX_SUBNEGOTIATION: usize = 8 * 1024;

/// Bytes read from a telnet socket at once.
pub const READ_CHUNK: usize = 4 * 1024;

/// Most bytes a connection may hand the parser without getting an event back: a whole
/// [`MAX_SUBNEGOTIATION`] plus the read that began it. The parser never holds more.
pub const MAX_PENDING: usize = MAX_SUBNEGOTIATION + READ_CHUNK;

/// The parser held [`MAX_PENDING`] bytes without an event: the connection must close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooMuchPending;

/// Counts what a connection hands its parser (see the module docs).
#[derive(Debug, Default)]
pub struct TelnetInput {
    /// Bytes handed over since (and including) the last read that produced an event.
    pending: usize,
}

impl TelnetInput {
    /// Hands `data` (at most [`READ_CHUNK`] bytes, one read) to `parser` and returns its
    /// events, or [`TooMuchPending`] once the parser may hold more than [`MAX_PENDING`] bytes.
    ///
    /// # Errors
    /// [`TooMuchPending`]: close the connection (the parser is not fed again).
    pub fn receive(
        &mut self,
        parser: &mut Parser,
        data: &[u8],
    ) -> Result<Vec<TelnetEvents>, TooMuchPending> {
        if self.pending.saturating_add(data.len()) > MAX_PENDING {
            return Err(TooMuchPending);
        }
        let events = parser.receive(data);
        self.pending = if events.is_empty() {
            self.pending + data.len()
        } else {
            data.len()
        };
        Ok(events)
    }

    /// The bytes the parser may hold now (an upper bound).
    pub fn pending(&self) -> usize {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use libmudtelnet::compatibility::{CompatibilityEntry, CompatibilityTable};
    use libmudtelnet::telnet::{op_command as cmd, op_option as opt};
    use proptest::prelude::*;

    use super::*;
    use crate::net::lines::LineBuffer;

    fn parser() -> Parser {
        let mut table = CompatibilityTable::new();
        table.support_local(opt::SGA);
        table.support_local(opt::GMCP);
        table.set_option(opt::NAWS, CompatibilityEntry::new(true, true, true, false));
        table.set_option(opt::GMCP, CompatibilityEntry::new(true, true, true, false));
        Parser::with_support(table)
    }

    /// Feeds `stream` in `chunks`-sized reads; the bytes fed before the connection is cut
    /// (all of them if it is not), the data received, and the largest pending count seen.
    fn feed(stream: &[u8], chunks: &[usize]) -> (usize, Vec<u8>, usize) {
        let (mut p, mut input) = (parser(), TelnetInput::default());
        let (mut at, mut data, mut most) = (0, Vec::new(), 0);
        let mut sizes = chunks.iter().cycle();
        while at < stream.len() {
            let n = (*sizes.next().unwrap())
                .clamp(1, READ_CHUNK)
                .min(stream.len() - at);
            match input.receive(&mut p, &stream[at..at + n]) {
                Ok(events) => {
                    for event in events {
                        if let TelnetEvents::DataReceive(bytes) = event {
                            data.extend_from_slice(&bytes);
                        }
                    }
                }
                Err(TooMuchPending) => return (at, data, most),
            }
            most = most.max(input.pending());
            at += n;
        }
        (at, data, most)
    }

    /// The reported bypasses: each one, then ordinary bytes that never end it.
    const BYPASSES: &[&[u8]] = &[
        &[cmd::IAC, cmd::SB, cmd::IAC, cmd::SE],
        &[cmd::IAC, cmd::WILL, cmd::IAC, cmd::IAC, cmd::SB, b'A'],
        &[cmd::IAC, cmd::SB],
        &[cmd::IAC, cmd::SB, opt::GMCP],
        &[cmd::IAC, cmd::DO, cmd::IAC, cmd::SB, opt::NAWS],
        &[cmd::IAC, cmd::SB, opt::GMCP, cmd::IAC, cmd::IAC],
    ];

    #[test]
    fn the_reported_bypasses_are_cut_before_the_bound() {
        for prefix in BYPASSES {
            let mut stream = prefix.to_vec();
            stream.extend(std::iter::repeat_n(b'a', 1 << 20));
            let (fed, data, most) = feed(&stream, &[READ_CHUNK]);
            assert!(most <= MAX_PENDING, "{prefix:?}");
            // Cut within the bound, or the prefix was not a subnegotiation after all (`IAC DO
            // IAC` is a whole command, and what follows is data).
            assert!(
                fed <= MAX_PENDING || data.len() >= 1 << 20,
                "{prefix:?}: {fed} bytes fed, {} as data",
                data.len()
            );
        }
    }

    /// One piece of what a well-behaved client sends.
    #[derive(Clone, Debug)]
    enum Piece {
        Line(String),
        Naws(u16, u16),
        Gmcp(String),
        Negotiation(u8, u8),
        Nop,
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            4 => "[ -~]{0,200}".prop_map(Piece::Line),
            // Real window sizes. (A byte 255 in NAWS is sent doubled, and libmudtelnet 2.0.2
            // takes `IAC IAC SE` inside a subnegotiation for its end: 0xFFF0 columns would
            // eat a byte of what follows. No terminal is 65,520 columns wide.)
            1 => (0..4096u16, 0..4096u16).prop_map(|(w, h)| Piece::Naws(w, h)),
            1 => "[ -~]{0,4000}".prop_map(|body| Piece::Gmcp(format!("Core.Ping {body}"))),
            // (Turning NAWS or GMCP off and then sending them is not normal play: the parser
            // swallows subnegotiations of options that are off without an event.)
            1 => (prop::sample::select(vec![cmd::WILL, cmd::WONT, cmd::DO, cmd::DONT]),
                  prop::sample::select(vec![opt::SGA, opt::TTYPE, opt::ECHO, 99]))
                .prop_map(|(c, o)| Piece::Negotiation(c, o)),
            1 => (prop::sample::select(vec![cmd::WILL, cmd::DO]),
                  prop::sample::select(vec![opt::NAWS, opt::GMCP]))
                .prop_map(|(c, o)| Piece::Negotiation(c, o)),
            1 => Just(Piece::Nop),
        ]
    }

    /// The bytes of `pieces` and the lines they carry.
    fn encode(pieces: &[Piece]) -> (Vec<u8>, Vec<String>) {
        let (mut bytes, mut lines) = (Vec::new(), Vec::new());
        for piece in pieces {
            match piece {
                Piece::Line(text) => {
                    bytes.extend_from_slice(text.as_bytes());
                    bytes.extend_from_slice(b"\r\n");
                    lines.push(text.clone());
                }
                Piece::Naws(w, h) => {
                    bytes.extend_from_slice(&[cmd::IAC, cmd::SB, opt::NAWS]);
                    for b in [w.to_be_bytes(), h.to_be_bytes()].concat() {
                        // A 255 inside a subnegotiation is doubled.
                        bytes.push(b);
                        if b == cmd::IAC {
                            bytes.push(b);
                        }
                    }
                    bytes.extend_from_slice(&[cmd::IAC, cmd::SE]);
                }
                Piece::Gmcp(text) => {
                    bytes.extend_from_slice(&[cmd::IAC, cmd::SB, opt::GMCP]);
                    bytes.extend_from_slice(text.as_bytes());
                    bytes.extend_from_slice(&[cmd::IAC, cmd::SE]);
                }
                Piece::Negotiation(c, o) => bytes.extend_from_slice(&[cmd::IAC, *c, *o]),
                Piece::Nop => bytes.extend_from_slice(&[cmd::IAC, cmd::NOP]),
            }
        }
        (bytes, lines)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the bytes and however they are split into reads, the parser is never
        /// handed more than the bound without an event.
        #[test]
        fn any_stream_stays_within_the_bound(
            stream in prop::collection::vec(
                prop_oneof![
                    3 => any::<u8>(),
                    1 => prop::sample::select(vec![cmd::IAC, cmd::SB, cmd::SE, cmd::WILL, cmd::DO]),
                ],
                0..40_000,
            ),
            chunks in prop::collection::vec(1..=READ_CHUNK, 1..8),
        ) {
            let (_, _, most) = feed(&stream, &chunks);
            prop_assert!(most <= MAX_PENDING);
        }

        /// Any telnet prefix followed by a long run of ordinary bytes that never finishes a
        /// subnegotiation is either parsed as data or cut within the bound.
        #[test]
        fn an_endless_subnegotiation_is_cut(
            prefix in prop::collection::vec(
                prop::sample::select(vec![cmd::IAC, cmd::SB, cmd::SE, cmd::WILL, cmd::WONT,
                                          cmd::DO, cmd::DONT, opt::GMCP, opt::NAWS, b'A']),
                1..12,
            ),
            chunks in prop::collection::vec(1..=READ_CHUNK, 1..8),
        ) {
            let mut stream = prefix;
            stream.extend(std::iter::repeat_n(b'a', 3 * MAX_PENDING));
            let (fed, data, most) = feed(&stream, &chunks);
            prop_assert!(most <= MAX_PENDING);
            // Either cut, or the tail came through as data (the prefix closed or was not one).
            prop_assert!(fed < stream.len() || data.len() >= 2 * MAX_PENDING, "fed {} data {}", fed, data.len());
        }

        /// Normal play, split anywhere: nothing is cut and every line arrives as typed.
        #[test]
        fn normal_play_still_parses(
            pieces in prop::collection::vec(piece(), 0..60),
            chunks in prop::collection::vec(1..=READ_CHUNK, 1..8),
        ) {
            let (stream, lines) = encode(&pieces);
            let (fed, data, _) = feed(&stream, &chunks);
            prop_assert_eq!(fed, stream.len());
            let mut buffer = LineBuffer::new(6_000);
            let got: Vec<String> = buffer.push(&data).into_iter().map(|l| l.unwrap()).collect();
            prop_assert_eq!(got, lines);
        }
    }
}

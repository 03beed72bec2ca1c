//! MSSP (MUD Server Status Protocol, telnet option 70): the table a MUD crawler asks for with
//! `DO MSSP`: name, players online, uptime (the Unix time the server started), port, codebase
//! and what the server speaks.

/// `MSSP_VAR`: a variable name follows.
const VAR: u8 = 1;
/// `MSSP_VAL`: a value follows.
const VAL: u8 = 2;

/// The body of the `SB MSSP` answer.
pub fn table(players: usize, started_unix: u64, port: u16) -> Vec<u8> {
    let fields: [(&str, String); 12] = [
        ("NAME", "wasmud".into()),
        ("PLAYERS", players.to_string()),
        ("UPTIME", started_unix.to_string()),
        ("PORT", port.to_string()),
        ("CODEBASE", format!("wasmud {}", env!("CARGO_PKG_VERSION"))),
        ("FAMILY", "Custom".into()),
        ("CRAWL DELAY", "-1".into()),
        ("ANSI", "1".into()),
        ("UTF-8", "1".into()),
        ("GMCP", "1".into()),
        ("MCCP", "0".into()),
        ("XTERM 256 COLORS", "0".into()),
    ];
    let mut out = Vec::new();
    for (name, value) in fields {
        out.push(VAR);
        out.extend(clean(name));
        out.push(VAL);
        out.extend(clean(&value));
    }
    out
}

/// The bytes of `text` that may appear in an MSSP name or value (not VAR, VAL, IAC or NUL).
fn clean(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().filter(|&b| !matches!(b, 0 | VAR | VAL | 255))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_var_val_pairs() {
        let t = table(3, 1_700_000_000, 4000);
        let text = String::from_utf8_lossy(&t);
        assert!(
            text.starts_with("\u{1}NAME\u{2}wasmud\u{1}PLAYERS\u{2}3\u{1}UPTIME\u{2}1700000000")
        );
        assert!(text.contains("\u{1}PORT\u{2}4000"));
    }
}

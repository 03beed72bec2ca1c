//! GMCP (Generic MUD Communication Protocol, telnet option 201): `Package.Name <json>` messages
//! beside the text. The server accepts `Core.Hello`, `Core.Supports.Set/Add/Remove`,
//! `Core.Ping` (answered) and `Core.KeepAlive`, and sends a package only to a client whose
//! supports list names it (`Char.Name` on login, `Room.Info` when the room changes). Anything
//! else is ignored quietly.

use std::collections::BTreeSet;

/// Most packages a client may list, and the longest package name kept.
const MAX_SUPPORTS: usize = 64;
const MAX_PACKAGE_LEN: usize = 64;

/// What a client told the server over GMCP.
#[derive(Debug, Default)]
pub struct GmcpState {
    /// The packages the client supports (`Char`, `Room`, ...), by name without version.
    supports: BTreeSet<String>,
    /// The client's name and version from `Core.Hello`, for the log.
    pub client: Option<String>,
}

/// What the server does about one incoming GMCP message.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing.
    None,
    /// Send this GMCP message back.
    Send(String),
}

impl GmcpState {
    /// True if the client asked for `package` (`Room` covers `Room.Info`).
    pub fn wants(&self, package: &str) -> bool {
        let top = package.split('.').next().unwrap_or(package);
        self.supports.contains(package) || self.supports.contains(top)
    }

    /// Handles one message (`Package.Name` and optional JSON).
    pub fn receive(&mut self, message: &str) -> Reply {
        let (package, data) = message.split_once(' ').unwrap_or((message, ""));
        let list = || -> Vec<String> {
            serde_json::from_str::<Vec<String>>(data)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|item| item.split_whitespace().next().map(str::to_owned))
                .filter(|name| name.len() <= MAX_PACKAGE_LEN)
                .take(MAX_SUPPORTS)
                .collect()
        };
        match package.to_ascii_lowercase().as_str() {
            "core.hello" => {
                let hello: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
                let field = |a: &str, b: &str| {
                    hello
                        .get(a)
                        .or_else(|| hello.get(b))
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                        .to_owned()
                };
                self.client = Some(format!(
                    "{} {}",
                    field("client", "Client"),
                    field("version", "Version")
                ));
            }
            "core.supports.set" => self.supports = list().into_iter().collect(),
            "core.supports.add" => {
                let room = MAX_SUPPORTS.saturating_sub(self.supports.len());
                self.supports.extend(list().into_iter().take(room));
            }
            "core.supports.remove" => {
                for item in list() {
                    self.supports.remove(&item);
                }
            }
            "core.ping" => return Reply::Send("Core.Ping".to_owned()),
            _ => {}
        }
        Reply::None
    }
}

/// The text of a GMCP message: `package` and its JSON.
pub fn message(package: &str, data: &serde_json::Value) -> String {
    format!("{package} {data}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supports_are_kept_by_package_and_pings_answered() {
        let mut g = GmcpState::default();
        assert_eq!(
            g.receive(r#"Core.Hello {"client":"Mudlet","version":"4.20"}"#),
            Reply::None
        );
        assert_eq!(g.client.as_deref(), Some("Mudlet 4.20"));
        g.receive(r#"Core.Supports.Set ["Char 1", "Room 1"]"#);
        assert!(g.wants("Room.Info") && g.wants("Char.Name"));
        g.receive(r#"Core.Supports.Remove ["Room 1"]"#);
        assert!(!g.wants("Room.Info"));
        g.receive(r#"Core.Supports.Add ["Room 1"]"#);
        assert!(g.wants("Room.Info"));
        assert_eq!(g.receive("Core.Ping"), Reply::Send("Core.Ping".into()));
        assert_eq!(g.receive("Some.Unknown.Package {}"), Reply::None);
        assert_eq!(g.receive("Core.Supports.Set not json"), Reply::None);
        assert!(!g.wants("Char"));
        // A client cannot grow the list without bound.
        for i in 0..1_000 {
            g.receive(&format!(
                r#"Core.Supports.Add ["P{i} 1", "{} 1"]"#,
                "x".repeat(100)
            ));
        }
        assert!(g.supports.len() <= MAX_SUPPORTS);
    }
}

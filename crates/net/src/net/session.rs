//! A player's session, whatever the protocol: the login screen (`connect`, `create`, or a name
//! then a hidden password), then the puppeted character: every line goes to the world as the
//! character's input, and the text the character accepts comes back through the outbox.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::net::Players;
use crate::throttle::Refusal;
use wasmud_world::Value;
use wasmud_world::accounts::{self, AccountError};
use wasmud_world::outbox::{Attachment, Listener};
use wasmud_world::store::AccountRecord;
use wasmud_world::value::ObjectId;
use wasmud_world::world::{AttrKind, WorldError};

/// What a protocol gives a session to write to. [`Listener::deliver`] writes a line.
pub trait Terminal: Listener {
    /// Shows `text` as a prompt: no newline, the cursor stays after it.
    fn prompt(&self, text: &str);
    /// Hides (`false`) or shows again (`true`) what the player types (passwords).
    fn echo(&self, visible: bool);
    /// True if the client asked for out-of-band `package` data (GMCP `Room`, `Char`).
    fn wants(&self, package: &str) -> bool {
        let _ = package;
        false
    }
    /// Sends out-of-band data, if the client asked for its package.
    fn gmcp(&self, package: &str, data: &serde_json::Value) {
        let _ = (package, data);
    }
}

/// The first thing a connection sees.
pub const BANNER: &str = "\
Welcome to wasmud.
  connect <name> <password>   log in
  create <name> <password>    make an account (and its character)
  <name>                      log in, asked for the password
  quit                        leave";

/// What the connection does after a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Go,
    /// Close the connection.
    Quit,
}

enum State {
    Login,
    Password { name: String },
    Playing { character: ObjectId },
}

/// Why a player's command failed, as the player is told.
enum Failure {
    /// A limit was reached (the incident's reference).
    Limit(String),
    /// A hook failed (the incident's reference).
    Script(String),
    /// The store refuses changes (a full or failing disk).
    Storage,
}

/// One connection's session.
pub struct Session {
    players: Arc<Players>,
    /// The client's address (throttles count per address).
    peer: IpAddr,
    id: u64,
    term: Arc<dyn Terminal>,
    state: State,
    /// The current second of the command rate limit, and the commands in it.
    window: (Instant, u32),
    /// The room last reported over GMCP.
    room: Option<ObjectId>,
}

impl Session {
    /// A session on `term`, at the login screen (the banner is shown).
    pub fn new(players: Arc<Players>, term: Arc<dyn Terminal>, peer: IpAddr) -> Self {
        term.deliver(BANNER);
        Session {
            peer,
            id: players.session_id(),
            players,
            term,
            state: State::Login,
            window: (Instant::now(), 0),
            room: None,
        }
    }

    /// True once the player logged in.
    pub fn logged_in(&self) -> bool {
        matches!(self.state, State::Playing { .. })
    }

    /// Handles one line the player typed.
    pub async fn line(&mut self, line: &str) -> Flow {
        let line = line.trim();
        if !line.is_empty() && !self.within_rate() {
            // Said once per second, not once per dropped line: a flood must not fill its own
            // output queue with warnings.
            if self.window.1 == self.players.limits.commands_per_second.saturating_add(1) {
                self.term.deliver(
                    "You are sending commands too fast; the rest of this second's are dropped.",
                );
            }
            return Flow::Go;
        }
        match std::mem::replace(&mut self.state, State::Login) {
            State::Login => self.login_line(line).await,
            State::Password { name } => {
                self.term.echo(true);
                self.connect(&name, line).await;
                Flow::Go
            }
            State::Playing { character } => {
                self.state = State::Playing { character };
                self.play_line(character, line).await
            }
        }
    }

    /// The connection closed: the character is detached (and unpinned when no session is
    /// left on it).
    pub fn end(&mut self) {
        if let State::Playing { character } = self.state {
            let _ = self.players.world.detach(character, self.id);
            self.players.set_online(self.id, None);
        }
        self.state = State::Login;
    }

    async fn login_line(&mut self, line: &str) -> Flow {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("").to_ascii_lowercase();
        let args: Vec<&str> = words.collect();
        match (verb.as_str(), args.as_slice()) {
            ("", _) => {}
            ("quit" | "q", []) => {
                self.term.deliver("Goodbye.");
                return Flow::Quit;
            }
            ("connect" | "conn" | "con" | "co", [name, password]) => {
                self.connect(name, password).await;
            }
            ("create" | "cre" | "cr", [name, password]) => self.create(name, password).await,
            ("connect" | "conn" | "con" | "co" | "create" | "cre" | "cr", _) => {
                self.term
                    .deliver(&format!("Usage: {verb} <name> <password>"));
            }
            (_, []) if accounts::check_name(line).is_ok() => {
                // Asked whether the account exists or not: the answer after the password is
                // the same either way, so names cannot be listed.
                self.term.echo(false);
                self.term.prompt("Password: ");
                self.state = State::Password {
                    name: line.to_owned(),
                };
            }
            _ => self
                .term
                .deliver("Type `connect <name> <password>` or `create <name> <password>`."),
        }
        Flow::Go
    }

    async fn account(&self, name: &str) -> Result<Option<AccountRecord>, String> {
        let name = name.to_owned();
        match self.players.world.call(move |w| w.account(&name)).await {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(e)) => Err(format!("Sorry, the server could not look that up: {e}")),
            Err(e) => Err(format!("Sorry, the server is stopping: {e}")),
        }
    }

    async fn connect(&mut self, name: &str, password: &str) {
        match self.players.log_in(self.peer, name, password).await {
            Ok(record) => self.puppet(record).await,
            Err(super::login::LoginError::Wrong) => {
                tracing::info!(session = self.id, peer = %self.peer, "failed login");
                self.term
                    .deliver("Wrong name or password. (New here? Type: create <name> <password>)");
            }
            Err(e) => self.term.deliver(&e.to_string()),
        }
    }

    async fn create(&mut self, name: &str, password: &str) {
        if let Err(e) = accounts::check_name(name).and(accounts::check_password(password)) {
            return self.term.deliver(&format!("Sorry: {e}."));
        }
        let limited = self.players.limits.max_new_accounts > 0;
        // Counted before any work (see `connect`), and counted whatever the outcome.
        if limited {
            let now = Instant::now();
            let mut throttle = self.players.new_accounts.lock().expect("throttle lock");
            match throttle.begin(self.peer, now) {
                Ok(()) => {
                    throttle.finish(self.peer, now, true);
                }
                Err(refusal) => {
                    let secs = match refusal {
                        Refusal::Blocked { retry_in } => retry_in.as_secs() + 1,
                        Refusal::Busy => 1,
                    };
                    return self.term.deliver(&format!(
                        "Too many new accounts from your address; try again in {secs} s."
                    ));
                }
            }
        }
        match self.account(name).await {
            Ok(Some(_)) => {
                return self
                    .term
                    .deliver(&format!("Sorry: the name {name} is taken."));
            }
            Ok(None) => {}
            Err(e) => return self.term.deliver(&e),
        }
        let password = password.to_owned();
        let phc = match self
            .players
            .hash(move || accounts::hash_password(&password))
            .await
        {
            Ok(phc) => phc,
            Err(AccountError::BadPassword | AccountError::BadName) => unreachable!("checked"),
            Err(e) => return self.term.deliver(&format!("Sorry: {e}.")),
        };
        let (name, home) = (name.to_owned(), self.players.home);
        let created = self
            .players
            .world
            .call(move |w| {
                let home = match home {
                    Some(home) => Some(home),
                    None => w.search("Limbo")?.first().copied(),
                };
                w.create_account(&name, &phc, home)
            })
            .await;
        match created {
            Ok(Ok(record)) => {
                tracing::info!(session = self.id, account = %record.name, "account created");
                // The creator's address is the owner's: guesses elsewhere do not slow it.
                (self.players.account_guard.lock())
                    .expect("account guard lock")
                    .succeeded(&record.name, self.peer);
                self.term
                    .deliver(&format!("Account {} created.", record.name));
                self.puppet(record).await;
            }
            Ok(Err(e)) => self.term.deliver(&format!("Sorry: {e}.")),
            Err(e) => self.term.deliver(&format!("Sorry: {e}.")),
        }
    }

    /// Logs in: the session takes the account's character (another session on it is
    /// kicked), then looks around.
    async fn puppet(&mut self, record: AccountRecord) {
        let character = record.character;
        // An admin may have deleted the character: say so rather than log in to nothing.
        let account = record.name.clone();
        let found = self.players.world.call(move |w| {
            w.key(character)?;
            // Noted for `accounts`; a store refusing writes does not keep a player out.
            if let Err(e) = w.note_login(&account) {
                tracing::debug!(%account, "last login not recorded: {e}");
            }
            Ok::<_, WorldError>(())
        });
        match found.await {
            Ok(Ok(())) => {}
            Ok(Err(WorldError::Deleted(_) | WorldError::NotFound(_))) => {
                tracing::warn!(account = %record.name, character, "login to a deleted character");
                return self.term.deliver(
                    "Your character no longer exists (it was deleted). Ask an admin to help.",
                );
            }
            Ok(Err(e)) => return self.term.deliver(&format!("Sorry: {e}.")),
            Err(e) => return self.term.deliver(&format!("Sorry: {e}.")),
        }
        let attachment = Attachment {
            session: self.id,
            listener: self.term.clone(),
        };
        if let Err(e) = self.players.world.attach(character, attachment, true) {
            return self.term.deliver(&format!("Sorry: {e}."));
        }
        tracing::info!(session = self.id, account = %record.name, character, "logged in");
        self.state = State::Playing { character };
        self.players.set_online(self.id, Some(&record.name[..]));
        self.term.deliver(&format!("Welcome, {}!", record.name));
        let name = serde_json::json!({ "name": &*record.name, "fullname": &*record.name });
        self.term.gmcp("Char.Name", &name);
        if self.term.wants("Char.Vitals") {
            // The character's `db.stats` (the demo's hp and level), as MUME's Char.Vitals.
            let stats = self
                .players
                .world
                .call(move |w| w.attr(character, AttrKind::Db, "stats"))
                .await;
            if let Ok(Ok(Some(Value::Json(json)))) = stats
                && let Ok(vitals) = serde_json::from_str::<serde_json::Value>(&json)
            {
                self.term.gmcp("Char.Vitals", &vitals);
            }
        }
        let _ = self.play_line(character, "look").await;
    }

    /// True if this command is within the session's rate.
    fn within_rate(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.window.0) >= Duration::from_secs(1) {
            self.window = (now, 0);
        }
        self.window.1 += 1;
        self.window.1 <= self.players.limits.commands_per_second
    }

    async fn play_line(&mut self, character: ObjectId, line: &str) -> Flow {
        if line.is_empty() {
            return Flow::Go;
        }
        if line.eq_ignore_ascii_case("quit") {
            self.term.deliver("Goodbye.");
            return Flow::Quit;
        }
        if line.eq_ignore_ascii_case("who") {
            let names = self.players.online_names();
            self.term.deliver(&format!(
                "|wPlayers online ({}):|n {}",
                names.len(),
                names.join(", ")
            ));
            return Flow::Go;
        }
        let input = super::markup::player_text(line);
        let verb = input.split_whitespace().next().unwrap_or("").to_owned();
        let wants_room = self.term.wants("Room.Info");
        let known = self.room;
        let answer = self
            .players
            .world
            .call(move |w| {
                // A failure is the player's to hear about in short, and the admins' in full.
                let answer = w.player_input(character, &input).map_err(|e| match e {
                    // A world-wide state, shown in `stats`: not an incident of this command.
                    WorldError::StorageDown(_) => Failure::Storage,
                    WorldError::Store(ref s) if s.is_io() => Failure::Storage,
                    WorldError::Limit(_) => {
                        Failure::Limit(w.report_incident(character, &input, &e))
                    }
                    _ => Failure::Script(w.report_incident(character, &input, &e)),
                });
                // Where the character is now, for GMCP, in the same job (no extra round trip);
                // the room is described only when it changed.
                let here = wants_room.then(|| w.whereabouts(character)).flatten();
                let place = (wants_room && here != known)
                    .then(|| here.and_then(|id| w.place(id)))
                    .flatten();
                (answer, here, place)
            })
            .await
            .map(|(answer, here, place)| {
                if wants_room && here != self.room {
                    if let Some(place) = &place {
                        let exits: serde_json::Map<String, serde_json::Value> = (place.exits)
                            .iter()
                            .map(|(name, to)| (name.clone(), (*to).into()))
                            .collect();
                        let info = serde_json::json!({
                            "num": place.id, "name": place.key, "exits": exits,
                        });
                        self.term.gmcp("Room.Info", &info);
                    }
                    self.room = here;
                }
                answer
            });
        match answer {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                self.term.deliver(&format!(
                    "Huh? Nothing here understands \"{verb}\". (Type |whelp|n for help.)"
                ));
            }
            Ok(Err(Failure::Limit(reference))) => self.term.deliver(&format!(
                "That took more than the server allows a command, so it was undone. \
                 (Reference {reference}.)"
            )),
            Ok(Err(Failure::Script(reference))) => self.term.deliver(&format!(
                "Something went wrong with that command, so it was undone. \
                 (Reference {reference}: an admin can look it up.)"
            )),
            Ok(Err(Failure::Storage)) => self.term.deliver(
                "The world cannot save changes right now (a storage problem; the admins can \
                 see it), so that was undone. Looking around still works.",
            ),
            Err(e) => self.term.deliver(&format!("Sorry: {e}.")),
        }
        Flow::Go
    }
}

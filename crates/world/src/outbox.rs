//! [`Outbox`]: where text objects accept goes — to the player sessions attached to them.
//!
//! The world thread owns it. After every turn (a job or a timer fire) it takes the turn's
//! deliveries and resolves them to the [`Listener`]s attached to their objects; the text is
//! handed over only when the commit policy says the turn is durable (with the job answers of the
//! same commit group), so a player is never told about something a crash could undo. Handing
//! over never waits: a listener queues the text or, if its queue is full, drops its session.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use crate::value::ObjectId;
use crate::world::Delivery;

/// One session's end of the outbox (implemented by the network front).
pub trait Listener: Send + Sync {
    /// Queues `text` for the session without waiting; if the session cannot take it (its
    /// queue is full: a reader that stopped reading), the session is dropped.
    fn deliver(&self, text: &str);
    /// As [`Listener::deliver`], for text shared by many sessions (what a room hears): a
    /// front may queue the shared text itself and render it later, off the world thread.
    fn deliver_shared(&self, text: &Arc<str>) {
        self.deliver(text);
    }
    /// Ends the session (another session took over its object).
    fn kick(&self, reason: &str);
}

/// A session attached to an object.
#[derive(Clone)]
pub struct Attachment {
    /// Tells the session's attachments apart.
    pub session: u64,
    /// Where its text goes.
    pub listener: Arc<dyn Listener>,
}

/// Text resolved to listeners, waiting for its turn to be durable (one shared copy of each
/// text, however many listen).
pub(crate) type Routed = Vec<(Arc<dyn Listener>, Arc<str>)>;

/// Objects and the sessions attached to them.
#[derive(Default)]
pub(crate) struct Outbox {
    /// (Ids hash with the cache's cheap hasher: every delivery looks its object up here.)
    routes: HashMap<ObjectId, Vec<Attachment>, BuildHasherDefault<crate::cache::IdHasher>>,
}

impl Outbox {
    /// Attaches a session to `object`. With `exclusive`, every other session attached to it is
    /// kicked and detached first (a second login takes over).
    /// True if the object had no session before (a player arrives, rather than takes over).
    pub(crate) fn attach(
        &mut self,
        object: ObjectId,
        attachment: Attachment,
        exclusive: bool,
    ) -> bool {
        let list = self.routes.entry(object).or_default();
        let arrived = list.is_empty();
        if exclusive {
            for old in list.drain(..) {
                old.listener
                    .kick("Another connection logged in to this character.");
            }
        }
        list.push(attachment);
        arrived
    }

    /// Detaches session `session` from `object`; true if no session is left on it.
    pub(crate) fn detach(&mut self, object: ObjectId, session: u64) -> bool {
        let Some(list) = self.routes.get_mut(&object) else {
            return false;
        };
        list.retain(|a| a.session != session);
        let empty = list.is_empty();
        if empty {
            self.routes.remove(&object);
        }
        empty
    }

    /// The listeners of each delivery's object, with the text (deliveries to objects nobody
    /// is attached to go nowhere).
    pub(crate) fn resolve(&self, deliveries: Vec<Delivery>) -> Routed {
        let mut routed = Vec::new();
        let mut last: Option<(String, Arc<str>)> = None;
        for d in deliveries {
            if let Some(list) = self.routes.get(&d.to) {
                // What a room hears arrives as one delivery per listener, in a row: share it.
                let text = match &last {
                    Some((text, shared)) if *text == d.text => shared.clone(),
                    _ => {
                        let shared: Arc<str> = Arc::from(d.text.as_str());
                        last = Some((d.text, shared.clone()));
                        shared
                    }
                };
                for a in list {
                    routed.push((a.listener.clone(), text.clone()));
                }
            }
        }
        routed
    }
}

/// Messages handed to sessions since the process started (for `bench`).
static DELIVERED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Messages handed to sessions since the process started.
pub fn delivered() -> u64 {
    DELIVERED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Hands `routed` over to its listeners.
pub(crate) fn hand_over(routed: Routed) {
    DELIVERED.fetch_add(routed.len() as u64, std::sync::atomic::Ordering::Relaxed);
    for (listener, text) in routed {
        listener.deliver_shared(&text);
    }
}

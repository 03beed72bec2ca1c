//! A connection's output: a bounded queue in front of a writer task, shared by the
//! connection's reader, its session and the world thread's outbox, none of which ever waits.
//!
//! Everything is `try_send`: a client that stops reading fills its queue (bounded in items and
//! in bytes) and is ended, and no one waits for it. The writer task drains the queue into the
//! socket; when the connection ends, it gets a little time to send what is queued (a goodbye)
//! and is then cut off.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::NetLimits;

/// How long an ending connection's writer may take to send what is queued.
const FLUSH_ON_CLOSE: Duration = Duration::from_secs(2);

/// The sending side of a connection's output (see the module docs).
pub struct Outlet<T> {
    /// `None` asks the writer to close.
    tx: mpsc::Sender<Option<(T, usize)>>,
    /// Bytes queued and not yet written.
    queued: Arc<AtomicUsize>,
    max_queued: usize,
    /// The client, for the log.
    peer: SocketAddr,
    /// Set when the connection must end (kicked, or its queue overflowed).
    ended: AtomicBool,
    wake: Notify,
}

/// The writer task's side of an [`Outlet`].
pub struct Drain<T> {
    rx: mpsc::Receiver<Option<(T, usize)>>,
    queued: Arc<AtomicUsize>,
}

impl<T: Send + 'static> Outlet<T> {
    /// An outlet for a connection from `peer`, bounded by `limits`, and its drain.
    pub fn new(peer: SocketAddr, limits: &NetLimits) -> (Self, Drain<T>) {
        let (tx, rx) = mpsc::channel(limits.output_queue.max(4));
        let queued = Arc::new(AtomicUsize::new(0));
        let outlet = Outlet {
            tx,
            queued: queued.clone(),
            max_queued: limits.output_bytes,
            peer,
            ended: AtomicBool::new(false),
            wake: Notify::new(),
        };
        (outlet, Drain { rx, queued })
    }

    /// Queues `item` (`len` bytes); a full queue ends the connection.
    pub fn send(&self, item: T, len: usize) {
        let queued = self.queued.fetch_add(len, Ordering::SeqCst) + len;
        if queued > self.max_queued {
            return self.end("the connection fell too far behind its output");
        }
        match self.tx.try_send(Some((item, len))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.end("the connection fell too far behind its output");
            }
            // The writer stopped: the client closed the connection or it failed.
            Err(mpsc::error::TrySendError::Closed(_)) => self.end("the connection closed"),
        }
    }

    /// Marks the connection to be ended (its reader wakes up and stops).
    pub fn end(&self, why: &str) {
        if !self.ended.swap(true, Ordering::SeqCst) {
            tracing::info!(peer = %self.peer, "connection ends: {why}");
            self.wake.notify_one();
        }
    }

    /// True once the connection must end.
    pub fn is_ended(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
    }

    /// Waits until [`Outlet::end`] is called.
    pub async fn ending(&self) {
        self.wake.notified().await;
    }

    /// Lets the writer send what is queued, then closes; a writer stuck on a client that
    /// stopped reading is cut off.
    pub async fn close(&self, mut writer: JoinHandle<()>) {
        let _ = self.tx.try_send(None);
        if tokio::time::timeout(FLUSH_ON_CLOSE, &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
    }
}

/// What [`Drain::try_next`] found.
pub enum Next<T> {
    /// An item and its length.
    Item(T, usize),
    /// The connection closes: nothing more will come.
    Close,
    /// Nothing is queued now.
    Empty,
}

impl<T> Drain<T> {
    /// The next item to write, or `None` once the connection closes.
    pub async fn next(&mut self) -> Option<(T, usize)> {
        self.rx.recv().await.flatten()
    }

    /// The next item if one is queued, without waiting (a writer batches what is queued into
    /// one write).
    pub fn try_next(&mut self) -> Next<T> {
        match self.rx.try_recv() {
            Ok(Some((item, len))) => Next::Item(item, len),
            Ok(None) | Err(mpsc::error::TryRecvError::Disconnected) => Next::Close,
            Err(mpsc::error::TryRecvError::Empty) => Next::Empty,
        }
    }

    /// `len` bytes were written.
    pub fn written(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::SeqCst);
    }
}

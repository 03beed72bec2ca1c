//! Waiting for a future on the world thread: the connection itself is driven by the store's own
//! runtime (another thread), so the world thread only waits for answers, with no runtime of its
//! own (and no panic when the caller happens to be inside one, as tests are), and never longer
//! than a deadline: a server that stops answering is a failure of the storage, not a hang.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Wakes the thread that waits.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// The server did not answer in time.
#[derive(Debug)]
pub(crate) struct TimedOut(pub(crate) Duration);

/// Runs `future` to completion on this thread, parking between polls, for at most `limit`.
pub(crate) fn block_on<F: Future>(future: F, limit: Duration) -> Result<F::Output, TimedOut> {
    let deadline = Instant::now() + limit;
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(TimedOut(limit));
        }
        std::thread::park_timeout(deadline - now);
    }
}

/// Polls `future` once (with a waker that does nothing): enough for a client request to be
/// sent. `None` if it is still running.
pub(crate) fn poll_once<F: Future + Unpin>(future: &mut F) -> Option<F::Output> {
    match std::pin::Pin::new(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Some(out),
        Poll::Pending => None,
    }
}

//! The world thread: the one owner of the [`World`], its jobs, and when their results are
//! released under the [`CommitPolicy`].
//!
//! # Threading model
//! One OS thread owns the world (cache, store, script instances): nothing else touches it.
//! Everything else (tokio tasks, the reload watcher, the console) sends it jobs through a
//! channel and awaits the answer on a oneshot. The world thread runs jobs one at a time, each a
//! complete turn (or a read), and never waits on a socket: answers go back through channels.
//!
//! # Acknowledged means kept
//! Every turn commits to redb without an fsync (`Durability::None`, ~10 µs); what makes turns
//! durable is a checkpoint (one fsync covering every commit before it). The [`CommitPolicy`]
//! decides when a job's answer may leave the world thread:
//! - [`CommitPolicy::Durable`] (the default): *group commit*. Answers are held until the
//!   checkpoint that covers their turn. A group closes when no job is waiting, or when it is
//!   [`CommitPolicy::Durable::max_delay`] old or [`CommitPolicy::Durable::max_turns`] long; one
//!   fsync then releases every answer of the group. A crash can lose only turns nobody was told
//!   about. If the checkpoint fails, every answer of the group is an error instead.
//! - [`CommitPolicy::Relaxed`]: answers leave at once; a checkpoint runs whenever the oldest
//!   unsynced commit is `window` old, under any load (checked after every job, and by a timer
//!   when idle). A crash loses at most the last `window` of acknowledged turns.
//!
//! Either way the store only ever holds a prefix of the committed turns (redb commits are
//! atomic), and `save` and shutdown force a checkpoint.

use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::oneshot;

use crate::outbox::{Attachment, Outbox, hand_over};
use crate::runtime::sandbox::WORLD_STACK_BYTES;
use crate::value::ObjectId;
use crate::world::{Puppeting, World};

/// When the answers of turns may be released (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitPolicy {
    /// Answers wait for the fsync that makes their turn durable (group commit).
    Durable {
        /// A group closes at this age at the latest, even while jobs keep coming.
        max_delay: Duration,
        /// A group closes after this many jobs at the latest.
        max_turns: usize,
    },
    /// Answers leave at once; everything older than `window` is durable.
    Relaxed {
        /// The most a crash may lose.
        window: Duration,
    },
}

impl Default for CommitPolicy {
    fn default() -> Self {
        CommitPolicy::durable()
    }
}

impl CommitPolicy {
    /// `Durable` with its defaults: groups of at most 2 ms or 1,024 jobs.
    pub fn durable() -> Self {
        CommitPolicy::Durable {
            max_delay: Duration::from_millis(2),
            max_turns: 1024,
        }
    }

    /// `Relaxed` with a window of `ms` milliseconds.
    pub fn relaxed(ms: u64) -> Self {
        CommitPolicy::Relaxed {
            window: Duration::from_millis(ms),
        }
    }
}

impl std::fmt::Display for CommitPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitPolicy::Durable {
                max_delay,
                max_turns,
            } => write!(
                f,
                "durable (group commit: at most {max_delay:?} or {max_turns} jobs a group)"
            ),
            CommitPolicy::Relaxed { window } => write!(f, "relaxed ({window:?} window)"),
        }
    }
}

/// What a job hands back: how to deliver its answer once the world says whether the turn is
/// durable (`Err` carries why it is not).
type Release = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&mut World) -> Release + Send>;

/// A message to the world thread.
enum Msg {
    /// Run a job.
    Job(Job),
    /// Attach a session to an object (see [`Outbox::attach`]).
    Attach {
        object: ObjectId,
        attachment: Attachment,
        exclusive: bool,
    },
    /// Detach a session from an object.
    Detach { object: ObjectId, session: u64 },
    /// Finish: checkpoint and stop, even while other handles are still held.
    Stop,
}

/// A cloneable handle to the world thread.
#[derive(Clone)]
pub struct WorldHandle {
    jobs: mpsc::Sender<Msg>,
}

impl WorldHandle {
    /// Runs `f` on the world thread and returns its result once the commit policy allows
    /// (under `Durable`, after the fsync that covers it).
    ///
    /// # Errors
    /// If the world thread has stopped, or the checkpoint covering the job failed (its effects
    /// may then be lost: the answer is never given as if they were kept).
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut World) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |w| {
            let out = f(w);
            Box::new(move |durable: Result<(), String>| {
                let _ = tx.send(durable.map(|()| out));
            })
        });
        self.jobs
            .send(Msg::Job(job))
            .map_err(|_| anyhow::anyhow!("the world thread has stopped"))?;
        rx.await
            .context("the world thread dropped the job")?
            .map_err(|e| anyhow::anyhow!("not made durable (the store failed): {e}"))
    }
}

impl WorldHandle {
    /// Attaches a session to `object`: from the next turn on, text the object accepts goes to
    /// `attachment` (once durable). With `exclusive`, other sessions of the object are kicked.
    ///
    /// # Errors
    /// If the world thread has stopped.
    pub fn attach(
        &self,
        object: ObjectId,
        attachment: Attachment,
        exclusive: bool,
    ) -> anyhow::Result<()> {
        self.send(Msg::Attach {
            object,
            attachment,
            exclusive,
        })
    }

    /// Detaches session `session` from `object`.
    ///
    /// # Errors
    /// If the world thread has stopped.
    pub fn detach(&self, object: ObjectId, session: u64) -> anyhow::Result<()> {
        self.send(Msg::Detach { object, session })
    }

    fn send(&self, msg: Msg) -> anyhow::Result<()> {
        self.jobs
            .send(msg)
            .map_err(|_| anyhow::anyhow!("the world thread has stopped"))
    }
}

/// The world thread. [`WorldThread::stop`] (or dropping every [`WorldHandle`]) stops it after
/// its final checkpoint.
pub struct WorldThread {
    thread: JoinHandle<anyhow::Result<()>>,
    stop: mpsc::Sender<Msg>,
}

impl WorldThread {
    /// Moves `world` onto a new thread (with the stack nested hooks need) under the default
    /// commit policy.
    pub fn spawn(world: World) -> (WorldThread, WorldHandle) {
        Self::spawn_with(world, CommitPolicy::default())
    }

    /// Moves `world` onto a new thread under `policy`.
    pub fn spawn_with(world: World, policy: CommitPolicy) -> (WorldThread, WorldHandle) {
        let (jobs, rx) = mpsc::channel::<Msg>();
        // Nested hooks run on this thread, each with its own wasm stack: size it for the
        // deepest nesting allowed (virtual memory; only pages touched are committed).
        let thread = std::thread::Builder::new()
            .name("world".into())
            .stack_size(WORLD_STACK_BYTES)
            .spawn(move || run_world(world, &rx, policy))
            .expect("spawn the world thread");
        let stop = jobs.clone();
        (WorldThread { thread, stop }, WorldHandle { jobs })
    }

    /// Stops the thread after the jobs already sent, and waits for its final checkpoint. Jobs
    /// sent later fail with "the world thread has stopped".
    ///
    /// # Errors
    /// If the final checkpoint failed or the thread panicked.
    pub fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(Msg::Stop);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the world thread panicked"))?
    }
}

/// Answers waiting for the checkpoint that covers their turns.
struct Group {
    releases: Vec<Release>,
    opened: Instant,
}

impl Group {
    fn new() -> Self {
        Group {
            releases: Vec::new(),
            opened: Instant::now(),
        }
    }

    /// Makes every turn so far durable (one fsync, if anything changed) and releases the
    /// answers: all of them succeed, or all of them report the failure.
    fn close(&mut self, world: &mut World) {
        let synced = world.checkpoint().map_err(|e| {
            tracing::error!("checkpoint failed: {e}; the answers waiting for it report it");
            e.to_string()
        });
        for release in self.releases.drain(..) {
            release(synced.clone());
        }
    }
}

/// How long the idle world thread sleeps at most between checks (nothing is pending then, so
/// this only bounds how late a stop is noticed).
const IDLE_WAKE: Duration = Duration::from_secs(1);

/// How long the idle world thread may sleep: until the next timer is due, at most
/// `longest`, at least a millisecond.
fn idle_wait(world: &mut World, longest: Duration) -> Duration {
    world
        .until_next_timer()
        .map_or(longest, |until| until.min(longest))
        .max(Duration::from_millis(1))
}

fn run_world(
    mut world: World,
    jobs: &mpsc::Receiver<Msg>,
    policy: CommitPolicy,
) -> anyhow::Result<()> {
    match policy {
        CommitPolicy::Durable {
            max_delay,
            max_turns,
        } => run_durable(&mut world, jobs, max_delay, max_turns),
        CommitPolicy::Relaxed { window } => run_relaxed(&mut world, jobs, window),
    }
    world.close().context("final checkpoint")
}

/// What the loop does with a message: a job to run, or `Err` when the thread must stop.
/// Attachments are applied at once (in order with the jobs around them); an object with a
/// session attached is pinned in the cache, and unpinned when its last session leaves. The
/// first session's arrival and the last one's leaving run the object's puppet hooks, each as
/// a turn of its own (a takeover runs neither).
fn job_of(msg: Msg, world: &mut World, outbox: &mut Outbox) -> Result<Option<Job>, ()> {
    let puppet_hook = |object, hook| -> Job {
        Box::new(move |w: &mut World| {
            w.puppet_hook(object, hook);
            Box::new(|_| {})
        })
    };
    match msg {
        Msg::Job(job) => Ok(Some(job)),
        Msg::Attach {
            object,
            attachment,
            exclusive,
        } => {
            let arrived = outbox.attach(object, attachment, exclusive);
            world.pin(object);
            Ok(arrived.then(|| puppet_hook(object, Puppeting::Arrived)))
        }
        Msg::Detach { object, session } => {
            let left = outbox.detach(object, session);
            if left {
                world.unpin(object);
            }
            Ok(left.then(|| puppet_hook(object, Puppeting::Left)))
        }
        Msg::Stop => Err(()),
    }
}

/// The next job if one is waiting; `Err` when the thread must stop.
fn try_job(
    jobs: &mpsc::Receiver<Msg>,
    world: &mut World,
    outbox: &mut Outbox,
) -> Result<Option<Job>, ()> {
    match jobs.try_recv() {
        Ok(msg) => job_of(msg, world, outbox),
        Err(TryRecvError::Empty) => Ok(None),
        Err(TryRecvError::Disconnected) => Err(()),
    }
}

/// Waits up to `wait` for a job; `Err` when the thread must stop.
fn wait_job(
    jobs: &mpsc::Receiver<Msg>,
    wait: Duration,
    world: &mut World,
    outbox: &mut Outbox,
) -> Result<Option<Job>, ()> {
    match jobs.recv_timeout(wait) {
        Ok(msg) => job_of(msg, world, outbox),
        Err(RecvTimeoutError::Timeout) => Ok(None),
        Err(RecvTimeoutError::Disconnected) => Err(()),
    }
}

/// The release of a turn's deliveries: handed to their sessions once the turn is durable,
/// never if it is not.
fn deliveries(world: &mut World, outbox: &Outbox) -> Option<Release> {
    let routed = outbox.resolve(world.take_deliveries());
    (!routed.is_empty()).then(|| {
        Box::new(move |durable: Result<(), String>| {
            if durable.is_ok() {
                hand_over(routed);
            }
        }) as Release
    })
}

/// Timers: after every job (or alone while no job waits) the world fires one due timer as a
/// turn of its own, so jobs and timers take turns and neither starves the other; thousands
/// of timers due at once are spread over as many turns. Timer turns join the commit group
/// like jobs (nobody waits for their answer, but their fsync is shared).
fn run_durable(
    world: &mut World,
    jobs: &mpsc::Receiver<Msg>,
    max_delay: Duration,
    max_turns: usize,
) {
    let mut group = Group::new();
    let mut outbox = Outbox::default();
    // A turn's answer, then its deliveries, join the group; a full or old group closes.
    let add = |group: &mut Group, world: &mut World, outbox: &Outbox, release: Release| {
        if group.releases.is_empty() {
            group.opened = Instant::now();
        }
        group.releases.push(release);
        group.releases.extend(deliveries(world, outbox));
        if group.releases.len() >= max_turns || group.opened.elapsed() >= max_delay {
            group.close(world);
        }
    };
    loop {
        let Ok(job) = try_job(jobs, world, &mut outbox) else {
            break;
        };
        let ran_job = job.is_some();
        if let Some(job) = job {
            let release = job(world);
            add(&mut group, world, &outbox, release);
        }
        if world.fire_due_timer().is_some() {
            add(&mut group, world, &outbox, Box::new(|_| {}));
        } else if !ran_job {
            if !group.releases.is_empty() {
                // Nobody else is waiting: one fsync for the whole group.
                group.close(world);
                continue;
            }
            match wait_job(jobs, idle_wait(world, IDLE_WAKE), world, &mut outbox) {
                Ok(Some(job)) => {
                    let release = job(world);
                    add(&mut group, world, &outbox, release);
                }
                Ok(None) => {}
                Err(()) => break,
            }
        }
    }
    group.close(world);
}

fn run_relaxed(world: &mut World, jobs: &mpsc::Receiver<Msg>, window: Duration) {
    let mut synced_at = Instant::now();
    let mut outbox = Outbox::default();
    // Answers and deliveries leave at once.
    let run = |world: &mut World, outbox: &Outbox, job: Job| {
        job(world)(Ok(()));
        hand_over(outbox.resolve(world.take_deliveries()));
    };
    loop {
        let Ok(job) = try_job(jobs, world, &mut outbox) else {
            break;
        };
        let ran_job = job.is_some();
        if let Some(job) = job {
            run(world, &outbox, job);
        }
        if world.fire_due_timer().is_some() {
            hand_over(outbox.resolve(world.take_deliveries()));
        } else if !ran_job {
            let wait = idle_wait(world, window.saturating_sub(synced_at.elapsed()));
            match wait_job(jobs, wait, world, &mut outbox) {
                Ok(Some(job)) => run(world, &outbox, job),
                Ok(None) => {}
                Err(()) => break,
            }
        }
        // Under any load, not only when idle: nothing older than the window stays unsynced.
        if synced_at.elapsed() >= window {
            if let Err(e) = world.checkpoint() {
                tracing::error!("checkpoint failed: {e}");
            }
            synced_at = Instant::now();
        }
    }
}

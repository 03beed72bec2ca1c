//! Power loss, not only kill -9: a simulated power cut loses every byte written since the last
//! fsync and tears a page, and no acknowledged transfer may go with them.
//!
//! A SIGKILL (`host/tests/crash.rs`) leaves the kernel's page cache alone: every byte written
//! before it reaches the disk in the end, so a missing or misplaced fsync passes the kill test.
//! [`PowerDisk`] is a redb storage backend that keeps written-but-unsynced bytes apart from
//! synced ones. When its power goes, the disk keeps what was synced and, of the unsynced
//! operations, only what a [`Landing`] lets through, one write torn: a prefix of whole 512-byte
//! sectors lands, the rest of the page stays old (a torn 4 KiB page).
//!
//! The scenario is the kill test's: concurrent clients transfer gold between ledger accounts
//! through the world thread under group commit, each recording the highest sequence number
//! acknowledged; the power goes at a random write, length change or fsync; the image that
//! survives must pass `check`, conserve the total of gold and hold every acknowledged transfer.
//! Each cut starts from what the previous one left, after its recovery.
//!
//! A failed fsync the power survives, then a power cut: the world reopens its store and goes
//! on; acknowledged turns must still be kept. They are when the disk retries the failed
//! writes; when it forgets them (Linux after a failed writeback), they are not: an ignored
//! test shows it (a finding about the host, see that test).
//!
//! CI runs `WASMUD_POWER_CUTS` (default 200, 2-3 s) cuts; the long run is
//! `WASMUD_POWER_CUTS=2000 cargo test --release -p wasmud-tests --test all power -- --nocapture`.
//! `WASMUD_POWER_SEED` picks another sequence of cut points and tears. A failing cut names its
//! seeds and cut point and leaves the image that survived in a data directory for
//! `wasmud check --data`.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use redb::{ReadableDatabase, StorageBackend, TableDefinition};
use wasmud::server::{CommitPolicy, WorldHandle, WorldThread};
use wasmud::store::{RedbStore, Storage};
use wasmud::{AttrKind, ObjectId, Runtime, Scripts, Value, World, WorldError, WorldOptions};

/// What a disk writes all or nothing: a torn write lands whole sectors of its prefix.
const SECTOR: u64 = 512;
/// Ledger accounts, one client sending from each.
const ACCOUNTS: usize = 4;
/// Each account's gold at the start: the total every turn conserves.
const GOLD: i64 = 1_000;
/// The power goes at one of this many writes, length changes and syncs after the clients
/// start (a group commit of a few transfers makes about ten).
const CUT_WITHIN: u64 = 400;
/// The longest a run may take from the clients' start to the world thread's end.
const RUN_LIMIT: Duration = Duration::from_secs(30);

/// A write or length change not yet made durable by a sync.
#[derive(Clone, Debug)]
enum Unsynced {
    /// `data` written at `offset`.
    Write { offset: u64, data: Vec<u8> },
    /// The length set to this.
    SetLen(u64),
}

impl Unsynced {
    /// Applies the operation to `image`; of a write, only its first `prefix` bytes if given.
    fn apply(&self, image: &mut Vec<u8>, prefix: Option<usize>) {
        match self {
            Unsynced::Write { offset, data } => {
                let data = &data[..prefix.unwrap_or(data.len())];
                if data.is_empty() {
                    return;
                }
                let start = usize::try_from(*offset).expect("offset fits memory");
                let end = start + data.len();
                if image.len() < end {
                    image.resize(end, 0); // a file grows under a write past its end
                }
                image[start..end].copy_from_slice(data);
            }
            Unsynced::SetLen(len) => image.resize(usize::try_from(*len).expect("length"), 0),
        }
    }
}

/// What a [`PowerDisk`] holds.
#[derive(Default)]
struct Platter {
    /// What survives a power cut: the image as of the last sync.
    durable: Vec<u8>,
    /// What a read sees now: `durable` with `unsynced` applied (what survives a kill -9).
    current: Vec<u8>,
    /// Writes and length changes since the last sync, in order.
    unsynced: Vec<Unsynced>,
    /// Where the power goes; `None`: not armed.
    cut: Option<CutAt>,
    /// The call the power went at.
    went_at: Option<Call>,
    /// Syncs succeed without making anything durable (a disk cache that ignores flushes).
    syncs_lie: bool,
    /// The next sync fails (EIO) and the power stays on; with `true`, the writes it was to make
    /// durable never will be (Linux after a failed writeback: the pages stay in the page
    /// cache, marked clean, and a later fsync succeeds without writing them).
    sync_fault: Option<bool>,
    /// The power went: every write, length change and sync fails.
    off: bool,
}

/// A call that changes the disk (and can be the one the power goes at).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    /// `write`.
    Write,
    /// `set_len`.
    SetLen,
    /// `sync_data`.
    Sync,
}

/// Where an armed cut falls: the power goes at that call, which fails already.
#[derive(Clone, Copy, Debug)]
enum CutAt {
    /// The n-th write, length change or sync from arming (1: the next one).
    Call(u64),
    /// The n-th sync from arming: every write of a commit done, its fsync not.
    Sync(u64),
}

impl Platter {
    /// Counts a mutating call against an armed cut; fails from the call the power goes at on.
    fn power(&mut self, call: Call) -> io::Result<()> {
        let due = match &mut self.cut {
            Some(CutAt::Call(left)) => {
                *left -= 1;
                *left == 0
            }
            Some(CutAt::Sync(left)) if call == Call::Sync => {
                *left -= 1;
                *left == 0
            }
            _ => false,
        };
        if due {
            self.cut = None;
            self.off = true;
            self.went_at = Some(call);
        }
        if self.off {
            Err(io::Error::other("injected power cut: the machine is off"))
        } else {
            Ok(())
        }
    }
}

/// How much of the unsynced operations reaches the platter when the power goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Landing {
    /// Nothing but a torn prefix of the first unsynced write.
    FirstTorn,
    /// The first few operations whole, the next one torn, nothing after it (a disk that
    /// writes in order).
    InOrder,
    /// Any of them whole, one write torn (a disk that reorders writes between syncs).
    Reordered,
}

impl Landing {
    /// Every landing, taken in turn by the cuts.
    const ALL: [Landing; 3] = [Landing::FirstTorn, Landing::InOrder, Landing::Reordered];
}

/// What one unsynced operation leaves on the platter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lands {
    /// None of it: the old bytes (or length) stay.
    Nothing,
    /// All of it.
    Whole,
    /// The first this many bytes of a write.
    Prefix(usize),
}

/// The image a power cut leaves, and what of the unsynced operations went into it.
struct Survivor {
    /// The disk's bytes when the power comes back.
    image: Vec<u8>,
    /// For people: what landed and what was torn.
    note: String,
    /// Unsynced operations that did not land whole.
    lost: usize,
    /// True if a write landed in part.
    torn: bool,
    /// The call the power went at (`None`: between two calls).
    went_at: Option<Call>,
}

/// A redb storage backend in memory that keeps unsynced bytes apart from synced ones and can
/// lose power (see the module docs). Clones share the disk: the test keeps one to arm the cut
/// and to take what survived.
#[derive(Clone, Default)]
struct PowerDisk(Arc<Mutex<Platter>>);

impl std::fmt::Debug for PowerDisk {
    // Not the bytes: only their amount.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("PowerDisk");
        if let Ok(p) = self.0.try_lock() {
            out.field("len", &p.current.len())
                .field("unsynced", &p.unsynced.len())
                .field("off", &p.off);
        }
        out.finish_non_exhaustive()
    }
}

impl PowerDisk {
    /// A disk holding `image`, all of it durable.
    fn with_image(image: Vec<u8>) -> Self {
        let platter = Platter {
            current: image.clone(),
            durable: image,
            ..Platter::default()
        };
        PowerDisk(Arc::new(Mutex::new(platter)))
    }

    /// The disk's state (a test that panicked while holding it leaves it usable).
    fn platter(&self) -> MutexGuard<'_, Platter> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a cut at `at`.
    fn arm(&self, at: CutAt) {
        let (CutAt::Call(n) | CutAt::Sync(n)) = at;
        assert!(n > 0, "a cut is at a call");
        self.platter().cut = Some(at);
    }

    /// The next sync fails, the power staying on; with `forget`, what it was to make durable
    /// never will be.
    fn fail_next_sync(&self, forget: bool) {
        self.platter().sync_fault = Some(forget);
    }

    /// The file `fresh` is renamed over this one: this disk now holds what `fresh` holds
    /// (what the old file never got no longer matters); the power and fault settings stay.
    fn adopt(&self, fresh: &PowerDisk) {
        let f = fresh.platter();
        let mut p = self.platter();
        p.durable.clone_from(&f.durable);
        p.current.clone_from(&f.current);
        p.unsynced.clone_from(&f.unsynced);
    }

    /// The power goes now, between two calls.
    fn cut_now(&self) {
        self.platter().off = true;
    }

    /// From now on, syncs succeed but make nothing durable.
    fn ignore_syncs(&self) {
        self.platter().syncs_lie = true;
    }

    /// True once the power went.
    fn is_off(&self) -> bool {
        self.platter().off
    }

    /// What a kill -9 leaves: every byte written, synced or not (the page cache survives).
    fn image(&self) -> Vec<u8> {
        self.platter().current.clone()
    }

    /// What survives the power cut: the durable image and what `landing` lets through of the
    /// unsynced operations, with the tear and the operations chosen by `rng`.
    fn after_cut(&self, landing: Landing, rng: &mut Rng) -> Survivor {
        let p = self.platter();
        assert!(p.off, "the power is still on");
        let plan = landing_plan(&p.unsynced, landing, rng);
        let mut image = p.durable.clone();
        for (op, lands) in p.unsynced.iter().zip(&plan) {
            match lands {
                Lands::Nothing => {}
                Lands::Whole => op.apply(&mut image, None),
                Lands::Prefix(n) => op.apply(&mut image, Some(*n)),
            }
        }
        let whole = plan.iter().filter(|&&l| l == Lands::Whole).count();
        let torn = p
            .unsynced
            .iter()
            .zip(&plan)
            .find_map(|(op, lands)| match (op, lands) {
                (Unsynced::Write { offset, data }, Lands::Prefix(n)) => Some(format!(
                    "; the write of {} B at {offset} landed its first {n} B",
                    data.len()
                )),
                _ => None,
            });
        let went_at = p.went_at;
        let when = went_at.map_or("between two calls".into(), |c| format!("at a {c:?}"));
        Survivor {
            note: format!(
                "the power went {when}; {whole} of {} unsynced operations landed whole{}",
                plan.len(),
                torn.as_deref().unwrap_or("")
            ),
            image,
            lost: plan.len() - whole,
            torn: torn.is_some(),
            went_at,
        }
    }
}

/// What each of `ops` leaves on the platter under `landing`.
fn landing_plan(ops: &[Unsynced], landing: Landing, rng: &mut Rng) -> Vec<Lands> {
    let mut plan = vec![Lands::Nothing; ops.len()];
    let writes: Vec<usize> = (0..ops.len())
        .filter(|&i| matches!(ops[i], Unsynced::Write { .. }))
        .collect();
    let torn = match landing {
        Landing::FirstTorn => writes.first().copied(),
        Landing::InOrder => {
            let landed = rng.below(ops.len() as u64 + 1) as usize;
            plan[..landed].fill(Lands::Whole);
            (landed < ops.len()).then_some(landed)
        }
        Landing::Reordered => {
            for lands in &mut plan {
                if rng.below(2) == 0 {
                    *lands = Lands::Whole;
                }
            }
            (!writes.is_empty()).then(|| writes[rng.below(writes.len() as u64) as usize])
        }
    };
    if let Some(i) = torn {
        plan[i] = match &ops[i] {
            Unsynced::Write { offset, data } => {
                Lands::Prefix(torn_prefix(*offset, data.len(), rng))
            }
            Unsynced::SetLen(_) => Lands::Nothing, // a length change is all or nothing
        };
    }
    plan
}

/// A prefix of whole sectors of a write of `len` bytes at `offset`, never all of it: up to one
/// of the sector boundaries inside the write, or nothing.
fn torn_prefix(offset: u64, len: usize, rng: &mut Rng) -> usize {
    let end = offset + len as u64;
    let first = (offset / SECTOR + 1) * SECTOR;
    let boundaries: Vec<u64> = (first..end).step_by(SECTOR as usize).collect();
    match rng.below(boundaries.len() as u64 + 1) as usize {
        0 => 0,
        pick => (boundaries[pick - 1] - offset) as usize,
    }
}

impl StorageBackend for PowerDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.platter().current.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let p = self.platter();
        let start = usize::try_from(offset).map_err(io::Error::other)?;
        let source = p
            .current
            .get(start..start + out.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        out.copy_from_slice(source);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.record(Unsynced::SetLen(len))
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut p = self.platter();
        p.power(Call::Sync)?;
        if let Some(forget) = p.sync_fault.take() {
            if forget {
                p.unsynced.clear();
            }
            return Err(io::Error::from_raw_os_error(5)); // EIO
        }
        if p.syncs_lie {
            return Ok(());
        }
        let Platter {
            durable, unsynced, ..
        } = &mut *p;
        for op in unsynced.drain(..) {
            op.apply(durable, None);
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.record(Unsynced::Write {
            offset,
            data: data.to_vec(),
        })
    }
}

impl PowerDisk {
    /// Applies a write or length change to what reads see, and keeps it until the next sync.
    fn record(&self, op: Unsynced) -> io::Result<()> {
        let call = match op {
            Unsynced::Write { .. } => Call::Write,
            Unsynced::SetLen(_) => Call::SetLen,
        };
        let mut p = self.platter();
        p.power(call)?;
        op.apply(&mut p.current, None);
        p.unsynced.push(op);
        Ok(())
    }
}

/// A tiny deterministic generator (xorshift), so a failing cut can be repeated.
struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value).
    fn new(seed: u64) -> Self {
        Rng(mix(seed) | 1)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// splitmix64's finaliser: neighbouring seeds give unrelated sequences.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[test]
fn a_power_cut_loses_what_was_not_synced_and_tears_a_write() {
    let disk = PowerDisk::default();
    disk.set_len(8192).unwrap();
    disk.write(0, &[1; 8192]).unwrap();
    disk.sync_data().unwrap();
    // Written and grown, never synced: reads see it (and so would the disk after a kill -9).
    disk.write(0, &[2; 4096]).unwrap();
    disk.set_len(12288).unwrap();
    let mut page = [0; 4096];
    disk.read(0, &mut page).unwrap();
    assert_eq!((page, disk.len().unwrap()), ([2; 4096], 12288));
    disk.arm(CutAt::Call(1));
    assert!(disk.write(4096, &[3; 4096]).is_err());
    assert!(disk.sync_data().is_err(), "the machine is off");
    assert!(disk.set_len(0).is_err());
    assert!(disk.is_off());
    assert_eq!(
        disk.image()[..4096],
        [2; 4096],
        "kill -9: the page cache is kept"
    );
    // The power cut: the length change is lost, and of the write a prefix of whole sectors
    // lands (never all of it), a different one for different seeds.
    let mut prefixes = BTreeSet::new();
    for seed in 0..64 {
        let survivor = disk.after_cut(Landing::FirstTorn, &mut Rng::new(seed));
        let image = survivor.image;
        assert_eq!(image.len(), 8192, "the unsynced length change survived");
        let new = image.iter().take_while(|&&b| b == 2).count();
        assert!(
            new % SECTOR as usize == 0 && new < 4096,
            "{new} bytes landed"
        );
        assert!(
            image[new..].iter().all(|&b| b == 1),
            "unsynced bytes survived"
        );
        prefixes.insert(new);
    }
    assert!(prefixes.contains(&0) && prefixes.len() > 4, "{prefixes:?}");
}

const KEPT: TableDefinition<&str, u64> = TableDefinition::new("kept");

/// Commits `gold` in a durable redb transaction.
fn put_gold(db: &redb::Database, gold: u64) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    txn.open_table(KEPT)?.insert("gold", gold)?;
    txn.commit()?;
    Ok(())
}

/// The gold a redb database on `image` holds (after its recovery).
fn gold_in(image: Vec<u8>) -> Option<u64> {
    let db = redb::Builder::new()
        .create_with_backend(PowerDisk::with_image(image))
        .expect("the image opens");
    let read = db.begin_read().unwrap();
    let table = read.open_table(KEPT).unwrap();
    table.get("gold").unwrap().map(|v| v.value())
}

#[test]
fn a_commit_whose_fsync_never_ran_survives_a_kill_but_not_a_power_cut() {
    let disk = PowerDisk::default();
    let db = redb::Builder::new()
        .create_with_backend(disk.clone())
        .unwrap();
    put_gold(&db, 1).unwrap();
    // Every page of the second commit is written; its fsync is where the power goes.
    disk.arm(CutAt::Sync(1));
    assert!(put_gold(&db, 2).is_err());
    drop(db);
    // What a kill -9 test sees: the commit is there, the missing fsync goes unnoticed.
    assert_eq!(gold_in(disk.image()), Some(2));
    // What a power cut leaves: the last synced commit, whatever part of a write was torn.
    for seed in 0..32 {
        let survivor = disk.after_cut(Landing::FirstTorn, &mut Rng::new(seed));
        assert!(survivor.lost > 1, "{}", survivor.note);
        assert_eq!(gold_in(survivor.image), Some(1), "{}", survivor.note);
    }
}

/// An engine and the `ledger` fixture alone, compiled once per process.
fn ledger() -> &'static (Runtime, Scripts) {
    static LEDGER: OnceLock<(Runtime, Scripts)> = OnceLock::new();
    LEDGER.get_or_init(|| {
        let runtime = Runtime::new().expect("engine");
        let mut scripts = Scripts::default();
        let path = Path::new(wasmud::scripts::fixtures::LEDGER);
        scripts.insert(runtime.load_file(path).expect("compile the ledger"));
        (runtime, scripts)
    })
}

/// Opens a world on `disk` with `cache` bytes of redb page cache and time limits no transfer
/// reaches on a loaded machine (this test is about durability, not limits).
fn open(disk: &PowerDisk, cache: usize) -> Result<World, WorldError> {
    let mut options = WorldOptions {
        store_cache_bytes: cache,
        ..WorldOptions::default()
    };
    options.sandbox.hook_deadline = Duration::from_secs(10);
    options.sandbox.turn_budget = Duration::from_secs(20);
    let (runtime, scripts) = ledger();
    World::open_with_backend(disk.clone(), runtime, scripts, &options)
}

/// A new store holding the ledger accounts, durable: its image and the accounts.
fn ledger_image() -> (Vec<u8>, Vec<ObjectId>) {
    let disk = PowerDisk::default();
    let mut world = open(&disk, 1 << 20).expect("a new world");
    let accounts = world
        .atomically(|b| {
            (0..ACCOUNTS)
                .map(|i| {
                    let id = b.create(&format!("acct{i}"), "ledger", None)?;
                    b.set_attr(id, AttrKind::Db, "gold", Value::Int(GOLD))?;
                    Ok(id)
                })
                .collect()
        })
        .expect("the accounts");
    world.close().expect("close");
    (disk.image(), accounts)
}

/// One cut, all of it from the test's seed and the cut's number.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// `WASMUD_POWER_SEED`.
    base: u64,
    /// The cut's number in the sequence.
    cut: usize,
    /// This cut's seed (clients, tear).
    seed: u64,
    /// Where the power goes, counted from the clients' start.
    at: CutAt,
    /// What of the unsynced operations lands.
    landing: Landing,
    /// Bytes of redb page cache: with little, commits without fsync write pages early.
    cache: usize,
}

impl Plan {
    /// The plan of cut number `cut` in the sequence of `base`.
    fn new(base: u64, cut: usize) -> Plan {
        let seed = mix(base ^ mix(cut as u64));
        let mut rng = Rng::new(seed);
        Plan {
            base,
            cut,
            seed,
            // Every tenth cut after a longer run: the file grows, freed pages are reused.
            // Every fourth at a sync (a group's writes all done, its fsync not).
            at: match (cut % 10 == 9, cut % 4 == 3) {
                (long, false) => CutAt::Call(1 + rng.below(CUT_WITHIN * if long { 20 } else { 1 })),
                (long, true) => CutAt::Sync(1 + rng.below(CUT_WITHIN / if long { 1 } else { 10 })),
            },
            landing: Landing::ALL[cut % Landing::ALL.len()],
            cache: if rng.below(2) == 0 { 1 << 16 } else { 4 << 20 },
        }
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cut {} (WASMUD_POWER_SEED={:#x}, seed {:#x}): power off at {:?}, {:?}, {} B of \
             page cache",
            self.cut, self.base, self.seed, self.at, self.landing, self.cache
        )
    }
}

/// One client: transfers from its own account until the world says the store failed;
/// records the highest sequence number acknowledged in `acked`.
async fn client(
    handle: WorldHandle,
    disk: PowerDisk,
    accounts: Arc<[ObjectId]>,
    me: usize,
    acked: Arc<AtomicI64>,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    let from = accounts[me];
    let mut seq = acked.load(Ordering::SeqCst);
    loop {
        seq += 1;
        let to = accounts[rng.below(accounts.len() as u64) as usize];
        let input = format!("transfer {to} {} {seq}", rng.below(50));
        match handle.call(move |w| w.command(from, from, &input)).await {
            Ok(Ok(true)) => acked.store(seq, Ordering::SeqCst),
            Ok(Ok(false)) => panic!("a transfer was not handled"),
            Ok(Err(e)) => {
                assert!(disk.is_off(), "a transfer failed with the power on: {e}");
                return;
            }
            Err(e) => {
                assert!(disk.is_off(), "not acknowledged with the power on: {e}");
                return;
            }
        }
    }
}

/// Runs the clients against a world on `disk` until its power goes.
fn run_until_cut(
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
    disk: &PowerDisk,
    accounts: &[ObjectId],
    acked: &[Arc<AtomicI64>],
) {
    let world = open(disk, plan.cache).unwrap_or_else(|e| panic!("{plan}: open: {e}"));
    let (thread, handle) = WorldThread::spawn_with(world, CommitPolicy::durable());
    disk.arm(plan.at);
    let accounts: Arc<[ObjectId]> = accounts.into();
    let clients = acked.iter().enumerate().map(|(me, acked)| {
        let seed = mix(plan.seed ^ (me as u64 + 1));
        let client = client(
            handle.clone(),
            disk.clone(),
            accounts.clone(),
            me,
            acked.clone(),
            seed,
        );
        rt.spawn(client)
    });
    let clients: Vec<_> = clients.collect();
    let all_stopped = async {
        for client in clients {
            if let Err(e) = client.await {
                std::panic::resume_unwind(e.into_panic());
            }
        }
    };
    let finished = rt.block_on(async { tokio::time::timeout(RUN_LIMIT, all_stopped).await });
    assert!(finished.is_ok(), "{plan}: the clients never stopped");
    drop(handle);
    stop_within(thread, plan);
}

/// Stops the world thread (its final checkpoint fails: the machine is off), failing the test
/// instead of hanging it if the thread does not stop, and if it panicked.
fn stop_within(thread: WorldThread, plan: &Plan) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(thread.stop().map_err(|e| e.to_string())));
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(Err(e)) if e.contains("panicked") => panic!("{plan}: {e}"),
        Ok(_) => {}
        Err(e) => panic!("{plan}: the world thread did not stop: {e}"),
    }
}

/// What a store holds after its recovery.
struct Kept {
    /// The image after recovery and a clean close: where the next cut starts.
    image: Vec<u8>,
    /// Gold in all accounts.
    total: i64,
    /// Each account's `seq`: the last transfer it sent that the store kept.
    seqs: Vec<i64>,
}

/// Opens the image a cut left, twice: as a file, the way `wasmud check` and `serve` open a
/// store (page checksums and `check` must be clean), and on a disk, where a world reads the
/// accounts. `Err` says what is wrong.
fn recover(
    image: Vec<u8>,
    file: &Path,
    accounts: &[ObjectId],
    cache: usize,
) -> Result<Kept, String> {
    std::fs::write(file, &image).map_err(|e| format!("write {}: {e}", file.display()))?;
    check_file(file)?;
    let disk = PowerDisk::with_image(image);
    let mut world = open(&disk, cache).map_err(|e| format!("the world does not open: {e}"))?;
    let mut int = |id, name| match world.attr(id, AttrKind::Db, name) {
        Ok(Some(Value::Int(n))) => Ok(n),
        Ok(None) => Ok(0),
        other => Err(format!("{name} of #{id}: {other:?}")),
    };
    let mut total = 0;
    let mut seqs = Vec::new();
    for &account in accounts {
        total += int(account, "gold")?;
        seqs.push(int(account, "seq")?);
    }
    world.close().map_err(|e| format!("close: {e}"))?;
    Ok(Kept {
        image: disk.image(),
        total,
        seqs,
    })
}

/// Opens the store in `file` as `wasmud check` does: it must open, and its page checksums and
/// invariants must be clean.
fn check_file(file: &Path) -> Result<(), String> {
    let mut store =
        RedbStore::open_for_check(file).map_err(|e| format!("the store does not open: {e}"))?;
    store
        .check_integrity()
        .map_err(|e| format!("page checksums: {e}"))?;
    let report = store
        .check(false)
        .map_err(|e| format!("check failed: {e}"))?;
    if report.is_clean() {
        Ok(())
    } else {
        Err(format!("check: {:?}", report.problems))
    }
}

/// Fails the test for `plan`, keeping the image that survived as a data directory.
fn fail(plan: &Plan, survivor: &Survivor, what: &str) -> ! {
    let dir: PathBuf = std::env::temp_dir().join(format!("wasmud-power-{:016x}", plan.seed));
    let kept = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("world.redb"), &survivor.image))
        .map_or_else(
            |e| format!("not kept: {e}"),
            |()| format!("kept in {}", dir.display()),
        );
    panic!("{plan}: {what}\n({}; the image is {kept})", survivor.note);
}

/// A number from the environment, decimal or `0x` hexadecimal.
fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|e| panic!("{name}={text}: {e}"))
}

/// The ledger under test: its accounts, what each client was told, and the image the next
/// cut starts from.
struct Ledger {
    /// Where the clients run.
    rt: tokio::runtime::Runtime,
    accounts: Vec<ObjectId>,
    /// Per client (= per account), the highest sequence number acknowledged.
    acked: Vec<Arc<AtomicI64>>,
    image: Vec<u8>,
    /// Holds the file each cut's image is checked in.
    dir: tempfile::TempDir,
}

/// Transfers counted after one cut.
#[derive(Default)]
struct Figures {
    /// Acknowledged during the run (all of them kept).
    acknowledged: i64,
    /// In flight at the cut, and kept.
    unacknowledged_kept: i64,
    /// In flight at the cut, and lost.
    unacknowledged_lost: i64,
}

impl Ledger {
    /// A new store with the accounts, none of them told anything.
    fn new() -> Ledger {
        let (image, accounts) = ledger_image();
        Ledger {
            rt: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_time()
                .build()
                .unwrap(),
            accounts,
            acked: (0..ACCOUNTS).map(|_| Arc::default()).collect(),
            image,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs the clients on `disk` (holding [`Ledger::image`]) until the power goes as `plan`
    /// says, and recovers what survived: the figures, or what is wrong. What the store kept
    /// is where the next cut starts.
    fn cut(&mut self, plan: &Plan, disk: &PowerDisk) -> (Survivor, Result<Figures, String>) {
        let before: Vec<i64> = self
            .acked
            .iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect();
        run_until_cut(&self.rt, plan, disk, &self.accounts, &self.acked);
        let survivor = disk.after_cut(plan.landing, &mut Rng::new(!plan.seed));
        let file = self.dir.path().join("world.redb");
        let judged = recover(survivor.image.clone(), &file, &self.accounts, plan.cache)
            .and_then(|kept| self.judge(&before, kept));
        (survivor, judged)
    }

    /// Every acknowledged transfer kept, gold conserved, nothing from the future.
    fn judge(&mut self, before: &[i64], kept: Kept) -> Result<Figures, String> {
        if kept.total != GOLD * ACCOUNTS as i64 {
            return Err(format!("gold not conserved: {}", kept.total));
        }
        let mut figures = Figures::default();
        for (c, acked) in self.acked.iter().enumerate() {
            let (told, stored) = (acked.load(Ordering::SeqCst), kept.seqs[c]);
            if stored < told {
                return Err(format!(
                    "client {c} was told transfer {told} happened; the store has {stored}"
                ));
            }
            // Each client had one transfer in flight when the store failed: kept or not.
            if stored > told + 1 {
                return Err(format!("client {c}: transfer {stored} was never sent"));
            }
            figures.acknowledged += told - before[c];
            figures.unacknowledged_kept += stored - told;
            figures.unacknowledged_lost += 1 - (stored - told);
        }
        for (acked, stored) in self.acked.iter().zip(&kept.seqs) {
            acked.store(*stored, Ordering::SeqCst);
        }
        self.image = kept.image;
        Ok(figures)
    }
}

/// Totals over all cuts, for the summary line.
#[derive(Default)]
struct Tally {
    /// [`Figures`] summed.
    acknowledged: i64,
    unacknowledged_kept: i64,
    unacknowledged_lost: i64,
    /// Cuts that tore a write.
    torn: usize,
    /// Unsynced operations that did not land whole.
    lost_operations: usize,
    /// Cuts at a write, a length change and a sync.
    went_at: [usize; 3],
}

#[test]
fn power_cuts_under_group_commit_lose_no_acknowledged_transfer() {
    let cuts = env_number("WASMUD_POWER_CUTS", 200) as usize;
    let base = env_number("WASMUD_POWER_SEED", 0x9017_E5C0);
    let mut ledger = Ledger::new();
    let mut tally = Tally::default();
    let started = Instant::now();
    for cut in 0..cuts {
        let plan = Plan::new(base, cut);
        let disk = PowerDisk::with_image(ledger.image.clone());
        let (survivor, judged) = ledger.cut(&plan, &disk);
        let figures = judged.unwrap_or_else(|e| fail(&plan, &survivor, &e));
        tally.acknowledged += figures.acknowledged;
        tally.unacknowledged_kept += figures.unacknowledged_kept;
        tally.unacknowledged_lost += figures.unacknowledged_lost;
        tally.torn += usize::from(survivor.torn);
        tally.lost_operations += survivor.lost;
        if let Some(call) = survivor.went_at {
            tally.went_at[call as usize] += 1;
        }
    }
    eprintln!(
        "{cuts} power cuts in {:.1} s (at {} writes, {} length changes, {} syncs; {} writes \
         torn, {} unsynced operations lost): {} acknowledged transfers kept, {} \
         unacknowledged ones kept too, {} lost",
        started.elapsed().as_secs_f64(),
        tally.went_at[Call::Write as usize],
        tally.went_at[Call::SetLen as usize],
        tally.went_at[Call::Sync as usize],
        tally.torn,
        tally.lost_operations,
        tally.acknowledged,
        tally.unacknowledged_kept,
        tally.unacknowledged_lost
    );
    assert!(tally.acknowledged > 0, "no transfer was acknowledged");
}

#[test]
fn a_disk_that_ignores_fsync_loses_acknowledged_transfers_and_the_test_sees_it() {
    // The scenario has teeth: the same run on a disk whose syncs make nothing durable fails
    // the acknowledgement check (a kill -9 could not tell this disk from a good one).
    let mut ledger = Ledger::new();
    // Late enough for acknowledgements; of the unsynced writes only the first lands, torn.
    let plan = Plan {
        at: CutAt::Call(CUT_WITHIN),
        landing: Landing::FirstTorn,
        ..Plan::new(0x11E5, 0)
    };
    let disk = PowerDisk::with_image(ledger.image.clone());
    disk.ignore_syncs();
    let (survivor, judged) = ledger.cut(&plan, &disk);
    match judged {
        Err(e) => assert!(e.contains("was told"), "{plan}: {e}"),
        Ok(f) => panic!(
            "{plan}: {} acknowledged transfers kept on a disk that never synced ({})",
            f.acknowledged, survivor.note
        ),
    }
}

/// Accounts enough for many pages of attributes: a turn on the first accounts and a turn on
/// the last ones change different pages.
const MANY: usize = 2_000;

/// A fault the power survives, then a power cut: a transfer between the first two accounts
/// whose fsync fails (with `forget`, Linux style: its pages are never written), the world
/// reopening its store and recovering by itself, a transfer between the last two accounts
/// acknowledged, then the power goes. Asserts that the store opens and checks clean, the
/// total is conserved and the acknowledged transfer is there.
fn failed_fsync_then_power_cut(forget: bool) {
    let disk = PowerDisk::default();
    let reopen = disk.clone();
    let (runtime, scripts) = ledger();
    let options = WorldOptions {
        store_cache_bytes: 1 << 16,
        ..WorldOptions::default()
    };
    // The store's file, a fresh file to rewrite it into, and the rename of one over the other.
    let fresh = Arc::new(Mutex::new(None::<PowerDisk>));
    let backend = move |storage| match storage {
        Storage::Current => Ok(Some(reopen.clone())),
        Storage::Fresh => {
            let disk = PowerDisk::default();
            *fresh.lock().unwrap() = Some(disk.clone());
            Ok(Some(disk))
        }
        Storage::Promote => {
            let made = fresh
                .lock()
                .unwrap()
                .take()
                .expect("a fresh disk to promote");
            reopen.adopt(&made);
            Ok(None)
        }
    };
    let mut w = World::open_reopenable(backend, runtime, scripts, &options).unwrap();
    let accounts: Vec<ObjectId> = w
        .atomically(|b| {
            (0..MANY)
                .map(|i| {
                    let id = b.create(&format!("acct{i}"), "ledger", None)?;
                    b.set_attr(id, AttrKind::Db, "gold", Value::Int(GOLD))?;
                    Ok(id)
                })
                .collect()
        })
        .unwrap();
    w.checkpoint().unwrap();
    let (first, last) = (accounts[0], accounts[MANY - 1]);
    disk.fail_next_sync(forget);
    let unacknowledged = format!("transfer {} 10 1", accounts[1]);
    assert!(w.command(first, first, &unacknowledged).unwrap());
    assert!(
        w.checkpoint().is_err(),
        "the fsync failed: not acknowledged"
    );
    // The world reopens the store at the next turn and refuses changes until its pause is
    // over; then a change and its checkpoint go through: acknowledged.
    let acknowledged = format!("transfer {} 10 1", accounts[MANY - 2]);
    let deadline = Instant::now() + RUN_LIMIT;
    loop {
        std::thread::sleep(wasmud::world::storage::FIRST_RETRY);
        match w.command(last, last, &acknowledged) {
            Ok(true) if w.checkpoint().is_ok() => break,
            Err(WorldError::StorageDown(_)) => {}
            other => panic!("{other:?}"),
        }
        assert!(Instant::now() < deadline, "the world never recovered");
    }
    disk.cut_now();
    drop(w);
    let survivor = disk.after_cut(Landing::FirstTorn, &mut Rng::new(1));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.redb");
    let kept = recover(survivor.image, &file, &accounts, 1 << 20)
        .unwrap_or_else(|e| panic!("forget={forget}: {e}"));
    assert_eq!(kept.total, GOLD * MANY as i64, "forget={forget}");
    assert_eq!(
        kept.seqs[MANY - 1],
        1,
        "forget={forget}: the acknowledged transfer"
    );
    assert!(kept.seqs[0] <= 1, "forget={forget}");
}

#[test]
fn a_failed_fsync_retried_by_the_disk_then_a_power_cut_keeps_acknowledged_turns() {
    failed_fsync_then_power_cut(false);
}

/// FINDING (reported, not fixed here): on Linux a failed fsync can leave its pages in the page
/// cache, marked clean, never written (the PostgreSQL "fsyncgate"). Reopening the store then
/// reads the failed commit from the page cache (its header included), redb's repair and the
/// next commits build on it, and their fsyncs succeed without writing its pages: after a
/// power cut the store does not open ("All roots are corrupted"). A process restart without a
/// reboot does the same. Run with `--ignored`; un-ignore once the host handles it.
#[test]
fn a_failed_fsync_forgotten_by_the_disk_then_a_power_cut_keeps_acknowledged_turns() {
    failed_fsync_then_power_cut(true);
}

//! Running console commands against a live server: each command is one or more world jobs, so
//! commands from several admins are serialised by the world thread, and formatting and I/O
//! happen off it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::parse::{self, Command, ParseError, Target};
use wasmud_world::reload::Reloader;
use wasmud_world::runtime::Hook;
use wasmud_world::value::{ObjectId, Value};
use wasmud_world::world::inspect::ObjectSnapshot;
use wasmud_world::world::{AttrKind, FlushJob, FlushReport, LimitStat, World, WorldError};
use wasmud_world::world_thread::WorldHandle;

/// The answer to one command line: what to show, and the same as data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reply {
    /// False if the command failed.
    pub ok: bool,
    /// The text to print (the JSON itself when `--json` was asked for).
    pub text: String,
    /// Machine-readable result.
    pub json: serde_json::Value,
}

impl Reply {
    fn ok(text: String, json: serde_json::Value) -> Self {
        Reply {
            ok: true,
            text,
            json,
        }
    }

    /// A successful reply that is only a message.
    pub fn message(text: &str) -> Self {
        Reply::ok(text.to_owned(), json!({ "message": text }))
    }

    /// A failed command: one line of error, one of suggestion.
    pub fn error(message: &str, suggestion: &str) -> Self {
        let text = if suggestion.is_empty() {
            format!("error: {message}")
        } else {
            format!("error: {message}\nhint: {suggestion}")
        };
        Reply {
            ok: false,
            text,
            json: json!({ "error": message, "hint": suggestion }),
        }
    }
}

impl From<ParseError> for Reply {
    fn from(e: ParseError) -> Self {
        Reply::error(&e.message, &e.suggestion)
    }
}

/// What the console needs from the server.
#[derive(Clone)]
pub struct ConsoleContext {
    /// The world thread.
    pub world: WorldHandle,
    /// Reloading typeclasses.
    pub reloader: Reloader,
    /// When the server started.
    pub started: Instant,
    /// Notified by `shutdown`.
    pub shutdown: Arc<tokio::sync::Notify>,
}

/// The most objects one `find` lists (the reply says when more matched).
const MAX_FOUND: usize = 200;

/// The text and JSON of `find`.
fn find_reply(name: &str, finds: &wasmud_world::store::Finds) -> (String, serde_json::Value) {
    let mut text = String::new();
    for f in &finds.objects {
        write!(text, "#{} {} ({})", f.id, f.key, f.typeclass).expect("write to string");
        if let Some(alias) = &f.alias {
            write!(text, " alias {alias:?}").expect("write to string");
        }
        text.push('\n');
    }
    if finds.objects.is_empty() {
        text = format!("no object's name or alias matches `{name}`");
    } else if finds.more {
        write!(text, "... and more: the first {MAX_FOUND} are shown").expect("write to string");
    }
    (
        text.trim_end().to_owned(),
        json!({ "objects": finds.objects, "more": finds.more }),
    )
}

/// A failure while running a command, turned into a [`Reply`].
struct Failure(String, String);

impl From<WorldError> for Failure {
    fn from(e: WorldError) -> Self {
        let hint = match &e {
            WorldError::NotFound(what) if what.starts_with("typeclass") => {
                "`typeclasses` lists the installed ones"
            }
            WorldError::NotFound(what) if what.starts_with("account") => "`accounts` lists them",
            WorldError::NotFound(_) | WorldError::Deleted(_) => "check the id with `find <key>`",
            WorldError::InvalidArgument(_) => "see `help <command>`",
            _ => "",
        };
        Failure(e.to_string(), hint.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure(format!("{e:#}"), String::new())
    }
}

type Outcome = Result<(String, serde_json::Value), Failure>;

/// Parses and runs one command line.
pub async fn execute(ctx: &ConsoleContext, line: &str) -> Reply {
    let (command, as_json) = match parse::parse(line) {
        Ok(parsed) => parsed,
        Err(e) => return e.into(),
    };
    match run(ctx, command).await {
        Ok((text, json)) => {
            let text = if as_json {
                serde_json::to_string_pretty(&json).unwrap_or_default()
            } else {
                text
            };
            Reply::ok(text, json)
        }
        Err(Failure(message, hint)) => Reply::error(&message, &hint),
    }
}

async fn world<T: Send + 'static>(
    ctx: &ConsoleContext,
    f: impl FnOnce(&mut World) -> T + Send + 'static,
) -> Result<T, Failure> {
    Ok(ctx.world.call(f).await?)
}

fn resolve(w: &mut World, target: &Target) -> Result<ObjectId, Failure> {
    match target {
        Target::Id(id) => {
            w.key(*id)?;
            Ok(*id)
        }
        Target::Key(key) => match w.search(key)?.as_slice() {
            [id] => Ok(*id),
            [] => Err(Failure(
                format!("no object is called `{key}`"),
                "use `find <key>` or an id such as #1".into(),
            )),
            many => Err(Failure(
                format!(
                    "`{key}` matches {} objects: {}",
                    many.len(),
                    many.iter()
                        .map(|id| format!("#{id}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "name one by its id".into(),
            )),
        },
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

async fn run(ctx: &ConsoleContext, command: Command) -> Outcome {
    match command {
        Command::Help(name) => {
            let text =
                parse::help(name.as_deref()).map_err(|e| Failure(e.message, e.suggestion))?;
            let commands: Vec<_> = parse::commands()
                .into_iter()
                .map(|c| json!({ "name": c.name, "usage": c.usage, "summary": c.summary }))
                .collect();
            Ok((text, json!({ "commands": commands })))
        }
        Command::Stats => stats(ctx).await,
        Command::Flush { scope, force } => {
            // One world job per slice: other commands and players run in between.
            let mut job = FlushJob::new(scope, force);
            loop {
                let (j, done) = world(ctx, move |w| {
                    let done = w.flush_step(&mut job);
                    (job, done)
                })
                .await?;
                job = j;
                if done {
                    break;
                }
            }
            Ok(flush_reply(&job.into_report()))
        }
        Command::Reload(name) => {
            let reports = ctx.reloader.reload(name.as_deref()).await?;
            let mut text = String::new();
            let mut items = Vec::new();
            for r in &reports {
                match &r.outcome {
                    // The grants file: its outcome says what it listed.
                    Ok(listed) if r.name == wasmud_world::reload::GRANTS_FILE => {
                        writeln!(text, "{}: {listed}", r.name)
                    }
                    Ok(hash) => writeln!(
                        text,
                        "{}: {} version {hash} ({:?}, {:.1} ms)",
                        r.name,
                        if r.replaced { "reloaded" } else { "added" },
                        r.origin.expect("set on success"),
                        r.latency.as_secs_f64() * 1e3
                    ),
                    Err(e) if r.name == wasmud_world::reload::GRANTS_FILE => {
                        writeln!(text, "{}: REJECTED, the grants in force stay: {e}", r.name)
                    }
                    Err(e) => {
                        writeln!(text, "{}: REJECTED, the running version stays: {e}", r.name)
                    }
                }
                .expect("write to string");
                items.push(json!({
                    "typeclass": r.name,
                    "ok": r.outcome.is_ok(),
                    "version": r.outcome.as_ref().ok(),
                    "error": r.outcome.as_ref().err(),
                    "replaced": r.replaced,
                    "latency_ms": r.latency.as_secs_f64() * 1e3,
                }));
            }
            if reports.iter().any(|r| r.outcome.is_err()) {
                return Err(Failure(
                    text.trim_end().to_owned(),
                    "fix the script and `reload` again".into(),
                ));
            }
            Ok((text.trim_end().to_owned(), json!({ "reloaded": items })))
        }
        Command::Typeclasses => {
            let (list, cached) = world(ctx, |w| (w.typeclasses(), w.cached_by_typeclass())).await?;
            let mut text = format!(
                "{:<14} {:<8} {:<13} {:<9} {:>7} {:>8} {:>7}  {:<18}  {}\n",
                "typeclass",
                "language",
                "version",
                "origin",
                "cached",
                "contract",
                "refused",
                "loaded at (unix s)",
                "grants"
            );
            let mut items = Vec::new();
            for installed in &list {
                let script = &installed.script;
                let loaded = script
                    .loaded_at()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let count = cached.get(script.name()).copied().unwrap_or(0);
                let grants = installed.grants.names();
                writeln!(
                    text,
                    "{:<14} {:<8} {:<13} {:<9} {:>7} {:>8} {:>7}  {:<18}  {}{}",
                    script.name(),
                    script.language().name(),
                    script.hash(),
                    format!("{:?}", script.origin()).to_lowercase(),
                    count,
                    script.contract(),
                    installed.refusals,
                    loaded,
                    if grants.is_empty() {
                        "(none)".to_owned()
                    } else {
                        grants.join(", ")
                    },
                    if installed.quarantined {
                        "  QUARANTINED"
                    } else {
                        ""
                    }
                )
                .expect("write to string");
                items.push(json!({
                    "name": script.name(),
                    "language": script.language().name(),
                    "version": script.hash(),
                    "origin": format!("{:?}", script.origin()).to_lowercase(),
                    "cached_objects": count,
                    "loaded_at": loaded,
                    "quarantined": installed.quarantined,
                    "contract": script.contract(),
                    "grants": grants,
                    "refusals": installed.refusals,
                }));
            }
            Ok((text.trim_end().to_owned(), json!({ "typeclasses": items })))
        }
        Command::Examine(target) => {
            // One world job takes the snapshot; the formatting happens here, off the world.
            let snapshot = world(ctx, move |w| -> Result<ObjectSnapshot, Failure> {
                let id = match target {
                    Target::Id(id) => id,
                    key @ Target::Key(_) => resolve(w, &key)?,
                };
                Ok(w.inspect(id)?)
            })
            .await??;
            Ok(examine_reply(&snapshot))
        }
        Command::Find(name) => {
            // A scan of every key and alias: on a snapshot, off the world thread.
            let snapshot = world(ctx, |w| w.snapshot()).await??;
            let query = name.clone();
            let finds = tokio::task::spawn_blocking(move || {
                wasmud_world::store::find(snapshot.as_ref(), &query, MAX_FOUND)
            })
            .await
            .map_err(|e| Failure(format!("the find task failed: {e}"), String::new()))?
            .map_err(|e| Failure(format!("find failed: {e}"), String::new()))?;
            Ok(find_reply(&name, &finds))
        }
        Command::Unset { target, name, ndb } => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let kind = if ndb { AttrKind::Ndb } else { AttrKind::Db };
                let removed = w.remove_attr(id, kind, &name)?;
                let which = if ndb { "ndb" } else { "db" };
                let text = if removed {
                    format!("#{id}.{which}.{name} removed")
                } else {
                    format!("#{id} has no {which} attribute {name:?}")
                };
                Ok((
                    text,
                    json!({ "id": id, "attr": name, "kind": which, "removed": removed }),
                ))
            })
            .await?
        }
        Command::Rename { target, key } => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let old = w.key(id)?;
                w.rename(id, &key)?;
                Ok((
                    format!("#{id} {old} is now called {key}"),
                    json!({ "id": id, "old": old, "key": key }),
                ))
            })
            .await?
        }
        Command::Move {
            target,
            destination,
        } => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let to = destination.map(|d| resolve(w, &d)).transpose()?;
                w.move_to(id, to)?;
                let text = match to {
                    Some(to) => format!("moved #{id} into #{to} {}", w.key(to)?),
                    None => format!("moved #{id} out of the world (nowhere)"),
                };
                Ok((text, json!({ "id": id, "location": to })))
            })
            .await?
        }
        Command::Delete(target) => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let key = w.key(id)?;
                let contents = w.contents(id)?;
                w.delete(id)?;
                Ok((
                    format!(
                        "deleted #{id} {key}{}",
                        if contents.is_empty() {
                            String::new()
                        } else {
                            format!(" ({} things inside moved out)", contents.len())
                        }
                    ),
                    json!({ "id": id, "key": key, "moved_out": contents }),
                ))
            })
            .await?
        }
        Command::Create {
            key,
            typeclass,
            location,
        } => {
            world(ctx, move |w| -> Outcome {
                let location = location.map(|t| resolve(w, &t)).transpose()?;
                let id = w.create(&key, &typeclass, location)?;
                Ok((
                    format!("created #{id} {key} ({typeclass})"),
                    json!({ "id": id }),
                ))
            })
            .await?
        }
        Command::Set {
            target,
            name,
            value,
            ndb,
        } => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let kind = if ndb { AttrKind::Ndb } else { AttrKind::Db };
                let shown = value.to_string();
                let j = &value.to_json();
                w.set_attr(id, kind, &name, value)?;
                let which = if ndb { "ndb" } else { "db" };
                Ok((
                    format!("#{id}.{which}.{name} = {shown}"),
                    json!({ "id": id, "attr": name, "kind": which, "value": j }),
                ))
            })
            .await?
        }
        Command::Call { target, hook, args } => {
            world(ctx, move |w| -> Outcome {
                let id = resolve(w, &target)?;
                let answer = call(w, id, &hook, &args)?;
                // Shown here, and still handed to any player attached to the objects.
                let deliveries = w.deliveries();
                let mut text = format!("{hook} on #{id} returned {answer}");
                for d in &deliveries {
                    write!(text, "\n  -> #{}: {}", d.to, d.text).expect("write to string");
                }
                let delivered: Vec<_> = deliveries
                    .iter()
                    .map(|d| json!({ "to": d.to, "text": d.text, "from": d.from }))
                    .collect();
                Ok((
                    text,
                    json!({ "id": id, "hook": hook, "answer": answer, "delivered": delivered }),
                ))
            })
            .await?
        }
        Command::Timers(target) => {
            let (timers, total, now) = world(ctx, move |w| -> Result<_, Failure> {
                let id = target.map(|t| resolve(w, &t)).transpose()?;
                let timers = w.timers(id, super::timers::MAX_LISTED)?;
                let total = match id {
                    Some(_) => timers.len() as u64,
                    None => w.timer_count()?,
                };
                Ok((timers, total, w.now_ms()))
            })
            .await??;
            Ok(super::timers::reply(&timers, total, now))
        }
        Command::Incidents => {
            let incidents = world(ctx, |w| w.incidents()).await?;
            let mut text = format!("{} incidents kept (the newest last)", incidents.len());
            for i in &incidents {
                write!(
                    text,
                    "\n{} #{} {:?}: {}",
                    i.reference, i.character, i.input, i.error
                )
                .expect("write to string");
            }
            Ok((text, json!({ "incidents": incidents })))
        }
        Command::Accounts => {
            let accounts = world(ctx, |w| w.accounts()).await??;
            Ok(super::accounts::reply(&accounts))
        }
        Command::Role {
            account,
            role,
            grant,
        } => {
            world(ctx, move |w| -> Outcome {
                let roles = w.set_role(&account, role, grant)?;
                let (verb, prep) = if grant {
                    ("granted", "to")
                } else {
                    ("revoked", "from")
                };
                Ok((
                    format!("{role} {verb} {prep} {account}: now {roles}"),
                    json!({ "account": account, "roles": roles.names() }),
                ))
            })
            .await?
        }
        Command::Backup(file) => {
            let dest = std::path::PathBuf::from(file);
            // The snapshot is one job between two turns; the copy runs off the world thread.
            let snapshot = world(ctx, |w| w.snapshot()).await??;
            let report = tokio::task::spawn_blocking(move || snapshot.backup_to(&dest))
                .await
                .map_err(|e| Failure(format!("the backup task failed: {e}"), String::new()))?;
            let report = report.map_err(|e| {
                Failure(
                    format!("backup failed: {e}"),
                    "give a new file in a directory the server can write".into(),
                )
            })?;
            Ok((
                format!(
                    "backed up {} objects and {} attributes to {} ({:.1} MiB in {:.0} ms)",
                    report.objects,
                    report.attributes,
                    report.path.display(),
                    report.bytes as f64 / f64::from(1u32 << 20),
                    report.took.as_secs_f64() * 1e3
                ),
                serde_json::to_value(&report).unwrap_or_default(),
            ))
        }
        Command::Save => {
            let started = Instant::now();
            world(ctx, |w| w.checkpoint()).await??;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            Ok((
                format!("saved: everything is durable ({ms:.1} ms)"),
                json!({ "saved": true, "ms": ms }),
            ))
        }
        Command::Shutdown => {
            ctx.shutdown.notify_one();
            Ok((
                "shutting down: saving and stopping the server".into(),
                json!({ "shutdown": true }),
            ))
        }
    }
}

fn call(w: &mut World, id: ObjectId, hook: &str, args: &[String]) -> Result<bool, Failure> {
    let usage = |u: &str| Failure(format!("`{hook}` takes {u}"), "see `help call`".into());
    let opt_target = |w: &mut World, word: Option<&String>| -> Result<Option<ObjectId>, Failure> {
        match word.map(String::as_str) {
            None | Some("none") => Ok(None),
            Some(word) => resolve(w, &parse::target(word)).map(Some),
        }
    };
    let rest = args.join(" ");
    let hook = match hook {
        "at-object-creation" => Hook::ObjectCreation,
        "at-init" => Hook::Init,
        "at-object-delete" => Hook::ObjectDelete,
        "at-msg-receive" => Hook::MsgReceive {
            text: &rest,
            sender: None,
        },
        "at-command" => {
            let Some((caller, input)) = args.split_first() else {
                return Err(usage("a caller and the input"));
            };
            let caller = resolve(w, &parse::target(caller))?;
            let input = input.join(" ");
            return Ok(w.run_hook(
                id,
                Hook::Command {
                    caller,
                    input: &input,
                },
            )?);
        }
        "at-pre-move" => Hook::PreMove {
            destination: opt_target(w, args.first())?,
        },
        "at-post-move" => Hook::PostMove {
            source: opt_target(w, args.first())?,
        },
        "at-tick" => Hook::Tick { name: &rest },
        "at-post-puppet" => Hook::PostPuppet,
        "at-pre-unpuppet" => Hook::PreUnpuppet,
        other => {
            return Err(Failure(
                format!("unknown hook `{other}`"),
                "hooks: at-object-creation, at-init, at-msg-receive, at-command, at-pre-move, at-post-move, at-object-delete, at-tick, at-post-puppet, at-pre-unpuppet".into(),
            ));
        }
    };
    Ok(w.run_hook(id, hook)?)
}

/// Longest value shown in `examine`'s text (the JSON has it whole): one huge attribute must not
/// flood a terminal.
const SHOWN_VALUE_CHARS: usize = 400;

/// `value` as `examine` prints it, cut to [`SHOWN_VALUE_CHARS`] characters.
fn shown_value(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(SHOWN_VALUE_CHARS) {
        Some((cut, _)) => format!("{}... ({} bytes)", &text[..cut], text.len()),
        None => text,
    }
}

/// "... and N more" when a snapshot holds `shown` of `total` items.
fn more(shown: usize, total: usize) -> Option<String> {
    (total > shown).then(|| format!("... and {} more", total - shown))
}

fn examine_reply(s: &ObjectSnapshot) -> (String, serde_json::Value) {
    let mut text = format!(
        "#{} {}\n  typeclass: {}\n  location:  ",
        s.id, s.key, s.typeclass
    );
    match &s.location {
        Some((l, k)) => write!(text, "#{l} {k}"),
        None => write!(text, "nowhere"),
    }
    .expect("write to string");
    let mut names: Vec<String> = s
        .contents
        .iter()
        .map(|(c, k)| format!("#{c} {k}"))
        .collect();
    names.extend(more(s.contents.len(), s.contents_total));
    write!(
        text,
        "\n  contents:  {}",
        if names.is_empty() {
            "nothing".into()
        } else {
            names.join(", ")
        }
    )
    .expect("write to string");
    let mut attrs = serde_json::Map::new();
    for (label, list, total) in [("db", &s.db, s.db_total), ("ndb", &s.ndb, s.ndb_total)] {
        write!(text, "\n  {label}:").expect("write to string");
        if total == 0 {
            text.push_str(" (none)");
        }
        let mut map = serde_json::Map::new();
        for (name, value) in list {
            write!(text, "\n    {name} = {}", shown_value(value)).expect("write to string");
            map.insert(name.clone(), value.to_json());
        }
        if let Some(more) = more(list.len(), total) {
            write!(text, "\n    {more}").expect("write to string");
        }
        attrs.insert(label.into(), map.into());
    }
    if let Some(error) = &s.init_error {
        write!(
            text,
            "\n  at-init:   FAILS, so it cannot be loaded (shown as stored): {error}"
        )
        .expect("write to string");
    }
    let contents: Vec<_> = s
        .contents
        .iter()
        .map(|(c, k)| json!({ "id": c, "key": k }))
        .collect();
    let json = json!({
        "id": s.id, "key": s.key, "typeclass": s.typeclass,
        "location": s.location.as_ref().map(|(l, _)| l),
        "contents": contents, "contents_total": s.contents_total,
        "db": attrs["db"], "db_total": s.db_total,
        "ndb": attrs["ndb"], "ndb_total": s.ndb_total,
        "init_error": s.init_error,
    });
    (text, json)
}

async fn stats(ctx: &ConsoleContext) -> Outcome {
    let s = world(ctx, |w| w.stats()).await?;
    let uptime = ctx.started.elapsed();
    let c = &s.cache;
    let lookups = c.hits + c.misses;
    let ratio = if lookups == 0 {
        0.0
    } else {
        100.0 * c.hits as f64 / lookups as f64
    };
    let protected: Vec<String> = s
        .protected
        .iter()
        .map(|(reason, n)| format!("{n} {}", reason.label()))
        .collect();
    let (logged, log_dropped) = s.log_lines;
    let (fds, open_fds) = wasmud_net::fd_limit::snapshot();
    let mut text = format!(
        "uptime:       {}\n\
         cache:        {} entries, ~{}{}\n\
         lookups:      {} hits, {} misses ({ratio:.1}% hits), {} loads\n\
         removed:      {} evicted, {} flushed in {} flushes\n\
         protected:    {}\n\
         ndb:          {} held\n\
         memory:       {} RSS\n\
         files:        {}\n\
         storage:      {}\n\
         typeclasses:  {} ({} instances created, {} too big to pool){}\n\
         instances:    {} idle holding ~{} ({} dropped to stay within {})\n\
         hooks:        {} run, {} trapped, {} refused by grants{}\n\
         guest log:    {logged} lines, {log_dropped} dropped by the rate limit\n\
         deliveries:   {} dropped (nobody listening)\n\
         timers:       {} scheduled; {} fired, {} failed, {} parked, {} waited, {} dropped\n\
         limits:",
        human_duration(uptime),
        c.entries,
        mib(s.cache_bytes as u64),
        s.cache_budget
            .map(|b| format!(", budget {b}"))
            .unwrap_or_default(),
        c.hits,
        c.misses,
        c.loads,
        c.evictions,
        c.flushed,
        s.flushes,
        if protected.is_empty() {
            "none".into()
        } else {
            protected.join(", ")
        },
        mib(s.ndb_bytes as u64),
        mib(s.rss_bytes),
        files_line(fds, open_fds),
        storage_line(&s.storage),
        s.typeclasses,
        s.instantiations,
        s.big_instances_dropped,
        if s.quarantined.is_empty() {
            String::new()
        } else {
            format!(", QUARANTINED: {}", s.quarantined.join(", "))
        },
        s.idle_instances.count,
        mib(s.idle_instances.bytes as u64),
        s.idle_instances.dropped,
        mib(s.idle_instances.budget as u64),
        s.hooks_run,
        s.traps,
        s.refusals.iter().map(|(_, n)| n).sum::<u64>(),
        if s.refusals.is_empty() {
            String::new()
        } else {
            let each: Vec<String> = (s.refusals.iter())
                .map(|(name, n)| format!("{name} {n}"))
                .collect();
            format!(" ({})", each.join(", "))
        },
        s.deliveries_dropped,
        s.timers,
        s.timer_counters.fired,
        s.timer_counters.failed,
        s.timer_counters.parked,
        s.timer_counters.waited,
        s.timer_counters.dropped,
    );
    text.push_str(&limit_rows(&s.limits));
    let limits_json: Vec<_> = s
        .limits
        .iter()
        .map(|l| json!({ "limit": l.limit.name(), "setting": l.setting, "hits": l.hits }))
        .collect();
    let protected_json: serde_json::Map<String, serde_json::Value> = s
        .protected
        .iter()
        .map(|(reason, n)| (format!("{reason:?}").to_lowercase(), json!(n)))
        .collect();
    let json = json!({
        "uptime_s": uptime.as_secs(),
        "entries": c.entries, "cache_bytes": s.cache_bytes, "budget": s.cache_budget,
        "hits": c.hits, "misses": c.misses, "loads": c.loads,
        "evictions": c.evictions, "flushed": c.flushed, "flushes": s.flushes,
        "protected": protected_json, "rss_bytes": s.rss_bytes,
        "typeclasses": s.typeclasses, "instances_created": s.instantiations,
        "quarantined": s.quarantined, "hooks_run": s.hooks_run, "traps": s.traps,
        "refusals": s.refusals.iter().map(|(name, n)| (name.clone(), json!(n)))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
        "big_instances_dropped": s.big_instances_dropped,
        "idle_instances": {
            "count": s.idle_instances.count, "bytes": s.idle_instances.bytes,
            "dropped": s.idle_instances.dropped, "budget": s.idle_instances.budget,
        },
        "ndb_bytes": s.ndb_bytes,
        "log_lines": { "logged": logged, "dropped": log_dropped },
        "deliveries_dropped": s.deliveries_dropped,
        "timers": {
            "scheduled": s.timers, "fired": s.timer_counters.fired,
            "failed": s.timer_counters.failed, "parked": s.timer_counters.parked,
            "waited": s.timer_counters.waited, "dropped": s.timer_counters.dropped,
        },
        "limits": limits_json,
        "files": { "open": open_fds, "limit": fds },
        "storage": {
            "ok": s.storage.failing.is_none(),
            "failing_for_s": s.storage.failing.as_ref().map(|f| f.0.as_secs_f64()),
            "error": s.storage.failing.as_ref().map(|f| f.1.clone()),
            "tries": s.storage.failing.as_ref().map(|f| f.2),
            "failures": s.storage.failures, "recoveries": s.storage.recoveries,
        },
    });
    Ok((text, json))
}

/// The `storage:` line of `stats`: ok, or since when writes are refused and why.
fn storage_line(s: &wasmud_world::world::storage::StorageStatus) -> String {
    match &s.failing {
        None => format!(
            "ok ({} failures, {} recoveries since start)",
            s.failures, s.recoveries
        ),
        Some((for_, error, tries, next)) => format!(
            "REFUSING CHANGES for {} s ({error}); {tries} tries, the next in {:.1} s; reads go on",
            for_.as_secs(),
            next.as_secs_f64()
        ),
    }
}

/// The `files:` line of `stats`: descriptors open, the limit, and what it was raised from.
fn files_line(limit: Option<wasmud_net::fd_limit::FdLimit>, open: Option<usize>) -> String {
    let open = open.map_or_else(|| "?".to_owned(), |n| n.to_string());
    match limit {
        Some(l) if l.was < l.soft => {
            format!("{open} open, limit {} (raised from {})", l.soft, l.was)
        }
        Some(l) => format!("{open} open, limit {} (the hard limit)", l.soft),
        None => format!("{open} open"),
    }
}

/// The rows of the `limits:` block of `stats`: name, setting and hits, aligned in columns.
fn limit_rows(limits: &[LimitStat]) -> String {
    let width = |f: &dyn Fn(&LimitStat) -> usize| limits.iter().map(f).max().unwrap_or(0);
    let name_width = width(&|l| l.limit.name().len());
    let setting_width = width(&|l| l.setting.len());
    let hits_width = width(&|l| l.hits.to_string().len());
    let mut rows = String::new();
    for l in limits {
        write!(
            rows,
            "\n  {:<name_width$}  {:<setting_width$}  {:>hits_width$} {}",
            l.limit.name(),
            l.setting,
            l.hits,
            if l.hits == 1 { "hit" } else { "hits" }
        )
        .expect("write to string");
    }
    rows
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}h {:02}m {:02}s", s / 3600, s / 60 % 60, s % 60)
}

fn flush_reply(r: &FlushReport) -> (String, serde_json::Value) {
    let mut text = format!(
        "flushed {} entries (~{} released) in {:.1} ms, longest pause {:.2} ms over {} slices",
        r.dropped,
        mib(r.bytes_released as u64),
        r.took.as_secs_f64() * 1e3,
        r.max_pause.as_secs_f64() * 1e3,
        r.slices
    );
    for (reason, n) in &r.kept {
        write!(text, "\nkept {n}: {}", reason.label()).expect("write to string");
    }
    for (id, names) in &r.discarded_ndb {
        write!(text, "\ndiscarded ndb of #{id}: {}", names.join(", ")).expect("write to string");
    }
    write!(text, "\nRSS {} -> {}", mib(r.rss_before), mib(r.rss_after)).expect("write to string");
    let kept: serde_json::Map<String, serde_json::Value> = r
        .kept
        .iter()
        .map(|(reason, n)| (format!("{reason:?}").to_lowercase(), json!(n)))
        .collect();
    let discarded: Vec<_> = r
        .discarded_ndb
        .iter()
        .map(|(id, names)| json!({ "id": id, "ndb": names }))
        .collect();
    let json = json!({
        "dropped": r.dropped, "kept": kept, "discarded_ndb": discarded,
        "bytes_released": r.bytes_released, "took_ms": r.took.as_secs_f64() * 1e3,
        "max_pause_ms": r.max_pause.as_secs_f64() * 1e3, "slices": r.slices,
        "rss_before": r.rss_before, "rss_after": r.rss_after,
    });
    (text, json)
}

//! Hot reload through the real server: a new version takes over between turns with objects and
//! `ndb` data intact; broken components are rejected while the old version keeps serving; the
//! watcher picks up a changed file; hooks dispatched during reloads are never lost.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wasmud::runtime::Origin;
use wasmud::scripts::{self, fixtures};
use wasmud::server::{ReloadReport, ServeConfig, Server};
use wasmud::{AttrKind, ObjectId, Value};

const V1: &str = "Hello!";
const V2: &str = "Well met, traveller!";

struct Setup {
    _dir: TempDir,
    scripts: PathBuf,
    server: Server,
    greeter: ObjectId,
    visitor: ObjectId,
}

fn put(scripts: &Path, name: &str, from: &str) {
    let tmp = scripts.join(format!(".{name}.tmp"));
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(tmp, scripts.join(format!("{name}.wasm"))).unwrap();
}

async fn setup(watch: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    for (name, path) in [
        ("greeter", scripts::GREETER),
        ("room", scripts::ROOM),
        ("character", scripts::CHARACTER),
        ("exit", scripts::EXIT),
        ("item", scripts::ITEM),
        ("counter", scripts::COUNTER),
        ("wanderer", scripts::WANDERER),
    ] {
        put(&scripts, name, path);
    }
    // Their grants (the greeter answers its visitor: `msg`).
    let grants = std::path::Path::new(scripts::TEST_DIR).join("grants.toml");
    std::fs::copy(grants, scripts.join("grants.toml")).unwrap();
    let mut config = ServeConfig::new(dir.path().join("data"), &scripts);
    config.watch = watch;
    let server = Server::start(config).await.unwrap();
    let (greeter, visitor) = server
        .handle()
        .call(|w| {
            let g = w.create("greeter", "greeter", None).unwrap();
            let v = w.create("visitor", "object", None).unwrap();
            (g, v)
        })
        .await
        .unwrap();
    Setup {
        _dir: dir,
        scripts,
        server,
        greeter,
        visitor,
    }
}

impl Setup {
    /// Greets and returns the reply the visitor received.
    async fn greet(&self) -> String {
        let (g, v) = (self.greeter, self.visitor);
        self.server
            .handle()
            .call(move |w| {
                assert!(w.command(v, g, "greet").unwrap());
                let mut got = w.take_deliveries();
                assert_eq!(got.len(), 1);
                got.pop().unwrap().text
            })
            .await
            .unwrap()
    }

    async fn ndb(&self, name: &'static str) -> Option<Value> {
        let g = self.greeter;
        self.server
            .handle()
            .call(move |w| w.attr(g, AttrKind::Ndb, name).unwrap())
            .await
            .unwrap()
    }

    async fn reload(&self, name: &str) -> ReloadReport {
        let mut reports = self.server.reload(Some(name)).await.unwrap();
        assert_eq!(reports.len(), 1);
        reports.pop().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_takes_over_with_objects_and_ndb_intact() {
    let s = setup(false).await;
    assert_eq!(s.greet().await, V1);
    let g = s.greeter;
    s.server
        .handle()
        .call(move |w| w.set_attr(g, AttrKind::Ndb, "note", Value::Text("kept".into())))
        .await
        .unwrap()
        .unwrap();

    put(&s.scripts, "greeter", fixtures::GREETER_V2);
    let report = s.reload("greeter").await;
    assert!(report.outcome.is_ok(), "{report:?}");
    assert!(report.replaced);

    assert_eq!(s.greet().await, V2, "the next hook runs the new code");
    assert_eq!(
        s.ndb("greeted").await,
        Some(Value::Int(2)),
        "ndb survived the swap"
    );
    assert_eq!(s.ndb("note").await, Some(Value::Text("kept".into())));
    let count = s
        .server
        .handle()
        .call(|w| w.object_count().unwrap())
        .await
        .unwrap();
    assert_eq!(count, 14, "seeded 12 + greeter + visitor");

    // Reloading bytes seen before loads the precompiled artifact.
    let again = s.reload("greeter").await;
    assert_eq!(again.origin, Some(Origin::Cached), "{again:?}");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_components_are_rejected_and_the_old_version_keeps_serving() {
    let s = setup(false).await;
    type BreakIt<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, BreakIt); 3] = [
        ("not a valid WebAssembly component", &|p: &Path| {
            std::fs::write(p.join("greeter.wasm"), b"\0asm garbage, not a component").unwrap();
        }),
        ("does not implement the hooks", &|p: &Path| {
            put(p, "greeter", fixtures::NOT_A_TYPECLASS);
        }),
        ("does not implement the hooks", &|p: &Path| {
            put(p, "greeter", fixtures::OLD_CONTRACT);
        }),
    ];
    for (expected, break_it) in cases {
        break_it(&s.scripts);
        let report = s.reload("greeter").await;
        let err = report
            .outcome
            .expect_err("a broken component must be rejected");
        assert!(err.contains(expected), "{err}");
        assert!(
            err.contains("greeter"),
            "the error names the typeclass: {err}"
        );
        assert_eq!(s.greet().await, V1, "the old version keeps serving");
    }
    // Adding a new .wasm makes a new typeclass available.
    put(&s.scripts, "greeter2", fixtures::GREETER_V2);
    let report = s.reload("greeter2").await;
    assert!(report.outcome.is_ok() && !report.replaced, "{report:?}");
    let created = s
        .server
        .handle()
        .call(|w| w.create("another", "greeter2", None).is_ok())
        .await
        .unwrap();
    assert!(created);
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_script_does_not_reload_it() {
    let s = setup(true).await;
    let loaded_at = || async {
        let list = s.server.handle().call(|w| w.typeclasses()).await.unwrap();
        list.iter()
            .find(|t| t.script.name() == "greeter")
            .map(|t| t.script.loaded_at())
            .unwrap()
    };
    let before = loaded_at().await;
    // Opening and reading is an inotify event; a second server watching the same directory
    // (or a backup tool) reads the files. None of it may trigger a reload.
    for _ in 0..5 {
        std::fs::read(s.scripts.join("greeter.wasm")).unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(loaded_at().await, before, "a read reloaded the typeclass");
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_reloads_a_changed_file() {
    let s = setup(true).await;
    assert_eq!(s.greet().await, V1);
    put(&s.scripts, "greeter", fixtures::GREETER_V2);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if s.greet().await == V2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the watcher never reloaded greeter"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_puts_a_changed_grants_file_in_force() {
    let s = setup(true).await;
    assert_eq!(s.greet().await, V1);
    let (g, v) = (s.greeter, s.visitor);
    let greet = || async {
        let outcome = s.server.handle().call(move |w| w.command(v, g, "greet"));
        outcome.await.unwrap().map_err(|e| e.to_string())
    };
    // The greeter loses `msg`: answering its visitor is refused.
    let grants = s.scripts.join("grants.toml");
    let granted = std::fs::read_to_string(&grants).unwrap();
    std::fs::write(
        &grants,
        granted.replace("greeter = [\"msg\"]", "greeter = []"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match greet().await {
            Err(e) if e.contains("not permitted: greeter: send text to") => break,
            Ok(true) => {}
            other => panic!("{other:?}"),
        }
        assert!(
            Instant::now() < deadline,
            "the watcher never read the grants"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Given back, the next change is read too.
    std::fs::write(&grants, granted).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while greet().await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the grants were never given back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_dispatched_during_reloads_are_never_lost() {
    let s = setup(false).await;
    let (g, v) = (s.greeter, s.visitor);
    let handle = s.server.handle().clone();
    let greets = tokio::spawn(async move {
        let mut replies = Vec::new();
        for _ in 0..400 {
            let reply = handle
                .call(move |w| {
                    let handled = w.command(v, g, "greet").unwrap();
                    (handled, w.take_deliveries())
                })
                .await
                .unwrap();
            replies.push(reply);
            tokio::task::yield_now().await;
        }
        replies
    });
    for i in 0..20 {
        let version = if i % 2 == 0 {
            fixtures::GREETER_V2
        } else {
            scripts::GREETER
        };
        put(&s.scripts, "greeter", version);
        assert!(s.reload("greeter").await.outcome.is_ok());
    }
    let replies = greets.await.unwrap();
    assert_eq!(replies.len(), 400);
    for (handled, delivered) in &replies {
        assert!(handled);
        assert_eq!(delivered.len(), 1);
        assert!([V1, V2].contains(&delivered[0].text.as_str()));
    }
    assert_eq!(
        s.ndb("greeted").await,
        Some(Value::Int(400)),
        "every greet counted"
    );
    s.server.shutdown().await.unwrap();
}

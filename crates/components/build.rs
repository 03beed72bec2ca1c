//! Builds the demo game's typeclasses (`scripts/`) and the tests' (`tests/typeclasses/`) for
//! `wasm32-wasip2` (adding the target with rustup if it is missing), and the Python ones with
//! componentize-py (`build_python.rs`); tells the host where they are (`wasmud_components`) and
//! embeds the game in the binary (`demo_game.rs`, written into a new world's scripts directory).
//!
//! Both are workspaces of their own, built by a nested cargo into `target/scripts` (a separate
//! target dir, so the nested build never waits on the outer build's lock).

#[path = "build_python.rs"]
mod python;

use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const PROFILE: &str = "script";
/// The game a new user plays: the typeclasses `serve` loads by default ([`DIR`]).
const SCRIPTS: &[&str] = &["room", "character", "exit", "door", "item", "wanderer"];
/// The game's typeclasses written in Python (`scripts/<name>/app.py`; see `build_python.rs`).
const PY_SCRIPTS: &[&str] = &["noticeboard", "pywanderer"];
/// Python typeclasses for the tests and the benchmark only (`tests/typeclasses/<name>/app.py`,
/// in `TEST_DIR`).
const PY_TEST_SCRIPTS: &[&str] = &["pybench", "pyadversary"];
/// Well-behaved typeclasses for the tests and the benchmark, never served in the default world
/// (the `counter` can delete any object): in `TEST_DIR` with the game's.
const TEST_SCRIPTS: &[&str] = &["counter", "bench", "greeter"];
/// Components built for the tests only, in no directory that is loaded whole: the hostile
/// `adversary`, the `ledger` of the durability tests, the hot-reload fixtures,
/// `contract_0_1_0` and `contract_0_2_0` (built against earlier contract versions) and
/// `mistyped_tick` (an `at-tick` of the wrong type).
const FIXTURES: &[&str] = &[
    "adversary",
    "ledger",
    "greeter_v2",
    "not_a_typeclass",
    "old_contract",
    "contract_0_1_0",
    "contract_0_2_0",
    "mistyped_tick",
];

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = crate_dir
        .ancestors()
        .nth(2)
        .expect("crates/components/ is inside the workspace")
        .to_path_buf();
    for dir in ["scripts", "tests/typeclasses", "wit", "guest-sdk"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    ensure_target();
    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root.join("target"),
    }
    .join("scripts");
    build_scripts(&root.join("scripts"), &target_dir);
    build_scripts(&root.join("tests/typeclasses"), &target_dir);
    let python_dir = target_dir.join("python");
    std::fs::create_dir_all(&python_dir).expect("create the Python build dir");
    let all_python: Vec<&str> = PY_SCRIPTS.iter().chain(PY_TEST_SCRIPTS).copied().collect();
    let sources: Vec<(&str, PathBuf)> = (PY_SCRIPTS.iter().map(|n| (*n, root.join("scripts"))))
        .chain(
            PY_TEST_SCRIPTS
                .iter()
                .map(|n| (*n, root.join("tests/typeclasses"))),
        )
        .map(|(name, dir)| (name, dir.join(name)))
        .collect();
    let py_built = python::build(&root, &python_dir, &sources);

    // Cargo's output dir also holds fixtures and build files: copy the game's typeclasses into
    // a dir of their own (the one `serve` loads and watches), the game's and the test
    // typeclasses into another, and the fixtures into a third.
    let built = target_dir.join(TARGET).join(PROFILE);
    let typeclasses = target_dir.join("typeclasses");
    let testing = target_dir.join("testing");
    let fixtures = target_dir.join("fixtures");
    let mut code = String::new();
    writeln!(
        code,
        "/// The directory of the game's typeclasses (`<name>.wasm`), the one `serve` loads.\n\
         pub const DIR: &str = {:?};\n\
         /// The game's typeclasses and the test ones (`counter`, `bench`, `greeter`).\n\
         pub const TEST_DIR: &str = {:?};",
        typeclasses.display().to_string(),
        testing.display().to_string()
    )
    .unwrap();
    for name in SCRIPTS.iter().chain(TEST_SCRIPTS) {
        let path = install(&built, &testing, name);
        if SCRIPTS.contains(name) {
            install(&built, &typeclasses, name);
        }
        writeln!(
            code,
            "/// The built `{name}` typeclass (in [`TEST_DIR`]).\npub const {}: &str = {:?};",
            name.to_uppercase(),
            path.display().to_string()
        )
        .unwrap();
    }
    for name in &all_python {
        let path = install(&py_built, &testing, name);
        if PY_SCRIPTS.contains(name) {
            install(&py_built, &typeclasses, name);
        }
        writeln!(
            code,
            "/// The built `{name}` typeclass, written in Python (in [`TEST_DIR`]).\npub const {}: &str = {:?};",
            name.to_uppercase(),
            path.display().to_string()
        )
        .unwrap();
    }
    let game: Vec<&str> = SCRIPTS.iter().chain(PY_SCRIPTS).copied().collect();
    remove_stale(&typeclasses, &game);
    writeln!(
        code,
        "/// The virtual environment with the pinned componentize-py and pytest.\npub const PYTHON_VENV: &str = {:?};",
        python::venv(&python_dir).display().to_string()
    )
    .unwrap();
    // The grants files: the game's, and the test directory's (which adds the test typeclasses).
    install_file(
        &root.join("scripts/grants.toml"),
        &typeclasses.join("grants.toml"),
    );
    install_file(
        &root.join("tests/typeclasses/grants.toml"),
        &testing.join("grants.toml"),
    );
    writeln!(
        code,
        "/// The game's typeclass names (those in [`DIR`]).\npub const NAMES: &[&str] = &{game:?};"
    )
    .unwrap();
    write_demo_game(&typeclasses, &game);
    writeln!(
        code,
        "/// Components for the hot-reload tests (not in [`DIR`]).\npub mod fixtures {{"
    )
    .unwrap();
    for name in FIXTURES {
        let path = install(&built, &fixtures, name);
        writeln!(
            code,
            "    /// The built `{name}` fixture.\n    pub const {}: &str = {:?};",
            name.to_uppercase(),
            path.display().to_string()
        )
        .unwrap();
    }
    writeln!(code, "}}").unwrap();
    let dest = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("scripts.rs");
    std::fs::write(dest, code).expect("write scripts.rs");
}

/// Copies `<built>/<name>.wasm` into `dir` if it changed (write, then rename, so a watcher on
/// `dir` never sees half a file) and returns the new path.
fn install(built: &Path, dir: &Path, name: &str) -> PathBuf {
    let from = built.join(format!("{name}.wasm"));
    let bytes =
        std::fs::read(&from).unwrap_or_else(|e| panic!("{} was not built: {e}", from.display()));
    std::fs::create_dir_all(dir).expect("create the scripts output dir");
    let to = dir.join(format!("{name}.wasm"));
    if std::fs::read(&to).ok().as_deref() != Some(&bytes[..]) {
        let tmp = dir.join(format!(".{name}.wasm.tmp"));
        std::fs::write(&tmp, &bytes).expect("write a built script");
        std::fs::rename(&tmp, &to).expect("install a built script");
    }
    to
}

/// Writes `$OUT_DIR/demo_game.rs`: the game's components and grants file as a list of
/// `(file name, bytes)`, which the binary embeds and writes into a new world's scripts dir.
fn write_demo_game(typeclasses: &Path, game: &[&str]) {
    let mut files: Vec<String> = game.iter().map(|name| format!("{name}.wasm")).collect();
    files.push("grants.toml".to_owned());
    let mut code = String::from("&[\n");
    for file in files {
        let path = typeclasses.join(&file);
        writeln!(
            code,
            "    ({file:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    code.push(']');
    let dest = PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("demo_game.rs");
    std::fs::write(dest, code).expect("write demo_game.rs");
}

/// Copies `from` to `to` if it changed (write, then rename).
fn install_file(from: &Path, to: &Path) {
    let bytes =
        std::fs::read(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    if std::fs::read(to).ok().as_deref() != Some(&bytes[..]) {
        let tmp = to.with_extension("toml.tmp");
        std::fs::write(&tmp, &bytes).expect("write a grants file");
        std::fs::rename(&tmp, to).expect("install a grants file");
    }
}

/// Removes the components in `dir` that are not in `keep` (a typeclass moved out of the
/// game must not stay served from an old build).
fn remove_stale(dir: &Path, keep: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if path.extension().is_some_and(|e| e == "wasm") && !keep.contains(&stem) {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Adds the wasm target with rustup if it is not installed (`RUSTUP_AUTO_INSTALL=0` machines).
fn ensure_target() {
    let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    else {
        return; // no rustup: assume the toolchain has the target.
    };
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return;
    }
    println!("cargo:warning=installing the {TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .expect("run rustup");
    assert!(status.success(), "`rustup target add {TARGET}` failed");
}

/// Builds the Rust workspace in `workspace` for the guest target into `target_dir`.
fn build_scripts(workspace: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .args(["--target", TARGET, "--profile", PROFILE, "--target-dir"])
        .arg(target_dir);
    // Do not leak the outer build's settings (profile, target, flags) into the nested one.
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        let keep = matches!(&*key, "CARGO_HOME" | "CARGO_NET_OFFLINE")
            || key.starts_with("CARGO_REGISTRIES_")
            || key.starts_with("CARGO_TERM_");
        let outer = key.starts_with("CARGO_")
            || matches!(
                &*key,
                "RUSTFLAGS"
                    | "RUSTC"
                    | "RUSTDOC"
                    | "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "TARGET"
                    | "HOST"
                    | "PROFILE"
                    | "OPT_LEVEL"
                    | "DEBUG"
                    | "NUM_JOBS"
                    | "OUT_DIR"
                    | "RUSTC_LINKER"
            );
        if outer && !keep {
            cmd.env_remove(&*key);
        }
    }
    let output = cmd.output().expect("run cargo for the typeclasses");
    if !output.status.success() {
        panic!(
            "building {} for {TARGET} failed:\n{}",
            workspace.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

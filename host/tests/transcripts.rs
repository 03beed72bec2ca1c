//! Transcript tests through the binary (`wasmud test`): the demo's own transcripts pass; a
//! transcript whose expectation is wrong fails, says where and shows both sides; an author's
//! project is built and tested by one command.

mod common;

use std::path::Path;

use common::{text, wasmud};

#[test]
fn the_demos_transcripts_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/transcripts");
    let out = wasmud(&["test", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    for name in ["building", "talking", "timers"] {
        assert!(
            said.contains(&format!(
                "ok      {}",
                dir.join(format!("{name}.transcript")).display()
            )),
            "{said}"
        );
    }
    assert!(said.contains("3 passed, 0 failed"), "{said}");
}

#[test]
fn a_wrong_expectation_fails_and_shows_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a_good.transcript");
    std::fs::write(
        &good,
        "@player alice\n> say hi\nYou say, \"hi\"\nWhiskers looks up at alice and meows.\n",
    )
    .unwrap();
    let bad = dir.path().join("b_bad.transcript");
    std::fs::write(&bad, "@player alice\n> look\nThe Moon\n...\n").unwrap();
    let out = wasmud(&["test", dir.path().to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("ok      "), "{said}");
    assert!(
        said.contains("b_bad.transcript line 2: after `> look`"),
        "{said}"
    );
    assert!(
        said.contains("expected:\n    The Moon\n    ...\n  received:\n    Limbo\n"),
        "{said}"
    );
    assert!(said.contains("1 passed, 1 failed"), "{said}");

    // A line that means nothing is an error naming it, not a pass.
    std::fs::write(&bad, "@player alice\n@teleport moon\n").unwrap();
    let out = wasmud(&["test", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("line 2: `@teleport` is not a directive"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_authors_project_is_built_and_tested_by_one_command() {
    let dir = tempfile::tempdir().unwrap();
    let lamp = dir.path().join("lamp");
    let out = wasmud(&["new", "lamp", "--dir", lamp.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // The transcript the README shows.
    let readme = include_str!("../../README.md");
    let block = &readme[readme
        .find("**Transcripts**")
        .expect("the README shows one")..];
    let block = &block[block.find("```text\n").unwrap() + 8..];
    let block = &block[..block.find("```").unwrap()];
    let transcript = lamp.join("lamp.transcript");
    std::fs::write(&transcript, block).unwrap();
    // As the README runs it: the project's directory holds its transcripts.
    let args = [
        "test",
        lamp.to_str().unwrap(),
        "--project",
        lamp.to_str().unwrap(),
    ];
    let out = wasmud(&[&args[..], &["--grant", "lamp=msg"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("1 passed, 0 failed"), "{}", text(&out));

    // Without the grant the lamp cannot answer: the transcript shows the refusal.
    let out = wasmud(&args);
    assert!(!out.status.success());
    assert!(text(&out).contains("error: "), "{}", text(&out));
    assert!(
        text(&out).contains("needs the `msg` grant"),
        "{}",
        text(&out)
    );
}

//! The interactive prompt: line editing, history and tab completion (rustyline), for the local
//! console of `serve` and for the remote `wasmud console` client.

use std::path::PathBuf;

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Context, Editor, Helper, Highlighter, Hinter, Validator};

use super::parse::commands;

/// Completes command names (first word) and, after `help`, command names again.
#[derive(Helper, Highlighter, Hinter, Validator, Default)]
pub struct CommandCompleter;

impl Completer for CommandCompleter {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before.rfind(' ').map_or(0, |i| i + 1);
        let word = &before[start..];
        let first = before[..start].trim();
        if !(first.is_empty() || first == "help") {
            return Ok((start, Vec::new()));
        }
        let pairs = commands()
            .into_iter()
            .filter(|c| c.name.starts_with(word))
            .map(|c| Pair {
                replacement: format!("{} ", c.name),
                display: c.usage,
            })
            .collect();
        Ok((start, pairs))
    }
}

/// Runs a prompt until end of input: each line goes to `run`, whose text is printed. Returns
/// when the user types Ctrl-D or Ctrl-C, `run` returns `false` (stop), or input fails.
///
/// # Errors
/// If the terminal cannot be set up.
pub fn prompt(
    prompt: &str,
    history: Option<PathBuf>,
    mut run: impl FnMut(&str) -> bool,
) -> anyhow::Result<()> {
    let mut editor: Editor<CommandCompleter, DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(CommandCompleter));
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    loop {
        match editor.readline(prompt) {
            Ok(line) => {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line);
                if let Some(path) = &history {
                    let _ = editor.save_history(path);
                }
                if !run(line) {
                    break;
                }
            }
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

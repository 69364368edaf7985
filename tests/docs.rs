//! The documentation's `console` blocks are run, and what they show must be
//! what plimsoll prints: a changed message, count or exit code fails here.
//!
//! Format (as trycmd's): `$ plimsoll ARGS` runs a command (a trailing
//! `# comment` is ignored), an optional `? N` line right after it is the
//! exit code (default 0), and the lines up to the next `$` are its output
//! (stdout, then stderr), where a line `...` stands for any number of lines
//! and `[..]` for any text within a line (snapbox does the matching). A block
//! runs in an empty directory, or in a copy of the repository directory that
//! `<!-- docs-test: fixture=DIR -->` on the line before it names.
//!
//! Every other `plimsoll` command in the docs (shell blocks, YAML `run:`
//! lines, commands that need a registry) is checked to parse by the
//! binary's own unit test (`docs_commands::tests`).

mod support;

#[path = "../crates/plimsoll/src/docs_commands.rs"]
mod docs_commands;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One `$` line of a console block.
struct Step {
    line: usize,
    args: Vec<String>,
    code: i32,
    expected: String,
}

fn steps(block_line: usize, text: &str) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if let Some(cmd) = l.strip_prefix("$ ") {
            let words = shlex::split(cmd).unwrap_or_else(|| panic!("unbalanced quotes: {cmd}"));
            let mut words = words.into_iter();
            let program = words.next().unwrap_or_default();
            assert_eq!(
                program,
                "plimsoll",
                "line {}: console blocks run plimsoll only: {cmd}",
                block_line + 1 + i
            );
            out.push(Step {
                line: block_line + 1 + i,
                args: words.take_while(|w| !w.starts_with('#')).collect(),
                code: 0,
                expected: String::new(),
            });
        } else if let Some(step) = out.last_mut() {
            match l.strip_prefix("? ") {
                Some(code) if step.expected.is_empty() => {
                    step.code = code.trim().parse().expect("`? N` takes an exit code")
                }
                _ => {
                    step.expected.push_str(l);
                    step.expected.push('\n');
                }
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn console_blocks_show_what_plimsoll_prints() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in docs_commands::documentation(&root()) {
        let shown = file
            .strip_prefix(root())
            .unwrap_or(&file)
            .display()
            .to_string();
        for block in docs_commands::blocks(&file)
            .into_iter()
            .filter(|b| b.info == "console")
        {
            let project = support::Project::new();
            if let Some(dir) = &block.fixture {
                copy_dir(&root().join(dir), project.path());
            }
            for step in steps(block.line, &block.text) {
                ran += 1;
                let args: Vec<&str> = step.args.iter().map(String::as_str).collect();
                let r = project.run(&args);
                let actual = format!("{}{}", r.stdout, r.stderr);
                let matched = std::panic::catch_unwind(|| {
                    snapbox::Assert::new().eq(actual.clone(), step.expected.clone())
                });
                if r.code != step.code || matched.is_err() {
                    failures.push(format!(
                        "{shown}:{}: plimsoll {}\n  exit {} (documented {})\n--- documented\n{}--- printed\n{actual}",
                        step.line,
                        step.args.join(" "),
                        r.code,
                        step.code,
                        step.expected
                    ));
                }
            }
        }
    }
    assert!(ran >= 5, "only {ran} documented console commands ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

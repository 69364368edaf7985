//! The commands the README and docs/ show, extracted from their code blocks:
//! every one must parse with this binary's command line (a unit test in
//! `cli.rs`), and `console` blocks are run and their output compared
//! (`tests/docs.rs`, which includes this file). Documented means tested.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// One fenced code block of a Markdown file.
#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The info string (`console`, `sh`, `yaml`...).
    pub info: String,
    pub text: String,
    /// `<!-- docs-test: fixture=DIR -->` on the line before the fence: the
    /// repository directory a console block runs in (a copy of it).
    pub fixture: Option<String>,
}

/// Every fenced block of `file`.
pub fn blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut previous = "";
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            let fixture = previous
                .trim()
                .strip_prefix("<!-- docs-test: fixture=")
                .and_then(|r| r.strip_suffix("-->"))
                .map(|f| f.trim().to_string());
            let mut body = String::new();
            for (_, l) in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            out.push(Block {
                line: n + 1,
                info: info.trim().to_string(),
                text: body,
                fixture,
            });
        }
        previous = line;
    }
    out
}

/// README.md and every page under docs/.
pub fn documentation(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The `plimsoll` invocations in a block, as argument lists (without the
/// program name): shell blocks line by line (continuations joined, comments,
/// pipes and redirections cut off), console blocks' `$ ` lines, YAML
/// `run:` lines.
pub fn invocations(block: &Block) -> Vec<(usize, Vec<String>)> {
    let shell = matches!(block.info.as_str(), "sh" | "bash" | "shell" | "console");
    let yaml = block.info == "yaml" || block.info == "yml";
    if !shell && !yaml {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut start = 0;
    for (i, raw) in block.text.lines().enumerate() {
        let mut line = raw.trim();
        if block.info == "console" {
            match line.strip_prefix("$ ") {
                Some(l) => line = l,
                None => continue,
            }
        }
        if yaml {
            match line
                .strip_prefix("- run:")
                .or_else(|| line.strip_prefix("run:"))
            {
                Some(l) => line = l.trim(),
                None => continue,
            }
        }
        if joined.is_empty() {
            start = block.line + 1 + i;
        }
        if let Some(l) = line.strip_suffix('\\') {
            joined.push_str(l);
            joined.push(' ');
            continue;
        }
        joined.push_str(line);
        let command = std::mem::take(&mut joined);
        // Each `&&`/`;`/`|` part that runs plimsoll.
        for part in command.split("&&").flat_map(|p| p.split(';')) {
            let part = part.split(" | ").next().unwrap_or("");
            let Some(words) = shlex::split(part) else {
                continue;
            };
            let mut words = words.into_iter().peekable();
            // `cargo run ... -- ARGS` runs plimsoll too.
            let program = words.next().unwrap_or_default();
            let args: Vec<String> = if program == "plimsoll" {
                words.collect()
            } else if program == "cargo" {
                let rest: Vec<String> = words.collect();
                match rest.iter().position(|w| w == "--") {
                    Some(i) if rest.iter().any(|w| w == "plimsoll") => rest[i + 1..].to_vec(),
                    _ => continue,
                }
            } else {
                continue;
            };
            let args = args
                .into_iter()
                .take_while(|w| {
                    !w.starts_with('#')
                        && !matches!(w.as_str(), ">" | ">>" | "2>" | "<" | "2>&1" | "&")
                        && !w.starts_with('>')
                })
                .collect();
            out.push((start, args));
        }
    }
    out
}

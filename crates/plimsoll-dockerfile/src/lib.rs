//! A BuildKit-faithful Dockerfile parser with byte spans.
//!
//! [`Dockerfile::parse`] reproduces BuildKit's parser stage (directives, line
//! continuations with either escape character, comments inside continuations,
//! heredocs, JSON vs shell form, per-instruction argument splitting) and keeps a byte
//! span for every piece, so a fix is a text edit on the original bytes. On top it
//! adds what BuildKit's instruction stage knows: flags split into name and value,
//! `--mount` key/values, stages with their bases after global `ARG` substitution.
//!
//! What BuildKit's parser rejects is an error here too; what BuildKit only rejects
//! later (unknown instructions or flags, wrong argument counts) is kept so checks can
//! report every problem at once.

mod buildkit_json;
mod parser;
pub mod shell;
mod source;

use std::collections::HashMap;

pub use buildkit_json::to_buildkit_json;
pub use parser::{Directive, Heredoc, MAX_LINE_BYTES, Node, ParseError, ParseWarning, RawFlag};
pub use source::{LineIndex, Position, Span};

/// Every instruction BuildKit knows.
pub const KNOWN_INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Build arguments BuildKit defines for every build, usable in `FROM` lines.
pub const AUTOMATIC_PLATFORM_ARGS: &[&str] = &[
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
];

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub struct Dockerfile {
    /// The text without a leading byte-order mark; all spans index into it.
    pub text: String,
    /// Whether the file started with a UTF-8 BOM (3 bytes before `text`).
    pub had_bom: bool,
    /// Whether the file was valid UTF-8 (invalid bytes were replaced otherwise, and
    /// spans no longer match the file's bytes: fixes must not be applied).
    pub valid_utf8: bool,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// ARGs before the first FROM.
    pub global_args: Vec<ArgDecl>,
    pub warnings: Vec<ParseWarning>,
    pub lines: LineIndex,
}

/// One instruction.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-cased keyword.
    pub keyword: String,
    /// The keyword as written.
    pub written_keyword: String,
    pub keyword_span: Span,
    pub flags: Vec<Flag>,
    /// Arguments as BuildKit's parser splits them (see [`Node::values`]).
    pub args: Vec<String>,
    /// Where each argument is written; empty for JSON form.
    pub arg_spans: Vec<Span>,
    /// The same, as ranges of `original` (for sub-ranges: [`Instruction::original_span`]).
    pub arg_ranges: Vec<(usize, usize)>,
    pub json: bool,
    /// ENV/LABEL in the legacy `KEY value` form (one pair, value to end of line).
    pub legacy_key_value: bool,
    pub heredocs: Vec<Heredoc>,
    /// ONBUILD's trigger instruction.
    pub onbuild: Option<Box<Instruction>>,
    /// The logical line (continuations joined, comment lines dropped).
    pub original: String,
    /// Piece map from `original` offsets to source offsets.
    pub original_map: Vec<(usize, usize)>,
    /// Where the arguments start in `original`. For shell-form RUN/CMD/
    /// ENTRYPOINT, `args[0]` is `original[args_in_original..]` trimmed.
    pub args_in_original: usize,
    /// Keyword to end of the logical line.
    pub span: Span,
    /// Arguments after the flags.
    pub args_span: Span,
    pub start_line: usize,
    /// Includes heredoc bodies.
    pub end_line: usize,
    /// Index into [`Dockerfile::stages`]; `None` before the first FROM.
    pub stage: Option<usize>,
}

/// An instruction flag, `--name[=value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the leading dashes.
    pub name: String,
    /// After the first `=`, quotes removed; `None` when there is no `=`.
    pub value: Option<String>,
    /// As BuildKit returns it (`--name=value`, quotes removed).
    pub raw: String,
    pub span: Span,
}

impl Flag {
    fn from_raw(raw: RawFlag) -> Flag {
        let body = raw.text.strip_prefix("--").unwrap_or(&raw.text);
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        };
        Flag {
            name,
            value,
            raw: raw.text,
            span: raw.span,
        }
    }

    /// The value split as a CSV list of `key=value` fields, as BuildKit reads
    /// `--mount`, `--secret` and `--exclude`-like flags. A field without `=` has no
    /// value (`readonly`).
    pub fn key_values(&self) -> Vec<(String, Option<String>)> {
        let Some(v) = &self.value else {
            return Vec::new();
        };
        split_csv(v)
            .into_iter()
            .map(|f| match f.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.to_string())),
                None => (f.trim().to_ascii_lowercase(), None),
            })
            .collect()
    }

    /// The value of `key` in [`Flag::key_values`].
    pub fn key_value(&self, key: &str) -> Option<String> {
        self.key_values()
            .into_iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v)
    }
}

/// Splits a CSV record the way Go's `encoding/csv` reads one line (quotes group).
fn split_csv(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased.
    pub name: Option<String>,
    pub name_span: Option<Span>,
    /// Base after global ARG substitution (unset ARGs expand to "").
    pub base: String,
    pub base_as_written: String,
    pub base_span: Span,
    /// An earlier stage used as base.
    pub base_stage: Option<usize>,
    /// Global ARGs the base referenced that have a value.
    pub base_args: Vec<String>,
    /// Variables the base referenced that are unset (build-args, platform args).
    pub base_unresolved: Vec<String>,
    pub platform: Option<String>,
    /// Index of the FROM instruction.
    pub from: usize,
    /// One past the last instruction of this stage.
    pub end: usize,
}

/// An `ARG` declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    /// The default after quote removal and substitution of earlier global ARGs.
    pub default: Option<String>,
    pub default_as_written: Option<String>,
    /// Index of the ARG instruction.
    pub instruction: usize,
    /// The `name[=default]` word.
    pub span: Span,
    /// The default value as written, when present.
    pub default_span: Option<Span>,
}

impl Dockerfile {
    /// Parses bytes; invalid UTF-8 is replaced (and [`Dockerfile::valid_utf8`] is
    /// false).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
        let (bytes, had_bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (rest, true),
            None => (bytes, false),
        };
        let (text, valid) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_string(), true),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), false),
        };
        let mut df = Self::parse_text(text)?;
        df.had_bom = had_bom;
        df.valid_utf8 = valid;
        Ok(df)
    }

    /// Parses text (a leading BOM is removed).
    pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Dockerfile::parse`] of a string it keeps as [`Dockerfile::text`]
    /// (no copy of the file is made).
    pub fn parse_string(mut text: String) -> Result<Dockerfile, ParseError> {
        let had_bom = text.starts_with('\u{FEFF}');
        if had_bom {
            text.drain(..'\u{FEFF}'.len_utf8());
        }
        let mut df = Self::parse_text(text)?;
        df.had_bom = had_bom;
        Ok(df)
    }

    fn parse_text(text: String) -> Result<Dockerfile, ParseError> {
        let lines = LineIndex::new(&text);
        let parsed = parser::parse_nodes(&text, &lines)?;
        let instructions: Vec<Instruction> = parsed
            .nodes
            .into_iter()
            .map(Instruction::from_node)
            .collect();
        let mut df = Dockerfile {
            lines,
            text,
            had_bom: false,
            valid_utf8: true,
            escape: parsed.escape,
            directives: parsed.directives,
            instructions,
            stages: Vec::new(),
            global_args: Vec::new(),
            warnings: parsed.warnings,
        };
        df.build_stages();
        Ok(df)
    }

    /// The value of a parser directive (`syntax`, `escape`, `check`).
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }

    /// Line/column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    /// The stage whose name (case-insensitive) or index is `reference`, if it is
    /// defined before instruction `before`.
    pub fn stage_ref(&self, reference: &str, before: usize) -> Option<usize> {
        let lower = reference.to_ascii_lowercase();
        let candidates = self.stages.iter().filter(|s| s.from < before);
        if let Ok(i) = lower.parse::<usize>() {
            return candidates
                .into_iter()
                .find(|s| s.index == i)
                .map(|s| s.index);
        }
        candidates
            .filter(|s| s.name.as_deref() == Some(lower.as_str()))
            .map(|s| s.index)
            .next_back()
    }

    /// The global ARG defaults as an environment for substitution.
    pub fn global_arg_env(&self) -> HashMap<String, String> {
        self.global_args
            .iter()
            .filter_map(|a| a.default.clone().map(|d| (a.name.clone(), d)))
            .collect()
    }

    /// Instructions of a stage.
    pub fn stage_instructions(&self, stage: usize) -> &[Instruction] {
        let s = &self.stages[stage];
        &self.instructions[s.from..s.end]
    }

    fn build_stages(&mut self) {
        let escape = self.escape;
        let mut env: HashMap<String, String> = HashMap::new();
        let mut current: Option<usize> = None;
        for idx in 0..self.instructions.len() {
            let keyword = self.instructions[idx].keyword.as_str();
            let (is_from, is_arg) = (keyword == "FROM", keyword == "ARG");
            if is_from {
                if let Some(c) = current {
                    self.stages[c].end = idx;
                }
                let stage = self.make_stage(idx, &env, escape);
                current = Some(stage.index);
                self.stages.push(stage);
            } else if is_arg && current.is_none() {
                for decl in arg_decls(&self.instructions[idx], idx, &env, escape) {
                    match &decl.default {
                        Some(d) => {
                            env.insert(decl.name.clone(), d.clone());
                        }
                        None => {
                            env.remove(&decl.name);
                        }
                    }
                    self.global_args.push(decl);
                }
            }
            self.instructions[idx].stage = current;
        }
        if let Some(c) = current {
            self.stages[c].end = self.instructions.len();
        }
    }

    fn make_stage(&self, idx: usize, env: &HashMap<String, String>, escape: char) -> Stage {
        let ins = &self.instructions[idx];
        let index = self.stages.len();
        let base_as_written = ins.args.first().cloned().unwrap_or_default();
        let base_span = ins
            .arg_spans
            .first()
            .copied()
            .unwrap_or(Span::empty(ins.args_span.start));
        let (name, name_span) = if ins.args.len() == 3 && ins.args[1].eq_ignore_ascii_case("as") {
            (
                Some(ins.args[2].to_ascii_lowercase()),
                ins.arg_spans.get(2).copied(),
            )
        } else {
            (None, None)
        };
        let lookup = |n: &str| env.get(n).cloned();
        let (base, base_args, base_unresolved) =
            match shell::Lexer::with_escape(escape).process(&base_as_written, &lookup) {
                Ok(p) => (
                    p.result,
                    p.matched.into_iter().collect(),
                    p.unmatched.into_iter().collect(),
                ),
                Err(_) => (base_as_written.clone(), Vec::new(), Vec::new()),
            };
        let lower = base.to_ascii_lowercase();
        let base_stage = self
            .stages
            .iter()
            .rev()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .map(|s| s.index);
        Stage {
            index,
            name,
            name_span,
            base,
            base_as_written,
            base_span,
            base_stage,
            base_args,
            base_unresolved,
            platform: ins.flag("platform").and_then(|f| f.value.clone()),
            from: idx,
            end: idx + 1,
        }
    }
}

/// The declarations of one ARG instruction, defaults substituted with `env`.
pub fn arg_decls(
    ins: &Instruction,
    idx: usize,
    env: &HashMap<String, String>,
    escape: char,
) -> Vec<ArgDecl> {
    let mut env = env.clone();
    let mut out = Vec::new();
    for (i, word) in ins.args.iter().enumerate() {
        let span = ins.arg_spans.get(i).copied().unwrap_or(ins.args_span);
        let (name, default_written) = match word.split_once('=') {
            Some((n, d)) => (n.to_string(), Some(d.to_string())),
            None => (word.clone(), None),
        };
        // Map through `original` so a default continued over lines stays exact.
        let default_span = match (&default_written, ins.arg_ranges.get(i)) {
            (Some(_), Some(&(start, end))) => {
                Some(ins.original_span((start + name.len() + 1).min(end), end))
            }
            _ => None,
        };
        let default = default_written.as_ref().map(|d| {
            let lookup = |n: &str| env.get(n).cloned();
            shell::Lexer::with_escape(escape)
                .process(d, &lookup)
                .map(|p| p.result)
                .unwrap_or_else(|_| d.clone())
        });
        if let Some(d) = &default {
            env.insert(name.clone(), d.clone());
        }
        out.push(ArgDecl {
            name,
            default,
            default_as_written: default_written,
            instruction: idx,
            span,
            default_span,
        });
    }
    out
}

impl Instruction {
    fn from_node(node: Node) -> Instruction {
        Instruction {
            keyword: node.cmd.to_ascii_uppercase(),
            written_keyword: node.cmd,
            keyword_span: node.cmd_span,
            flags: node.flags.into_iter().map(Flag::from_raw).collect(),
            args: node.values,
            arg_spans: node.value_spans,
            arg_ranges: node.value_ranges,
            json: node.json,
            legacy_key_value: node.legacy_key_value,
            heredocs: node.heredocs,
            onbuild: node.sub.map(|s| Box::new(Instruction::from_node(*s))),
            original: node.original,
            original_map: node.original_map,
            args_in_original: node.args_in_original,
            span: node.span,
            args_span: node.args_span,
            start_line: node.start_line,
            end_line: node.end_line,
            stage: None,
        }
    }

    /// Whether BuildKit knows this instruction.
    pub fn is_known(&self) -> bool {
        KNOWN_INSTRUCTIONS.contains(&self.keyword.as_str())
    }

    /// The first flag named `name` (case-sensitive, as BuildKit compares).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// All flags named `name` (`--mount` may repeat).
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// The source span of `original[start..end]`: exact even across line
    /// continuations and dropped comment lines.
    pub fn original_span(&self, start: usize, end: usize) -> Span {
        let s = parser::map_start(&self.original_map, start);
        Span::new(s, parser::map_end(&self.original_map, end).max(s))
    }

    /// For shell-form RUN/CMD/ENTRYPOINT: the command text and the offset of its
    /// first byte in `original` (use [`Instruction::original_span`] to map).
    pub fn shell_text(&self) -> Option<(&str, usize)> {
        let cmd = self.shell_command()?;
        Some((cmd, self.args_in_original))
    }

    /// Span covering the instruction and its heredoc bodies.
    pub fn full_span(&self) -> Span {
        self.heredocs
            .iter()
            .fold(self.span, |acc, h| acc.cover(h.span))
    }

    /// For shell-form RUN/CMD/ENTRYPOINT: the command text (BuildKit's single value).
    pub fn shell_command(&self) -> Option<&str> {
        if self.json {
            None
        } else {
            self.args.first().map(String::as_str)
        }
    }

    /// ENV/LABEL key/value pairs as written (quotes kept), with their spans.
    pub fn key_value_pairs(&self) -> Vec<KeyValue<'_>> {
        self.args
            .chunks_exact(2)
            .enumerate()
            .map(|(i, c)| KeyValue {
                key: c[0].as_str(),
                value: c[1].as_str(),
                key_span: self.arg_spans.get(i * 2).copied(),
                value_span: self.arg_spans.get(i * 2 + 1).copied(),
            })
            .collect()
    }
}

/// One ENV/LABEL pair as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyValue<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub key_span: Option<Span>,
    pub value_span: Option<Span>,
}

/// Removes shell quoting from a word as BuildKit's instruction stage would, without
/// substituting variables (`"a b"` -> `a b`, `\$x` -> `$x`).
pub fn unquote(word: &str, escape: char) -> String {
    // Only quotes, the escape character and `$` are special to the lexer:
    // a word without them comes back as it is (most do).
    if !word.contains(['\'', '"', '$', escape]) {
        return word.to_string();
    }
    let lex = shell::Lexer {
        escape,
        skip_unset_env: true,
        ..shell::Lexer::default()
    };
    lex.process_no_env(word)
        .map(|p| p.result)
        .unwrap_or_else(|_| word.to_string())
}

/// The texts of the real Dockerfiles in `../shared/corpus`, for the tests of
/// this workspace's crates that hold a fast path to a slow one over them:
/// `None`, said on stderr, when the corpus is absent; a panic instead when
/// `PLIMSOLL_REQUIRE_ORACLES` is set (CI), so a test cannot pass by not
/// running.
#[doc(hidden)]
pub fn test_corpus() -> Option<Vec<String>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dockerfiles");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var_os("PLIMSOLL_REQUIRE_ORACLES").is_none(),
            "{} is absent",
            dir.display()
        );
        eprintln!("skipped: {} is absent", dir.display());
        return None;
    };
    Some(
        entries
            .flatten()
            .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned())
            .collect(),
    )
}

#[cfg(test)]
mod tests;

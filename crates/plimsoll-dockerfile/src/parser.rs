//! BuildKit's parser stage (`frontend/dockerfile/parser`), reproduced with spans.
//!
//! The shape of what it produces ([`Node`]) is BuildKit's AST: per instruction the
//! command as written, flags as strings, the argument list as each instruction's
//! line parser splits it, whether it is JSON form, heredocs, and line numbers. On top,
//! every piece carries a byte span into the source so fixes can be exact edits.
//!
//! What BuildKit rejects at this stage is a [`ParseError`]; what it only rejects
//! later (unknown instructions, bad flags, wrong argument counts) is kept, so
//! checks can report every problem at once.

use crate::shell::Lexer;
use crate::source::{Span, is_go_space, is_re_whitespace, trim_go, trim_left_go};

/// Longest physical line BuildKit's `bufio.Scanner` accepts (64 KiB with newline).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// A parse error BuildKit's parser would also raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// 1-based lines of the instruction (or line) at fault.
    pub start_line: usize,
    pub end_line: usize,
    pub span: Span,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.start_line == self.end_line || self.end_line == 0 {
            write!(f, "line {}: {}", self.start_line, self.message)
        } else {
            write!(
                f,
                "lines {}-{}: {}",
                self.start_line, self.end_line, self.message
            )
        }
    }
}

impl std::error::Error for ParseError {}

/// A parser directive (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Directive {
    /// Lower-cased name.
    pub name: String,
    pub value: String,
    pub line: usize,
    /// The whole comment line.
    pub span: Span,
    /// The value.
    pub value_span: Span,
}

/// A flag exactly as BuildKit's `extractBuilderFlags` returns it: `--name=value` with
/// quotes and backslash escapes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFlag {
    pub text: String,
    pub span: Span,
}

/// A here-document body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Heredoc {
    pub name: String,
    pub fd: u32,
    /// False when the delimiter was quoted: no variable expansion in the body.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped from body lines when used.
    pub chomp: bool,
    /// Body as written, lines with their line endings.
    pub content: String,
    /// The body lines.
    pub content_span: Span,
    /// Body plus terminator line (without its line ending).
    pub span: Span,
}

/// One instruction as BuildKit's parser sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The command as written (case kept).
    pub cmd: String,
    pub cmd_span: Span,
    pub flags: Vec<RawFlag>,
    /// The argument list (BuildKit's `Next` chain).
    pub values: Vec<String>,
    /// Where each value is written, when it is a contiguous piece of the source
    /// (not for JSON form).
    pub value_spans: Vec<Span>,
    /// The same ranges in `original` coordinates (map them with `original_map`).
    pub value_ranges: Vec<(usize, usize)>,
    pub json: bool,
    /// ENV/LABEL written in the legacy `KEY value` form.
    pub legacy_key_value: bool,
    /// The logical line: continuation lines joined, comment lines dropped.
    pub original: String,
    /// Maps offsets in `original` to source offsets: (offset in `original`,
    /// source offset) at the start of each contiguous piece.
    pub original_map: Vec<(usize, usize)>,
    /// Where the arguments start in `original`.
    pub args_in_original: usize,
    /// ONBUILD's trigger.
    pub sub: Option<Box<Node>>,
    pub heredocs: Vec<Heredoc>,
    pub start_line: usize,
    /// Last line, heredoc bodies included.
    pub end_line: usize,
    /// Keyword to the end of the logical line (heredoc bodies excluded).
    pub span: Span,
    /// Arguments after the flags, trimmed.
    pub args_span: Span,
}

/// A warning BuildKit's parser emits (an empty continuation line).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ParseWarning {
    pub message: String,
    pub line: usize,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ParsedNodes {
    pub directives: Vec<Directive>,
    pub escape: char,
    pub nodes: Vec<Node>,
    pub warnings: Vec<ParseWarning>,
}

/// A physical line: `[start, content_end)` is the text without line ending,
/// `next` where the next line starts.
#[derive(Debug, Clone, Copy)]
struct PhysLine {
    start: usize,
    content_end: usize,
    next: usize,
}

/// The physical lines of `text`, from where its lines start (the
/// [`LineIndex`](crate::LineIndex)'s table: the file is searched for line
/// ends once, for both).
struct PhysLines<'a> {
    text: &'a str,
    starts: &'a [usize],
    len: usize,
}

impl<'a> PhysLines<'a> {
    fn new(text: &'a str, starts: &'a [usize]) -> Self {
        // A newline at the very end starts no line of its own.
        let len = if text.is_empty() {
            0
        } else if text.ends_with('\n') {
            starts.len() - 1
        } else {
            starts.len()
        };
        PhysLines { text, starts, len }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> Option<PhysLine> {
        (i < self.len).then(|| self.at(i))
    }

    /// Line `i` (below [`PhysLines::len`]).
    fn at(&self, i: usize) -> PhysLine {
        let bytes = self.text.as_bytes();
        let start = self.starts[i];
        let next = self.starts.get(i + 1).copied().unwrap_or(bytes.len());
        // trimNewline: strip every trailing \r and \n.
        let mut end = next;
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        PhysLine {
            start,
            content_end: end,
            next,
        }
    }
}

/// A logical line built from pieces of physical lines, with a map back to source
/// offsets.
struct Logical {
    text: String,
    /// (offset in `text`, offset in source) for each piece.
    pieces: Vec<(usize, usize)>,
}

impl Logical {
    fn new() -> Self {
        Logical {
            text: String::new(),
            pieces: Vec::new(),
        }
    }
    /// Empty again, its buffers kept for the next instruction.
    fn clear(&mut self) {
        self.text.clear();
        self.pieces.clear();
    }
    fn push(&mut self, piece: &str, src: usize) {
        self.pieces.push((self.text.len(), src));
        self.text.push_str(piece);
    }
    /// Source offset of a start position.
    fn src(&self, j: usize) -> usize {
        let i = self.pieces.partition_point(|&(js, _)| js <= j);
        match i {
            0 => self.pieces.first().map(|p| p.1).unwrap_or(0),
            i => {
                let (js, s) = self.pieces[i - 1];
                s + (j - js)
            }
        }
    }
    /// Source offset of an (exclusive) end position.
    fn src_end(&self, j: usize) -> usize {
        let i = self.pieces.partition_point(|&(js, _)| js < j);
        match i {
            0 => self.src(j),
            i => {
                let (js, s) = self.pieces[i - 1];
                s + (j - js)
            }
        }
    }
    fn span(&self, start: usize, end: usize) -> Span {
        let s = self.src(start);
        Span::new(s, self.src_end(end).max(s))
    }
    /// The piece map for `text[from..to]`, rebased so offsets start at 0.
    fn sub_map(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = vec![(0, self.src(from))];
        for &(js, s) in &self.pieces {
            if js > from && js < to {
                out.push((js - from, s));
            }
        }
        out
    }
}

/// Source offset of a start position in a logical line, given its piece map.
pub(crate) fn map_start(map: &[(usize, usize)], j: usize) -> usize {
    let i = map.partition_point(|&(js, _)| js <= j);
    match i {
        0 => map.first().map(|p| p.1).unwrap_or(0),
        i => map[i - 1].1 + (j - map[i - 1].0),
    }
}

/// Source offset of an (exclusive) end position in a logical line.
pub(crate) fn map_end(map: &[(usize, usize)], j: usize) -> usize {
    let i = map.partition_point(|&(js, _)| js < j);
    match i {
        0 => map_start(map, j),
        i => map[i - 1].1 + (j - map[i - 1].0),
    }
}

#[derive(Default)]
struct DirectiveParser {
    done: bool,
    seen: Vec<String>,
}

const VALID_DIRECTIVES: &[&str] = &["syntax", "escape", "check"];

/// Go RE2's `\s`.
fn is_re_s(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{0C}' | '\r' | ' ')
}

impl DirectiveParser {
    /// Returns (name, value, value offset within `line`) for a directive line.
    fn parse_line(&mut self, line: &str) -> Result<Option<(String, String, usize)>, String> {
        if self.done {
            return Ok(None);
        }
        let Some(rest) = line.strip_prefix('#') else {
            self.done = true;
            return Ok(None);
        };
        let (rest, _) = trim_left_go(rest);
        // ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
        let name_len = rest
            .char_indices()
            .take_while(|&(i, c)| {
                if i == 0 {
                    c.is_ascii_alphabetic()
                } else {
                    c.is_ascii_alphanumeric()
                }
            })
            .count();
        if name_len == 0 {
            self.done = true;
            return Ok(None);
        }
        let name = &rest[..name_len];
        let after = rest[name_len..].trim_start_matches(is_re_s);
        let Some(after_eq) = after.strip_prefix('=') else {
            self.done = true;
            return Ok(None);
        };
        if after_eq.is_empty() || after_eq.contains('\n') {
            self.done = true;
            return Ok(None);
        }
        let trimmed_start = after_eq.trim_start_matches(is_re_s);
        let value = if trimmed_start.is_empty() {
            // `.+?` must take one character: the last whitespace one.
            let last = after_eq.chars().last().map(|c| c.len_utf8()).unwrap_or(0);
            &after_eq[after_eq.len() - last..]
        } else {
            trimmed_start.trim_end_matches(is_re_s)
        };
        let value_off = value_offset_in(line, value);
        let key = name.to_ascii_lowercase();
        if !VALID_DIRECTIVES.contains(&key.as_str()) {
            self.done = true;
            return Ok(None);
        }
        if self.seen.contains(&key) {
            return Err(format!("only one {key} parser directive can be used"));
        }
        self.seen.push(key.clone());
        Ok(Some((key, value.to_string(), value_off)))
    }
}

/// Offset of `value` (a sub-slice) within `hay`.
fn value_offset_in(hay: &str, value: &str) -> usize {
    (value.as_ptr() as usize).saturating_sub(hay.as_ptr() as usize)
}

/// Whether a line is a comment (`#` after leading whitespace).
fn is_comment(line: &str) -> bool {
    trim_left_go(line).0.starts_with('#')
}

/// Removes a trailing line-continuation (the escape character followed only by
/// spaces/tabs, not itself escaped). Returns the kept length and whether the line
/// ends the instruction.
fn trim_continuation(line: &str, escape: char) -> (usize, bool) {
    // Bytes, not chars: the escape is `\\` or `` ` `` (the directive allows
    // no other), and comparing chars as strings called `memcmp` for every
    // line (5% of a parse).
    debug_assert!(escape.is_ascii());
    let (b, esc) = (line.as_bytes(), escape as u8);
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end == 0 || b[end - 1] != esc {
        return (line.len(), true);
    }
    let before = end - 1;
    if before == 0 {
        return (0, false);
    }
    if b[before - 1] == esc {
        // `([^\\])\\[ \t]*$` needs a non-escape character before the escape.
        return (line.len(), true);
    }
    (before, false)
}

/// Parses `text` (BOM already removed) the way BuildKit's parser does.
/// `lines`: the text's line index.
pub fn parse_nodes(text: &str, lines: &crate::LineIndex) -> Result<ParsedNodes, ParseError> {
    let lines = PhysLines::new(text, lines.starts());
    let mut escape = '\\';
    let mut dp = DirectiveParser::default();
    let mut directives = Vec::new();
    // At most one instruction a line; most files have a few dozen.
    let mut nodes: Vec<Node> = Vec::with_capacity(lines.len().min(64));
    let mut warnings = Vec::new();

    let line_err = |msg: String, n: usize, span: Span| ParseError {
        message: msg,
        start_line: n,
        end_line: n,
        span,
    };

    for n in 0..lines.len() {
        let l = lines.at(n);
        if l.next - l.start > MAX_LINE_BYTES {
            return Err(line_err(
                format!(
                    "dockerfile line greater than max allowed size of {}",
                    MAX_LINE_BYTES - 1
                ),
                n + 1,
                Span::new(l.start, l.content_end),
            ));
        }
    }

    let mut logical = Logical::new();
    let mut i = 0;
    while i < lines.len() {
        let pl = lines.at(i);
        let raw = &text[pl.start..pl.content_end];
        let (token, left) = trim_left_go(raw);
        let token_start = pl.start + left;
        match dp.parse_line(token) {
            Err(msg) => return Err(line_err(msg, i + 1, Span::new(pl.start, pl.content_end))),
            Ok(Some((name, value, voff))) => {
                if name == "escape" {
                    if value != "`" && value != "\\" {
                        return Err(line_err(
                            format!("invalid escape token '{value}' does not match ` or \\"),
                            i + 1,
                            Span::new(pl.start, pl.content_end),
                        ));
                    }
                    escape = value.chars().next().unwrap_or('\\');
                }
                let vs = token_start + voff;
                directives.push(Directive {
                    name,
                    value: value.clone(),
                    line: i + 1,
                    span: Span::new(pl.start, pl.content_end),
                    value_span: Span::new(vs, vs + value.len()),
                });
            }
            Ok(None) => {}
        }
        let token = if is_comment(token) { "" } else { token };
        i += 1;
        let start_line = i;
        let (keep, mut end_of_line) = trim_continuation(token, escape);
        if end_of_line && keep == 0 {
            continue;
        }
        logical.clear();
        logical.push(&token[..keep], token_start);
        let mut last_content_end = pl.content_end;
        let mut empty_continuation = false;
        while !end_of_line && i < lines.len() {
            let cl = lines.at(i);
            let craw = &text[cl.start..cl.content_end];
            // processLine(stripLeftWhitespace=false) still feeds the directive parser.
            if let Err(msg) = dp.parse_line(craw) {
                return Err(line_err(msg, i + 1, Span::new(cl.start, cl.content_end)));
            }
            i += 1;
            if is_comment(craw) {
                continue;
            }
            if trim_left_go(craw).0.is_empty() {
                empty_continuation = true;
                continue;
            }
            let (keep, eol) = trim_continuation(craw, escape);
            end_of_line = eol;
            logical.push(&craw[..keep], cl.start);
            last_content_end = cl.content_end;
        }
        if empty_continuation {
            warnings.push(ParseWarning {
                message: format!("Empty continuation line found in: {}", logical.text),
                line: i,
                span: Span::new(token_start, last_content_end),
            });
        }
        let mut node = match new_node_from_line(&logical, 0, logical.text.len(), escape) {
            Ok(n) => n,
            Err(msg) => {
                return Err(ParseError {
                    message: msg,
                    start_line,
                    end_line: i,
                    span: Span::new(token_start, last_content_end),
                });
            }
        };
        node.span = Span::new(token_start, last_content_end.max(token_start));
        node.start_line = start_line;

        if node_can_contain_heredoc(&node)
            && memchr::memmem::find(logical.text.as_bytes(), b"<<").is_some()
        {
            let docs = heredocs_from_line(&logical.text).map_err(|msg| ParseError {
                message: msg,
                start_line,
                end_line: i,
                span: node.span,
            })?;
            for mut doc in docs {
                let body_start = lines.get(i).map(|l| l.start).unwrap_or(text.len());
                let mut terminated = false;
                let mut content = String::new();
                while i < lines.len() {
                    let bl = lines.at(i);
                    i += 1;
                    let mut candidate = &text[bl.start..bl.content_end];
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        doc.content_span = Span::new(body_start, bl.start);
                        doc.span = Span::new(body_start, bl.content_end);
                        break;
                    }
                    content.push_str(&text[bl.start..bl.next]);
                }
                if !terminated {
                    return Err(ParseError {
                        message: "unterminated heredoc".into(),
                        start_line,
                        end_line: i,
                        span: Span::new(token_start, text.len()),
                    });
                }
                doc.content = content;
                node.heredocs.push(doc);
            }
        }
        node.end_line = i;
        nodes.push(node);
    }

    if nodes.is_empty() {
        return Err(ParseError {
            message: "file with no instructions".into(),
            start_line: lines.len(),
            end_line: lines.len(),
            span: Span::empty(text.len()),
        });
    }
    Ok(ParsedNodes {
        directives,
        escape,
        nodes,
        warnings,
    })
}

fn node_can_contain_heredoc(node: &Node) -> bool {
    let n = if node.cmd.eq_ignore_ascii_case("onbuild") {
        match &node.sub {
            Some(s) => s,
            None => return false,
        }
    } else {
        node
    };
    ["add", "copy", "run"]
        .iter()
        .any(|k| n.cmd.eq_ignore_ascii_case(k))
        && !n.json
}

/// `heredocsFromLine`: find `<<WORD` markers among the line's raw words.
pub(crate) fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, String> {
    // Every heredoc word holds `<<`, and lexing with raw quotes and escapes
    // and no variables set adds no `<`: a line without one has no heredoc
    // (most RUN lines; lexing each was a good part of a parse).
    if !line.contains('<') {
        return Ok(Vec::new());
    }
    // Errors from this pass are ignored by BuildKit: no words, no heredocs.
    let words = Lexer::heredoc_finder()
        .process_no_env(line)
        .map(|p| p.words)
        .unwrap_or_default();
    let mut docs = Vec::new();
    for w in words {
        if let Some(doc) = parse_heredoc_word(&w)? {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// `ParseHeredoc`: `^(\d*)<<(-?)([^<]*)$`, then the delimiter word's quoting decides
/// whether the body expands variables.
pub fn parse_heredoc_word(src: &str) -> Result<Option<Heredoc>, String> {
    let digits = src.bytes().take_while(|b| b.is_ascii_digit()).count();
    let Some(after) = src[digits..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = src[..digits].parse::<u32>().unwrap_or(0);
    let mut lex = Lexer {
        skip_unset_env: true,
        ..Lexer::default()
    };
    let words = lex.process_no_env(rest).map_err(|e| e.0)?.words;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw = lex.process_no_env(rest).map_err(|e| e.0)?.words;
    if raw.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let quotes = |s: &str| s.matches(['\'', '"']).count();
    let expand = quotes(&words[0]) == quotes(&raw[0]);
    Ok(Some(Heredoc {
        name: words[0].clone(),
        fd,
        expand,
        chomp,
        content: String::new(),
        content_span: Span::default(),
        span: Span::default(),
    }))
}

/// `newNodeFromLine` over `logical.text[from..to]`.
fn new_node_from_line(
    logical: &Logical,
    from: usize,
    to: usize,
    escape: char,
) -> Result<Node, String> {
    let line = &logical.text[from..to];
    let (trimmed, left) = trim_go(line);
    let base = from + left;
    // tokenWhitespace.Split(trimmed, 2)
    let cmd_len = trimmed
        .char_indices()
        .find(|&(_, c)| is_re_whitespace(c))
        .map(|(i, _)| i)
        .unwrap_or(trimmed.len());
    let cmd = &trimmed[..cmd_len];
    let after_cmd = &trimmed[cmd_len..];
    let ws = after_cmd.len() - after_cmd.trim_start_matches(is_re_whitespace).len();
    let remainder_base = base + cmd_len + ws;
    let remainder = &after_cmd[ws..];

    let (flags, args_rel) = if cmd_len < trimmed.len() {
        extract_builder_flags(remainder)
    } else {
        (Vec::new(), remainder.len())
    };
    let rest_raw = &remainder[args_rel..];
    let (args, args_left) = trim_go(rest_raw);
    let args_base = remainder_base + args_rel + args_left;

    let mut node = Node {
        cmd: cmd.to_string(),
        cmd_span: logical.span(base, base + cmd_len),
        flags: flags
            .into_iter()
            .map(|(text, s, e)| RawFlag {
                text,
                span: logical.span(remainder_base + s, remainder_base + e),
            })
            .collect(),
        values: Vec::new(),
        value_spans: Vec::new(),
        value_ranges: Vec::new(),
        json: false,
        legacy_key_value: false,
        original: line.to_string(),
        original_map: logical.sub_map(from, to),
        args_in_original: args_base - from,
        sub: None,
        heredocs: Vec::new(),
        start_line: 0,
        end_line: 0,
        span: logical.span(base, base + trimmed.len()),
        args_span: logical.span(args_base, args_base + args.len()),
    };

    // Lower-cased on the stack (the longest instruction, HEALTHCHECK, has
    // 11 letters): a longer command is no instruction, as "" is none.
    let mut lower_buf = [0u8; 12];
    let lower = match lower_buf.get_mut(..cmd.len()) {
        Some(buf) => {
            buf.copy_from_slice(cmd.as_bytes());
            buf.make_ascii_lowercase();
            std::str::from_utf8(buf).unwrap_or("")
        }
        None => "",
    };
    let mut spans: Vec<(usize, usize)> = Vec::new();
    match lower {
        "add" | "copy" | "volume" => match parse_json(args)? {
            Some(v) => {
                node.values = v;
                node.json = true;
            }
            None => {
                (node.values, spans) = split_whitespace_delimited(args);
            }
        },
        "run" | "cmd" | "entrypoint" | "shell" => {
            if !args.is_empty() {
                match parse_json(args)? {
                    Some(v) => {
                        node.values = v;
                        node.json = true;
                    }
                    None => {
                        node.values = vec![args.to_string()];
                        spans = vec![(0, args.len())];
                    }
                }
            }
        }
        "arg" => {
            for (w, s, e) in parse_words(args, escape) {
                node.values.push(w);
                spans.push((s, e));
            }
        }
        "env" | "label" => {
            let key = if lower == "env" { "ENV" } else { "LABEL" };
            ((node.values, spans), node.legacy_key_value) = parse_name_val(args, key, escape)?;
        }
        "expose" | "from" => {
            (node.values, spans) = split_whitespace_delimited(args);
        }
        "healthcheck" => {
            // `parseHealthConfig` scans bytes like extractBuilderFlags: the 0x85
            // and 0xA0 bytes inside a UTF-8 character count as spaces. Boundaries
            // are rounded up to characters so slicing stays valid.
            let sep = ceil_boundary(
                args,
                args.bytes()
                    .position(|b| is_go_space(b as char))
                    .unwrap_or(args.len()),
            );
            if sep > 0 {
                let next = ceil_boundary(
                    args,
                    sep + args[sep..]
                        .bytes()
                        .take_while(|&b| is_go_space(b as char))
                        .count(),
                );

                node.values.push(args[..sep].to_string());
                spans.push((0, sep));
                let rest = &args[next..];
                if !rest.is_empty() {
                    match parse_json(rest)? {
                        Some(v) => {
                            node.values.extend(v);
                            node.json = true;
                        }
                        None => {
                            node.values.push(rest.to_string());
                            spans.push((next, args.len()));
                        }
                    }
                }
            }
        }
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !args.is_empty() {
                node.values = vec![args.to_string()];
                spans = vec![(0, args.len())];
            }
        }
        "onbuild" => {
            if !args.is_empty() {
                let sub = new_node_from_line(logical, args_base, args_base + args.len(), escape)?;
                node.sub = Some(Box::new(sub));
            }
        }
        _ => {
            // parseIgnore: BuildKit keeps a single empty value.
            node.values = vec![String::new()];
        }
    }
    if !node.json && spans.len() == node.values.len() {
        node.value_spans = spans
            .iter()
            .map(|&(s, e)| logical.span(args_base + s, args_base + e))
            .collect();
        node.value_ranges = spans
            .into_iter()
            .map(|(s, e)| (args_base - from + s, args_base - from + e))
            .collect();
    }
    Ok(node)
}

/// `parseJSON`: Ok(Some) for a JSON array of strings, Ok(None) when not JSON, Err
/// for a JSON array holding something other than strings.
fn parse_json(rest: &str) -> Result<Option<Vec<String>>, String> {
    let (t, _) = trim_left_go(rest);
    if !t.starts_with('[') {
        return Ok(None);
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(t) else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v {
            serde_json::Value::String(s) => out.push(s),
            _ => {
                return Err(
                    "when using JSON array syntax, arrays must be comprised of strings only".into(),
                );
            }
        }
    }
    Ok(Some(out))
}

type Words = (Vec<String>, Vec<(usize, usize)>);

/// Whether ENV/LABEL used the legacy `KEY value` form.
type Legacy = bool;

/// `parseStringsWhitespaceDelimited`: split on `[\t\v\f\r ]+`.
fn split_whitespace_delimited(rest: &str) -> Words {
    let mut values = Vec::new();
    let mut spans = Vec::new();
    if rest.is_empty() {
        return (values, spans);
    }
    let mut start = 0;
    let mut in_ws = false;
    for (i, c) in rest.char_indices() {
        if is_re_whitespace(c) {
            if !in_ws {
                values.push(rest[start..i].to_string());
                spans.push((start, i));
                in_ws = true;
            }
        } else if in_ws {
            start = i;
            in_ws = false;
        }
    }
    if in_ws {
        // Trailing whitespace run: Go's Split yields a final empty string.
        values.push(String::new());
        spans.push((rest.len(), rest.len()));
    } else {
        values.push(rest[start..].to_string());
        spans.push((start, rest.len()));
    }
    (values, spans)
}

/// `parseWords`: whitespace-separated words, quotes and escapes kept as written.
fn parse_words(rest: &str, escape: char) -> Vec<(String, usize, usize)> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    // Without quotes or escapes a word is a run of non-spaces as written
    // (most ARG and ENV lines): no walk character by character.
    // (The escape is `\\` or `` ` ``; any other is left to the walk.)
    let special = |b: u8| b == b'\'' || b == b'"' || char::from(b) == escape;
    if escape.is_ascii() && !rest.bytes().any(special) {
        return plain_words(rest);
    }
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut word = String::new();
    let mut word_start = 0;
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let mut k = 0;
    loop {
        let at_end = k >= chars.len();
        let (pos, ch) = if at_end { (rest.len(), '\0') } else { chars[k] };
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if is_go_space(ch) {
                k += 1;
                continue;
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if (phase == Phase::Word || phase == Phase::Quote) && at_end {
            if blank_ok || !word.is_empty() {
                words.push((std::mem::take(&mut word), word_start, rest.len()));
            }
            break;
        }
        if phase == Phase::Word {
            if is_go_space(ch) {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push((std::mem::take(&mut word), word_start, pos));
                }
                word.clear();
                blank_ok = false;
                k += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if k + 1 == chars.len() {
                    k += 1;
                    continue;
                }
                word.push(ch);
                k += 1;
                word.push(chars[k].1);
                k += 1;
                continue;
            }
            word.push(ch);
            k += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if k + 1 == chars.len() {
                phase = Phase::Word;
                k += 1;
                continue;
            }
            word.push(ch);
            k += 1;
            word.push(chars[k].1);
            k += 1;
            continue;
        }
        word.push(ch);
        k += 1;
    }
    words
}

/// [`parse_words`] of a text without quotes or the escape character.
fn plain_words(rest: &str) -> Vec<(String, usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in rest.char_indices() {
        match (is_go_space(c), start) {
            (true, Some(s)) => {
                words.push((rest[s..i].to_string(), s, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((rest[s..].to_string(), s, rest.len()));
    }
    words
}

/// `parseNameVal` for ENV and LABEL: `key value` (legacy) or `k=v k2=v2`, returned as
/// key, value pairs, and whether the legacy form was used.
fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<(Words, Legacy), String> {
    let words = parse_words(rest, escape);
    let mut values = Vec::new();
    let mut spans = Vec::new();
    let Some(first) = words.first() else {
        return Ok(((values, spans), false));
    };
    if !first.0.contains('=') {
        // reWhitespace.Split(rest, 2)
        let Some((i, c)) = rest.char_indices().find(|&(_, c)| is_re_whitespace(c)) else {
            return Err(format!("{key} must have two arguments"));
        };
        let vstart = i + c.len_utf8() + rest[i + c.len_utf8()..].len()
            - rest[i + c.len_utf8()..]
                .trim_start_matches(is_re_whitespace)
                .len();
        values.extend([rest[..i].to_string(), rest[vstart..].to_string()]);
        spans.extend([(0, i), (vstart, rest.len())]);
        return Ok(((values, spans), true));
    }
    for (w, s, e) in words {
        let Some(eq) = w.find('=') else {
            return Err(format!(
                "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
            ));
        };
        // Words are verbatim slices of `rest` unless a trailing escape was dropped.
        let key_end = s + eq;
        values.extend([w[..eq].to_string(), w[eq + 1..].to_string()]);
        spans.extend([(s, key_end), (key_end + 1, e.max(key_end + 1))]);
    }
    Ok(((values, spans), false))
}

/// The first char boundary at or after `i`.
fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// `extractBuilderFlags`: leading `--flag[=value]` words. Works on bytes as BuildKit
/// does (non-ASCII bytes become Latin-1 characters, and the bytes 0x85 and 0xA0
/// count as spaces even inside a UTF-8 character). Returns the flags with their
/// byte ranges and where the remaining arguments start, both rounded up to
/// character boundaries.
fn extract_builder_flags(line: &str) -> (Vec<(String, usize, usize)>, usize) {
    let (words, rest) = extract_builder_flags_bytes(line);
    let words = words
        .into_iter()
        .map(|(w, s, e)| (w, ceil_boundary(line, s), ceil_boundary(line, e)))
        .collect();
    (words, ceil_boundary(line, rest))
}

fn extract_builder_flags_bytes(line: &str) -> (Vec<(String, usize, usize)>, usize) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let b = line.as_bytes();
    let space = |c: u8| is_go_space(c as char);
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut word_start = 0;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= b.len() {
        let ch = if pos < b.len() { b[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == b.len() {
                break;
            }
            if space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == b.len() || b[pos + 1] != b'-' {
                return (words, pos);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if (phase == Phase::Word || phase == Phase::Quote) && pos == b.len() {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push((std::mem::take(&mut word), word_start, pos));
            }
            break;
        }
        if phase == Phase::Word {
            if space(ch) {
                phase = Phase::Spaces;
                if word == "--" {
                    return (words, pos);
                }
                if blank_ok || !word.is_empty() {
                    words.push((std::mem::take(&mut word), word_start, pos));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if c == b'\\' {
                if pos + 1 == b.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = b[pos];
            }
            word.push(c as char);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if c == b'\\' {
            if pos + 1 == b.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = b[pos];
        }
        word.push(c as char);
        pos += 1;
    }
    (words, b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules() {
        assert_eq!(trim_continuation("a \\", '\\'), (2, false));
        assert_eq!(trim_continuation("a \\  \t", '\\'), (2, false));
        assert_eq!(trim_continuation("\\", '\\'), (0, false));
        assert_eq!(trim_continuation("a \\\\", '\\'), (4, true));
        assert_eq!(trim_continuation("a `", '`'), (2, false));
        assert_eq!(trim_continuation("a \\", '`'), (3, true));
    }

    #[test]
    fn flags_split_inside_a_character_keep_spans_on_boundaries() {
        // U+0745 is 0xDD 0x85 in UTF-8; BuildKit treats the 0x85 byte as a space.
        let line = "--start-\u{745}x rest";
        let (f, rest) = extract_builder_flags(line);
        for (_, s, e) in &f {
            assert!(line.is_char_boundary(*s) && line.is_char_boundary(*e));
        }
        assert!(line.is_char_boundary(rest));
    }

    #[test]
    fn flags_stop_at_first_non_flag() {
        let (f, rest) = extract_builder_flags("--from=a --chown=\"b c\" x y");
        let names: Vec<_> = f.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(names, vec!["--from=a", "--chown=b c"]);
        assert_eq!(&"--from=a --chown=\"b c\" x y"[rest..], "x y");
        let (f, rest) = extract_builder_flags("-- --x");
        assert!(f.is_empty());
        assert_eq!(rest, 2);
    }

    #[test]
    fn words_without_quotes_split_on_go_spaces() {
        // The walk over characters (taken when a quote is present: one is
        // added at the end, where it only extends the last word) agrees.
        for text in [
            "a b",
            " a=b\u{A0}c  d\te ",
            "x\u{2003}y\u{85}z",
            "",
            " ",
            "é=ü ß",
        ] {
            let mut fast = plain_words(text);
            let walked = parse_words(&format!("{text}'"), '\\');
            match fast.last_mut() {
                Some(last) if last.2 == text.len() => {
                    last.0.push('\'');
                    last.2 += 1;
                }
                _ => fast.push(("'".into(), text.len(), text.len() + 1)),
            }
            assert_eq!(fast, walked, "{text:?}");
        }
        let w = parse_words(" a=b\u{A0}c  d\te ", '\\');
        let want = [("a=b", 1, 4), ("c", 6, 7), ("d", 9, 10), ("e", 11, 12)];
        let got: Vec<_> = w.iter().map(|(w, s, e)| (w.as_str(), *s, *e)).collect();
        assert_eq!(got, want);
        assert!(parse_words("  ", '\\').is_empty());
        // With the backtick escape, a backslash is a plain character.
        assert_eq!(parse_words("a\\ b", '`')[0].0, "a\\");
    }

    #[test]
    fn words_keep_quotes() {
        let w: Vec<_> = parse_words("a=\"b c\" d='e' f\\ g", '\\')
            .into_iter()
            .map(|w| w.0)
            .collect();
        assert_eq!(w, vec!["a=\"b c\"", "d='e'", "f\\ g"]);
    }

    #[test]
    fn heredoc_words() {
        let h = parse_heredoc_word("<<EOF").unwrap().unwrap();
        assert!(h.expand && !h.chomp);
        let h = parse_heredoc_word("3<<-'EOF'").unwrap().unwrap();
        assert_eq!(
            (h.name.as_str(), h.fd, h.expand, h.chomp),
            ("EOF", 3, false, true)
        );
        assert!(parse_heredoc_word("a<<EOF").unwrap().is_none());
        assert!(parse_heredoc_word("<<").unwrap().is_none());
    }
}

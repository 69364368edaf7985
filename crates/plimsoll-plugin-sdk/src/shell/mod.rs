//! A shell word splitter for what RUN runs: simple commands split at `&&`, `||`,
//! `;`, `|`, `&` and newlines, words with quotes removed and their offsets kept,
//! environment assignments and redirections set aside, `$(...)`/backticks and
//! `sh -c '...'` parsed recursively, control keywords (`if`, `then`, `do`...)
//! looked through, here-documents skipped.
//!
//! It is not a full POSIX shell parser, and does not need to be: it answers "which
//! commands run, with which arguments" well enough for linting, and never panics.
//!
//! [`scripts`] gives the scripts of a RUN instruction (shell form, exec form,
//! heredoc bodies), with offsets mapped back to the Dockerfile's bytes so a rule
//! can offer an exact fix.

pub mod syntax;

use plimsoll_dockerfile::{Dockerfile, Instruction, Span};

/// One word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Quotes and escapes removed; `$VAR` and `$(...)` kept as written.
    pub value: String,
    /// As written.
    pub raw: String,
    /// Byte range in the parsed text.
    pub start: usize,
    pub end: usize,
    /// Any part was quoted.
    pub quoted: bool,
    /// Contains a variable or command substitution.
    pub expansion: bool,
}

impl Word {
    pub fn is(&self, s: &str) -> bool {
        self.value == s
    }
}

/// What separates a command from its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// Start of the script or of a nested script.
    Start,
    And,
    Or,
    Semi,
    Pipe,
    Background,
    Newline,
    /// End of the script.
    End,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<Word>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Redirection targets (`> /dev/null`), and heredoc delimiters.
    pub redirects: Vec<Word>,
    pub before: Sep,
    pub after: Sep,
    /// 0 at top level; 1 inside `$(...)`, backticks or `sh -c`, and so on.
    pub depth: u32,
    /// Byte range in the parsed text (first to last word).
    pub start: usize,
    pub end: usize,
    /// Word offsets are exact. False inside a nested script whose text had to
    /// be unquoted first (`sh -c "a \"b\""`): offsets then cover the outer command.
    pub exact: bool,
    /// Index in `words` of the program run (looking through wrappers), computed
    /// once when parsed.
    program: Option<usize>,
    /// Where the program's basename starts in its word.
    name_at: usize,
}

/// Commands that run another command given as their arguments.
const WRAPPERS: &[&str] = &[
    "sudo",
    "env",
    "nohup",
    "exec",
    "command",
    "time",
    "nice",
    "ionice",
    "stdbuf",
    "xargs",
    "doas",
    "gosu",
    "su-exec",
    "chroot",
    "timeout",
    "eatmydata",
    "unbuffer",
    "builtin",
];

/// The last path component: `/usr/bin/apt-get` -> `apt-get`.
pub fn basename(s: &str) -> &str {
    match s.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

impl Command {
    /// Index in `words` of the program actually run, looking through wrappers such
    /// as `sudo -E`, `env A=b`, `timeout 10`, `nice -n 5`, `xargs -r`.
    pub fn program_index(&self) -> Option<usize> {
        self.program
    }

    fn find_program(&self) -> Option<usize> {
        let mut i = 0;
        while i < self.words.len() {
            let name = basename(&self.words[i].value);
            if !WRAPPERS.contains(&name) {
                return Some(i);
            }
            i += 1;
            // Skip the wrapper's own options and operands.
            while i < self.words.len() {
                let w = &self.words[i].value;
                let takes_value = match name {
                    "sudo" | "doas" => matches!(
                        w.as_str(),
                        "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U"
                    ),
                    "nice" | "ionice" => matches!(w.as_str(), "-n" | "-c"),
                    "timeout" => matches!(w.as_str(), "-s" | "-k" | "--signal" | "--kill-after"),
                    "xargs" => matches!(
                        w.as_str(),
                        "-n" | "-I" | "-P" | "-L" | "-s" | "-d" | "-E" | "-a"
                    ),
                    "stdbuf" => false,
                    "chroot" => false,
                    "env" => matches!(w.as_str(), "-u" | "-C" | "-S"),
                    _ => false,
                };
                if w.starts_with('-') && w.len() > 1 {
                    i += if takes_value { 2 } else { 1 };
                } else if (name == "env" && w.contains('='))
                    || (name == "timeout" && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                {
                    // env's assignments, timeout's duration.
                    i += 1;
                } else if matches!(name, "chroot" | "gosu" | "su-exec") {
                    // First operand is the root/user.
                    i += 1;
                    break;
                } else {
                    break;
                }
            }
        }
        None
    }

    /// The program run (basename), looking through wrappers.
    pub fn name(&self) -> Option<&str> {
        self.program_index()
            .map(|i| &self.words[i].value[self.name_at..])
    }

    /// The arguments of the program run.
    pub fn args(&self) -> &[Word] {
        match self.program_index() {
            Some(i) => &self.words[i + 1..],
            None => &[],
        }
    }

    /// Whether the program is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name() == Some(name)
    }

    /// Whether an argument is one of the given flags. Long flags match
    /// `--flag` and `--flag=value`; a short flag also matches inside a bundle
    /// (`-qy` has `y`).
    pub fn has_flag(&self, short: &[char], long: &[&str]) -> bool {
        self.flag_index(short, long).is_some()
    }

    /// Index in [`Command::args`] of the first matching flag.
    pub fn flag_index(&self, short: &[char], long: &[&str]) -> Option<usize> {
        self.args().iter().position(|a| {
            let v = a.value.as_str();
            if let Some(l) = v.strip_prefix("--") {
                let name = l.split('=').next().unwrap_or(l);
                long.iter().any(|x| x.trim_start_matches('-') == name)
            } else if let Some(s) = v.strip_prefix('-') {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric())
                    && s.chars().any(|c| short.contains(&c))
            } else {
                false
            }
        })
    }

    /// The value of a flag: `--flag=value`, `--flag value`, `-f value`.
    pub fn flag_value(&self, short: &[char], long: &[&str]) -> Option<&str> {
        let args = self.args();
        let i = self.flag_index(short, long)?;
        let v = &args[i].value;
        if let Some((_, val)) = v.split_once('=') {
            return Some(val);
        }
        args.get(i + 1).map(|w| w.value.as_str())
    }

    /// Arguments that are not flags, skipping the values of flags listed in
    /// `takes_value` (as `-o` or `--option`).
    pub fn operands<'a>(&'a self, takes_value: &[&str]) -> Vec<(usize, &'a Word)> {
        let args = self.args();
        let mut out = Vec::new();
        let mut i = 0;
        let mut only_operands = false;
        while i < args.len() {
            let v = args[i].value.as_str();
            if !only_operands && v == "--" {
                only_operands = true;
                i += 1;
                continue;
            }
            if !only_operands && v.starts_with('-') && v.len() > 1 {
                let name = v.split('=').next().unwrap_or(v);
                let attached = v.contains('=');
                let skip_next = !attached
                    && (takes_value.contains(&name)
                        // `-oFoo` carries its value; `-o Foo` does not.
                        || (name.len() == 2 && takes_value.contains(&name)));
                i += if skip_next { 2 } else { 1 };
                continue;
            }
            out.push((i, &args[i]));
            i += 1;
        }
        out
    }

    /// The first operand (a subcommand such as `install`).
    pub fn subcommand(&self, takes_value: &[&str]) -> Option<&Word> {
        self.operands(takes_value)
            .into_iter()
            .next()
            .map(|(_, w)| w)
    }
}

/// A parsed script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

impl Script {
    /// Commands running `name` (looking through wrappers).
    pub fn commands_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Command> + 'a {
        self.commands.iter().filter(move |c| c.is(name))
    }

    /// Whether any command runs `name`.
    pub fn runs(&self, name: &str) -> bool {
        self.commands_named(name).next().is_some()
    }
}

/// Parses shell text.
pub fn parse(text: &str) -> Script {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
        out: Vec::new(),
    };
    p.script(None);
    // Nested commands are found before the command that contains them; order by
    // position so commands read as written.
    p.out.sort_by_key(|c| c.start);
    Script { commands: p.out }
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: u32,
    out: Vec<Command>,
}

#[derive(Default)]
struct Pending {
    assignments: Vec<Word>,
    words: Vec<Word>,
    redirects: Vec<Word>,
}

enum Tok {
    Word(Word),
    Sep(Sep),
    /// A redirection operator; the next word is its target. `true` for `<<`.
    Redirect(bool),
    OpenParen,
    CloseParen,
    /// `;;`, which ends a `case` arm.
    DoubleSemi,
    Close,
    Eof,
}

/// Where we are in a `case WORD in PATTERN) COMMANDS ;; ... esac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaseState {
    /// After `case`, until `in`.
    Header,
    /// Reading patterns, until `)`.
    Patterns,
    /// Reading the arm's commands, until `;;` or `esac`.
    Arm,
}

const RESERVED_SKIP: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "fi", "done", "esac",
    "}", "in",
];

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.get(self.pos + n).copied()
    }

    /// Parses commands until EOF or the `close` byte (for `$(` ... `)`).
    fn script(&mut self, close: Option<u8>) {
        let mut cur = Pending::default();
        let mut before = Sep::Start;
        let mut pending_heredocs: Vec<(String, bool)> = Vec::new();
        let mut skip_until_sep = false; // inside a `for x in ...` header
        let mut cases: Vec<CaseState> = Vec::new();
        loop {
            let tok = self.token(close);
            let in_patterns = matches!(cases.last(), Some(CaseState::Header | CaseState::Patterns));
            match tok {
                Tok::Word(w) => {
                    match cases.last().copied() {
                        Some(CaseState::Header) => {
                            if w.value == "in" && !w.quoted {
                                *cases.last_mut().expect("non-empty") = CaseState::Patterns;
                            }
                            continue;
                        }
                        Some(CaseState::Patterns) => {
                            if w.value == "esac" && !w.quoted {
                                cases.pop();
                            }
                            continue;
                        }
                        Some(CaseState::Arm)
                            if w.value == "esac"
                                && !w.quoted
                                && cur.words.is_empty()
                                && cur.assignments.is_empty() =>
                        {
                            cases.pop();
                            continue;
                        }
                        _ => {}
                    }
                    if skip_until_sep {
                        continue;
                    }
                    if cur.words.is_empty() {
                        if cur.assignments.is_empty()
                            && (w.value == "for" || w.value == "select")
                            && !w.quoted
                        {
                            skip_until_sep = true;
                            continue;
                        }
                        if cur.assignments.is_empty() && w.value == "case" && !w.quoted {
                            cases.push(CaseState::Header);
                            continue;
                        }
                        if cur.assignments.is_empty()
                            && RESERVED_SKIP.contains(&w.value.as_str())
                            && !w.quoted
                        {
                            continue;
                        }
                        if is_assignment(&w.raw) {
                            cur.assignments.push(w);
                            continue;
                        }
                    }
                    cur.words.push(w);
                }
                Tok::Redirect(heredoc) => {
                    // The target word follows.
                    if let Tok::Word(t) = self.token(close) {
                        if heredoc {
                            let strip = t.raw.starts_with('-');
                            let delim = t.value.trim_start_matches('-').to_string();
                            pending_heredocs.push((delim, strip));
                        }
                        cur.redirects.push(t);
                    }
                }
                Tok::CloseParen if cases.last() == Some(&CaseState::Patterns) => {
                    *cases.last_mut().expect("non-empty") = CaseState::Arm;
                }
                Tok::OpenParen if in_patterns => {}
                Tok::Sep(_) if in_patterns => {}
                Tok::DoubleSemi if cases.last() == Some(&CaseState::Arm) => {
                    self.flush(&mut cur, before, Sep::Semi);
                    before = Sep::Semi;
                    *cases.last_mut().expect("non-empty") = CaseState::Patterns;
                }
                Tok::OpenParen | Tok::CloseParen | Tok::DoubleSemi => {
                    skip_until_sep = false;
                    self.flush(&mut cur, before, Sep::Semi);
                    before = Sep::Semi;
                }
                Tok::Sep(sep) => {
                    skip_until_sep = false;
                    self.flush(&mut cur, before, sep);
                    before = sep;
                    if sep == Sep::Newline {
                        for (delim, strip) in pending_heredocs.drain(..) {
                            self.skip_heredoc_body(&delim, strip);
                        }
                    }
                }
                Tok::Close | Tok::Eof => {
                    self.flush(&mut cur, before, Sep::End);
                    return;
                }
            }
        }
    }

    fn flush(&mut self, cur: &mut Pending, before: Sep, after: Sep) {
        if cur.words.is_empty() && cur.assignments.is_empty() {
            cur.redirects.clear();
            return;
        }
        let all = cur.assignments.iter().chain(&cur.words);
        let start = all.clone().map(|w| w.start).min().unwrap_or(0);
        let end = all.map(|w| w.end).max().unwrap_or(0);
        let cmd = Command {
            assignments: std::mem::take(&mut cur.assignments),
            words: std::mem::take(&mut cur.words),
            redirects: std::mem::take(&mut cur.redirects),
            before,
            after,
            depth: self.depth,
            start,
            end,
            exact: true,
            program: None,
            name_at: 0,
        };
        let mut cmd = cmd;
        cmd.program = cmd.find_program();
        if let Some(i) = cmd.program {
            cmd.name_at = cmd.words[i].value.rfind('/').map_or(0, |p| p + 1);
        }

        // `sh -c 'script'`: parse the script too.
        let inner = shell_c_script(&cmd);
        self.out.push(cmd);
        if let Some((script, base)) = inner {
            let mut sub = Parser {
                src: script.as_bytes(),
                text: &script,
                pos: 0,
                depth: self.depth + 1,
                out: Vec::new(),
            };
            sub.script(None);
            for mut c in sub.out {
                if let Some(base) = base {
                    shift(&mut c, base);
                } else {
                    c.exact = false;
                    c.start = start;
                    c.end = end;
                    for w in c
                        .words
                        .iter_mut()
                        .chain(&mut c.assignments)
                        .chain(&mut c.redirects)
                    {
                        w.start = start;
                        w.end = end;
                    }
                }
                self.out.push(c);
            }
        }
    }

    fn skip_heredoc_body(&mut self, delim: &str, strip_tabs: bool) {
        while self.pos < self.src.len() {
            let line_end = self.text[self.pos..]
                .find('\n')
                .map(|i| self.pos + i)
                .unwrap_or(self.src.len());
            let mut line = &self.text[self.pos..line_end];
            line = line.trim_end_matches('\r');
            if strip_tabs {
                line = line.trim_start_matches('\t');
            }
            self.pos = (line_end + 1).min(self.src.len());
            if line == delim {
                return;
            }
        }
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if c == b' ' || c == b'\t' || c == b'\r' {
                self.pos += 1;
            } else if c == b'\\' && self.peek_at(1) == Some(b'\n') {
                self.pos += 2;
            } else if c == b'\\' && self.peek_at(1) == Some(b'\r') && self.peek_at(2) == Some(b'\n')
            {
                self.pos += 3;
            } else {
                break;
            }
        }
    }

    fn token(&mut self, close: Option<u8>) -> Tok {
        self.skip_blanks();
        let Some(c) = self.peek() else {
            return Tok::Eof;
        };
        if Some(c) == close {
            self.pos += 1;
            return Tok::Close;
        }
        match c {
            b'\n' => {
                self.pos += 1;
                return Tok::Sep(Sep::Newline);
            }
            b'#' => {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
                return self.token(close);
            }
            b'&' => {
                if self.peek_at(1) == Some(b'&') {
                    self.pos += 2;
                    return Tok::Sep(Sep::And);
                }
                if self.peek_at(1) == Some(b'>') {
                    self.pos += if self.peek_at(2) == Some(b'>') { 3 } else { 2 };
                    return Tok::Redirect(false);
                }
                self.pos += 1;
                return Tok::Sep(Sep::Background);
            }
            b'|' => {
                if self.peek_at(1) == Some(b'|') {
                    self.pos += 2;
                    return Tok::Sep(Sep::Or);
                }
                self.pos += if self.peek_at(1) == Some(b'&') { 2 } else { 1 };
                return Tok::Sep(Sep::Pipe);
            }
            b';' => {
                if self.peek_at(1) == Some(b';') {
                    self.pos += 2;
                    return Tok::DoubleSemi;
                }
                self.pos += 1;
                return Tok::Sep(Sep::Semi);
            }
            b'(' => {
                self.pos += 1;
                return Tok::OpenParen;
            }
            b')' => {
                self.pos += 1;
                return Tok::CloseParen;
            }
            b'<' | b'>' => return self.redirect(),
            b'0'..=b'9' => {
                // `2>file`, `2>&1`: a redirection with an fd prefix.
                let digits = self.src[self.pos..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if matches!(self.peek_at(digits), Some(b'<' | b'>')) {
                    self.pos += digits;
                    return self.redirect();
                }
            }
            _ => {}
        }
        Tok::Word(self.word(close))
    }

    fn redirect(&mut self) -> Tok {
        let c = self.peek().unwrap_or(b'>');
        self.pos += 1;
        if c == b'<' && self.peek() == Some(b'<') {
            self.pos += 1;
            if self.peek() == Some(b'<') {
                self.pos += 1; // here-string: target is a word
                return Tok::Redirect(false);
            }
            return Tok::Redirect(true);
        }
        if matches!(self.peek(), Some(b'>' | b'&' | b'|')) {
            self.pos += 1;
        }
        Tok::Redirect(false)
    }

    fn word(&mut self, close: Option<u8>) -> Word {
        let start = self.pos;
        let mut value = String::new();
        let mut quoted = false;
        let mut expansion = false;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                    if Some(c) == close
                        || !matches!(c, b'(' | b')')
                        || value.is_empty()
                        || c == b')'
                    {
                        break;
                    }
                    // `(` inside a word (e.g. a glob) — keep it.
                    value.push(c as char);
                    self.pos += 1;
                }
                b'\\' => match self.peek_at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(_) => {
                        quoted = true;
                        let ch = self.text[self.pos + 1..].chars().next().unwrap_or('\\');
                        value.push(ch);
                        self.pos += 1 + ch.len_utf8();
                    }
                    None => self.pos += 1,
                },
                b'\'' => {
                    quoted = true;
                    self.pos += 1;
                    let end = self.text[self.pos..]
                        .find('\'')
                        .map(|i| self.pos + i)
                        .unwrap_or(self.src.len());
                    value.push_str(&self.text[self.pos..end]);
                    self.pos = (end + 1).min(self.src.len());
                }
                b'"' => {
                    quoted = true;
                    self.pos += 1;
                    while let Some(d) = self.peek() {
                        match d {
                            b'"' => {
                                self.pos += 1;
                                break;
                            }
                            b'\\' => {
                                let next = self.peek_at(1);
                                if matches!(next, Some(b'"' | b'\\' | b'$' | b'`')) {
                                    value.push(next.unwrap_or(b'\\') as char);
                                    self.pos += 2;
                                } else if next == Some(b'\n') {
                                    self.pos += 2;
                                } else {
                                    value.push('\\');
                                    self.pos += 1;
                                }
                            }
                            b'$' if self.peek_at(1) == Some(b'(') => {
                                expansion = true;
                                let s = self.pos;
                                self.substitution();
                                value.push_str(&self.text[s..self.pos]);
                            }
                            b'$' | b'`' => {
                                expansion = true;
                                if d == b'`' {
                                    let s = self.pos;
                                    self.backticks();
                                    value.push_str(&self.text[s..self.pos]);
                                } else {
                                    value.push('$');
                                    self.pos += 1;
                                }
                            }
                            _ => {
                                let ch = self.text[self.pos..].chars().next().unwrap_or(' ');
                                value.push(ch);
                                self.pos += ch.len_utf8();
                            }
                        }
                    }
                }
                b'$' => {
                    expansion = true;
                    let s = self.pos;
                    match self.peek_at(1) {
                        Some(b'(') => self.substitution(),
                        Some(b'{') => {
                            let end = self.text[self.pos..]
                                .find('}')
                                .map(|i| self.pos + i + 1)
                                .unwrap_or(self.src.len());
                            self.pos = end;
                        }
                        Some(b'\'') => {
                            // $'ANSI-C'
                            self.pos += 2;
                            let end = self.text[self.pos..]
                                .find('\'')
                                .map(|i| self.pos + i + 1)
                                .unwrap_or(self.src.len());
                            self.pos = end;
                        }
                        _ => self.pos += 1,
                    }
                    value.push_str(&self.text[s..self.pos]);
                }
                b'`' => {
                    expansion = true;
                    let s = self.pos;
                    self.backticks();
                    value.push_str(&self.text[s..self.pos]);
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or(' ');
                    value.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
        if self.pos == start {
            // A lone byte we do not understand: consume it so we always progress.
            self.pos += 1;
        }
        Word {
            value,
            raw: self.text[start..self.pos].to_string(),
            start,
            end: self.pos,
            quoted,
            expansion,
        }
    }

    /// `$( ... )`, parsed as a nested script.
    fn substitution(&mut self) {
        self.pos += 2;
        self.depth += 1;
        self.script(Some(b')'));
        self.depth -= 1;
    }

    /// `` `...` ``, parsed as a nested script.
    fn backticks(&mut self) {
        self.pos += 1;
        let end = self.text[self.pos..]
            .find('`')
            .map(|i| self.pos + i)
            .unwrap_or(self.src.len());
        let inner = &self.text[self.pos..end];
        let mut sub = Parser {
            src: inner.as_bytes(),
            text: inner,
            pos: 0,
            depth: self.depth + 1,
            out: Vec::new(),
        };
        sub.script(None);
        let base = self.pos;
        for mut c in sub.out {
            shift(&mut c, base);
            self.out.push(c);
        }
        self.pos = (end + 1).min(self.src.len());
    }
}

fn shift(c: &mut Command, base: usize) {
    c.start += base;
    c.end += base;
    for w in c
        .words
        .iter_mut()
        .chain(&mut c.assignments)
        .chain(&mut c.redirects)
    {
        w.start += base;
        w.end += base;
    }
}

fn is_assignment(raw: &str) -> bool {
    let Some((name, _)) = raw.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// For `sh -c 'script'` (also bash, dash, ash, zsh, su -c): the script, and its
/// offset in the parsed text when it maps one-to-one (a single-quoted word).
fn shell_c_script(cmd: &Command) -> Option<(String, Option<usize>)> {
    let name = cmd.name()?;
    if !matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "su") {
        return None;
    }
    let args = cmd.args();
    let i = args.iter().position(|a| {
        let v = a.value.as_str();
        v == "-c"
            || (v.starts_with('-') && !v.starts_with("--") && v.ends_with('c') && v.len() <= 4)
    })?;
    let script = args.get(i + 1)?;
    let base = (script.raw.starts_with('\'')
        && script.raw.ends_with('\'')
        && script.raw.len() >= 2
        && script.raw.len() - 2 == script.value.len())
    .then_some(script.start + 1);
    Some((script.value.clone(), base))
}

/// A script of a RUN instruction, with a way to map its offsets to the
/// Dockerfile's bytes.
#[derive(Debug, Clone)]
pub struct RunScript {
    pub script: Script,
    /// Where it came from.
    pub origin: ScriptOrigin,
    map: OffsetMap,
    /// The text run, as the shell receives it (exec-form words joined).
    pub text: String,
    /// The shell that runs it: the stage's `SHELL` (default `/bin/sh -c`), or a
    /// heredoc's shebang.
    pub shell: Vec<String>,
    /// The heredoc bodies and terminators the shell reads after a command line
    /// that has heredocs (`cat <<EOF > /etc/x`): parsed with the text.
    heredoc_text: String,
    syntax: std::cell::OnceCell<syntax::Syntax>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOrigin {
    /// `RUN cmd` (shell form).
    ShellForm,
    /// `RUN ["sh", "-c", "cmd"]` or `RUN ["cmd", "arg"]`.
    ExecForm,
    /// A heredoc body run as a script (index into `heredocs`).
    Heredoc(usize),
}

#[derive(Debug, Clone)]
enum OffsetMap {
    /// Offsets are into `Instruction::original`, starting at `base`.
    Original { base: usize },
    /// Offsets are into the source, starting at `base`.
    Source { base: usize },
    /// No mapping (exec form): whole instruction.
    None,
}

impl RunScript {
    fn new(text: String, origin: ScriptOrigin, map: OffsetMap, shell: Vec<String>) -> Self {
        RunScript {
            script: parse(&text),
            origin,
            map,
            text,
            shell,
            heredoc_text: String::new(),
            syntax: std::cell::OnceCell::new(),
        }
    }

    /// The dialect of the shell that runs the script.
    pub fn dialect(&self) -> syntax::Dialect {
        self.shell
            .first()
            .and_then(|p| syntax::Dialect::of_program(p))
            .unwrap_or(syntax::Dialect::Sh)
    }

    /// Whether the shell runs with option `name` set (`SHELL ["/bin/bash", "-o",
    /// "pipefail", "-c"]`, `-e`, `-eux`).
    pub fn shell_option(&self, name: &str) -> bool {
        let letter = match name {
            "errexit" => Some('e'),
            "nounset" => Some('u'),
            _ => None,
        };
        self.shell.windows(2).any(|w| w[0] == "-o" && w[1] == name)
            || self.shell.iter().skip(1).any(|a| {
                a.strip_prefix('-')
                    .is_some_and(|f| !f.starts_with('-') && letter.is_some_and(|l| f.contains(l)))
            })
    }

    /// The shell's syntax tree of the script (parsed on first use).
    pub fn syntax(&self) -> &syntax::Syntax {
        self.syntax.get_or_init(|| {
            if self.heredoc_text.is_empty() {
                syntax::parse(&self.text, self.dialect())
            } else {
                let text = format!("{}\n{}", self.text, self.heredoc_text);
                syntax::parse(&text, self.dialect())
            }
        })
    }

    /// The source span of a range of the script, when it can be mapped.
    pub fn span(&self, ins: &Instruction, start: usize, end: usize) -> Option<Span> {
        match self.map {
            OffsetMap::Original { base } => Some(ins.original_span(base + start, base + end)),
            OffsetMap::Source { base } => Some(Span::new(base + start, base + end)),
            OffsetMap::None => None,
        }
    }

    /// The source span of a word, or the instruction's span when unmappable.
    pub fn word_span(&self, ins: &Instruction, w: &Word) -> Span {
        self.span(ins, w.start, w.end).unwrap_or(ins.span)
    }

    /// The source span of a command, or the instruction's span.
    pub fn command_span(&self, ins: &Instruction, c: &Command) -> Span {
        self.span(ins, c.start, c.end).unwrap_or(ins.span)
    }

    /// Whether offsets map exactly to the file (fixes are possible).
    pub fn fixable(&self) -> bool {
        !matches!(self.map, OffsetMap::None)
    }

    /// The exact source span of a word, for an edit; `None` when the word's
    /// offsets are not exact.
    pub fn edit_span(&self, ins: &Instruction, cmd: &Command, w: &Word) -> Option<Span> {
        if !cmd.exact {
            return None;
        }
        self.span(ins, w.start, w.end)
    }

    /// Where to append `&& more` so it runs after the whole script (the end of its
    /// last command), for shell-form scripts only.
    pub fn append_point(&self, ins: &Instruction) -> Option<usize> {
        if self.origin != ScriptOrigin::ShellForm {
            return None;
        }
        let last = self
            .script
            .commands
            .iter()
            .filter(|c| c.depth == 0 && c.exact)
            .max_by_key(|c| c.end)?;
        // Redirections may follow the last word.
        let end = last
            .redirects
            .iter()
            .map(|r| r.end)
            .max()
            .unwrap_or(last.end)
            .max(last.end);
        self.span(ins, end, end).map(|s| s.end)
    }
}

/// Whether a SHELL instruction's program is a POSIX-like shell.
pub fn is_posix_shell(program: &str) -> bool {
    matches!(
        basename(program),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "busybox" | "mksh"
    )
}

/// The scripts a RUN (or ONBUILD RUN) instruction runs. Empty when the stage's
/// SHELL is not a POSIX shell (PowerShell, cmd) — shell rules do not apply there.
pub fn scripts(df: &Dockerfile, ins: &Instruction) -> Vec<RunScript> {
    let ins = match &ins.onbuild {
        Some(sub) if ins.keyword == "ONBUILD" => sub.as_ref(),
        _ => ins,
    };
    let shell = stage_shell(df, ins);
    if ins.keyword != "RUN" || !shell.first().is_some_and(|p| is_posix_shell(p)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if ins.json {
        let args = &ins.args;
        let (text, shell) = match args.first().map(|a| basename(a)) {
            Some(s) if is_posix_shell(s) && args.len() >= 3 && args[1] == "-c" => {
                (args[2].clone(), args[..2].to_vec())
            }
            Some(_) => {
                // An exec-form command: its words, no shell.
                let text = args
                    .iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" ");
                (text, vec!["/bin/sh".to_string(), "-c".to_string()])
            }
            None => (String::new(), shell),
        };
        out.push(RunScript::new(
            text,
            ScriptOrigin::ExecForm,
            OffsetMap::None,
            shell,
        ));
        return out;
    }
    if let Some((text, base)) = ins.shell_text() {
        let mut script = RunScript::new(
            text.to_string(),
            ScriptOrigin::ShellForm,
            OffsetMap::Original { base },
            shell.clone(),
        );
        for h in &ins.heredocs {
            script.heredoc_text.push_str(&h.content);
            if !h.content.is_empty() && !h.content.ends_with('\n') {
                script.heredoc_text.push('\n');
            }
            script.heredoc_text.push_str(&h.name);
            script.heredoc_text.push('\n');
        }
        out.push(script);
    }
    // A heredoc is a script when the command line is just the marker (BuildKit runs
    // it with the shell) or feeds a shell (`bash <<EOF`), unless it has a shebang for
    // something else.
    let line = ins.shell_command().unwrap_or("").trim();
    let line_words: Vec<&str> = line.split_whitespace().collect();
    let feeds_shell = line_words.first().is_some_and(|w| w.starts_with("<<"))
        || line_words.first().is_some_and(|w| is_posix_shell(w));
    for (i, h) in ins.heredocs.iter().enumerate() {
        // `<<-EOF` strips leading tabs, so a tab-indented shebang counts.
        let shebang = h
            .content
            .lines()
            .next()
            .map(|l| {
                if h.chomp {
                    l.trim_start_matches('\t')
                } else {
                    l
                }
            })
            .filter(|l| l.starts_with("#!"));
        let shell_shebang = shebang.is_none_or(|l| {
            let prog = l
                .trim_start_matches("#!")
                .split_whitespace()
                .collect::<Vec<_>>();
            match prog.as_slice() {
                [p] => is_posix_shell(p),
                [env, p, ..] if basename(env) == "env" => is_posix_shell(p),
                [p, ..] => is_posix_shell(p),
                [] => true,
            }
        });
        if feeds_shell && shell_shebang && h.fd == 0 {
            // The shebang's shell, else the one fed (`bash <<EOF`), else SHELL.
            let runs = match shebang {
                Some(l) => {
                    let words: Vec<String> = l
                        .trim_start_matches("#!")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect();
                    match words.first().map(|w| basename(w)) {
                        Some("env") => words[1..].to_vec(),
                        _ => words,
                    }
                }
                None if line_words.first().is_some_and(|w| is_posix_shell(w)) => {
                    line_words.iter().map(|w| w.to_string()).collect()
                }
                None => shell.clone(),
            };
            out.push(RunScript::new(
                h.content.clone(),
                ScriptOrigin::Heredoc(i),
                OffsetMap::Source {
                    base: h.content_span.start,
                },
                runs,
            ));
        }
    }
    out
}

/// The shell of the stage at `ins`: its last `SHELL` before `ins` (looking
/// through the stages it is built on), else `/bin/sh -c`.
fn stage_shell(df: &Dockerfile, ins: &Instruction) -> Vec<String> {
    let mut shell = vec!["/bin/sh".to_string(), "-c".to_string()];
    let Some(stage) = ins.stage else { return shell };
    // SHELL applies to later instructions of the stage (and stages built on it).
    let mut chain = vec![stage];
    let mut s = stage;
    while let Some(b) = df.stages[s].base_stage {
        chain.push(b);
        s = b;
    }
    for st in chain.into_iter().rev() {
        for i in df.stage_instructions(st) {
            if i.span.start >= ins.span.start {
                break;
            }
            if i.keyword == "SHELL" && i.json {
                shell = i.args.clone();
            }
        }
    }
    shell
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        parse(s)
            .commands
            .iter()
            .map(|c| c.name().unwrap_or("-").to_string())
            .collect()
    }

    #[test]
    fn splits_at_operators() {
        assert_eq!(
            names("apt-get update && apt-get install -y curl || true; echo a | tee b & wait"),
            vec!["apt-get", "apt-get", "true", "echo", "tee", "wait"]
        );
        let s = parse("a && b || c | d");
        let seps: Vec<(Sep, Sep)> = s.commands.iter().map(|c| (c.before, c.after)).collect();
        assert_eq!(
            seps,
            vec![
                (Sep::Start, Sep::And),
                (Sep::And, Sep::Or),
                (Sep::Or, Sep::Pipe),
                (Sep::Pipe, Sep::End)
            ]
        );
    }

    #[test]
    fn quotes_and_offsets() {
        let text = r#"echo "a b" 'c d' e\ f "$HOME/x""#;
        let s = parse(text);
        let c = &s.commands[0];
        let vals: Vec<&str> = c.words.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(vals, vec!["echo", "a b", "c d", "e f", "$HOME/x"]);
        assert_eq!(&text[c.words[1].start..c.words[1].end], "\"a b\"");
        assert!(c.words[4].expansion);
    }

    #[test]
    fn assignments_redirects_and_wrappers() {
        let s =
            parse("DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y x > /dev/null 2>&1");
        let c = &s.commands[0];
        assert_eq!(c.assignments[0].value, "DEBIAN_FRONTEND=noninteractive");
        assert_eq!(c.name(), Some("apt-get"));
        assert_eq!(
            c.args()
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>(),
            vec!["install", "-y", "x"]
        );
        assert_eq!(c.redirects.len(), 2);
        assert_eq!(
            parse("env -u X A=b timeout 10 /usr/bin/curl -sSL x").commands[0].name(),
            Some("curl")
        );
    }

    #[test]
    fn flags_and_operands() {
        let c = &parse("apt-get -qy -o Dpkg::Options::=--force-confnew install --no-install-recommends curl=7.1 wget").commands[0];
        assert!(c.has_flag(&['y'], &["yes", "assume-yes"]));
        assert!(c.has_flag(&[], &["no-install-recommends"]));
        assert!(!c.has_flag(&['s'], &["simulate"]));
        let ops: Vec<&str> = c
            .operands(&["-o", "-t"])
            .iter()
            .map(|(_, w)| w.value.as_str())
            .collect();
        assert_eq!(ops, vec!["install", "curl=7.1", "wget"]);
        assert_eq!(
            c.flag_value(&['o'], &[]),
            Some("Dpkg::Options::=--force-confnew")
        );
    }

    #[test]
    fn nested_scripts() {
        assert_eq!(
            names("echo $(curl -s x | sh) `wget y`"),
            vec!["echo", "curl", "sh", "wget"]
        );
        let s = parse("sh -c 'apt-get update && apt-get install -y x'");
        let inner: Vec<_> = s
            .commands
            .iter()
            .filter(|c| c.depth == 1)
            .map(|c| c.name().unwrap())
            .collect();
        assert_eq!(inner, vec!["apt-get", "apt-get"]);
        let text = "sh -c 'apt-get install x'";
        let c = s_cmd(text, "apt-get");
        assert_eq!(&text[c.words[0].start..c.words[0].end], "apt-get");
    }

    fn s_cmd(text: &str, name: &str) -> Command {
        parse(text)
            .commands
            .into_iter()
            .find(|c| c.is(name))
            .unwrap()
    }

    #[test]
    fn control_flow_and_comments() {
        assert_eq!(
            names("if [ -f x ]; then rm x; else touch x; fi"),
            vec!["[", "rm", "touch"]
        );
        assert_eq!(names("for f in a b; do gzip $f; done"), vec!["gzip"]);
        assert_eq!(
            names("set -eux; \\\n  apk add x # trailing comment\n  # full line\n  rm -rf y"),
            vec!["set", "apk", "rm"]
        );
        assert_eq!(
            names("case $x in a) echo a;; b|c) rm b; rm c;; *) true ;; esac; ls"),
            vec!["echo", "rm", "rm", "true", "ls"]
        );
        assert_eq!(
            names(
                "case \"$arch\" in \\\n amd64 | arm64) \\\n apt-get update; \\\n ;; \\\n *) \\\n cd /tmp; \\\n ;; \\\n esac; \\\n echo done"
            ),
            vec!["apt-get", "cd", "echo"]
        );
        assert_eq!(names("case x in (a) ls;; esac"), vec!["ls"]);
        assert_eq!(
            names("(cd /x && make) || exit 1"),
            vec!["cd", "make", "exit"]
        );
    }

    #[test]
    fn heredocs_in_scripts_are_skipped() {
        assert_eq!(
            names("cat <<EOF > /etc/x\napt-get install y\nEOF\necho done"),
            vec!["cat", "echo"]
        );
    }

    #[test]
    fn never_panics() {
        for s in [
            "", "\\", "'", "\"", "$(", "`", "${", "&&&", "|||", "2>", "<<", "a=b", "((", "))",
            "é ü", "$'x", "a\\\r\nb", "\"\\",
        ] {
            let _ = parse(s);
        }
    }

    #[test]
    fn run_scripts_map_to_source() {
        let text = "FROM x\nRUN apt-get update \\\n  && apt-get install -y curl\nRUN <<EOF\nset -e\napk add jq\nEOF\nRUN [\"sh\", \"-c\", \"pip install x\"]\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-Thing\n";
        let df = Dockerfile::parse(text).unwrap();
        let s = scripts(&df, &df.instructions[1]);
        let c = s[0].script.commands_named("apt-get").nth(1).unwrap();
        let w = c.args().last().unwrap();
        assert_eq!(df.slice(s[0].word_span(&df.instructions[1], w)), "curl");
        let s = scripts(&df, &df.instructions[2]);
        assert_eq!(s.len(), 2);
        let apk = s[1].script.commands_named("apk").next().unwrap();
        assert_eq!(
            df.slice(s[1].command_span(&df.instructions[2], apk)),
            "apk add jq"
        );
        let s = scripts(&df, &df.instructions[3]);
        assert!(s[0].script.runs("pip") && !s[0].fixable());
        assert!(
            scripts(&df, &df.instructions[5]).is_empty(),
            "PowerShell is not analysed"
        );
    }
}

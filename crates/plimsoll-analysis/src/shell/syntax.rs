//! The shell's syntax tree, for rules that need more than "which commands run":
//! quoting, expansions, command substitutions, and/or lists, conditions, loops
//! and functions. Parsed into the tree of [`brush_parser`] (the parser of the
//! `brush` shell: POSIX and bash grammar, source positions on every word, pure
//! Rust, builds for wasm32-wasip2), by `direct` for nearly every RUN script and
//! by brush-parser itself for the rest, then flattened into [`Syntax`]: every
//! simple command, with the structure around it that ShellCheck-style rules ask
//! about.
//!
//! Offsets are byte offsets into the parsed text, like [`super::Word`]'s, so a
//! [`super::RunScript`] maps them back to the Dockerfile.

use brush_parser::ast;
use brush_parser::word::{
    Parameter, ParameterExpr, SpecialParameter, WordPiece, WordPieceWithSource,
};
use std::cell::RefCell;
use std::rc::Rc;

use super::Sep;
use super::parsed::Kept;

/// Which grammar: `/bin/sh` (dash, busybox ash) or bash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sh,
    Bash,
}

impl Dialect {
    /// The dialect of a shell program path (`/bin/bash` -> Bash); `None` for
    /// shells that are not POSIX-like (`pwsh`, `cmd`).
    pub fn of_program(program: &str) -> Option<Dialect> {
        match super::basename(program) {
            "sh" | "dash" | "ash" | "busybox" => Some(Dialect::Sh),
            "bash" | "ksh" | "mksh" | "zsh" => Some(Dialect::Bash),
            _ => None,
        }
    }
}

/// A script the shell would refuse to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset where the shell gives up (the end of the text when the
    /// script ends too early).
    pub at: usize,
    pub message: String,
}

/// How a part of a word is quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    None,
    Single,
    Double,
    /// `$'...'`
    AnsiC,
}

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub start: usize,
    pub end: usize,
    pub quoting: Quoting,
    pub kind: PartKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartKind {
    /// Text with quotes and escapes removed.
    Literal(String),
    /// `$name`, `${name...}`, `$1`, `$@`, `$?`...
    Parameter(ParameterRef),
    /// `$(...)`, or backticks when `backtick`.
    CommandSubstitution { backtick: bool },
    /// `$((...))`
    Arithmetic,
    /// `~`, `~user`
    Tilde,
}

/// A parameter expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterRef {
    /// The variable name (`HOME`), the digit of a positional parameter, or the
    /// special character (`?`, `@`, `#`...).
    pub name: String,
    /// What the expansion does beyond reading the value.
    pub op: ParameterOp,
    /// The bash feature it uses that POSIX sh (dash) lacks: `string
    /// replacement` (`${x/a/b}`), `string indexing` (`${x:1:2}`), `case
    /// modification` (`${x^^}`), `indirect expansion` (`${!x}`), `arrays`.
    pub bash_only: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterOp {
    /// `$x`, `${x}`
    Value,
    /// `${#x}`: a number.
    Length,
    /// `${x:?msg}`: never empty (the shell stops instead).
    ErrorIfUnset,
    /// `${x:-d}`, `${x:+a}`, `${x:=d}`.
    Default,
    /// Pattern removal, replacement, substring, case changes.
    Transform,
}

impl ParameterRef {
    /// `$?`, `$#`, `$$`, `$!`, `${#x}`: always a number, so never split or globbed.
    pub fn is_numeric(&self) -> bool {
        self.op == ParameterOp::Length || matches!(self.name.as_str(), "?" | "#" | "$" | "!")
    }

    pub fn is_special(&self) -> bool {
        !self
            .name
            .starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    }
}

/// A word as written, with its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShWord {
    pub start: usize,
    pub end: usize,
    /// As written.
    pub raw: String,
    pub parts: Vec<Part>,
}

impl ShWord {
    /// Unquoted and without expansions: the literal text, if the word is one.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match &p.kind {
                PartKind::Literal(t) => s.push_str(t),
                _ => return None,
            }
        }
        Some(s)
    }

    pub fn is(&self, s: &str) -> bool {
        match self.parts.as_slice() {
            [
                Part {
                    kind: PartKind::Literal(t),
                    ..
                },
            ] => t == s,
            _ => self.literal().as_deref() == Some(s),
        }
    }

    /// The literal text when the word is one unquoted or quoted literal part,
    /// without allocating.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [
                Part {
                    kind: PartKind::Literal(t),
                    ..
                },
            ] => Some(t),
            _ => None,
        }
    }

    /// Whether any part is quoted.
    pub fn quoted(&self) -> bool {
        self.parts.iter().any(|p| p.quoting != Quoting::None)
    }

    /// The literal text of the word's leading literal parts.
    pub fn literal_prefix(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match &p.kind {
                PartKind::Literal(t) => s.push_str(t),
                _ => break,
            }
        }
        s
    }
}

/// What follows a pipeline in an and/or list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    None,
    And,
    Or,
}

/// `NAME=value`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShAssignment {
    pub name: String,
    /// The scalar value (`None` for arrays).
    pub value: Option<ShWord>,
    pub start: usize,
    pub end: usize,
}

/// A simple command and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` before the command name (and, for declaration builtins
    /// such as `export`/`local`, their `NAME=value` operands).
    pub assignments: Vec<ShAssignment>,
    /// The command name and its arguments.
    pub words: Vec<ShWord>,
    /// Redirection targets (`> file`), not heredoc bodies.
    pub redirect_targets: Vec<ShWord>,
    pub start: usize,
    pub end: usize,
    /// 0 at top level; +1 inside each command substitution.
    pub depth: u32,
    /// Runs as the condition of `if`/`while`/`until`, or before `&&`/`||`
    /// (its status is checked).
    pub checked: bool,
    /// What follows its pipeline: `cmd || exit` is `Or`.
    pub next: Next,
    /// The pipeline's length and this command's place in it (`a | b`: 2 and 1 for `b`).
    pub pipeline_len: usize,
    pub pipeline_index: usize,
    /// Inside a function body.
    pub in_function: bool,
    /// Inside a `( ... )` subshell.
    pub in_subshell: bool,
    /// Runs only on some paths: in an `if`/`case` branch, a loop body, a
    /// function, or after `&&`/`||`.
    pub conditional: bool,
    /// The operators on either side (`a && b | c`: `b` is between `And` and
    /// `Pipe`).
    pub before: super::Sep,
    pub after: super::Sep,
    /// The basename of the command name when written literally, worked out
    /// once: rules ask [`SimpleCommand::is`] of every command many times.
    program: Option<Box<str>>,
}

impl SimpleCommand {
    /// The command name, when written literally.
    pub fn name(&self) -> Option<String> {
        self.words.first().and_then(ShWord::literal)
    }

    /// Whether the command runs `name` (`/usr/bin/find` is `find`).
    pub fn is(&self, name: &str) -> bool {
        self.program.as_deref() == Some(name)
    }

    pub fn args(&self) -> &[ShWord] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// A `for` loop's word list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForLoop {
    pub variable: String,
    pub values: Vec<ShWord>,
    pub start: usize,
    pub end: usize,
    pub depth: u32,
}

/// The words of `[[ ... ]]` and `case` subjects: never split or globbed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Syntax {
    pub commands: Vec<SimpleCommand>,
    pub for_loops: Vec<ForLoop>,
    /// `[[ ... ]]` tests (byte range) and the words they compare.
    pub extended_tests: Vec<((usize, usize), Vec<ShWord>)>,
    /// `<(...)` and `>(...)` (byte ranges).
    pub process_substitutions: Vec<(usize, usize)>,
    pub case_subjects: Vec<ShWord>,
    /// Functions defined: names.
    pub functions: Vec<String>,
    /// The first syntax error, if the text does not parse.
    pub error: Option<SyntaxError>,
}

impl Syntax {
    /// Every word of the script: command words, assignment values, redirect
    /// targets, loop lists, test operands.
    pub fn all_words(&self) -> impl Iterator<Item = &ShWord> {
        self.commands
            .iter()
            .flat_map(|c| {
                // `export A=$x` is a word and an assignment: once.
                let own = c
                    .assignments
                    .iter()
                    .filter(|a| !c.words.iter().any(|w| w.start == a.start))
                    .filter_map(|a| a.value.as_ref());
                c.words.iter().chain(own).chain(c.redirect_targets.iter())
            })
            .chain(self.for_loops.iter().flat_map(|f| f.values.iter()))
            .chain(self.extended_tests.iter().flat_map(|(_, w)| w))
            .chain(self.case_subjects.iter())
    }

    /// Variables the script assigns (`x=1`, `export x=1`, `read x`, `for x`).
    pub fn assigned(&self) -> impl Iterator<Item = &str> {
        self.commands
            .iter()
            .flat_map(|c| c.assignments.iter().map(|a| a.name.as_str()))
            .chain(self.for_loops.iter().map(|f| f.variable.as_str()))
    }
}

/// Parses `text` as `dialect`. A script with an unterminated quote keeps the
/// commands written before the quote (the shell would not run them either,
/// but what they say is still worth checking), with the error.
pub fn parse(text: &str, dialect: Dialect) -> Syntax {
    let mut b = Builder::new(text, dialect);
    // brush's parser recurses once per level: a script nested hundreds of
    // levels deep would exhaust the plugin's stack. No real script comes near.
    if let Some(at) = too_deep(text) {
        b.out.error = Some(SyntaxError {
            at,
            message: format!(
                "the script nests more than {MAX_NESTING} levels deep (`if`, loops, `(`, `{{`, `$(`); it is not analysed"
            ),
        });
        return b.out;
    }
    let options = b.options.clone();
    match program(text, &options) {
        Ok(p) => {
            for c in &p.complete_commands {
                b.compound_list(c, &Ctx::default());
            }
        }
        Err(e) => {
            use brush_parser::TokenizerError as T;
            let quote = match &e {
                brush_parser::ParseError::Tokenizing {
                    inner:
                        T::UnterminatedSingleQuote(p)
                        | T::UnterminatedDoubleQuote(p)
                        | T::UnterminatedBackquote(p)
                        | T::UnterminatedAnsiCQuote(p),
                    ..
                } => Some(b.byte(p.index)),
                _ => None,
            };
            let at = match &e {
                _ if quote.is_some() => quote.unwrap_or_default(),
                brush_parser::ParseError::ParsingNear(p) => b.byte(p.index),
                brush_parser::ParseError::Tokenizing {
                    position: Some(p), ..
                } => b.byte(p.index),
                _ => text.trim_end().len(),
            };
            let message = match &e {
                brush_parser::ParseError::Tokenizing { inner, .. } => tokenizer_message(inner),
                brush_parser::ParseError::ParsingAtEndOfInput => {
                    "the script ends in the middle of a command (an unclosed `if`, loop, `{`, `(` or `$(`?)"
                        .to_string()
                }
                brush_parser::ParseError::ParsingNear(_) if too_large_fd(text, &options).is_some() => {
                    "a file descriptor number past 2147483647 stands before `<` or `>`: bash and dash read it as a word, plimsoll's shell parser cannot read this script; it is not analysed"
                        .to_string()
                }
                brush_parser::ParseError::ParsingNear(_) => {
                    let near = text[at.min(text.len())..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("");
                    format!("the shell cannot parse the script near `{near}`")
                }
            };
            // The most common slip: `if [ ... ] then`, `for ...; do` without `;`.
            let (at, message) = match (&e, missing_separator(text)) {
                (
                    brush_parser::ParseError::ParsingAtEndOfInput
                    | brush_parser::ParseError::ParsingNear(_),
                    Some((kw_at, kw)),
                ) => (
                    b.base + kw_at,
                    format!(
                        "`{kw}` needs a `;` or a newline before it; without one it is an argument of the command before"
                    ),
                ),
                _ => (at, message),
            };
            if let Some(cut) = quote.filter(|&q| q > 0 && text.is_char_boundary(q))
                && let Ok(p) = program(&text[..cut], &options)
            {
                for c in &p.complete_commands {
                    b.compound_list(c, &Ctx::default());
                }
            }
            b.out.error = Some(SyntaxError { at, message });
        }
    }
    b.out
}

/// brush-parser's tree of `text`: built by [`direct::program`] for the
/// scripts it covers (nearly all RUN scripts), by brush-parser otherwise.
fn program(
    text: &str,
    options: &brush_parser::ParserOptions,
) -> Result<ast::Program, brush_parser::ParseError> {
    if let Some(p) = direct::program(text, options.sh_mode) {
        return Ok(p);
    }
    // brush-parser panics on a file descriptor number past `i32` (`echo
    // 99999999999>f`, which bash and dash read as a word): such a script
    // outside what `direct` parses is not handed to it.
    if let Some(at) = too_large_fd(text, options) {
        return Err(brush_parser::ParseError::ParsingNear(at));
    }
    brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), options).parse_program()
}

/// Where brush-parser's grammar would take a word of digits too many for an
/// `i32` as the file descriptor of the redirection right after it, and panic.
fn too_large_fd(
    text: &str,
    options: &brush_parser::ParserOptions,
) -> Option<brush_parser::SourcePosition> {
    use brush_parser::Token;
    // Most scripts have no run of ten digits at all: no tokenizing for them.
    let b = text.as_bytes();
    let long_digits = b.split(|c| !c.is_ascii_digit()).any(|run| run.len() >= 10);
    if !long_digits {
        return None;
    }
    let tokens = brush_parser::uncached_tokenize_str(text, &options.tokenizer_options()).ok()?;
    tokens.windows(2).find_map(|pair| match pair {
        [Token::Word(digits, l), Token::Operator(op, r)]
            if digits.bytes().all(|c| c.is_ascii_digit())
                && op.starts_with(['<', '>'])
                && l.end.index == r.start.index
                && digits.parse::<i32>().is_err() =>
        {
            Some((*l.start).clone())
        }
        _ => None,
    })
}

/// Nesting beyond which a script is not parsed.
pub const MAX_NESTING: usize = 150;

/// Where the nesting of `if`/loops/`case`, `(`, `{` and `$(` first goes past
/// [`MAX_NESTING`] (an over-estimate: single-quoted text is skipped, the rest
/// is counted as written).
fn too_deep(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut depth: usize = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                i += text[i + 1..].find('\'').map_or(b.len(), |j| j + 1);
            }
            b'\\' => i += 1,
            b'(' | b'{' => depth += 1,
            b')' | b'}' => depth = depth.saturating_sub(1),
            c if c.is_ascii_alphabetic() && (i == 0 || !ident(b[i - 1])) => {
                let end = i + b[i..].iter().take_while(|c| ident(**c)).count();
                match &text[i..end] {
                    "if" | "case" | "while" | "until" | "for" | "select" => depth += 1,
                    "fi" | "esac" | "done" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                i = end;
                continue;
            }
            _ => {}
        }
        if depth > MAX_NESTING {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Where `then` or `do` follows a command's words on the same line without a
/// separator (`if [ -f x ] then`), outside quotes.
fn missing_separator(text: &str) -> Option<(usize, &'static str)> {
    let b = text.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == b'\\' => i += 1,
            Some(_) => {}
            None if c == b'\'' || c == b'"' || c == b'`' => quote = Some(c),
            None if c == b'\\' => i += 1,
            None => {
                for kw in ["then", "do"] {
                    let end = i + kw.len();
                    let word = text.get(i..end) == Some(kw)
                        && i > 0
                        && b[i - 1].is_ascii_whitespace()
                        && b.get(end)
                            .is_none_or(|c| c.is_ascii_whitespace() || *c == b';');
                    if !word {
                        continue;
                    }
                    // The text before, back to the previous separator.
                    let before = text[..i].trim_end_matches([' ', '\t']);
                    let last = before.as_bytes().last().copied();
                    let keyword_before = ["if", "then", "do", "else", "elif", "while", "until"]
                        .iter()
                        .any(|k| before.ends_with(k));
                    if !matches!(last, None | Some(b';' | b'\n' | b'&' | b'|' | b'(' | b'{'))
                        && !keyword_before
                        && !before.ends_with("\\\n")
                    {
                        return Some((i, kw));
                    }
                }
            }
        }
        i += 1;
    }
    None
}

fn tokenizer_message(e: &brush_parser::TokenizerError) -> String {
    let s = e.to_string();
    // brush says "unterminated single quote at 6,27": the position is given
    // separately, so keep the words.
    match s.find(" at ") {
        Some(i) if s[i + 4..].starts_with(|c: char| c.is_ascii_digit()) => s[..i].to_string(),
        _ => s,
    }
}

#[derive(Debug, Clone, Default)]
struct Ctx {
    depth: u32,
    checked: bool,
    in_function: bool,
    in_subshell: bool,
    conditional: bool,
}

/// The most word text [`word_pieces`] keeps at once.
const WORDS_KEPT_BYTES: usize = 16 << 10;

thread_local! {
    /// Words with quotes or expansions read by [`word_pieces`], by text.
    static WORDS_KEPT: RefCell<Kept<Rc<Vec<WordPieceWithSource>>>> =
        RefCell::new(Kept::new(WORDS_KEPT_BYTES));
}

/// `raw`'s pieces as brush-parser's word parser reads them (built by
/// [`word::pieces`] for the words it covers), kept for the
/// next word with the same text: a pure function of the text (positions in
/// the pieces are relative to the word), and half of the words a plugin
/// instance sees in scripts it has not seen whole (`parsed.rs` keeps
/// those) are repeats (`"$GNUPGHOME"`, `${PHP_VERSION}`). Words it rejects
/// are not kept.
fn word_pieces(
    raw: &str,
    options: &brush_parser::ParserOptions,
) -> Option<Rc<Vec<WordPieceWithSource>>> {
    if let Some(hit) = WORDS_KEPT.with_borrow(|k| k.get(raw).cloned()) {
        return Some(hit);
    }
    // `word` reads most words itself, with the options the builder gives.
    let direct = (*options == brush_parser::ParserOptions::default())
        .then(|| word::pieces(raw))
        .flatten();
    let pieces = Rc::new(match direct {
        Some(pieces) => pieces,
        None => brush_parser::word::parse(raw, options).ok()?,
    });
    WORDS_KEPT.with_borrow_mut(|k| k.insert(raw, pieces.clone()));
    Some(pieces)
}

struct Builder<'t> {
    text: &'t str,
    /// Byte offset of each char, when the text is not ASCII (brush counts chars).
    char_bytes: Option<Vec<usize>>,
    /// Added to every offset (for nested scripts).
    base: usize,
    options: brush_parser::ParserOptions,
    /// Words are read with bash's expansions in every dialect, so that
    /// `${x/a/b}` in an sh script is seen for what it is (dash rejects it).
    word_options: brush_parser::ParserOptions,
    out: Syntax,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, dialect: Dialect) -> Self {
        let char_bytes = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect()
        });
        Builder {
            text,
            char_bytes,
            base: 0,
            options: brush_parser::ParserOptions {
                sh_mode: dialect == Dialect::Sh,
                ..Default::default()
            },
            word_options: brush_parser::ParserOptions::default(),
            out: Syntax::default(),
        }
    }

    /// Byte offset (in the outermost text) of char index `i` of this text.
    fn byte(&self, i: usize) -> usize {
        self.base
            + match &self.char_bytes {
                Some(map) => map.get(i).copied().unwrap_or(self.text.len()),
                None => i.min(self.text.len()),
            }
    }

    fn span(&self, loc: Option<&brush_parser::SourceSpan>) -> Option<(usize, usize)> {
        loc.map(|l| (self.byte(l.start.index), self.byte(l.end.index)))
    }

    fn compound_list(&mut self, list: &ast::CompoundList, ctx: &Ctx) {
        let mut before = Sep::Start;
        for (k, item) in list.0.iter().enumerate() {
            let sep = match item.1 {
                ast::SeparatorOperator::Async => Sep::Background,
                ast::SeparatorOperator::Sequence => Sep::Semi,
            };
            let after = if k + 1 == list.0.len() && sep == Sep::Semi {
                Sep::End
            } else {
                sep
            };
            self.and_or(&item.0, ctx, before, after);
            before = sep;
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList, ctx: &Ctx, before: Sep, after: Sep) {
        let pipelines: Vec<&ast::Pipeline> = std::iter::once(&list.first)
            .chain(list.additional.iter().map(|a| match a {
                ast::AndOr::And(p) | ast::AndOr::Or(p) => p,
            }))
            .collect();
        for (i, p) in pipelines.iter().enumerate() {
            let next = match list.additional.get(i) {
                Some(ast::AndOr::And(_)) => Next::And,
                Some(ast::AndOr::Or(_)) => Next::Or,
                None => Next::None,
            };
            let c = Ctx {
                checked: ctx.checked || next != Next::None || p.bang,
                conditional: ctx.conditional || i > 0,
                ..ctx.clone()
            };
            let op = |k: usize| match list.additional.get(k) {
                Some(ast::AndOr::And(_)) => Sep::And,
                Some(ast::AndOr::Or(_)) => Sep::Or,
                None => after,
            };
            for (j, cmd) in p.seq.iter().enumerate() {
                let seps = (
                    match (j, i) {
                        (0, 0) => before,
                        (0, _) => op(i - 1),
                        _ => Sep::Pipe,
                    },
                    if j + 1 < p.seq.len() {
                        Sep::Pipe
                    } else {
                        op(i)
                    },
                );
                self.command(cmd, &c, next, (j, p.seq.len()), seps);
            }
        }
    }

    fn command(
        &mut self,
        cmd: &ast::Command,
        ctx: &Ctx,
        next: Next,
        place: (usize, usize),
        seps: (Sep, Sep),
    ) {
        match cmd {
            ast::Command::Simple(s) => self.simple(s, ctx, next, place, seps),
            ast::Command::Compound(c, redirects) => {
                self.compound(c, ctx);
                if let Some(r) = redirects {
                    for io in &r.0 {
                        if let Some(w) = self.redirect_target(io, ctx) {
                            // Attached to no command: keep it findable.
                            self.out.case_subjects.push(w);
                        }
                    }
                }
            }
            ast::Command::Function(f) => {
                if let Some(n) = &f.fname.value.split('(').next() {
                    self.out.functions.push(n.to_string());
                }
                let c = Ctx {
                    in_function: true,
                    checked: false,
                    conditional: true,
                    ..ctx.clone()
                };
                self.compound(&f.body.0, &c);
            }
            ast::Command::ExtendedTest(t, _) => {
                let mut words = Vec::new();
                self.extended_test(&t.expr, ctx, &mut words);
                let span = (self.byte(t.loc.start.index), self.byte(t.loc.end.index));
                self.out.extended_tests.push((span, words));
            }
        }
    }

    fn extended_test(&mut self, e: &ast::ExtendedTestExpr, ctx: &Ctx, out: &mut Vec<ShWord>) {
        match e {
            ast::ExtendedTestExpr::And(a, b) | ast::ExtendedTestExpr::Or(a, b) => {
                self.extended_test(a, ctx, out);
                self.extended_test(b, ctx, out);
            }
            ast::ExtendedTestExpr::Not(a) | ast::ExtendedTestExpr::Parenthesized(a) => {
                self.extended_test(a, ctx, out)
            }
            ast::ExtendedTestExpr::UnaryTest(_, w) => out.push(self.word(w, ctx)),
            ast::ExtendedTestExpr::BinaryTest(_, a, b) => {
                out.push(self.word(a, ctx));
                out.push(self.word(b, ctx));
            }
        }
    }

    fn compound(&mut self, c: &ast::CompoundCommand, ctx: &Ctx) {
        let checked = Ctx {
            checked: true,
            ..ctx.clone()
        };
        let body = Ctx {
            checked: false,
            conditional: true,
            ..ctx.clone()
        };
        match c {
            ast::CompoundCommand::BraceGroup(g) => self.compound_list(&g.list, ctx),
            ast::CompoundCommand::Subshell(s) => self.compound_list(
                &s.list,
                &Ctx {
                    in_subshell: true,
                    ..ctx.clone()
                },
            ),
            ast::CompoundCommand::ForClause(f) => {
                let values = f
                    .values
                    .iter()
                    .flatten()
                    .map(|w| self.word(w, ctx))
                    .collect();
                self.out.for_loops.push(ForLoop {
                    variable: f.variable_name.clone(),
                    values,
                    start: self.byte(f.loc.start.index),
                    end: self.byte(f.loc.end.index),
                    depth: ctx.depth,
                });
                self.compound_list(&f.body.list, &body);
            }
            ast::CompoundCommand::ArithmeticForClause(f) => self.compound_list(&f.body.list, &body),
            ast::CompoundCommand::CaseClause(c) => {
                let w = self.word(&c.value, ctx);
                self.out.case_subjects.push(w);
                for item in &c.cases {
                    if let Some(list) = &item.cmd {
                        self.compound_list(list, &body);
                    }
                }
            }
            ast::CompoundCommand::IfClause(i) => {
                self.compound_list(&i.condition, &checked);
                self.compound_list(&i.then, &body);
                for e in i.elses.iter().flatten() {
                    if let Some(c) = &e.condition {
                        self.compound_list(c, &checked);
                    }
                    self.compound_list(&e.body, &body);
                }
            }
            ast::CompoundCommand::WhileClause(w) | ast::CompoundCommand::UntilClause(w) => {
                self.compound_list(&w.0, &checked);
                self.compound_list(&w.1.list, &body);
            }
            ast::CompoundCommand::Arithmetic(_) => {}
            ast::CompoundCommand::Coprocess(c) => {
                self.command(&c.body, ctx, Next::None, (0, 1), (Sep::Start, Sep::End))
            }
        }
    }

    fn simple(
        &mut self,
        s: &ast::SimpleCommand,
        ctx: &Ctx,
        next: Next,
        (index, len): (usize, usize),
        (before, after): (Sep, Sep),
    ) {
        let mut cmd = SimpleCommand {
            assignments: Vec::new(),
            words: Vec::new(),
            redirect_targets: Vec::new(),
            start: usize::MAX,
            end: 0,
            depth: ctx.depth,
            checked: ctx.checked,
            next,
            pipeline_len: len,
            pipeline_index: index,
            in_function: ctx.in_function,
            in_subshell: ctx.in_subshell,
            conditional: ctx.conditional,
            before,
            after,
            program: None,
        };
        let prefix = s.prefix.iter().flat_map(|p| p.0.iter());
        let suffix = s.suffix.iter().flat_map(|p| p.0.iter());
        let items = prefix
            .map(Item::Other)
            .chain(s.word_or_name.iter().map(Item::Name))
            .chain(suffix.map(Item::Other));
        for item in items {
            let item = match item {
                Item::Name(w) => {
                    let w = self.word(w, ctx);
                    cmd.words.push(w);
                    continue;
                }
                Item::Other(i) => i,
            };
            match item {
                ast::CommandPrefixOrSuffixItem::Word(w) => {
                    let w = self.word(w, ctx);
                    cmd.words.push(w);
                }
                ast::CommandPrefixOrSuffixItem::AssignmentWord(a, w) => {
                    let word = self.word(w, ctx);
                    let value = match &a.value {
                        ast::AssignmentValue::Scalar(_) => {
                            // The value is the word after `NAME=` (or `NAME+=`).
                            let eq = word.raw.find('=').map_or(0, |i| i + 1);
                            Some(self.sub_word(&word, eq, ctx))
                        }
                        ast::AssignmentValue::Array(_) => None,
                    };
                    let name = match &a.name {
                        ast::AssignmentName::VariableName(n) => n.clone(),
                        ast::AssignmentName::ArrayElementName(n, _) => n.clone(),
                    };
                    let (start, end) = (word.start, word.end);
                    if !cmd.words.is_empty() {
                        // `export A=b`: an operand that is also an assignment.
                        cmd.words.push(word);
                    }
                    cmd.assignments.push(ShAssignment {
                        name,
                        value,
                        start,
                        end,
                    });
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(io) => {
                    if let Some(w) = self.redirect_target(io, ctx) {
                        cmd.redirect_targets.push(w);
                    }
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                    let span = (self.byte(sub.loc.start.index), self.byte(sub.loc.end.index));
                    self.out.process_substitutions.push(span);
                    self.compound_list(&sub.list, ctx);
                }
            }
        }
        // Operands of declaration builtins written as plain words: `export A=$(x)`.
        if cmd
            .words
            .first()
            .and_then(ShWord::literal)
            .is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "export" | "local" | "declare" | "typeset" | "readonly"
                )
            })
        {
            let extra: Vec<ShAssignment> = cmd.words[1..]
                .iter()
                .filter(|w| !cmd.assignments.iter().any(|a| a.start == w.start))
                .filter_map(|w| {
                    let eq = w.raw.find('=')?;
                    let name = &w.raw[..eq];
                    let name = name.strip_suffix('+').unwrap_or(name);
                    (!name.is_empty()
                        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                    .then(|| ShAssignment {
                        name: name.to_string(),
                        value: Some(self.sub_word(w, eq + 1, ctx)),
                        start: w.start,
                        end: w.end,
                    })
                })
                .collect();
            cmd.assignments.extend(extra);
        }
        for w in cmd
            .words
            .iter()
            .chain(&cmd.redirect_targets)
            .chain(cmd.assignments.iter().filter_map(|a| a.value.as_ref()))
        {
            cmd.start = cmd.start.min(w.start);
            cmd.end = cmd.end.max(w.end);
        }
        for a in &cmd.assignments {
            cmd.start = cmd.start.min(a.start);
            cmd.end = cmd.end.max(a.end);
        }
        if cmd.start == usize::MAX {
            cmd.start = 0;
        }
        cmd.program = cmd.words.first().and_then(|w| match w.as_literal() {
            Some(n) => Some(super::basename(n).into()),
            None => w.literal().map(|n| super::basename(&n).into()),
        });
        self.out.commands.push(cmd);
    }

    fn redirect_target(&mut self, io: &ast::IoRedirect, ctx: &Ctx) -> Option<ShWord> {
        match io {
            ast::IoRedirect::File(_, _, ast::IoFileRedirectTarget::Filename(w))
            | ast::IoRedirect::File(_, _, ast::IoFileRedirectTarget::Duplicate(w))
            | ast::IoRedirect::OutputAndError(w, _)
            | ast::IoRedirect::HereString(_, w) => Some(self.word(w, ctx)),
            ast::IoRedirect::File(_, _, ast::IoFileRedirectTarget::ProcessSubstitution(_, s)) => {
                let span = (self.byte(s.loc.start.index), self.byte(s.loc.end.index));
                self.out.process_substitutions.push(span);
                self.compound_list(&s.list, ctx);
                None
            }
            _ => None,
        }
    }

    /// The part of `word` from byte `from` (relative to the word) on, as a word.
    fn sub_word(&mut self, word: &ShWord, from: usize, _ctx: &Ctx) -> ShWord {
        let start = word.start + from;
        ShWord {
            start,
            end: word.end,
            raw: word.raw.get(from..).unwrap_or("").to_string(),
            parts: word
                .parts
                .iter()
                .filter(|p| p.end > start)
                .cloned()
                .map(|mut p| {
                    if p.start < start {
                        if let PartKind::Literal(t) = &mut p.kind {
                            let cut = start - p.start;
                            *t = t.get(cut..).unwrap_or("").to_string();
                        }
                        p.start = start;
                    }
                    p
                })
                .collect(),
        }
    }

    fn word(&mut self, w: &ast::Word, ctx: &Ctx) -> ShWord {
        let (start, end) = self
            .span(w.loc.as_ref())
            .unwrap_or((self.base, self.base + self.text.len()));
        let raw = w.value.clone();
        // Most words are one part (a push would make room for four).
        let mut parts = Vec::with_capacity(1);
        // Most words are plain text: no quotes, escapes, expansions or tilde.
        let plain = !raw.is_empty()
            && !raw
                .bytes()
                .any(|b| matches!(b, b'$' | b'`' | b'\'' | b'"' | b'\\' | b'~'));
        if plain {
            parts.push(Part {
                start,
                end,
                quoting: Quoting::None,
                kind: PartKind::Literal(raw.clone()),
            });
        } else if let Some(pieces) = word_pieces(&raw, &self.word_options) {
            self.pieces(&pieces, start, Quoting::None, ctx, &mut parts);
        } else {
            parts.push(Part {
                start,
                end,
                quoting: Quoting::None,
                kind: PartKind::Literal(raw.clone()),
            });
        }
        ShWord {
            start,
            end,
            raw,
            parts,
        }
    }

    fn pieces(
        &mut self,
        pieces: &[brush_parser::word::WordPieceWithSource],
        base: usize,
        quoting: Quoting,
        ctx: &Ctx,
        out: &mut Vec<Part>,
    ) {
        for p in pieces {
            let (start, end) = (base + p.start_index, base + p.end_index);
            let kind = match &p.piece {
                WordPiece::Text(t) => PartKind::Literal(t.clone()),
                WordPiece::EscapeSequence(t) => {
                    PartKind::Literal(t.strip_prefix('\\').unwrap_or(t).to_string())
                }
                WordPiece::SingleQuotedText(t) => {
                    out.push(Part {
                        start,
                        end,
                        quoting: Quoting::Single,
                        kind: PartKind::Literal(t.clone()),
                    });
                    continue;
                }
                WordPiece::AnsiCQuotedText(t) => {
                    out.push(Part {
                        start,
                        end,
                        quoting: Quoting::AnsiC,
                        kind: PartKind::Literal(t.clone()),
                    });
                    continue;
                }
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    let before = out.len();
                    // Inner offsets are relative to the word, like the outer ones.
                    self.pieces(inner, base, Quoting::Double, ctx, out);
                    if out.len() == before {
                        // `""`: an empty quoted literal.
                        out.push(Part {
                            start,
                            end,
                            quoting: Quoting::Double,
                            kind: PartKind::Literal(String::new()),
                        });
                    }
                    continue;
                }
                WordPiece::TildeExpansion(_) => PartKind::Tilde,
                WordPiece::ParameterExpansion(e) => PartKind::Parameter(parameter_ref(e)),
                WordPiece::CommandSubstitution(inner) => {
                    // `$(` is two bytes before the inner text.
                    self.nested(inner, start + 2, ctx);
                    PartKind::CommandSubstitution { backtick: false }
                }
                WordPiece::BackquotedCommandSubstitution(inner) => {
                    self.nested(inner, start + 1, ctx);
                    PartKind::CommandSubstitution { backtick: true }
                }
                WordPiece::ArithmeticExpression(_) => PartKind::Arithmetic,
            };
            out.push(Part {
                start,
                end,
                quoting,
                kind,
            });
        }
    }

    /// Parses the script of a command substitution; its commands join the
    /// output one level deeper. A nested syntax error is the script's.
    fn nested(&mut self, inner: &str, at: usize, ctx: &Ctx) {
        let dialect = if self.options.sh_mode {
            Dialect::Sh
        } else {
            Dialect::Bash
        };
        let mut b = Builder::new(inner, dialect);
        b.base = at;
        let c = Ctx {
            depth: ctx.depth + 1,
            checked: false,
            ..ctx.clone()
        };
        match program(inner, &b.options) {
            Ok(program) => {
                for cc in &program.complete_commands {
                    b.compound_list(cc, &c);
                }
            }
            Err(_) => return,
        }
        let Syntax {
            commands,
            for_loops,
            extended_tests,
            process_substitutions,
            case_subjects,
            functions,
            ..
        } = b.out;
        self.out.commands.extend(commands);
        self.out.for_loops.extend(for_loops);
        self.out.extended_tests.extend(extended_tests);
        self.out.process_substitutions.extend(process_substitutions);
        self.out.case_subjects.extend(case_subjects);
        self.out.functions.extend(functions);
    }
}

/// The command name among prefix and suffix items.
enum Item<'a> {
    Name(&'a ast::Word),
    Other(&'a ast::CommandPrefixOrSuffixItem),
}

fn parameter_name(p: &Parameter) -> String {
    match p {
        Parameter::Positional(n) => n.to_string(),
        Parameter::Special(s) => match s {
            SpecialParameter::AllPositionalParameters { concatenate: true } => "*".into(),
            SpecialParameter::AllPositionalParameters { concatenate: false } => "@".into(),
            SpecialParameter::PositionalParameterCount => "#".into(),
            SpecialParameter::LastExitStatus => "?".into(),
            SpecialParameter::CurrentOptionFlags => "-".into(),
            SpecialParameter::ProcessId => "$".into(),
            SpecialParameter::LastBackgroundProcessId => "!".into(),
            SpecialParameter::ShellName => "0".into(),
        },
        Parameter::Named(n) => n.clone(),
        Parameter::NamedWithIndex { name, .. } | Parameter::NamedWithAllIndices { name, .. } => {
            name.clone()
        }
    }
}

fn parameter_ref(e: &ParameterExpr) -> ParameterRef {
    use ParameterExpr as E;
    let (p, op, indirect) = match e {
        E::Parameter {
            parameter,
            indirect,
        } => (parameter, ParameterOp::Value, *indirect),
        E::ParameterLength {
            parameter,
            indirect,
        } => (parameter, ParameterOp::Length, *indirect),
        E::IndicateErrorIfNullOrUnset {
            parameter,
            indirect,
            ..
        } => (parameter, ParameterOp::ErrorIfUnset, *indirect),
        E::UseDefaultValues {
            parameter,
            indirect,
            ..
        }
        | E::AssignDefaultValues {
            parameter,
            indirect,
            ..
        }
        | E::UseAlternativeValue {
            parameter,
            indirect,
            ..
        } => (parameter, ParameterOp::Default, *indirect),
        E::RemoveSmallestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | E::RemoveLargestSuffixPattern {
            parameter,
            indirect,
            ..
        }
        | E::RemoveSmallestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | E::RemoveLargestPrefixPattern {
            parameter,
            indirect,
            ..
        }
        | E::Substring {
            parameter,
            indirect,
            ..
        }
        | E::Transform {
            parameter,
            indirect,
            ..
        }
        | E::UppercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | E::UppercasePattern {
            parameter,
            indirect,
            ..
        }
        | E::LowercaseFirstChar {
            parameter,
            indirect,
            ..
        }
        | E::LowercasePattern {
            parameter,
            indirect,
            ..
        }
        | E::ReplaceSubstring {
            parameter,
            indirect,
            ..
        } => (parameter, ParameterOp::Transform, *indirect),
        E::VariableNames { prefix, .. } => {
            return ParameterRef {
                name: prefix.clone(),
                op: ParameterOp::Transform,
                bash_only: Some("indirect expansion"),
            };
        }
        E::MemberKeys {
            variable_name: n, ..
        } => {
            return ParameterRef {
                name: n.clone(),
                op: ParameterOp::Transform,
                bash_only: Some("arrays"),
            };
        }
    };
    let bash_only = match e {
        _ if indirect => Some("indirect expansion"),
        E::ReplaceSubstring { .. } => Some("string replacement"),
        E::Substring { .. } => Some("string indexing"),
        E::UppercaseFirstChar { .. }
        | E::UppercasePattern { .. }
        | E::LowercaseFirstChar { .. }
        | E::LowercasePattern { .. } => Some("case modification"),
        E::Transform { .. } => Some("`@` transformations"),
        _ => match p {
            Parameter::NamedWithIndex { .. } | Parameter::NamedWithAllIndices { .. } => {
                Some("arrays")
            }
            _ => None,
        },
    };
    ParameterRef {
        name: parameter_name(p),
        op,
        bash_only,
    }
}

mod direct;
mod word;

/// Each distinct RUN script of the real Dockerfiles of `../shared/corpus`
/// (it repeats its RUN lines), `None` without the corpus
/// ([`plimsoll_dockerfile::test_corpus`]).
#[cfg(test)]
fn corpus_scripts() -> Option<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for text in plimsoll_dockerfile::test_corpus()? {
        let Ok(df) = plimsoll_dockerfile::Dockerfile::parse(&text) else {
            continue;
        };
        for ins in &df.instructions {
            for s in super::scripts(&df, ins) {
                if seen.insert(s.text.clone()) {
                    out.push(s.text);
                }
            }
        }
    }
    Some(out)
}

/// `count` texts of 1 to `most` of `pieces` each, drawn by a fixed xorshift
/// sequence from `seed`: the same texts on every run (the random tests of
/// `direct` and `word`).
#[cfg(test)]
fn random_texts(
    pieces: &'static [&'static str],
    count: usize,
    most: u64,
    mut seed: u64,
) -> impl Iterator<Item = String> {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count).map(move |_| {
        let n = 1 + next() % most;
        (0..n)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect()
    })
}

#[cfg(test)]
mod tests;

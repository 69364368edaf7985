//! brush-parser's tree of the scripts RUN lines are made of, built without
//! brush-parser's tokenizer and grammar (most of what the lint plugin spent
//! on a Dockerfile: a char-at-a-time tokenizer reading through `BufRead`,
//! then a PEG grammar over the tokens, backtracking through ten alternatives
//! for each command).
//!
//! [`program`] builds the same [`ast::Program`] brush-parser builds, value
//! for value: word texts, assignments, redirections, and every source
//! position, brush's quirks included (a word's start after a line
//! continuation, the span of an `if`, the spaces kept inside `$( )`). The
//! tokenizer is brush-parser's `next_token_until`, branch for branch, but for
//! runs of plain text taken at once; the grammar covers simple commands,
//! `&&`, `||`, `;`, `&`, `|`, `!`, `if`, `for`, `while`, `until`, `case`,
//! `{ }`, `( )`, redirections, and words with any quoting and substitution.
//! Everything else (here-documents, functions, `[[ ]]`, `(( ))`, `time`,
//! arrays, `|&`) and every script brush-parser would reject gives `None`, and
//! the caller asks brush-parser: a shortcut, never a second grammar. The test
//! `the_direct_parser_agrees_with_brush_on_the_corpus` compares the two trees
//! on every distinct RUN script of `../shared/corpus` in both dialects; 98%
//! of them take the shortcut.
//!
//! Written by hand: the point is to skip a general parser, and no crate
//! builds brush-parser's tree but brush-parser.

use std::cell::RefCell;
use std::sync::Arc;

use brush_parser::ast;
use brush_parser::{SourcePosition, SourceSpan};

/// A position as brush-parser counts it: chars, 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    index: usize,
    line: usize,
    column: usize,
}

impl Pos {
    /// Past one char (`newline`: a line feed).
    fn advance(&mut self, newline: bool) {
        self.index += 1;
        if newline {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
    }

    /// Past `n` blanks (chars on one line).
    fn past_blanks(&mut self, n: usize) {
        self.index += n;
        self.column += n;
    }

    fn source(self) -> Arc<SourcePosition> {
        Arc::new(SourcePosition {
            index: self.index,
            line: self.line,
            column: self.column,
        })
    }
}

/// brush-parser's operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Newline,
    Semi,
    DSemi,
    SemiAnd,
    DSemiAnd,
    Amp,
    AndIf,
    OrIf,
    Pipe,
    PipeAnd,
    LParen,
    RParen,
    Less,
    Great,
    DGreat,
    LessAnd,
    GreatAnd,
    LessGreat,
    Clobber,
    DLess,
    DLessDash,
    TLess,
    AndGreat,
    AndDGreat,
}

const OPERATORS: [(Op, &str); 24] = [
    (Op::Newline, "\n"),
    (Op::Semi, ";"),
    (Op::DSemi, ";;"),
    (Op::SemiAnd, ";&"),
    (Op::DSemiAnd, ";;&"),
    (Op::Amp, "&"),
    (Op::AndIf, "&&"),
    (Op::OrIf, "||"),
    (Op::Pipe, "|"),
    (Op::PipeAnd, "|&"),
    (Op::LParen, "("),
    (Op::RParen, ")"),
    (Op::Less, "<"),
    (Op::Great, ">"),
    (Op::DGreat, ">>"),
    (Op::LessAnd, "<&"),
    (Op::GreatAnd, ">&"),
    (Op::LessGreat, "<>"),
    (Op::Clobber, ">|"),
    (Op::DLess, "<<"),
    (Op::DLessDash, "<<-"),
    (Op::TLess, "<<<"),
    (Op::AndGreat, "&>"),
    (Op::AndDGreat, "&>>"),
];

impl Op {
    fn text(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(o, _)| *o == self)
            .map_or("", |(_, t)| t)
    }

    /// Not an operator in sh mode (brush-parser reads `&>` as `&` and `>`).
    fn bash_only(self) -> bool {
        matches!(
            self,
            Op::TLess | Op::AndGreat | Op::AndDGreat | Op::DSemiAnd | Op::SemiAnd | Op::PipeAnd
        )
    }
}

fn operator(s: &str) -> Option<Op> {
    OPERATORS.iter().find(|(_, t)| *t == s).map(|(o, _)| *o)
}

/// The chars that start an operator (brush-parser's `can_start_operator`).
fn starts_operator(c: char) -> bool {
    matches!(c, '&' | '(' | ')' | ';' | '\n' | '|' | '<' | '>')
}

/// brush-parser's tokenizer's operators.
fn is_operator(s: &[u8], sh_mode: bool) -> bool {
    std::str::from_utf8(s)
        .ok()
        .and_then(operator)
        .is_some_and(|o| !(sh_mode && o.bash_only()))
}

#[derive(Debug)]
enum Kind {
    /// A word's text; the tree takes it ([`Tok::take`]).
    Word(RefCell<String>),
    Op(Op),
}

#[derive(Debug)]
struct Tok {
    kind: Kind,
    start: Pos,
    end: Pos,
}

impl Tok {
    fn push_to(&self, out: &mut String) {
        match &self.kind {
            Kind::Word(w) => out.push_str(&w.borrow()),
            Kind::Op(o) => out.push_str(o.text()),
        }
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.kind, Kind::Word(x) if *x.borrow() == w)
    }

    /// The word as a node of the tree, its text moved there: a token goes to
    /// the tree at most once (the parser backs up only over tokens it has not
    /// put in the tree, or to fail).
    fn take(&self) -> ast::Word {
        let value = match &self.kind {
            Kind::Word(w) => w.take(),
            Kind::Op(o) => o.text().to_string(),
        };
        ast::Word {
            value,
            loc: Some(self.span()),
        }
    }

    fn span(&self) -> SourceSpan {
        SourceSpan {
            start: self.start.source(),
            end: self.end.source(),
        }
    }
}

/// brush-parser's tree of `text`, when the script uses only what this parser
/// covers and brush-parser would parse it; `None` otherwise (then ask
/// brush-parser). `sh_mode` is [`brush_parser::ParserOptions::sh_mode`].
pub(super) fn program(text: &str, sh_mode: bool) -> Option<ast::Program> {
    let toks = Lexer {
        text,
        i: 0,
        pos: Pos {
            index: 0,
            line: 1,
            column: 1,
        },
        sh_mode,
        arithmetic: false,
    }
    .tokens()?;
    Parser {
        toks: &toks,
        i: 0,
        sh_mode,
    }
    .program()
}

struct Lexer<'a> {
    text: &'a str,
    i: usize,
    pos: Pos,
    sh_mode: bool,
    /// Inside `$((...))`, `$[...]` or `((...))`, where `<<` is a shift.
    arithmetic: bool,
}

/// Why a token ended (brush-parser's `TokenEndReason`, without the
/// here-document ones).
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Input,
    Blank,
    Terminator,
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
    AnsiC,
}

/// One token being read (brush-parser's `TokenParseState`).
struct State {
    start: Pos,
    text: String,
    operator: bool,
    escaped: bool,
    quote: Quote,
}

impl State {
    fn unquoted(&self) -> bool {
        !self.escaped && self.quote == Quote::None
    }
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        let b = *self.text.as_bytes().get(self.i)?;
        if b < 0x80 {
            Some(b as char)
        } else {
            self.text[self.i..].chars().next()
        }
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        self.pos.advance(c == '\n');
        Some(c)
    }

    fn tokens(mut self) -> Option<Vec<Tok>> {
        let mut toks = Vec::new();
        loop {
            let (end, tok) = self.next_token(None, false)?;
            if let Some(t) = tok {
                toks.push(t);
            }
            if end == End::Input {
                return Some(toks);
            }
        }
    }

    fn delimit(&self, s: &mut State, end: End) -> Option<(End, Option<Tok>)> {
        if s.text.is_empty() {
            return Some((end, None));
        }
        let text = std::mem::take(&mut s.text);
        let kind = if s.operator {
            Kind::Op(operator(&text)?)
        } else {
            Kind::Word(RefCell::new(text))
        };
        Some((
            end,
            Some(Tok {
                kind,
                start: s.start,
                end: self.pos,
            }),
        ))
    }

    /// brush-parser's `next_token_until`, step for step; `None` where it
    /// would fail or start a here-document.
    fn next_token(&mut self, until: Option<char>, keep_blanks: bool) -> Option<(End, Option<Tok>)> {
        let mut s = State {
            start: self.pos,
            text: String::new(),
            operator: false,
            escaped: false,
            quote: Quote::None,
        };
        loop {
            let Some(c) = self.peek() else {
                if s.escaped || s.quote != Quote::None {
                    return None;
                }
                return self.delimit(&mut s, End::Input);
            };
            if s.unquoted() && until == Some(c) {
                return self.delimit(&mut s, End::Terminator);
            } else if s.operator {
                let mut longer = [0u8; 4];
                let n = s.text.len();
                let extends = c.is_ascii() && n < 4 && {
                    longer[..n].copy_from_slice(s.text.as_bytes());
                    longer[n] = c as u8;
                    is_operator(&longer[..=n], self.sh_mode)
                };
                if s.unquoted() && extends {
                    self.next_char();
                    s.text.push(c);
                } else {
                    if self.arithmetic {
                        if s.text == ")" && c == ')' {
                            self.arithmetic = false;
                        }
                    } else if s.text == "<<" || s.text == "<<-" {
                        return None;
                    } else if s.text == "(" && c == '(' {
                        self.arithmetic = true;
                    }
                    return self.delimit(&mut s, End::Other);
                }
            } else if !s.escaped
                && match s.quote {
                    Quote::Double | Quote::AnsiC => c == '\\',
                    Quote::Single => false,
                    Quote::None => matches!(c, '\\' | '\'' | '"'),
                }
            {
                self.next_char();
                match c {
                    '\\' => {
                        if self.peek() == Some('\n') {
                            self.next_char();
                        } else {
                            s.escaped = true;
                            s.text.push(c);
                        }
                    }
                    '\'' => {
                        s.quote = if s.text.ends_with('$') {
                            Quote::AnsiC
                        } else {
                            Quote::Single
                        };
                        s.text.push(c);
                    }
                    _ => {
                        s.quote = Quote::Double;
                        s.text.push(c);
                    }
                }
            } else if !s.escaped && matches!(s.quote, Quote::Single | Quote::AnsiC) && c == '\''
                || !s.escaped && s.quote == Quote::Double && c == '"'
            {
                s.quote = Quote::None;
                self.next_char();
                s.text.push(c);
            } else if s.escaped {
                s.escaped = false;
                self.next_char();
                s.text.push(c);
            } else if (s.unquoted() || s.quote == Quote::Double) && c == '$' {
                self.next_char();
                s.text.push('$');
                match self.peek() {
                    Some('(') => {
                        s.text.push('(');
                        self.next_char();
                        let arithmetic = self.peek() == Some('(');
                        if arithmetic {
                            s.text.push('(');
                            self.next_char();
                            self.arithmetic = true;
                        }
                        self.nested(&mut s, ')', if arithmetic { 2 } else { 1 })?;
                        if arithmetic {
                            self.arithmetic = false;
                        }
                    }
                    Some('[') => {
                        s.text.push('[');
                        self.next_char();
                        self.arithmetic = true;
                        self.nested(&mut s, ']', 1)?;
                        self.arithmetic = false;
                    }
                    Some('{') => {
                        s.text.push('{');
                        self.next_char();
                        loop {
                            let (end, tok) = self.next_token(Some('}'), false)?;
                            if let Some(t) = tok {
                                t.push_to(&mut s.text);
                            }
                            match end {
                                End::Blank => s.text.push(' '),
                                End::Terminator => {
                                    s.text.push(self.next_char()?);
                                    break;
                                }
                                End::Input => return None,
                                End::Other => {}
                            }
                        }
                    }
                    _ => {}
                }
            } else if (s.unquoted() || s.quote == Quote::Double) && c == '`' {
                self.next_char();
                s.text.push(c);
                let mut escaping = false;
                loop {
                    let b = self.next_char()?;
                    s.text.push(b);
                    if !escaping && b == '\\' {
                        escaping = true;
                    } else {
                        if !escaping && b == '`' {
                            break;
                        }
                        escaping = false;
                    }
                }
            } else if c == '(' && s.unquoted() && s.text.ends_with(['@', '!', '?', '+', '*']) {
                // An extended glob: `@(a|b)`.
                self.next_char();
                s.text.push(c);
                let (mut depth, mut escaping) = (1, false);
                while depth > 0 {
                    let g = self.next_char()?;
                    s.text.push(g);
                    match g {
                        _ if escaping => escaping = false,
                        '\\' => escaping = true,
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                }
            } else if s.unquoted() && starts_operator(c) {
                if !s.text.is_empty() {
                    return self.delimit(&mut s, End::Other);
                }
                s.operator = true;
                self.next_char();
                s.text.push(c);
            } else if s.unquoted() && matches!(c, ' ' | '\t') {
                let done = if !s.text.is_empty() {
                    Some(self.delimit(&mut s, End::Blank))
                } else {
                    if keep_blanks {
                        s.text.push(c);
                    } else {
                        // This blank and those after it: each would come
                        // back here (a blank is not `until`, a closing
                        // bracket, and the token stays empty).
                        let rest = &self.text.as_bytes()[self.i + 1..];
                        let more = rest
                            .iter()
                            .position(|b| !matches!(b, b' ' | b'\t'))
                            .unwrap_or(rest.len());
                        s.start.past_blanks(1 + more);
                        self.i += more;
                        self.pos.past_blanks(more);
                    }
                    None
                };
                self.next_char();
                if let Some(done) = done {
                    return done;
                }
            } else if !s.operator && (!s.text.is_empty() || until == Some('}')) {
                self.next_char();
                s.text.push(c);
                self.run(&mut s, until);
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.next_char();
                }
            } else if !s.text.is_empty() {
                return self.delimit(&mut s, End::Other);
            } else {
                self.next_char();
                s.text.push(c);
            }
        }
    }

    /// Takes the chars after one that went to the token as it is, up to the
    /// next one any other branch of [`Self::next_token`] would look at (the
    /// same as taking them one at a time, faster).
    fn run(&mut self, s: &mut State, until: Option<char>) {
        let stop = |b: u8| match s.quote {
            Quote::None => {
                matches!(b, b'\\' | b'\'' | b'"' | b'$' | b'`' | b' ' | b'\t')
                    || starts_operator(b as char)
                    || until.is_some_and(|u| u as u32 == b as u32)
            }
            Quote::Single => b == b'\'',
            Quote::AnsiC => matches!(b, b'\'' | b'\\'),
            Quote::Double => matches!(b, b'"' | b'\\' | b'$' | b'`'),
        };
        let bytes = &self.text.as_bytes()[self.i..];
        let n = bytes.iter().position(|&b| stop(b)).unwrap_or(bytes.len());
        if n == 0 {
            return;
        }
        let taken = &self.text[self.i..self.i + n];
        for &b in taken.as_bytes() {
            // A char's first byte.
            if b & 0xC0 != 0x80 {
                self.pos.advance(b == b'\n');
            }
        }
        s.text.push_str(taken);
        self.i += n;
    }

    /// brush-parser's `consume_nested_construct`: `$(...)`, `$((...))`,
    /// `$[...]`, read as tokens and written back.
    fn nested(&mut self, s: &mut State, close: char, mut depth: u32) -> Option<()> {
        let open = if close == ')' { "(" } else { "[" };
        loop {
            let (end, tok) = self.next_token(Some(close), true)?;
            if let Some(t) = tok {
                t.push_to(&mut s.text);
                if matches!(&t.kind, Kind::Op(o) if o.text() == open) {
                    depth += 1;
                }
            }
            match end {
                End::Blank => s.text.push(' '),
                End::Terminator => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    s.text.push(self.next_char()?);
                }
                End::Input => return None,
                End::Other => {}
            }
        }
        s.text.push(self.next_char()?);
        Some(())
    }
}

/// brush-parser's reserved words: not a command's name.
fn is_reserved(w: &str, sh_mode: bool) -> bool {
    matches!(
        w,
        "!" | "{"
            | "}"
            | "case"
            | "do"
            | "done"
            | "elif"
            | "else"
            | "esac"
            | "fi"
            | "for"
            | "if"
            | "in"
            | "then"
            | "until"
            | "while"
    ) || (!sh_mode && matches!(w, "[[" | "]]" | "function" | "select" | "coproc"))
}

fn within(start: &Tok, end: &SourceSpan) -> SourceSpan {
    SourceSpan {
        start: start.start.source(),
        end: end.end.clone(),
    }
}

struct Parser<'t> {
    toks: &'t [Tok],
    i: usize,
    sh_mode: bool,
}

/// What a word in a command's prefix or suffix is.
enum Assign<'w> {
    No,
    /// `name=value`, `name+=value`.
    Scalar {
        name: &'w str,
        append: bool,
        value: &'w str,
    },
}

/// brush's `name_equals_scalar_value`; `None` for `name[index]=...`, which
/// this parser leaves to brush.
fn assignment(w: &str) -> Option<Assign<'_>> {
    let b = w.as_bytes();
    if !b
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
    {
        return Some(Assign::No);
    }
    let n = b
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .unwrap_or(b.len());
    let (append, eq) = match b.get(n) {
        Some(b'=') => (false, n),
        Some(b'+') if b.get(n + 1) == Some(&b'=') => (true, n + 1),
        Some(b'[') if w.contains('=') => return None,
        _ => return Some(Assign::No),
    };
    Some(Assign::Scalar {
        name: &w[..n],
        append,
        value: &w[eq + 1..],
    })
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.i)
    }

    fn at(&self, op: Op) -> bool {
        matches!(self.peek(), Some(Tok { kind: Kind::Op(o), .. }) if *o == op)
    }

    fn newlines(&mut self) {
        while self.at(Op::Newline) {
            self.i += 1;
        }
    }

    fn program(&mut self) -> Option<ast::Program> {
        self.newlines();
        let mut complete_commands = Vec::new();
        while self.peek().is_some() {
            complete_commands.push(self.complete_command()?);
            if self.peek().is_none() {
                break;
            }
            if !self.at(Op::Newline) {
                return None;
            }
            self.newlines();
        }
        Some(ast::Program { complete_commands })
    }

    /// The separator here: `;` or `&`.
    fn separator_op(&mut self) -> Option<ast::SeparatorOperator> {
        let sep = if self.at(Op::Semi) {
            ast::SeparatorOperator::Sequence
        } else if self.at(Op::Amp) {
            ast::SeparatorOperator::Async
        } else {
            return None;
        };
        self.i += 1;
        Some(sep)
    }

    fn complete_command(&mut self) -> Option<ast::CompoundList> {
        let mut items = Vec::new();
        loop {
            let and_or = self.and_or()?;
            let sep = self.separator_op();
            items.push(ast::CompoundListItem(
                and_or,
                sep.clone().unwrap_or(ast::SeparatorOperator::Sequence),
            ));
            if sep.is_none() || self.peek().is_none() || self.at(Op::Newline) {
                break;
            }
        }
        Some(ast::CompoundList(items))
    }

    /// A list inside a compound command: it ends, separator included, where
    /// no and/or list can start (at `then`, `fi`, `done`, `}`, `)`...).
    fn compound_list(&mut self) -> Option<ast::CompoundList> {
        self.newlines();
        let mut items = Vec::new();
        let mut and_or = self.and_or()?;
        loop {
            let sep = match self.separator_op() {
                Some(sep) => Some(sep),
                None if self.at(Op::Newline) => None,
                None => {
                    items.push(ast::CompoundListItem(
                        and_or,
                        ast::SeparatorOperator::Sequence,
                    ));
                    break;
                }
            };
            self.newlines();
            let sep = sep.unwrap_or(ast::SeparatorOperator::Sequence);
            let after = self.i;
            items.push(ast::CompoundListItem(and_or, sep));
            match self.and_or() {
                Some(next) => and_or = next,
                None => {
                    self.i = after;
                    break;
                }
            }
        }
        Some(ast::CompoundList(items))
    }

    fn and_or(&mut self) -> Option<ast::AndOrList> {
        let first = self.pipeline()?;
        let mut additional = Vec::new();
        loop {
            let and = if self.at(Op::AndIf) {
                true
            } else if self.at(Op::OrIf) {
                false
            } else {
                break;
            };
            self.i += 1;
            self.newlines();
            let p = self.pipeline()?;
            additional.push(if and {
                ast::AndOr::And(p)
            } else {
                ast::AndOr::Or(p)
            });
        }
        Some(ast::AndOrList { first, additional })
    }

    fn pipeline(&mut self) -> Option<ast::Pipeline> {
        if !self.sh_mode && self.word_is("time") {
            return None;
        }
        let mut bang = false;
        while self.word_is("!") {
            self.i += 1;
            bang = !bang;
        }
        let mut seq = vec![self.command()?];
        while self.at(Op::Pipe) {
            self.i += 1;
            self.newlines();
            seq.push(self.command()?);
        }
        if self.at(Op::PipeAnd) {
            return None;
        }
        Some(ast::Pipeline {
            timed: None,
            bang,
            seq,
        })
    }

    fn word_is(&self, w: &str) -> bool {
        self.peek().is_some_and(|t| t.is_word(w))
    }

    /// The token here, when it is the word `w`.
    fn expect(&mut self, w: &str) -> Option<&'t Tok> {
        let t = self.peek()?;
        if !self.word_is(w) {
            return None;
        }
        self.i += 1;
        Some(t)
    }

    fn command(&mut self) -> Option<ast::Command> {
        use ast::CompoundCommand as C;
        let t = self.peek()?;
        let next_is_paren = matches!(
            self.toks.get(self.i + 1),
            Some(Tok {
                kind: Kind::Op(Op::LParen),
                ..
            })
        );
        let compound = match &t.kind {
            // Functions, `((...))`.
            Kind::Word(_) if t.is_word("function") || next_is_paren => return None,
            Kind::Word(w) if is_reserved(&w.borrow(), self.sh_mode) => {
                self.i += 1;
                let w = w.borrow().clone();
                match w.as_str() {
                    "{" => {
                        let list = self.compound_list()?;
                        let end = self.expect("}")?;
                        C::BraceGroup(ast::BraceGroupCommand {
                            list,
                            loc: within(t, &end.span()),
                        })
                    }
                    "if" => C::IfClause(self.if_clause(t)?),
                    "for" => C::ForClause(self.for_clause(t)?),
                    "case" => C::CaseClause(self.case_clause(t)?),
                    "while" | "until" => {
                        let condition = self.compound_list()?;
                        let body = self.do_group()?;
                        let loc = within(t, &body.loc);
                        let c = ast::WhileOrUntilClauseCommand(condition, body, loc);
                        if w == "while" {
                            C::WhileClause(c)
                        } else {
                            C::UntilClause(c)
                        }
                    }
                    _ => return None,
                }
            }
            Kind::Op(Op::LParen) if !next_is_paren => {
                self.i += 1;
                let list = self.compound_list()?;
                let end = self.peek()?;
                if !self.at(Op::RParen) {
                    return None;
                }
                self.i += 1;
                C::Subshell(ast::SubshellCommand {
                    list,
                    loc: within(t, &end.span()),
                })
            }
            Kind::Op(Op::LParen) => return None,
            _ => return Some(ast::Command::Simple(self.simple_command()?)),
        };
        let mut redirects = Vec::new();
        while let Some(r) = self.redirect()? {
            redirects.push(r);
        }
        Some(ast::Command::Compound(
            compound,
            (!redirects.is_empty()).then_some(ast::RedirectList(redirects)),
        ))
    }

    fn if_clause(&mut self, start: &Tok) -> Option<ast::IfClauseCommand> {
        let condition = self.compound_list()?;
        self.expect("then")?;
        let then = self.compound_list()?;
        let mut elses = Vec::new();
        while self.expect("elif").is_some() {
            let condition = self.compound_list()?;
            self.expect("then")?;
            let body = self.compound_list()?;
            elses.push(ast::ElseClause {
                condition: Some(condition),
                body,
            });
        }
        if self.expect("else").is_some() {
            let body = self.compound_list()?;
            elses.push(ast::ElseClause {
                condition: None,
                body,
            });
        }
        self.expect("fi")?;
        Some(ast::IfClauseCommand {
            condition,
            then,
            elses: (!elses.is_empty()).then_some(elses),
            // brush-parser's span of an `if` is its `if`.
            loc: start.span(),
        })
    }

    fn for_clause(&mut self, start: &Tok) -> Option<ast::ForClauseCommand> {
        let name = self.word()?.value;
        let after_name = self.i;
        self.newlines();
        let values = if self.expect("in").is_some() {
            let mut values = Vec::new();
            while let Some(w) = self.word() {
                values.push(w);
            }
            if self.at(Op::Semi) {
                self.i += 1;
            } else if !self.at(Op::Newline) {
                return None;
            }
            self.newlines();
            (!values.is_empty()).then_some(values)
        } else {
            self.i = after_name;
            if self.at(Op::Semi) {
                self.i += 1;
            }
            self.newlines();
            None
        };
        let body = self.do_group()?;
        Some(ast::ForClauseCommand {
            variable_name: name,
            values,
            loc: within(start, &body.loc),
            body,
        })
    }

    fn case_clause(&mut self, start: &Tok) -> Option<ast::CaseClauseCommand> {
        let value = self.word()?;
        self.newlines();
        self.expect("in")?;
        self.newlines();
        let mut cases = Vec::new();
        while !self.word_is("esac") {
            let (item, last) = self.case_item()?;
            cases.push(item);
            if last {
                break;
            }
        }
        let end = self.expect("esac")?;
        Some(ast::CaseClauseCommand {
            value,
            cases,
            loc: within(start, &end.span()),
        })
    }

    /// One pattern list and what it runs; `true` when it is the last one
    /// (without `;;`).
    fn case_item(&mut self) -> Option<(ast::CaseItem, bool)> {
        use ast::SourceLocation;
        let open = self.peek().filter(|_| self.at(Op::LParen));
        if open.is_some() {
            self.i += 1;
        }
        let mut patterns = vec![self.word()?];
        while self.at(Op::Pipe) {
            self.i += 1;
            patterns.push(self.word()?);
        }
        let close = self.peek()?;
        if !self.at(Op::RParen) {
            return None;
        }
        self.i += 1;
        let start = open.map(Tok::span).or_else(|| patterns[0].loc.clone())?;
        let item = |cmd, post_action, end: &SourceSpan| ast::CaseItem {
            patterns: patterns.clone(),
            cmd,
            post_action,
            loc: Some(SourceSpan {
                start: start.start.clone(),
                end: end.end.clone(),
            }),
        };
        let after_close = self.i;
        self.newlines();
        if let Some((post, end)) = self.post_action() {
            self.newlines();
            return Some((item(None, post, &end), false));
        }
        self.i = after_close;
        let Some(cmd) = self.compound_list() else {
            self.i = after_close;
            self.newlines();
            return Some((
                item(None, ast::CaseItemPostAction::ExitCase, &close.span()),
                true,
            ));
        };
        if let Some((post, end)) = self.post_action() {
            self.newlines();
            return Some((item(Some(cmd), post, &end), false));
        }
        let end = cmd.location()?;
        Some((
            item(Some(cmd), ast::CaseItemPostAction::ExitCase, &end),
            true,
        ))
    }

    fn post_action(&mut self) -> Option<(ast::CaseItemPostAction, SourceSpan)> {
        use ast::CaseItemPostAction as P;
        let t = self.peek()?;
        let post = match t.kind {
            Kind::Op(Op::DSemi) => P::ExitCase,
            Kind::Op(Op::DSemiAnd) if !self.sh_mode => P::ContinueEvaluatingCases,
            Kind::Op(Op::SemiAnd) if !self.sh_mode => P::UnconditionallyExecuteNextCaseItem,
            _ => return None,
        };
        self.i += 1;
        Some((post, t.span()))
    }

    /// Any word, reserved or not.
    fn word(&mut self) -> Option<ast::Word> {
        let t = self.peek()?;
        let Kind::Word(_) = &t.kind else {
            return None;
        };
        self.i += 1;
        Some(t.take())
    }

    fn do_group(&mut self) -> Option<ast::DoGroupCommand> {
        let start = self.expect("do")?;
        let list = self.compound_list()?;
        let end = self.expect("done")?;
        Some(ast::DoGroupCommand {
            list,
            loc: within(start, &end.span()),
        })
    }

    fn simple_command(&mut self) -> Option<ast::SimpleCommand> {
        let mut prefix = Vec::new();
        loop {
            if let Some(r) = self.redirect()? {
                prefix.push(ast::CommandPrefixOrSuffixItem::IoRedirect(r));
                continue;
            }
            match self.assignment_word()? {
                Some(a) => prefix.push(a),
                None => break,
            }
        }
        let name = match self.peek() {
            Some(
                t @ Tok {
                    kind: Kind::Word(w),
                    ..
                },
            ) => {
                if is_reserved(&w.borrow(), self.sh_mode) {
                    return None;
                }
                self.i += 1;
                Some(t.take())
            }
            _ if prefix.is_empty() => return None,
            _ => None,
        };
        let mut suffix = Vec::new();
        if name.is_some() {
            loop {
                if let Some(r) = self.redirect()? {
                    suffix.push(ast::CommandPrefixOrSuffixItem::IoRedirect(r));
                    continue;
                }
                if let Some(a) = self.assignment_word()? {
                    suffix.push(a);
                    continue;
                }
                match self.peek() {
                    Some(
                        t @ Tok {
                            kind: Kind::Word(_),
                            ..
                        },
                    ) => {
                        self.i += 1;
                        suffix.push(ast::CommandPrefixOrSuffixItem::Word(t.take()));
                    }
                    _ => break,
                }
            }
        }
        Some(ast::SimpleCommand {
            prefix: (!prefix.is_empty()).then_some(ast::CommandPrefix(prefix)),
            word_or_name: name,
            suffix: (!suffix.is_empty()).then_some(ast::CommandSuffix(suffix)),
        })
    }

    /// The word here when it is an assignment; `Some(None)` when it is
    /// something else; `None` when brush must decide.
    fn assignment_word(&mut self) -> Option<Option<ast::CommandPrefixOrSuffixItem>> {
        let Some(
            t @ Tok {
                kind: Kind::Word(w),
                ..
            },
        ) = self.peek()
        else {
            return Some(None);
        };
        let text = w.borrow();
        let Assign::Scalar {
            name,
            append,
            value,
        } = assignment(&text)?
        else {
            return Some(None);
        };
        let assignment = ast::Assignment {
            name: ast::AssignmentName::VariableName(name.to_string()),
            value: ast::AssignmentValue::Scalar(ast::Word {
                value: value.to_string(),
                loc: None,
            }),
            append,
            loc: t.span(),
        };
        drop(text);
        self.i += 1;
        let word = t.take();
        Some(Some(ast::CommandPrefixOrSuffixItem::AssignmentWord(
            assignment, word,
        )))
    }

    /// The redirection here (`Some(None)` if none starts here; `None` when
    /// brush must decide).
    fn redirect(&mut self) -> Option<Option<ast::IoRedirect>> {
        let mut at = self.i;
        let mut fd = None;
        // An I/O number: digits right before `<` or `>`.
        if let (
            Some(Tok {
                kind: Kind::Word(w),
                end,
                ..
            }),
            Some(Tok {
                kind: Kind::Op(op),
                start,
                ..
            }),
        ) = (self.toks.get(at), self.toks.get(at + 1))
            && w.borrow().bytes().all(|c| c.is_ascii_digit())
            && !matches!(op, Op::AndGreat | Op::AndDGreat)
            && is_redirect(*op)
            && end.index == start.index
            // Too large a number is a word to bash and dash (brush-parser
            // panics: `syntax::program` keeps such scripts from it).
            && let Ok(n) = w.borrow().parse::<ast::IoFd>()
        {
            fd = Some(n);
            at += 1;
        }
        let Some(Tok {
            kind: Kind::Op(op), ..
        }) = self.toks.get(at)
        else {
            return Some(None);
        };
        if !is_redirect(*op) {
            return Some(None);
        }
        let Some(
            t @ Tok {
                kind: Kind::Word(_),
                ..
            },
        ) = self.toks.get(at + 1)
        else {
            return None;
        };
        let target = t.take();
        use ast::IoFileRedirectKind as K;
        use ast::IoFileRedirectTarget as T;
        let r = match op {
            Op::Less => ast::IoRedirect::File(fd, K::Read, T::Filename(target)),
            Op::Great => ast::IoRedirect::File(fd, K::Write, T::Filename(target)),
            Op::DGreat => ast::IoRedirect::File(fd, K::Append, T::Filename(target)),
            Op::LessGreat => ast::IoRedirect::File(fd, K::ReadAndWrite, T::Filename(target)),
            Op::Clobber => ast::IoRedirect::File(fd, K::Clobber, T::Filename(target)),
            Op::LessAnd => ast::IoRedirect::File(fd, K::DuplicateInput, T::Duplicate(target)),
            Op::GreatAnd => ast::IoRedirect::File(fd, K::DuplicateOutput, T::Duplicate(target)),
            Op::AndGreat => ast::IoRedirect::OutputAndError(target, false),
            Op::AndDGreat => ast::IoRedirect::OutputAndError(target, true),
            _ => return Some(None),
        };
        self.i = at + 2;
        Some(Some(r))
    }
}

fn is_redirect(op: Op) -> bool {
    matches!(
        op,
        Op::Less
            | Op::Great
            | Op::DGreat
            | Op::LessGreat
            | Op::Clobber
            | Op::LessAnd
            | Op::GreatAnd
            | Op::AndGreat
            | Op::AndDGreat
    )
}

#[cfg(test)]
mod tests {
    use super::program;

    /// brush-parser's tree of `text`, printed.
    fn brush(text: &str, sh_mode: bool) -> Result<String, String> {
        let options = brush_parser::ParserOptions {
            sh_mode,
            ..Default::default()
        };
        brush_parser::Parser::new(std::io::Cursor::new(text.as_bytes()), &options)
            .parse_program()
            .map(|p| format!("{p:?}"))
            .map_err(|e| format!("{e:?}"))
    }

    /// Whether [`program`] built a tree for `text` (in both dialects), after
    /// checking that each tree it built is brush-parser's.
    fn agrees(text: &str) -> bool {
        let mut built = 0;
        for sh_mode in [true, false] {
            if let Some(p) = program(text, sh_mode) {
                built += 1;
                assert_eq!(
                    Ok(format!("{p:?}")),
                    brush(text, sh_mode),
                    "the trees of {text:?} differ (sh_mode {sh_mode})"
                );
            }
        }
        built > 0
    }

    #[test]
    fn scripts_get_brushs_tree() {
        for text in [
            "",
            "\n\n",
            "# only a comment",
            "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            "a || b; c | d |\n e\n\nf;\ng",
            "a &&\n\n b",
            "echo \"a $HOME ${x:-y} \\\" 'q'\" 'b $x' c\\ d \\$e",
            "x=1 y+=2 z= cmd a=b --k=v 2>&1 >/dev/null <in 3<>f >|g >>h 1<&0",
            "x=1",
            "x=1 >f",
            "echo 2 >f; echo 2>f; echo a2>f",
            "curl -fsSL https://x/y | sh -s -- --yes # install",
            "apt-get install \\\n    curl \\\n    git",
            "apt-get install\\\n  curl \"a\\\nb\"",
            "echo é ü \"ß\" 'ñ'\necho ok",
            "a\r\nb\r\n",
            "echo {a,b} [x] ~ ~/y $@ $? $1 ${#x} ${x%%.*} ${x/a/b}",
            "echo done then fi } {",
            "echo a#b #c\necho d",
            "echo $",
            "cmd &>log; cmd &>>log",
            "echo $(date) `id` $((1+2)) $[3] \"$(uname -m)\" $(a  b  $(c))",
            "echo $'a\\tb' ${x:-\"y\"} ${x:- y} @(a|b) !(c)",
            "if a; then b; elif c\nthen d; else e; fi > log 2>&1",
            "if [ -f x ]; then echo; fi",
            "for x in a b; do echo $x; done; for y; do :; done; for z do :; done",
            "for x in\ndo :; done",
            "while read l; do echo $l; done < f | until false; do :; done",
            "(cd /x && make) || { echo failed; exit 1; }",
            "a & b & ",
            "! true && ! ! false",
            "set -eux; \\\n  cd /x",
            "case $x in a) echo;; (b|c) ;; d)\n  e\n  ;; *) f\nesac; case x in esac",
            "case $x in a) b ;; *) c; esac; case y in z)\n esac",
            // Commands like any other in sh.
            "[[ -f x ]] && echo",
            "time make",
        ] {
            assert!(agrees(text), "{text:?} was left to brush-parser");
        }
    }

    #[test]
    fn other_scripts_are_left_to_brush() {
        for text in [
            "f() { :; }",
            "function f { :; }",
            "cat <<EOF\nx\nEOF",
            "echo $(cat <<EOF\nx\nEOF\n)",
            "((x++))",
            "a=(1 2)",
            "a[1]=x",
            "echo 'unterminated",
            "echo \"unterminated",
            "echo $(unterminated",
            "echo \\",
            "a &&",
            "a |",
            "; a",
            "a ;;",
            "echo >",
            "if a; then b; fi fi",
            "if a then b; fi",
            "{ echo }",
        ] {
            for sh_mode in [true, false] {
                assert!(
                    program(text, sh_mode).is_none(),
                    "{text:?} got a tree (sh_mode {sh_mode})"
                );
            }
        }
        // bash's own syntax.
        for text in ["[[ -f x ]] && echo", "time make", "cmd |& tee log"] {
            assert!(program(text, false).is_none(), "{text:?} got a tree");
        }
    }

    #[test]
    fn a_file_descriptor_too_large_is_a_word_as_in_bash_and_dash() {
        // `bash -c 'echo 99999999999>f'` writes 99999999999 to f.
        let p = program("echo 99999999999>f", true).unwrap();
        let text = format!("{p:?}");
        assert!(
            text.contains(r#"Word(Word { value: "99999999999""#)
                && text.contains("File(None, Write"),
            "{text}"
        );
    }

    /// Scripts of random pieces of shell syntax, most of them broken: where
    /// this parser builds a tree, brush-parser builds the same one.
    #[test]
    fn random_scripts_get_brushs_tree_or_none() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "a", "b=1", " ", "\t", "\n", ";", "&", "&&", "|", "||", "(", ")", "{", "}", "if",
            "then", "else", "fi", "for", "in", "do", "done", "while", "case", "esac", ";;", "!",
            "$", "$(", "${", "$((", "\"", "'", "`", "\\", "\\\n", "#", "2", ">", "<", ">&",
            ">>", "*", "@(", "é", "x", "-y", " ", " ", " ", " a", " a", "; ", " && ",
            "\"a b\"", "'c d'", "$x", "${y}", "$(z)", " 2>&1", "; do ", "; then ", "; fi",
            "; done", " )", " ;; ", "if a", "for i in a b", "while a", "case x in", " esac",
            "{ ", " }",
        ];
        let built = super::super::random_texts(PIECES, 20_000, 24, 0x9E37_79B9_7F4A_7C15)
            .filter(|t| agrees(t))
            .count();
        assert!(built > 1_000, "only {built} random scripts got a tree");
    }

    /// Every RUN script of the real Dockerfiles in `../shared/corpus` gets
    /// the same tree from both parsers, and most get it from this one.
    #[test]
    fn the_direct_parser_agrees_with_brush_on_the_corpus() {
        let Some(texts) = super::super::corpus_scripts() else {
            return;
        };
        let scripts = texts.len();
        let mut built = 0;
        for text in texts {
            if agrees(&text) {
                built += 1;
            } else if std::env::var_os("DUMP_LEFT").is_some() {
                eprintln!("LEFT {text:?}");
            }
        }
        eprintln!("{built} of {scripts} distinct RUN scripts parsed without brush-parser");
        assert!(
            scripts > 1500,
            "only {scripts} distinct RUN scripts in the corpus"
        );
        assert!(
            built * 10 > scripts * 9,
            "only {built} of {scripts} distinct RUN scripts parsed without brush-parser"
        );
    }
}

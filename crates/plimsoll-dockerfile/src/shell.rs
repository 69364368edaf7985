//! BuildKit's shell-word lexer: quote removal, escapes and `$VAR` / `${VAR...}`
//! substitution, as the Dockerfile frontend applies them to instruction arguments
//! (and, with raw quotes, to find heredoc markers).
//!
//! Semantics follow `frontend/dockerfile/shell/lex.go` in current BuildKit, including
//! the `${VAR#pat}`, `${VAR%pat}` and `${VAR/pat/repl}` forms added after v0.12.

use std::collections::BTreeSet;
use std::fmt;

use crate::source::is_go_space;

/// Options of one lexing pass. The defaults are what BuildKit uses to evaluate
/// instruction arguments: `\` escapes, quotes removed, unset variables expand to "".
#[derive(Debug, Clone, Copy)]
pub struct Lexer {
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as written.
    pub skip_unset_env: bool,
}

impl Default for Lexer {
    fn default() -> Self {
        Lexer {
            escape: '\\',
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }
}

/// The result of lexing one string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// The whole input with substitutions applied and quotes removed.
    pub result: String,
    /// The input split into words after substitution (quoted spaces kept).
    pub words: Vec<String>,
    /// Variable names that were referenced and set.
    pub matched: BTreeSet<String>,
    /// Variable names that were referenced but unset.
    pub unmatched: BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError(pub String);

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LexError {}

impl Lexer {
    /// Lexer with raw quotes and escapes and unset variables kept: BuildKit's pass
    /// that finds heredoc markers on an instruction line.
    pub fn heredoc_finder() -> Self {
        Lexer {
            raw_quotes: true,
            raw_escapes: true,
            skip_unset_env: true,
            ..Lexer::default()
        }
    }

    pub fn with_escape(escape: char) -> Self {
        Lexer {
            escape,
            ..Lexer::default()
        }
    }

    /// Lex `input`, looking variables up with `env`.
    pub fn process(
        &self,
        input: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Processed, LexError> {
        // A word of visible ASCII without `$`, quotes or the escape comes
        // back as it is (most FROM bases and ARG defaults): no walk.
        let esc = u32::from(self.escape);
        let plain = input.bytes().all(|b| {
            b.is_ascii_graphic() && !matches!(b, b'$' | b'\'' | b'"') && u32::from(b) != esc
        });
        if plain {
            return Ok(Processed {
                result: input.to_string(),
                words: if input.is_empty() {
                    Vec::new()
                } else {
                    vec![input.to_string()]
                },
                ..Processed::default()
            });
        }
        self.walk(input, env)
    }

    /// [`Lexer::process`] character by character.
    fn walk(
        &self,
        input: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Processed, LexError> {
        let mut sw = ShellWord {
            lex: *self,
            chars: input.chars().collect(),
            pos: 0,
            env,
            raw_escapes: self.raw_escapes,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        };
        let (result, words) = sw
            .process_stop_on(None, self.raw_escapes)
            .map_err(|e| LexError(format!("failed to process {input:?}: {}", e.0)))?;
        Ok(Processed {
            result,
            words,
            matched: sw.matched,
            unmatched: sw.unmatched,
        })
    }

    /// Lex with no variables set.
    pub fn process_no_env(&self, input: &str) -> Result<Processed, LexError> {
        self.process(input, &|_| None)
    }
}

struct ShellWord<'e> {
    lex: Lexer,
    chars: Vec<char>,
    pos: usize,
    env: &'e dyn Fn(&str) -> Option<String>,
    raw_escapes: bool,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if is_go_space(ch) && self.in_word {
            if !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else if !is_go_space(ch) {
            self.add_raw_char(ch);
        }
    }
    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }
    fn add_string(&mut self, s: &str) {
        for ch in s.chars() {
            self.add_char(ch);
        }
    }
    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }
    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, LexError> {
    Err(LexError(msg.into()))
}

impl ShellWord<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), LexError> {
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.process_stop_on_inner(stop);
        self.raw_escapes = saved;
        r
    }

    fn process_stop_on_inner(
        &mut self,
        stop: Option<char>,
    ) -> Result<(String, Vec<String>), LexError> {
        let mut result = String::new();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.next();
                return Ok((result, words.finish()));
            }
            let special = ch == '$' || (!self.lex.skip_process_quotes && (ch == '\'' || ch == '"'));
            if special {
                let tmp = match ch {
                    '$' => self.process_dollar()?,
                    '\'' => self.process_single_quote()?,
                    _ => self.process_double_quote()?,
                };
                result.push_str(&tmp);
                if ch == '$' {
                    words.add_string(&tmp);
                } else {
                    words.add_raw_string(&tmp);
                }
                continue;
            }
            let mut ch = self.next().unwrap_or_default();
            if ch == self.lex.escape {
                if self.raw_escapes {
                    words.add_raw_char(ch);
                    result.push(ch);
                }
                match self.next() {
                    None => break,
                    Some(c) => ch = c,
                }
                words.add_raw_char(ch);
            } else {
                words.add_char(ch);
            }
            result.push(ch);
        }
        if let Some(stop) = stop {
            return err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let q = self.next().unwrap_or('\'');
        if self.lex.raw_quotes {
            result.push(q);
        }
        loop {
            match self.next() {
                None => {
                    return err(
                        "unexpected end of statement while looking for matching single-quote",
                    );
                }
                Some('\'') => {
                    if self.lex.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(c) => result.push(c),
            }
        }
    }

    fn process_double_quote(&mut self) -> Result<String, LexError> {
        let mut result = String::new();
        let q = self.next().unwrap_or('"');
        if self.lex.raw_quotes {
            result.push(q);
        }
        loop {
            match self.peek() {
                None => {
                    return err(
                        "unexpected end of statement while looking for matching double-quote",
                    );
                }
                Some('"') => {
                    self.next();
                    if self.lex.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let v = self.process_dollar()?;
                    result.push_str(&v);
                }
                Some(_) => {
                    let mut ch = self.next().unwrap_or_default();
                    if ch == self.lex.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.lex.escape => {
                                ch = self.next().unwrap_or_default();
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match (self.env)(name) {
            Some(v) => {
                self.matched.insert(name.to_string());
                Some(v)
            }
            None => {
                self.unmatched.insert(name.to_string());
                None
            }
        }
    }

    fn process_dollar(&mut self) -> Result<String, LexError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            let value = self.get_env(&name);
            if value.is_none() && self.lex.skip_unset_env {
                return Ok(format!("${name}"));
            }
            return Ok(value.unwrap_or_default());
        }
        self.next();
        match self.peek() {
            None => return err("syntax error: missing '}'"),
            Some('{' | '}' | ':') => return err("syntax error: bad substitution"),
            _ => {}
        }
        let name = self.process_name();
        let ch = self.next();
        let mut chs: String = ch.map(String::from).unwrap_or_default();
        match ch {
            Some('}') => {
                let value = self.get_env(&name);
                if value.is_none() && self.lex.skip_unset_env {
                    return Ok(format!("${{{name}}}"));
                }
                Ok(value.unwrap_or_default())
            }
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let mut ch = ch;
                let mut null_is_unset = false;
                if ch == Some(':') {
                    null_is_unset = true;
                    ch = self.next();
                    if let Some(c) = ch {
                        chs.push(c);
                    }
                }
                let raw = matches!(ch, Some('#' | '%'));
                let word = match self.process_stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return err("syntax error: missing '}'");
                        }
                        return Err(e);
                    }
                };
                let value = self.get_env(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let set = value.is_some();
                let value = value.unwrap_or_default();
                let unset_or_null = !set || (null_is_unset && value.is_empty());
                match ch {
                    Some('-') => Ok(if unset_or_null { word } else { value }),
                    Some('+') => Ok(if unset_or_null { String::new() } else { word }),
                    Some('?') => {
                        if !set {
                            let m = if word.is_empty() {
                                "is not allowed to be unset".to_string()
                            } else {
                                word
                            };
                            return err(format!("{name}: {m}"));
                        }
                        if null_is_unset && value.is_empty() {
                            let m = if word.is_empty() {
                                "is not allowed to be empty".to_string()
                            } else {
                                word
                            };
                            return err(format!("{name}: {m}"));
                        }
                        Ok(value)
                    }
                    Some(c @ ('%' | '#')) => {
                        let (greedy, pat) = match word.strip_prefix(c) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        let pattern = Pattern::parse(&pat)?;
                        Ok(if c == '%' {
                            pattern.trim_suffix(&value, greedy)
                        } else {
                            pattern.trim_prefix(&value, greedy)
                        })
                    }
                    _ => err(format!("unsupported modifier ({chs}) in substitution")),
                }
            }
            Some('/') => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pattern = match self.process_stop_on(Some('/'), true) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return err("syntax error: missing '/' in ${}");
                        }
                        return Err(e);
                    }
                };
                let replacement = match self.process_stop_on(Some('}'), true) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return err("syntax error: missing '}'");
                        }
                        return Err(e);
                    }
                };
                let value = self.get_env(&name);
                if self.lex.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                }
                let value = value.unwrap_or_default();
                let pat = Pattern::parse(&pattern)?;
                Ok(pat.replace(&value, &replacement, replace_all))
            }
            _ => err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(d) = self.peek() {
                    if !d.is_numeric() {
                        break;
                    }
                    name.push(d);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphabetic() && !ch.is_numeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.next();
        }
        name
    }
}

/// A shell wildcard pattern (`*`, `?`, literals) as BuildKit's substitutions use it.
#[derive(Debug)]
struct Pattern(Vec<Tok>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Star,
    Any,
    Lit(char),
}

impl Pattern {
    fn parse(p: &str) -> Result<Self, LexError> {
        let mut out = Vec::new();
        let mut it = p.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '*' => out.push(Tok::Star),
                '?' => out.push(Tok::Any),
                '\\' => match it.peek().copied() {
                    Some('}' | '/') => {}
                    Some(n @ ('*' | '?' | '\\')) => {
                        it.next();
                        out.push(Tok::Lit(n));
                    }
                    Some(n) => {
                        return err(format!(
                            "invalid pattern ({p}) in substitution: invalid escape '\\{n}'"
                        ));
                    }
                    None => {
                        return err(format!(
                            "invalid pattern ({p}) in substitution: invalid escape '\\'"
                        ));
                    }
                },
                c => out.push(Tok::Lit(c)),
            }
        }
        Ok(Pattern(out))
    }

    /// Every length `n` such that the pattern matches `s[..n]` (in chars).
    fn prefix_match_lengths(toks: &[Tok], s: &[char]) -> Vec<usize> {
        // Positions reachable after consuming each token.
        let mut states: BTreeSet<usize> = BTreeSet::from([0]);
        for t in toks {
            let mut next = BTreeSet::new();
            for &i in &states {
                match t {
                    Tok::Star => next.extend(i..=s.len()),
                    Tok::Any => {
                        if i < s.len() {
                            next.insert(i + 1);
                        }
                    }
                    Tok::Lit(c) => {
                        if s.get(i) == Some(c) {
                            next.insert(i + 1);
                        }
                    }
                }
            }
            states = next;
            if states.is_empty() {
                break;
            }
        }
        states.into_iter().collect()
    }

    fn trim_prefix(&self, value: &str, greedy: bool) -> String {
        let s: Vec<char> = value.chars().collect();
        let lens = Self::prefix_match_lengths(&self.0, &s);
        let n = if greedy { lens.last() } else { lens.first() };
        match n {
            Some(&n) => s[n..].iter().collect(),
            None => value.to_string(),
        }
    }

    fn trim_suffix(&self, value: &str, greedy: bool) -> String {
        let s: Vec<char> = value.chars().rev().collect();
        let toks: Vec<Tok> = self.0.iter().rev().copied().collect();
        let lens = Self::prefix_match_lengths(&toks, &s);
        let n = if greedy { lens.last() } else { lens.first() };
        match n {
            Some(&n) => s[n..].iter().rev().collect(),
            None => value.to_string(),
        }
    }

    fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let s: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while i <= s.len() {
            let lens = Self::prefix_match_lengths(&self.0, &s[i..]);
            match lens.last() {
                Some(&n) => {
                    out.push_str(replacement);
                    if !all {
                        out.extend(&s[i + n..]);
                        return out;
                    }
                    if n == 0 {
                        if i < s.len() {
                            out.push(s[i]);
                        }
                        i += 1;
                    } else {
                        i += n;
                    }
                }
                None => {
                    if i < s.len() {
                        out.push(s[i]);
                    }
                    i += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "E" => Some(String::new()),
            "P" => Some("/usr/local/bin/tool.tar.gz".into()),
            "S" => Some("a b".into()),
            _ => None,
        }
    }

    fn lex(s: &str) -> String {
        Lexer::default().process(s, &env).unwrap().result
    }

    #[test]
    fn substitutions() {
        assert_eq!(lex("$A"), "alpha");
        assert_eq!(lex("${A}x"), "alphax");
        assert_eq!(lex("${U:-def}"), "def");
        assert_eq!(lex("${E:-def}"), "def");
        assert_eq!(lex("${E-def}"), "");
        assert_eq!(lex("${A:+alt}"), "alt");
        assert_eq!(lex("${U:+alt}"), "");
        assert_eq!(lex("\\$A"), "$A");
        assert_eq!(lex("'$A'"), "$A");
        assert_eq!(lex("\"$A\""), "alpha");
        assert_eq!(lex("${P#*/}"), "usr/local/bin/tool.tar.gz");
        assert_eq!(lex("${P##*/}"), "tool.tar.gz");
        assert_eq!(lex("${P%.*}"), "/usr/local/bin/tool.tar");
        assert_eq!(lex("${P%%.*}"), "/usr/local/bin/tool");
        assert_eq!(lex("${P/o/0}"), "/usr/l0cal/bin/tool.tar.gz");
        assert_eq!(lex("${P//o/0}"), "/usr/l0cal/bin/t00l.tar.gz");
        assert_eq!(lex("$"), "$");
        assert_eq!(lex("$1x"), "x");
    }

    #[test]
    fn plain_words_come_back_as_the_walk_gives_them() {
        let words = [
            "alpine:3.19",
            "",
            "a/b@sha256:00",
            "x\\y",
            "é",
            "a b",
            "${A}",
            "`",
            "'q'",
        ];
        for escape in ['\\', '`'] {
            for raw_escapes in [false, true] {
                let lex = Lexer {
                    escape,
                    raw_escapes,
                    ..Lexer::default()
                };
                for w in words {
                    assert_eq!(lex.process(w, &env), lex.walk(w, &env), "{w:?} {escape:?}");
                }
            }
        }
    }

    #[test]
    fn errors() {
        let l = Lexer::default();
        assert!(l.process("${A", &env).is_err());
        assert!(l.process("${}", &env).is_err());
        assert!(l.process("${U?}", &env).is_err());
        assert!(l.process("'abc", &env).is_err());
        assert!(l.process("\"abc", &env).is_err());
    }

    #[test]
    fn words_split_after_substitution() {
        let p = Lexer::default().process("x $S \"c d\" ''", &env).unwrap();
        assert_eq!(p.words, vec!["x", "a", "b", "c d"]);
        assert!(p.matched.contains("S"));
    }

    #[test]
    fn heredoc_finder_keeps_everything_raw() {
        let p = Lexer::heredoc_finder()
            .process_no_env("RUN <<'EOF' ${X:-y} \\n")
            .unwrap();
        assert_eq!(p.words, vec!["RUN", "<<'EOF'", "${X:-y}", "\\n"]);
    }
}

//! brush-parser's pieces of a shell word, read without brush-parser's word
//! grammar for the words RUN scripts are made of.
//!
//! A word with quotes or expansions (`"$GNUPGHOME"`, `${PHP_VERSION}`,
//! `"$(dpkg --print-architecture)"`) is read into
//! [`WordPieceWithSource`]s: brush-parser does it with a PEG grammar
//! (`expansion_parser::unexpanded_word`) behind a global cache that copies
//! the word and its pieces on every call, the largest cost of the lint
//! plugin's syntax builder after the parse of the script itself. [`pieces`]
//! builds the same pieces, value for value and position for position, for
//! the words that have only text, escapes, single and double quotes, `$name`,
//! `${name}`, `${name[:]-=?+ word}`, `${name%[%] word}`, `${name#[#] word}`
//! and `$( )`, with brush-parser's reading of the options the syntax builder
//! gives it (bash's expansions, `ParserOptions::default()`). Anything else
//! (a tilde, a backquote, `$'..'`, `$".."`, `$(( ))`, `$[ ]`, `${!x}`,
//! `${#x}`, `${x:1}`, `${x/a/b}`, arrays, extended globs in `$( )`) and every
//! word brush-parser would read otherwise or reject gives `None`, and the
//! caller asks brush-parser. The test `the_word_reader_agrees_with_brush_on_the_corpus`
//! compares the two on every distinct word of the RUN scripts of
//! `../shared/corpus`.
//!
//! Written by hand for the same reason as `direct`: the point is to skip a
//! general parser, and no crate builds brush-parser's pieces but
//! brush-parser.

use brush_parser::word::{
    Parameter, ParameterExpr, ParameterTestType, SpecialParameter, WordPiece, WordPieceWithSource,
};

/// brush-parser's pieces of `word` (read with `ParserOptions::default()`),
/// or `None` when the word is not one this reader covers.
pub(super) fn pieces(word: &str) -> Option<Vec<WordPieceWithSource>> {
    // A tilde prefix (`~/x`, `~user`) is brush-parser's `TildeExpansion`
    // piece: not covered.
    if word.starts_with('~') {
        return None;
    }
    let mut r = Reader { text: word, at: 0 };
    // Up to the end: no stop but the end ends a word at the top.
    let pieces = r.word(Stop::End)?;
    debug_assert_eq!(r.at, word.len());
    Some(pieces)
}

/// Where unquoted text stops: brush-parser's `stop_condition`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The end of the word (`unexpanded_word`).
    End,
    /// A `}` (the word of `${x:-word}`).
    Brace,
    /// A `)` (the script of `$( )`).
    Paren,
}

impl Stop {
    fn stops_at(self, b: u8) -> bool {
        match self {
            Stop::End => false,
            Stop::Brace => b == b'}',
            Stop::Paren => b == b')',
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.text.as_bytes().get(self.at + n).copied()
    }

    /// brush-parser's `word` past its tilde prefix: pieces for as long as
    /// one matches. (A tilde prefix is read as unquoted text here: it
    /// covers the same chars, which is all the word of `${x%~*}` needs.)
    fn word(&mut self, stop: Stop) -> Option<Vec<WordPieceWithSource>> {
        let mut out = Vec::new();
        while let Some(piece) = self.piece(stop, false)? {
            out.push(piece);
        }
        Some(out)
    }

    /// brush-parser's `word_piece_with_source`: `Some(None)` where no piece
    /// matches (at the end, or at the stop), `None` where this reader does
    /// not cover what is there.
    fn piece(&mut self, stop: Stop, in_command: bool) -> Option<Option<WordPieceWithSource>> {
        let start = self.at;
        let Some(b) = self.peek() else {
            return Some(None);
        };
        let piece = match b {
            b'"' => {
                self.at += 1;
                WordPiece::DoubleQuotedSequence(self.double_quoted()?)
            }
            b'\'' => {
                let body = start + 1;
                let close = body + self.text[body..].find('\'')?;
                self.at = close + 1;
                WordPiece::SingleQuotedText(self.text[body..close].to_owned())
            }
            b'$' => self.dollar(false)?,
            b'`' => return None,
            b'\\' => WordPiece::EscapeSequence(self.escape()?.to_owned()),
            _ => {
                self.unquoted_text(stop, in_command)?;
                if self.at == start {
                    return Some(None);
                }
                WordPiece::Text(self.text[start..self.at].to_owned())
            }
        };
        Some(Some(WordPieceWithSource {
            piece,
            start_index: start,
            end_index: self.at,
        }))
    }

    /// `\` and the char after it (brush-parser's `normal_escape_sequence`).
    fn escape(&mut self) -> Option<&'a str> {
        let start = self.at;
        let c = self.text[start + 1..].chars().next()?;
        self.at = start + 1 + c.len_utf8();
        Some(&self.text[start..self.at])
    }

    /// brush-parser's `unquoted_literal_text`: chars up to a quote, `$`,
    /// backquote, `\` or the stop; in a command, `( )` taken whole.
    fn unquoted_text(&mut self, stop: Stop, in_command: bool) -> Option<()> {
        while let Some(b) = self.peek() {
            if in_command {
                if matches!(b, b'@' | b'!' | b'?' | b'+' | b'*') && self.peek_at(1) == Some(b'(') {
                    // An extended glob.
                    return None;
                }
                if b == b'(' {
                    self.at += 1;
                    self.command()?;
                    continue;
                }
            }
            if stop.stops_at(b) || matches!(b, b'\'' | b'"' | b'$' | b'`' | b'\\') {
                break;
            }
            self.at += 1;
        }
        Some(())
    }

    /// The pieces inside `"…"`, past the closing quote (the opening one is
    /// read).
    fn double_quoted(&mut self) -> Option<Vec<WordPieceWithSource>> {
        let mut out = Vec::new();
        loop {
            let start = self.at;
            let piece = match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(out);
                }
                b'`' => return None,
                b'$' if self.peek_at(1) != Some(b'\'') => self.dollar(true)?,
                b'\\' if matches!(self.peek_at(1), Some(b'$' | b'`' | b'"' | b'\\')) => {
                    self.at += 2;
                    WordPiece::EscapeSequence(self.text[start..self.at].to_owned())
                }
                _ => {
                    // Text: up to a quote, an escape, or a `$` that starts
                    // an expansion (`$'` does not, between double quotes).
                    while let Some(b) = self.peek() {
                        match b {
                            b'"' | b'`' => break,
                            b'$' if self.peek_at(1) != Some(b'\'') => break,
                            b'\\'
                                if matches!(self.peek_at(1), Some(b'$' | b'`' | b'"' | b'\\')) =>
                            {
                                break;
                            }
                            // A backslash before anything else is text, and
                            // so is what follows it.
                            _ => self.at += 1,
                        }
                    }
                    WordPiece::Text(self.text[start..self.at].to_owned())
                }
            };
            out.push(WordPieceWithSource {
                piece,
                start_index: start,
                end_index: self.at,
            });
        }
    }

    /// What a `$` starts (brush-parser's `dollar_sign_word_piece`, and,
    /// unless `quoted` (between double quotes), its `$'`/`$"` quotes, which
    /// are not covered).
    fn dollar(&mut self, quoted: bool) -> Option<WordPiece> {
        match self.peek_at(1) {
            Some(b'\'' | b'[') => None,
            Some(b'"') if !quoted => None,
            Some(b'(') if self.peek_at(2) == Some(b'(') => None,
            Some(b'(') => {
                self.at += 2;
                let start = self.at;
                self.command()?;
                Some(WordPiece::CommandSubstitution(
                    self.text[start..self.at - 1].to_owned(),
                ))
            }
            Some(b'{') => {
                self.at += 2;
                self.braced()
            }
            _ => {
                self.at += 1;
                match self.unbraced_parameter() {
                    Some(parameter) => {
                        Some(WordPiece::ParameterExpansion(ParameterExpr::Parameter {
                            parameter,
                            indirect: false,
                        }))
                    }
                    None => Some(WordPiece::Text("$".to_owned())),
                }
            }
        }
    }

    /// The script of `$( )` or of a `( )` in it, past the closing
    /// parenthesis (the opening one is read): brush-parser's `command`.
    fn command(&mut self) -> Option<()> {
        while let Some(b) = self.peek() {
            if b == b')' {
                self.at += 1;
                return Some(());
            }
            // An unterminated single quote is one char to brush-parser
            // here; not covered.
            self.piece(Stop::Paren, true)??;
        }
        None
    }

    /// `$1`…`$9`, `$@` and the other special parameters, `$name`.
    fn unbraced_parameter(&mut self) -> Option<Parameter> {
        let b = self.peek()?;
        if matches!(b, b'1'..=b'9') {
            self.at += 1;
            return Some(Parameter::Positional(u32::from(b - b'0')));
        }
        if let Some(p) = special(b) {
            self.at += 1;
            return Some(Parameter::Special(p));
        }
        self.variable_name().map(Parameter::Named)
    }

    /// brush-parser's `variable_name`.
    fn variable_name(&mut self) -> Option<String> {
        let start = self.at;
        if self.peek().is_none_or(|b| b.is_ascii_digit()) {
            return None;
        }
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            self.at += 1;
        }
        (self.at > start).then(|| self.text[start..self.at].to_owned())
    }

    /// What follows `${`, past its `}`.
    fn braced(&mut self) -> Option<WordPiece> {
        // `${!x}`, `${#x}` and their kin.
        if matches!(self.peek()?, b'!' | b'#') {
            return None;
        }
        let parameter = self.parameter()?;
        let test_type = if self.peek() == Some(b':') {
            self.at += 1;
            ParameterTestType::UnsetOrNull
        } else {
            ParameterTestType::Unset
        };
        let colon = matches!(test_type, ParameterTestType::UnsetOrNull);
        let op = self.peek()?;
        // `${!x}` is not covered.
        let indirect = false;
        let expr = match op {
            b'}' if !colon => ParameterExpr::Parameter {
                parameter,
                indirect,
            },
            b'-' | b'=' | b'?' | b'+' => {
                self.at += 1;
                let value = Some(self.expression_word()?);
                match op {
                    b'-' => ParameterExpr::UseDefaultValues {
                        parameter,
                        indirect,
                        test_type,
                        default_value: value,
                    },
                    b'=' => ParameterExpr::AssignDefaultValues {
                        parameter,
                        indirect,
                        test_type,
                        default_value: value,
                    },
                    b'?' => ParameterExpr::IndicateErrorIfNullOrUnset {
                        parameter,
                        indirect,
                        test_type,
                        error_message: value,
                    },
                    _ => ParameterExpr::UseAlternativeValue {
                        parameter,
                        indirect,
                        test_type,
                        alternative_value: value,
                    },
                }
            }
            b'%' | b'#' if !colon => {
                let double = self.peek_at(1) == Some(op);
                self.at += 1 + usize::from(double);
                let pattern = Some(self.expression_word()?);
                match (op, double) {
                    (b'%', true) => ParameterExpr::RemoveLargestSuffixPattern {
                        parameter,
                        indirect,
                        pattern,
                    },
                    (b'%', false) => ParameterExpr::RemoveSmallestSuffixPattern {
                        parameter,
                        indirect,
                        pattern,
                    },
                    (_, true) => ParameterExpr::RemoveLargestPrefixPattern {
                        parameter,
                        indirect,
                        pattern,
                    },
                    (_, false) => ParameterExpr::RemoveSmallestPrefixPattern {
                        parameter,
                        indirect,
                        pattern,
                    },
                }
            }
            // `${x:1}`, `${x/a/b}`, `${x^^}`, `${x,}`, `${x@Q}`, or not a
            // parameter expansion at all.
            _ => return None,
        };
        if self.peek() != Some(b'}') {
            return None;
        }
        self.at += 1;
        Some(WordPiece::ParameterExpansion(expr))
    }

    /// brush-parser's `parameter` (between braces), arrays not covered.
    fn parameter(&mut self) -> Option<Parameter> {
        let b = self.peek()?;
        if matches!(b, b'1'..=b'9') {
            let start = self.at;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.at += 1;
            }
            return self.text[start..self.at]
                .parse()
                .ok()
                .map(Parameter::Positional);
        }
        if let Some(p) = special(b) {
            self.at += 1;
            return Some(Parameter::Special(p));
        }
        let name = self.variable_name()?;
        if self.peek() == Some(b'[') {
            return None;
        }
        Some(Parameter::Named(name))
    }

    /// The text of the word in `${x:-word}`, up to its `}`.
    fn expression_word(&mut self) -> Option<String> {
        let start = self.at;
        self.word(Stop::Brace)?;
        Some(self.text[start..self.at].to_owned())
    }
}

/// brush-parser's `special_parameter`.
fn special(b: u8) -> Option<SpecialParameter> {
    Some(match b {
        b'@' => SpecialParameter::AllPositionalParameters { concatenate: false },
        b'*' => SpecialParameter::AllPositionalParameters { concatenate: true },
        b'#' => SpecialParameter::PositionalParameterCount,
        b'?' => SpecialParameter::LastExitStatus,
        b'-' => SpecialParameter::CurrentOptionFlags,
        b'$' => SpecialParameter::ProcessId,
        b'!' => SpecialParameter::LastBackgroundProcessId,
        b'0' => SpecialParameter::ShellName,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::pieces;

    /// brush-parser's pieces of `word`, printed.
    fn brush(word: &str) -> Result<String, String> {
        brush_parser::word::parse(word, &brush_parser::ParserOptions::default())
            .map(|p| format!("{p:?}"))
            .map_err(|e| format!("{e:?}"))
    }

    /// Whether [`pieces`] read `word`, after checking that what it read is
    /// brush-parser's reading.
    fn agrees(word: &str) -> bool {
        match pieces(word) {
            Some(p) => {
                assert_eq!(
                    Ok(format!("{p:?}")),
                    brush(word),
                    "the pieces of {word:?} differ"
                );
                true
            }
            None => false,
        }
    }

    #[test]
    fn words_get_brushs_pieces() {
        for word in [
            "",
            "plain",
            "a\\ b",
            "\\$x",
            "é\\é",
            "'single $x'",
            "''",
            "\"\"",
            "\"double $x ${y} \\\" \\$ \\a \\\\ $'\"",
            "\"$\"",
            "\"a$\"b",
            "$",
            "a$",
            "$%",
            "$1$12$0$@$*$#$?$-$$$!$_x$x.y",
            "${x}${1}${12}${@}${*}${?}${-}${$}${0}",
            "${x:-}${x-a}${x:=b}${x=c}${x:?d}${x?}${x:+e}${x+f}",
            "${x%.*}${x%%.*}${x#*/}${x##*/}${x%}",
            "${x%~*}${x:-~}${x:-~/a}${x:-~u}${x:-~+}",
            "${x:-\"a b\"}${x:-'c'}${x:-${y:-z}}${x:-$(pwd)}${x:-a\\}b}",
            "${--}${-:-x}",
            "$(dpkg --print-architecture)",
            "\"$(uname -m)\"",
            "$(a \"b)\" 'c)' \\) $(d) ${e} (f) (g (h)))",
            "$(case x in a) b;; esac)",
            "$(echo a\nb)",
            "--build=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"",
            "https://x/${V}/y-${V%%-*}.tar.gz",
            "(a)",
            "a}b)c",
        ] {
            assert!(agrees(word), "{word:?} was left to brush-parser");
        }
    }

    #[test]
    fn other_words_are_left_to_brush() {
        for word in [
            "~",
            "~/x",
            "`id`",
            "\"`id`\"",
            "$'a\\tb'",
            "$\"x\"",
            "$((1+2))",
            "$[1]",
            "${!x}",
            "${#x}",
            "${x:1}",
            "${x/a/b}",
            "${x^^}",
            "${x,}",
            "${x@Q}",
            "${a[1]}",
            "$(ls @(a|b))",
            "'unterminated",
            "\"unterminated",
            "$(unterminated",
            "${unterminated",
            "$(echo ')",
            "a\\",
            "${99999999999}",
        ] {
            assert!(pieces(word).is_none(), "{word:?} was read");
        }
    }

    /// Words of random pieces, most of them odd: where this reader reads
    /// one, brush-parser reads the same pieces.
    #[test]
    fn random_words_get_brushs_pieces_or_none() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "a", "b1", "_", "é", " ", "\n", "\"", "'", "\\", "$", "${", "}", "$(", "(", ")",
            ":", "-", "=", "?", "+", "%", "%%", "#", "##", "@", "*", "!", "0", "1", "9", "x",
            "$x", "${y}", "$(z)", "\\\"", "\\$", "\\\\", "/", ".", "[", "]", "~", "`", "$'",
            ";", "|", "&", "<", ">", "{", ",", "^",
        ];
        let read = super::super::random_texts(PIECES, 50_000, 12, 0x2545_F491_4F6C_DD1D)
            .filter(|t| agrees(t))
            .count();
        assert!(read > 5_000, "only {read} random words were read");
    }

    /// Every word of the RUN scripts of `../shared/corpus` (as brush-parser's
    /// tokenizer splits them, and the values of assignments) that has
    /// quotes or expansions gets the same pieces from both readers, and
    /// most get them from this one.
    #[test]
    fn the_word_reader_agrees_with_brush_on_the_corpus() {
        let Some(texts) = super::super::corpus_scripts() else {
            return;
        };
        let (mut words, mut read) = (0, 0);
        let mut seen = std::collections::HashSet::new();
        let options = brush_parser::ParserOptions::default().tokenizer_options();
        for text in texts {
            let Ok(tokens) = brush_parser::uncached_tokenize_str(&text, &options) else {
                continue;
            };
            for t in tokens {
                let brush_parser::Token::Word(w, _) = t else {
                    continue;
                };
                // An assignment's value is read as a word of its own.
                let value = w
                    .split_once('=')
                    .filter(|(k, _)| {
                        let k = k.strip_suffix('+').unwrap_or(k);
                        k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    })
                    .map(|(_, v)| v.to_string());
                for w in std::iter::once(w).chain(value) {
                    if !w.contains(['$', '`', '\'', '"', '\\', '~']) || !seen.insert(w.clone()) {
                        continue;
                    }
                    words += 1;
                    if agrees(&w) {
                        read += 1;
                    } else if std::env::var_os("DUMP_LEFT").is_some() {
                        eprintln!("LEFT {w:?}");
                    }
                }
            }
        }
        eprintln!(
            "{read} of {words} distinct words with quotes or expansions read without brush-parser"
        );
        assert!(words > 2000, "only {words} distinct words in the corpus");
        assert!(
            // docs/reference/shell.md says 99%.
            read * 100 >= words * 99,
            "only {read} of {words} distinct words read without brush-parser"
        );
    }
}

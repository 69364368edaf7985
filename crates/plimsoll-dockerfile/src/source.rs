//! Byte spans and line/column positions over a Dockerfile's text.

/// A half-open byte range `[start, end)` into [`crate::Dockerfile::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }

    pub const fn len(&self) -> usize {
        self.end - self.start
    }

    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn contains(&self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// The text this span covers. Panics if the span is not within `text` or not on
    /// char boundaries; spans made by this crate always are.
    pub fn slice<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// A resolved point: 1-based line, 1-based column in Unicode scalar values, and the
/// 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

/// Maps byte offsets to line/column. Lines end at `\n` (a preceding `\r` belongs to the
/// line, as BuildKit's scanner keeps it).
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset at which each line starts.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    /// Where each line starts (the first at 0; after a final newline, one
    /// more at the end of the text).
    pub(crate) fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// Number of lines (a trailing newline does not start a new, empty line).
    pub fn line_count(&self, text: &str) -> usize {
        if text.ends_with('\n') {
            self.starts.len() - 1
        } else {
            self.starts.len()
        }
    }

    /// The 1-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Byte offset where the 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts[line.saturating_sub(1).min(self.starts.len() - 1)]
    }

    /// Byte range of the 1-based `line` without its line ending.
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.line_start(line);
        let mut end = if line < self.starts.len() {
            self.starts[line] - 1
        } else {
            text.len()
        };
        if end > start && text.as_bytes()[end - 1] == b'\r' && end < text.len() {
            end -= 1;
        }
        Span::new(start, end.max(start))
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start)
            + 1;
        Position {
            line: line as u32,
            column: column as u32,
            offset: offset as u32,
        }
    }
}

/// Go's `unicode.IsSpace`, which BuildKit uses everywhere it trims or splits.
pub(crate) fn is_go_space(c: char) -> bool {
    match c {
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}' => true,
        c if (c as u32) < 0x100 => false,
        c => c.is_whitespace(),
    }
}

/// The character class `[\t\v\f\r ]` of BuildKit's `reWhitespace`.
pub(crate) fn is_re_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\u{0B}' | '\u{0C}' | '\r' | ' ')
}

/// `strings.TrimLeftFunc(s, unicode.IsSpace)`, returning the number of bytes removed.
pub(crate) fn trim_left_go(s: &str) -> (&str, usize) {
    // ASCII spaces byte by byte (nearly every line); characters only from
    // the first non-ASCII byte on.
    let b = s.as_bytes();
    let i = b
        .iter()
        .position(|&c| !matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' '))
        .unwrap_or(b.len());
    if b.get(i).is_some_and(|&c| c >= 0x80) {
        let t = s[i..].trim_start_matches(is_go_space);
        return (t, s.len() - t.len());
    }
    (&s[i..], i)
}

/// `strings.TrimSpace`, returning the trimmed text and the bytes removed on the left.
pub(crate) fn trim_go(s: &str) -> (&str, usize) {
    let (t, left) = trim_left_go(s);
    (t.trim_end_matches(is_go_space), left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_and_lines() {
        let text = "FROM a\r\nRUN é x\n";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(text), 2);
        let p = idx.position(text, text.find('x').unwrap());
        assert_eq!((p.line, p.column), (2, 7));
        assert_eq!(idx.line_span(text, 1).slice(text), "FROM a");
        assert_eq!(idx.line_span(text, 2).slice(text), "RUN é x");
    }

    #[test]
    fn go_space_matches_unicode_is_space() {
        for c in ['\t', '\n', ' ', '\u{85}', '\u{A0}', '\u{2003}', '\u{3000}'] {
            assert!(is_go_space(c), "{c:?}");
        }
        for c in ['a', '\u{200B}', '\u{1C}'] {
            assert!(!is_go_space(c), "{c:?}");
        }
    }
}

//! Text that came from outside (plugins, registries, images): cut to a size
//! without splitting a character.

/// Cuts `s` to at most `max_bytes` bytes at a character boundary; returns
/// whether anything was cut. Every truncation of plugin-supplied text goes
/// through here: `String::truncate` panics inside a multi-byte character.
pub fn truncate_utf8(s: &mut String, max_bytes: usize) -> bool {
    if s.len() <= max_bytes {
        return false;
    }
    let cut = s.floor_char_boundary(max_bytes);
    s.truncate(cut);
    true
}

/// [`truncate_utf8`], marking a cut with `…` (which stays within `max_bytes`).
pub fn truncate_with_ellipsis(s: &mut String, max_bytes: usize) {
    const MARK: &str = "…";
    if s.len() > max_bytes {
        truncate_utf8(s, max_bytes.saturating_sub(MARK.len()));
        s.push_str(MARK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        for extra in ["é", "€", "😀", "a"] {
            for pad in 0..4 {
                let mut s = "a".repeat(4095 - pad) + &extra.repeat(10);
                let before = s.clone();
                assert!(truncate_utf8(&mut s, 4096));
                assert!(s.len() <= 4096 && before.starts_with(&s));
                let mut t = before.clone();
                truncate_with_ellipsis(&mut t, 4096);
                assert!(t.len() <= 4096 && t.ends_with('…'), "{}", t.len());
            }
        }
        let mut short = String::from("é");
        assert!(!truncate_utf8(&mut short, 4096));
        assert_eq!(short, "é");
        let mut zero = String::from("é");
        assert!(truncate_utf8(&mut zero, 1));
        assert_eq!(zero, "");
    }
}

/// Characters that must never reach a terminal or CI log as themselves:
/// C0 and C1 controls and DEL (escape sequences, bells, carriage returns),
/// Unicode line and paragraph separators, and the bidirectional controls
/// that make text read differently from what it is.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        )
}

/// Whether `s` is printable ASCII apart from the bytes in `also`: then it
/// holds no hidden character (a byte loop, where asking each decoded
/// character is several comparisons; nearly all text is this).
pub(crate) fn printable_ascii(s: &str, also: &[u8]) -> bool {
    s.bytes()
        .all(|b| matches!(b, b' '..=b'~') || also.contains(&b))
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// One line of text that came from outside (a plugin, a registry, an
/// image, a file name): every control character, escape sequence and line
/// break is rendered visibly (`\n`, `\e`, `\u{202e}`), so it can neither
/// drive a terminal nor start a line of a CI log.
pub fn line(s: &str) -> std::borrow::Cow<'_, str> {
    if printable_ascii(s, b"") || !s.chars().any(is_hidden) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Several lines of text from outside (an error with a registry's answer,
/// a plugin's stderr): line breaks stay, every other hidden character is
/// rendered visibly, and each line after the first starts with `indent`, so
/// nothing outside text says can sit at column 0 of a runner-parsed stream
/// (`::add-mask::`, `##[cmd]`). A CRLF counts as one line break.
pub fn block<'a>(s: &'a str, indent: &str) -> std::borrow::Cow<'a, str> {
    if printable_ascii(s, b"\t") || !s.chars().any(|c| is_hidden(c) && c != '\t') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                out.push('\n');
                out.push_str(indent);
            }
            '\t' => out.push('\t'),
            c if is_hidden(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out.into()
}

/// `text` with hidden characters rendered visibly (line breaks, tabs and
/// CRLF kept), and a function from offsets in `text` to offsets in the
/// result, so that spans into the original still point at the same
/// characters (source snippets of hostile Dockerfiles).
pub fn source_with_offsets(text: &str) -> (std::borrow::Cow<'_, str>, impl Fn(usize) -> usize) {
    let keep = |c: char, next: Option<char>| {
        matches!(c, '\n' | '\t') || (c == '\r' && next == Some('\n')) || !is_hidden(c)
    };
    let mut shifts: Vec<(usize, usize)> = Vec::new();
    let mut out = String::new();
    let mut changed = false;
    let mut delta = 0usize;
    // Nearly every file shows as it is: nothing is copied unless a
    // character is not, and then only from there on.
    let mut chars = text.char_indices().peekable();
    let clean = if printable_ascii(text, b"\n\t") {
        text.len()
    } else {
        loop {
            match chars.next() {
                None => break text.len(),
                Some((i, c)) if !keep(c, chars.peek().map(|(_, n)| *n)) => break i,
                Some(_) => {}
            }
        }
    };
    let (shown, rest) = text.split_at(clean);
    if !rest.is_empty() {
        out.push_str(shown);
    }
    let mut iter = rest.char_indices().map(|(i, c)| (i + clean, c)).peekable();
    while let Some((i, c)) = iter.next() {
        let next = iter.peek().map(|(_, n)| *n);
        if keep(c, next) {
            out.push(c);
        } else {
            changed = true;
            let before = out.len();
            push_visible(&mut out, c);
            delta += out.len() - before - c.len_utf8();
            shifts.push((i + c.len_utf8(), delta));
        }
    }
    let map = move |o: usize| match shifts.partition_point(|&(at, _)| at <= o) {
        0 => o,
        n => o + shifts[n - 1].1,
    };
    if changed {
        (out.into(), map)
    } else {
        (text.into(), map)
    }
}

/// A Markdown table cell (the GitHub step summary): one line, with the
/// syntax that could add rows (`|`), links or images (`[`, `]`), or HTML
/// (`<`, `>`, `&`) escaped. Code spans and emphasis stay: they cannot reach
/// outside the cell.
pub fn markdown_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in line(s).chars() {
        match c {
            '|' | '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for an XML 1.0 document: characters XML cannot hold (most C0
/// controls, U+FFFE, U+FFFF) and escape characters are rendered visibly,
/// line breaks become character references (so outside text never starts a
/// line of the document), then `& < > " '` are escaped.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if is_hidden(c) || c == '\u{fffe}' || c == '\u{ffff}' => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod sanitize_tests {
    use super::*;

    /// The byte fast path never passes over a hidden character: every
    /// ASCII character it accepts is one `is_hidden` refuses.
    #[test]
    fn printable_ascii_holds_nothing_hidden() {
        for b in 0u8..=0x7f {
            let c = b as char;
            if printable_ascii(&c.to_string(), b"") {
                assert!(!is_hidden(c), "{b:#x}");
            }
        }
        assert!(!printable_ascii("caf\u{e9}", b""));
        assert!(!printable_ascii("a\u{1b}[31m", b""));
        assert!(printable_ascii("a\tb", b"\t"));
    }

    const HOSTILE: &str =
        "ok\n::add-mask::secret\r\n##[cmd]x\x1b]52;c;Zm9v\x07\u{202e}gnp.exe\u{ffff}";

    #[test]
    fn lines_hide_nothing() {
        let l = line(HOSTILE);
        assert!(!l.contains('\n') && !l.contains('\x1b') && !l.contains('\u{202e}'));
        assert!(l.contains("\\n::add-mask::") && l.contains("\\e]52") && l.contains("\\u{202e}"));
        assert_eq!(line("plain"), "plain");
    }

    #[test]
    fn blocks_indent_every_line_after_the_first() {
        let b = block(HOSTILE, "  ");
        for l in b.lines().skip(1) {
            assert!(l.starts_with("  "), "{l:?}");
        }
        assert!(!b.contains('\x1b') && !b.contains('\r'));
        assert_eq!(block("a\tb", "  "), "a\tb");
    }

    #[test]
    fn source_offsets_follow_the_escapes() {
        let src = "FROM a\nRUN echo \x1b[2J done\r\nUSER b\n";
        let (shown, map) = source_with_offsets(src);
        assert!(!shown.contains('\x1b'));
        let user = src.find("USER").unwrap();
        assert_eq!(&shown[map(user)..map(user) + 4], "USER");
        let done = src.find("done").unwrap();
        assert_eq!(&shown[map(done)..map(done) + 4], "done");
        assert_eq!(map(0), 0);
        assert!(shown.contains("\r\n"), "CRLF is kept");
    }

    #[test]
    fn markdown_and_xml() {
        let cell = markdown_cell("a|b\n| x | y |<img src=x>`[l](u)` ![i](u)");
        assert!(!cell.contains('\n') && !cell.contains("<img"));
        assert!(
            cell.contains("\\[l\\](u)") && cell.contains("!\\[i\\](u)"),
            "{cell}"
        );
        assert_eq!(cell.matches('|').count(), cell.matches("\\|").count());
        let x = xml("a\u{ffff}b\x01<&>\n");
        assert_eq!(x, "a\\u{ffff}b\\u{1}&lt;&amp;&gt;&#10;");
    }
}

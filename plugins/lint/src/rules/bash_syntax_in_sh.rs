use plimsoll_analysis::shell::Sep;
use plimsoll_analysis::shell::syntax::{Dialect, PartKind, Quoting, ShWord};
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports bash syntax in a RUN that `/bin/sh` runs (no bash `SHELL`, no
    /// bash shebang): brace expansion (`mkdir -p /a/{b,c}`), `[[ ]]`, `==` in
    /// `[ ]`, `&>`, `echo -e`, `${x/a/b}`, `${x:1:2}`, `${x^^}`, `${!x}`,
    /// arrays. (Process substitution `<(...)` in sh is a syntax error there:
    /// PL2101.)
    ///
    /// ## Why is this bad?
    /// `/bin/sh` is dash on Debian and Ubuntu images: there `mkdir -p
    /// /a/{b,c}` makes one directory named `{b,c}`, `echo -e` prints `-e`,
    /// `cmd &> /dev/null` runs `cmd` in the background and the next command
    /// before it finishes, and `${x/a/b}` stops the build with "Bad
    /// substitution". (`echo -n` and `local` are not reported: dash and
    /// busybox both have them.)
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN mkdir -p /srv/{data,logs} && make &> /dev/null
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN mkdir -p /srv/data /srv/logs && make > /dev/null 2>&1
    /// ```
    /// (or `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN.)
    ///
    /// ## References
    /// - ShellCheck SC3009, SC3010, SC3014, SC3020, SC3037, SC3053, SC3057,
    ///   SC3059, SC3060 (the SC3xxx "In POSIX sh, ... is undefined")
    pub static RULE = Rule {
        id: "PL2117",
        name: "bash-syntax-in-sh",
        summary: "bash syntax in a RUN that /bin/sh runs",
        level: Level::Warning,
        aliases: &["SC3009", "SC3010", "SC3014", "SC3020", "SC3037", "SC3053", "SC3057", "SC3059", "SC3060"],
        tags: &["correctness", "portability", "shell"],
    };
}

/// Where `{a,b}` or `{1..3}` starts in an unquoted literal, if it does.
fn brace_expansion(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' && (i == 0 || b[i - 1] != b'$') {
            let rest = &t[i + 1..];
            if let Some(close) = rest.find('}') {
                let inner = &rest[..close];
                let listy = inner.contains(',') || inner.contains("..");
                if listy && !inner.is_empty() && !inner.contains(char::is_whitespace) {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    let mut report = |span: Span, what: &str| {
        out.push(
            Finding::new(
                &RULE,
                format!("{what} is bash syntax, but this RUN runs `/bin/sh` (dash on Debian and Ubuntu); write it for sh, or set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`"),
            )
            .at(span),
        );
    };
    for s in shell_analysis::scripts(ctx, true) {
        if s.script.dialect() != Dialect::Sh {
            continue;
        }
        let syntax = s.syntax();
        let text = s.script.text.as_str();
        let words: Vec<&ShWord> = syntax.all_words().collect();
        for w in &words {
            for p in &w.parts {
                match &p.kind {
                    PartKind::Literal(t) if p.quoting == Quoting::None => {
                        if let Some(i) = brace_expansion(t) {
                            report(s.span(p.start + i, p.end), "brace expansion (`{a,b}`)");
                        }
                    }
                    PartKind::Parameter(r) => {
                        if let Some(what) = r.bash_only {
                            report(s.span(p.start, p.end), what);
                        }
                    }
                    _ => {}
                }
            }
        }
        for ((start, end), _) in &syntax.extended_tests {
            report(s.span(*start, *end), "`[[ ]]`");
        }
        for c in &syntax.commands {
            // dash reads `[[` as a command name (and fails: not found).
            if c.is("[[") {
                report(s.span(c.start, c.end), "`[[ ]]`");
            }
            if c.is("[") || c.is("test") {
                for a in c.args().iter().filter(|a| a.is("==")) {
                    report(s.word_span(a), "`==` in `[ ]`");
                }
            }
            if c.is("echo")
                && let Some(flag) = c.args().first().and_then(|a| a.as_literal())
                && flag.starts_with('-')
                && flag.len() > 1
                && flag[1..].chars().all(|f| matches!(f, 'n' | 'e' | 'E'))
                && flag[1..].contains(['e', 'E'])
            {
                report(s.word_span(&c.args()[0]), "`echo -e`");
            }
            if c.after == Sep::Background {
                let rest = text.get(c.end..).unwrap_or("");
                let gap = rest.len() - rest.trim_start().len();
                if rest.trim_start().starts_with("&>") {
                    let at = c.end + gap;
                    report(s.span(at, at + 2), "`&>`");
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_analysis::shell::basename;
use plimsoll_analysis::shell::syntax::{PartKind, Quoting, SimpleCommand};
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `$name`, `${...}`, `$(...)` or backticks inside single quotes,
    /// where the shell does not expand them — unless the command is one that
    /// reads them itself: `sh -c`/`bash -c`, `sed`, `awk`, `perl`, `jq`,
    /// `eval`, `trap`, `ssh`, `docker`, `su -c`/`sudo`, `find -exec sh`, or an
    /// assignment to `PS1`-style prompt variables.
    ///
    /// ## Why is this bad?
    /// `echo 'export PATH=$HOME/bin:$PATH' >> /etc/profile` is often meant;
    /// `curl -H 'Authorization: Bearer $TOKEN'` never is: the literal text
    /// `$TOKEN` is sent.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL -H 'Authorization: Bearer $TOKEN' https://example.com/a.tgz -o /a.tgz
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN curl -fsSL -H "Authorization: Bearer $TOKEN" https://example.com/a.tgz -o /a.tgz
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2016
    pub static RULE = Rule {
        id: "PL2106",
        name: "single-quoted-expansion",
        summary: "Expansion inside single quotes is not expanded",
        level: Level::Note,
        aliases: &["SC2016"],
        tags: &["correctness", "shell"],
    };
}

/// Commands that take text with `$` for themselves (ShellCheck's list).
const READS_DOLLARS: &[&str] = &[
    "trap",
    "sh",
    "bash",
    "ksh",
    "zsh",
    "dash",
    "ash",
    "ssh",
    "eval",
    "xprop",
    "alias",
    "sudo",
    "doas",
    "su",
    "docker",
    "podman",
    "dpkg-query",
    "jq",
    "yq",
    "rename",
    "rg",
    "unset",
    "git",
    "find",
    "xargs",
    "envsubst",
    "expect",
    "psql",
    "mysql",
    "sqlite3",
    "python",
    "python3",
    "node",
    "ruby",
    "php",
    "printf",
];

const PROMPTS: &[&str] = &["PS1", "PS2", "PS3", "PS4", "PROMPT_COMMAND"];

/// `$x`, `${`, `$(`, `$1` or `` `cmd` `` in `text`.
fn expands(text: &str) -> bool {
    let b = text.as_bytes();
    let dollar = b.windows(2).any(|w| {
        w[0] == b'$' && (w[1].is_ascii_alphanumeric() || matches!(w[1], b'{' | b'(' | b'_'))
    });
    let backticks = text
        .split('`')
        .nth(1)
        .is_some_and(|inner| !inner.is_empty() && text.matches('`').count() >= 2);
    dollar || backticks
}

/// `sed`'s own `$` (last line, end of pattern): `$d`, `$p`, `s/x$//`.
fn sed_dollar_only(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(2).enumerate().all(|(i, w)| {
        if w[0] != b'$' {
            return true;
        }
        let next_is_letter = b.get(i + 2).is_some_and(|c| c.is_ascii_alphabetic());
        !(w[1].is_ascii_alphanumeric() || matches!(w[1], b'{' | b'(' | b'_'))
            || (matches!(w[1], b'{' | b'd' | b'p' | b's' | b'a' | b'i' | b'c') && !next_is_letter)
    })
}

fn reads_dollars(c: &SimpleCommand) -> bool {
    let Some(name) = c.name() else { return false };
    let name = basename(&name);
    READS_DOLLARS.contains(&name) || name.ends_with("awk") || name.starts_with("perl")
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            let sed = c.is("sed");
            if !sed && reads_dollars(c) {
                continue;
            }
            let prompts: Vec<usize> = c
                .assignments
                .iter()
                .filter(|a| PROMPTS.contains(&a.name.as_str()))
                .map(|a| a.start)
                .collect();
            let words = c
                .words
                .iter()
                .chain(c.assignments.iter().filter_map(|a| a.value.as_ref()))
                .filter(|w| !prompts.iter().any(|&p| w.start >= p && w.start < p + 64));
            for w in words {
                for p in &w.parts {
                    let PartKind::Literal(text) = &p.kind else {
                        continue;
                    };
                    if p.quoting == Quoting::Single
                        && expands(text)
                        && !(sed && sed_dollar_only(text))
                    {
                        out.push(
                            Finding::new(
                                &RULE,
                                "the shell does not expand `$` or backticks inside single quotes; use double quotes if the value is meant",
                            )
                            .at(s.span(p.start, p.end)),
                        );
                    }
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a shell variable a RUN script assigns (`NAME=value` on its own,
    /// `local NAME=...`) and never uses, exports or passes on. Variables the
    /// Dockerfile declares with `ARG` or `ENV` are not reported (assigning them
    /// changes what later commands of the RUN see), nor are assignments written
    /// before a command (`NAME=value cmd`), which set the command's environment.
    ///
    /// ## Why is this bad?
    /// It does nothing: `DEBIAN_FRONTEND=noninteractive; apt-get install -y x`
    /// does not reach `apt-get` (no `export`), and a misspelt name
    /// (`VERISON=1.2`) leaves the real variable unset.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN DEBIAN_FRONTEND=noninteractive; apt-get install -y --no-install-recommends tzdata
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tzdata
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2034
    pub static RULE = Rule {
        id: "PL2116",
        name: "unused-shell-variable",
        summary: "Shell variable assigned and never used",
        level: Level::Warning,
        aliases: &["SC2034"],
        tags: &["correctness", "shell"],
    };
}

/// Variables the shell or common tools read without a `$` in the script.
const READ_IMPLICITLY: &[&str] = &[
    "IFS", "PATH", "HOME", "PS1", "PS2", "PS4", "OPTIND", "OPTARG", "LANG", "LC_ALL", "TMPDIR",
    "SHELL", "TERM", "CDPATH", "HISTFILE", "REPLY", "_",
];

/// Whether `name` appears in `text` as a whole identifier outside `skip` ranges.
fn mentioned(text: &str, name: &str, skip: &[(usize, usize)]) -> bool {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    text.match_indices(name).any(|(i, _)| {
        let end = i + name.len();
        let whole = (i == 0 || !ident(b[i - 1])) && (end == b.len() || !ident(b[end]));
        whole && !skip.iter().any(|&(s, e)| i >= s && i < e)
    })
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        let syntax = s.syntax();
        let text = s.script.text.as_str();
        let df = ctx.df();
        // Where names are assigned: the `NAME=` bytes.
        let defs: Vec<(usize, usize)> = syntax
            .commands
            .iter()
            .flat_map(|c| c.assignments.iter())
            .map(|a| (a.start, a.start + a.name.len()))
            .collect();
        for c in &syntax.commands {
            // Plain assignments and local/declare/readonly (not export, which
            // passes the value on).
            let declaring = c.is("local") || c.is("declare") || c.is("typeset") || c.is("readonly");
            if !(c.words.is_empty() || declaring) {
                continue;
            }
            for a in &c.assignments {
                let name = a.name.as_str();
                if READ_IMPLICITLY.contains(&name)
                    || crate::util::variable_known(df, s.ins, name)
                    || mentioned(text, name, &defs)
                {
                    continue;
                }
                out.push(
                    Finding::new(
                        &RULE,
                        format!("`{name}` is assigned but never used or exported in this RUN; `export` it, put it before the command that needs it, or remove it"),
                    )
                    .at(s.span(a.start, a.start + name.len())),
                );
            }
        }
        // `read` targets: `IFS= read -r line` reads a line nobody looks at.
        for c in syntax.commands.iter().filter(|c| c.is("read")) {
            let mut args = c.args().iter();
            while let Some(a) = args.next() {
                let r = a.raw.as_str();
                if matches!(r, "-p" | "-d" | "-n" | "-N" | "-t" | "-u" | "-a" | "-i") {
                    args.next();
                    continue;
                }
                if r.starts_with('-') || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    continue;
                }
                if !READ_IMPLICITLY.contains(&r) && !mentioned(text, r, &[(a.start, a.end)]) {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!("`read` assigns `{r}`, which is never used in this RUN"),
                        )
                        .at(s.word_span(a)),
                    );
                }
            }
        }
        // Loop variables: `for i in 1 2 3; do retry; done` is fine as `for _ in`.
        for f in &syntax.for_loops {
            let name = f.variable.as_str();
            let own = text
                .get(f.start..)
                .and_then(|t| t.find(name))
                .map_or((0, 0), |i| (f.start + i, f.start + i + name.len()));
            if name != "_" && !mentioned(text, name, &[own]) {
                out.push(
                    Finding::new(
                        &RULE,
                        format!("loop variable `{name}` is never used; name it `_` if the loop only repeats"),
                    )
                    .at(s.span(f.start, f.start + 3)),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

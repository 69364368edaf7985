use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes a final `USER` given by name rather than numeric UID.
    ///
    /// ## Why is this bad?
    /// Kubernetes' `runAsNonRoot` cannot verify a user name, so pods with that
    /// policy refuse to start; hosts and volumes map numeric IDs, not names.
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// USER 10001:10001
    /// ```
    ///
    /// ## References
    /// - hadolint DL3066
    pub static RULE = Rule {
        id: "PL3020",
        name: "non-numeric-user",
        summary: "USER is a name, not a numeric UID",
        level: Level::Note,
        aliases: &["DL3066"],
        tags: &["portability"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "USER") {
        let Some(u) = ins.args.first() else { continue };
        // `USER $USERNAME`: judge what the stage's ARG/ENV defaults make of it.
        let resolved;
        let u = if u.contains('$') {
            let lookup = |n: &str| crate::util::env_before(df, ins, n);
            match plimsoll_plugin_sdk::dockerfile::shell::Lexer::with_escape(df.escape)
                .process(u, &lookup)
            {
                Ok(p) if p.unmatched.is_empty() => {
                    resolved = p.result;
                    &resolved
                }
                _ => u,
            }
        } else {
            u
        };
        let uid = u.split(':').next().unwrap_or(u);
        if !uid.is_empty()
            && !uid.contains('$')
            && !uid.chars().all(|c| c.is_ascii_digit())
            && uid != "root"
        {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`USER {u}`: a numeric UID works with runAsNonRoot and volume permissions"
                    ),
                )
                .at(ins.span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `CMD` and `ENTRYPOINT` in shell form (`CMD node server.js`), and
    /// `HEALTHCHECK CMD` in shell form (as hadolint does: it needs a `/bin/sh`
    /// in the image, which distroless and scratch images do not have).
    ///
    /// ## Why is this bad?
    /// Shell form runs the process under `/bin/sh -c`: the shell becomes PID 1,
    /// `docker stop` sends SIGTERM to the shell, not your process, and the
    /// container is killed after the grace period. An `ENTRYPOINT` in shell form
    /// also ignores `CMD` and `docker run` arguments.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD node server.js
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// CMD ["node", "server.js"]
    /// ```
    ///
    /// ## Fix
    /// Safe when the command is plain words (no variables, quotes, globs,
    /// pipes or other shell syntax); otherwise none is offered.
    ///
    /// ## References
    /// - hadolint DL3025, BuildKit check JSONArgsRecommended
    pub static RULE = Rule {
        id: "PL3010",
        name: "json-args",
        summary: "CMD/ENTRYPOINT in shell form",
        level: Level::Warning,
        aliases: &["DL3025", "JSONArgsRecommended"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        // (what, the shell-form command, where the command is written)
        let (what, cmd, span, why) = match ins.keyword.as_str() {
            "CMD" | "ENTRYPOINT" if !ins.json && !ins.args.is_empty() => (
                ins.keyword.clone(),
                &ins.args[0],
                ins.args_span,
                "the shell form runs under /bin/sh, which does not pass signals on",
            ),
            "HEALTHCHECK"
                if !ins.json && ins.args.len() >= 2 && ins.args[0].eq_ignore_ascii_case("CMD") =>
            {
                (
                    "HEALTHCHECK CMD".to_string(),
                    &ins.args[1],
                    ins.arg_spans.get(1).copied().unwrap_or(ins.args_span),
                    "the shell form needs a /bin/sh in the image (distroless and scratch images have none)",
                )
            }
            _ => continue,
        };
        let mut f = Finding::new(&RULE, format!("use JSON form for {what}: {why}")).at(ins.span);
        if ins.keyword == "HEALTHCHECK" {
            f = f.covers(&["DL3025"]);
        }
        let plain = cmd.split_whitespace().all(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+%".contains(c))
        });
        if plain {
            let words: Vec<String> = cmd.split_whitespace().map(|w| format!("\"{w}\"")).collect();
            f = f.fix(Fix::safe(
                "Write the command as a JSON array",
                vec![Edit::replace(span, format!("[{}]", words.join(", ")))],
            ));
        }
        out.push(f);
    }
    for f in out {
        ctx.report(f);
    }
}

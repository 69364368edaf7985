use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes consecutive RUN instructions in a stage with the same flags, which
    /// could be one RUN (or a heredoc). As hadolint does, a RUN that already chains
    /// commands (`a && b`, `a; b`) counts as deliberately separate.
    ///
    /// ## Why is this bad?
    /// Each RUN is a layer: more layers to pull, and files deleted by a later RUN
    /// still occupy the earlier layer. Separate RUNs can be deliberate (cache
    /// boundaries), which is why this is a note.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN <<EOF
    /// apt-get update
    /// apt-get install -y --no-install-recommends curl
    /// rm -rf /var/lib/apt/lists/*
    /// EOF
    /// ```
    ///
    /// ## References
    /// - hadolint DL3059
    pub static RULE = Rule {
        id: "PL2027",
        name: "consecutive-run",
        summary: "Consecutive RUN instructions could be merged",
        level: Level::Note,
        aliases: &["DL3059"],
        tags: &["size"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let commands = |i: &Instruction| -> usize {
        ctx.runs
            .iter()
            .find(|r| std::ptr::eq(r.ins, i))
            .map(|r| r.commands().filter(|(_, c)| c.depth == 0).count())
            .unwrap_or(0)
    };
    let mut out = Vec::new();
    for pair in df.instructions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a.keyword == "RUN"
            && b.keyword == "RUN"
            && a.stage == b.stage
            && commands(a) <= 1
            && commands(b) <= 1
        {
            let fa: Vec<&str> = a.flags.iter().map(|f| f.raw.as_str()).collect();
            let fb: Vec<&str> = b.flags.iter().map(|f| f.raw.as_str()).collect();
            if fa == fb {
                out.push(
                    Finding::new(
                        &RULE,
                        "consecutive RUN instructions; consider merging them into one layer",
                    )
                    .at(b.span),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

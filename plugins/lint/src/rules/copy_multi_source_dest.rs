use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY`/`ADD` with several sources whose destination does not end
    /// with `/` (not the `COPY multi:<sha256> in /app` of image history).
    ///
    /// ## Why is this bad?
    /// With more than one source the destination must be a directory; BuildKit
    /// fails the build otherwise ("When using COPY with more than one source file,
    /// the destination must be a directory and end with a /").
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY package.json package-lock.json /app
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY package.json package-lock.json /app/
    /// ```
    ///
    /// ## Fix
    /// Safe: appends `/` to the destination.
    ///
    /// ## References
    /// - hadolint DL3021, Trivy DS011
    pub static RULE = Rule {
        id: "PL3008",
        name: "copy-multiple-sources-dest",
        summary: "COPY with several sources needs a destination ending in /",
        level: Level::Error,
        aliases: &["DL3021", "DS011"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| {
        matches!(i.keyword.as_str(), "COPY" | "ADD") && !crate::util::is_history_copy(i)
    }) {
        let n_sources = ins.args.len().saturating_sub(1);
        if n_sources < 2 {
            continue;
        }
        let dest = plimsoll_plugin_sdk::dockerfile::unquote(
            ins.args.last().expect("n_sources >= 2"),
            df.escape,
        );
        if dest.ends_with('/') || dest.contains('$') {
            continue;
        }
        let mut f = Finding::new(
            &RULE,
            format!("with {n_sources} sources the destination `{dest}` must end with `/`"),
        )
        .at(ins.span);
        if !ins.json
            && let Some(span) = ins.arg_spans.last()
        {
            f = f.fix(Fix::safe(
                "Append / to the destination",
                vec![Edit::insert(span.end, "/")],
            ));
        }
        out.push(f);
    }
    for f in out {
        ctx.report(f);
    }
}

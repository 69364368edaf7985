use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a relative `WORKDIR` (`WORKDIR app`).
    ///
    /// ## Why is this bad?
    /// A relative WORKDIR is resolved against the previous one, which may be set
    /// by the base image: the directory changes when the base does.
    ///
    /// ## Example
    /// ```dockerfile
    /// WORKDIR /srv
    /// WORKDIR app
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// WORKDIR /srv/app
    /// ```
    ///
    /// ## Fix
    /// Safe when an earlier absolute WORKDIR in the same stage makes the result
    /// known: writes the absolute path.
    ///
    /// ## References
    /// - hadolint DL3000, Trivy DS009, Checkov CKV_DOCKER_10, BuildKit check WorkdirRelativePath
    pub static RULE = Rule {
        id: "PL3004",
        name: "relative-workdir",
        summary: "WORKDIR is a relative path",
        level: Level::Error,
        aliases: &["DL3000", "DS009", "CKV_DOCKER_10", "WorkdirRelativePath"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for (_, instructions) in crate::util::scopes(df) {
        let mut current: Option<String> = None;
        for ins in instructions {
            if ins.keyword != "WORKDIR" {
                continue;
            }
            let Some(arg) = ins.args.first() else {
                continue;
            };
            let path = plimsoll_plugin_sdk::dockerfile::unquote(arg, df.escape);
            if crate::util::is_absolute(&path) {
                current = (!path.contains('$')).then(|| path.trim_end_matches('/').to_string());
                continue;
            }
            let mut f = Finding::new(
                &RULE,
                format!("`WORKDIR {arg}` is relative; use an absolute path"),
            )
            .at(ins.span);
            if let Some(base) = &current
                && !path.contains('$')
                && let Some(span) = ins.arg_spans.first()
            {
                let abs = format!("{base}/{}", path.trim_start_matches("./"));
                f = f.fix(Fix::safe(
                    format!("Write `{abs}`"),
                    vec![Edit::replace(*span, abs.clone())],
                ));
                current = Some(abs);
            } else {
                current = None;
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}

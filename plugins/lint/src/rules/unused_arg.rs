use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes an `ARG` that nothing uses: a stage ARG never referenced later in its
    /// stage (RUN commands and heredocs included), or a global ARG used by no FROM
    /// line and declared again in no stage. ARGs that tools read from the
    /// environment (`DEBIAN_FRONTEND`, proxies, `PIP_*`, `NPM_CONFIG_*`...) count
    /// as used.
    ///
    /// ## Why is this bad?
    /// Dead ARGs mislead: callers pass `--build-arg` values that change nothing.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.22
    /// ARG VERSION=1.2
    /// RUN echo building
    /// ```
    ///
    /// ## Use instead
    /// Remove the ARG, or use it.
    ///
    /// ## References
    /// - plimsoll's own
    pub static RULE = Rule {
        id: "PL9005",
        name: "unused-arg",
        summary: "ARG declared but never used",
        level: Level::Note,
        tags: &["maintenance"],
    };
}

fn implicit(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    matches!(
        u.as_str(),
        "DEBIAN_FRONTEND"
            | "HTTP_PROXY"
            | "HTTPS_PROXY"
            | "NO_PROXY"
            | "FTP_PROXY"
            | "ALL_PROXY"
            | "SOURCE_DATE_EPOCH"
            | "CGO_ENABLED"
            | "GOOS"
            | "GOARCH"
            | "GOFLAGS"
            | "GOPROXY"
            | "GOPRIVATE"
            | "NODE_ENV"
            | "RAILS_ENV"
            | "LANG"
            | "LC_ALL"
            | "TZ"
            | "MAKEFLAGS"
            | "CFLAGS"
            | "LDFLAGS"
            | "RUSTFLAGS"
    ) || [
        "PIP_",
        "NPM_CONFIG_",
        "CARGO_",
        "BUILDKIT_",
        "UV_",
        "POETRY_",
        "PYTHON",
        "MAVEN_",
        "GRADLE_",
        "DOCKER_",
        "YARN_",
        "BUNDLE_",
    ]
    .iter()
    .any(|p| u.starts_with(p))
        || plimsoll_plugin_sdk::dockerfile::AUTOMATIC_PLATFORM_ARGS.contains(&u.as_str())
}

fn mentions(text: &str, name: &str) -> bool {
    text.match_indices('$').any(|(i, _)| {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.starts_with(name)
            && !rest[name.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    })
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for (idx, ins) in df.instructions.iter().enumerate() {
        if ins.keyword != "ARG" {
            continue;
        }
        for (i, a) in ins.args.iter().enumerate() {
            let name = a.split('=').next().unwrap_or(a);
            if implicit(name) || name.is_empty() {
                continue;
            }
            let span = ins.arg_spans.get(i).copied().unwrap_or(ins.span);
            let used = match ins.stage {
                None => {
                    df.stages.iter().any(|s| {
                        mentions(&s.base_as_written, name)
                            || df.instructions[s.from]
                                .flags
                                .iter()
                                .any(|f| f.value.as_deref().is_some_and(|v| mentions(v, name)))
                    }) || df.instructions.iter().any(|j| {
                        j.stage.is_some()
                            && j.keyword == "ARG"
                            && j.args.iter().any(|a| a.split('=').next() == Some(name))
                    }) || df.instructions[idx + 1..]
                        .iter()
                        .filter(|j| j.stage.is_none())
                        .any(|j| j.args.iter().any(|a| mentions(a, name)))
                }
                Some(stage) => {
                    let later = df
                        .stage_instructions(stage)
                        .iter()
                        .filter(|j| j.span.start > ins.span.start);
                    let mut used = false;
                    for j in later {
                        let texts = std::iter::once(j.original.as_str())
                            .chain(j.heredocs.iter().map(|h| h.content.as_str()));
                        if texts.into_iter().any(|t| mentions(t, name)) {
                            used = true;
                            break;
                        }
                    }
                    // Stages built on this one see it too.
                    used || df.stages.iter().any(|s| {
                        s.base_stage == Some(stage)
                            && df
                                .stage_instructions(s.index)
                                .iter()
                                .any(|j| mentions(&j.original, name))
                    })
                }
            };
            if !used {
                out.push(Finding::new(&RULE, format!("`ARG {name}` is never used")).at(span));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a final stage whose last `USER` is root (`root`, `0`, `root:root`,
    /// `0:0`).
    ///
    /// ## Why is this bad?
    /// Switching to root for installation steps is fine; leaving the image on root
    /// means the container's main process runs as root.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim
    /// USER node
    /// RUN npm ci
    /// USER root
    /// CMD ["node", "server.js"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM node:22-slim
    /// USER root
    /// RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
    /// USER node
    /// CMD ["node", "server.js"]
    /// ```
    ///
    /// ## References
    /// - hadolint DL3002, Trivy DS002, Checkov CKV_DOCKER_8
    pub static RULE = Rule {
        id: "PL3002",
        name: "root-user",
        summary: "Last USER of the final stage is root",
        level: Level::Warning,
        aliases: &["DL3002", "DS002", "CKV_DOCKER_8"],
        tags: &["security"],
    };
}

/// Whether a USER argument names root.
pub fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user).trim();
    name == "root" || name == "0"
}

pub fn check(ctx: &mut Ctx) {
    let Some(stage) = ctx.doc.final_stage() else {
        return;
    };
    if ctx.settings.allow_root_user {
        return;
    }
    // The effective user: the final stage's last USER, else the one it inherits
    // from the stage it is built FROM (and so on up).
    let df = ctx.df();
    let mut from = Some(stage.index);
    let mut found = None;
    while let Some(s) = from {
        if let Some(u) = df
            .stage_instructions(s)
            .iter()
            .rfind(|i| i.keyword == "USER")
        {
            found = Some((s, u));
            break;
        }
        from = df.stages[s].base_stage;
    }
    if let Some((s, user)) = found
        && let Some(arg) = user.args.first()
        && is_root(arg)
    {
        let msg = if s == stage.index {
            format!(
                "the last USER of the final stage is `{arg}`; switch to a non-root user before the image ends"
            )
        } else {
            let name = df.stages[s].name.clone().unwrap_or_else(|| s.to_string());
            format!(
                "the final stage inherits USER `{arg}` from stage `{name}`; switch to a non-root user before the image ends"
            )
        };
        ctx.report(Finding::new(&RULE, msg).at(user.span).severity(5.0));
    }
}

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
    let last_user = ctx
        .df()
        .stage_instructions(stage.index)
        .iter()
        .rfind(|i| i.keyword == "USER");
    if let Some(user) = last_user
        && let Some(arg) = user.args.first()
        && is_root(arg)
    {
        ctx.report(
            Finding::new(
                &RULE,
                format!("the last USER of the final stage is `{arg}`; switch to a non-root user before the image ends"),
            )
            .at(user.span)
            .severity(5.0),
        );
    }
}

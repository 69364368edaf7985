use plimsoll_plugin_sdk::prelude::*;

use super::secrets::is_secret_name;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ARG` and `ENV` whose name says they hold a secret (`*_PASSWORD`,
    /// `*_TOKEN`, `API_KEY`, `SECRET_*`...). Names that point to a secret
    /// (`*_FILE`, `*_PATH`) and public key material (`GPG_KEY`) are not reported.
    ///
    /// ## Why is this bad?
    /// ENV values are baked into the image config; ARG values passed with
    /// `--build-arg` are recorded in the image history. Anyone who can pull the
    /// image can read them with `docker history` or `docker inspect`.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc && npm ci
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
    /// ```
    ///
    /// ## References
    /// - hadolint DL3064, Trivy DS031, BuildKit check SecretsUsedInArgOrEnv
    pub static RULE = Rule {
        id: "PL4001",
        name: "secret-in-arg-env",
        summary: "ARG or ENV named like a secret",
        level: Level::Warning,
        aliases: &["DL3064", "DS031", "SecretsUsedInArgOrEnv"],
        tags: &["security", "secrets"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        let ins = match (&ins.onbuild, ins.keyword.as_str()) {
            (Some(t), "ONBUILD") => t.as_ref(),
            _ => ins,
        };
        let names: Vec<(String, Span)> = match ins.keyword.as_str() {
            "ARG" => ins
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    (
                        a.split('=').next().unwrap_or(a).to_string(),
                        ins.arg_spans.get(i).copied().unwrap_or(ins.span),
                    )
                })
                .collect(),
            "ENV" => ins
                .key_value_pairs()
                .into_iter()
                .map(|kv| (kv.key.to_string(), kv.key_span.unwrap_or(ins.span)))
                .collect(),
            _ => continue,
        };
        for (name, span) in names {
            if is_secret_name(&name) {
                out.push(
                    Finding::new(&RULE, format!("`{}` {name} looks like a secret, which ends up readable in the image; use `RUN --mount=type=secret`", ins.keyword))
                        .at(span)
                        .severity(7.5),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use super::secrets::{is_credential_file_variable, is_secret_name};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ARG` and `ENV` whose name says they hold a secret (`*_PASSWORD`,
    /// `*_TOKEN`, `API_KEY`, `SECRET_*`...). Names that point to a secret
    /// (`*_FILE`, `*_PATH`, `GOOGLE_APPLICATION_CREDENTIALS`) and public key
    /// material (`GPG_KEY`) are not reported — but a credentials file copied to
    /// where such a variable points is: `COPY cfg $AWS_CONFIG_FILE`, or an
    /// `ENV GOOGLE_APPLICATION_CREDENTIALS=./app/key.json` next to a COPY into
    /// `/app/`. Well-known credential names whose last word alone says little
    /// (`AWS_ACCESS_KEY_ID`, also prefixed as `VITE_AWS_ACCESS_KEY_ID`,
    /// Jenkins' `*_USR`/`*_PSW` pairs) are reported.
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

/// A COPY/ADD to a credentials-file variable: `COPY cfg $AWS_CONFIG_FILE`.
/// (A COPY to the path an ENV gives such a variable is reported at the ENV.)
fn copied_credentials_file(df: &Dockerfile, ins: &Instruction) -> Option<Finding> {
    let dest = ins.args.last().filter(|_| ins.args.len() >= 2)?;
    let dest = plimsoll_plugin_sdk::dockerfile::unquote(dest, df.escape);
    let var = plimsoll_analysis::packages::variables(&dest)
        .into_iter()
        .find(|v| is_credential_file_variable(v))?;
    Some(
        Finding::new(
            &RULE,
            format!("`{}` puts a credentials file where `{var}` points: it ends up readable in the image; use `RUN --mount=type=secret`", ins.keyword),
        )
        .at(ins.span)
        .severity(7.5),
    )
}

/// A COPY/ADD of the same stage whose destination directory holds `path`
/// (both read relative to `/` when not absolute: `COPY . .` holds everything).
fn copy_into<'d>(df: &'d Dockerfile, ins: &Instruction, path: &str) -> Option<&'d Instruction> {
    let norm = |p: &str| -> String {
        let p = p.trim_start_matches("./").trim_start_matches('/');
        if p == "." {
            String::new()
        } else {
            p.to_string()
        }
    };
    let target = norm(path);
    if target.is_empty() || target.contains('$') {
        return None;
    }
    crate::util::scopes(df)
        .into_iter()
        .find(|(s, _)| *s == ins.stage)?
        .1
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "COPY" | "ADD") && i.args.len() >= 2)
        .find(|i| {
            let dest = plimsoll_plugin_sdk::dockerfile::unquote(
                i.args.last().expect("len >= 2"),
                df.escape,
            );
            let dest = norm(&dest);
            dest == target
                || dest.is_empty()
                || target.starts_with(&format!("{}/", dest.trim_end_matches('/')))
        })
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        let ins = match (&ins.onbuild, ins.keyword.as_str()) {
            (Some(t), "ONBUILD") => t.as_ref(),
            _ => ins,
        };
        if matches!(ins.keyword.as_str(), "COPY" | "ADD") {
            out.extend(copied_credentials_file(df, ins));
            continue;
        }
        let names = crate::util::declarations(df, ins);
        for (name, value, span) in names {
            if is_credential_file_variable(name)
                && let Some(path) = value
                && let Some(copy) = copy_into(df, ins, &path)
            {
                let line = df.position(copy.span.start).line;
                out.push(
                    Finding::new(&RULE, format!("`{name}` points at `{path}`, which the COPY on line {line} puts in the image: the credentials file is readable by anyone who pulls it; use `RUN --mount=type=secret`"))
                        .at(span)
                        .severity(7.5),
                );
            }
            if is_secret_name(name) {
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

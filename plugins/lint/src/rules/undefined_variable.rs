use rustc_hash::FxHashSet as HashSet;

use plimsoll_plugin_sdk::dockerfile::shell::Lexer;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `$VAR` in instructions other than RUN (COPY, ADD, ENV, WORKDIR,
    /// USER, LABEL, EXPOSE, VOLUME...) when no `ARG` or `ENV` of the stage defines
    /// it. The classic case: a global `ARG` (before the first FROM) used inside a
    /// stage without being declared again there, where it is empty.
    /// Variables images commonly set (`PATH`, `HOME`...) are not reported.
    ///
    /// ## Why is this bad?
    /// The variable expands to an empty string: `COPY app /opt/$APP_DIR/` copies
    /// into `/opt/`.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG VERSION=1.2
    /// FROM alpine:3.22
    /// LABEL org.opencontainers.image.version=$VERSION
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ARG VERSION=1.2
    /// FROM alpine:3.22
    /// ARG VERSION
    /// LABEL org.opencontainers.image.version=$VERSION
    /// ```
    ///
    /// ## References
    /// - BuildKit check UndefinedVar
    pub static RULE = Rule {
        id: "PL9004",
        name: "undefined-variable",
        summary: "Variable used but not defined in the stage",
        level: Level::Warning,
        aliases: &["UndefinedVar"],
        tags: &["correctness"],
    };
}

/// Variables the base image or the build usually provides.
const AMBIENT: &[&str] = &[
    "PATH",
    "HOME",
    "HOSTNAME",
    "TERM",
    "USER",
    "LANG",
    "LC_ALL",
    "PWD",
    "SHELL",
    "TMPDIR",
    "JAVA_HOME",
    "GOPATH",
    "GOROOT",
    "NODE_VERSION",
    "PYTHON_VERSION",
    "NGINX_VERSION",
    "RUBY_VERSION",
    "GOLANG_VERSION",
    "PHP_INI_DIR",
    "GEM_HOME",
    "BUNDLE_APP_CONFIG",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "MAVEN_HOME",
    "CATALINA_HOME",
    "JRE_HOME",
    "NVM_DIR",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
    "PIP_NO_CACHE_DIR",
];

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let globals: HashSet<&str> = df.global_args.iter().map(|a| a.name.as_str()).collect();
    let mut out = Vec::new();
    for stage in ctx.doc.stages() {
        let mut defined: HashSet<String> = plimsoll_plugin_sdk::dockerfile::AUTOMATIC_PLATFORM_ARGS
            .iter()
            .map(|s| s.to_string())
            .collect();
        // A stage built on one of ours inherits its ENV.
        let mut s = stage.base_stage;
        while let Some(b) = s {
            for i in df
                .stage_instructions(b)
                .iter()
                .filter(|i| i.keyword == "ENV")
            {
                defined.extend(i.key_value_pairs().iter().map(|kv| kv.key.to_string()));
            }
            s = df.stages[b].base_stage;
        }
        for ins in df.stage_instructions(stage.index).iter().skip(1) {
            if !matches!(
                ins.keyword.as_str(),
                "RUN" | "CMD" | "ENTRYPOINT" | "HEALTHCHECK" | "SHELL" | "ONBUILD"
            ) {
                let texts: Vec<&str> = match ins.keyword.as_str() {
                    "ENV" | "LABEL" => ins.key_value_pairs().iter().map(|kv| kv.value).collect(),
                    "ARG" => ins
                        .args
                        .iter()
                        .filter_map(|a| a.split_once('=').map(|(_, v)| v))
                        .collect(),
                    _ => ins.args.iter().map(String::as_str).collect(),
                };
                let mut env_so_far = defined.clone();
                for (i, text) in texts.iter().enumerate() {
                    let lookup = |n: &str| env_so_far.contains(n).then(String::new);
                    if let Ok(p) = Lexer::with_escape(df.escape).process(text, &lookup) {
                        for var in p.unmatched.iter().filter(|v| {
                            !AMBIENT.contains(&v.as_str())
                                && !v.chars().next().is_some_and(|c| c.is_ascii_digit())
                        }) {
                            let msg = if globals.contains(var.as_str()) {
                                format!(
                                    "`${var}` is a global ARG, empty inside a stage until declared again; add `ARG {var}` to this stage"
                                )
                            } else {
                                format!(
                                    "`${var}` is not defined by an ARG or ENV of this stage (it expands to an empty string unless the base image sets it)"
                                )
                            };
                            let level = if globals.contains(var.as_str()) {
                                Level::Warning
                            } else {
                                Level::Note
                            };
                            out.push(Finding::new(&RULE, msg).at(ins.span).level(level));
                        }
                    }
                    // ENV pairs become visible to later instructions only.
                    let _ = i;
                    if ins.keyword == "ENV" {
                        env_so_far = defined.clone();
                    }
                }
            }
            match ins.keyword.as_str() {
                "ENV" => defined.extend(ins.key_value_pairs().iter().map(|kv| kv.key.to_string())),
                "ARG" => defined.extend(
                    ins.args
                        .iter()
                        .map(|a| a.split('=').next().unwrap_or(a).to_string()),
                ),
                _ => {}
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use super::secrets::{credential_shape, is_secret_name, looks_random, mask};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports values that look like credentials wherever they are written: in
    /// ARG defaults, ENV and LABEL values, RUN commands, and heredocs (RUN scripts
    /// and inline files of COPY/ADD). It knows the
    /// shapes of AWS, GitHub, GitLab, Slack, Stripe, Google, npm and PyPI tokens,
    /// private keys, JSON Web Tokens and URLs with passwords, and flags long
    /// high-entropy strings assigned to secret-named variables. The secret itself
    /// is never printed (a masked preview at most).
    ///
    /// ## Why is this bad?
    /// Everything in a Dockerfile ends up in the image or its history, and the
    /// Dockerfile itself sits in version control.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
    /// RUN git clone https://deploy:s3cr3t@git.example.com/app.git
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN --mount=type=secret,id=git_token \
    ///     git clone https://deploy:$(cat /run/secrets/git_token)@git.example.com/app.git
    /// ```
    ///
    /// ## References
    /// - Trivy DS031 (for its secret patterns in build args); plimsoll's own value checks
    pub static RULE = Rule {
        id: "PL4002",
        name: "secret-value",
        summary: "A credential is written in the Dockerfile",
        level: Level::Error,
        aliases: &["DS031"],
        tags: &["security", "secrets"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    let mut report = |span: Span, what: &str, v: &str| {
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "{what} is written here (`{}`); move it to a build secret",
                    mask(v)
                ),
            )
            .at(span)
            .severity(9.0),
        );
    };
    for ins in &df.instructions {
        let ins = match (&ins.onbuild, ins.keyword.as_str()) {
            (Some(t), "ONBUILD") => t.as_ref(),
            _ => ins,
        };
        match ins.keyword.as_str() {
            "ENV" | "LABEL" => {
                for kv in ins.key_value_pairs() {
                    let v = plimsoll_plugin_sdk::dockerfile::unquote(kv.value, df.escape);
                    let span = kv.value_span.unwrap_or(ins.span);
                    if let Some(what) = credential_shape(&v) {
                        report(span, what, &v);
                    } else if is_secret_name(kv.key) && looks_random(&v) {
                        report(span, "a random-looking secret", &v);
                    }
                }
            }
            "ARG" => {
                for (i, a) in ins.args.iter().enumerate() {
                    let Some((k, v)) = a.split_once('=') else {
                        continue;
                    };
                    let v = plimsoll_plugin_sdk::dockerfile::unquote(v, df.escape);
                    let span = ins.arg_spans.get(i).copied().unwrap_or(ins.span);
                    if let Some(what) = credential_shape(&v) {
                        report(span, what, &v);
                    } else if is_secret_name(k) && looks_random(&v) {
                        report(span, "a random-looking secret", &v);
                    }
                }
            }
            _ => {}
        }
    }
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            for w in c.words.iter().chain(&c.assignments) {
                if let Some(what) = credential_shape(&w.value) {
                    report(script.word_span(run.ins, w), what, &w.value);
                } else if let Some((k, v)) = w.value.split_once('=')
                    && is_secret_name(k.trim_start_matches('-'))
                    && looks_random(v)
                {
                    report(script.word_span(run.ins, w), "a random-looking secret", v);
                }
            }
        }
    }
    // Heredocs that are not parsed as scripts above: inline files and non-shell
    // scripts.
    let scripted: Vec<Span> = ctx
        .runs
        .iter()
        .flat_map(|r| {
            r.scripts.iter().filter_map(|s| match s.origin {
                plimsoll_analysis::shell::ScriptOrigin::Heredoc(i) => {
                    r.run.heredocs.get(i).map(|h| h.span)
                }
                _ => None,
            })
        })
        .collect();
    for ins in &df.instructions {
        let ins = ins
            .onbuild
            .as_deref()
            .filter(|_| ins.keyword == "ONBUILD")
            .unwrap_or(ins);
        for h in ins.heredocs.iter().filter(|h| !scripted.contains(&h.span)) {
            let mut start = h.content_span.start;
            for line in h.content.split_inclusive('\n') {
                let text = line.trim_end_matches(['\n', '\r']);
                if let Some(what) = credential_shape(text) {
                    report(Span::new(start, start + text.len()), what, text.trim());
                }
                start += line.len();
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

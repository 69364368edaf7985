use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports instructions with the wrong number or shape of arguments, as
    /// BuildKit's instruction stage would: `FROM` with other than one image (or
    /// `image AS name`), `COPY`/`ADD` without source and destination, `USER`,
    /// `WORKDIR`, `STOPSIGNAL` and `MAINTAINER` without their argument, `RUN`,
    /// `EXPOSE`, `VOLUME`, `ARG`, `ENV`, `LABEL`, `ONBUILD` with none, `SHELL` not
    /// in JSON form, `HEALTHCHECK` other than `NONE` or `CMD ...`, invalid ARG
    /// names.
    ///
    /// ## Why is this bad?
    /// `docker build` fails on them.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.22 builder
    /// COPY app.py
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.22 AS builder
    /// COPY app.py /srv/
    /// ```
    ///
    /// ## References
    /// - BuildKit (instruction stage)
    pub static RULE = Rule {
        id: "PL9003",
        name: "malformed-instruction",
        summary: "Instruction arguments BuildKit rejects",
        level: Level::Error,
        tags: &["syntax"],
    };
}

fn problem(ins: &Instruction) -> Option<String> {
    let n = ins.args.len();
    let empty = n == 0 || (n == 1 && ins.args[0].trim().is_empty());
    match ins.keyword.as_str() {
        "FROM" => match n {
            1 => None,
            3 if ins.args[1].eq_ignore_ascii_case("as") => None,
            0 => Some("FROM needs an image".into()),
            _ => Some("FROM takes an image and optionally `AS name`".into()),
        },
        "COPY" | "ADD" => {
            (n < 2).then(|| format!("{} needs at least a source and a destination", ins.keyword))
        }
        "USER" | "WORKDIR" | "STOPSIGNAL" | "MAINTAINER" => {
            empty.then(|| format!("{} needs an argument", ins.keyword))
        }
        "RUN" | "EXPOSE" | "VOLUME" | "ARG" | "ENV" | "LABEL" => (empty && ins.heredocs.is_empty())
            .then(|| format!("{} needs at least one argument", ins.keyword)),
        "ONBUILD" => ins
            .onbuild
            .is_none()
            .then(|| "ONBUILD needs an instruction to trigger".into()),
        "SHELL" => (!ins.json)
            .then(|| "SHELL must be written as a JSON array: SHELL [\"/bin/bash\", \"-c\"]".into()),
        "HEALTHCHECK" => {
            let first = ins.args.first().map(|a| a.to_ascii_uppercase());
            match first.as_deref() {
                Some("NONE") if n == 1 => None,
                Some("NONE") => Some("HEALTHCHECK NONE takes no other arguments".into()),
                Some("CMD") if n >= 2 => None,
                Some("CMD") => Some("HEALTHCHECK CMD needs a command".into()),
                _ => Some("HEALTHCHECK must be `NONE` or `CMD ...`".into()),
            }
        }
        _ => None,
    }
}

fn bad_arg_name(ins: &Instruction) -> Option<String> {
    if ins.keyword != "ARG" {
        return None;
    }
    ins.args.iter().find_map(|a| {
        let name = a.split('=').next().unwrap_or(a);
        let ok = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        (!ok).then(|| format!("`{name}` is not a valid ARG name"))
    })
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        for i in [Some(ins), ins.onbuild.as_deref()].into_iter().flatten() {
            if let Some(msg) = problem(i).or_else(|| bad_arg_name(i)) {
                out.push(Finding::new(&RULE, msg).at(ins.span));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

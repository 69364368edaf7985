use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Checks instruction flags: unknown flags are noted (a newer Dockerfile
    /// frontend selected with `# syntax=` may know them); known flags with values
    /// BuildKit rejects are reported — `--chmod` that is not octal or symbolic,
    /// `--network` other than default/none/host, `--security` other than
    /// sandbox/insecure, `--mount` of an unknown type or without a target,
    /// HEALTHCHECK durations and retries that do not parse.
    ///
    /// ## Why is this bad?
    /// A bad flag value fails the build; a misspelt flag is silently a different
    /// instruction for older builders.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY --chmod=rwx app /app
    /// RUN --mount=type=cahce,target=/root/.cache pip install -r requirements.txt
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY --chmod=755 app /app
    /// RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt
    /// ```
    ///
    /// ## References
    /// - BuildKit (instruction stage)
    pub static RULE = Rule {
        id: "PL9002",
        name: "invalid-flag",
        summary: "Unknown instruction flag or invalid flag value",
        level: Level::Warning,
        tags: &["syntax"],
    };
}

fn known(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "FROM" => &["platform"],
        "RUN" => &["mount", "network", "security", "device"],
        "COPY" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD" => &[
            "chown",
            "chmod",
            "link",
            "keep-git-dir",
            "checksum",
            "exclude",
            "unpack",
        ],
        "HEALTHCHECK" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

fn is_duration(v: &str) -> bool {
    let mut rest = v;
    let mut any = false;
    while !rest.is_empty() {
        let num = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .count();
        if num == 0 {
            return false;
        }
        rest = &rest[num..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| rest.starts_with(*u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
        any = true;
    }
    any || v == "0"
}

fn bad_value(keyword: &str, f: &Flag) -> Option<String> {
    let v = f.value.as_deref();
    if v.is_some_and(|v| v.contains('$')) {
        return None;
    }
    match (keyword, f.name.as_str()) {
        (_, "chmod") => {
            let v = v?;
            let octal =
                !v.is_empty() && v.len() <= 4 && v.chars().all(|c| ('0'..='7').contains(&c));
            let symbolic = v.split(',').all(|p| {
                let who = p.chars().take_while(|c| "ugoa".contains(*c)).count();
                let rest = &p[who..];
                rest.starts_with(['+', '-', '=']) && rest[1..].chars().all(|c| "rwxXst".contains(c))
            });
            (!octal && !symbolic).then(|| {
                format!("`--chmod={v}` is not an octal mode (755) or a symbolic one (u+x)")
            })
        }
        ("RUN", "network") => {
            let v = v.unwrap_or("");
            (!matches!(v, "default" | "none" | "host"))
                .then(|| format!("`--network={v}`: use default, none or host"))
        }
        ("RUN", "security") => {
            let v = v.unwrap_or("");
            (!matches!(v, "sandbox" | "insecure"))
                .then(|| format!("`--security={v}`: use sandbox or insecure"))
        }
        ("RUN", "mount") => {
            let t = f.key_value("type").unwrap_or_else(|| "bind".into());
            if !matches!(t.as_str(), "bind" | "cache" | "tmpfs" | "secret" | "ssh") {
                return Some(format!(
                    "`--mount` type `{t}` is not bind, cache, tmpfs, secret or ssh"
                ));
            }
            let has_target = ["target", "dst", "destination"]
                .iter()
                .any(|k| f.key_value(k).is_some());
            (matches!(t.as_str(), "bind" | "cache" | "tmpfs") && !has_target)
                .then(|| format!("`--mount=type={t}` needs a target"))
        }
        ("COPY" | "ADD", "link") => v
            .filter(|v| !matches!(*v, "true" | "false"))
            .map(|v| format!("`--link={v}`: use --link or --link=false")),
        ("HEALTHCHECK", "interval" | "timeout" | "start-period" | "start-interval") => {
            let v = v.unwrap_or("");
            (!is_duration(v)).then(|| format!("`--{}={v}` is not a duration (30s, 1m30s)", f.name))
        }
        ("HEALTHCHECK", "retries") => {
            let v = v.unwrap_or("");
            v.parse::<u32>()
                .is_err()
                .then(|| format!("`--retries={v}` is not a number"))
        }
        ("COPY" | "ADD", "checksum") if keyword == "ADD" => {
            let v = v.unwrap_or("");
            (!v.starts_with("sha256:") && !v.starts_with("sha384:") && !v.starts_with("sha512:"))
                .then(|| format!("`--checksum={v}` must be `sha256:<hex>`"))
        }
        _ => None,
    }
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        for i in [Some(ins), ins.onbuild.as_deref()].into_iter().flatten() {
            if !i.is_known() {
                continue;
            }
            for f in &i.flags {
                if !known(&i.keyword).contains(&f.name.as_str()) {
                    out.push(Finding::new(&RULE, format!("`--{}` is not a flag of {} that this BuildKit knows; check the spelling or the `# syntax=` frontend", f.name, i.keyword)).at(f.span).level(Level::Note));
                } else if let Some(msg) = bad_value(&i.keyword, f) {
                    out.push(Finding::new(&RULE, msg).at(f.span));
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

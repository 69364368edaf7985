use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ADD` of local files and directories, where `COPY` does the same
    /// with no surprises. `ADD` of URLs, git repositories and local archives
    /// (which `ADD` extracts) is left to other rules, and so is the
    /// `ADD file:<sha256> in /` of a Dockerfile rebuilt from image history.
    ///
    /// ## Why is this bad?
    /// `ADD` also fetches URLs and unpacks archives; reading `ADD` makes reviewers
    /// wonder which one is meant, and a renamed file can silently switch
    /// behaviour.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD app.py /srv/
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY app.py /srv/
    /// ```
    ///
    /// ## Fix
    /// Safe: `ADD` -> `COPY` (flags kept; `--checksum`, `--keep-git-dir` and
    /// `--unpack` make the fix unavailable).
    ///
    /// ## References
    /// - hadolint DL3020, Trivy DS005, Checkov CKV_DOCKER_4
    pub static RULE = Rule {
        id: "PL3006",
        name: "add-instead-of-copy",
        summary: "ADD used for local files; use COPY",
        level: Level::Warning,
        aliases: &["DL3020", "DS005", "CKV_DOCKER_4"],
        tags: &["best-practice", "fixable"],
    };
}

pub fn is_archive(p: &str) -> bool {
    let p = p.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst",
        ".tar.lz", ".tb2", ".gz", ".bz2", ".xz", ".zst", ".lzma",
    ]
    .iter()
    .any(|e| p.ends_with(e))
}

pub fn is_remote(p: &str) -> bool {
    p.contains("://")
        || p.starts_with("git@")
        || p.ends_with(".git") && p.contains('/') && !p.starts_with('.')
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df
        .instructions
        .iter()
        .filter(|i| i.keyword == "ADD" && !crate::util::is_history_copy(i))
    {
        let srcs: Vec<String> = if ins.args.len() > 1 {
            ins.args[..ins.args.len() - 1]
                .iter()
                .map(|a| plimsoll_plugin_sdk::dockerfile::unquote(a, df.escape))
                .collect()
        } else {
            Vec::new()
        };
        if srcs.is_empty()
            || srcs
                .iter()
                .any(|s| is_remote(s) || is_archive(s) || s.contains('$'))
        {
            continue;
        }
        let mut f = Finding::new(
            &RULE,
            "use COPY for local files; ADD also fetches URLs and extracts archives",
        )
        .at(ins.span);
        if !ins
            .flags
            .iter()
            .any(|fl| matches!(fl.name.as_str(), "checksum" | "keep-git-dir" | "unpack"))
        {
            f = f.fix(Fix::safe(
                "Replace ADD with COPY",
                vec![Edit::replace(ins.keyword_span, "COPY")],
            ));
        }
        out.push(f);
    }
    for f in out {
        ctx.report(f);
    }
}

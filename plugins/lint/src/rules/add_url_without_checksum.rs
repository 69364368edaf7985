use plimsoll_plugin_sdk::prelude::*;

use super::add_instead_of_copy::is_remote;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ADD <url>` without `--checksum=sha256:...` (git URLs, which pin
    /// by commit, are left alone).
    ///
    /// ## Why is this bad?
    /// The build trusts whatever the URL serves at build time; a changed or
    /// hijacked file goes straight into the image. `--checksum` (BuildKit, Dockerfile
    /// syntax 1.6+) makes the build fail instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD https://example.com/tool-1.2.tar.gz /tmp/
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool-1.2.tar.gz /tmp/
    /// ```
    ///
    /// ## References
    /// - Checkov CKV_DOCKER_4 (every ADD; PL3006 reports ADD of local files)
    pub static RULE = Rule {
        id: "PL4007",
        name: "add-url-without-checksum",
        summary: "ADD of a URL without --checksum",
        level: Level::Warning,
        aliases: &["CKV_DOCKER_4"],
        tags: &["security", "supply-chain", "reproducibility"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "ADD") {
        if ins.flag("checksum").is_some() || ins.args.len() < 2 {
            continue;
        }
        for src in &ins.args[..ins.args.len() - 1] {
            let s = plimsoll_plugin_sdk::dockerfile::unquote(src, df.escape);
            let git = s.ends_with(".git")
                || s.contains(".git#")
                || s.starts_with("git@")
                || s.contains("github.com/") && s.contains('#');
            if is_remote(&s) && !git && (s.starts_with("http://") || s.starts_with("https://")) {
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "`ADD {s}` trusts whatever the URL serves; add `--checksum=sha256:...`"
                        ),
                    )
                    .at(ins.span)
                    .severity(5.0),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

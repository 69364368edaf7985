use plimsoll_plugin_sdk::prelude::*;

use super::add_instead_of_copy::is_archive;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes `COPY archive.tar.gz` followed, in the same stage, by a RUN that
    /// extracts it with `tar`.
    ///
    /// ## Why is this bad?
    /// The archive stays in the COPY layer after extraction; `ADD archive.tar.gz
    /// /dest/` extracts it in one layer without keeping it. (Better still for
    /// large archives: `RUN --mount=type=bind,source=archive.tar.gz,...`.)
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY dist.tar.gz /tmp/
    /// RUN tar -xzf /tmp/dist.tar.gz -C /opt && rm /tmp/dist.tar.gz
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ADD dist.tar.gz /opt/
    /// ```
    ///
    /// ## References
    /// - hadolint DL3010
    pub static RULE = Rule {
        id: "PL3007",
        name: "copy-then-extract",
        summary: "Archive copied then extracted; ADD extracts in one layer",
        level: Level::Note,
        aliases: &["DL3010"],
        tags: &["size"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for (i, ins) in df.instructions.iter().enumerate() {
        if ins.keyword != "COPY" || ins.flag("from").is_some() || ins.args.len() < 2 {
            continue;
        }
        // Windows paths use `\\`: split on both separators, quotes removed.
        let base = |p: &str| -> String {
            let p = p.trim_matches(['"', '\'']);
            p.rsplit(['/', '\\']).next().unwrap_or(p).to_string()
        };
        let tarball = |a: &str| is_archive(a) && a.contains(".tar") || a.ends_with(".tgz");
        let archives: Vec<String> = ins.args[..ins.args.len() - 1]
            .iter()
            .map(|a| base(a))
            .filter(|a| tarball(a))
            .collect();
        if archives.is_empty() {
            continue;
        }
        // The names the archive has in the image: its own, or the file name it is
        // copied to (`COPY app.tar /opt/pkg.tar`).
        let mut names = archives.clone();
        let dest = base(ins.args.last().expect("len >= 2"));
        if tarball(&dest) {
            names.push(dest);
        }
        let extracted = ctx
            .runs
            .iter()
            .filter(|r| r.index > i && r.stage() == ins.stage)
            .any(|r| {
                r.commands().any(|(_, c)| {
                    c.is("tar")
                        && c.args()
                            .iter()
                            .any(|a| names.iter().any(|n| base(&a.value) == *n))
                })
            });
        if extracted {
            out.push(Finding::new(&RULE, format!("`{}` is copied and then extracted; `ADD` extracts it without keeping the archive in a layer", archives[0])).at(ins.span));
        }
    }
    for f in out {
        ctx.report(f);
    }
}

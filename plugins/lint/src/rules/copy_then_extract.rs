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
        let archives: Vec<String> = ins.args[..ins.args.len() - 1]
            .iter()
            .map(|a| plimsoll_plugin_sdk::dockerfile::unquote(a, df.escape))
            .filter(|a| is_archive(a) && a.contains(".tar") || a.ends_with(".tgz"))
            .collect();
        if archives.is_empty() {
            continue;
        }
        let extracted = ctx
            .runs
            .iter()
            .filter(|r| r.index > i && r.stage() == ins.stage)
            .any(|r| {
                r.commands().any(|(_, c)| {
                    c.is("tar")
                        && c.args().iter().any(|a| {
                            archives
                                .iter()
                                .any(|arc| a.value.ends_with(arc.rsplit('/').next().unwrap_or(arc)))
                        })
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

//! Version pinning for the package managers other than apt: one rule per
//! manager family so `--select DL3018` means what hadolint users expect.

use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::list;

/// Reports unpinned installs of `managers`; `covers` says which of the rule's
/// peer ids each manager's findings correspond to.
pub(super) fn report_unpinned(
    ctx: &mut Ctx,
    rule: &'static Rule,
    managers: &[Manager],
    how: &str,
    covers: fn(Manager) -> &'static [&'static str],
) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if !managers.contains(&pc.manager) {
                continue;
            }
            let unpinned =
                pc.unpinned_given(&|v| crate::util::variable_known(ctx.df(), run.ins, v));
            if unpinned.is_empty() {
                continue;
            }
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            let how = if pc.module { "`module:stream`" } else { how };
            out.push(
                Finding::new(
                    rule,
                    format!(
                        "pin versions in {} {}: {} ({how})",
                        pc.manager.name(),
                        if pc.module {
                            "module install"
                        } else {
                            pc.subcommand.map(|s| s.value.as_str()).unwrap_or("install")
                        },
                        list(&names)
                    ),
                )
                .at(script.command_span(run.ins, pc.command))
                .covers(covers(pc.manager)),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}

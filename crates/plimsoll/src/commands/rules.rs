//! `plimsoll rules` and `plimsoll explain`: the rules of the plugins a run
//! would load, and one rule's documentation.

use std::io::Write;

use plimsoll_config::LoadedConfig;
use plimsoll_report::RuleInfo;

use crate::cli::{GlobalArgs, ListFormat as Format, RulesArgs};
use crate::output::print_errors;
use crate::{ExitCode, UsageError, check};

fn all_rules(
    global: &GlobalArgs,
) -> anyhow::Result<(Vec<RuleInfo>, Vec<plimsoll_report::RunError>)> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let (engine, errors) = check::engine(global, &cfg, &check::EngineOptions::default())?;
    let mut rules: Vec<RuleInfo> = engine.rules.into_values().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((rules, errors))
}

pub fn rules(global: &GlobalArgs, args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let (rules, errors) = all_rules(global)?;
    let mut out = crate::output::Guarded::stdout();
    match args.format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?;
        }
        Format::Human => {
            writeln!(
                out,
                "{:<8} {:<8} {:<12} {:<34} SUMMARY",
                "ID", "LEVEL", "PLUGIN", "ALSO (hadolint / Trivy / Checkov)"
            )?;
            for r in &rules {
                writeln!(
                    out,
                    "{:<8} {:<8} {:<12} {:<34} {}",
                    r.id,
                    r.default_level.as_str(),
                    r.plugin,
                    r.aliases.join(" "),
                    r.summary
                )?;
            }
            writeln!(
                out,
                "\n{} rules. `plimsoll explain ID` shows a rule's documentation.",
                rules.len()
            )?;
        }
    }
    Ok(print_errors(&errors))
}

pub fn explain(global: &GlobalArgs, wanted: &str) -> anyhow::Result<ExitCode> {
    let (rules, errors) = all_rules(global)?;
    let found: Vec<&RuleInfo> = rules
        .iter()
        .filter(|r| {
            r.id.eq_ignore_ascii_case(wanted)
                || r.name == wanted
                || r.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
        })
        .collect();
    if found.is_empty() {
        print_errors(&errors);
        return Err(UsageError(format!("no rule `{wanted}`; `plimsoll rules` lists them")).into());
    }
    let mut out = crate::output::Guarded::stdout();
    for r in found {
        writeln!(out, "# {} {} ({})\n", r.id, r.name, r.plugin)?;
        writeln!(out, "{}\n", r.summary)?;
        writeln!(
            out,
            "Default level: {}. Added in rule set {}.",
            r.default_level, r.added_in
        )?;
        if !r.aliases.is_empty() {
            writeln!(out, "Covers: {}.", r.aliases.join(", "))?;
        }
        writeln!(out, "\n{}", r.docs.trim_end())?;
        writeln!(out)?;
    }
    Ok(print_errors(&errors))
}

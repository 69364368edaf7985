//! Helpers shared by rules: RUN scripts parsed once, stage relations, dates.

use plimsoll_analysis::packages::PackageCommand;
use plimsoll_analysis::shell::{self, Command, RunScript};
use plimsoll_plugin_sdk::dockerfile::{Dockerfile, Instruction};

/// A RUN instruction (or ONBUILD RUN) and the scripts it runs.
pub struct Run<'a> {
    /// Index of the instruction in the document.
    pub index: usize,
    pub ins: &'a Instruction,
    /// The RUN itself (the trigger for ONBUILD RUN).
    pub run: &'a Instruction,
    pub scripts: &'a [RunScript],
    /// The package-manager commands with their scripts, read once: seventeen
    /// rules ask for them, and reading one (its manager, its subcommand, its
    /// operands past the manager's options) is not free.
    package_commands: std::cell::OnceCell<Vec<(&'a RunScript, PackageCommand<'a>)>>,
}

impl<'a> Run<'a> {
    /// Every command with the script it belongs to.
    pub fn commands(&self) -> impl Iterator<Item = (&RunScript, &Command)> {
        commands_of(self.scripts)
    }

    /// Package-manager commands.
    pub fn packages(&self) -> impl Iterator<Item = (&RunScript, &PackageCommand<'a>)> {
        self.package_commands
            .get_or_init(|| {
                commands_of(self.scripts)
                    .filter_map(|(s, c)| PackageCommand::of(c).map(|p| (s, p)))
                    .collect()
            })
            .iter()
            .map(|(s, p)| (*s, p))
    }

    /// The commands that run after `cmd` in this RUN, in script order: a
    /// clean-up only cleans up after an install when it is among them
    /// (`dnf clean all && dnf install x` leaves the cache).
    pub fn commands_after<'s>(
        &'s self,
        cmd: &'s Command,
    ) -> impl Iterator<Item = (&'s RunScript, &'s Command)> + 's {
        self.commands()
            .skip_while(move |(_, c)| !std::ptr::eq(*c, cmd))
            .skip(1)
    }

    /// Whether any command runs `name`.
    pub fn runs(&self, name: &str) -> bool {
        self.scripts.iter().any(|s| s.script.runs(name))
    }

    /// `--mount=type=cache` and `type=tmpfs` targets of this RUN: nothing written
    /// there reaches the layer.
    pub fn cache_mounts(&self) -> Vec<String> {
        self.run
            .flags_named("mount")
            .filter(|f| matches!(f.key_value("type").as_deref(), Some("cache" | "tmpfs")))
            .filter_map(|f| {
                f.key_value("target")
                    .or_else(|| f.key_value("dst"))
                    .or_else(|| f.key_value("destination"))
            })
            .collect()
    }

    /// Whether a cache mount covers `path` (so caches there never reach the layer).
    pub fn cache_mounted(&self, path: &str) -> bool {
        self.cache_mounts().iter().any(|m| {
            let m = m.trim_end_matches('/');
            path == m
                || path.starts_with(&format!("{m}/"))
                || m.starts_with(&format!("{}/", path.trim_end_matches('/')))
        })
    }

    /// The stage this RUN belongs to.
    pub fn stage(&self) -> Option<usize> {
        self.ins.stage
    }
}

/// Every command of `scripts` with the script it belongs to, borrowed for as
/// long as the scripts are (what [`Run::packages`] keeps).
fn commands_of(scripts: &[RunScript]) -> impl Iterator<Item = (&RunScript, &Command)> {
    scripts
        .iter()
        .flat_map(|s| s.script.commands.iter().map(move |c| (s, c)))
}

/// The scripts of each RUN (and ONBUILD RUN), parsed once for every rule:
/// what the [`Run`]s of [`runs`] borrow.
pub struct RunScripts(Vec<(usize, Vec<RunScript>)>);

/// The RUN an instruction runs: itself, or an ONBUILD's trigger.
fn run_of(ins: &Instruction) -> Option<&Instruction> {
    match (&ins.onbuild, ins.keyword.as_str()) {
        (Some(sub), "ONBUILD") if sub.keyword == "RUN" => Some(sub.as_ref()),
        (_, "RUN") => Some(ins),
        _ => None,
    }
}

pub fn run_scripts(df: &Dockerfile) -> RunScripts {
    RunScripts(
        df.instructions
            .iter()
            .enumerate()
            .filter(|(_, ins)| run_of(ins).is_some())
            .map(|(index, ins)| (index, shell::scripts(df, ins)))
            .collect(),
    )
}

pub fn runs<'a>(df: &'a Dockerfile, scripts: &'a RunScripts) -> Vec<Run<'a>> {
    scripts
        .0
        .iter()
        .filter_map(|(index, scripts)| {
            let ins = &df.instructions[*index];
            Some(Run {
                index: *index,
                ins,
                run: run_of(ins)?,
                scripts,
                package_commands: std::cell::OnceCell::new(),
            })
        })
        .collect()
}

/// Stages that end up in the final image: the last stage and the stages it is
/// built FROM. Size rules only matter there.
pub fn final_image_stages(df: &Dockerfile) -> Vec<usize> {
    let mut out = Vec::new();
    let mut cur = df.stages.last().map(|s| s.index);
    while let Some(s) = cur {
        out.push(s);
        cur = df.stages[s].base_stage;
    }
    out
}

pub use plimsoll_plugin_sdk::date::Date;

/// Whether the instruction belongs to a stage that ends up in the final image.
/// ONBUILD triggers always count: they run in every image built FROM this one.
/// A file with no FROM at all (a fragment or template, which hadolint lints too)
/// is judged as one implicit final stage; instructions before the first FROM of
/// a file that has one are PL3019's business, not the size rules'.
pub fn in_final_image(df: &Dockerfile, ins: &Instruction) -> bool {
    ins.keyword == "ONBUILD" || stage_in_final_image(df, ins.stage)
}

/// Whether a stage (`None`: outside any stage) ends up in the final image.
pub fn stage_in_final_image(df: &Dockerfile, stage: Option<usize>) -> bool {
    match stage {
        Some(s) => final_image_stages(df).contains(&s),
        None => df.stages.is_empty(),
    }
}

/// The ranges of instructions that rules judge stage by stage: each stage, or,
/// for a file with no FROM (a fragment), the whole file as one implicit stage.
pub fn scopes(df: &Dockerfile) -> Vec<(Option<usize>, &[Instruction])> {
    if df.stages.is_empty() {
        return vec![(None, &df.instructions[..])];
    }
    df.stages
        .iter()
        .map(|s| (Some(s.index), df.stage_instructions(s.index)))
        .collect()
}

/// The value of an ENV or ARG default set before `before` in the stage (or the
/// stages it is built on), as written (quotes removed).
pub fn env_before(df: &Dockerfile, ins: &Instruction, name: &str) -> Option<String> {
    let mut stage = ins.stage;
    if stage.is_none() && !df.stages.is_empty() {
        return None;
    }
    let mut limit = ins.span.start;
    loop {
        let mut found = None;
        let scope = match stage {
            Some(s) => df.stage_instructions(s),
            None => &df.instructions[..],
        };
        for i in scope {
            if i.span.start >= limit {
                break;
            }
            match i.keyword.as_str() {
                "ENV" => {
                    for kv in i.key_value_pairs() {
                        if kv.key == name {
                            found = Some(plimsoll_plugin_sdk::dockerfile::unquote(
                                kv.value, df.escape,
                            ));
                        }
                    }
                }
                "ARG" => {
                    for a in &i.args {
                        if let Some((k, v)) = a.split_once('=')
                            && k == name
                        {
                            found = Some(plimsoll_plugin_sdk::dockerfile::unquote(v, df.escape));
                        }
                    }
                }
                _ => {}
            }
        }
        if found.is_some() {
            return found;
        }
        let base = df.stages[stage?].base_stage?;
        limit = usize::MAX;
        stage = Some(base);
    }
}

/// Whether `name` is defined for `ins`: an ENV in its stage (or the stages it
/// is built on), or an ARG declared anywhere before it (a build argument the
/// build can set). hadolint judges pinned-by-variable the same way.
pub fn variable_known(df: &Dockerfile, ins: &Instruction, name: &str) -> bool {
    env_before(df, ins, name).is_some()
        || df
            .instructions
            .iter()
            .take_while(|i| i.span.start < ins.span.start)
            .filter(|i| i.keyword == "ARG")
            .flat_map(|i| i.args.iter())
            .any(|a| a.split('=').next() == Some(name))
}

/// Whether an ADD/COPY is written the way image history records one
/// (`ADD file:<sha256> in /`, `COPY multi:<sha256> in /app`): a Dockerfile
/// rebuilt from an image's history, where source files have no names left.
pub fn is_history_copy(ins: &Instruction) -> bool {
    ins.args.first().is_some_and(|a| {
        a.split_once(':').is_some_and(|(kind, hash)| {
            matches!(kind, "file" | "multi" | "dir")
                && hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
    })
}

/// The variables an ARG or ENV declares: (name, value with quotes removed —
/// `None` for `ARG X` —, where the name or the declaration is written).
/// Empty for other instructions.
pub fn declarations<'i>(
    df: &Dockerfile,
    ins: &'i Instruction,
) -> Vec<(
    &'i str,
    Option<String>,
    plimsoll_plugin_sdk::dockerfile::Span,
)> {
    let unquote = |v: &str| plimsoll_plugin_sdk::dockerfile::unquote(v, df.escape);
    match ins.keyword.as_str() {
        "ARG" => ins
            .args
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let (k, v) = match a.split_once('=') {
                    Some((k, v)) => (k, Some(unquote(v))),
                    None => (a.as_str(), None),
                };
                (k, v, ins.arg_spans.get(i).copied().unwrap_or(ins.span))
            })
            .collect(),
        "ENV" => ins
            .key_value_pairs()
            .into_iter()
            .map(|kv| {
                (
                    kv.key,
                    Some(unquote(kv.value)),
                    kv.key_span.unwrap_or(ins.span),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a path (WORKDIR, a COPY destination) is absolute for the image:
/// `/…`, a variable (judged by the build), a Windows drive or `\\…` path. A
/// quote left by an unquote that could not finish (`"C:\\"`: the escape
/// character ate the closing quote) is looked past.
pub fn is_absolute(p: &str) -> bool {
    let p = p.strip_prefix(['"', '\'']).unwrap_or(p);
    p.starts_with('/') || p.starts_with('$') || p.chars().nth(1) == Some(':') || p.starts_with('\\')
}

/// Joins words for a message: `a`, `b` and `c` (at most five, then "and N more").
pub fn list(words: &[&str]) -> String {
    let shown: Vec<String> = words.iter().take(5).map(|w| format!("`{w}`")).collect();
    let more = words.len().saturating_sub(5);
    let mut s = shown.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_415).to_string(), "2025-11-23");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert!(Date::parse("2026-08-31").unwrap() < Date::parse("2026-11-23").unwrap());
        assert!(Date::parse("2026-13-01").is_none());
    }
}

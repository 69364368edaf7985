//! `plimsoll pin`: the check pipeline with only the pin plugin's rules, every
//! reference resolved (so fixes can be offered), registry failures fatal, and
//! notes failing the run (an unpinned reference is a note in `check`).

use crate::ExitCode;
use crate::check::{Plan, run_plan};
use crate::cli::{FailOn, GlobalArgs, PinArgs};

pub fn run(global: &GlobalArgs, args: &PinArgs) -> anyhow::Result<ExitCode> {
    run_plan(
        global,
        Plan {
            paths: &args.paths,
            images: &[],
            sboms: &[],
            platform: None,
            output: &args.output,
            select: vec!["pin".into(), "PL0001".into(), "PL0004".into()],
            ignore: Vec::new(),
            fix: args.fix.then_some(false),
            exclude: &args.exclude,
            kinds: &args.kinds,
            overrides: Some(serde_json::json!({"pin": {
                "resolve-unpinned": true,
                "update": args.update,
            }})),
            registry_fatal: true,
            only_plugins: Some(&["pin"]),
            fresh_tags: true,
            default_fail_on: Some(FailOn::Note),
            stdin_filename: None,
            diff: false,
        },
    )
}

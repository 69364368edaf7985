//! JUnit XML (`--format junit`): one test suite per target; a target without
//! findings is one passing test case, otherwise each finding is a test case,
//! failing when it is at or above the run's `--fail-on` level (below it, a
//! passing case with the finding in `<system-out>`: a note must not show as a
//! failed test in a job that passed). Errors of checks that could not run are
//! `<error>`s. Follows the Jenkins/Ant JUnit schema most CI systems read.

use std::collections::BTreeMap;

use crate::{Level, Location, Report};

fn esc(s: &str) -> String {
    crate::text::xml(s)
}

/// `fail`: the run's fail level (`None`: `--fail-on never`, nothing fails).
pub fn render(report: &Report, fail: Option<Level>) -> String {
    let mut by_target: BTreeMap<&str, (Vec<String>, usize, usize)> = BTreeMap::new();
    for t in &report.targets {
        by_target.entry(t.as_str()).or_default();
    }
    for f in &report.findings {
        let target = f.location.target();
        let line = f
            .location
            .start_line()
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        let detail = match &f.location {
            Location::Image { path, layer, .. } => format!(
                " {path}{}",
                layer.map(|l| format!(" (layer {l})")).unwrap_or_default()
            ),
            _ => String::new(),
        };
        let fails = fail.is_some_and(|l| f.level >= l);
        let (open, close) = if fails {
            (
                format!(
                    "<failure type=\"{}\" message=\"{}\">",
                    f.level,
                    esc(&f.message)
                ),
                "</failure>",
            )
        } else {
            ("<system-out>".to_string(), "</system-out>")
        };
        let case = format!(
            "    <testcase classname=\"{}\" name=\"{} {}{}\">\n      {open}{}{}{}: {}{}\n{}{close}\n    </testcase>\n",
            esc(target),
            esc(&f.rule_id),
            esc(&f.rule_name),
            esc(&line),
            esc(target),
            esc(&line),
            esc(&detail),
            if fails {
                String::new()
            } else {
                format!("{}: ", f.level)
            },
            esc(&f.message),
            esc(f.help_uri.as_deref().unwrap_or(""))
        );
        let e = by_target.entry(target).or_default();
        e.0.push(case);
        e.1 += usize::from(fails);
    }
    for err in &report.errors {
        let target = err.target.as_deref().unwrap_or("plimsoll");
        let case = format!(
            "    <testcase classname=\"{}\" name=\"{}\">\n      <error type=\"{}\" message=\"{}\">{}</error>\n    </testcase>\n",
            esc(target),
            esc(&err.kind),
            esc(&err.kind),
            esc(err.message.lines().next().unwrap_or("")),
            esc(&err.message)
        );
        let e = by_target.entry(target).or_default();
        e.0.push(case);
        e.2 += 1;
    }
    let (tests, failures, errors) = by_target.values().fold((0, 0, 0), |acc, (cases, f, e)| {
        (acc.0 + cases.len().max(1), acc.1 + f, acc.2 + e)
    });
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"plimsoll\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n"
    );
    for (target, (cases, f, e)) in &by_target {
        s.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{f}\" errors=\"{e}\">\n",
            esc(target),
            cases.len().max(1)
        ));
        if cases.is_empty() {
            s.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"no problems\"/>\n",
                esc(target)
            ));
        }
        for c in cases {
            s.push_str(c);
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

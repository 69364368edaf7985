//! JUnit XML (`--format junit`): one test suite per target; a target without
//! findings is one passing test case, otherwise each finding is a failing test
//! case (errors of checks that could not run are `<error>`s). Follows the
//! Jenkins/Ant JUnit schema most CI systems read.

use std::collections::BTreeMap;

use crate::{Location, Report};

fn esc(s: &str) -> String {
    crate::text::xml(s)
}

pub fn render(report: &Report) -> String {
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
        let case = format!(
            "    <testcase classname=\"{}\" name=\"{} {}{}\">\n      <failure type=\"{}\" message=\"{}\">{}{}{}: {}\n{}</failure>\n    </testcase>\n",
            esc(target),
            esc(&f.rule_id),
            esc(&f.rule_name),
            esc(&line),
            f.level,
            esc(&f.message),
            esc(target),
            esc(&line),
            esc(&detail),
            esc(&f.message),
            esc(f.help_uri.as_deref().unwrap_or(""))
        );
        let e = by_target.entry(target).or_default();
        e.0.push(case);
        e.1 += 1;
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

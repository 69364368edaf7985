//! GitHub Actions output (`--format github`, the default when
//! `GITHUB_ACTIONS=true`): a workflow command per finding, which GitHub turns into
//! an annotation on the right lines of the diff, plus a Markdown table appended to
//! `$GITHUB_STEP_SUMMARY`.

use crate::{Level, Location, Report};

/// Escapes workflow-command data (`%`, CR, LF, as the runner decodes
/// them); any other control character is shown visibly, never sent raw.
fn data(s: &str) -> String {
    let encoded = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::text::line(&encoded).into_owned()
}

/// Escapes workflow-command property values (also `:` and `,`).
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let cmd = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let title = format!("{} {}", f.rule_id, f.rule_name);
        let mut props = Vec::new();
        match &f.location {
            Location::File { path, region } => {
                props.push(format!("file={}", prop(path)));
                props.push(format!("line={}", region.start.line));
                props.push(format!("col={}", region.start.column));
                props.push(format!(
                    "endLine={}",
                    region.end.line.max(region.start.line)
                ));
                if region.end.line == region.start.line {
                    props.push(format!(
                        "endColumn={}",
                        region.end.column.max(region.start.column)
                    ));
                }
            }
            Location::Target { target } if report.sources.contains_key(target) => {
                props.push(format!("file={}", prop(target)));
            }
            _ => {}
        }
        props.push(format!("title={}", prop(&title)));
        let msg = match &f.location {
            Location::Image {
                reference, path, ..
            } => format!("{reference}: {path}: {}", f.message),
            Location::Target { target } if !report.sources.contains_key(target) => {
                format!("{target}: {}", f.message)
            }
            _ => f.message.clone(),
        };
        out.push_str(&format!("::{cmd} {}::{}\n", props.join(","), data(&msg)));
    }
    for e in &report.errors {
        let mut props = vec![format!("title={}", prop(&format!("plimsoll {}", e.kind)))];
        if let Some(t) = e
            .target
            .as_ref()
            .filter(|t| report.sources.contains_key(*t))
        {
            props.insert(0, format!("file={}", prop(t)));
        }
        out.push_str(&format!(
            "::error {}::{}\n",
            props.join(","),
            data(&e.message)
        ));
    }
    out
}

/// Markdown for `$GITHUB_STEP_SUMMARY`.
pub fn step_summary(report: &Report, fail: Option<Level>) -> String {
    let count = |l: Level| report.findings.iter().filter(|f| f.level == l).count();
    let verdict = if !report.errors.is_empty() {
        "⛔ some checks could not run"
    } else if fail.is_some_and(|l| report.count_at_or_above(l) > 0) {
        "❌ failing"
    } else {
        "✅ passing"
    };
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut s = format!(
        "### plimsoll: {verdict}\n\n{} · {} · {} · {}{}\n\n",
        n(report.targets.len(), "target", "targets"),
        n(count(Level::Error), "error", "errors"),
        n(count(Level::Warning), "warning", "warnings"),
        n(count(Level::Note), "note", "notes"),
        if report.errors.is_empty() {
            String::new()
        } else {
            format!(
                " · {}",
                n(
                    report.errors.len(),
                    "check could not run",
                    "checks could not run"
                )
            )
        }
    );
    if !report.findings.is_empty() {
        s.push_str("| Level | Rule | Location | Message |\n|---|---|---|---|\n");
        for f in report.findings.iter().take(200) {
            // Paths, ids and messages are outside text: escaped so they
            // cannot add rows, links or markup to the summary.
            let cell = crate::text::markdown_cell;
            let loc = match &f.location {
                Location::File { path, region } => {
                    format!("`{}:{}`", cell(path), region.start.line)
                }
                Location::Image {
                    reference, path, ..
                } => format!("`{}` `{}`", cell(reference), cell(path)),
                Location::Target { target } => format!("`{}`", cell(target)),
            };
            let rule = match f.help_uri.as_deref().filter(|u| {
                (u.starts_with("https://") || u.starts_with("http://"))
                    && !u.contains(|c: char| c.is_whitespace() || "()<>".contains(c))
            }) {
                Some(uri) => format!("[{}]({uri})", cell(&f.rule_id)),
                None => cell(&f.rule_id),
            };
            s.push_str(&format!(
                "| {} | {rule} | {loc} | {} |\n",
                f.level,
                cell(&f.message)
            ));
        }
        if report.findings.len() > 200 {
            s.push_str(&format!(
                "\n…and {} more (see the annotations or the SARIF report).\n",
                report.findings.len() - 200
            ));
        }
    }
    for e in &report.errors {
        s.push_str(&format!(
            "\n> **{}**: {}\n",
            crate::text::markdown_cell(&e.kind),
            crate::text::markdown_cell(e.message.lines().next().unwrap_or(""))
        ));
    }
    s
}

//! Run a plugin against a Dockerfile in a unit test, natively, through the same
//! parser and the same entry points the host uses.

use crate::{DockerfilePlugin, Document, Finding, Settings};

/// Parses `text` and runs `P::check` with `settings` (use `json!({})` for none),
/// after `P::validate_settings`. Panics with the plugin's message if either fails.
pub fn check<P: DockerfilePlugin>(text: &str, settings: Settings) -> Vec<Finding> {
    try_check::<P>(text, settings).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`check`], returning the plugin's error instead of panicking.
pub fn try_check<P: DockerfilePlugin>(
    text: &str,
    settings: Settings,
) -> Result<Vec<Finding>, String> {
    P::validate_settings(&settings)?;
    let doc = Document::parse("Dockerfile", text)?;
    let mut findings = P::check(&doc, &settings)?;
    let info = P::info();
    for f in &findings {
        assert!(
            info.rules.iter().any(|r| r.id == f.rule_id),
            "finding for undeclared rule {}",
            f.rule_id
        );
    }
    findings.sort_by_key(|f| (f.span().map(|s| s.start), f.rule_id));
    Ok(findings)
}

/// Renders findings as `line:col RULE level message` lines, one per finding, with
/// fixes applied shown as `fix: ...` — a stable text for snapshot tests.
pub fn render(text: &str, findings: &[Finding]) -> String {
    let doc = Document::parse("Dockerfile", text).expect("renders a parsable file");
    let mut out = String::new();
    for f in findings {
        let loc = match f.span() {
            Some(s) => {
                let p = doc.parsed.position(s.start);
                format!("{}:{}", p.line, p.column)
            }
            None => "-".into(),
        };
        out.push_str(&format!(
            "{loc} {} {:?} {}\n",
            f.rule_id, f.level, f.message
        ));
        for fix in &f.fixes {
            out.push_str(&format!(
                "  fix ({:?}): {}\n",
                fix.applicability, fix.description
            ));
            if !fix.edits.is_empty() {
                let fixed = apply_edits(text, &fix.edits);
                for line in fixed.lines() {
                    out.push_str("  | ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// Applies non-overlapping edits to `text`.
pub fn apply_edits(text: &str, edits: &[crate::Edit]) -> String {
    let mut edits: Vec<_> = edits.iter().collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in edits {
        assert!(e.span.start >= pos, "overlapping edits");
        out.push_str(&text[pos..e.span.start]);
        out.push_str(&e.replacement);
        pos = e.span.end;
    }
    out.push_str(&text[pos..]);
    out
}

/// Runs `P::check_image` on `image` with `settings`, after
/// `P::validate_settings`, as the host would for `plimsoll check --image`.
pub fn check_image<P: DockerfilePlugin>(
    image: &crate::ImageTarget,
    settings: Settings,
) -> Result<Vec<Finding>, String> {
    P::validate_settings(&settings)?;
    let findings = P::check_image(image, &settings)?;
    for f in &findings {
        f.to_wit_for_image()?;
    }
    Ok(findings)
}

//! Inline ignores written in the Dockerfile (or YAML manifest) itself:
//!
//! - `# plimsoll: ignore=PL1001,DL3008` — the next instruction;
//! - `# plimsoll: ignore-file=PL1001` — the whole file;
//! - hadolint's `# hadolint ignore=DL3008` and `# hadolint global ignore=DL3008`,
//!   read as-is so existing repositories migrate without edits;
//! - Trivy's `# trivy:ignore:DS001` (next instruction) and Checkov's
//!   `# checkov:skip=CKV_DOCKER_3:reason` (whole file, as Checkov applies it).

use plimsoll_dockerfile::Dockerfile;
use plimsoll_report::{Finding, Location};

use crate::select::matches;

/// One selector of one ignore comment, and whether a finding used it.
#[derive(Debug)]
struct Selector {
    text: String,
    /// Byte range of the comment it is written in.
    comment: (usize, usize),
    used: std::cell::Cell<bool>,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    /// (first line, last line, selectors) per annotated instruction.
    ranges: Vec<(u32, u32, Vec<Selector>)>,
    file: Vec<Selector>,
    /// Byte ranges of the ignore comments themselves (trimmed), in order.
    pub pragmas: Vec<(usize, usize)>,
}

fn list(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(|x| x.trim().trim_matches(|c| c == '"' || c == '\''))
        .filter(|x| !x.is_empty())
        .map(|x| x.to_string())
        .collect()
}

/// What every ignore comment starts with after its `#` ([`parse_comment`]
/// reads nothing else): a text with none of them has no ignore comment.
const MARKERS: [&str; 4] = ["plimsoll:", "hadolint", "trivy:ignore:", "checkov:skip="];

/// What one comment line asks: (next-instruction selectors, whole-file selectors).
fn parse_comment(comment: &str) -> (Vec<String>, Vec<String>) {
    let c = comment.trim_start_matches('#').trim();
    if let Some(rest) = c.strip_prefix("plimsoll:") {
        let rest = rest.trim();
        if let Some(v) = rest.strip_prefix("ignore-file=") {
            return (vec![], list(v));
        }
        if let Some(v) = rest.strip_prefix("ignore=") {
            return (list(v), vec![]);
        }
    }
    if let Some(rest) = c.strip_prefix("hadolint") {
        let rest = rest.trim();
        if let Some(v) = rest.strip_prefix("global ignore=") {
            return (vec![], list(v));
        }
        if let Some(v) = rest.strip_prefix("ignore=") {
            return (list(v), vec![]);
        }
    }
    if let Some(rest) = c.strip_prefix("trivy:ignore:") {
        let id = rest.split_whitespace().next().unwrap_or("");
        // Trivy also accepts its long ids (AVD-DS-0001).
        let id = match id.strip_prefix("AVD-DS-") {
            Some(n) => format!("DS{:0>3}", n.trim_start_matches('0')),
            None => id.to_string(),
        };
        return (vec![id], vec![]);
    }
    if let Some(rest) = c.strip_prefix("checkov:skip=") {
        let id = rest.split(':').next().unwrap_or("").trim();
        return (vec![], vec![id.to_string()]);
    }
    (vec![], vec![])
}

impl Suppressions {
    /// The ignore comments of `doc`; with `apply` false (`inline-ignores =
    /// false`) they are only located, to be reported, and suppress nothing.
    pub fn from_dockerfile(doc: &Dockerfile, apply: bool) -> Suppressions {
        let units: Vec<(u32, u32)> = doc
            .instructions
            .iter()
            .map(|i| (i.start_line as u32, i.end_line as u32))
            .collect();
        Self::from_text(&doc.text, &units, apply)
    }

    /// The ignore comments of any `#`-commented text whose findings fall in
    /// `units` (first and last line of each instruction, or of each image
    /// reference of a YAML manifest): a comment line directly above a unit
    /// (blank lines between allowed) covers it.
    pub fn from_text(text: &str, units: &[(u32, u32)], apply: bool) -> Suppressions {
        let mut s = Suppressions::default();
        // Most files have none: one search per marker instead of a look at
        // every line (1.4% of the CPU time of a run over the corpus).
        if !MARKERS.iter().any(|m| text.contains(m)) {
            return s;
        }
        // Line number (1-based) -> (comment byte range, next-instruction
        // selectors), for every ignore comment; file-wide ones go to `file`.
        let mut by_line: std::collections::HashMap<usize, ((usize, usize), Vec<String>)> =
            Default::default();
        let mut comment_lines = std::collections::HashSet::new();
        let mut offset = 0;
        for (n, line) in text.split_inclusive('\n').enumerate() {
            let t = line.trim();
            if t.starts_with('#') {
                comment_lines.insert(n + 1);
                let (next, file) = parse_comment(t);
                if !next.is_empty() || !file.is_empty() {
                    let start = offset + (line.len() - line.trim_start().len());
                    let range = (start, start + t.len());
                    s.pragmas.push(range);
                    if apply {
                        s.file.extend(file.into_iter().map(|text| Selector {
                            text,
                            comment: range,
                            used: Default::default(),
                        }));
                        by_line.insert(n + 1, (range, next));
                    }
                }
            }
            offset += line.len();
        }
        if !apply {
            return s;
        }
        let lines: Vec<&str> = text.lines().collect();
        for &(first, last) in units {
            // Comments directly above, blank lines allowed in between.
            let mut selectors = Vec::new();
            let mut n = (first as usize).saturating_sub(1);
            while n >= 1 {
                let raw = lines.get(n - 1).map(|l| l.trim()).unwrap_or("");
                if raw.is_empty() {
                    n -= 1;
                    continue;
                }
                if !comment_lines.contains(&n) {
                    break;
                }
                if let Some((range, next)) = by_line.remove(&n) {
                    selectors.extend(next.into_iter().map(|text| Selector {
                        text,
                        comment: range,
                        used: Default::default(),
                    }));
                }
                n -= 1;
            }
            if !selectors.is_empty() {
                s.ranges.push((first, last, selectors));
            }
        }
        s
    }

    /// Whether an inline ignore covers this finding (and marks the selectors
    /// that do as used).
    pub fn covers(&self, f: &Finding, rule: &plimsoll_report::RuleInfo) -> bool {
        let mut hit = false;
        for sel in self.file.iter().filter(|s| matches(&s.text, rule)) {
            sel.used.set(true);
            hit = true;
        }
        if let Location::File { region, .. } = &f.location {
            let line = region.start.line;
            for (_, _, sels) in self
                .ranges
                .iter()
                .filter(|(a, b, _)| *a <= line && line <= *b)
            {
                for sel in sels.iter().filter(|s| matches(&s.text, rule)) {
                    sel.used.set(true);
                    hit = true;
                }
            }
        }
        hit
    }

    /// Selectors that suppressed nothing in this run, with the byte range of
    /// their comment: for PL0003. `judged` says whether a selector names
    /// something this run could have reported (a rule that ran); others are
    /// left alone (a rule deselected here, a peer id nothing implements).
    pub fn unused(&self, judged: impl Fn(&str) -> bool) -> Vec<(String, (usize, usize))> {
        self.ranges
            .iter()
            .flat_map(|(_, _, sels)| sels.iter())
            .chain(&self.file)
            .filter(|s| !s.used.get() && judged(&s.text))
            .map(|s| (s.text.clone(), s.comment))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_forms() {
        assert_eq!(
            parse_comment("# hadolint ignore=DL3008,DL3009").0,
            vec!["DL3008", "DL3009"]
        );
        assert_eq!(
            parse_comment("# hadolint global ignore=DL3003").1,
            vec!["DL3003"]
        );
        assert_eq!(
            parse_comment("# plimsoll: ignore=PL1001 PL3002").0,
            vec!["PL1001", "PL3002"]
        );
        assert_eq!(
            parse_comment("#plimsoll: ignore-file=PL1001").1,
            vec!["PL1001"]
        );
        assert_eq!(parse_comment("# trivy:ignore:AVD-DS-0002").0, vec!["DS002"]);
        assert_eq!(
            parse_comment("#checkov:skip=CKV_DOCKER_3: no user").1,
            vec!["CKV_DOCKER_3"]
        );
        assert_eq!(parse_comment("# just a comment"), (vec![], vec![]));
    }

    /// The fast path of `from_text` skips texts without a marker: every
    /// form `parse_comment` reads starts with one.
    #[test]
    fn every_comment_form_starts_with_a_marker() {
        for form in [
            "# hadolint ignore=DL3008",
            "# hadolint global ignore=DL3003",
            "# plimsoll: ignore=PL1001",
            "#plimsoll: ignore-file=PL1001",
            "# trivy:ignore:DS002",
            "#checkov:skip=CKV_DOCKER_3: no user",
        ] {
            let (next, file) = parse_comment(form);
            assert!(!next.is_empty() || !file.is_empty(), "{form}");
            let body = form.trim_start_matches('#').trim();
            assert!(MARKERS.iter().any(|m| body.starts_with(m)), "{form}");
        }
        let s = Suppressions::from_text("FROM a\n# hadolint: nothing\nRUN b\n", &[(3, 3)], true);
        assert!(s.pragmas.is_empty() && s.ranges.is_empty());
        let s =
            Suppressions::from_text("FROM a\n# hadolint ignore=DL3008\nRUN b\n", &[(3, 3)], true);
        assert_eq!(s.pragmas, vec![(7, 31)]);
        assert_eq!(s.ranges.len(), 1);
    }

    #[test]
    fn ranges_follow_instructions() {
        let doc =
            Dockerfile::parse("FROM a\n# hadolint ignore=DL3006\n\nFROM b\nFROM c\n").unwrap();
        let s = Suppressions::from_dockerfile(&doc, true);
        let ranges: Vec<(u32, u32, Vec<&str>)> = s
            .ranges
            .iter()
            .map(|(a, b, sels)| (*a, *b, sels.iter().map(|x| x.text.as_str()).collect()))
            .collect();
        assert_eq!(ranges, vec![(4, 4, vec!["DL3006"])]);
        assert_eq!(s.pragmas, vec![(7, 31)]);
        // Not applied: located only.
        let off = Suppressions::from_dockerfile(&doc, false);
        assert!(off.ranges.is_empty() && off.file.is_empty());
        assert_eq!(off.pragmas, vec![(7, 31)]);
        // Other comments, hadolint's `shell=` pragma included, are not ignores.
        let doc = Dockerfile::parse(
            "# hadolint shell=powershell
# foo
FROM a
",
        )
        .unwrap();
        assert!(
            Suppressions::from_dockerfile(&doc, false)
                .pragmas
                .is_empty()
        );
    }
}

//! The findings model every reporter renders: what was found, where, how bad, and
//! what could not be checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How serious a finding is; ordered `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "note" | "info" | "style" => Some(Level::Note),
            "warning" | "warn" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point in a file: 1-based line and column (Unicode scalar values), 0-based byte
/// offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub offset: u32,
}

/// A half-open range of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Region {
    pub start: Position,
    pub end: Position,
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// A range of a file (a Dockerfile).
    File { path: String, region: Region },
    /// A path inside an image, and the layer that last wrote it when known.
    Image {
        reference: String,
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        layer: Option<u32>,
    },
    /// A whole target: a file or an image reference.
    Target { target: String },
}

impl Location {
    /// The file path or image reference this location belongs to.
    pub fn target(&self) -> &str {
        match self {
            Location::File { path, .. } => path,
            Location::Image { reference, .. } => reference,
            Location::Target { target } => target,
        }
    }

    pub fn start_line(&self) -> Option<u32> {
        match self {
            Location::File { region, .. } => Some(region.start.line),
            _ => None,
        }
    }
}

/// Whether `--fix` may apply a fix unasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    Safe,
    Unsafe,
    DisplayOnly,
}

/// Replace bytes `[start, end)` of the file with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fix {
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

/// One problem found by one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    /// kebab-case rule name.
    pub rule_name: String,
    /// The plugin that reported it.
    pub plugin: String,
    pub level: Level,
    pub message: String,
    pub location: Location,
    /// Peer ids the rule covers (`DL3008`, `DS029`, `CKV_DOCKER_3`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// For rules covering several peer checks: the peer ids this finding is
    /// (a subset of `aliases`); absent means all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
}

impl Finding {
    /// A finding of `rule_id` at `location`, every optional part empty (no
    /// aliases, tags, fixes, severity, help or properties; the rule's name
    /// and plugin empty too, for the caller to set).
    pub fn new(rule_id: &str, level: Level, message: &str, location: Location) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            rule_name: String::new(),
            plugin: String::new(),
            level,
            message: message.into(),
            location,
            aliases: vec![],
            covers: None,
            tags: vec![],
            fixes: vec![],
            security_severity: None,
            help_uri: None,
            properties: None,
        }
    }

    /// Order for output: by target, then position, then rule.
    pub fn sort_key(&self) -> (&str, u32, u32, &str) {
        let (line, col) = match &self.location {
            Location::File { region, .. } => (region.start.line, region.start.column),
            _ => (0, 0),
        };
        (self.location.target(), line, col, &self.rule_id)
    }
}

/// What a rule is, for `plimsoll rules`, SARIF's `tool.driver.rules` and docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub plugin: String,
    pub summary: String,
    pub default_level: Level,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub added_in: String,
    /// Markdown documentation.
    pub docs: String,
}

impl RuleInfo {
    pub fn help_uri(&self) -> String {
        format!("{DOCS_URL}/rules/{}/", self.id)
    }
}

/// Where the documentation site is published (`.github/workflows/docs.yml`
/// deploys `cargo xtask docs` there): rule pages are `rules/<ID>/`.
pub const DOCS_URL: &str = "https://plimsoll-dev.github.io/plimsoll";

/// Something that could not be checked: a plugin that trapped, a file that could not
/// be read, a registry that was down. Any of these makes the run exit 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    /// Stable kind: `plugin-trap`, `plugin-timeout`, `plugin-memory`, `parse-error`...
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub message: String,
    /// Line of the target the error is about, when it is a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// Everything one run produced.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub errors: Vec<RunError>,
    /// Rules of every loaded plugin.
    pub rules: Vec<RuleInfo>,
    /// Targets checked (file paths, image references), in order.
    pub targets: Vec<String>,
    /// Text of checked files, for snippets; keyed by path.
    #[serde(skip)]
    pub sources: BTreeMap<String, String>,
    /// Findings dropped by inline ignores or `--ignore`, counted for the summary.
    pub suppressed: usize,
    /// Fixes applied by `--fix`.
    pub fixed: usize,
    /// The findings those fixes were for, as reported before the fix.
    pub applied: Vec<Finding>,
    /// Human blocks the result cache kept (or this run rendered for it) for
    /// a target's findings, by target: the human report copies them when
    /// they show exactly that target's findings with its options, and
    /// renders the rest.
    #[serde(skip)]
    pub human_blocks: std::collections::HashMap<String, crate::blocks::Blocks>,
    /// The JSON document's elements kept the same way, by target: copied
    /// when they are exactly that target's findings.
    #[serde(skip)]
    pub json_blocks: std::collections::HashMap<String, crate::blocks::Blocks>,
}

/// The tag of rules whose fix moves an existing pin (a stale pin updated, a
/// dangling or platform digest replaced), counted apart as `updated`.
pub const PIN_UPDATE_TAG: &str = "pin-update";

impl Report {
    pub fn sort(&mut self) {
        // Findings that come in order (each file's answer is kept sorted by
        // the result cache, and targets come in path order) are left so:
        // one pass to find out.
        if !self
            .findings
            .is_sorted_by(|a, b| a.sort_key() <= b.sort_key())
        {
            self.sort_findings();
        }
        self.errors.sort_by(|a, b| {
            (a.target.as_deref(), a.plugin.as_deref(), &a.message).cmp(&(
                b.target.as_deref(),
                b.plugin.as_deref(),
                &b.message,
            ))
        });
    }

    fn sort_findings(&mut self) {
        // A stable sort of an index (4 bytes an entry, not a finding's few
        // hundred: no scratch copy of the findings), then the findings moved
        // into that order in place, one cycle of the permutation at a time.
        let mut order: Vec<usize> = (0..self.findings.len()).collect();
        order.sort_by(|&a, &b| {
            self.findings[a]
                .sort_key()
                .cmp(&self.findings[b].sort_key())
        });
        for i in 0..order.len() {
            let mut k = i;
            loop {
                let from = std::mem::replace(&mut order[k], k);
                if from == i || from == k {
                    break;
                }
                self.findings.swap(k, from);
                k = from;
            }
        }
    }

    /// Applied fixes that moved an existing pin ([`PIN_UPDATE_TAG`]).
    pub fn updated(&self) -> usize {
        self.applied
            .iter()
            .filter(|f| f.tags.iter().any(|t| t == PIN_UPDATE_TAG))
            .count()
    }

    pub fn count_at_or_above(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level >= level).count()
    }

    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The same report with every file path (not image references) passed
    /// through `rebase`, which returns `None` to keep a path as it is: how
    /// CI formats locate files relative to the repository root.
    pub fn with_file_paths(&self, rebase: impl Fn(&str) -> Option<String>) -> Report {
        let is_file = |p: &str| self.sources.contains_key(p) || std::path::Path::new(p).is_file();
        let map = |p: &str| -> String {
            if is_file(p) {
                rebase(p).unwrap_or_else(|| p.to_string())
            } else {
                p.to_string()
            }
        };
        let mut out = self.clone();
        for f in &mut out.findings {
            match &mut f.location {
                Location::File { path, .. } => *path = map(path),
                Location::Target { target } => *target = map(target),
                Location::Image { .. } => {}
            }
        }
        for e in &mut out.errors {
            if let Some(t) = &mut e.target {
                *t = map(t);
            }
        }
        for t in &mut out.targets {
            *t = map(t);
        }
        // Kept under the paths as given, which they show.
        out.human_blocks.clear();
        out.json_blocks.clear();
        out.sources = self
            .sources
            .iter()
            .map(|(k, v)| (map(k), v.clone()))
            .collect();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Report::sort` orders findings as a stable sort by `sort_key` does:
    /// equal keys keep the order they came in.
    #[test]
    fn sort_is_a_stable_sort_by_the_key() {
        let finding = |path: &str, line: u32, rule: &str, message: String| {
            let at = Position {
                line,
                column: 1,
                offset: 0,
            };
            Finding::new(
                rule,
                Level::Note,
                &message,
                Location::File {
                    path: path.into(),
                    region: Region { start: at, end: at },
                },
            )
        };
        // A fixed pseudo-random order with many equal keys.
        let mut x: u32 = 7;
        let mut findings = Vec::new();
        for i in 0..500 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let path = ["b", "a", "c"][(x >> 16) as usize % 3];
            let rule = ["PL2", "PL1"][(x >> 20) as usize % 2];
            findings.push(finding(path, (x >> 8) % 5, rule, i.to_string()));
        }
        let mut want = findings.clone();
        want.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let mut report = Report {
            findings,
            ..Default::default()
        };
        report.sort();
        assert_eq!(report.findings, want);
    }
}

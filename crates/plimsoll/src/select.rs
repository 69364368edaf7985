//! Which rules report, and at what level: `select`/`ignore` (ids, peer aliases,
//! prefixes, plugin names), `[rules]` level overrides, `per-file-ignores`, and
//! rule-set pinning (rules newer than the pinned set report as notes).

use std::collections::BTreeMap;

use globset::{Glob, GlobMatcher};
use plimsoll_config::{LoadedConfig, RuleLevel};
use plimsoll_report::{Level, RuleInfo};

/// Peer ids in their canonical spelling: Trivy's `DS-0001` and `AVD-DS-0001` are
/// `DS001`; hadolint's `hadolint/DL3008` is `DL3008`; BuildKit's
/// `buildkit/StageNameCasing` is `StageNameCasing`.
pub fn canonical_id(s: &str) -> String {
    let s = s.trim();
    let s = s
        .strip_prefix("hadolint/")
        .or_else(|| s.strip_prefix("buildkit/"))
        .unwrap_or(s);
    let up = s.to_ascii_uppercase();
    let trivy = up.strip_prefix("AVD-").unwrap_or(&up);
    if let Some(n) = trivy.strip_prefix("DS-")
        && let Ok(n) = n.parse::<u32>()
    {
        return format!("DS{n:03}");
    }
    s.to_string()
}

/// Whether `s` is spelled like a peer tool's rule id: hadolint `DL1234`,
/// ShellCheck `SC1234`, Trivy `DS001`/`AVD-DS-0001`, Checkov `CKV_DOCKER_1`/
/// `CKV2_DOCKER_1`.
pub fn is_peer_id(s: &str) -> bool {
    let c = canonical_id(s).to_ascii_uppercase();
    let digits = |rest: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit())
    };
    ["DL", "SC"]
        .iter()
        .any(|p| c.strip_prefix(p).is_some_and(|r| digits(r, 4..=4)))
        || c.strip_prefix("DS").is_some_and(|r| digits(r, 3..=4))
        || ["CKV_DOCKER_", "CKV2_DOCKER_"]
            .iter()
            .any(|p| c.strip_prefix(p).is_some_and(|r| digits(r, 1..=3)))
}

/// Whether `selector` names `rule`: its id, an alias, its name, an id prefix, its
/// plugin, or `ALL`.
pub fn matches(selector: &str, rule: &RuleInfo) -> bool {
    let canonical = canonical_id(selector);
    let s = canonical.as_str();
    s.eq_ignore_ascii_case("ALL")
        || s.eq_ignore_ascii_case(&rule.id)
        || rule.aliases.iter().any(|a| a.eq_ignore_ascii_case(s))
        || s == rule.name
        || s == rule.plugin
        || (s.len() >= 3 && rule.id.starts_with(s) && s.chars().any(|c| c.is_ascii_digit()))
}

/// Names `rule` by id or alias (not by prefix or plugin): an explicit opt-in.
fn names_exactly(selector: &str, rule: &RuleInfo) -> bool {
    selector.eq_ignore_ascii_case(&rule.id)
        || rule
            .aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(selector))
}

pub struct Selection {
    select: Option<Vec<String>>,
    ignore: Vec<String>,
    levels: BTreeMap<String, RuleLevel>,
    per_file: Vec<(GlobMatcher, Vec<String>)>,
    rule_set: Option<String>,
}

impl Selection {
    pub fn new(cfg: &LoadedConfig, cli_select: &[String], cli_ignore: &[String]) -> Selection {
        let c = &cfg.config;
        let select = if cli_select.is_empty() {
            c.select.clone()
        } else {
            Some(cli_select.to_vec())
        };
        let mut ignore = c.ignore.clone();
        ignore.extend(cli_ignore.iter().cloned());
        let per_file = c
            .per_file_ignores
            .iter()
            .filter_map(|(g, rules)| {
                let pat = if g.contains('/') || g.contains("**") {
                    g.clone()
                } else {
                    format!("**/{g}")
                };
                Glob::new(&pat)
                    .ok()
                    .map(|g| (g.compile_matcher(), rules.clone()))
            })
            .collect();
        Selection {
            select,
            ignore,
            levels: c.rules.clone(),
            per_file,
            rule_set: c.rule_set.clone(),
        }
    }

    /// Everything that decides what the selection keeps, as text: part of
    /// the whole-file result cache's key (another selection, another key).
    pub fn identity(&self) -> String {
        let per_file: Vec<(&str, &Vec<String>)> = self
            .per_file
            .iter()
            .map(|(g, rules)| (g.glob().glob(), rules))
            .collect();
        format!(
            "{:?}",
            (
                &self.select,
                &self.ignore,
                &self.levels,
                per_file,
                &self.rule_set
            )
        )
    }

    /// Selectors that match no known rule, alias or plugin, with a suggestion.
    pub fn unknown_selectors(&self, rules: &[RuleInfo]) -> Vec<(String, Option<String>)> {
        // Peer ids that only turn rules off (ignore lists, level overrides,
        // per-file ignores) are harmless when nothing implements them: a
        // warning (`unimplemented_peer_ids`), not an error. In `select` they
        // would select nothing, which must not pass silently.
        let off = self.turning_off().filter(|s| !is_peer_id(s));
        let mut out = Vec::new();
        for s in self.select.iter().flatten().chain(off) {
            if !rules.iter().any(|r| matches(s, r)) {
                let best = rules
                    .iter()
                    .flat_map(|r| {
                        std::iter::once(r.id.as_str()).chain(r.aliases.iter().map(String::as_str))
                    })
                    .map(|c| (strsim::jaro_winkler(&s.to_ascii_uppercase(), c), c))
                    .filter(|(score, _)| *score > 0.85)
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, c)| c.to_string());
                out.push((s.clone(), best));
            }
        }
        out
    }

    /// Peer rule ids (hadolint `DL`, ShellCheck `SC`, Trivy `DS`, Checkov
    /// `CKV_`) named in ignore lists or level overrides that no rule
    /// implements, sorted and once each: `.hadolint.yaml` files list ShellCheck
    /// ids as a matter of course.
    pub fn unimplemented_peer_ids(&self, rules: &[RuleInfo]) -> Vec<String> {
        let mut out: Vec<String> = self
            .turning_off()
            .filter(|s| is_peer_id(s) && !rules.iter().any(|r| matches(s, r)))
            .map(|s| canonical_id(s))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The selectors that turn rules off or re-level them: ignore lists,
    /// `[rules]` levels, per-file ignores.
    fn turning_off(&self) -> impl Iterator<Item = &String> {
        self.ignore
            .iter()
            .chain(self.levels.keys())
            .chain(self.per_file.iter().flat_map(|(_, r)| r))
    }

    /// Whether `select` (when given) names the rule: a rule it leaves out was
    /// not asked for, so its findings are not "suppressed".
    pub fn selected(&self, rule: &RuleInfo) -> bool {
        self.select
            .as_ref()
            .is_none_or(|sel| sel.iter().any(|s| matches(s, rule)))
    }

    /// Whether the rule runs at all (before per-file ignores).
    pub fn enabled(&self, rule: &RuleInfo) -> bool {
        if !self.selected(rule) {
            return false;
        }
        if self.ignore.iter().any(|s| matches(s, rule)) {
            return false;
        }
        !matches!(self.level_override(rule), Some(RuleLevel::Off))
    }

    fn level_override(&self, rule: &RuleInfo) -> Option<RuleLevel> {
        self.levels
            .iter()
            .find(|(k, _)| names_exactly(k, rule))
            .or_else(|| self.levels.iter().find(|(k, _)| matches(k, rule)))
            .map(|(_, v)| *v)
    }

    /// The level a finding of `rule` reported at `found` is shown with, or `None`
    /// when it is not reported for `path`.
    pub fn decide(&self, rule: &RuleInfo, found: Level, path: &str) -> Option<Level> {
        if !self.enabled(rule) {
            return None;
        }
        let rel = path.strip_prefix("./").unwrap_or(path);
        if self
            .per_file
            .iter()
            .any(|(g, rules)| g.is_match(rel) && rules.iter().any(|s| matches(s, rule)))
        {
            return None;
        }
        let mut level = match self.level_override(rule) {
            Some(RuleLevel::Note) => Level::Note,
            Some(RuleLevel::Warning) => Level::Warning,
            Some(RuleLevel::Error) => Level::Error,
            Some(RuleLevel::Off) => return None,
            None => found,
        };
        if let Some(pinned) = &self.rule_set
            && rule.added_in.as_str() > pinned.as_str()
            && !self.opted_in(rule)
        {
            level = Level::Note;
        }
        Some(level)
    }

    fn opted_in(&self, rule: &RuleInfo) -> bool {
        self.select.iter().flatten().any(|s| names_exactly(s, rule))
            || self.levels.keys().any(|k| names_exactly(k, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids_by_shape() {
        for id in [
            "SC2086",
            "DL3008",
            "DS001",
            "AVD-DS-0002",
            "CKV_DOCKER_7",
            "CKV2_DOCKER_15",
            "hadolint/DL9999",
        ] {
            assert!(is_peer_id(id), "{id}");
        }
        for id in [
            "PL2001",
            "SC20",
            "DL30081",
            "lint",
            "CKV_AWS_1",
            "StageNameCasing",
        ] {
            assert!(!is_peer_id(id), "{id}");
        }
    }

    fn rule(id: &str, aliases: &[&str], added: &str) -> RuleInfo {
        RuleInfo {
            id: id.into(),
            name: format!("name-{id}"),
            plugin: "lint".into(),
            summary: String::new(),
            default_level: Level::Warning,
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            tags: vec![],
            added_in: added.into(),
            docs: String::new(),
        }
    }

    fn cfg(text: &str) -> LoadedConfig {
        LoadedConfig::parse(std::path::Path::new("plimsoll.toml"), text).unwrap()
    }

    #[test]
    fn selectors() {
        let r = rule("PL2001", &["DL3008"], "2026.11");
        for s in [
            "PL2001",
            "pl2001",
            "DL3008",
            "PL2",
            "lint",
            "ALL",
            "name-PL2001",
        ] {
            assert!(matches(s, &r), "{s}");
        }
        for s in ["PL3", "DL", "pin", "P"] {
            assert!(!matches(s, &r), "{s}");
        }
        let t = rule("PL1002", &["DS001"], "2026.11");
        for s in ["DS001", "DS-0001", "AVD-DS-0001", "ds-0001"] {
            assert!(matches(s, &t), "{s}");
        }
    }

    #[test]
    fn levels_ignores_and_rule_sets() {
        let old = rule("PL1001", &["DL3006"], "2026.11");
        let new = rule("PL1099", &[], "2027.01");
        let s = Selection::new(
            &cfg(
                "rule-set = \"2026.11\"\n[rules]\nDL3006 = \"error\"\n[per-file-ignores]\n\"legacy/**\" = [\"PL1001\"]\n",
            ),
            &[],
            &[],
        );
        assert_eq!(
            s.decide(&old, Level::Warning, "a/Dockerfile"),
            Some(Level::Error)
        );
        assert_eq!(s.decide(&old, Level::Warning, "legacy/x/Dockerfile"), None);
        assert_eq!(
            s.decide(&new, Level::Error, "Dockerfile"),
            Some(Level::Note)
        );
        let s = Selection::new(
            &cfg("rule-set = \"2026.11\"\nselect = [\"lint\", \"PL1099\"]\n"),
            &[],
            &["DL3006".into()],
        );
        assert_eq!(
            s.decide(&new, Level::Error, "Dockerfile"),
            Some(Level::Error)
        );
        assert_eq!(s.decide(&old, Level::Warning, "Dockerfile"), None);
        assert_eq!(s.unknown_selectors(&[old, new]).len(), 0);
        let s = Selection::new(&cfg(""), &["DL3007x".into()], &[]);
        assert_eq!(
            s.unknown_selectors(&[rule("PL1002", &["DL3007"], "2026.11")])[0]
                .1
                .as_deref(),
            Some("DL3007")
        );
    }
}

//! `[scan]` settings (and the `check` flags of the same names).

use plimsoll_plugin_sdk::date::Date;
use plimsoll_plugin_sdk::serde_json::Value;

pub const SCHEMA: &str = r##"{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "min-cvss": {"type": "number", "minimum": 0, "maximum": 10, "description": "Vulnerabilities scored at least this fail the run (default 7.0)."},
    "severity": {"type": "array", "items": {"type": "string"}, "description": "Severities that fail the run whatever the score (e.g. [\"CRITICAL\", \"HIGH\"]; matched case-insensitively against the record's rating)."},
    "ignore-unfixed": {"type": "boolean", "description": "Leave out vulnerabilities with no fixed version."},
    "ignore": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["id"], "properties": {
      "id": {"type": "string"}, "until": {"type": "string", "description": "YYYY-MM-DD; after it the ignore stops applying."}, "reason": {"type": "string"}}}},
    "vulnerabilities": {"type": "boolean", "description": "Match packages against the vulnerability database (default true; false: licence checks only, no database needed)."},
    "licenses": {"type": "object", "additionalProperties": false, "properties": {
      "deny": {"type": "array", "items": {"type": "string"}, "description": "SPDX licence ids (globs: `GPL-3.0-*`) that fail a package (PL8003)."},
      "allow": {"type": "array", "items": {"type": "string"}, "description": "When set, licences not listed fail a package (PL8003)."}}},
    "db-max-age-days": {"type": "integer", "minimum": 0, "description": "Refuse vulnerability data older than this (default 7; 0 = any age). Read by the host."}
  }
}"##;

#[derive(Debug, Clone)]
pub struct Ignore {
    pub id: String,
    pub until: Option<Date>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ScanSettings {
    pub min_cvss: f32,
    pub severity: Vec<String>,
    pub ignore_unfixed: bool,
    pub ignore: Vec<Ignore>,
    /// Today, as the host's clock gives it (whole days).
    pub today: Date,
    pub deny_licenses: Vec<String>,
    pub allow_licenses: Vec<String>,
    /// Match packages against the vulnerability database (`false`: licence
    /// and package-database checks only, no database needed).
    pub vulnerabilities: bool,
}

impl ScanSettings {
    pub fn from_json(v: &Value) -> Result<ScanSettings, String> {
        let min_cvss = match v.get("min-cvss") {
            None => 7.0,
            Some(n) => n.as_f64().ok_or("`min-cvss` must be a number")? as f32,
        };
        let severity = match v.get("severity") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|s| {
                    s.as_str()
                        .map(str::to_ascii_uppercase)
                        .ok_or("`severity` must list strings")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("`severity` must be a list".into()),
        };
        let ignore_unfixed = v
            .get("ignore-unfixed")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut ignore = Vec::new();
        for (i, e) in v
            .get("ignore")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let id = e["id"]
                .as_str()
                .ok_or(format!("`ignore` #{}: `id` is required", i + 1))?;
            let until = match e.get("until").and_then(Value::as_str) {
                None => None,
                Some(d) => Some(Date::parse(d).ok_or(format!(
                    "`ignore` {id}: `until` must be YYYY-MM-DD, not `{d}`"
                ))?),
            };
            ignore.push(Ignore {
                id: id.to_string(),
                until,
                reason: e["reason"].as_str().unwrap_or("").to_string(),
            });
        }
        let list = |key: &str| -> Result<Vec<String>, String> {
            match v.get("licenses").and_then(|l| l.get(key)) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or(format!("`licenses.{key}` must list strings"))
                    })
                    .collect(),
                Some(_) => Err(format!("`licenses.{key}` must be a list")),
            }
        };
        Ok(ScanSettings {
            deny_licenses: list("deny")?,
            allow_licenses: list("allow")?,
            vulnerabilities: v
                .get("vulnerabilities")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            min_cvss,
            severity,
            ignore_unfixed,
            ignore,
            today: Date::today(),
        })
    }

    /// The reason an ignore entry covers this vulnerability, if one does and
    /// has not expired.
    pub fn ignored(&self, id: &str, aliases: &[String]) -> Option<&str> {
        self.ignore
            .iter()
            .find(|i| {
                (i.id == id || aliases.contains(&i.id)) && i.until.is_none_or(|u| u >= self.today)
            })
            .map(|i| i.reason.as_str())
    }

    /// Whether a vulnerability fails the run.
    pub fn fails(&self, score: Option<f32>, severity: Option<&str>) -> bool {
        score.is_some_and(|s| s >= self.min_cvss)
            || severity.is_some_and(|s| self.severity.iter().any(|w| w.eq_ignore_ascii_case(s)))
    }
}

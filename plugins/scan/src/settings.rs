//! `[scan]` settings (and the `check` flags of the same names).

use plimsoll_plugin_sdk::date::Date;
use plimsoll_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;
use serde_json::Value;

/// The JSON Schema of `[scan]`, derived from [`Raw`] (field docs are the
/// descriptions).
pub fn schema() -> String {
    plimsoll_plugin_sdk::settings_schema::<Raw>("scan settings ([scan] in plimsoll.toml)")
}

// `[scan]` as plimsoll.toml spells it; `ScanSettings::from_json` checks
// what types cannot say (dates, the CVSS range, VEX documents) and builds
// the settings the scan uses.
/// `[scan]` in plimsoll.toml: the vulnerability gate, ignores, VEX,
/// licences, and the vulnerability database.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    /// Vulnerabilities scored at least this fail the run.
    #[serde(default = "default_min_cvss")]
    #[schemars(range(min = 0.0, max = 10.0))]
    min_cvss: f64,
    /// Severities that fail the run whatever the score (e.g. ["CRITICAL", "HIGH"]; matched case-insensitively against the record's rating).
    #[serde(default)]
    severity: Vec<String>,
    /// Leave out vulnerabilities with no fixed version.
    #[serde(default)]
    ignore_unfixed: bool,
    /// Vulnerabilities not to report (an id or any of its aliases), each until a date and with a reason.
    #[serde(default)]
    ignore: Vec<RawIgnore>,
    /// OpenVEX documents (paths relative to plimsoll.toml): statements `not_affected` or `fixed` for this image and package hide a vulnerability.
    #[serde(default)]
    vex: Vec<RawVex>,
    /// Match packages against the vulnerability database (false: licence checks only, no database needed).
    #[serde(default = "yes")]
    vulnerabilities: bool,
    /// Licences that fail a package (PL8003).
    licenses: Option<RawLicenses>,
    /// Vulnerability data older than this many days (0 = any age) is downloaded again, or refused with --skip-db-update. Read by the host.
    #[serde(rename = "db-max-age-days", default = "default_max_age")]
    _db_max_age_days: u32,
    /// Never download vulnerability data during `check` (as --skip-db-update). Read by the host.
    #[serde(rename = "skip-db-update")]
    _skip_db_update: Option<bool>,
    /// A Trivy `.trivyignore` (one id per line, optional `exp:YYYY-MM-DD`), relative to plimsoll.toml, added to `ignore`. Read by the host.
    #[serde(rename = "ignore-file")]
    _ignore_file: Option<String>,
    /// OSV mirror laid out as `<URL>/<Ecosystem>/all.zip` (default: OSV's bucket; also PLIMSOLL_DB_SOURCE). Read by the host.
    #[serde(rename = "db-source")]
    _db_source: Option<String>,
}

fn default_min_cvss() -> f64 {
    7.0
}

fn default_max_age() -> u32 {
    7
}

fn yes() -> bool {
    true
}

/// One `[[scan.ignore]]` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "ignore")]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    /// The vulnerability id (CVE, GHSA, OSV) or one of its aliases.
    id: String,
    /// YYYY-MM-DD; after it the ignore stops applying.
    until: Option<String>,
    /// Why it is ignored (shown in reports).
    reason: Option<String>,
}

/// A `vex` entry: a path in plimsoll.toml, the document itself once the host
/// has read it.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "vex")]
#[serde(untagged)]
enum RawVex {
    Path(
        #[expect(
            dead_code,
            reason = "the host reads the file; the path is the schema's"
        )]
        String,
    ),
    Document(serde_json::Map<String, Value>),
}

/// `[scan.licenses]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(rename = "licenses")]
#[serde(deny_unknown_fields)]
struct RawLicenses {
    /// SPDX licence ids (globs: `GPL-3.0-*`) that fail a package (PL8003).
    #[serde(default)]
    deny: Vec<String>,
    /// When set, licences not listed fail a package (PL8003).
    #[serde(default)]
    allow: Vec<String>,
}

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
    pub vex: Vec<VexStatement>,
}

/// One OpenVEX statement that can hide a vulnerability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub vulnerability: String,
    /// Product ids (`pkg:oci/app@sha256:...`, an image reference or digest);
    /// empty: any image.
    pub products: Vec<String>,
    /// Package purls or names; empty: any package.
    pub subcomponents: Vec<String>,
    pub status: String,
    pub justification: String,
}

/// Statements of OpenVEX documents (v0.2 objects, or v0.0 plain strings).
fn vex_statements(docs: &[Value]) -> Result<Vec<VexStatement>, String> {
    let id = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("@id")
                .or_else(|| o.get("name"))
                .and_then(|x| x.as_str())
                .map(str::to_string),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        let statements = doc["statements"].as_array().ok_or(format!(
            "`vex` document #{}: no `statements` (not OpenVEX)",
            d + 1
        ))?;
        for s in statements {
            let Some(vulnerability) = id(&s["vulnerability"]) else {
                return Err(format!(
                    "`vex` document #{}: a statement without `vulnerability`",
                    d + 1
                ));
            };
            let mut products = Vec::new();
            let mut subcomponents = Vec::new();
            for p in s["products"].as_array().into_iter().flatten() {
                products.extend(id(p));
                for sc in p["subcomponents"].as_array().into_iter().flatten() {
                    subcomponents.extend(id(sc));
                }
            }
            for sc in s["subcomponents"].as_array().into_iter().flatten() {
                subcomponents.extend(id(sc));
            }
            out.push(VexStatement {
                vulnerability,
                products,
                subcomponents,
                status: s["status"].as_str().unwrap_or("").to_string(),
                justification: s["justification"]
                    .as_str()
                    .or_else(|| s["impact_statement"].as_str())
                    .unwrap_or("")
                    .to_string(),
            });
        }
    }
    Ok(out)
}

impl ScanSettings {
    pub fn from_json(v: &Value) -> Result<ScanSettings, String> {
        let raw: Raw = serde_json::from_value(v.clone())
            .map_err(|e| format!("invalid [scan] settings: {e}"))?;
        if !(0.0..=10.0).contains(&raw.min_cvss) {
            return Err(format!(
                "invalid [scan] settings: `min-cvss` is a CVSS score from 0 to 10, not {}",
                raw.min_cvss
            ));
        }
        let mut ignore = Vec::new();
        for e in raw.ignore {
            let until = match e.until {
                None => None,
                Some(d) => Some(Date::parse(&d).ok_or(format!(
                    "`ignore` {}: `until` must be YYYY-MM-DD, not `{d}`",
                    e.id
                ))?),
            };
            ignore.push(Ignore {
                id: e.id,
                until,
                reason: e.reason.unwrap_or_default(),
            });
        }
        let documents: Vec<Value> = raw
            .vex
            .into_iter()
            .filter_map(|d| match d {
                RawVex::Document(d) => Some(Value::Object(d)),
                // A path the host did not replace by its document (a host
                // that reads VEX files replaces every one).
                RawVex::Path(_) => None,
            })
            .collect();
        let licenses = raw.licenses.unwrap_or_default();
        Ok(ScanSettings {
            deny_licenses: licenses.deny,
            allow_licenses: licenses.allow,
            vulnerabilities: raw.vulnerabilities,
            vex: vex_statements(&documents)?,
            min_cvss: raw.min_cvss as f32,
            severity: raw
                .severity
                .iter()
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            ignore_unfixed: raw.ignore_unfixed,
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

    /// The VEX statement that says this vulnerability does not affect these
    /// packages (names) in this image (digest, reference), if any.
    pub fn vex_says_not_affected(
        &self,
        ids: &[&str],
        image: &[&str],
        packages: &[&str],
    ) -> Option<&VexStatement> {
        self.vex.iter().find(|s| {
            matches!(s.status.as_str(), "not_affected" | "fixed")
                && ids.contains(&s.vulnerability.as_str())
                && (s.products.is_empty()
                    || s.products
                        .iter()
                        .any(|p| image.iter().any(|i| !i.is_empty() && p.contains(i))))
                && (s.subcomponents.is_empty()
                    || s.subcomponents.iter().any(|sc| {
                        packages.iter().any(|n| {
                            sc == n
                                || sc.contains(&format!("/{n}@"))
                                || sc.ends_with(&format!("/{n}"))
                        })
                    }))
        })
    }

    /// Whether a vulnerability fails the run.
    pub fn fails(&self, score: Option<f32>, severity: Option<&str>) -> bool {
        score.is_some_and(|s| s >= self.min_cvss)
            || severity.is_some_and(|s| self.severity.iter().any(|w| w.eq_ignore_ascii_case(s)))
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;
    use plimsoll_plugin_sdk::serde_json::json;

    /// The derived schema and the parser agree: settings the parser takes
    /// the schema accepts (the host never refuses good settings), and the
    /// schema refuses unknown keys and wrong types before the plugin is
    /// asked; so does the parser.
    #[test]
    fn schema_and_parser_agree() {
        let schema: Value = serde_json::from_str(&schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for v in [
            json!({}),
            json!({"min-cvss": 9.5, "severity": ["CRITICAL", "HIGH"], "ignore-unfixed": true}),
            json!({"ignore": [{"id": "CVE-2024-1", "until": "2030-01-01", "reason": "not reachable"}]}),
            json!({"vulnerabilities": false, "licenses": {"deny": ["GPL-3.0-*"], "allow": ["MIT"]}}),
            json!({"vex": [{"statements": []}], "db-max-age-days": 0, "skip-db-update": true}),
            json!({"ignore-file": ".trivyignore", "db-source": "https://mirror.example/osv"}),
        ] {
            assert!(ScanSettings::from_json(&v).is_ok(), "{v}");
            assert!(validator.is_valid(&v), "the schema refuses {v}");
        }
        for v in [
            json!({"nope": 1}),
            json!({"min-cvss": "high"}),
            json!({"min-cvss": 11}),
            json!({"severity": "HIGH"}),
            json!({"ignore": [{"reason": "no id"}]}),
            json!({"licenses": {"deny": "GPL-3.0"}}),
            json!({"db-max-age-days": -1}),
        ] {
            assert!(!validator.is_valid(&v), "the schema accepts {v}");
            assert!(ScanSettings::from_json(&v).is_err(), "the parser takes {v}");
        }
    }
}

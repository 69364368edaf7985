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
    "vex": {"type": "array", "items": {"type": ["string", "object"]}, "description": "OpenVEX documents (paths relative to plimsoll.toml): statements `not_affected` or `fixed` for this image and package hide a vulnerability."},
    "vulnerabilities": {"type": "boolean", "description": "Match packages against the vulnerability database (default true; false: licence checks only, no database needed)."},
    "licenses": {"type": "object", "additionalProperties": false, "properties": {
      "deny": {"type": "array", "items": {"type": "string"}, "description": "SPDX licence ids (globs: `GPL-3.0-*`) that fail a package (PL8003)."},
      "allow": {"type": "array", "items": {"type": "string"}, "description": "When set, licences not listed fail a package (PL8003)."}}},
    "db-max-age-days": {"type": "integer", "minimum": 0, "description": "Vulnerability data older than this (default 7; 0 = any age) is downloaded again, or refused with --skip-db-update. Read by the host."},
    "skip-db-update": {"type": "boolean", "description": "Never download vulnerability data during `check` (as --skip-db-update). Read by the host."},
    "ignore-file": {"type": "string", "description": "A Trivy `.trivyignore` (one id per line, optional `exp:YYYY-MM-DD`), relative to plimsoll.toml, added to `ignore`. Read by the host."},
    "db-source": {"type": "string", "description": "OSV mirror laid out as `<URL>/<Ecosystem>/all.zip` (default: OSV's bucket; also PLIMSOLL_DB_SOURCE). Read by the host."}
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
            vex: vex_statements(
                &v.get("vex")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter(|d| d.is_object())
                            .cloned()
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            )?,
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

    /// The hand-written schema and the parser agree: settings the parser
    /// takes the schema accepts (the host never refuses good settings), and
    /// the schema refuses unknown keys and wrong types before the plugin is
    /// asked.
    #[test]
    fn schema_and_parser_agree() {
        let schema: Value = plimsoll_plugin_sdk::serde_json::from_str(SCHEMA).unwrap();
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
        }
    }
}

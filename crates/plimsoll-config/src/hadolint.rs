//! Reading hadolint's configuration (`.hadolint.yaml`) so existing repositories
//! keep their settings: translated into the equivalent `plimsoll.toml`.
//!
//! | hadolint | plimsoll |
//! |---|---|
//! | `failure-threshold` | `fail-on` (info/style -> note, ignore/none -> never) |
//! | `no-fail: true` | `fail-on = "never"` |
//! | `ignored` | `ignore` (DL ids select our rules by alias) |
//! | `override.{error,warning,info,style}` | `[rules] DLxxxx = "error"/"warning"/"note"` |
//! | `trustedRegistries` | `[lint] trusted-registries` |
//! | `label-schema` | `[lint] label-schema` (`rawtext` -> `text`) |
//! | `strict-labels` | `[lint] strict-labels` |
//! | `disable-ignore-pragma: true` | `inline-ignores = false` |
//! | `format`, `no-color` | not translated (reported) |

use yaml_rust2::{Yaml, YamlLoader};

/// File names hadolint reads, in the order it prefers them.
pub const HADOLINT_FILE_NAMES: &[&str] = &[
    ".hadolint.yaml",
    ".hadolint.yml",
    "hadolint.yaml",
    "hadolint.yml",
];

/// The plimsoll.toml equivalent of a hadolint config, and notes on what did not
/// translate.
pub fn translate(yaml: &str) -> Result<(String, Vec<String>), String> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| format!("not valid YAML: {e}"))?;
    let doc = docs
        .into_iter()
        .next()
        .unwrap_or(Yaml::Hash(Default::default()));
    let Yaml::Hash(map) = doc else {
        return Err("the top level is not a mapping".into());
    };
    let mut top = toml::Table::new();
    let mut lint = toml::Table::new();
    let mut rules = toml::Table::new();
    let mut notes = Vec::new();
    let strings = |v: &Yaml| -> Vec<String> {
        match v {
            Yaml::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Yaml::String(s) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    for (k, v) in &map {
        let Some(key) = k.as_str() else { continue };
        match key {
            "failure-threshold" => {
                let t = match v.as_str().unwrap_or("") {
                    "error" => "error",
                    "warning" => "warning",
                    "info" | "style" => "note",
                    "ignore" | "none" => "never",
                    other => {
                        return Err(format!(
                            "failure-threshold `{other}` is not a hadolint threshold"
                        ));
                    }
                };
                top.insert("fail-on".into(), t.into());
            }
            "no-fail" if v.as_bool() == Some(true) => {
                top.insert("fail-on".into(), "never".into());
            }
            "ignored" => {
                let ids = strings(v);
                let sc: Vec<&str> = ids
                    .iter()
                    .map(String::as_str)
                    .filter(|i| i.to_ascii_uppercase().starts_with("SC"))
                    .collect();
                if !sc.is_empty() {
                    notes.push(format!(
                        "ShellCheck ids ({}) are kept in `ignore`: each turns off the shell rule that carries it as an alias (PL2102 is SC2086; `plimsoll rules` lists them), and `check` names in one warning those no rule implements",
                        sc.join(", ")
                    ));
                }
                top.insert(
                    "ignore".into(),
                    toml::Value::Array(ids.into_iter().map(Into::into).collect()),
                );
            }
            "override" => {
                if let Yaml::Hash(o) = v {
                    for (lvl, ids) in o {
                        let level = match lvl.as_str().unwrap_or("") {
                            "error" => "error",
                            "warning" => "warning",
                            "info" | "style" => "note",
                            other => {
                                notes.push(format!("override level `{other}` is not translated"));
                                continue;
                            }
                        };
                        for id in strings(ids) {
                            rules.insert(id, level.into());
                        }
                    }
                }
            }
            "trustedRegistries" | "trusted-registries" => {
                lint.insert(
                    "trusted-registries".into(),
                    toml::Value::Array(strings(v).into_iter().map(Into::into).collect()),
                );
            }
            "label-schema" => {
                if let Yaml::Hash(ls) = v {
                    let mut t = toml::Table::new();
                    for (name, ty) in ls {
                        let ty = match ty.as_str().unwrap_or("text") {
                            "rawtext" | "text" => "text",
                            other => other,
                        };
                        if let Some(n) = name.as_str() {
                            t.insert(n.to_string(), ty.into());
                        }
                    }
                    lint.insert("label-schema".into(), toml::Value::Table(t));
                }
            }
            "strict-labels" => {
                lint.insert("strict-labels".into(), v.as_bool().unwrap_or(false).into());
            }
            "disable-ignore-pragma" => {
                if v.as_bool() == Some(true) {
                    top.insert("inline-ignores".into(), false.into());
                }
            }
            "format" | "no-color" | "verbose" | "no-fail" => {}
            other => notes.push(format!(
                "`{other}` is not a hadolint setting plimsoll knows; left out"
            )),
        }
    }
    if !rules.is_empty() {
        top.insert("rules".into(), toml::Value::Table(rules));
    }
    if !lint.is_empty() {
        top.insert("lint".into(), toml::Value::Table(lint));
    }
    let body = toml::to_string_pretty(&top).map_err(|e| e.to_string())?;
    Ok((
        format!("# Translated from hadolint's configuration by plimsoll.\n{body}"),
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_every_setting() {
        let yaml = "failure-threshold: info\nignored: [DL3008, DL3009]\noverride:\n  error: [DL3015]\n  info: [DL3059]\ntrustedRegistries:\n  - docker.io\n  - my-company.com:5000\nlabel-schema:\n  author: text\n  url: url\n  created: rfc3339\nstrict-labels: true\ndisable-ignore-pragma: true\n";
        let (toml_text, notes) = translate(yaml).unwrap();
        let cfg: crate::Config = toml::from_str(&toml_text).unwrap();
        assert_eq!(cfg.fail_on, Some(crate::FailOn::Note));
        assert_eq!(cfg.ignore, vec!["DL3008", "DL3009"]);
        assert_eq!(cfg.rules["DL3015"], crate::RuleLevel::Error);
        assert_eq!(cfg.rules["DL3059"], crate::RuleLevel::Note);
        let lint = crate::LoadedConfig::table_json(cfg.lint.as_ref());
        assert_eq!(lint["trusted-registries"][1], "my-company.com:5000");
        assert_eq!(lint["label-schema"]["author"], "text");
        assert_eq!(lint["strict-labels"], true);
        assert_eq!(cfg.inline_ignores, Some(false));
        assert!(notes.is_empty(), "{notes:?}");
        assert!(translate("failure-threshold: loud\n").is_err());
        assert!(translate("- a list\n").is_err());
    }
}

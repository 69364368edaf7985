//! `[sign-verify]` settings, as the host hands them over: key files and
//! trusted roots already read (plugins cannot open files), everything else as
//! written in plimsoll.toml.

use plimsoll_analysis::attestations::SlsaPolicy;
use plimsoll_plugin_sdk::serde_json::{Map, Value};
use plimsoll_plugin_sdk::signatures::{CertificateClaim, KeylessAuthority, VerifyOptions};

pub const SCHEMA: &str = r##"{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "check-base-images": {"type": "boolean", "description": "Hold every base image (FROM, after ARG substitution) of checked Dockerfiles to the policies."},
    "check-manifest-images": {"type": "boolean", "description": "Hold every image named in checked compose files, Kubernetes manifests, GitHub workflows, GitLab CI files and devcontainer.json to the policies."},
    "policies": {
      "type": "array",
      "description": "Signature policies, as sigstore policy-controller's ClusterImagePolicy: image globs to authorities; every matching policy must pass (docs: Policies / Signatures).",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "images", "authorities"],
        "properties": {
          "name": {"type": "string"},
          "images": {"type": "array", "items": {"type": "string"}, "description": "Globs over image names (registry/repository); `*` stays within a path segment, `**` crosses `/`."},
          "mode": {"enum": ["enforce", "warn"], "description": "enforce: a failure is an error; warn: a note (reported, does not fail the default gate)."},
          "report-verified": {"type": "boolean", "description": "Also report each image that satisfies the policy (PL7002, a note) with who signed it and the transparency-log entry, as cosign verify prints."},
          "check-reference": {"type": "boolean", "description": "Key-based signatures must name this image's repository in their payload's docker-reference (cosign verify does not check it; mirrors and re-tagged copies fail it)."},
          "annotations": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Annotations a verified signature must carry (cosign sign -a k=v)."},
          "authorities": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "name": {"type": "string"},
                "key": {"type": "string", "description": "A PEM public key file (relative to plimsoll.toml) or inline PEM."},
                "trusted-root": {"type": "string", "description": "With `key`: a Sigstore trusted_root.json whose Rekor keys check the signatures' transparency-log bundles."},
                "keyless": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "identity": {"type": "string"}, "identity-regex": {"type": "string"},
                    "issuer": {"type": "string"}, "issuer-regex": {"type": "string"},
                    "trusted-root": {"type": "string", "description": "A Sigstore trusted_root.json (relative to plimsoll.toml)."},
                    "github-workflow-trigger": {"type": "string"}, "github-workflow-sha": {"type": "string"},
                    "github-workflow-name": {"type": "string"}, "github-workflow-repository": {"type": "string"},
                    "github-workflow-ref": {"type": "string"}
                  }
                },
                "tlog": {"enum": ["required", "optional", "ignore"], "description": "The transparency-log bundle of cosign v2 signatures: required (keyless default), optional (key default: checked when present and a trusted root is given), ignore (cosign --insecure-ignore-tlog)."},
                "attestations": {
                  "type": "array",
                  "description": "In-toto attestations (cosign attest) the image must carry, signed by this authority; when given, they are what the authority checks.",
                  "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["predicate-type"],
                    "properties": {
                      "predicate-type": {"type": "string", "description": "A predicate type URI, or cosign's short names: slsaprovenance, slsaprovenance02, slsaprovenance1, spdxjson, cyclonedx, vuln."},
                      "slsa": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["source-uri"],
                        "properties": {
                          "source-uri": {"type": "string"}, "source-branch": {"type": "string"}, "source-tag": {"type": "string"},
                          "source-versioned-tag": {"type": "string"}, "builder-id": {"type": "string"}
                        }
                      },
                      "fields": {"type": "object", "description": "Statement fields (dot paths, e.g. predicate.buildType) and the JSON values they must equal."}
                    }
                  }
                },
                "static": {"enum": ["pass", "fail"]}
              }
            }
          }
        }
      }
    }
  }
}"##;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Warn,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
        }
    }
}

#[derive(Debug, Clone)]
pub enum AuthoritySpec {
    Key {
        label: String,
        pem: String,
        extra: Extra,
    },
    Keyless {
        label: String,
        authority: KeylessAuthority,
        extra: Extra,
    },
    Static {
        pass: bool,
    },
}

/// What an authority requires besides who signed.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub options: VerifyOptions,
    /// When not empty, the attestations the authority checks (instead of
    /// signatures), as policy-controller's `authorities[].attestations`.
    pub attestations: Vec<Required>,
}

/// An attestation an image must carry.
#[derive(Debug, Clone)]
pub struct Required {
    pub predicate_type: String,
    pub slsa: Option<SlsaPolicy>,
    pub fields: Vec<(String, Value)>,
}

/// cosign's `--type` short names for predicate types.
pub fn predicate_type(name: &str) -> String {
    match name {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        other => other,
    }
    .to_string()
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub images: Vec<String>,
    pub mode: Mode,
    pub annotations: Vec<(String, String)>,
    pub authorities: Vec<AuthoritySpec>,
    /// Key-based signatures must name the image's repository in their
    /// payload's docker-reference.
    pub check_reference: bool,
    /// Report images that pass (PL7002) with what verified.
    pub report_verified: bool,
}

impl Policy {
    /// Does this policy apply to the image named `name` (`registry/repo`,
    /// tag and digest removed)?
    pub fn matches(&self, name: &str) -> bool {
        self.images.iter().any(|g| glob_match(g, name))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub check_base_images: bool,
    pub check_manifest_images: bool,
    pub policies: Vec<Policy>,
}

fn string(v: &Value, key: &str, at: &str) -> Result<Option<String>, String> {
    match v.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{at}: `{key}` must be a string")),
    }
}

fn known(obj: &Map<String, Value>, keys: &[&str], at: &str) -> Result<(), String> {
    match obj.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{at}: unknown key `{k}` (expected one of {})",
            keys.join(", ")
        )),
        None => Ok(()),
    }
}

impl Settings {
    pub fn from_json(v: &Value) -> Result<Settings, String> {
        let obj = v.as_object().ok_or("[sign-verify] must be a table")?;
        known(
            obj,
            &["check-base-images", "check-manifest-images", "policies"],
            "[sign-verify]",
        )?;
        let flag = |key: &str| match obj.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(format!("[sign-verify]: `{key}` must be true or false")),
        };
        let check_base_images = flag("check-base-images")?;
        let check_manifest_images = flag("check-manifest-images")?;
        let mut policies = Vec::new();
        for (i, p) in obj
            .get("policies")
            .map(|p| {
                p.as_array()
                    .cloned()
                    .ok_or("[sign-verify]: `policies` must be a list")
            })
            .transpose()?
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            policies.push(policy(p, i)?);
        }
        Ok(Settings {
            check_base_images,
            check_manifest_images,
            policies,
        })
    }
}

fn policy(p: &Value, i: usize) -> Result<Policy, String> {
    let at0 = format!("[[sign-verify.policies]] #{}", i + 1);
    let obj = p.as_object().ok_or(format!("{at0} must be a table"))?;
    known(
        obj,
        &[
            "name",
            "images",
            "mode",
            "annotations",
            "authorities",
            "check-reference",
            "report-verified",
        ],
        &at0,
    )?;
    let name = string(p, "name", &at0)?.ok_or(format!("{at0}: `name` is required"))?;
    let at = format!("policy `{name}`");
    let images: Vec<String> = p
        .get("images")
        .and_then(Value::as_array)
        .ok_or(format!("{at}: `images` (a list of globs) is required"))?
        .iter()
        .map(|g| {
            g.as_str()
                .map(str::to_string)
                .ok_or(format!("{at}: `images` must hold strings"))
        })
        .collect::<Result<_, _>>()?;
    let mode = match string(p, "mode", &at)?.as_deref() {
        None | Some("enforce") => Mode::Enforce,
        Some("warn") => Mode::Warn,
        Some(other) => {
            return Err(format!(
                "{at}: `mode` must be \"enforce\" or \"warn\", not \"{other}\""
            ));
        }
    };
    let annotations = match p.get("annotations") {
        None => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|s| (k.clone(), s.to_string()))
                    .ok_or(format!("{at}: annotation `{k}` must be a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(format!("{at}: `annotations` must be a table")),
    };
    let list = p
        .get("authorities")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or(format!("{at}: at least one authority is required"))?;
    let mut authorities = Vec::new();
    for (j, a) in list.iter().enumerate() {
        authorities.push(authority(a, &format!("{at}, authority #{}", j + 1))?);
    }
    let check_reference = match p.get("check-reference") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{at}: `check-reference` must be true or false")),
    };
    let report_verified = match p.get("report-verified") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{at}: `report-verified` must be true or false")),
    };
    Ok(Policy {
        name,
        images,
        mode,
        annotations,
        authorities,
        check_reference,
        report_verified,
    })
}

fn authority(a: &Value, at: &str) -> Result<AuthoritySpec, String> {
    let obj = a.as_object().ok_or(format!("{at} must be a table"))?;
    known(
        obj,
        &[
            "name",
            "key",
            "keyless",
            "static",
            "tlog",
            "trusted-root",
            "attestations",
        ],
        at,
    )?;
    let kinds = ["key", "keyless", "static"]
        .iter()
        .filter(|k| obj.contains_key(**k))
        .count();
    if kinds != 1 {
        return Err(format!(
            "{at}: give exactly one of `key`, `keyless` or `static`"
        ));
    }
    let label = string(a, "name", at)?;
    if let Some(pem) = string(a, "key", at)? {
        if !pem.contains("-----BEGIN") {
            return Err(format!("{at}: `key` is not a PEM public key"));
        }
        let mut extra = extra(a, at)?;
        extra.options.trusted_root = string(a, "trusted-root", at)?;
        return Ok(AuthoritySpec::Key {
            label: label.unwrap_or_else(|| "key".into()),
            pem,
            extra,
        });
    }
    if let Some(s) = string(a, "static", at)? {
        if ["tlog", "trusted-root", "attestations"]
            .iter()
            .any(|k| obj.contains_key(*k))
        {
            return Err(format!(
                "{at}: a static authority takes no `tlog`, `trusted-root` or `attestations`"
            ));
        }
        return match s.as_str() {
            "pass" => Ok(AuthoritySpec::Static { pass: true }),
            "fail" => Ok(AuthoritySpec::Static { pass: false }),
            _ => Err(format!("{at}: `static` must be \"pass\" or \"fail\"")),
        };
    }
    let k = obj
        .get("keyless")
        .and_then(Value::as_object)
        .ok_or(format!("{at}: `keyless` must be a table"))?;
    let kv = Value::Object(k.clone());
    known(
        k,
        &[
            "identity",
            "identity-regex",
            "issuer",
            "issuer-regex",
            "trusted-root",
            "github-workflow-trigger",
            "github-workflow-sha",
            "github-workflow-name",
            "github-workflow-repository",
            "github-workflow-ref",
        ],
        at,
    )?;
    if obj.contains_key("trusted-root") {
        return Err(format!(
            "{at}: a keyless authority's trusted root goes inside `keyless`"
        ));
    }
    let pick = |exact: &str, regex: &str| -> Result<(String, bool), String> {
        match (string(&kv, exact, at)?, string(&kv, regex, at)?) {
            (Some(e), None) => Ok((e, false)),
            (None, Some(r)) => Ok((r, true)),
            _ => Err(format!(
                "{at}: keyless needs exactly one of `{exact}` or `{regex}`"
            )),
        }
    };
    let (identity, identity_is_regex) = pick("identity", "identity-regex")?;
    let (issuer, issuer_is_regex) = pick("issuer", "issuer-regex")?;
    let trusted_root = string(&kv, "trusted-root", at)?.ok_or(format!(
        "{at}: keyless needs `trusted-root` (a Sigstore trusted_root.json)"
    ))?;
    let mut extra = extra(a, at)?;
    for claim in [
        "github-workflow-trigger",
        "github-workflow-sha",
        "github-workflow-name",
        "github-workflow-repository",
        "github-workflow-ref",
    ] {
        if let Some(value) = string(&kv, claim, at)? {
            extra.options.claims.push(CertificateClaim {
                name: claim.into(),
                value,
                is_regex: false,
            });
        }
    }
    Ok(AuthoritySpec::Keyless {
        label: label.unwrap_or_else(|| format!("keyless {identity}")),
        authority: KeylessAuthority {
            identity,
            identity_is_regex,
            issuer,
            issuer_is_regex,
            trusted_root,
        },
        extra,
    })
}

/// `tlog` and `attestations` of an authority.
fn extra(a: &Value, at: &str) -> Result<Extra, String> {
    let tlog = match string(a, "tlog", at)?.as_deref() {
        None => String::new(),
        Some(t @ ("required" | "optional" | "ignore")) => t.to_string(),
        Some(other) => {
            return Err(format!(
                "{at}: `tlog` must be \"required\", \"optional\" or \"ignore\", not \"{other}\""
            ));
        }
    };
    let mut attestations = Vec::new();
    if let Some(list) = a.get("attestations") {
        let list = list
            .as_array()
            .filter(|l| !l.is_empty())
            .ok_or(format!("{at}: `attestations` must be a non-empty list"))?;
        for (i, r) in list.iter().enumerate() {
            let at = format!("{at}, attestation #{}", i + 1);
            let obj = r.as_object().ok_or(format!("{at} must be a table"))?;
            known(obj, &["predicate-type", "slsa", "fields"], &at)?;
            let kind = string(r, "predicate-type", &at)?
                .ok_or(format!("{at}: `predicate-type` is required"))?;
            let slsa = match r.get("slsa") {
                None => None,
                Some(Value::Object(m)) => {
                    known(
                        m,
                        &[
                            "source-uri",
                            "source-branch",
                            "source-tag",
                            "source-versioned-tag",
                            "builder-id",
                        ],
                        &at,
                    )?;
                    let sv = Value::Object(m.clone());
                    Some(SlsaPolicy {
                        source_uri: string(&sv, "source-uri", &at)?
                            .ok_or(format!("{at}: `slsa` needs `source-uri`"))?,
                        source_branch: string(&sv, "source-branch", &at)?,
                        source_tag: string(&sv, "source-tag", &at)?,
                        source_versioned_tag: string(&sv, "source-versioned-tag", &at)?,
                        builder_id: string(&sv, "builder-id", &at)?,
                    })
                }
                Some(_) => return Err(format!("{at}: `slsa` must be a table")),
            };
            let fields = match r.get("fields") {
                None => Vec::new(),
                Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                Some(_) => return Err(format!("{at}: `fields` must be a table")),
            };
            attestations.push(Required {
                predicate_type: predicate_type(&kind),
                slsa,
                fields,
            });
        }
    }
    Ok(Extra {
        options: VerifyOptions {
            tlog,
            ..Default::default()
        },
        attestations,
    })
}

/// `registry/repository` of a reference, Docker Hub normalised, tag and
/// digest removed: what policy globs match against.
pub fn canonical(reference: &str) -> String {
    let (name, _, _) = plimsoll_analysis::images::split(reference);
    plimsoll_analysis::images::normalize(name)
}

/// Glob match: `*` any run of characters within one path segment, `**` any
/// run including `/`, `?` one character; everything else literal.
pub fn glob_match(glob: &str, text: &str) -> bool {
    fn go(g: &[u8], t: &[u8]) -> bool {
        match g.first() {
            None => t.is_empty(),
            Some(b'*') if g.get(1) == Some(&b'*') => {
                let rest = &g[2..];
                (0..=t.len()).any(|i| go(rest, &t[i..]))
            }
            Some(b'*') => {
                let rest = &g[1..];
                let seg = t.iter().position(|&c| c == b'/').unwrap_or(t.len());
                (0..=seg).any(|i| go(rest, &t[i..]))
            }
            Some(b'?') => !t.is_empty() && t[0] != b'/' && go(&g[1..], &t[1..]),
            Some(&c) => t.first() == Some(&c) && go(&g[1..], &t[1..]),
        }
    }
    go(glob.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "registry.example.com/team/**",
            "registry.example.com/team/a/b"
        ));
        assert!(!glob_match(
            "registry.example.com/team/*",
            "registry.example.com/team/a/b"
        ));
        assert!(glob_match(
            "registry.example.com/team/*",
            "registry.example.com/team/a"
        ));
        assert!(glob_match(
            "docker.io/library/*",
            "docker.io/library/alpine"
        ));
        assert!(glob_match("**", "anything/at/all"));
        assert!(!glob_match("ghcr.io/org/app", "ghcr.io/org/app2"));
        assert!(glob_match(
            "127.0.0.1:5000/library/signed?*",
            "127.0.0.1:5000/library/signed-x"
        ));
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical("alpine:3.19"), "docker.io/library/alpine");
        assert_eq!(
            canonical("bitnami/redis@sha256:ab"),
            "docker.io/bitnami/redis"
        );
        assert_eq!(
            canonical("127.0.0.1:5000/library/signed:1.0"),
            "127.0.0.1:5000/library/signed"
        );
        assert_eq!(canonical("localhost/x"), "localhost/x");
    }

    #[test]
    fn settings_errors_name_the_policy_and_field() {
        let bad = |v: Value| Settings::from_json(&v).unwrap_err();
        let e = bad(
            serde_json::json!({"policies": [{"name": "ours", "images": ["x"], "authorities": []}]}),
        );
        assert!(
            e.contains("policy `ours`") && e.contains("authority"),
            "{e}"
        );
        let e = bad(
            serde_json::json!({"policies": [{"name": "ours", "images": ["x"], "mode": "audit", "authorities": [{"static": "pass"}]}]}),
        );
        assert!(e.contains("`mode`"), "{e}");
        let e = bad(
            serde_json::json!({"policies": [{"name": "ours", "images": ["x"], "authorities": [{"key": "k", "static": "pass"}]}]}),
        );
        assert!(e.contains("exactly one"), "{e}");
        let e = bad(serde_json::json!({"polices": []}));
        assert!(e.contains("unknown key `polices`"), "{e}");
        let ok = Settings::from_json(&serde_json::json!({"check-base-images": true, "policies": [
            {"name": "ours", "images": ["a/**"], "mode": "warn", "annotations": {"team": "x"}, "authorities": [
                {"key": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"},
                {"keyless": {"identity-regex": "^https://github.com/org/", "issuer": "https://token.actions.githubusercontent.com", "trusted-root": "{}"}}
            ]}]})).unwrap();
        assert_eq!(ok.policies[0].mode, Mode::Warn);
        assert_eq!(ok.policies[0].authorities.len(), 2);
    }

    /// The hand-written schema and the parser agree: settings the parser
    /// takes the schema accepts, and the schema refuses unknown keys, wrong
    /// types and missing required keys before the plugin is asked.
    #[test]
    fn schema_and_parser_agree() {
        use serde_json::json;
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let keyless = json!({"keyless": {"identity": "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main", "issuer": "https://token.actions.githubusercontent.com", "trusted-root": "trusted_root.json"}});
        for v in [
            json!({}),
            json!({"check-base-images": true, "check-manifest-images": false}),
            json!({"policies": [{"name": "ours", "images": ["ghcr.io/org/**"], "authorities": [keyless]}]}),
            json!({"policies": [{"name": "warned", "images": ["**"], "mode": "warn", "report-verified": true,
                "authorities": [{"static": "pass"}]}]}),
        ] {
            assert!(
                Settings::from_json(&v).is_ok(),
                "{v}: {:?}",
                Settings::from_json(&v).err()
            );
            assert!(validator.is_valid(&v), "the schema refuses {v}");
        }
        for v in [
            json!({"nope": 1}),
            json!({"check-base-images": "yes"}),
            json!({"policies": [{"images": ["**"], "authorities": [keyless]}]}),
            json!({"policies": [{"name": "x", "images": ["**"], "mode": "sometimes", "authorities": [keyless]}]}),
            json!({"policies": [{"name": "x", "images": ["**"], "authorities": [{"tlog": "maybe"}]}]}),
        ] {
            assert!(!validator.is_valid(&v), "the schema accepts {v}");
        }
    }
}

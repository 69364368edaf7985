//! `[sign-verify]` settings, as the host hands them over: key files and
//! trusted roots already read (plugins cannot open files), everything else as
//! written in plimsoll.toml.

use std::collections::BTreeMap;

use plimsoll_analysis::attestations::SlsaPolicy;
use plimsoll_plugin_sdk::schemars::{self, JsonSchema};
use plimsoll_plugin_sdk::signatures::{CertificateClaim, KeylessAuthority, VerifyOptions};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The JSON Schema of `[sign-verify]`, derived from [`Raw`] (field docs
/// are the descriptions).
pub fn schema() -> String {
    plimsoll_plugin_sdk::settings_schema::<Raw>(
        "sign-verify settings ([sign-verify] in plimsoll.toml)",
    )
}

// `[sign-verify]` as plimsoll.toml spells it (after the host has read key
// and trusted-root files). Its types are the schema; `Settings::from_json`
// checks what types cannot say (exactly one kind of authority, identity or
// its regex, a PEM key) and builds the policies the plugin applies.
/// `[sign-verify]` in plimsoll.toml: which images are held to signature
/// policies, and the policies.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    /// Hold every base image (FROM, after ARG substitution) of checked Dockerfiles to the policies.
    #[serde(default)]
    check_base_images: bool,
    /// Hold every image named in checked compose files, Kubernetes manifests, GitHub workflows, GitLab CI files and devcontainer.json to the policies.
    #[serde(default)]
    check_manifest_images: bool,
    /// Signature policies, as sigstore policy-controller's ClusterImagePolicy: image globs to authorities; every matching policy must pass (docs: Policies / Signatures).
    #[serde(default)]
    policies: Vec<RawPolicy>,
}

/// One `[[sign-verify.policies]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "policy")]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    /// Names the policy in findings.
    name: String,
    /// Globs over image names (registry/repository); `*` stays within a path segment, `**` crosses `/`.
    images: Vec<String>,
    /// enforce: a failure is an error; warn: a note (reported, does not fail the default gate).
    #[serde(default)]
    mode: Mode,
    /// Also report each image that satisfies the policy (PL7002, a note) with who signed it and the transparency-log entry, as cosign verify prints.
    #[serde(default)]
    report_verified: bool,
    /// Key-based signatures must name this image's repository in their payload's docker-reference (cosign verify does not check it; mirrors and re-tagged copies fail it).
    #[serde(default)]
    check_reference: bool,
    /// Annotations a verified signature must carry (cosign sign -a k=v).
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    /// Who must have signed: each authority is `key`, `keyless` or `static`; one that verifies satisfies the policy.
    authorities: Vec<RawAuthority>,
}

/// One authority of a policy.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "authority")]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAuthority {
    /// Names the authority in findings.
    name: Option<String>,
    /// A PEM public key file (relative to plimsoll.toml) or inline PEM.
    key: Option<String>,
    /// With `key`: a Sigstore trusted_root.json whose Rekor keys check the signatures' transparency-log bundles.
    trusted_root: Option<String>,
    /// Keyless (Fulcio certificate) signatures: who and which issuer.
    keyless: Option<RawKeyless>,
    /// The transparency-log bundle of cosign v2 signatures: required (keyless default), optional (key default: checked when present and a trusted root is given), ignore (cosign --insecure-ignore-tlog).
    tlog: Option<Tlog>,
    /// In-toto attestations (cosign attest) the image must carry, signed by this authority; when given, they are what the authority checks.
    attestations: Option<Vec<RawAttestation>>,
    /// An authority that always passes or always fails.
    #[serde(rename = "static")]
    fixed: Option<Static>,
}

/// The keyless identity an authority requires.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "keyless")]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawKeyless {
    /// The certificate's identity (SAN), exactly.
    identity: Option<String>,
    /// The certificate's identity (SAN), as a regular expression.
    identity_regex: Option<String>,
    /// The OIDC issuer, exactly.
    issuer: Option<String>,
    /// The OIDC issuer, as a regular expression.
    issuer_regex: Option<String>,
    /// A Sigstore trusted_root.json (relative to plimsoll.toml).
    trusted_root: Option<String>,
    /// The certificate's GitHub workflow trigger claim.
    github_workflow_trigger: Option<String>,
    /// The certificate's GitHub workflow commit claim.
    github_workflow_sha: Option<String>,
    /// The certificate's GitHub workflow name claim.
    github_workflow_name: Option<String>,
    /// The certificate's GitHub workflow repository claim.
    github_workflow_repository: Option<String>,
    /// The certificate's GitHub workflow ref claim.
    github_workflow_ref: Option<String>,
}

/// An attestation an authority requires.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "attestation")]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAttestation {
    /// A predicate type URI, or cosign's short names: slsaprovenance, slsaprovenance02, slsaprovenance1, spdxjson, cyclonedx, vuln.
    predicate_type: String,
    /// SLSA provenance, checked as slsa-verifier's verify-image does.
    slsa: Option<RawSlsa>,
    /// Statement fields (dot paths, e.g. predicate.buildType) and the JSON values they must equal.
    fields: Option<Map<String, Value>>,
}

/// slsa-verifier's `verify-image` flags.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "slsa")]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSlsa {
    /// The source repository (`github.com/owner/repo`).
    source_uri: String,
    /// Built from this branch.
    source_branch: Option<String>,
    /// Built from this tag.
    source_tag: Option<String>,
    /// Built from a tag of this major (`v1`) or minor (`v1.2`) version.
    source_versioned_tag: Option<String>,
    /// The builder id.
    builder_id: Option<String>,
}

/// How a transparency-log bundle is required.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Tlog {
    Required,
    Optional,
    Ignore,
}

/// A static authority's answer.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Static {
    Pass,
    Fail,
}

/// enforce: a failure is an error; warn: a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
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

impl Settings {
    pub fn from_json(v: &Value) -> Result<Settings, String> {
        let raw: Raw = serde_path_to_error::deserialize(v).map_err(|e| {
            let at = e.path().to_string();
            let at = if at == "." {
                String::new()
            } else {
                format!(" `{at}`")
            };
            format!("[sign-verify]{at}: {}", e.into_inner())
        })?;
        Ok(Settings {
            check_base_images: raw.check_base_images,
            check_manifest_images: raw.check_manifest_images,
            policies: raw
                .policies
                .into_iter()
                .map(policy)
                .collect::<Result<_, _>>()?,
        })
    }
}

fn policy(p: RawPolicy) -> Result<Policy, String> {
    let at = format!("policy `{}`", p.name);
    if p.authorities.is_empty() {
        return Err(format!("{at}: at least one authority is required"));
    }
    let authorities = p
        .authorities
        .into_iter()
        .enumerate()
        .map(|(j, a)| authority(a, &format!("{at}, authority #{}", j + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Policy {
        name: p.name,
        images: p.images,
        mode: p.mode,
        annotations: p.annotations.into_iter().collect(),
        authorities,
        check_reference: p.check_reference,
        report_verified: p.report_verified,
    })
}

fn authority(a: RawAuthority, at: &str) -> Result<AuthoritySpec, String> {
    let kinds = [a.key.is_some(), a.keyless.is_some(), a.fixed.is_some()]
        .iter()
        .filter(|k| **k)
        .count();
    if kinds != 1 {
        return Err(format!(
            "{at}: give exactly one of `key`, `keyless` or `static`"
        ));
    }
    if let Some(fixed) = a.fixed {
        if a.tlog.is_some() || a.trusted_root.is_some() || a.attestations.is_some() {
            return Err(format!(
                "{at}: a static authority takes no `tlog`, `trusted-root` or `attestations`"
            ));
        }
        return Ok(AuthoritySpec::Static {
            pass: matches!(fixed, Static::Pass),
        });
    }
    let mut extra = extra(a.tlog, a.attestations, at)?;
    if let Some(pem) = a.key {
        if !pem.contains("-----BEGIN") {
            return Err(format!("{at}: `key` is not a PEM public key"));
        }
        extra.options.trusted_root = a.trusted_root;
        return Ok(AuthoritySpec::Key {
            label: a.name.unwrap_or_else(|| "key".into()),
            pem,
            extra,
        });
    }
    let Some(k) = a.keyless else {
        unreachable!("exactly one kind of authority was given");
    };
    if a.trusted_root.is_some() {
        return Err(format!(
            "{at}: a keyless authority's trusted root goes inside `keyless`"
        ));
    }
    let pick =
        |exact: Option<String>, regex: Option<String>, names: (&str, &str)| match (exact, regex) {
            (Some(e), None) => Ok((e, false)),
            (None, Some(r)) => Ok((r, true)),
            _ => Err(format!(
                "{at}: keyless needs exactly one of `{}` or `{}`",
                names.0, names.1
            )),
        };
    let (identity, identity_is_regex) =
        pick(k.identity, k.identity_regex, ("identity", "identity-regex"))?;
    let (issuer, issuer_is_regex) = pick(k.issuer, k.issuer_regex, ("issuer", "issuer-regex"))?;
    let trusted_root = k.trusted_root.ok_or(format!(
        "{at}: keyless needs `trusted-root` (a Sigstore trusted_root.json)"
    ))?;
    for (claim, value) in [
        ("github-workflow-trigger", k.github_workflow_trigger),
        ("github-workflow-sha", k.github_workflow_sha),
        ("github-workflow-name", k.github_workflow_name),
        ("github-workflow-repository", k.github_workflow_repository),
        ("github-workflow-ref", k.github_workflow_ref),
    ] {
        if let Some(value) = value {
            extra.options.claims.push(CertificateClaim {
                name: claim.into(),
                value,
                is_regex: false,
            });
        }
    }
    Ok(AuthoritySpec::Keyless {
        label: a.name.unwrap_or_else(|| format!("keyless {identity}")),
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
fn extra(
    tlog: Option<Tlog>,
    attestations: Option<Vec<RawAttestation>>,
    at: &str,
) -> Result<Extra, String> {
    let tlog = match tlog {
        None => "",
        Some(Tlog::Required) => "required",
        Some(Tlog::Optional) => "optional",
        Some(Tlog::Ignore) => "ignore",
    };
    let attestations = match attestations {
        None => Vec::new(),
        Some(list) if list.is_empty() => {
            return Err(format!("{at}: `attestations` must be a non-empty list"));
        }
        Some(list) => list
            .into_iter()
            .map(|r| Required {
                predicate_type: predicate_type(&r.predicate_type),
                slsa: r.slsa.map(|s| SlsaPolicy {
                    source_uri: s.source_uri,
                    source_branch: s.source_branch,
                    source_tag: s.source_tag,
                    source_versioned_tag: s.source_versioned_tag,
                    builder_id: s.builder_id,
                }),
                fields: r.fields.unwrap_or_default().into_iter().collect(),
            })
            .collect(),
    };
    Ok(Extra {
        options: VerifyOptions {
            tlog: tlog.to_string(),
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
        assert!(e.contains("`policies[0].mode`"), "{e}");
        let e = bad(
            serde_json::json!({"policies": [{"name": "ours", "images": ["x"], "authorities": [{"key": "k", "static": "pass"}]}]}),
        );
        assert!(e.contains("exactly one"), "{e}");
        let e = bad(serde_json::json!({"polices": []}));
        assert!(e.contains("unknown field `polices`"), "{e}");
        let ok = Settings::from_json(&serde_json::json!({"check-base-images": true, "policies": [
            {"name": "ours", "images": ["a/**"], "mode": "warn", "annotations": {"team": "x"}, "authorities": [
                {"key": "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n"},
                {"keyless": {"identity-regex": "^https://github.com/org/", "issuer": "https://token.actions.githubusercontent.com", "trusted-root": "{}"}}
            ]}]})).unwrap();
        assert_eq!(ok.policies[0].mode, Mode::Warn);
        assert_eq!(ok.policies[0].authorities.len(), 2);
    }

    /// The derived schema and the parser agree: settings the parser takes
    /// the schema accepts, and the schema refuses unknown keys, wrong types
    /// and missing required keys before the plugin is asked; so does the
    /// parser.
    #[test]
    fn schema_and_parser_agree() {
        use serde_json::json;
        let schema: Value = serde_json::from_str(&schema()).unwrap();
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
            assert!(Settings::from_json(&v).is_err(), "the parser takes {v}");
        }
    }
}

//! Policies on in-toto attestations the host verified
//! ([`plimsoll_plugin_sdk::signatures::verify_attestations`]: signature, transparency log,
//! signer, subject): SLSA provenance as slsa-verifier's `verify-image` checks
//! it (`--source-uri`, `--source-branch`, `--source-tag`,
//! `--source-versioned-tag`, `--builder-id`), and a generic form for any
//! predicate (field equalities). Pure functions over the statement, so a
//! team's own plugin can apply them too.

use serde_json::Value;

/// Why an attestation does not satisfy a policy: a failure kind as the
/// `signatures` interface names them (`builder-mismatch`,
/// `source-mismatch`, `branch-mismatch`, `tag-mismatch`,
/// `predicate-mismatch`) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.kind)
    }
}

/// What is checked: the predicate type, the in-toto statement, and who
/// signed it (`keyless` signers' certificate identity is the builder).
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    pub predicate_type: &'a str,
    pub statement: &'a Value,
    /// `key` or `keyless`.
    pub method: &'a str,
    pub identity: Option<&'a str>,
}

/// SLSA provenance predicate types understood.
pub const PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// The builders trusted when no `builder_id` is given: the SLSA GitHub
/// generator's reusable workflows, at a release tag.
const TRUSTED_BUILDERS: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";

/// What the provenance must say.
#[derive(Debug, Clone, Default)]
pub struct SlsaPolicy {
    /// The source repository, `github.com/owner/repo` (a scheme and `git+`
    /// are ignored).
    pub source_uri: String,
    /// Built from this branch.
    pub source_branch: Option<String>,
    /// Built from this tag.
    pub source_tag: Option<String>,
    /// Built from a tag of this major (`v1`) or minor (`v1.2`) version.
    pub source_versioned_tag: Option<String>,
    /// The builder: a full id (`…/workflow.yml@refs/tags/v1.5.0`) or one
    /// without `@ref` (any ref of that workflow).
    pub builder_id: Option<String>,
}

/// What a provenance that passed says, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub builder_id: String,
    pub source: String,
    pub git_ref: Option<String>,
}

fn fail(kind: &'static str, message: String) -> Failure {
    Failure { kind, message }
}

/// `git+https://github.com/o/r@refs/heads/main` -> (`github.com/o/r`, ref).
fn split_source(uri: &str) -> (String, Option<String>) {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .unwrap_or(uri);
    match uri.split_once('@') {
        Some((repo, r)) => (
            repo.trim_end_matches(".git").to_string(),
            Some(r.to_string()),
        ),
        None => (uri.trim_end_matches(".git").to_string(), None),
    }
}

/// Checks a verified attestation as SLSA provenance of `policy`'s source,
/// built by a trusted builder.
pub fn check_provenance(att: &Statement<'_>, policy: &SlsaPolicy) -> Result<Provenance, Failure> {
    let p = &att.statement["predicate"];
    let (builder_id, source_uri, env_ref) = match att.predicate_type {
        PROVENANCE_V02 => (
            p["builder"]["id"].as_str(),
            p["invocation"]["configSource"]["uri"].as_str(),
            p["invocation"]["environment"]["github_ref"].as_str(),
        ),
        PROVENANCE_V1 => {
            let dep = p["buildDefinition"]["resolvedDependencies"]
                .as_array()
                .and_then(|d| d.first());
            (
                p["runDetails"]["builder"]["id"].as_str(),
                dep.and_then(|d| d["uri"].as_str()),
                p["buildDefinition"]["internalParameters"]["github"]["ref"].as_str(),
            )
        }
        other => {
            return Err(fail(
                "predicate-mismatch",
                format!(
                    "the attestation's predicate is `{other}`, not SLSA provenance ({PROVENANCE_V02} or {PROVENANCE_V1})"
                ),
            ));
        }
    };
    let builder_id = builder_id.unwrap_or("").to_string();

    // The builder: the provenance's claim must be the signer's identity
    // (the workflow Fulcio certified), and a trusted or the required one.
    if let Some(identity) = att.identity
        && att.method == "keyless"
        && identity != builder_id
    {
        return Err(fail(
            "builder-mismatch",
            format!("the provenance names builder `{builder_id}` but was signed by `{identity}`"),
        ));
    }
    let builder_ok = match &policy.builder_id {
        Some(want) if want.contains('@') => &builder_id == want,
        Some(want) => builder_id.split('@').next() == Some(want.as_str()),
        None => {
            builder_id.starts_with(TRUSTED_BUILDERS)
                && builder_id
                    .split_once('@')
                    .is_some_and(|(_, r)| r.starts_with("refs/tags/v"))
        }
    };
    if !builder_ok {
        return Err(fail(
            "builder-mismatch",
            match &policy.builder_id {
                Some(want) => format!("built by `{builder_id}`, not the required builder `{want}`"),
                None => format!(
                    "built by `{builder_id}`, which is not a trusted builder (the SLSA GitHub generator's workflows at a release tag; name another with builder-id)"
                ),
            },
        ));
    }

    let (source, uri_ref) = split_source(source_uri.unwrap_or(""));
    let (want_source, _) = split_source(&policy.source_uri);
    if source != want_source {
        return Err(fail(
            "source-mismatch",
            format!("built from `{source}`, not `{want_source}`"),
        ));
    }
    let git_ref = uri_ref.or(env_ref.map(str::to_string));
    let branch = git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"));
    let tag = git_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/tags/"));
    let shown = git_ref.as_deref().unwrap_or("no ref");
    if let Some(want) = &policy.source_branch
        && branch != Some(want.as_str())
    {
        return Err(fail(
            "branch-mismatch",
            format!("built from `{shown}`, not branch `{want}`"),
        ));
    }
    if let Some(want) = &policy.source_tag
        && tag != Some(want.as_str())
    {
        return Err(fail(
            "tag-mismatch",
            format!("built from `{shown}`, not tag `{want}`"),
        ));
    }
    if let Some(want) = &policy.source_versioned_tag
        && !tag.is_some_and(|t| versioned_match(t, want))
    {
        return Err(fail(
            "tag-mismatch",
            format!("built from `{shown}`, not a tag of version `{want}`"),
        ));
    }
    Ok(Provenance {
        builder_id,
        source,
        git_ref,
    })
}

/// `v1.2.3` is of version `v1` and `v1.2`, not `v1.3` or `v12`.
fn versioned_match(tag: &str, want: &str) -> bool {
    let parts = |s: &str| -> Vec<String> {
        s.trim_start_matches('v')
            .split(['.', '-', '+'])
            .map(str::to_string)
            .collect()
    };
    let (t, w) = (parts(tag), parts(want));
    !w.is_empty() && w.len() <= t.len() && w.iter().zip(&t).all(|(a, b)| a == b)
}

/// The generic policy: each `path = value` must hold in the statement
/// (`predicate.builder.id`, `subject.0.name`: dot-separated keys and array
/// indexes), compared as JSON values.
pub fn check_fields(att: &Statement<'_>, fields: &[(String, Value)]) -> Result<(), Failure> {
    for (path, want) in fields {
        let mut at: &Value = att.statement;
        for key in path.split('.') {
            at = match key.parse::<usize>() {
                Ok(i) if at.is_array() => &at[i],
                _ => &at[key],
            };
        }
        if at != want {
            return Err(fail(
                "predicate-mismatch",
                format!(
                    "`{path}` is {}, not {want}",
                    if at.is_null() {
                        "absent".to_string()
                    } else {
                        at.to_string()
                    }
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_versions() {
        assert_eq!(
            split_source("git+https://github.com/o/r@refs/heads/main"),
            ("github.com/o/r".into(), Some("refs/heads/main".into()))
        );
        assert_eq!(
            split_source("https://github.com/o/r.git").0,
            "github.com/o/r"
        );
        assert!(versioned_match("v1.2.3", "v1"));
        assert!(versioned_match("v1.2.3", "v1.2"));
        assert!(!versioned_match("v1.2.3", "v1.3"));
        assert!(!versioned_match("v12.0.0", "v1"));
    }
}

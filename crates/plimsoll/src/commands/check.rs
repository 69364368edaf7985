//! `plimsoll check`: the command line turned into a [`Plan`] (images,
//! SBOMs, fixes, settings from flags) for the check pipeline.

use crate::check::{Plan, run_plan};
use crate::cli::{CheckArgs, GlobalArgs};
use crate::{ExitCode, UsageError};

pub fn run(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    // `--image sbom:FILE` is Grype's spelling of `--sbom FILE`.
    let mut images = Vec::new();
    let mut sboms = args.sbom.clone();
    for i in &args.image {
        match plimsoll_oci::ImageSource::parse(i) {
            plimsoll_oci::ImageSource::Sbom(file) => sboms.push(file),
            _ => images.push(i.clone()),
        }
    }
    for file in &args.images_from {
        for image in crate::check::manifests::images_from(file)? {
            if !images.contains(&image) {
                images.push(image);
            }
        }
    }
    for image in &images {
        image_reference_usable(image)?;
    }
    for file in &sboms {
        if !file.is_file() {
            return Err(UsageError(format!("`--sbom {}`: no such file", file.display())).into());
        }
    }
    if args.unsafe_fixes && !args.fix && !args.diff {
        return Err(UsageError("--unsafe-fixes goes with --fix or --diff".into()).into());
    }
    if args.fix && (!images.is_empty() || !sboms.is_empty()) && args.paths.is_empty() {
        return Err(UsageError(
            "--fix edits Dockerfiles; nothing is fixed in an image (name Dockerfiles to fix them)"
                .into(),
        )
        .into());
    }
    run_plan(
        global,
        Plan {
            paths: &args.paths,
            images: &images,
            sboms: &sboms,
            platform: args.platform.as_deref(),
            output: &args.output,
            select: args.selection.select.clone(),
            ignore: args.selection.ignore.clone(),
            fix: (args.fix || args.diff).then_some(args.unsafe_fixes),
            exclude: &args.exclude,
            kinds: &args.kinds,
            overrides: overrides(args)?,
            registry_fatal: false,
            only_plugins: None,
            fresh_tags: false,
            default_fail_on: None,
            stdin_filename: args.stdin_filename.as_deref(),
            diff: args.diff,
        },
    )
}

/// The command line's settings for the built-ins: `[scan]` flags, and a
/// signature policy from the `cosign verify`-style flags.
fn overrides(args: &CheckArgs) -> Result<Option<serde_json::Value>, UsageError> {
    let mut all = serde_json::Map::new();
    if let Some(serde_json::Value::Object(scan)) = scan_overrides(args) {
        all.extend(scan);
    }
    if let Some(policy) = verify_policy(&args.verify)? {
        all.insert(
            "sign-verify".into(),
            serde_json::json!({ "policies": [policy] }),
        );
    }
    Ok((!all.is_empty()).then_some(serde_json::Value::Object(all)))
}

/// `--key`, `--certificate-identity`... as one `[[sign-verify.policies]]`
/// entry for every image of the run, reporting what verified (PL7002).
fn verify_policy(v: &crate::cli::VerifyArgs) -> Result<Option<serde_json::Value>, UsageError> {
    use serde_json::{Value, json};
    let abs = |f: &std::path::Path| {
        std::env::current_dir()
            .map(|d| d.join(f))
            .unwrap_or_else(|_| f.to_path_buf())
            .display()
            .to_string()
    };
    let identity = match (&v.certificate_identity, &v.certificate_identity_regexp) {
        (Some(i), _) => Some(("identity", i)),
        (None, Some(r)) => Some(("identity-regex", r)),
        (None, None) => None,
    };
    let issuer = match (
        &v.certificate_oidc_issuer,
        &v.certificate_oidc_issuer_regexp,
    ) {
        (Some(i), _) => Some(("issuer", i)),
        (None, Some(r)) => Some(("issuer-regex", r)),
        (None, None) => None,
    };
    let claims = [
        (
            "github-workflow-trigger",
            &v.certificate_github_workflow_trigger,
        ),
        ("github-workflow-sha", &v.certificate_github_workflow_sha),
        ("github-workflow-name", &v.certificate_github_workflow_name),
        (
            "github-workflow-repository",
            &v.certificate_github_workflow_repository,
        ),
        ("github-workflow-ref", &v.certificate_github_workflow_ref),
    ];
    let mut authority = serde_json::Map::new();
    match (&v.key, identity, issuer) {
        (Some(key), None, _) => {
            if issuer.is_some() || claims.iter().any(|(_, c)| c.is_some()) {
                return Err(UsageError(
                    "--certificate-* flags are for keyless signatures, not --key".into(),
                ));
            }
            authority.insert("key".into(), abs(key).into());
            if let Some(root) = &v.trusted_root {
                authority.insert("trusted-root".into(), abs(root).into());
            }
        }
        (None, Some((ik, iv)), Some((sk, sv))) => {
            let Some(root) = &v.trusted_root else {
                return Err(UsageError(
                    "keyless verification needs --trusted-root FILE (a Sigstore trusted_root.json; plimsoll does not fetch one)".into(),
                ));
            };
            let mut keyless = serde_json::Map::new();
            keyless.insert(ik.into(), iv.clone().into());
            keyless.insert(sk.into(), sv.clone().into());
            keyless.insert("trusted-root".into(), abs(root).into());
            for (name, value) in claims {
                if let Some(value) = value {
                    keyless.insert(name.into(), value.clone().into());
                }
            }
            authority.insert("keyless".into(), Value::Object(keyless));
        }
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(UsageError(
                "keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]".into(),
            ));
        }
        _ => {
            let given = v.trusted_root.is_some()
                || v.insecure_ignore_tlog
                || v.attestation_type.is_some()
                || v.source_uri.is_some()
                || claims.iter().any(|(_, c)| c.is_some());
            if given {
                return Err(UsageError(
                    "signature flags need --key or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp]".into(),
                ));
            }
            return Ok(None);
        }
    }
    if v.insecure_ignore_tlog {
        authority.insert("tlog".into(), "ignore".into());
    }
    let attestation_type = v
        .attestation_type
        .clone()
        .or_else(|| v.source_uri.as_ref().map(|_| "slsaprovenance".to_string()));
    if let Some(kind) = attestation_type {
        let mut required = json!({ "predicate-type": kind });
        if let Some(uri) = &v.source_uri {
            let mut slsa = json!({ "source-uri": uri });
            for (k, val) in [
                ("source-branch", &v.source_branch),
                ("source-tag", &v.source_tag),
                ("source-versioned-tag", &v.source_versioned_tag),
                ("builder-id", &v.builder_id),
            ] {
                if let Some(val) = val {
                    slsa[k] = val.clone().into();
                }
            }
            required["slsa"] = slsa;
        }
        authority.insert("attestations".into(), json!([required]));
    }
    Ok(Some(json!({
        "name": "command line",
        "images": ["**"],
        "report-verified": true,
        "authorities": [Value::Object(authority)],
    })))
}

/// `--min-cvss`, `--severity`, `--ignore-unfixed`, merged over `[scan]`.
fn scan_overrides(args: &CheckArgs) -> Option<serde_json::Value> {
    let mut scan = serde_json::Map::new();
    if let Some(m) = args.min_cvss {
        scan.insert("min-cvss".into(), m.into());
    }
    if !args.severity.is_empty() {
        let list: Vec<String> = args
            .severity
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
            .collect();
        scan.insert("severity".into(), list.into());
    }
    if args.ignore_unfixed {
        scan.insert("ignore-unfixed".into(), true.into());
    }
    if let Some(f) = &args.ignorefile {
        // Relative to where plimsoll runs, not to plimsoll.toml.
        let abs = std::env::current_dir()
            .map(|d| d.join(f))
            .unwrap_or_else(|_| f.clone());
        scan.insert("ignore-file".into(), abs.display().to_string().into());
    }
    (!scan.is_empty()).then(|| serde_json::json!({ "scan": scan }))
}

/// Refuses what `--image` cannot check (yet) before anything is loaded.
fn image_reference_usable(image: &str) -> Result<(), UsageError> {
    for scheme in [
        "oci-archive:",
        "docker-daemon:",
        "docker://",
        "containers-storage:",
    ] {
        if image.starts_with(scheme) {
            return Err(UsageError(format!(
                "`--image {image}`: `{scheme}` sources are not supported; use a registry reference, `oci:DIR[:TAG]` or `docker-archive:FILE` (`skopeo copy` converts)"
            )));
        }
    }
    if image.trim().is_empty() || image.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UsageError(format!(
            "`--image {image:?}` is not an image reference (expected e.g. `alpine:3.19` or `registry.example.com/team/app@sha256:...`)"
        )));
    }
    match plimsoll_oci::ImageSource::parse(image) {
        plimsoll_oci::ImageSource::Registry(_) => {
            plimsoll_oci::ImageRef::parse(image).map_err(|e| {
                UsageError(format!("`--image {image}` is not an image reference: {e}"))
            })?;
        }
        plimsoll_oci::ImageSource::OciLayout { dir, .. } if !dir.join("index.json").is_file() => {
            return Err(UsageError(format!(
                "`--image {image}`: {} is not an OCI image layout (no index.json)",
                dir.display()
            )));
        }
        plimsoll_oci::ImageSource::DockerArchive(file) if !file.is_file() => {
            return Err(UsageError(format!(
                "`--image {image}`: {} does not exist",
                file.display()
            )));
        }
        _ => {}
    }
    Ok(())
}

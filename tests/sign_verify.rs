//! `[sign-verify]` end to end: the real binary, the built-in sign-verify
//! plugin and the host's verifier against the shared stack's cosign-style
//! signatures (made by a signer that is not this code). Skips, with the
//! reason printed, when `../shared/stack/env` has not been evaluated.

mod support;

use support::{Project, Run};

struct Stack {
    plain: String,
    cosign_pub: String,
    other_pub: String,
}

fn stack() -> Option<Stack> {
    let v = support::stack_var;
    Some(Stack {
        plain: v("REGISTRY")?,
        cosign_pub: std::fs::read_to_string(v("COSIGN_PUB")?).ok()?,
        other_pub: std::fs::read_to_string(v("OTHER_PUB")?).ok()?,
    })
}

fn project(s: &Stack, config: &str) -> Project {
    let p = Project::new();
    p.file("keys/cosign.pub", &s.cosign_pub);
    p.file("keys/other.pub", &s.other_pub);
    p.file("plimsoll.toml", &config.replace("REG", &s.plain));
    p.file(
        "Dockerfile",
        &"FROM REG/library/signed:1.0 AS a\n\
          FROM REG/library/signed-other-key:1.0 AS b\n\
          FROM REG/library/signed-tampered:1.0 AS c\n\
          FROM REG/library/unsigned:1.0\n"
            .replace("REG", &s.plain),
    );
    p
}

const OURS: &str = r#"
[sign-verify]
check-base-images = true

[[sign-verify.policies]]
name = "ours"
images = ["REG/library/**"]
[[sign-verify.policies.authorities]]
key = "keys/cosign.pub"
"#;

fn run(p: &Project, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--select", "PL7001", "--format", "json"];
    args.extend_from_slice(extra);
    p.run(&args)
}

/// (line, level, message) of each PL7001 finding.
fn findings(r: &Run) -> Vec<(u64, String, String)> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["location"]["region"]["start"]["line"].as_u64().unwrap(),
                f["level"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn base_images_are_held_to_the_policy_and_each_failure_says_why() {
    let Some(s) = stack() else { return };
    let p = project(&s, OURS);
    let r = run(&p, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    let lines: Vec<u64> = f.iter().map(|x| x.0).collect();
    assert_eq!(lines, vec![2, 3, 4], "the signed base passes: {f:?}");
    assert!(f.iter().all(|x| x.1 == "error"));
    assert!(
        f[0].2.contains("does not verify with key") && f[0].2.contains("bad-signature"),
        "{}",
        f[0].2
    );
    assert!(
        f[1].2.contains("names another image") && f[1].2.contains("digest-mismatch"),
        "{}",
        f[1].2
    );
    assert!(
        f[2].2.contains("has no cosign signature") && f[2].2.contains("unsigned"),
        "{}",
        f[2].2
    );
    assert!(f[0].2.contains("policy `ours`"));
}

#[test]
fn warn_mode_reports_without_failing_the_default_gate() {
    let Some(s) = stack() else { return };
    let p = project(
        &s,
        &OURS.replace("name = \"ours\"", "name = \"ours\"\nmode = \"warn\""),
    );
    let r = run(&p, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|x| x.1 == "note"), "{f:?}");
    // `--fail-on note` makes them count.
    assert_eq!(run(&p, &["--fail-on", "note"]).code, 1);
}

#[test]
fn every_matching_policy_must_pass() {
    let Some(s) = stack() else { return };
    let config = format!(
        "{OURS}\n\
         [[sign-verify.policies]]\n\
         name = \"other\"\n\
         images = [\"REG/library/signed\", \"REG/library/signed-other-key\"]\n\
         [[sign-verify.policies.authorities]]\n\
         key = \"keys/other.pub\"\n\
         [[sign-verify.policies]]\n\
         name = \"legacy\"\n\
         images = [\"REG/library/unsigned\"]\n\
         [[sign-verify.policies.authorities]]\n\
         static = \"pass\"\n"
    );
    let p = project(&s, &config);
    let r = run(&p, &[]);
    let f = findings(&r);
    // signed:1.0 passes `ours` but not `other`; signed-other-key passes
    // `other` but not `ours`; unsigned passes `legacy` but not `ours`.
    let by: Vec<(u64, bool, bool)> = f
        .iter()
        .map(|x| {
            (
                x.0,
                x.2.contains("policy `ours`"),
                x.2.contains("policy `other`"),
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![
            (1, false, true),
            (2, true, false),
            (3, true, false),
            (4, true, false)
        ],
        "{f:?}"
    );
    // Any one authority of a policy is enough.
    let either = OURS.replace(
        "key = \"keys/cosign.pub\"",
        "key = \"keys/other.pub\"\n[[sign-verify.policies.authorities]]\nkey = \"keys/cosign.pub\"",
    );
    let r = run(&project(&s, &either), &[]);
    let lines: Vec<u64> = findings(&r).iter().map(|x| x.0).collect();
    assert_eq!(lines, vec![3, 4], "signed and signed-other-key both pass");
}

#[test]
fn configuration_problems_are_clear() {
    let Some(s) = stack() else { return };
    // A key file that is not there: the plugin is not loaded, the run says why.
    let p = project(&s, &OURS.replace("keys/cosign.pub", "keys/missing.pub"));
    let r = run(&p, &[]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("keys/missing.pub") || r.stderr.contains("keys/missing.pub"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    // A policy the plugin rejects names the policy and the field.
    let p = project(
        &s,
        &OURS.replace("name = \"ours\"", "name = \"ours\"\nmode = \"audit\""),
    );
    let r = run(&p, &[]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    // The settings schema names the key and the config line it is on.
    assert!(
        all.contains("/policies/0/mode") && all.contains("plimsoll.toml:7"),
        "{all}"
    );
    // Without check-base-images nothing is verified (and nothing is loaded).
    let p = project(
        &s,
        &OURS.replace("check-base-images = true", "check-base-images = false"),
    );
    let r = run(&p, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(findings(&r).is_empty());
}

/// A keyless policy through the whole path: the bundle stored as cosign v3
/// stores it (tests/support/push_bundle.py, with the stack's own client), the
/// trusted root used in place from ../shared/testdata.
#[test]
fn keyless_policies_verify_bundles_stored_in_the_registry() {
    let Some(s) = stack() else { return };
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let root = shared.join("testdata/sigstore/trusted_root.json");
    let bundle = shared.join("testdata/sigstore/cosign-v3-bundle-kubewarden-controller.json");
    if !root.exists() || !bundle.exists() {
        assert!(
            std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "{} is absent",
            root.display()
        );
        eprintln!("skipped: {} is absent", root.display());
        return;
    }
    let digest = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";
    let repo = format!("plimsoll-e2e/keyless-e2e-{}", std::process::id());
    push(
        &s,
        "push_bundle.py",
        &[repo.as_ref(), digest.as_ref(), bundle.as_os_str()],
    );

    let config = |identity: &str| {
        format!(
            "[sign-verify]\ncheck-base-images = true\n\
             [[sign-verify.policies]]\nname = \"release\"\nimages = [\"{}/plimsoll-e2e/**\"]\n\
             [[sign-verify.policies.authorities]]\n\
             keyless = {{ {identity}, issuer = \"https://token.actions.githubusercontent.com\", trusted-root = {:?} }}\n",
            s.plain,
            root.display().to_string()
        )
    };
    let p = Project::new();
    p.file("Dockerfile", &format!("FROM {}/{repo}@{digest}\n", s.plain));
    p.file(
        "plimsoll.toml",
        &config("identity-regex = \"^https://github\\\\.com/kubewarden/kubewarden-controller/\""),
    );
    let r = run(&p, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(findings(&r).is_empty());

    p.file(
        "plimsoll.toml",
        &config("identity = \"https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main\""),
    );
    let r = run(&p, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    assert_eq!(f.len(), 1);
    assert!(
        f[0].2.contains("identity-mismatch") && f[0].2.contains("kubewarden"),
        "{}",
        f[0].2
    );
}

/// (level, message, location kind, target) of each PL7001 finding of an
/// `--image` run.
fn image_findings(r: &Run) -> Vec<(String, String, String, String)> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["level"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
                f["location"]["kind"].as_str().unwrap().to_string(),
                f["location"]["target"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `plimsoll check --image REF`: the image itself is held to the policies,
/// with or without `check-base-images`, one target per image.
#[test]
fn images_named_on_the_command_line_are_held_to_the_policies() {
    let Some(s) = stack() else { return };
    let p = project(&s, &OURS.replace("check-base-images = true", ""));
    let image = |name: &str| format!("{}/library/{name}:1.0", s.plain);
    for (name, code, kind) in [
        ("signed", 0, None),
        ("signed-other-key", 1, Some("(bad-signature)")),
        ("signed-tampered", 1, Some("(digest-mismatch)")),
        ("unsigned", 1, Some("(unsigned)")),
    ] {
        let reference = image(name);
        let r = p.run(&[
            "check", "--image", &reference, "--select", "PL7001", "--format", "json",
        ]);
        assert_eq!(r.code, code, "{name}: {}{}", r.stdout, r.stderr);
        let f = image_findings(&r);
        assert_eq!(
            r.json()["summary"]["targets"],
            serde_json::json!([reference]),
            "{name}"
        );
        match kind {
            None => assert!(f.is_empty(), "{name}: {f:?}"),
            Some(kind) => {
                assert_eq!(f.len(), 1, "{name}: {f:?}");
                let (level, message, location, target) = &f[0];
                assert_eq!(level, "error");
                assert_eq!(location, "target");
                assert_eq!(target, &reference);
                assert!(
                    message.contains(kind) && message.contains("policy `ours`"),
                    "{message}"
                );
            }
        }
    }
    // Several images in one run, alongside the Dockerfile (whose base images
    // are not checked without check-base-images): two failing images.
    let r = p.run(&[
        "check",
        "Dockerfile",
        "--image",
        &image("signed"),
        "--image",
        &image("unsigned"),
        "--image",
        &image("signed-tampered"),
        "--select",
        "PL7001",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let targets: Vec<String> = image_findings(&r).into_iter().map(|f| f.3).collect();
    assert_eq!(targets, vec![image("signed-tampered"), image("unsigned")]);

    // Warn mode: reported as a note, the default gate passes.
    let p = project(
        &s,
        &OURS.replace("name = \"ours\"", "name = \"ours\"\nmode = \"warn\""),
    );
    let r = p.run(&[
        "check",
        "--image",
        &image("unsigned"),
        "--select",
        "PL7001",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let f = image_findings(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "note");
    assert!(f[0].1.contains("warn mode"), "{}", f[0].1);
}

#[test]
fn an_image_that_cannot_be_resolved_is_not_a_pass() {
    let Some(s) = stack() else { return };
    let p = project(&s, OURS);
    let reference = format!("{}/library/no-such-image:1.0", s.plain);
    let r = p.run(&[
        "check", "--image", &reference, "--select", "PL7001", "--format", "json",
    ]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let errors = r.json()["errors"].clone();
    assert_eq!(errors[0]["kind"], "image-unavailable", "{errors}");
    assert_eq!(errors[0]["target"], reference.as_str(), "{errors}");
    // What cannot be checked yet, or is not a reference, is a usage error.
    for bad in ["oci:./layout", "docker-archive:img.tar", "not a reference"] {
        let r = p.run(&["check", "--image", bad]);
        assert_eq!(r.code, 2, "{bad}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(bad), "{bad}: {}", r.stderr);
    }
}

/// A mirror: the same manifest and `.sig` tag copied to another repository.
/// cosign (and our default) accept it; `check-reference = true` refuses it,
/// naming the repository the signature was made for.
#[test]
fn the_docker_reference_check_is_per_policy() {
    let Some(s) = stack() else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = format!("plimsoll-e2e/mirror-{}", std::process::id());
    let out = std::process::Command::new("python3")
        .arg(root.join("../../tests/support/mirror_image.py"))
        .arg(root.join("../../../shared/stack/lib"))
        .arg(&s.plain)
        .arg("library/signed")
        .arg("1.0")
        .arg(&repo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mirror = format!("{}/{repo}:1.0", s.plain);
    let config = OURS.replace("REG/library/**", "REG/**");
    let r = project(&s, &config).run(&[
        "check", "--image", &mirror, "--select", "PL7001", "--format", "json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let strict = config.replace("name = \"ours\"", "name = \"ours\"\ncheck-reference = true");
    let r = project(&s, &strict).run(&[
        "check", "--image", &mirror, "--select", "PL7001", "--format", "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = image_findings(&r);
    assert!(
        f[0].1.contains("(reference-mismatch)") && f[0].1.contains("library/signed"),
        "{f:?}"
    );
}

/// `check-manifest-images = true`: the images a compose file and a
/// Kubernetes manifest name are held to the same policies, each finding at
/// its reference; off by default.
#[test]
fn manifest_images_are_held_to_the_policy() {
    let Some(s) = stack() else { return };
    let config = OURS.replace("check-base-images = true", "check-manifest-images = true");
    let p = project(&s, &config);
    p.file(
        "compose.yaml",
        &"services:\n  ok:\n    image: REG/library/signed:1.0\n  bad:\n    image: REG/library/unsigned:1.0\n"
            .replace("REG", &s.plain),
    );
    p.file(
        "deploy.yaml",
        &"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: REG/library/signed-other-key:1.0\n    - name: b\n      image: REG/library/signed:1.0\n"
            .replace("REG", &s.plain),
    );
    let r = run(&p, &["compose.yaml", "deploy.yaml", "Dockerfile"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let at: Vec<(String, u64)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("does not satisfy signature policy `ours`"),
                "{f}"
            );
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["region"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The Dockerfile's bases are not checked: `check-base-images` is off.
    assert_eq!(
        at,
        [
            ("compose.yaml".to_string(), 5),
            ("deploy.yaml".to_string(), 8)
        ],
        "{}",
        r.stdout
    );

    // Off by default: nothing is verified.
    let p = project(&s, &OURS.replace("check-base-images = true", ""));
    p.file(
        "compose.yaml",
        &"services:\n  bad:\n    image: REG/library/unsigned:1.0\n".replace("REG", &s.plain),
    );
    let r = run(&p, &["compose.yaml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// The shared Sigstore v2 fixtures (real, not ours) and the script that
/// pushes them; `None` (skipped) when ../shared lacks them.
fn v2_fixtures() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/sigstore-v2");
    if dir.join("SOURCES.md").exists() {
        return Some(dir);
    }
    support::skip(&format!("{} is absent", dir.display()));
    None
}

/// Runs tests/support/`script` with the stack's client; its stdout.
fn push(s: &Stack, script: &str, args: &[&std::ffi::OsStr]) -> String {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("python3")
        .arg(here.join("tests/support").join(script))
        .arg(here.join("../shared/stack/lib"))
        .arg(&s.plain)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A cosign v2 keyless `.sig` signature (containers/image's) and SLSA
/// provenance attestations (slsa-verifier's), stored in the registry as
/// cosign stores them, held to `[sign-verify]` policies: the signature's
/// identity, the provenance's builder, source and branch, each failure named.
#[test]
fn cosign_v2_signatures_and_slsa_provenance_end_to_end() {
    let Some(s) = stack() else { return };
    let Some(v2) = v2_fixtures() else { return };
    let pid = std::process::id();
    let sig_repo = format!("plimsoll-e2e/v2-sig-{pid}");
    let sig_digest = "sha256:0489474da8ea22426ece86ace6c1c0026ab2fd3cdfbbd62b7e94650266c37d9a";
    let sig_file = v2.join("containers-image/dir-img-cosign-fulcio-rekor-valid/signature-1");
    push(
        &s,
        "push_sig.py",
        &[sig_repo.as_ref(), sig_digest.as_ref(), sig_file.as_os_str()],
    );
    let att_repo = format!("plimsoll-e2e/v2-att-{pid}");
    let layout = v2.join("slsa-verifier/gha_generic_container-v1.5.0/container_workflow_dispatch");
    let att_digest = push(&s, "push_att.py", &[att_repo.as_ref(), layout.as_os_str()]);
    let root = v2.join("sigstore-root-signing/trusted_root.json");

    let config = |email: &str, branch: &str| {
        format!(
            r#"[sign-verify]
check-base-images = true

[[sign-verify.policies]]
name = "people"
images = ["{reg}/{sig_repo}"]
report-verified = true
[[sign-verify.policies.authorities]]
keyless = {{ identity = "{email}", issuer = "https://github.com/login/oauth", trusted-root = {root:?} }}

[[sign-verify.policies]]
name = "provenance"
images = ["{reg}/{att_repo}"]
[[sign-verify.policies.authorities]]
keyless = {{ identity-regex = "^https://github\\.com/slsa-framework/slsa-github-generator/", issuer = "https://token.actions.githubusercontent.com", trusted-root = {root:?}, github-workflow-repository = "slsa-framework/example-package" }}
attestations = [{{ predicate-type = "slsaprovenance", slsa = {{ source-uri = "github.com/slsa-framework/example-package", source-branch = "{branch}" }} }}]
"#,
            reg = s.plain,
            root = root.display().to_string(),
        )
    };
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!(
            "FROM {reg}/{sig_repo}@{sig_digest} AS signed\nFROM {reg}/{att_repo}@{att_digest}\n",
            reg = s.plain
        ),
    );
    p.file("plimsoll.toml", &config("mitr@redhat.com", "main"));
    let r = p.run(&["check", "--select", "PL7", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    // The policy that asked for it says what verified, as cosign does.
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].0, f[0].1.as_str()), (1, "note"));
    assert!(
        f[0].2.contains("signed by `mitr@redhat.com` (issuer `https://github.com/login/oauth`), transparency-log entry 11605770 at 2023-01-20T20:51:33Z"),
        "{}",
        f[0].2
    );

    p.file("plimsoll.toml", &config("someone@example.com", "master"));
    let r = p.run(&["check", "--select", "PL7001", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f[0].0 == 1 && f[0].2.contains("identity-mismatch") && f[0].2.contains("mitr@redhat.com"),
        "{}",
        f[0].2
    );
    assert!(
        f[1].0 == 2 && f[1].2.contains("branch-mismatch") && f[1].2.contains("refs/heads/main"),
        "{}",
        f[1].2
    );
}

/// `cosign verify`-style flags: a policy for the run's images without a
/// config file; what verified is reported (PL7002, a note), a failure is
/// PL7001, and flags that do not make an authority are usage errors.
#[test]
fn cosign_verify_flags_on_the_command_line() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    p.file("keys/cosign.pub", &s.cosign_pub);
    p.file("keys/other.pub", &s.other_pub);
    let signed = format!("{}/library/signed:1.0", s.plain);
    let r = p.run(&[
        "check",
        "--image",
        &signed,
        "--key",
        "keys/cosign.pub",
        "--select",
        "PL7",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let f = image_findings(&r);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "note");
    assert!(
        f[0].1.contains("satisfies signature policy `command line`")
            && f[0].1.contains("signed by key sha256:"),
        "{}",
        f[0].1
    );
    let r = p.run(&[
        "check",
        "--image",
        &signed,
        "--key",
        "keys/other.pub",
        "--select",
        "PL7",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = image_findings(&r);
    assert!(
        f.len() == 1 && f[0].0 == "error" && f[0].1.contains("bad-signature"),
        "{f:?}"
    );
    // Keyless flags: the stack's images carry key signatures only.
    let Some(v2) = v2_fixtures() else { return };
    let root = v2.join("sigstore-root-signing/trusted_root.json");
    let root = root.to_str().unwrap();
    let r = p.run(&[
        "check",
        "--image",
        &signed,
        "--certificate-identity",
        "mitr@redhat.com",
        "--certificate-oidc-issuer",
        "https://github.com/login/oauth",
        "--trusted-root",
        root,
        "--select",
        "PL7",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = image_findings(&r);
    assert!(
        f.len() == 1
            && f[0].1.contains("untrusted-certificate")
            && f[0].1.contains("signed with a key"),
        "{f:?}"
    );
    for (args, says) in [
        (
            vec!["--certificate-identity", "x"],
            "needs both --certificate-identity[-regexp] and --certificate-oidc-issuer",
        ),
        (
            vec![
                "--certificate-identity",
                "x",
                "--certificate-oidc-issuer",
                "y",
            ],
            "needs --trusted-root",
        ),
        (
            vec!["--key", "keys/cosign.pub", "--certificate-oidc-issuer", "y"],
            "not --key",
        ),
        (
            vec!["--source-uri", "github.com/o/r"],
            "need --key or --certificate-identity",
        ),
    ] {
        let mut all = vec!["check", "--image", &signed];
        all.extend(args.iter().copied());
        let r = p.run(&all);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
}

/// The stack's real key signatures with Rekor-style bundles made by a test
/// log key (tests/support/rekor_bundle.py: hashedrekord entry, signed entry
/// timestamp by the openssl CLI), in a registry as cosign v2 stores them: a
/// key authority with that log's trusted root and `tlog = "required"`
/// verifies them and says which entry; another log's root, or a signature
/// without a bundle, fails with the reason named.
#[test]
fn key_signatures_with_a_transparency_log_bundle_end_to_end() {
    let Some(s) = stack() else { return };
    let Some(digest) = support::stack_var("SIGNED_DIGEST") else {
        return;
    };
    let p = Project::new();
    p.file("cosign.pub", &s.cosign_pub);
    let dir = p.path();
    let pid = std::process::id();
    let mut roots = Vec::new();
    for name in ["log", "other-log"] {
        let key = dir.join(format!("{name}.pem"));
        let st = std::process::Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(&key)
            .status()
            .unwrap();
        assert!(st.success());
        let root = dir.join(format!("{name}-root.json"));
        push(
            &s,
            "rekor_bundle.py",
            &[
                "library/signed".as_ref(),
                digest.as_ref(),
                format!("plimsoll-e2e/{name}-{pid}").as_ref(),
                dir.join("cosign.pub").as_os_str(),
                key.as_os_str(),
                root.as_os_str(),
            ],
        );
        roots.push(root);
    }
    p.file(
        "Dockerfile",
        &format!(
            "FROM {reg}/plimsoll-e2e/log-{pid}@{digest} AS logged\nFROM {reg}/library/signed@{digest}\n",
            reg = s.plain
        ),
    );
    let config = |root: &str| {
        format!(
            "[sign-verify]\ncheck-base-images = true\n\
             [[sign-verify.policies]]\nname = \"logged\"\nimages = [\"{}/**\"]\nreport-verified = true\n\
             [[sign-verify.policies.authorities]]\nkey = \"cosign.pub\"\ntrusted-root = \"{root}\"\ntlog = \"required\"\n",
            s.plain
        )
    };
    p.file("plimsoll.toml", &config("log-root.json"));
    let r = p.run(&["check", "--select", "PL7", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = findings(&r);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(
        f[0].0 == 1 && f[0].1 == "note" && f[0].2.contains("transparency-log entry 1000 at "),
        "{f:?}"
    );
    assert!(
        f[1].0 == 2 && f[1].1 == "error" && f[1].2.contains("(tlog-missing)"),
        "{f:?}"
    );

    p.file("plimsoll.toml", &config("other-log-root.json"));
    let r = p.run(&["check", "--select", "PL7001", "--format", "json"]);
    let f = findings(&r);
    assert!(
        f[0].0 == 1
            && f[0].2.contains("(tlog-set-invalid)")
            && f[0].2.contains("which the trust root does not list"),
        "{f:?}"
    );
    // Optional: a signature without a bundle passes, one with a bundle
    // from an unknown log still fails.
    p.file(
        "plimsoll.toml",
        &config("other-log-root.json").replace("\"required\"", "\"optional\""),
    );
    let r = p.run(&["check", "--select", "PL7001", "--format", "json"]);
    let f = findings(&r);
    assert!(
        f.len() == 1 && f[0].0 == 1 && f[0].2.contains("(tlog-set-invalid)"),
        "{f:?}"
    );
}

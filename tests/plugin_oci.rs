//! Plugins distributed through an OCI registry, end to end against the
//! shared stack's registry: `plimsoll plugin push`, then `source = "oci://..."`
//! pulled by digest (verified), refused on a digest mismatch, warned about
//! when named by tag, and — with `signature` — refused unless signed by that
//! key (signed by the stack's cosign-style signer, not by this code).
//! Skips, with the reason printed, when the stack is not up.

mod support;

use support::{Project, Run, toml_path};

struct Stack {
    registry: String,
    cosign_key: String,
    cosign_pub: String,
    other_pub: String,
}

fn stack() -> Option<Stack> {
    let v = support::stack_var;
    Some(Stack {
        registry: v("REGISTRY")?,
        cosign_key: v("COSIGN_KEY")?,
        cosign_pub: std::fs::read_to_string(v("COSIGN_PUB")?).ok()?,
        other_pub: std::fs::read_to_string(v("OTHER_PUB")?).ok()?,
    })
}

/// Pushes the test policy plugin to a fresh repository; returns the
/// `oci://...@sha256:` reference printed on stdout.
fn push(p: &Project, s: &Stack, name: &str) -> String {
    let repo = format!("{}/plimsoll-e2e/{name}-{}", s.registry, std::process::id());
    let r = p.run(&[
        "plugin",
        "push",
        plimsoll_test_programs::POLICY,
        &format!("{repo}:1.0"),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let reference = r.stdout.trim().to_string();
    assert!(
        reference.starts_with(&format!("oci://{repo}@sha256:")),
        "{reference}"
    );
    reference
}

fn config(p: &Project, source: &str, extra: &str) {
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"corp\"\nsource = \"{source}\"\n{extra}\nsettings = {{ allowed-registries = [\"registry.corp.example\"] }}\n"
        ),
    );
}

fn check(p: &Project) -> Run {
    p.run(&["check", "--select", "CORP001", "--format", "json"])
}

fn corp_findings(r: &Run) -> usize {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "CORP001")
        .count()
}

fn project() -> Project {
    let p = Project::new();
    p.file("Dockerfile", "FROM docker.io/library/alpine:3.19\n");
    p
}

#[test]
fn pushed_plugins_are_pulled_by_digest_and_run() {
    let Some(s) = stack() else { return };
    let p = project();
    let reference = push(&p, &s, "policy");
    config(&p, &reference, "");
    let r = check(&p);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(corp_findings(&r), 1);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);

    // What was pushed carries its metadata, readable without running it.
    let list = p.run(&["plugin", "list", "--format", "json"]);
    let corp = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "corp")
        .cloned()
        .unwrap();
    assert_eq!(corp["source"], reference.as_str());

    // A tag works, with a warning that names the digest to pin.
    let by_tag = reference.split('@').next().unwrap().to_string() + ":1.0";
    config(&p, &by_tag, "");
    let r = check(&p);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("is a tag") && r.stderr.contains(&reference),
        "{}",
        r.stderr
    );
}

#[test]
fn a_digest_the_registry_does_not_serve_is_refused() {
    let Some(s) = stack() else { return };
    let p = project();
    let reference = push(&p, &s, "policy-mismatch");
    // Same repository, another digest: nothing is loaded, exit 3.
    let wrong = format!(
        "{}@sha256:{}",
        reference.split('@').next().unwrap(),
        "0".repeat(64)
    );
    config(&p, &wrong, "");
    let r = check(&p);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let errors = r.json()["errors"].clone();
    assert_eq!(errors[0]["plugin"], "corp", "{errors}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot pull"),
        "{errors}"
    );
    // The sha256 pin of the component is checked too.
    config(&p, &reference, &format!("sha256 = \"{}\"", "1".repeat(64)));
    let r = check(&p);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["errors"][0]["kind"], "plugin-integrity");
}

#[test]
fn plugins_that_must_be_signed_are_refused_unless_signed() {
    let Some(s) = stack() else { return };
    let p = project();
    p.file("keys/cosign.pub", &s.cosign_pub);
    p.file("keys/other.pub", &s.other_pub);
    let reference = push(&p, &s, "policy-signed");
    let signature = "signature = { key = \"keys/cosign.pub\" }";

    // Unsigned: refused, saying why.
    config(&p, &reference, signature);
    let r = check(&p);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let msg = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("not signed") && msg.contains("(unsigned)"),
        "{msg}"
    );
    assert_eq!(corp_findings(&r), 0);

    // Signed (by the stack's signer, cosign's .sig layout): loads and runs.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/stack");
    let out = std::process::Command::new(root.join("sign"))
        .args(["--key", &s.cosign_key])
        .arg(reference.trim_start_matches("oci://"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = check(&p);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(corp_findings(&r), 1);

    // Signed, but not by the key the config requires.
    config(&p, &reference, "signature = { key = \"keys/other.pub\" }");
    let r = check(&p);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let msg = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("(bad-signature)"), "{msg}");

    // `signature` on a file source is a mistake worth saying.
    config(
        &p,
        &toml_path(plimsoll_test_programs::POLICY).replace('"', ""),
        signature,
    );
    let r = check(&p);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`signature` applies to plugins pulled from a registry"),
        "{}",
        r.stdout
    );
}

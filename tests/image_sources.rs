//! `plimsoll check --image` on the three image sources: the shared stack's
//! `library/debian-like:12` from its registry, copied by skopeo (not by this
//! code) to an OCI layout (`oci:`) and a `docker save` archive
//! (`docker-archive:`): the same findings from all three, including the fake
//! token a later layer deletes. And a hostile layout refused with a named
//! error. Skips, with the reason printed, without the stack or skopeo.

mod support;

use std::process::Command;

use support::{Project, Run};

fn findings(r: &Run) -> Vec<(String, String, serde_json::Value)> {
    let j = r.json();
    let target = j["summary"]["targets"][0].as_str().unwrap().to_string();
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut loc = f["location"].clone();
            // The same image under three names: compare without the name.
            loc.as_object_mut().unwrap().remove("reference");
            loc.as_object_mut().unwrap().remove("target");
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().replace(&target, "IMAGE"),
                loc,
            )
        })
        .collect()
}

#[test]
fn registry_oci_layout_and_docker_archive_give_the_same_findings() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    if Command::new("skopeo").arg("--version").output().is_err() {
        assert!(
            std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "skopeo is not installed"
        );
        eprintln!("skipped: skopeo is not installed");
        return;
    }
    let p = Project::new();
    let src = format!("{registry}/library/debian-like:12");
    for dest in ["oci:layout:12", "docker-archive:debian.tar:debian-like:12"] {
        let out = Command::new("skopeo")
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{src}"))
            .arg(dest)
            .current_dir(p.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let select = "PL3001,PL3014,PL4002,PL4009";
    let mut all = Vec::new();
    for image in [src.as_str(), "oci:layout:12", "docker-archive:debian.tar"] {
        let r = p.run(&[
            "check", "--image", image, "--select", select, "--format", "json",
        ]);
        assert_eq!(r.code, 1, "{image}: {}{}", r.stdout, r.stderr);
        all.push((image, findings(&r)));
    }
    let (_, first) = &all[0];
    for (image, f) in &all[1..] {
        assert_eq!(f, first, "{image} differs from the registry image");
    }
    let rules: Vec<&str> = first.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(rules, vec!["PL3001", "PL3014", "PL4009"], "{first:#?}");
    let (_, message, location) = &first[2];
    assert_eq!(location["path"], "/etc/plimsoll/removed.conf");
    assert_eq!(location["layer"], 0);
    assert!(
        message.contains("deleted by layer 1") && message.contains("API_TOKEN"),
        "{message}"
    );
    // The secret itself is never printed.
    for (_, f) in &all {
        for (_, m, _) in f {
            assert!(!m.contains("fake-token-not-a-secret"), "{m}");
        }
    }
}

/// Writes `layout/` in the project: an OCI layout of one image whose only
/// layer is `layer` (an uncompressed tar).
fn one_layer_layout(p: &Project, layer: &[u8]) {
    use sha2::{Digest, Sha256};
    let blobs = p.path().join("layout/blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| {
        let hex = hex::encode(Sha256::digest(data));
        std::fs::write(blobs.join(&hex), data).unwrap();
        format!("sha256:{hex}")
    };
    let config = br#"{"architecture":"amd64","os":"linux","config":{}}"#;
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": put(layer), "size": layer.len()}],
    }))
    .unwrap();
    let m = put(&manifest);
    p.file(
        "layout/index.json",
        &serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m, "size": manifest.len()}]}).to_string(),
    );
}

#[test]
fn a_layer_with_a_parent_directory_entry_is_refused_by_name() {
    let p = Project::new();
    // A tar member named `../../etc/cron.d/evil`, written raw.
    let mut h = tar::Header::new_old();
    let name = b"../../etc/cron.d/evil";
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(4);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut b = tar::Builder::new(Vec::new());
    b.append(&h, &b"evil"[..]).unwrap();
    one_layer_layout(&p, &b.into_inner().unwrap());
    let r = p.run(&["check", "--image", "oci:layout", "--format", "json"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let e = &r.json()["errors"][0];
    assert_eq!(e["kind"], "path-traversal", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("../../etc/cron.d/evil"),
        "{e}"
    );
}

/// Registry layers are kept in the cache directory and read from there by
/// later runs (also `--offline`); a cached layer that no longer hashes to
/// its digest is fetched again, never trusted.
#[test]
fn cached_registry_layers_are_verified_when_read() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    let src = format!("{registry}/library/debian-like:12");
    let p = Project::new();
    let cache = p.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["--cache-dir", cache_arg];
        args.extend_from_slice(extra);
        args.extend([
            "check", "--image", &src, "--select", "PL4009", "--format", "json",
        ]);
        let r = p.run(&args);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        findings(&r)
    };
    let first = run(&[]);
    assert_eq!(first.len(), 1, "{first:?}");
    let blobs: Vec<std::path::PathBuf> = std::fs::read_dir(cache.join("registry/manifests/sha256"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "blob"))
        .collect();
    assert!(blobs.len() >= 2, "the layers are cached: {blobs:?}");
    for b in &blobs {
        std::fs::write(b, b"not the layer").unwrap();
    }
    assert_eq!(run(&[]), first, "corrupt cached layers are fetched again");
    for b in &blobs {
        assert_ne!(
            std::fs::read(b).unwrap(),
            b"not the layer",
            "{}",
            b.display()
        );
    }
    assert_eq!(
        run(&["--offline"]),
        first,
        "layers come from the cache offline"
    );
}

/// A hard-link cycle where plimsoll reads (`etc/os-release` -> `etc/x` ->
/// `etc/os-release`): a named error and exit 3 from `check --image` and
/// `sbom`, not a stack overflow.
#[test]
fn a_hard_link_cycle_is_a_named_error() {
    let p = Project::new();
    let mut b = tar::Builder::new(Vec::new());
    for (name, target) in [("etc/os-release", "etc/x"), ("etc/x", "etc/os-release")] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        h.set_mode(0o644);
        b.append_link(&mut h, name, target).unwrap();
    }
    one_layer_layout(&p, &b.into_inner().unwrap());
    let r = p.run(&["sbom", "oci:layout"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("cycle"), "{}", r.stderr);
    let r = p.run(&[
        "check",
        "--image",
        "oci:layout",
        "--format",
        "json",
        "--offline",
    ]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let errors = r.json()["errors"].clone();
    assert!(errors.to_string().contains("cycle"), "{errors:#}");
}

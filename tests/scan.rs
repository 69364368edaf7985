//! The vulnerability scan end to end: OSV records (tests/fixtures/osv, real
//! CVE ids for packages in the shared stack's `library/debian-like:12`)
//! zipped and served over HTTP the way the OSV bucket lays them out,
//! `plimsoll db update --source` from that server, then `check --image` on
//! the registry image and on an OCI layout copied by skopeo: the same
//! findings, source packages reported once for their binaries, the CVSS
//! gate, `--ignore-unfixed`, ignores that expire, OpenVEX statements, and a
//! missing database named as such. Skips, with the reason printed, without the stack.

mod support;

use std::process::Command;

use std::path::Path;

use support::{Project, Run};

/// `plimsoll db update` of the Debian records from the fixture server.
fn db_update(p: &Project, db: &str, source: &str) -> Run {
    p.run(&[
        "--db-dir",
        db,
        "db",
        "update",
        "--source",
        source,
        "--ecosystem",
        "Debian",
    ])
}

/// (id, level, binaries, fixed) of the scan's findings.
fn vulns(r: &Run) -> Vec<(String, String, Vec<String>, Option<String>)> {
    let mut v: Vec<_> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PL8001")
        .map(|f| {
            let p = &f["properties"];
            (
                p["id"].as_str().unwrap().to_string(),
                f["level"].as_str().unwrap().to_string(),
                p["binaries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b.as_str().unwrap().to_string())
                    .collect(),
                p["fixed"].as_str().map(str::to_string),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn images_are_scanned_against_the_osv_database() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    let db = p.path().join("db");
    let db_arg = db.to_str().unwrap();
    let image = format!("{registry}/library/debian-like:12");
    let scan = |p: &Project, extra: &[&str]| {
        let mut args = vec![
            "--db-dir",
            db_arg,
            "check",
            "--image",
            &image,
            "--select",
            "PL8001,PL8002",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        p.run(&args)
    };

    // No database and --skip-db-update: the run says which command to run
    // (exit 3).
    let r = scan(&p, &["--skip-db-update"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let msg = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("plimsoll db update") && msg.contains("Debian:12"),
        "{msg}"
    );

    // Updates on, but the mirror is unreachable: exit 3, saying what failed
    // and what to do on a runner without access.
    // `check --image` of the vulnerability rule with global `flags` and one
    // environment variable set.
    let scan_with = |flags: &[&str], key: &str, value: &str| {
        let mut args = vec!["--db-dir", db_arg];
        args.extend_from_slice(flags);
        args.extend([
            "check", "--image", &image, "--select", "PL8001", "--format", "json",
        ]);
        Run::from(p.command(&args).env(key, value).output().unwrap())
    };
    let r = scan_with(&[], "PLIMSOLL_DB_SOURCE", "http://127.0.0.1:9/osv");
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let msg = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("downloading it failed")
            && msg.contains("127.0.0.1:9")
            && msg.contains("db import"),
        "{msg}"
    );

    // `check` downloads the one ecosystem it needs from the mirror
    // (`[scan] db-source`) when it is missing, as Trivy and Grype do.
    let work = tempfile::tempdir().unwrap();
    let server = support::serve_osv(work.path());
    p.file(
        "plimsoll.toml",
        &format!("[scan]\ndb-source = \"{}\"\n", server.1),
    );
    let r = scan(&p, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("imported 7 OSV records"), "{}", r.stderr);
    let auto = vulns(&r);
    assert_eq!(auto.len(), 4, "{auto:?}");

    // The same scan as GitLab's container-scanning report (validated against
    // GitLab's schema) and as SARIF with a rule per vulnerability.
    let gl = p.path().join("gl-container-scanning-report.json");
    let sarif = p.path().join("scan.sarif");
    let r = scan(
        &p,
        &[
            "--output",
            "-",
            "--format",
            "gitlab-container-scanning",
            "--output",
            gl.to_str().unwrap(),
            "--format",
            "sarif",
            "--output",
            sarif.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&gl).unwrap()).unwrap();
    assert_eq!(
        report["vulnerabilities"].as_array().unwrap().len(),
        auto.len()
    );
    assert_eq!(
        report["vulnerabilities"][0]["location"]["image"],
        image.as_str()
    );
    support::validate_json_schema(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/testdata/gitlab-schemas/container-scanning-report-format-15.0.7.json",
        ),
        &gl,
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for (id, ..) in &auto {
        assert!(
            rules.iter().any(|r| r["id"] == id.as_str()),
            "no SARIF rule for {id}"
        );
    }

    // Thirty days on, the data is stale: refused with --skip-db-update,
    // used with a warning --offline (by runs that name the same mirror: the
    // config is still there).
    let later = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86400)
        .to_string();
    let r = scan_with(&["--skip-db-update"], "PLIMSOLL_NOW", &later);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("days old") && r.stdout.contains("plimsoll db update"),
        "{}",
        r.stdout
    );
    let r = scan_with(&["--offline"], "PLIMSOLL_NOW", &later);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("30 days old"), "{}", r.stderr);
    assert_eq!(vulns(&r), auto);
    std::fs::remove_file(p.path().join("plimsoll.toml")).unwrap();

    let r = db_update(&p, db_arg, &server.1);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("imported 7 OSV records") && r.stderr.contains("Debian:12 (3 packages)"),
        "{}",
        r.stderr
    );
    let status = p.run(&["--db-dir", db_arg, "db", "status"]);
    assert!(status.stdout.contains("Debian:12"), "{}", status.stdout);

    let r = scan(&p, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let found = vulns(&r);
    let ssl = vec!["libssl3".to_string(), "openssl".to_string()];
    assert_eq!(
        found,
        vec![
            (
                "CVE-2023-45853".into(),
                "error".into(),
                vec!["zlib1g".to_string()],
                None
            ),
            (
                "CVE-2023-5363".into(),
                "error".into(),
                ssl.clone(),
                Some("3.0.11-1~deb12u2".into())
            ),
            (
                "CVE-2023-6246".into(),
                "error".into(),
                vec!["libc6".to_string()],
                Some("2.36-9+deb12u4".into())
            ),
            (
                "CVE-2024-0727".into(),
                "note".into(),
                ssl.clone(),
                Some("3.0.13-1~deb12u1".into())
            ),
        ],
        "CVE-2022-2068 is fixed before this openssl; openssl's binaries are one finding"
    );
    let f = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "CVE-2023-5363")
        .cloned()
        .unwrap();
    assert_eq!(f["security_severity"], 7.5);
    assert_eq!(f["location"]["path"], "/var/lib/dpkg/status");

    // The same from an OCI layout of the same image.
    if Command::new("skopeo").arg("--version").output().is_ok() {
        let out = Command::new("skopeo")
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{image}"))
            .arg("oci:layout:12")
            .current_dir(p.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = p.run(&[
            "--db-dir",
            db_arg,
            "check",
            "--image",
            "oci:layout:12",
            "--select",
            "PL8001",
            "--format",
            "json",
        ]);
        assert_eq!(vulns(&r), found, "oci: layout differs");
    }

    // The image's SBOM (CycloneDX and SPDX, as `plimsoll sbom` writes
    // them) scanned instead of the image: the same findings.
    for (format, file) in [("cyclonedx", "image.cdx.json"), ("spdx", "image.spdx.json")] {
        let r = p.run(&["sbom", &image, "--format", format, "-o", file]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let r = p.run(&[
            "--db-dir", db_arg, "check", "--sbom", file, "--select", "PL8001", "--format", "json",
        ]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert_eq!(vulns(&r), found, "--sbom {file} differs from the image");
    }
    let r = p.run(&[
        "--db-dir",
        db_arg,
        "check",
        "--image",
        "sbom:image.spdx.json",
        "--select",
        "PL8001",
        "--format",
        "json",
    ]);
    assert_eq!(vulns(&r), found, "--image sbom:FILE (Grype's spelling)");
    p.file("not-an-sbom.json", "{\"name\": \"x\"}");
    let r = p.run(&[
        "--db-dir",
        db_arg,
        "check",
        "--sbom",
        "not-an-sbom.json",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let e = &r.json()["errors"][0];
    assert_eq!(e["kind"], "invalid-sbom");
    assert!(
        e["message"].as_str().unwrap().contains("not-an-sbom.json"),
        "{e}"
    );
    let r = p.run(&["check", "--sbom", "missing.json"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);

    // The gate: nothing at 9.9 or above, so everything is a note (exit 0);
    // a severity list fails whatever the score; unfixed ones can be left out.
    let r = scan(&p, &["--min-cvss", "9.9"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(vulns(&r).iter().all(|v| v.1 == "note"));
    let r = scan(&p, &["--ignore-unfixed"]);
    assert!(!vulns(&r).iter().any(|v| v.0 == "CVE-2023-45853"));

    // Ignores: an expired one stops ignoring, a current one hides it.
    p.file("plimsoll.toml", "[[scan.ignore]]\nid = \"CVE-2023-6246\"\nuntil = \"2020-01-01\"\nreason = \"expired\"\n[[scan.ignore]]\nid = \"CVE-2023-5363\"\nuntil = \"2999-12-31\"\nreason = \"no affected cipher modes used\"\n");
    let ids: Vec<String> = vulns(&scan(&p, &[])).into_iter().map(|v| v.0).collect();
    assert!(ids.contains(&"CVE-2023-6246".to_string()), "{ids:?}");
    assert!(!ids.contains(&"CVE-2023-5363".to_string()), "{ids:?}");

    // Trivy's `.trivyignore`, as it is (`--ignorefile`), expiries included;
    // `--only-fixed` is Grype's name for --ignore-unfixed.
    std::fs::remove_file(p.path().join("plimsoll.toml")).unwrap();
    p.file(
        ".trivyignore",
        "# accepted risks\nCVE-2023-5363\nCVE-2023-6246 exp:2020-01-01\n",
    );
    let ids: Vec<String> = vulns(&scan(&p, &["--ignorefile", ".trivyignore", "--only-fixed"]))
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(ids, vec!["CVE-2023-6246", "CVE-2024-0727"], "{ids:?}");
    p.file(".trivyignore", "CVE-2023-5363 until:2020\n");
    let r = scan(&p, &["--ignorefile", ".trivyignore"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(".trivyignore:1"), "{}", r.stdout);

    // OpenVEX: `not_affected` for this image's libssl3 hides CVE-2024-0727;
    // the same statement for another image does not.
    let vex = |product: &str| {
        serde_json::json!({
            "@context": "https://openvex.dev/ns/v0.2.0",
            "@id": "https://example.com/vex/1",
            "author": "platform team",
            "timestamp": "2026-11-01T00:00:00Z",
            "version": 1,
            "statements": [{
                "vulnerability": {"name": "CVE-2024-0727"},
                "products": [{"@id": product, "subcomponents": [{"@id": "pkg:deb/debian/libssl3"}]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            }]
        })
        .to_string()
    };
    p.file("plimsoll.toml", "[scan]\nvex = [\"app.openvex.json\"]\n");
    p.file("app.openvex.json", &vex(&image));
    let ids: Vec<String> = vulns(&scan(&p, &[])).into_iter().map(|v| v.0).collect();
    assert!(!ids.contains(&"CVE-2024-0727".to_string()), "{ids:?}");
    p.file(
        "app.openvex.json",
        &vex("registry.example.com/other/app@sha256:00"),
    );
    let ids: Vec<String> = vulns(&scan(&p, &[])).into_iter().map(|v| v.0).collect();
    assert!(ids.contains(&"CVE-2024-0727".to_string()), "{ids:?}");
    drop(server);
}

/// Base-update advice (pin x scan): a base pinned to last month's digest
/// whose tag now names a rebuild with patched openssl and glibc. The stale
/// pin says which fixable vulnerabilities the update removes — both images'
/// packages read and matched against the OSV fixture — and says nothing of
/// the kind without vulnerability data or with `update-advice = false`; the
/// same pin in a compose file, a Kubernetes manifest, a workflow, a GitLab CI
/// file and a devcontainer.json gets the same advice.
#[test]
fn a_stale_pin_says_which_vulnerabilities_the_update_fixes() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    let repo = format!("plimsoll-e2e/advice-{}", std::process::id());
    let old = support::push_patched(&registry, &repo, &[]);
    let new = support::push_patched(&registry, &repo, support::PATCHED_OPENSSL_GLIBC);
    assert_ne!(old, new);
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM {registry}/{repo}:12@{old}\nUSER app\n"),
    );
    let db = p.path().join("db");
    let db_arg = db.to_str().unwrap();
    let stale = |p: &Project, db: &str| {
        let r = p.run(&[
            "--db-dir",
            db,
            "check",
            "Dockerfile",
            "--select",
            "PL6002",
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        r.json()["findings"][0].clone()
    };

    // No vulnerability data: the stale pin as always, no advice, no download.
    let f = stale(&p, db_arg);
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("has moved") && !msg.contains("updating fixes"),
        "{msg}"
    );
    assert!(
        !db.exists(),
        "a Dockerfile check downloaded vulnerability data"
    );

    let work = tempfile::tempdir().unwrap();
    let server = support::serve_osv(work.path());
    let r = db_update(&p, db_arg, &server.1);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // With data: CVE-2023-6246 (glibc, fixed in 2.36-9+deb12u4) and
    // CVE-2023-5363 (openssl, fixed in 3.0.11-1~deb12u2) go away;
    // CVE-2024-0727 needs a later openssl and zlib's has no fix: not named.
    let f = stale(&p, db_arg);
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains("updating fixes 2 known vulnerabilities"),
        "{msg}"
    );
    let mut ids: Vec<String> = f["properties"]["update_fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["CVE-2023-5363", "CVE-2023-6246"], "{msg}");
    assert!(f["security_severity"].as_f64().unwrap() >= 7.5, "{f}");

    // `plimsoll pin` reports the same advice.
    let r = p.run(&["--db-dir", db_arg, "pin", "--format", "json"]);
    let pin_msg = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "PL6002")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        pin_msg.contains("updating fixes 2 known vulnerabilities"),
        "{}{}",
        r.stdout,
        r.stderr
    );

    // The same pin in every kind of manifest: each stale finding carries the
    // same advice, at the reference.
    let image = format!("{registry}/{repo}:12@{old}");
    let manifests = [
        (
            "compose.yaml",
            format!("services:\n  app:\n    image: {image}\n"),
        ),
        (
            "deploy.yaml",
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: app}}\nspec:\n  containers:\n    - name: app\n      image: \"{image}\"\n"
            ),
        ),
        (
            ".github/workflows/ci.yml",
            format!(
                "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    container: {image}\n    steps: [{{run: make}}]\n"
            ),
        ),
        (
            ".gitlab-ci.yml",
            format!("test:\n  image:\n    name: {image}\n  script: [make]\n"),
        ),
        (
            ".devcontainer/devcontainer.json",
            format!("// dev\n{{\"image\": \"{image}\"}}\n"),
        ),
    ];
    for (path, text) in &manifests {
        p.file(path, text);
    }
    let paths: Vec<&str> = manifests.iter().map(|(p, _)| *p).collect();
    let r = p.run(
        &[
            &[
                "--db-dir", db_arg, "check", "--select", "PL6002", "--format", "json",
            ][..],
            &paths,
        ]
        .concat(),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let mut stale_in: Vec<&str> = findings
        .iter()
        .map(|f| {
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("updating fixes 2 known vulnerabilities"),
                "{f}"
            );
            f["location"]["path"].as_str().unwrap()
        })
        .collect();
    stale_in.sort();
    let mut expected = paths.clone();
    expected.sort();
    assert_eq!(stale_in, expected, "{}", r.stdout);
    // `pin --fix --update` moves each pin in place.
    let r = p.run(
        &[
            &["--db-dir", db_arg, "pin", "--fix", "--update"][..],
            &paths,
        ]
        .concat(),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for (path, text) in &manifests {
        assert_eq!(p.read(path), text.replace(&old, &new), "{path}");
    }

    // Turned off.
    p.file("plimsoll.toml", "[pin]\nupdate-advice = false\n");
    let f = stale(&p, db_arg);
    assert!(
        !f["message"].as_str().unwrap().contains("updating fixes"),
        "{f}"
    );
    drop(server);
}

/// The Go program tests build: a module with a vendored dependency and a
/// replaced one, so that its build information has `dep` and `=>` lines.
const GO_FILES: &[(&str, &str)] = &[
    (
        "go.mod",
        "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/lib v1.2.3\n\texample.com/old v1.0.0\n)\n\nreplace example.com/old v1.0.0 => example.com/new v1.0.1\n",
    ),
    (
        "main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/lib\"\n\t\"example.com/old\"\n)\n\nfunc main() { fmt.Println(lib.Name(), old.Name()) }\n",
    ),
    (
        "vendor/example.com/lib/lib.go",
        "package lib\n\nfunc Name() string { return \"lib\" }\n",
    ),
    (
        "vendor/example.com/old/old.go",
        "package old\n\nfunc Name() string { return \"new\" }\n",
    ),
    (
        "vendor/modules.txt",
        "# example.com/lib v1.2.3\n## explicit\nexample.com/lib\n# example.com/old v1.0.0 => example.com/new v1.0.1\n## explicit\nexample.com/old\n",
    ),
];

/// Go binaries: a real one built by the machine's Go (offline, vendored)
/// and added to an image; the modules plimsoll reads equal what `go version
/// -m` prints, and the standard library is matched against the Go
/// ecosystem's OSV records (GO-2023-1840, fixed in Go 1.19.10).
#[test]
fn go_binaries_are_read_like_go_version_m_and_scanned() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    if !support::oracle("go", "version", "golang-go") {
        return;
    }
    let src = tempfile::tempdir().unwrap();
    for (path, text) in GO_FILES {
        let f = src.path().join(path);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }
    let out = Command::new("go")
        .args(["build", "-o", "app", "."])
        .current_dir(src.path())
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=vendor")
        .env("GOCACHE", src.path().join(".cache"))
        .env("CGO_ENABLED", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let app = src.path().join("app");

    // The oracle: `go version -m` (deps with replacements applied).
    let out = Command::new("go")
        .args(["version", "-m"])
        .arg(&app)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let go_version = text
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();
    let mut expected: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.trim_start().split('\t').collect();
        match f.as_slice() {
            ["dep", p, v, ..] => expected.push((p.to_string(), v.to_string())),
            ["=>", p, v, ..] => *expected.last_mut().unwrap() = (p.to_string(), v.to_string()),
            _ => {}
        }
    }
    assert_eq!(expected.len(), 2, "{text}");
    expected.push((
        "stdlib".into(),
        format!("v{}", go_version.trim_start_matches("go")),
    ));
    expected.sort();

    let repo = format!("plimsoll-e2e/go-{}", std::process::id());
    support::push_patched(
        &registry,
        &repo,
        &["usr/local/bin/app", "@file", app.to_str().unwrap()],
    );
    let image = format!("{registry}/{repo}:12");
    let p = Project::new();
    let r = p.run(&["debug", "packages", &image, "-f", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let mut ours: Vec<(String, String)> = r.json()["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "go")
        .inspect(|p| assert_eq!(p["location"], "usr/local/bin/app"))
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, expected, "go version -m says:\n{text}");

    // The scan matches the standard library against the Go records.
    let work = tempfile::tempdir().unwrap();
    let server = support::serve_osv(work.path());
    let db = p.path().join("db");
    p.file(
        "plimsoll.toml",
        &format!("[scan]\ndb-source = \"{}\"\n", server.1),
    );
    let r = p.run(&[
        "--db-dir",
        db.to_str().unwrap(),
        "check",
        "--image",
        &image,
        "--select",
        "PL8001",
        "--format",
        "json",
    ]);
    let go_findings: Vec<serde_json::Value> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["ecosystem"] == "Go")
        .cloned()
        .collect();
    let patch: u32 = go_version
        .trim_start_matches("go1.19.")
        .parse()
        .unwrap_or(u32::MAX);
    if go_version.starts_with("go1.19.") && patch < 10 {
        assert_eq!(go_findings.len(), 1, "{}{}", r.stdout, r.stderr);
        let f = &go_findings[0];
        assert_eq!(f["properties"]["id"], "GO-2023-1840");
        assert_eq!(f["properties"]["package"], "stdlib");
        assert_eq!(f["properties"]["fixed"], "1.19.10");
        assert_eq!(f["location"]["path"], "/usr/local/bin/app");
    } else {
        eprintln!(
            "{go_version} is not affected by GO-2023-1840: only the package listing was checked"
        );
        assert!(go_findings.is_empty(), "{go_findings:?}");
    }
    drop(server);
}

/// RPM databases: a real `rpmdb.sqlite` written by `rpm` itself (two
/// packages built by `rpmbuild`, installed with `--justdb`) in an image
/// that says it is Rocky Linux 9: the packages plimsoll reads equal `rpm
/// -qa` on the same database (name, epoch:version-release, source RPM), no
/// PL8002 remains, and the SBOM lists them as `pkg:rpm`.
#[test]
fn rpm_databases_are_read_like_rpm_qa() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    if !support::oracle("rpmbuild", "--version", "rpm") {
        return;
    }
    let top = tempfile::tempdir().unwrap();
    let root = top.path().join("root");
    std::fs::create_dir_all(top.path().join("SPECS")).unwrap();
    // (source package, epoch, version, release, licence, binary package):
    // openssl's `libs` subpackage has a source RPM of another name.
    let specs = [
        ("openssl", "1", "3.0.7", "24.el9", "ASL 2.0", "openssl-libs"),
        ("bash", "0", "5.1.8", "6.el9_1", "GPLv3+", "bash"),
    ];
    let rpm = |args: &[&str]| {
        let out = Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(["--define", "_dbpath /var/lib/rpm"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "rpm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    rpm(&["--initdb"]);
    for (name, epoch, version, release, license, binary) in specs {
        let spec = top.path().join(format!("SPECS/{name}.spec"));
        let files = match binary.strip_prefix(&format!("{name}-")) {
            Some(sub) => {
                format!("%package {sub}\nSummary: {sub}\n%description {sub}\n{sub}\n%files {sub}\n")
            }
            None => "%files\n".to_string(),
        };
        std::fs::write(
            &spec,
            format!("Name: {name}\nEpoch: {epoch}\nVersion: {version}\nRelease: {release}\nSummary: test\nLicense: {license}\nBuildArch: noarch\n%description\ntest\n{files}"),
        )
        .unwrap();
        let out = Command::new("rpmbuild")
            .arg("-bb")
            .arg("--define")
            .arg(format!("_topdir {}", top.path().display()))
            .arg(&spec)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let built = top.path().join(format!(
            "RPMS/noarch/{binary}-{version}-{release}.noarch.rpm"
        ));
        rpm(&[
            "-i",
            "--nodeps",
            "--justdb",
            "--ignorearch",
            built.to_str().unwrap(),
        ]);
    }
    // The oracle.
    let qa = rpm(&[
        "-qa",
        "--qf",
        "%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{SOURCERPM}\\n",
    ]);
    let mut expected: Vec<(String, String)> = qa
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let evr = f[1].strip_prefix("0:").unwrap_or(f[1]).to_string();
            (f[0].to_string(), evr)
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 2, "{qa}");

    let os_release = top.path().join("os-release");
    std::fs::write(&os_release, "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n").unwrap();
    let mut edits: Vec<String> = vec![
        "etc/os-release".into(),
        "@data".into(),
        os_release.display().to_string(),
        "var/lib/dpkg/status".into(),
        "@delete".into(),
        String::new(),
    ];
    for f in std::fs::read_dir(root.join("var/lib/rpm"))
        .unwrap()
        .flatten()
    {
        let name = f.file_name().to_string_lossy().to_string();
        if name.starts_with("rpmdb.sqlite") {
            edits.extend([
                format!("var/lib/rpm/{name}"),
                "@data".into(),
                f.path().display().to_string(),
            ]);
        }
    }
    let repo = format!("plimsoll-e2e/rpm-{}", std::process::id());
    let edits: Vec<&str> = edits.iter().map(String::as_str).collect();
    support::push_patched(&registry, &repo, &edits);
    let image = format!("{registry}/{repo}:12");
    let p = Project::new();
    let r = p.run(&["debug", "packages", &image, "-f", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let inv = r.json();
    let mut ours: Vec<(String, String)> = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["kind"], "rpm", "{p}");
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ours.sort();
    assert_eq!(ours, expected, "rpm -qa says:\n{qa}");
    assert_eq!(inv["unsupported"], serde_json::json!([]));
    let ssl = inv["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openssl-libs")
        .unwrap()
        .clone();
    assert_eq!(ssl["source"], "openssl", "from SOURCERPM: {qa}");
    assert_eq!(ssl["license"], "ASL 2.0");

    let r = p.run(&["sbom", &image]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let purls: Vec<String> = r.json()["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    assert!(
        purls.iter().any(
            |u| u.starts_with("pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?") && u.contains("epoch=1")
        ),
        "{purls:?}"
    );
}

/// Vulnerability data a repository's plimsoll.toml chose (`[scan]
/// db-source`, which a pull request can set to anything) lands in the
/// shared cache marked as such: later runs that do not name that mirror do
/// not use it (`--skip-db-update`: exit 3 saying why; otherwise it is
/// replaced from their own mirror), while data the operator fetched (`db
/// update --source`) is used by any run. Needs no registry: the packages
/// come from an SBOM.
#[test]
fn data_a_repository_chose_is_not_reused_by_other_runs() {
    let p = Project::new();
    p.file(
        "app.cdx.json",
        &serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "metadata": {"component": {"type": "container", "name": "app:1.0"}},
            "components": [
                {"type": "operating-system", "name": "debian", "version": "12"},
                {"type": "library", "name": "zlib1g", "version": "1:1.2.13.dfsg-1",
                 "purl": "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12&upstream=zlib"}
            ]
        })
        .to_string(),
    );
    let work = tempfile::tempdir().unwrap();
    let server = support::serve_osv(work.path());
    let db = p.path().join("db");
    let db_arg = db.to_str().unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec![
            "--db-dir",
            db_arg,
            "check",
            "--sbom",
            "app.cdx.json",
            "--select",
            "PL8001",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        p.run(&args)
    };
    let ids = |r: &Run| -> Vec<String> {
        r.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
            .collect()
    };

    // A "pull request" names its own mirror: the run downloads from it.
    p.file(
        "plimsoll.toml",
        &format!("[scan]\ndb-source = \"{}\"\n", server.1),
    );
    let r = check(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(ids(&r), ["CVE-2023-45853"]);
    // The same config trusts its own data on the next run.
    assert_eq!(check(&["--skip-db-update"]).code, 1);

    // A run without that config does not use it.
    std::fs::remove_file(p.path().join("plimsoll.toml")).unwrap();
    let r = check(&["--skip-db-update"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let msg = r.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("named by a repository's plimsoll.toml") && msg.contains(&server.1),
        "{msg}"
    );

    // Data the operator fetched is trusted by any run.
    let r = db_update(&p, db_arg, &server.1);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = check(&["--skip-db-update"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(ids(&r), ["CVE-2023-45853"]);
    drop(server);
}

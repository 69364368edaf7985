//! `cargo xtask bench manifests`: `plimsoll pin --offline` over a repository
//! of 1,000 manifests — the real files of `../shared/corpus/manifests`,
//! cycled, each under the name its tool gives it (`svc-N/compose.yaml`,
//! `svc-N/.github/workflows/ci.yml`, `svc-N/.gitlab-ci.yml`,
//! `svc-N/.devcontainer/devcontainer.json`; Kubernetes manifests, which have
//! no conventional name, named on the command line). Renovate has no offline
//! mode to compare with: it looks every reference up in its registry each
//! run.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::bench::{measure, median, ms, plimsoll_release, shared};

pub fn run() -> anyhow::Result<()> {
    let bin = plimsoll_release()?;
    let dir = shared().join("corpus/manifests");
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .with_context(|| format!("{} is absent", dir.display()))?;
    let files: Vec<(String, String)> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut c = l.split('\t');
            Some((c.next()?.to_string(), c.next()?.to_string()))
        })
        .collect();
    let repo = tempfile::tempdir()?;
    let mut named = Vec::new();
    for i in 0..1000 {
        let (file, kind) = &files[i % files.len()];
        let rel = match kind.as_str() {
            "compose" => format!("svc-{i}/compose.yaml"),
            "github-workflows" => format!("svc-{i}/.github/workflows/ci.yml"),
            "gitlab-ci" => format!("svc-{i}/.gitlab-ci.yml"),
            "devcontainer" => format!("svc-{i}/.devcontainer/devcontainer.json"),
            _ => {
                let rel = format!("svc-{i}/k8s/app.yaml");
                named.push(rel.clone());
                rel
            }
        };
        let to = repo.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap())?;
        std::fs::copy(dir.join(file), &to)?;
    }
    let cache = tempfile::tempdir()?;
    let cmd = || pin(&bin, repo.path(), cache.path(), &named);
    // Warm the compiled-plugin cache.
    measure(cmd())?;
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..5 {
        let (t, kib, _) = measure(cmd())?;
        times.push(t);
        rss.push(kib);
    }
    rss.sort();
    let t = median(times.clone());
    let (min, max) = (
        times.iter().min().copied().unwrap_or_default(),
        times.iter().max().copied().unwrap_or(Duration::ZERO),
    );
    println!(
        "manifests: `pin --offline` over 1,000 manifests ({} Kubernetes named, the rest found by name): median of 5 {} (min {}, max {}), peak {} MiB; goal <= 500 ms",
        named.len(),
        ms(t),
        ms(min),
        ms(max),
        rss[rss.len() / 2] / 1024
    );
    Ok(())
}

fn pin(bin: &Path, repo: &Path, cache: &Path, named: &[String]) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(repo)
        .args(["pin", "--offline", "--format", "json", "."])
        .args(named)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .env("NO_COLOR", "1");
    c
}

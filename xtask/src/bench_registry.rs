//! `cargo xtask bench registry`: resolve 50 distinct references with
//! `plimsoll pin` and with a `skopeo inspect --raw` loop over the same
//! references, against the shared stack's plain and token-auth registries, in
//! the same run. Requests are counted from the registries' own access logs
//! (by user agent), not from our client's counters.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::bench::{median, ms, plimsoll_release, shared};

const TAGS: usize = 50;
const REPO: &str = "plimsoll-bench/app";

fn stack_env() -> anyhow::Result<Vec<(String, String)>> {
    let stack = shared().join("stack");
    let up = Command::new(stack.join("up"))
        .stdout(std::process::Stdio::null())
        .status()
        .context("running ../shared/stack/up")?;
    if !up.success() {
        bail!("../shared/stack/up failed");
    }
    let out = Command::new(stack.join("env")).output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("export "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

fn skopeo(args: &[&str]) -> anyhow::Result<bool> {
    Ok(Command::new("skopeo")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("running skopeo (installed by ../shared/stack/up)")?
        .success())
}

/// 50 tags of one image in our own bench repository (all four registries
/// share storage, so pushing through :5000 serves every flavour).
fn ensure_tags(plain: &str) -> anyhow::Result<()> {
    let last = format!("docker://{plain}/{REPO}:t{:02}", TAGS - 1);
    if skopeo(&["inspect", "--raw", "--tls-verify=false", &last])? {
        return Ok(());
    }
    eprintln!("bench registry: pushing {TAGS} tags to {plain}/{REPO} (once)");
    for i in 0..TAGS {
        let ok = skopeo(&[
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            &format!("docker://{plain}/library/debian-like:12"),
            &format!("docker://{plain}/{REPO}:t{i:02}"),
        ])?;
        if !ok {
            bail!("skopeo copy to {plain}/{REPO}:t{i:02} failed");
        }
    }
    Ok(())
}

/// Size of a log, to count what is appended after.
fn log_size(log: &Path) -> usize {
    std::fs::metadata(log)
        .map(|m| m.len() as usize)
        .unwrap_or(0)
}

fn appended(log: &Path, from: usize) -> String {
    let bytes = std::fs::read(log).unwrap_or_default();
    String::from_utf8_lossy(bytes.get(from..).unwrap_or_default()).into_owned()
}

/// (requests, manifest requests) from `agent` appended to an access log.
fn requests_since(log: &Path, from: usize, agent: &str) -> (usize, usize) {
    let mut total = 0;
    let mut manifests = 0;
    for l in appended(log, from).lines() {
        // Access-log lines: 127.0.0.1 - - [..] "GET /v2/... HTTP/1.1" 200 .. "" "agent"
        if l.starts_with("127.0.0.1 - ") && l.contains(agent) {
            total += 1;
            if l.contains("/manifests/") {
                manifests += 1;
            }
        }
    }
    (total, manifests)
}

struct Flavour {
    name: &'static str,
    host: String,
    log: PathBuf,
}

pub fn run() -> anyhow::Result<()> {
    let env = stack_env()?;
    let get = |k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .with_context(|| format!("{k} not exported by ../shared/stack/env"))
    };
    let plain = get("PLIMSOLL_TEST_REGISTRY")?;
    let token = get("PLIMSOLL_TEST_TOKEN_REGISTRY")?;
    let logs = PathBuf::from(get("PLIMSOLL_STACK_DIR")?).join("logs");
    let token_log = logs.join("tokensrv.log");
    ensure_tags(&plain)?;
    let bin = plimsoll_release()?;
    let work = tempfile::tempdir()?;
    let cache = work.path().join("cache");

    println!(
        "registry: resolve {TAGS} distinct references ({REPO}:t00..t{:02}), plimsoll pin (one process) vs a skopeo inspect --raw loop; requests counted from the registry's access log",
        TAGS - 1
    );
    for f in [
        Flavour {
            name: "plain HTTP, anonymous",
            host: plain.clone(),
            log: logs.join("plain.log"),
        },
        Flavour {
            name: "token auth (anonymous pull token)",
            host: token.clone(),
            log: logs.join("token.log"),
        },
    ] {
        let refs: Vec<String> = (0..TAGS)
            .map(|i| format!("{}/{REPO}:t{i:02}", f.host))
            .collect();
        let dir = work.path().join(f.name.split(' ').next().unwrap());
        std::fs::create_dir_all(&dir)?;
        let dockerfile: String = refs
            .iter()
            .enumerate()
            .map(|(i, r)| format!("FROM {r} AS s{i}\n"))
            .collect();
        std::fs::write(dir.join("Dockerfile"), dockerfile)?;
        let ours = || {
            let mut c = Command::new(&bin);
            c.current_dir(&dir)
                .args(["pin", "--format", "json", "-o", "/dev/null"])
                .env("PLIMSOLL_CACHE_DIR", &cache)
                .env("HOME", work.path())
                .env_remove("DOCKER_CONFIG");
            c
        };
        // Warm the compiled-plugin cache (not a registry cache: pin asks tags fresh).
        ours().output()?;
        let before = log_size(&f.log);
        let tokens_before = log_size(&token_log);
        let mut t_ours = Vec::new();
        for _ in 0..5 {
            let (t, _, code) = crate::bench::measure(ours())?;
            if code != 1 {
                bail!("plimsoll pin exited {code} (expected 1: the references are unpinned)");
            }
            t_ours.push(t);
        }
        let (ours_req, ours_manifests) = requests_since(&f.log, before, "plimsoll/");
        let ours_tokens = appended(&token_log, tokens_before)
            .matches("GET /token")
            .count();

        let before = log_size(&f.log);
        let tokens_before = log_size(&token_log);
        let mut t_skopeo = Vec::new();
        for _ in 0..3 {
            let started = std::time::Instant::now();
            for r in &refs {
                if !skopeo(&[
                    "inspect",
                    "--raw",
                    "--tls-verify=false",
                    &format!("docker://{r}"),
                ])? {
                    bail!("skopeo inspect {r} failed");
                }
            }
            t_skopeo.push(started.elapsed());
        }
        let (sk_req, sk_manifests) = requests_since(&f.log, before, "skopeo");
        let sk_tokens = appended(&token_log, tokens_before)
            .matches("GET /token")
            .count();
        let (p, s) = (median(t_ours), median(t_skopeo));
        println!("  {} ({}):", f.name, f.host);
        println!(
            "    plimsoll pin:        median of 5 {:>10}   {:>3} registry requests per run ({} manifest GETs) + {} token requests",
            ms(p),
            ours_req / 5,
            ours_manifests / 5,
            ours_tokens / 5
        );
        println!(
            "    skopeo inspect loop: median of 3 {:>10}   {:>3} registry requests per run ({} manifest GETs) + {} token requests   -> plimsoll is {:.1}x faster",
            ms(s),
            sk_req / 3,
            sk_manifests / 3,
            sk_tokens / 3,
            s.as_secs_f64() / p.as_secs_f64()
        );
    }
    Ok(())
}

//! Benchmarks. Each prints what it measured, how, and the figures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn shared() -> PathBuf {
    root().join("../shared")
}

/// Builds the release binary once and returns its path.
pub fn plimsoll_release() -> anyhow::Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["build", "--release", "--locked", "-p", "plimsoll"])
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    Ok(root().join("target/release/plimsoll"))
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Times `cmd` `n` times; returns the median.
pub fn time_runs(n: usize, mut make: impl FnMut() -> Command) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = make();
        c.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let t = Instant::now();
        let s = c.status().context("running benchmark command")?;
        times.push(t.elapsed());
        if s.code().is_none_or(|c| c > 1) {
            bail!("benchmark command failed: {s}");
        }
    }
    Ok(median(times))
}

pub fn corpus_files() -> anyhow::Result<Vec<PathBuf>> {
    let dir = shared().join("corpus/dockerfiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("{} is absent", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    Ok(files)
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let all = args.is_empty() || args.iter().any(|a| a == "all");
    let want = |n: &str| all || args.iter().any(|a| a == n);
    if want("parse") {
        parse()?;
    }
    if want("startup") {
        startup()?;
    }
    if want("lint") {
        lint()?;
    }
    if want("registry") {
        crate::bench_registry::run()?;
    }
    if want("plugins") {
        crate::bench_plugins::run()?;
    }
    if want("images") {
        crate::bench_images::run()?;
    }
    if want("manifests") {
        crate::bench_manifests::run()?;
    }
    Ok(())
}

/// Wall time and peak RSS (KiB) of one child process, from wait4(2).
pub fn measure(mut cmd: Command) -> anyhow::Result<(Duration, i64, i32)> {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let t = Instant::now();
    let child = cmd.spawn().context("spawning benchmark command")?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is a plain C struct, valid all zeroes.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, writing into the two locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = t.elapsed();
    if r < 0 {
        bail!("wait4 failed");
    }
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((elapsed, usage.ru_maxrss, code))
}

/// Lint the whole corpus in one process: plimsoll vs hadolint vs `trivy config`.
fn lint() -> anyhow::Result<()> {
    let bin = plimsoll_release()?;
    let venv = crate::compare::venv()?.join("bin");
    let files = corpus_files()?;
    let work = tempfile::tempdir()?;
    // Trivy reads only files named Dockerfile, and panics on one corpus file:
    // stage the others as <n>/Dockerfile for it.
    let staged = work.path().join("staged");
    let mut trivy_files = 0;
    for (i, f) in files.iter().enumerate() {
        if f.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .contains("dockerfile_check_test.go__004")
        }) {
            continue;
        }
        let d = staged.join(i.to_string());
        std::fs::create_dir_all(&d)?;
        std::fs::copy(f, d.join("Dockerfile"))?;
        trivy_files += 1;
    }
    let cache = work.path().join("cache");
    // `--select lint` is the like-for-like comparison (hadolint and Trivy only
    // lint); the default run adds the pin plugin (offline: cache only).
    let ours = |select: &[&str], rerun: bool| {
        let mut c = if rerun {
            rerun_check(&bin, &cache)
        } else {
            offline_check(&bin, &cache)
        };
        c.args(select).args(&files);
        c
    };
    // Fill the compiled-plugin cache, and the result cache for the re-runs.
    let _ = measure(ours(&[], true))?;
    let median_of_5 = |select: &[&str], rerun: bool| -> anyhow::Result<(Duration, i64)> {
        let mut runs = Vec::new();
        let mut rss = 0;
        for _ in 0..5 {
            let (t, r, code) = measure(ours(select, rerun))?;
            anyhow::ensure!(code == 0, "plimsoll exited {code}");
            runs.push(t);
            rss = rss.max(r);
        }
        Ok((median(runs), rss))
    };
    let (p, rss) = median_of_5(&["--select", "lint"], false)?;
    let (p_all, rss_all) = median_of_5(&[], false)?;
    // A first run with the result cache on: its layers emptied before each
    // (outside the timing), the compiled plugins kept.
    let (c, c_rss) = {
        let mut runs = Vec::new();
        let mut rss = 0;
        for _ in 0..5 {
            for layer in ["results", "file-results"] {
                let _ = std::fs::remove_dir_all(cache.join(layer));
            }
            let (t, r, code) = measure(ours(&[], true))?;
            anyhow::ensure!(code == 0, "plimsoll exited {code}");
            runs.push(t);
            rss = rss.max(r);
        }
        (median(runs), rss)
    };
    let (r, r_rss) = median_of_5(&["--select", "lint"], true)?;
    let (r_all, r_rss_all) = median_of_5(&[], true)?;
    let (h, h_rss, _) = measure({
        let mut c = Command::new(venv.join("hadolint"));
        c.args(["-f", "json", "--no-fail"]).args(&files);
        c
    })?;
    let tcache = work.path().join("trivy-cache");
    let _ = measure({
        let mut c = Command::new(venv.join("trivy"));
        c.args(["config", "--skip-check-update", "-q", "-f", "json"])
            .arg(&staged)
            .env("TRIVY_CACHE_DIR", &tcache);
        c
    })?; // warm its check bundle
    let (t, t_rss, _) = measure({
        let mut c = Command::new(venv.join("trivy"));
        c.args(["config", "--skip-check-update", "-q", "-f", "json"])
            .arg(&staged)
            .env("TRIVY_CACHE_DIR", &tcache);
        c
    })?;
    println!(
        "lint: {} corpus Dockerfiles in one process each ({} for Trivy, which panics on one)",
        files.len(),
        trivy_files
    );
    println!(
        "  plimsoll check --select lint (every file afresh):   median of 5 {:>10}  peak RSS {:>7} KiB",
        ms(p),
        rss
    );
    println!(
        "  plimsoll check --offline (lint + pin, afresh):       median of 5 {:>10}  peak RSS {:>7} KiB  ({:.0}x hadolint)",
        ms(p_all),
        rss_all,
        h.as_secs_f64() / p_all.as_secs_f64()
    );
    println!(
        "  first run, empty result cache (lint + pin):           median of 5 {:>10}  peak RSS {:>7} KiB",
        ms(c),
        c_rss
    );
    println!(
        "  re-run, nothing changed, --select lint (result cache): median of 5 {:>10}  peak RSS {:>7} KiB",
        ms(r),
        r_rss
    );
    println!(
        "  re-run, nothing changed, lint + pin (result cache):    median of 5 {:>10}  peak RSS {:>7} KiB",
        ms(r_all),
        r_rss_all
    );
    println!(
        "  hadolint 2.15.1 (-f json):                    {:>10}  peak RSS {:>7} KiB  -> plimsoll is {:.0}x faster",
        ms(h),
        h_rss,
        h.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "  trivy 0.76 config (embedded checks):          {:>10}  peak RSS {:>7} KiB  -> plimsoll is {:.0}x faster",
        ms(t),
        t_rss,
        t.as_secs_f64() / p.as_secs_f64()
    );
    Ok(())
}

fn parse() -> anyhow::Result<()> {
    let files = corpus_files()?;
    let texts: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let bytes: usize = texts.iter().map(Vec::len).sum();
    let mut runs = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let mut ok = 0;
        for b in &texts {
            ok += usize::from(plimsoll_dockerfile::Dockerfile::parse_bytes(b).is_ok());
        }
        runs.push(t.elapsed());
        assert!(ok > 0);
    }
    let m = median(runs);
    println!(
        "parse: {} corpus files, {:.2} MB, median of 20 passes {}: {:.1} MB/s, {:.0} files/s",
        files.len(),
        bytes as f64 / 1e6,
        ms(m),
        bytes as f64 / 1e6 / m.as_secs_f64(),
        files.len() as f64 / m.as_secs_f64()
    );
    Ok(())
}

fn startup() -> anyhow::Result<()> {
    let bin = plimsoll_release()?;
    let work = tempfile::tempdir()?;
    let sample = root().join("examples/Dockerfile");
    let cache = work.path().join("cache");

    // Cold: empty compiled-plugin cache every run.
    let cold = time_runs(5, || {
        let _ = std::fs::remove_dir_all(&cache);
        let mut c = Command::new(&bin);
        c.args(["check", "--format", "json", "--no-result-cache"])
            .arg(&sample)
            .env("PLIMSOLL_CACHE_DIR", &cache);
        c
    })?;
    // Warm: cache filled by the cold runs.
    let warm = time_runs(30, || {
        let mut c = Command::new(&bin);
        c.args(["check", "--format", "json", "--no-result-cache"])
            .arg(&sample)
            .env("PLIMSOLL_CACHE_DIR", &cache);
        c
    })?;
    println!(
        "startup: whole-process `plimsoll check` on one Dockerfile (release build, built-in lint plugin)"
    );
    println!(
        "  cold (empty plugin cache, compiles the component): median of 5  {}",
        ms(cold)
    );
    println!(
        "  warm (cached .cwasm):                              median of 30 {}",
        ms(warm)
    );

    // 1,000 files: real corpus files cycled.
    let files = corpus_files()?;
    let dir = work.path().join("many");
    for i in 0..1000 {
        let src = &files[i % files.len()];
        let d = dir.join(format!("{i:04}"));
        std::fs::create_dir_all(&d)?;
        std::fs::copy(src, d.join("Dockerfile"))?;
    }
    let many = time_runs(5, || {
        let mut c = offline_check(&bin, &cache);
        c.arg(&dir);
        c
    })?;
    let per = (many.saturating_sub(warm)).as_secs_f64() * 1000.0 / 1000.0;
    println!(
        "  1,000 corpus Dockerfiles in one process: median of 5 {} -> {:.3} ms per (plugin, file) beyond start-up (parse + fresh Store + instantiate + check + report, 2 cores)",
        ms(many),
        per
    );
    Ok(())
}

/// `plimsoll check --offline --format json --fail-on never --no-result-cache`
/// with its own compiled-plugin cache: what every timed run of the
/// benchmarks starts from (every file checked afresh; the re-run rows use
/// [`rerun_check`]).
fn offline_check(bin: &Path, cache: &Path) -> Command {
    let mut c = rerun_check(bin, cache);
    c.arg("--no-result-cache");
    c
}

/// Like [`offline_check`], with the result cache: a re-run over unchanged
/// files once a first run has filled it.
fn rerun_check(bin: &Path, cache: &Path) -> Command {
    let mut c = Command::new(bin);
    c.args([
        "check",
        "--offline",
        "--format",
        "json",
        "--fail-on",
        "never",
    ])
    .env("PLIMSOLL_CACHE_DIR", cache);
    c
}

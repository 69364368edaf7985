//! `cargo xtask bench plugins`: the example plugin in each language (Rust with
//! the SDK, Python via componentize-py, JavaScript via componentize-qjs):
//! component size, toolchain build time, plimsoll's cold compile (empty
//! plugin cache), cached load, and time per Dockerfile checked.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::bench::{corpus_files, ms, plimsoll_release, root, time_runs};

struct Lang {
    name: &'static str,
    rule: &'static str,
    dir: &'static str,
}

const LANGS: &[Lang] = &[
    Lang {
        name: "rust",
        rule: "CORP010",
        dir: "plugins/examples/required-labels",
    },
    Lang {
        name: "python",
        rule: "CORP020",
        dir: "plugins/examples/no-pipe-to-shell",
    },
    Lang {
        name: "js",
        rule: "CORP030",
        dir: "plugins/examples/banned-packages",
    },
];

/// Builds the example of `lang` into `out`; returns the component's path.
fn build(lang: &Lang, out: &Path) -> anyhow::Result<PathBuf> {
    let dir = root().join(lang.dir);
    let wasm = out.join(format!("{}.wasm", lang.name));
    let mut cmd = match lang.name {
        "rust" => {
            let mut c = Command::new(env!("CARGO"));
            c.args([
                "build",
                "--locked",
                "-p",
                "plimsoll-example-required-labels",
                "--target",
                "wasm32-wasip2",
                "--profile",
                "wasm-plugin",
            ])
            .env("CARGO_TARGET_DIR", root().join("target/wasm-plugins"))
            .current_dir(root());
            c
        }
        "python" => {
            let venv = std::env::var_os("PLIMSOLL_TOOLS_VENV")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("target/tools-venv"));
            let mut c = Command::new(venv.join("bin/componentize-py"));
            c.args([
                "-d",
                "../../../wit",
                "-w",
                "dockerfile-plugin",
                "componentize",
                "app",
                "-o",
            ])
            .arg(&wasm)
            .current_dir(&dir);
            c
        }
        _ => {
            let mut c =
                Command::new(root().join("target/tools-node/node_modules/.bin/componentize-qjs"));
            c.args([
                "-w",
                "../../../wit",
                "-n",
                "dockerfile-plugin",
                "-j",
                "plugin.js",
                "--sync",
                "-o",
            ])
            .arg(&wasm)
            .current_dir(&dir);
            c
        }
    };
    let t = Instant::now();
    let out_status = cmd.output().with_context(|| {
        format!(
            "building the {} example (run scripts/test once to install the toolchains)",
            lang.name
        )
    })?;
    if !out_status.status.success() {
        bail!(
            "building the {} example failed:\n{}",
            lang.name,
            String::from_utf8_lossy(&out_status.stderr)
        );
    }
    println!("  {:<7} toolchain build {}", lang.name, ms(t.elapsed()));
    if lang.name == "rust" {
        std::fs::copy(
            root().join("target/wasm-plugins/wasm32-wasip2/wasm-plugin/plimsoll_example_required_labels.wasm"),
            &wasm,
        )?;
    }
    Ok(wasm)
}

pub fn run() -> anyhow::Result<()> {
    let bin = plimsoll_release()?;
    let work = tempfile::tempdir()?;
    let files = corpus_files()?;
    let many = work.path().join("many");
    for (i, src) in files.iter().take(200).enumerate() {
        let d = many.join(format!("{i:03}"));
        std::fs::create_dir_all(&d)?;
        std::fs::copy(src, d.join("Dockerfile"))?;
    }
    let one = root().join("examples/Dockerfile");
    println!("plugins: the example plugin of each language, release plimsoll, 2 cores");
    let mut rows = Vec::new();
    for lang in LANGS {
        let wasm = build(lang, work.path())?;
        let size = std::fs::metadata(&wasm)?.len();
        let project = work.path().join(lang.name);
        std::fs::create_dir_all(&project)?;
        std::fs::write(
            project.join("plimsoll.toml"),
            format!(
                "[[plugins]]\nname = \"example\"\nsource = {:?}\n",
                wasm.display().to_string()
            ),
        )?;
        let cache = project.join("cache");
        let check = |target: &Path| {
            let mut c = Command::new(&bin);
            c.args([
                "check",
                "--offline",
                "--format",
                "json",
                "--fail-on",
                "never",
                // Every run asks the plugin (not the result cache).
                "--no-result-cache",
                "--select",
                lang.rule,
            ])
            .arg(target)
            .current_dir(&project)
            .env("PLIMSOLL_CACHE_DIR", &cache);
            c
        };
        let cold = time_runs(3, || {
            let _ = std::fs::remove_dir_all(&cache);
            check(&one)
        })?;
        let warm = time_runs(15, || check(&one))?;
        let bulk = time_runs(3, || check(&many))?;
        let per_file = bulk.saturating_sub(warm).as_secs_f64() * 1000.0 / 200.0;
        rows.push((lang.name, size, cold, warm, per_file));
    }
    println!("  language  size        cold (compile)  cached load+check  per Dockerfile");
    for (name, size, cold, warm, per) in rows {
        println!(
            "  {name:<8}  {:>7.2} MB  {:>14}  {:>17}  {per:.3} ms",
            size as f64 / 1e6,
            ms(cold),
            ms(warm)
        );
    }
    println!(
        "  (cold: whole `plimsoll check` of one file with an empty plugin cache, median of 3; cached: the same with the .cwasm cached, median of 15; per Dockerfile: 200 corpus files in one process, minus the cached single-file run, /200)"
    );
    Ok(())
}

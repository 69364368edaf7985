//! Helpers for end-to-end tests: run the real binary in a scratch directory with
//! a private plugin cache.

#![allow(dead_code)]

pub mod hostile_registry;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Rule ids of the findings in JSON output.
    pub fn rule_ids(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// The result-cache lookups of `plugin` a `-vv` run logged: (hits,
    /// misses).
    #[allow(dead_code, reason = "used by the test targets that count them")]
    /// Of the whole-file result cache's hits logged by `-vv` for paths
    /// containing `path`: how many, and how many without reading the file.
    pub fn whole_file_hits(&self, path: &str) -> (usize, usize) {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.contains("result cache hit (whole file)") && l.contains(path))
            .collect();
        let unread = lines
            .iter()
            .filter(|l| l.contains("read") && l.contains("false"))
            .count();
        (lines.len(), unread)
    }

    pub fn cache_lookups(&self, plugin: &str) -> (usize, usize) {
        let count = |what: &str| {
            self.stderr
                .lines()
                .filter(|l| l.contains(what) && l.contains("plugin") && l.contains(plugin))
                .count()
        };
        (count("result cache hit"), count("result cache miss"))
    }
}

/// A scratch project directory.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }

    /// Runs `plimsoll ARGS` in the project directory.
    /// `plimsoll -vv check --offline ARGS` with its caches under `cache`.
    pub fn check_cached(&self, cache: &Path, args: &[&str]) -> Run {
        let mut all = vec!["-vv", "check", "--offline"];
        all.extend_from_slice(args);
        Run::from(
            self.command(&all)
                .env("PLIMSOLL_CACHE_DIR", cache)
                .output()
                .unwrap(),
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_plimsoll"));
        c.args(args)
            .current_dir(self.dir.path())
            .env("PLIMSOLL_CACHE_DIR", cache_dir())
            .env("PLIMSOLL_CACHE_KEY", cache_key())
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_WORKSPACE")
            .env_remove("CI_PROJECT_DIR")
            .env_remove("PLIMSOLL_CONFIG");
        c
    }
}

/// One compiled-plugin cache for the whole test run.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plimsoll-test-cache")
}

/// Its key, beside it (not inside: plimsoll refuses that): one key for
/// every test, whatever `HOME` a test sets, so tests share entries instead
/// of rewriting each other's.
pub fn cache_key() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plimsoll-test-cache.key")
}

/// A TOML string literal for a path.
pub fn toml_path(p: &str) -> String {
    format!("{p:?}")
}

/// The shared registry stack's exported variable `PLIMSOLL_TEST_<name>`, or
/// `None` with the reason printed when the stack's environment is absent
/// (a failure under `PLIMSOLL_REQUIRE_STACK=1`).
pub fn stack_var(name: &str) -> Option<String> {
    let v = std::env::var(format!("PLIMSOLL_TEST_{name}")).ok();
    if v.is_none() {
        assert!(
            std::env::var_os("PLIMSOLL_REQUIRE_STACK").is_none(),
            "PLIMSOLL_REQUIRE_STACK is set but PLIMSOLL_TEST_{name} is not"
        );
        eprintln!(
            "skipped: PLIMSOLL_TEST_{name} is unset (run ../shared/stack/up and eval \"$(../shared/stack/env)\")"
        );
    }
    v
}

/// The OSV fixture (tests/fixtures/osv) zipped and served the way the OSV
/// bucket lays it out (`<URL>/<Ecosystem>/all.zip`), until dropped.
pub struct OsvServer(std::process::Child, pub String);

impl Drop for OsvServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn serve_osv(work: &Path) -> OsvServer {
    use std::io::BufRead;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut child = Command::new("python3")
        .arg(root.join("tests/support/serve_osv.py"))
        .arg(root.join("tests/fixtures/osv"))
        .arg(work)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    OsvServer(child, line.trim().to_string())
}

/// Whether the oracle tool `program` is installed (it answers `arg`); when
/// it is not, prints the skip reason (or fails with
/// `PLIMSOLL_REQUIRE_ORACLES=1`). `apt` names the package that has it.
pub fn oracle(program: &str, arg: &str, apt: &str) -> bool {
    if Command::new(program).arg(arg).output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "PLIMSOLL_REQUIRE_ORACLES=1 but `{program}` is not installed (apt install {apt})"
    );
    eprintln!("skipped: no `{program}` on PATH (apt install {apt})");
    false
}

/// Validates `file` against the JSON Schema `schema` with check-jsonschema
/// from the tools venv (`PLIMSOLL_TOOLS_PYTHON`); says it skipped when the
/// validator or the schema is missing (a failure under
/// `PLIMSOLL_REQUIRE_ORACLES=1`).
#[allow(dead_code)]
pub fn validate_json_schema(schema: &Path, file: &Path) {
    let python = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let validator = Path::new(&python)
        .parent()
        .map(|p| p.join("check-jsonschema"))
        .unwrap_or_default();
    if !schema.is_file() || !validator.exists() {
        assert!(
            std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "PLIMSOLL_REQUIRE_ORACLES=1 but {} or check-jsonschema is missing",
            schema.display()
        );
        eprintln!(
            "SKIPPED validating {} against {}",
            file.display(),
            schema.display()
        );
        return;
    }
    let out = Command::new(validator)
        .arg("--schemafile")
        .arg(schema)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} does not validate against {}:\n{}{}",
        file.display(),
        schema.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A tool of the tools venv (`PLIMSOLL_TOOLS_PYTHON`'s directory), or `None`
/// with the skip printed (a failure under `PLIMSOLL_REQUIRE_ORACLES=1`).
pub fn venv_tool(name: &str) -> Option<PathBuf> {
    let py = PathBuf::from(std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_default());
    let tool = py.parent().map(|d| d.join(name));
    if let Some(t) = tool.filter(|t| t.exists()) {
        return Some(t);
    }
    skip(&format!(
        "{name} is not installed (bash scripts/test installs it)"
    ));
    None
}

/// Says a test skipped, or fails it under `PLIMSOLL_REQUIRE_ORACLES=1`.
pub fn skip(why: &str) {
    if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("{why}");
    }
    eprintln!("skipped: {why}");
}

/// Runs tests/support/patch_image.py: copies the stack's debian-like:12 to
/// `repo:12`, with `edits` (PATH OLD NEW...) as one added layer; the digest.
pub fn push_patched(registry: &str, repo: &str, edits: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("../../tests/support/patch_image.py"))
        .arg(root.join("../../../shared/stack/lib"))
        .args([registry, "library/debian-like", "12", repo, "12"])
        .args(edits)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The edits that move debian-like:12's openssl and glibc to the versions
/// fixing CVE-2023-5363 and CVE-2023-6246 of the OSV fixture.
pub const PATCHED_OPENSSL_GLIBC: &[&str] = &[
    "var/lib/dpkg/status",
    "Version: 3.0.11-1~deb12u1",
    "Version: 3.0.11-1~deb12u2",
    "var/lib/dpkg/status",
    "Version: 2.36-9+deb12u3",
    "Version: 2.36-9+deb12u4",
];

//! Plugin authoring end to end: the example plugins in plugins/examples/
//! (Rust, Python via componentize-py, JavaScript via componentize-qjs) built
//! with their real toolchains and run through the binary on their fixtures
//! (`plimsoll plugin test`), and `plimsoll plugin new` scaffolds in each
//! language that build with their one command and pass their own tests.
//! The Python and JavaScript toolchains come from scripts/test (PyPI, npm);
//! without them these tests print that they skipped (PLIMSOLL_REQUIRE_ORACLES=1
//! fails them instead).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Project, Run};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A toolchain binary, or `None` (printed; a failure when oracles are
/// required).
fn tool(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
        "{what} is not installed at {} (scripts/test installs it)",
        path.display()
    );
    eprintln!(
        "skipped: {what} is not installed at {} (scripts/test installs it)",
        path.display()
    );
    None
}

fn componentize_py() -> Option<PathBuf> {
    let venv = std::env::var_os("PLIMSOLL_TOOLS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools-venv"));
    tool(venv.join("bin/componentize-py"), "componentize-py")
}

fn node_modules() -> Option<PathBuf> {
    let m = root().join("target/tools-node/node_modules");
    tool(m.join(".bin/componentize-qjs"), "componentize-qjs")?;
    Some(m)
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(r: &Run, what: &str) {
    assert_eq!(r.code, 0, "{what}:\n{}\n{}", r.stdout, r.stderr);
}

/// `plimsoll plugin test WASM fixtures` in `dir`: every fixture passes.
fn fixtures_pass(dir: &Path, wasm: &Path) {
    let p = Project::new();
    let r = run(p
        .command(&["plugin", "test", wasm.to_str().unwrap(), "fixtures"])
        .current_dir(dir));
    ok(&r, &format!("plugin test in {}", dir.display()));
    assert!(r.stdout.contains(", 0 failed"), "{}", r.stdout);
}

#[test]
fn the_rust_example_passes_its_fixtures_and_the_harness_catches_a_wrong_one() {
    let dir = root().join("plugins/examples/required-labels");
    let wasm = Path::new(plimsoll_test_programs::EXAMPLE_REQUIRED_LABELS);
    fixtures_pass(&dir, wasm);
    // A fixture that expects what the plugin does not report fails, naming
    // the line, and so does a finding no fixture expects.
    let p = Project::new();
    p.file(
        "fixtures/wrong.Dockerfile",
        "# expect: CORP010\nFROM a\nLABEL org.opencontainers.image.source=x org.opencontainers.image.licenses=MIT\n# expect: CORP999\nUSER 1\n",
    );
    p.file("fixtures/unexpected.Dockerfile", "FROM a\n");
    let r = p.run(&["plugin", "test", wasm.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("line 2: expected 1 CORP010, got 0"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("line 5: expected 1 CORP999, got 0"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("line 1: unexpected CORP010: the final image does not set label"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 fixtures, 2 failed"), "{}", r.stdout);
}

#[test]
fn the_python_example_builds_with_componentize_py_and_passes_its_fixtures() {
    let Some(cpy) = componentize_py() else { return };
    let dir = root().join("plugins/examples/no-pipe-to-shell");
    let out = tempfile::tempdir().unwrap();
    let wasm = out.path().join("no_pipe_to_shell.wasm");
    ok(
        &run(Command::new(&cpy)
            .args([
                "-d",
                "../../../wit",
                "-w",
                "dockerfile-plugin",
                "componentize",
                "app",
                "-o",
            ])
            .arg(&wasm)
            .current_dir(&dir)),
        "componentize-py",
    );
    fixtures_pass(&dir, &wasm);
}

#[test]
fn the_javascript_example_builds_with_componentize_qjs_and_passes_its_fixtures() {
    let Some(modules) = node_modules() else {
        return;
    };
    let dir = root().join("plugins/examples/banned-packages");
    let out = tempfile::tempdir().unwrap();
    let wasm = out.path().join("banned_packages.wasm");
    ok(
        &run(Command::new(modules.join(".bin/componentize-qjs"))
            .args([
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
            .current_dir(&dir)),
        "componentize-qjs",
    );
    fixtures_pass(&dir, &wasm);
}

/// `plimsoll plugin new NAME --lang LANG` in a scratch directory.
fn scaffold(p: &Project, lang: &str) -> PathBuf {
    let r = p.run(&["plugin", "new", "acme-policy", "--lang", lang]);
    ok(&r, "plugin new");
    assert!(r.stderr.contains("ACME001"), "{}", r.stderr);
    p.path().join("acme-policy")
}

/// PATH with the binary under test first, as a user's would have it.
fn path_with_plimsoll() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_plimsoll"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

#[test]
fn plugin_new_rust_builds_with_cargo_and_its_tests_pass() {
    let p = Project::new();
    let dir = scaffold(&p, "rust");
    // One target dir across runs: the SDK's dependencies compile once.
    let target = root().join("target/scaffold");
    ok(
        &run(Command::new(env!("CARGO"))
            .args(["build", "--release", "--target", "wasm32-wasip2"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&dir)),
        "cargo build",
    );
    let r = run(Command::new(env!("CARGO"))
        .args(["test"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir));
    ok(&r, "cargo test");
    assert!(
        r.stdout.contains("test result: ok. 2 passed"),
        "{}",
        r.stdout
    );
    fixtures_pass(&dir, &target.join("wasm32-wasip2/release/acme_policy.wasm"));
    // Refuses to overwrite, and a bad name is a usage error.
    assert_eq!(p.run(&["plugin", "new", "acme-policy"]).code, 2);
    assert_eq!(p.run(&["plugin", "new", "Acme_Policy"]).code, 2);
}

#[test]
fn plugin_new_python_builds_with_its_script_and_its_tests_pass() {
    let Some(cpy) = componentize_py() else { return };
    let p = Project::new();
    let dir = scaffold(&p, "python");
    let mut path = vec![cpy.parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(&path_with_plimsoll()));
    ok(
        &run(Command::new("sh")
            .arg("build.sh")
            .env("PATH", std::env::join_paths(path).unwrap())
            .current_dir(&dir)),
        "sh build.sh",
    );
    fixtures_pass(&dir, &dir.join("acme_policy.wasm"));
}

#[test]
fn plugin_new_js_builds_with_npm_and_its_tests_pass() {
    let Some(modules) = node_modules() else {
        return;
    };
    let p = Project::new();
    let dir = scaffold(&p, "js");
    // `npm install` would fetch componentize-qjs; use the one scripts/test
    // installed (the same pinned version).
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();
    for script in ["build", "test"] {
        let r = run(Command::new("npm")
            .args(["run", "--silent", script])
            .env("PATH", path_with_plimsoll())
            .env("PLIMSOLL_CACHE_DIR", support::cache_dir())
            .env("PLIMSOLL_CACHE_KEY", support::cache_key())
            .current_dir(&dir));
        ok(&r, &format!("npm run {script}"));
        if script == "test" {
            assert!(r.stdout.contains("2 fixtures, 0 failed"), "{}", r.stdout);
        }
    }
}

/// Compatibility: a plugin built against `plimsoll:plugin@0.1.0` (the
/// required-labels example, built and annotated when 0.1.0 was current, kept
/// as a binary) keeps loading and passing its fixtures as the WIT grows.
/// See docs/plugins/versioning.md.
#[test]
fn a_plugin_built_against_wit_0_1_0_keeps_loading() {
    let fixture = root().join("tests/fixtures/plugins/required-labels-wit-0.1.0.wasm");
    let dir = root().join("plugins/examples/required-labels");
    fixtures_pass(&dir, &fixture);
    let p = Project::new();
    let r = p.run(&[
        "plugin",
        "inspect",
        fixture.to_str().unwrap(),
        "--format",
        "json",
    ]);
    ok(&r, "plugin inspect");
    let j = r.json();
    assert_eq!(j["name"], "required-labels");
    assert_eq!(j["annotated"], true, "its metadata section still reads");
    // Built before `dockerfile-text-check` existed: it gets the records.
    assert_eq!(j["checks"]["dockerfile_input"], "records");
    assert!(
        j["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "plimsoll:plugin/dockerfile@0.1.0"),
        "{}",
        j["imports"]
    );
}

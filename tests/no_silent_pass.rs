//! Exit 0 means "checked, and nothing at or above --fail-on": a panic, a lost
//! worker, a plugin's odd log line, an oversized file or a run with nothing
//! to check must each say so, and never turn into a quiet pass.

mod support;

use support::{Project, toml_path};

const BAD: &str = "FROM debian:latest\nUSER 1000\n";

fn hostile(behaviour: &str, capabilities: &str) -> String {
    format!(
        "[[plugins]]\nname = \"hostile\"\nsource = {}\ncapabilities = [{capabilities}]\nsettings = {{ behaviour = \"{behaviour}\" }}\n",
        toml_path(plimsoll_test_programs::HOSTILE)
    )
}

fn findings_of(j: &serde_json::Value, plugin: &str) -> Vec<(String, String)> {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == plugin)
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A third-party plugin logs 4,095 ASCII bytes then multi-byte characters:
/// the host's cut at 4,096 bytes lands inside a character. The run goes on:
/// the built-in lint's findings and the plugin's own are reported, exit 1.
#[test]
fn a_log_line_cut_inside_a_character_does_not_lose_the_run() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    p.file("plimsoll.toml", &hostile("long-log", ""));
    // The plugin must run (not be answered from another run's cache) to log.
    let r = p.run(&["check", "--no-result-cache", "--format", "json", "-v"]);
    let j = r.json();
    assert!(j["errors"].as_array().unwrap().is_empty(), "{j:#}");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        findings_of(&j, "lint").iter().any(|(id, _)| id == "PL1002"),
        "{j:#}"
    );
    assert_eq!(findings_of(&j, "hostile").len(), 1, "{j:#}");
    // The log line itself reached the log, cut and marked.
    assert!(
        r.stderr.contains("aaaa…") || r.stderr.contains("é…"),
        "{}",
        r.stderr
    );
}

fn two_targets() -> Project {
    let p = Project::new();
    p.file("a/Dockerfile", BAD);
    p.file("b/Dockerfile", BAD);
    p
}

/// A panic while one plugin checks one target costs that pair only: exit 3,
/// an `internal-error` naming the target and the plugin, and every other
/// finding still reported.
#[test]
fn a_panic_in_one_plugin_call_is_exit_3_naming_it() {
    let p = two_targets();
    let r = Run::env(&p, "plugin-lint:b/Dockerfile");
    assert_eq!(r.0, 3, "{}", r.2);
    let errors = r.1["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "internal-error");
    assert_eq!(errors[0]["plugin"], "lint");
    assert_eq!(errors[0]["target"], "b/Dockerfile");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("checking b/Dockerfile with plugin lint"),
        "{msg}"
    );
    assert!(msg.contains("fault injected"), "{msg}");
    let lint = findings_of(&r.1, "lint");
    assert!(
        lint.iter()
            .any(|(id, path)| id == "PL1002" && path == "a/Dockerfile"),
        "{lint:?}"
    );
    assert!(
        !lint.iter().any(|(_, path)| path == "b/Dockerfile"),
        "{lint:?}"
    );
    // Both targets are counted as targets of the run.
    assert_eq!(
        r.1["summary"]["targets"],
        serde_json::json!(["a/Dockerfile", "b/Dockerfile"])
    );
}

/// A panic anywhere in checking a target (here before any plugin runs):
/// exit 3, the target named, the other target's findings present; in every
/// format, not only JSON.
#[test]
fn a_panic_checking_a_target_is_exit_3_and_the_rest_report() {
    let p = two_targets();
    let r = Run::env(&p, "target:a/Dockerfile");
    assert_eq!(r.0, 3, "{}", r.2);
    let errors = r.1["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "internal-error");
    assert_eq!(errors[0]["target"], "a/Dockerfile");
    assert!(errors[0]["plugin"].is_null());
    let lint = findings_of(&r.1, "lint");
    assert!(
        lint.iter()
            .any(|(id, path)| id == "PL1002" && path == "b/Dockerfile"),
        "{lint:?}"
    );
    let human = p
        .command(&["check"])
        .env_remove("RUST_BACKTRACE")
        .env("PLIMSOLL_TEST_PANIC", "target:a/Dockerfile")
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(3));
    let out = String::from_utf8_lossy(&human.stdout).to_string()
        + &String::from_utf8_lossy(&human.stderr);
    assert!(
        out.contains("internal error while checking a/Dockerfile"),
        "{out}"
    );
    assert!(
        !out.contains("panicked at"),
        "the panic hook printed a raw panic: {out}"
    );
}

struct Run;

impl Run {
    /// `check --format json` with a fault injected: (code, JSON, stderr).
    /// Without the result cache: the tests share one cache directory, and
    /// another test's answer for the same Dockerfile would be copied without
    /// calling the plugin the fault is injected into.
    fn env(p: &Project, fault: &str) -> (i32, serde_json::Value, String) {
        let o = p
            .command(&["check", "--no-result-cache", "--format", "json"])
            .env("PLIMSOLL_TEST_PANIC", fault)
            .output()
            .unwrap();
        let r = support::Run::from(o);
        (r.code, r.json(), r.stderr)
    }
}

/// `capabilities = ["packages"]`, as docs/plugins/authoring.md tells authors,
/// loads; an unknown capability is a config error at the value's
/// line:column with a suggestion (exit 2).
#[test]
fn capabilities_are_one_vocabulary() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    p.file("plimsoll.toml", &hostile("fine", "\"packages\", \"image\""));
    let r = p.run(&["check", "--format", "json"]);
    assert!(
        r.json()["errors"].as_array().unwrap().is_empty(),
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 1);
    p.file(
        "plimsoll.toml",
        &hostile("fine", "\"registry\", \"pakages\""),
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("plimsoll.toml:4:29"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown capability `pakages`"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("did you mean `packages`?"),
        "{}",
        r.stderr
    );
    // The CLI takes the same words.
    let r = p.run(&[
        "plugin",
        "test",
        plimsoll_test_programs::HOSTILE,
        "--grant",
        "pakages",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("packages"), "{}", r.stderr);
}

/// Inside GitHub Actions the default format is `github`: annotations on
/// stdout and a table in $GITHUB_STEP_SUMMARY. An explicit --format wins.
#[test]
fn github_actions_gets_annotations_and_a_step_summary_by_default() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let summary = p.path().join("summary.md");
    let run = |args: &[&str]| {
        let o = p
            .command(args)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap();
        support::Run::from(o)
    };
    let r = run(&["check"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains("::warning file=Dockerfile,line=1"),
        "{}",
        r.stdout
    );
    let table = std::fs::read_to_string(&summary).expect("no step summary written");
    assert!(table.contains("PL1002"), "{table}");
    std::fs::remove_file(&summary).unwrap();
    let r = run(&["check", "--format", "json"]);
    assert_eq!(r.code, 1);
    r.json();
    assert!(!summary.exists(), "json output wrote a step summary");
}

/// A 50 MB "Dockerfile" is refused by name before anything parses it (exit
/// 3), and `[limits] max-file-mib` sets the limit.
#[test]
fn oversized_files_are_refused_before_parsing() {
    let p = Project::new();
    let line = "RUN echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    let big = format!("FROM debian:12\n{}", line.repeat(50_000_000 / line.len()));
    p.file("big/Dockerfile", &big);
    p.file("small/Dockerfile", BAD);
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let j = r.json();
    let errors = j["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], "target-too-large");
    assert_eq!(errors[0]["target"], "big/Dockerfile");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("max-file-mib")
    );
    assert!(
        findings_of(&j, "lint")
            .iter()
            .any(|(_, path)| path == "small/Dockerfile")
    );
    // The limit is the config's: a 2 MiB file passes by default and is
    // refused under `max-file-mib = 1`.
    let comment = format!("# {}\n", "a".repeat(78));
    let medium = format!(
        "FROM debian:12\n{}",
        comment.repeat((2 << 20) / comment.len())
    );
    p.file("medium/Dockerfile", &medium);
    let r = p.run(&["check", "medium", "--format", "json", "--select", "PL1002"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    p.file("plimsoll.toml", "[limits]\nmax-file-mib = 1\n");
    let r = p.run(&["check", "medium", "--format", "json", "--select", "PL1002"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json()["errors"][0]["kind"], "target-too-large");
}

/// Nothing to check: a warning, exit 0, and every requested report written,
/// valid and empty; `--fail-on-empty` (or `fail-on-empty = true`) makes it
/// exit 2.
#[test]
fn nothing_to_check_is_a_warning_with_valid_empty_reports() {
    let p = Project::new();
    p.file("README.md", "# not a Dockerfile\n");
    let r = p.run(&[
        "check",
        "--format",
        "sarif",
        "-o",
        "out.sarif",
        "--format",
        "junit",
        "-o",
        "out.xml",
        "--format",
        "json",
        "-o",
        "out.json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: no Dockerfiles found under ."),
        "{}",
        r.stderr
    );
    let sarif: serde_json::Value = serde_json::from_str(&p.read("out.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert!(p.read("out.xml").contains("<testsuites"));
    let json: serde_json::Value = serde_json::from_str(&p.read("out.json")).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 0);
    let r = p.run(&["check", "--fail-on-empty"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no Dockerfiles found"), "{}", r.stderr);
    p.file("plimsoll.toml", "fail-on-empty = true\n");
    assert_eq!(p.run(&["check"]).code, 2);
    // A named path that does not exist is still a usage error.
    assert_eq!(p.run(&["check", "missing-dir"]).code, 2);
}

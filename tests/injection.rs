//! Text from outside — a plugin's message, log and stderr, a registry's error
//! body, a file name — must not drive a GitHub runner (`::add-mask::`,
//! `::error`, `##[group]` at the start of a line of stdout or stderr) or a
//! terminal (escape sequences), and must keep every report valid: in every
//! format, under `GITHUB_ACTIONS=true`.

mod support;

use support::hostile_registry::{Behaviour, HostileRegistry};
use support::{Project, toml_path};

const FORMATS: &[&str] = &["human", "github", "json", "sarif", "gitlab", "junit"];

/// What a run wrote, with the step summary.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
    summary: String,
}

fn run_in_actions(p: &Project, args: &[&str]) -> Out {
    let summary = p.path().join("step-summary.md");
    let _ = std::fs::remove_file(&summary);
    let o = p
        .command(args)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

/// No line that a runner would execute, except the annotations plimsoll
/// writes itself (`::warning file=...`), whose text must then be escaped;
/// no escape character or BEL anywhere.
fn assert_inert(format: &str, stream: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{format} {stream} holds a raw control character:\n{text}"
    );
    // JSON documents may hold bidi controls as themselves (valid JSON, and
    // read by programs); what people read may not.
    let for_people = !matches!(format, "json" | "sarif" | "gitlab") || stream == "stderr";
    assert!(
        !for_people || !text.contains('\u{202e}'),
        "{format} {stream} holds a raw bidi control:\n{text}"
    );
    let mut stopped: Option<String> = None;
    for line in text.lines() {
        if let Some(token) = &stopped {
            if line == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = line.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_string());
            continue;
        }
        // plimsoll's own annotations always carry a `title=` property
        // (the injected `::error file=x.py,line=1::pwned` has none); the
        // outside text inside them is %-encoded onto the same line.
        let ours = ["::warning ", "::error ", "::notice "]
            .iter()
            .any(|p| line.starts_with(p))
            && line[2..]
                .split_once("::")
                .is_some_and(|(props, _)| props.contains("title="));
        assert!(
            !(line.starts_with("::") || line.starts_with("##[")) || ours,
            "{format} {stream}: a runner would execute\n{line}\nin\n{text}"
        );
    }
}

fn assert_valid(format: &str, stdout: &str) {
    match format {
        "json" | "sarif" | "gitlab" => {
            serde_json::from_str::<serde_json::Value>(stdout)
                .unwrap_or_else(|e| panic!("{format} is not JSON ({e}):\n{stdout}"));
        }
        "junit" => {
            roxmltree::Document::parse(stdout)
                .unwrap_or_else(|e| panic!("junit is not XML ({e}):\n{stdout}"));
        }
        _ => {}
    }
}

/// The step summary's table keeps one row per finding, and outside text
/// adds no rows, links, images or HTML.
fn assert_summary(summary: &str, findings: usize) {
    let rows = summary.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(
        rows,
        findings + 1,
        "header plus one row per finding:\n{summary}"
    );
    assert!(
        !summary.contains("<img") && !summary.contains("\n::"),
        "{summary}"
    );
}

#[test]
fn a_plugins_text_is_inert_in_every_format() {
    let p = Project::new();
    p.file("Dockerfile", "FROM debian:12\n");
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"hostile\"\nsource = {}\nsettings = {{ behaviour = \"inject\" }}\n",
            toml_path(plimsoll_test_programs::HOSTILE)
        ),
    );
    for format in FORMATS {
        let out = run_in_actions(
            &p,
            // The plugin must run each time (its log line is checked): a
            // cached answer replays findings, not log lines.
            &[
                "check",
                "--no-result-cache",
                "--select",
                "hostile",
                "-v",
                "--format",
                format,
            ],
        );
        assert_eq!(out.code, 0, "{format}: {}", out.stderr);
        assert_inert(format, "stdout", &out.stdout);
        assert_inert(format, "stderr", &out.stderr);
        assert_valid(format, &out.stdout);
        if *format == "github" {
            assert_summary(&out.summary, 1);
        }
        // The text is still there to read, shown visibly.
        assert!(
            out.stdout.contains("add-mask") || out.stdout.contains("add\\u002dmask"),
            "{format} dropped the message:\n{}",
            out.stdout
        );
    }
    // `-v` shows the plugin's log line, on one line.
    let out = run_in_actions(
        &p,
        &[
            "check",
            "--no-result-cache",
            "--select",
            "hostile",
            "-v",
            "--format",
            "json",
        ],
    );
    assert!(
        out.stderr.contains("seen\\n::add-mask::s3cret"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_registrys_error_body_is_inert_in_every_format() {
    let registry = HostileRegistry::start(Behaviour::InjectingNotFound);
    let p = Project::new();
    let image = format!("{}/team/app:1.0", registry.addr);
    for format in FORMATS {
        let out = run_in_actions(&p, &["check", "--image", &image, "--format", format]);
        assert_eq!(out.code, 3, "{format}: {}\n{}", out.stdout, out.stderr);
        assert_inert(format, "stdout", &out.stdout);
        assert_inert(format, "stderr", &out.stderr);
        assert_valid(format, &out.stdout);
        if *format == "github" {
            assert!(out.summary.contains("could not run"), "{}", out.summary);
            assert!(!out.summary.contains("\n::"), "{}", out.summary);
        }
    }
    // A registry error that ends a command (`pin` makes registry failures
    // run errors; `sbom` fails outright) goes through the same layer.
    let out = run_in_actions(&p, &["sbom", &image]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_inert("sbom", "stderr", &out.stderr);
    assert!(
        out.stderr.contains("MANIFEST_UNKNOWN") || out.stderr.contains("gone"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_name_is_inert_in_every_format() {
    let p = Project::new();
    let evil = "svc\n::add-mask::s3cret\n::error file=x.py,line=1::pwned\n| a | b |\n![i](https:x)";
    p.file(&format!("{evil}/Dockerfile"), "FROM debian:latest\n");
    for format in FORMATS {
        let out = run_in_actions(&p, &["check", "--select", "PL1002", "--format", format]);
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert_inert(format, "stdout", &out.stdout);
        assert_inert(format, "stderr", &out.stderr);
        assert_valid(format, &out.stdout);
        if *format == "github" {
            assert_summary(&out.summary, 1);
            assert!(!out.summary.contains("![i]"), "{}", out.summary);
        }
    }
}

#[test]
fn listing_commands_show_plugin_text_inertly() {
    let p = Project::new();
    for args in [
        vec!["plugin", "inspect", plimsoll_test_programs::HOSTILE],
        vec![
            "plugin",
            "test",
            plimsoll_test_programs::HOSTILE,
            "fixtures",
            "--settings",
            r#"{"behaviour":"inject"}"#,
        ],
    ] {
        p.file(
            "fixtures/Dockerfile",
            "# expect: HOSTILE001\nFROM debian:12\n",
        );
        let out = run_in_actions(&p, &args);
        assert_inert(args[1], "stdout", &out.stdout);
        assert_inert(args[1], "stderr", &out.stderr);
    }
}

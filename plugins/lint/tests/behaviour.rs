//! Behaviours that cut across one fixture per rule.

use plimsoll_plugin_lint::util::Date;
use plimsoll_plugin_lint::{LintSettings, run_rules_at};
use plimsoll_plugin_sdk::{Document, Finding, Level};

const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

fn findings(text: &str, id: &str) -> Vec<Finding> {
    let doc = Document::parse("Dockerfile", text).unwrap();
    let mut f = run_rules_at(&doc, &LintSettings::default(), TODAY, |r| r.id == id);
    f.sort_by_key(|f| f.span().map(|s| s.start));
    f
}

#[test]
fn unknown_instruction_is_a_note_under_a_custom_frontend() {
    let standard = findings(
        "# syntax=docker/dockerfile:1\nFROM alpine:3.22\nDEPLOY prod\n",
        "PL9001",
    );
    assert_eq!(standard[0].level, Level::Error);
    let custom = findings(
        "# syntax=example.com/frontend:1\nFROM alpine:3.22\nDEPLOY prod\n",
        "PL9001",
    );
    assert_eq!(custom[0].level, Level::Note);
}

#[test]
fn grouped_rules_say_which_peer_check_each_finding_is() {
    let covers = |f: &Finding| -> Vec<String> {
        f.properties
            .as_ref()
            .and_then(|p| p.get("covers"))
            .and_then(|c| c.as_array())
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let tls = findings(
        "FROM alpine:3.22\nRUN curl -k https://x\nENV GIT_SSL_NO_VERIFY=0\n",
        "PL4003",
    );
    assert_eq!(covers(&tls[0]), vec!["CKV2_DOCKER_2"]);
    assert_eq!(
        covers(&tls[1]),
        vec!["CKV2_DOCKER_14"],
        "git checks only that the variable exists"
    );
    let rpm = findings(
        "FROM fedora:41\nRUN yum install x && zypper install y\n",
        "PL2010",
    );
    assert_eq!(
        rpm.iter().map(covers).collect::<Vec<_>>(),
        vec![vec!["DL3030".to_string()], vec!["DL3034".to_string()]]
    );
}

#[test]
fn case_arms_are_looked_into() {
    let f = findings(
        "FROM debian:12\nRUN case \"$arch\" in \\\n  amd64) apt-get install curl ;; \\\n  *) true ;; \\\n esac\n",
        "PL2003",
    );
    assert_eq!(f.len(), 1);
}

#[test]
fn short_consecutive_runs_only() {
    assert_eq!(findings("FROM a:1\nRUN a\nRUN b\n", "PL2027").len(), 1);
    assert!(
        findings("FROM a:1\nRUN a && b && c\nRUN d\n", "PL2027").is_empty(),
        "hadolint's nuance: a RUN that already chains commands is deliberate"
    );
}

#[test]
fn scratch_without_user_runs_as_uid_0() {
    let f = findings(
        "FROM golang:1.23 AS b\nFROM scratch\nCOPY --from=b /app /app\n",
        "PL3001",
    );
    assert!(f[0].message.contains("UID 0"));
}

/// PL1010 suggests tags the official images publish: Debian has no bare
/// `slim` (its `latest` is `stable`), php's small variant is `-alpine`.
#[test]
fn smaller_variants_are_real_tags() {
    let message = |text: &str| -> Vec<String> {
        findings(text, "PL1010")
            .iter()
            .map(|f| f.message.clone())
            .collect()
    };
    assert!(message("FROM debian\n")[0].ends_with("`debian:stable-slim`"));
    assert!(message("FROM debian:latest\n")[0].ends_with("`debian:stable-slim`"));
    assert!(message("FROM debian:bookworm\n")[0].ends_with("`debian:bookworm-slim`"));
    assert!(message("FROM python\n")[0].ends_with("`python:slim`"));
    assert!(message("FROM php:8.3\n").is_empty());
}

#[test]
fn a_fragment_without_from_is_one_implicit_final_stage() {
    // Templates and partial files (and hadolint's own test cases) have no FROM:
    // stage rules judge them as one stage that reaches the final image.
    let frag = "RUN dnf install -y httpd-2.4.62\nWORKDIR app\nLABEL 1bad=x\n";
    assert_eq!(findings(frag, "PL2011").len(), 1);
    assert_eq!(findings(frag, "PL3004").len(), 1);
    // With a FROM after them, instructions before it belong to no stage: only
    // PL3019 speaks about them, size rules do not.
    let before = "RUN dnf install -y httpd-2.4.62\nFROM scratch\n";
    assert!(findings(before, "PL2011").is_empty());
    assert_eq!(findings(before, "PL3019").len(), 1);
}

#[test]
fn onbuild_triggers_count_in_any_stage() {
    // They run in every image built FROM this one, whatever the final stage.
    let df = "FROM ubuntu:24.04 AS base\nONBUILD RUN apt-get update && apt-get install -y --no-install-recommends jq=1.7\nFROM scratch\n";
    assert_eq!(findings(df, "PL2002").len(), 1);
}

#[test]
fn root_is_inherited_from_the_parent_stage() {
    let f = findings(
        "FROM debian:12 AS base\nUSER root\nFROM base\nRUN id\n",
        "PL3002",
    );
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("inherits USER `root` from stage `base`"),
        "{}",
        f[0].message
    );
    // A USER in the final stage wins over the parent's.
    assert!(
        findings(
            "FROM debian:12 AS base\nUSER root\nFROM base\nUSER app\n",
            "PL3002"
        )
        .is_empty()
    );
}

/// The text a finding's span covers.
fn covered<'t>(text: &'t str, f: &Finding) -> &'t str {
    let s = f.span().expect("a span");
    &text[s.start..s.end]
}

#[test]
fn shell_findings_land_on_the_dockerfile_bytes() {
    // Backtick escape character, a continuation inside double quotes, and a
    // heredoc body: each finding covers exactly the expansion written.
    let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL [\"/bin/sh\", \"-c\"]\nRUN echo \"a `\n  b\" $ONE `\n  && cp $TWO /x\nRUN <<EOF\nrm $THREE\nEOF\n";
    let f = findings(text, "PL2102");
    let got: Vec<&str> = f.iter().map(|f| covered(text, f)).collect();
    assert_eq!(got, ["$ONE", "$TWO", "$THREE"]);
    // The line of `$TWO` is the Dockerfile's, after the continuation.
    let two = f[1].span().unwrap().start;
    assert_eq!(text[..two].matches('\n').count() + 1, 6);
}

#[test]
fn shell_rules_skip_non_posix_shells_and_read_bash_from_shell() {
    // PowerShell: no shell analysis.
    let pwsh =
        "FROM mcr.microsoft.com/powershell\nSHELL [\"pwsh\", \"-Command\"]\nRUN echo $env:PATH\n";
    assert!(findings(pwsh, "PL2102").is_empty());
    assert!(findings(pwsh, "PL2101").is_empty());
    // `[[ ]]` is bash syntax; its operands never split.
    let bash = "FROM debian:12\nSHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN [[ $X == y ]] && echo ok\n";
    assert!(findings(bash, "PL2101").is_empty());
    assert!(findings(bash, "PL2102").is_empty());
    // `-e` in SHELL stops at a failing cd.
    let errexit =
        "FROM debian:12\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN cd /x; make\n";
    assert!(findings(errexit, "PL2104").is_empty());
}

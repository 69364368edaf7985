//! One snapshot per rule over its fixture (`fixtures/<ID>.Dockerfile`), running
//! that rule alone. A fixture may start with `# plimsoll-test-settings: {json}`.
//! Adding a rule = one file + one fixture + one line here.

use plimsoll_plugin_lint::util::Date;
use plimsoll_plugin_lint::{LintSettings, run_rules_at};
use plimsoll_plugin_sdk::{Document, testing};

/// Rules run as if today were this day, so end-of-life findings do not drift.
const TODAY: Date = Date {
    year: 2026,
    month: 11,
    day: 23,
};

fn snapshot(id: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/{id}.Dockerfile",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let settings = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# plimsoll-test-settings: "))
        .map(|j| serde_json::from_str(j).expect("fixture settings are JSON"))
        .unwrap_or(serde_json::json!({}));
    let settings = LintSettings::from_json(&settings).unwrap();
    let doc = Document::parse("Dockerfile", &text).unwrap();
    let mut findings = run_rules_at(&doc, &settings, TODAY, |r| r.id == id);
    findings.sort_by_key(|f| f.span().map(|s| (s.start, s.end)));
    assert!(
        findings.iter().all(|f| f.rule_id == id),
        "only {id} should report"
    );
    // Image-only rules (tag `image`) report nothing on a Dockerfile: their
    // fixture pins that down; tests/image.rs checks them on images.
    let image_only = plimsoll_plugin_lint::rules::RULES
        .iter()
        .any(|r| r.rule.id == id && r.rule.tags.contains(&"image"));
    assert!(
        findings.is_empty() == image_only,
        "the fixture for {id} should make it report (image-only rules: not)"
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
    pl1003 => "PL1003",
    pl1004 => "PL1004",
    pl1005 => "PL1005",
    pl1006 => "PL1006",
    pl1007 => "PL1007",
    pl1008 => "PL1008",
    pl1009 => "PL1009",
    pl1010 => "PL1010",
    pl1011 => "PL1011",
    pl1012 => "PL1012",
    pl1013 => "PL1013",
    pl1015 => "PL1015",
    pl1016 => "PL1016",
    pl2001 => "PL2001",
    pl2002 => "PL2002",
    pl2003 => "PL2003",
    pl2004 => "PL2004",
    pl2005 => "PL2005",
    pl2006 => "PL2006",
    pl2007 => "PL2007",
    pl2008 => "PL2008",
    pl2009 => "PL2009",
    pl2010 => "PL2010",
    pl2011 => "PL2011",
    pl2012 => "PL2012",
    pl2013 => "PL2013",
    pl2014 => "PL2014",
    pl2015 => "PL2015",
    pl2016 => "PL2016",
    pl2017 => "PL2017",
    pl2018 => "PL2018",
    pl2020 => "PL2020",
    pl2021 => "PL2021",
    pl2022 => "PL2022",
    pl2023 => "PL2023",
    pl2024 => "PL2024",
    pl2025 => "PL2025",
    pl2026 => "PL2026",
    pl2027 => "PL2027",
    pl2028 => "PL2028",
    pl2101 => "PL2101",
    pl2102 => "PL2102",
    pl2103 => "PL2103",
    pl2104 => "PL2104",
    pl2105 => "PL2105",
    pl2106 => "PL2106",
    pl2107 => "PL2107",
    pl2108 => "PL2108",
    pl2109 => "PL2109",
    pl2110 => "PL2110",
    pl2111 => "PL2111",
    pl2112 => "PL2112",
    pl2113 => "PL2113",
    pl2114 => "PL2114",
    pl2115 => "PL2115",
    pl2116 => "PL2116",
    pl2117 => "PL2117",
    pl3001 => "PL3001",
    pl3002 => "PL3002",
    pl3003 => "PL3003",
    pl3004 => "PL3004",
    pl3005 => "PL3005",
    pl3006 => "PL3006",
    pl3007 => "PL3007",
    pl3008 => "PL3008",
    pl3009 => "PL3009",
    pl3010 => "PL3010",
    pl3011 => "PL3011",
    pl3012 => "PL3012",
    pl3013 => "PL3013",
    pl3014 => "PL3014",
    pl3015 => "PL3015",
    pl3016 => "PL3016",
    pl3017 => "PL3017",
    pl3018 => "PL3018",
    pl3019 => "PL3019",
    pl3020 => "PL3020",
    pl3021 => "PL3021",
    pl3022 => "PL3022",
    pl3023 => "PL3023",
    pl3024 => "PL3024",
    pl3025 => "PL3025",
    pl3026 => "PL3026",
    pl3027 => "PL3027",
    pl4001 => "PL4001",
    pl4002 => "PL4002",
    pl4003 => "PL4003",
    pl4004 => "PL4004",
    pl4005 => "PL4005",
    pl4006 => "PL4006",
    pl4007 => "PL4007",
    pl4008 => "PL4008",
    pl4009 => "PL4009",
    pl5001 => "PL5001",
    pl5002 => "PL5002",
    pl5003 => "PL5003",
    pl5004 => "PL5004",
    pl5005 => "PL5005",
    pl5006 => "PL5006",
    pl9001 => "PL9001",
    pl9002 => "PL9002",
    pl9003 => "PL9003",
    pl9004 => "PL9004",
    pl9005 => "PL9005",
    pl9006 => "PL9006",
}

/// Every rule has a fixture and a snapshot row, and documents itself.
#[test]
fn every_rule_has_a_fixture_and_docs() {
    let mut ids = std::collections::HashSet::new();
    for entry in plimsoll_plugin_lint::rules::RULES {
        let r = entry.rule;
        assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
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
        assert!(
            !r.summary.is_empty() && r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{} name/summary",
            r.id
        );
        let src = include_str!("rules.rs");
        assert!(
            src.contains(&format!("=> \"{}\"", r.id)),
            "{} has no snapshot test row",
            r.id
        );
        if r.tags.contains(&"fixable") {
            assert!(
                docs.contains("## Fix"),
                "{} is fixable but documents no fix",
                r.id
            );
        }
    }
}

/// Running every rule over every fixture never panics, and every fix applies and
/// still parses.
#[test]
fn all_rules_on_all_fixtures_fix_cleanly() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = Document::parse("Dockerfile", &text).unwrap();
        for f in run_rules_at(&doc, &LintSettings::default(), TODAY, |_| true) {
            for fix in &f.fixes {
                let fixed = testing::apply_edits(&text, &fix.edits);
                assert!(
                    plimsoll_plugin_sdk::dockerfile::Dockerfile::parse(&fixed).is_ok(),
                    "{}: fix of {} breaks parsing",
                    path.display(),
                    f.rule_id
                );
            }
        }
    }
}

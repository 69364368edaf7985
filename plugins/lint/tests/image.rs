//! The lint plugin's checks of an image itself, natively, on an in-memory
//! image (the SDK's `image::testing` stand-in for the host).

use plimsoll_plugin_lint::Lint;
use plimsoll_plugin_sdk::image::testing::set_image;
use plimsoll_plugin_sdk::serde_json::json;
use plimsoll_plugin_sdk::testing::check_image;
use plimsoll_plugin_sdk::{ImageTarget, Location};

fn target() -> ImageTarget {
    ImageTarget {
        reference: "registry.example.com/app:1".into(),
        canonical: "registry.example.com/app:1".into(),
        digest: "sha256:00".into(),
    }
}

fn ids(f: &[plimsoll_plugin_sdk::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.rule_id).collect()
}

#[test]
fn config_checks_use_the_dockerfile_rule_ids() {
    set_image(
        json!({"config": {"User": "0:0", "Env": ["PATH=/usr/bin", "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a"]}}),
        &[],
    );
    let f = check_image::<Lint>(&target(), json!({})).unwrap();
    assert_eq!(ids(&f), vec!["PL3001", "PL3014", "PL4002"], "{f:#?}");
    assert!(
        !f[2].message.contains("16C7e42F"),
        "the secret is masked: {}",
        f[2].message
    );

    set_image(
        json!({"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}),
        &[],
    );
    assert!(
        check_image::<Lint>(&target(), json!({}))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn secrets_in_layers_are_found_even_when_deleted() {
    let key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
    set_image(
        json!({"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}),
        &[
            (0, "root/.ssh/id_ed25519", key, Some(2)),
            (
                1,
                "app/.env",
                b"DB_HOST=db\nDB_PASSWORD=s3cr3t-pa55w0rd-for-prod\n",
                None,
            ),
            (
                1,
                "app/settings.env",
                b"API_TOKEN=changeme\nPASSWORD=${DB_PASSWORD}\n",
                None,
            ),
            (
                1,
                "usr/share/doc/x/README",
                b"password=hunter2hunter2\n",
                None,
            ),
            (2, "app/run.sh", b"#!/bin/sh\nexec app\n", None),
        ],
    );
    let mut f = check_image::<Lint>(&target(), json!({})).unwrap();
    f.retain(|f| f.rule_id == "PL4009");
    assert_eq!(ids(&f), vec!["PL4009", "PL4009"], "{f:#?}");
    assert_eq!(
        f[0].location,
        Location::Image {
            path: "/root/.ssh/id_ed25519".into(),
            layer: Some(0)
        }
    );
    assert!(
        f[0].message.contains("a private key") && f[0].message.contains("deleted by layer 2"),
        "{}",
        f[0].message
    );
    assert!(
        f[1].message.contains("/app/.env:2") && f[1].message.contains("`DB_PASSWORD`"),
        "{}",
        f[1].message
    );
    assert!(
        !f[1].message.contains("pa55w0rd"),
        "masked: {}",
        f[1].message
    );
}

#[test]
fn wasted_space_and_budgets() {
    let big = vec![b'x'; 30_000_000];
    set_image(
        json!({"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}),
        &[
            (0, "opt/sdk.tar", &big, Some(1)),
            (1, "app/bin", b"#!/bin/sh\n", None),
        ],
    );
    let f = check_image::<Lint>(&target(), json!({})).unwrap();
    assert_eq!(ids(&f), vec!["PL5005"], "{f:#?}");
    assert!(
        f[0].message.contains("30.0 MB") && f[0].message.contains("layer 0"),
        "{}",
        f[0].message
    );
    // Within a raised budget: quiet; over a size budget: PL5006.
    let f = check_image::<Lint>(
        &target(),
        json!({"max-wasted-bytes": 40000000, "min-efficiency": 0.0, "max-image-bytes": 1000000, "max-image-layers": 1}),
    )
    .unwrap();
    assert_eq!(ids(&f), vec!["PL5006", "PL5006"], "{f:#?}");
}

/// The secret scan reads at most 20,000 files; an image with more says so
/// (a note), never a silently partial scan.
#[test]
fn a_partial_secret_scan_says_so() {
    let names: Vec<String> = (0..20_001).map(|i| format!("data/f{i:05}.txt")).collect();
    let files: Vec<(u32, &str, &[u8], Option<u32>)> = names
        .iter()
        .map(|n| (0u32, n.as_str(), &b"hello"[..], None))
        .collect();
    set_image(
        json!({"config": {"User": "app", "Healthcheck": {"Test": ["CMD", "true"]}}}),
        &files,
    );
    let f = check_image::<Lint>(&target(), json!({})).unwrap();
    let partial: Vec<_> = f
        .iter()
        .filter(|f| f.message.contains("were not checked"))
        .collect();
    assert_eq!(partial.len(), 1, "{f:#?}");
    assert_eq!(partial[0].level, plimsoll_plugin_sdk::Level::Note);
}

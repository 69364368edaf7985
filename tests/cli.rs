//! End-to-end tests of `plimsoll check` and friends: exit codes, JSON output,
//! discovery, config, inline ignores, fixes, external plugins.

mod support;

use support::{Project, toml_path};

const BAD: &str = "FROM debian:latest\nMAINTAINER Jane <j@example.com>\nUSER root\n";
const GOOD: &str = "FROM debian:12.5\nUSER 10001\nCMD [\"/app\"]\n";

#[test]
fn exit_codes() {
    let p = Project::new();
    p.file("good/Dockerfile", GOOD);
    p.file("bad/Dockerfile", BAD);
    assert_eq!(p.run(&["check", "good"]).code, 0);
    let r = p.run(&["check", "bad"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(p.run(&["check", "bad", "--fail-on", "error"]).code, 0);
    assert_eq!(p.run(&["check", "bad", "--fail-on", "never"]).code, 0);
    assert_eq!(p.run(&["check", "bad", "--fail-on", "note"]).code, 1);
    // Usage errors.
    assert_eq!(p.run(&["check", "missing-dir"]).code, 2);
    assert_eq!(p.run(&["check", "--fail-on", "sometimes"]).code, 2);
    assert_eq!(p.run(&["check", "bad", "--select", "NOPE123"]).code, 2);
}

#[test]
fn syntax_errors_are_findings_with_a_location() {
    let p = Project::new();
    p.file("Dockerfile", "FROM a\nRUN <<EOF\nnever closed\n");
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 1);
    let j = r.json();
    let f = &j["findings"][0];
    assert_eq!(f["rule_id"], "PL0001");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("unterminated heredoc")
    );
    assert_eq!(f["location"]["region"]["start"]["line"], 2);
}

#[test]
fn json_output_is_versioned_and_complete() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let r = p.run(&["check", "--format", "json"]);
    let j = r.json();
    assert_eq!(j["version"], 1);
    assert_eq!(j["tool"]["name"], "plimsoll");
    assert_eq!(j["summary"]["exit_code"], 1);
    assert_eq!(j["summary"]["targets"][0], "Dockerfile");
    let f = j["findings"].as_array().unwrap();
    let latest = f.iter().find(|f| f["rule_id"] == "PL1002").unwrap();
    assert_eq!(latest["plugin"], "lint");
    assert_eq!(latest["level"], "warning");
    assert!(
        latest["aliases"]
            .as_array()
            .unwrap()
            .contains(&"DL3007".into())
    );
    assert_eq!(latest["location"]["region"]["start"]["line"], 1);
    assert_eq!(latest["location"]["region"]["start"]["column"], 6);
    assert!(
        latest["help_uri"]
            .as_str()
            .unwrap()
            .ends_with("/rules/PL1002/")
    );
    let maint = f.iter().find(|f| f["rule_id"] == "PL3003").unwrap();
    assert_eq!(maint["fixes"][0]["applicability"], "safe");
}

#[test]
fn output_to_file_and_several_formats() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let r = p.run(&[
        "check", "--format", "json", "--output", "out.json", "--format", "human",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("PL1002"), "human on stdout: {}", r.stdout);
    let j: serde_json::Value = serde_json::from_str(&p.read("out.json")).unwrap();
    let ids: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"PL1002") && ids.contains(&"PL3003"),
        "{ids:?}"
    );
    assert_eq!(
        j["summary"]["findings"].as_u64().unwrap() as usize,
        ids.len()
    );
}

#[test]
fn human_output_has_snippets() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let r = p.run(&["check"]);
    assert!(r.stdout.contains("--> Dockerfile:1:6"), "{}", r.stdout);
    assert!(r.stdout.contains("1 | FROM debian:latest"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Found 6 problems (3 warnings, 3 notes)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains('\u{1b}'),
        "no colour when NO_COLOR is set"
    );
}

#[test]
fn discovery_finds_dockerfile_names_and_honours_gitignore_and_exclude() {
    let p = Project::new();
    for f in [
        "Dockerfile",
        "svc/api.Dockerfile",
        "svc/Dockerfile.prod",
        "svc/Containerfile",
        ".devcontainer/Dockerfile",
        "ignored/Dockerfile",
        "vendor/x/Dockerfile",
    ] {
        p.file(f, GOOD);
    }
    p.file("README.md", "# no");
    p.file(".gitignore", "ignored/\n");
    std::fs::create_dir(p.path().join(".git")).unwrap();
    p.file("plimsoll.toml", "exclude = [\"vendor\"]\n");
    let r = p.run(&["check", "--format", "json"]);
    let targets: Vec<String> = r.json()["summary"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        targets,
        vec![
            ".devcontainer/Dockerfile",
            "Dockerfile",
            "svc/Containerfile",
            "svc/Dockerfile.prod",
            "svc/api.Dockerfile"
        ]
    );
    // A file named explicitly is checked whatever its name.
    p.file("odd-name.txt", BAD);
    assert_eq!(p.run(&["check", "odd-name.txt"]).code, 1);
}

#[test]
fn select_and_ignore_accept_ids_aliases_and_plugins() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let ids = |args: &[&str]| {
        let mut a = vec!["check", "--format", "json"];
        a.extend_from_slice(args);
        let mut v = p.run(&a).rule_ids();
        v.sort();
        v
    };
    assert_eq!(
        ids(&[]),
        vec!["PL1002", "PL1010", "PL3002", "PL3003", "PL3014", "PL6001"]
    );
    assert_eq!(ids(&["--select", "pin"]), vec!["PL6001"]);
    assert_eq!(ids(&["--select", "DL3007"]), vec!["PL1002"]);
    assert_eq!(
        ids(&["--select", "PL3"]),
        vec!["PL3002", "PL3003", "PL3014"]
    );
    assert_eq!(
        ids(&["--ignore", "DL4000,CKV_DOCKER_8,PL1010,PL3014,pin"]),
        vec!["PL1002"]
    );
    assert_eq!(
        ids(&["--select", "lint", "--ignore", "PL1002,PL1010,PL3014"]),
        vec!["PL3002", "PL3003"]
    );
    // Trivy's and hadolint's own spellings work too.
    assert_eq!(ids(&["--select", "DS-0001"]), vec!["PL1002"]);
    assert_eq!(ids(&["--select", "hadolint/DL3007"]), vec!["PL1002"]);
}

#[test]
fn config_levels_rule_set_and_per_file_ignores() {
    let p = Project::new();
    p.file("a/Dockerfile", BAD);
    p.file("legacy/Dockerfile", BAD);
    p.file(
        "plimsoll.toml",
        "fail-on = \"error\"\n[rules]\nDL3007 = \"error\"\nPL3003 = \"off\"\n[per-file-ignores]\n\"legacy/**\" = [\"lint\", \"pin\"]\n",
    );
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(
        r.code, 1,
        "PL1002 raised to error fails under fail-on=error"
    );
    let j = r.json();
    let f = j["findings"].as_array().unwrap();
    assert!(f.iter().all(|f| f["location"]["path"] == "a/Dockerfile"));
    assert_eq!(
        f.iter().find(|f| f["rule_id"] == "PL1002").unwrap()["level"],
        "error"
    );
    assert!(f.iter().all(|f| f["rule_id"] != "PL3003"));
}

#[test]
fn bad_config_is_a_usage_error_with_line_and_suggestion() {
    let p = Project::new();
    p.file("Dockerfile", GOOD);
    p.file(
        "plimsoll.toml",
        "fail-on = \"error\"\nselct = [\"PL1001\"]\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("plimsoll.toml:2:1"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `select`?"), "{}", r.stderr);
}

#[test]
fn inline_ignores_plimsoll_and_hadolint_forms() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "# hadolint ignore=DL3007\nFROM debian:latest\n# plimsoll: ignore=PL3003\nMAINTAINER x\n# trivy:ignore:DS002\nUSER root\n",
    );
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["summary"]["suppressed"], 3);
    p.file(
        "Dockerfile",
        "# hadolint global ignore=DL3007,DL4000\nFROM debian:latest\nMAINTAINER x\nUSER 1000\n",
    );
    assert_eq!(p.run(&["check"]).code, 0);
}

#[test]
fn fix_applies_safe_fixes_atomically_and_is_idempotent() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "FROM debian:12\nMAINTAINER Jane <j@example.com>\nUSER 1000\n",
    );
    let r = p.run(&["check", "--fix", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["summary"]["fixed"], 1);
    let fixed = p.read("Dockerfile");
    assert_eq!(
        fixed,
        "FROM debian:12\nLABEL maintainer=\"Jane <j@example.com>\"\nUSER 1000\n"
    );
    let again = p.run(&["check", "--fix", "--format", "json"]);
    assert_eq!(again.json()["summary"]["fixed"], 0);
    assert_eq!(p.read("Dockerfile"), fixed);
    // A BOM and CRLF line endings survive.
    p.file(
        "b/Dockerfile",
        "\u{feff}FROM debian:12\r\nMAINTAINER x\r\nUSER 1\r\n",
    );
    p.run(&["check", "b", "--fix"]);
    assert_eq!(
        p.read("b/Dockerfile"),
        "\u{feff}FROM debian:12\r\nLABEL maintainer=\"x\"\r\nUSER 1\r\n"
    );
}

/// Writes go through to what the user named: `-o /dev/null` leaves the device
/// node alone (an atomic rename once replaced it with a regular file, breaking
/// every later `> /dev/null` on the machine), and `--fix` on a symlinked
/// Dockerfile edits the target and keeps the link.
#[cfg(unix)]
#[test]
fn output_and_fix_write_through_devices_and_symlinks() {
    use std::os::unix::fs::FileTypeExt;
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let r = p.run(&["check", "--format", "json", "--output", "/dev/null"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let null = std::fs::symlink_metadata("/dev/null").unwrap();
    assert!(
        null.file_type().is_char_device(),
        "/dev/null is no longer a character device"
    );

    p.file(
        "real/Dockerfile.base",
        "FROM debian:12\nMAINTAINER x\nUSER 1\n",
    );
    std::fs::create_dir_all(p.path().join("linked")).unwrap();
    std::os::unix::fs::symlink(
        p.path().join("real/Dockerfile.base"),
        p.path().join("linked/Dockerfile"),
    )
    .unwrap();
    let r = p.run(&["check", "linked/Dockerfile", "--fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let link = std::fs::symlink_metadata(p.path().join("linked/Dockerfile")).unwrap();
    assert!(link.file_type().is_symlink(), "the symlink was replaced");
    assert_eq!(
        p.read("real/Dockerfile.base"),
        "FROM debian:12\nLABEL maintainer=\"x\"\nUSER 1\n"
    );
    // A new output file is readable by others, as `>` would make it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let r = p.run(&[
            "check",
            "linked/Dockerfile",
            "-o",
            "new-report.json",
            "--format",
            "json",
        ]);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let mode = std::fs::metadata(p.path().join("new-report.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o044, 0o044, "mode {mode:o}: not 0600");
    }
}

/// `plimsoll config-schema | head -c 100`: a reader that goes away early ends
/// plimsoll quietly, never with a panic.
#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    let p = Project::new();
    for args in [&["config-schema"][..], &["rules"], &["manpage"]] {
        let mut child = p
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before plimsoll (still starting) writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn plugin_inspect_shows_metadata_rules_schema_and_capabilities() {
    let p = Project::new();
    let r = p.run(&[
        "plugin",
        "inspect",
        plimsoll_test_programs::POLICY,
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["name"], "corp-policy");
    assert_eq!(j["version"], "1.0.0");
    assert_eq!(j["sha256"].as_str().unwrap().len(), 64);
    let rules: Vec<&str> = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, vec!["CORP001", "CORP002"]);
    assert_eq!(j["settings_schema"]["required"][0], "allowed-registries");
    assert_eq!(j["capabilities"], serde_json::json!([]));
    // It inspects without the settings the plugin would demand at run time.
    let wants = p.run(&[
        "plugin",
        "inspect",
        plimsoll_test_programs::WANTS_REGISTRY,
        "--format",
        "json",
    ]);
    assert_eq!(
        wants.json()["capabilities"],
        serde_json::json!(["registry"])
    );
    // Not a component: exit 3 with the file named; missing: a usage error.
    p.file("notes.txt", "hello");
    let bad = p.run(&["plugin", "inspect", "notes.txt"]);
    assert_eq!(bad.code, 3);
    assert!(
        bad.stderr.contains("notes.txt") && bad.stderr.contains("not a WebAssembly component"),
        "{}",
        bad.stderr
    );
    assert_eq!(p.run(&["plugin", "inspect", "missing.wasm"]).code, 2);
}

#[test]
fn image_sources_that_cannot_be_read_are_usage_errors() {
    let p = Project::new();
    p.file("Dockerfile", GOOD);
    for (args, needle) in [
        (
            &["check", "--image", "oci:./layout"][..],
            "not an OCI image layout",
        ),
        (
            &["check", "--image", "docker-archive:a.tar"],
            "a.tar does not exist",
        ),
        (
            &["check", "--image", "oci-archive:a.tar"],
            "`oci-archive:` sources are not supported",
        ),
        (&["check", "--image", "Not/A Ref"], "not an image reference"),
        (
            &["check", "--image", "alpine:3.20", "--fix"],
            "nothing is fixed in an image",
        ),
    ] {
        let r = p.run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    // Offline with nothing cached: the image was not checked (exit 3).
    let r = p.run(&[
        "--offline",
        "check",
        "--image",
        "alpine:3.20",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["errors"][0]["kind"], "offline");
}

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    let p = Project::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = p.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("check"), "{shell}");
        assert!(r.stdout.contains("fail-on"), "{shell}");
    }
    let r = p.run(&["completions", "tcsh"]);
    assert_eq!(r.code, 2, "an unknown shell is a usage error");
    let man = p.run(&["manpage"]);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH plimsoll 1"));
    let r = p.run(&["manpage", "--dir", "man1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pin = p.read("man1/plimsoll-pin.1");
    assert!(pin.contains(".TH plimsoll-pin 1"), "{pin}");
    assert!(pin.contains("PL6002"), "the long help is in the page");
}

#[test]
fn rules_and_explain() {
    let p = Project::new();
    let r = p.run(&["rules"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("PL1002") && r.stdout.contains("DL3007"),
        "{}",
        r.stdout
    );
    let j: serde_json::Value =
        serde_json::from_str(&p.run(&["rules", "--format", "json"]).stdout).unwrap();
    assert!(j.as_array().unwrap().iter().any(|r| r["id"] == "PL0001"));
    let e = p.run(&["explain", "DL3006"]);
    assert_eq!(e.code, 0);
    assert!(
        e.stdout.contains("# PL1001 untagged-base-image"),
        "{}",
        e.stdout
    );
    assert!(e.stdout.contains("## Why is this bad?"));
    assert_eq!(p.run(&["explain", "XX9999"]).code, 2);
}

#[test]
fn debug_parse_matches_buildkit_shape() {
    let p = Project::new();
    p.file("Dockerfile", "FROM a AS b\nRUN <<EOF\nx\nEOF\n");
    let r = p.run(&["debug", "parse", "Dockerfile", "--format", "json"]);
    assert_eq!(r.code, 0);
    let j: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(j["ok"], true);
    let run = &j["instructions"][1];
    assert_eq!(run["cmd"], "RUN");
    assert_eq!(run["value"][0], "<<EOF");
    assert_eq!(run["heredocs"][0]["content"], "x\n");
    assert_eq!(
        (run["start_line"].as_u64(), run["end_line"].as_u64()),
        (Some(2), Some(4))
    );
}

#[test]
fn external_plugin_from_config_runs_without_recompiling() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "FROM docker.io/library/debian:12\nRUN apt-get install -y telnet\nUSER 1\n",
    );
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"corp\"\nsource = {}\nsettings = {{ allowed-registries = [\"registry.corp.example\"], banned-packages = [\"telnet\"] }}\n",
            toml_path(plimsoll_test_programs::POLICY)
        ),
    );
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let corp: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "corp")
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(corp, vec!["CORP001", "CORP002"]);
    assert!(
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["plugin"] == "lint"),
        "built-ins still run"
    );
    // Its rules are selectable by plugin name and show in `rules`.
    let only_corp = p.run(&["check", "--select", "corp", "--format", "json"]);
    assert_eq!(only_corp.rule_ids().len(), 2);
    let no_corp = p.run(&["check", "--ignore", "corp", "--format", "json"]);
    assert!(no_corp.rule_ids().iter().all(|id| !id.starts_with("CORP")));

    assert!(p.run(&["rules"]).stdout.contains("CORP001"));
    let list = p.run(&["plugin", "list"]);
    assert!(
        list.stdout.contains("corp") && list.stdout.contains("lint"),
        "{}",
        list.stdout
    );
}

#[test]
fn external_plugin_settings_are_validated_and_sha256_pinned() {
    let p = Project::new();
    p.file("Dockerfile", GOOD);
    let src = toml_path(plimsoll_test_programs::POLICY);
    p.file("plimsoll.toml", &format!("[[plugins]]\nname = \"corp\"\nsource = {src}\nsettings = {{ banned-packages = \"telnet\" }}\n"));
    let r = p.run(&["check"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("plugin-settings") && r.stdout.contains("allowed-registries"),
        "{}",
        r.stdout
    );
    p.file("plimsoll.toml", &format!("[[plugins]]\nname = \"corp\"\nsource = {src}\nsha256 = \"{}\"\nsettings = {{ allowed-registries = [\"docker.io\"] }}\n", "0".repeat(64)));
    let r = p.run(&["check"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("plugin-integrity") && r.stdout.contains("refusing to load"),
        "{}",
        r.stdout
    );
    p.file(
        "plimsoll.toml",
        "[[plugins]]\nname = \"corp\"\nsource = \"nope.wasm\"\n",
    );
    let r = p.run(&["check"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("cannot read") && r.stdout.contains("nope.wasm"),
        "{}",
        r.stdout
    );
}

/// Settings are checked against the JSON Schema the plugin publishes before
/// the plugin sees them; the error names the key and its line in the config.
#[test]
fn settings_schema_violations_name_the_key_and_line() {
    let p = Project::new();
    p.file("Dockerfile", GOOD);
    let src = toml_path(plimsoll_test_programs::POLICY);
    let cases = [
        (
            format!(
                "# corp\n[[plugins]]\nname = \"corp\"\nsource = {src}\nsettings = {{ allowed-registries = [\"ok\", 5] }}\n"
            ),
            "plimsoll.toml:5",
            "/allowed-registries/1",
        ),
        (
            format!(
                "[[plugins]]\nname = \"corp\"\nsource = {src}\n[plugins.settings]\nallowed-registries = [\"ok\"]\n\ncolour = \"red\"\n"
            ),
            "plimsoll.toml:7",
            "/colour",
        ),
        (
            "fail-on = \"error\"\n[lint]\nlabel-schemaa = 1\n".to_string(),
            "plimsoll.toml:3",
            "/label-schemaa",
        ),
    ];
    for (config, at, pointer) in cases {
        p.file("plimsoll.toml", &config);
        let r = p.run(&["check", "--format", "json"]);
        assert_eq!(r.code, 3, "{config}: {}{}", r.stdout, r.stderr);
        let e = &r.json()["errors"][0];
        assert_eq!(e["kind"], "plugin-settings", "{e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.contains(at) && msg.contains(pointer), "{config}: {msg}");
        assert_eq!(
            e["line"].as_u64().unwrap().to_string(),
            at.rsplit(':').next().unwrap()
        );
    }
}

#[test]
fn version_names_the_commit() {
    let r = Project::new().run(&["--version"]);
    assert!(r.stdout.starts_with("plimsoll 0.1.0 ("), "{}", r.stdout);
}

/// An external plugin's `image-check` runs on `--image` targets: the image
/// is resolved by the host, the plugin sees its canonical name and digest,
/// and findings point at the image. Needs the shared stack's registry.
#[test]
fn external_plugins_check_images_named_with_dash_dash_image() {
    let Some(registry) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"corp\"\nsource = {}\nsettings = {{ allowed-registries = [\"registry.corp.example\"] }}\n",
            toml_path(plimsoll_test_programs::POLICY)
        ),
    );
    let image = format!("{registry}/library/signed:1.0");
    let r = p.run(&[
        "check", "--image", &image, "--select", "CORP001", "--format", "json",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let j = r.json();
    let f = &j["findings"][0];
    assert_eq!(f["rule_id"], "CORP001", "{j}");
    assert_eq!(f["location"]["kind"], "target");
    assert_eq!(f["location"]["target"], image.as_str());
    assert!(
        f["properties"]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{f}"
    );
    // Allowed: nothing to report; `plugin inspect` says it checks both.
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"corp\"\nsource = {}\nsettings = {{ allowed-registries = [\"{registry}\"] }}\n",
            toml_path(plimsoll_test_programs::POLICY)
        ),
    );
    let r = p.run(&["check", "--image", &image, "--select", "CORP001"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = p.run(&[
        "plugin",
        "inspect",
        plimsoll_test_programs::POLICY,
        "--format",
        "json",
    ]);
    assert_eq!(
        r.json()["checks"],
        serde_json::json!({"dockerfile": true, "dockerfile_input": "text", "image": true}),
        "a plugin built with the Rust SDK takes the Dockerfile as text (WIT 0.1.5)"
    );
}

/// `check --sbom` without images or a registry: licence policy on what a
/// Trivy-style CycloneDX SBOM lists (no vulnerability database needed),
/// and hostile or foreign documents refused by name (exit 3).
#[test]
fn sboms_are_checked_and_bad_ones_refused() {
    let p = Project::new();
    p.file(
        "app.cdx.json",
        &serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "metadata": {"component": {"type": "container", "name": "app:1.0"}},
            "components": [
                {"type": "operating-system", "name": "alpine", "version": "3.19.1"},
                {"type": "library", "name": "busybox", "version": "1.36.1-r15",
                 "purl": "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=3.19.1",
                 "licenses": [{"license": {"id": "GPL-2.0-only"}}]},
                {"type": "library", "name": "musl", "version": "1.2.4-r2",
                 "purl": "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1",
                 "licenses": [{"license": {"id": "MIT"}}]}
            ]
        })
        .to_string(),
    );
    p.file(
        "plimsoll.toml",
        "[scan]\nvulnerabilities = false\n[scan.licenses]\ndeny = [\"GPL-*\"]\n",
    );
    let r = p.run(&["check", "--sbom", "app.cdx.json", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let f = &r.json()["findings"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{f}");
    assert_eq!(f[0]["rule_id"], "PL8003");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("busybox 1.36.1-r15"),
        "{f}"
    );

    // 10,000 nested components: refused by the JSON reader, not a crash.
    let deep = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"components\":{}{}}}",
        "[{\"components\":".repeat(10_000),
        "[]}]".repeat(10_000)
    );
    p.file("deep.json", &deep);
    for (file, why) in [("deep.json", "not JSON"), ("plimsoll.toml", "not JSON")] {
        let r = p.run(&["check", "--sbom", file, "--format", "json"]);
        assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
        let e = &r.json()["errors"][0];
        assert_eq!(e["kind"], "invalid-sbom", "{e}");
        assert!(e["message"].as_str().unwrap().contains(why), "{e}");
    }
    p.file("bom.xml", "<?xml version=\"1.0\"?><bom/>");
    let r = p.run(&["check", "--sbom", "bom.xml", "--format", "json"]);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("XML"),
        "{}",
        r.stdout
    );
}

#[test]
fn peer_ids_nothing_implements_warn_once_in_ignore_lists_and_fail_in_select() {
    let p = Project::new();
    p.file("Dockerfile", GOOD);
    // Real .hadolint.yaml files list ShellCheck ids; an unknown DL id may be a
    // newer hadolint's.
    p.file(
        ".hadolint.yaml",
        "ignored:\n  - SC2086\n  - DL3008\n  - DL9999\n  - SC1091\n  - SC1091\n",
    );
    let r = p.run(&["check", "--offline"]);
    assert_eq!(r.code, 0, "exit follows findings: {}{}", r.stdout, r.stderr);
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("does not implement"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr);
    assert!(warnings[0].ends_with(": DL9999, SC1091"), "{}", warnings[0]);
    // With a finding, the exit is the findings' exit.
    p.file("Dockerfile", BAD);
    assert_eq!(p.run(&["check", "--offline"]).code, 1);
    // Selecting what nothing implements would check nothing: a usage error.
    let r = p.run(&["check", "--offline", "--select", "SC1091"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // A typo of one of our ids in an ignore list is still an error.
    p.file(".hadolint.yaml", "ignored:\n  - PL2O01\n");
    assert_eq!(p.run(&["check", "--offline"]).code, 2);
    // `migrate hadolint` says what the SC ids do.
    p.file(".hadolint.yaml", "ignored:\n  - SC2086\n");
    let r = p.run(&["migrate", "hadolint"]);
    assert!(r.stderr.contains("ShellCheck ids (SC2086)"), "{}", r.stderr);
}

/// A directory's plugins load while its files are found: a run that then
/// stops (a path that does not exist) says why, and nothing that loading
/// them would have said.
#[test]
fn a_run_that_stops_while_finding_files_says_nothing_of_its_plugins() {
    let p = Project::new();
    // Enough files that loading starts before the search ends.
    for i in 0..45 {
        p.file(&format!("s{i}/Dockerfile"), GOOD);
    }
    p.file(".hadolint.yaml", "ignored:\n  - DL9999\n");
    let r = p.run(&["check", "--offline", ".", "missing"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("`missing` does not exist"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("does not implement"), "{}", r.stderr);
    // The same search, then checked: said once, before the findings' exit.
    let r = p.run(&["check", "--offline", "."]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let warnings = r.stderr.matches("does not implement").count();
    assert_eq!(warnings, 1, "{}", r.stderr);
}

/// The rule ids of a `--format json` run's findings.
fn ids(r: &support::Run) -> Vec<String> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn inline_ignores_can_be_disallowed() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "# hadolint ignore=DL3007\nFROM debian:latest\nUSER 1000\n",
    );
    let r = p.run(&["check", "--offline", "--format", "json"]);
    assert!(
        !ids(&r).contains(&"PL1002".to_string()),
        "applied by default"
    );
    assert!(!ids(&r).contains(&"PL0002".to_string()));
    // hadolint's disable-ignore-pragma, read from .hadolint.yaml.
    p.file(".hadolint.yaml", "disable-ignore-pragma: true\n");
    let r = p.run(&["check", "--offline", "--format", "json"]);
    let got = ids(&r);
    assert!(got.contains(&"PL1002".to_string()), "{got:?}");
    let pragma = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "PL0002")
        .cloned()
        .expect("the comment is reported");
    assert_eq!(pragma["location"]["region"]["start"]["line"], 1);
    assert!(
        pragma["aliases"]
            .as_array()
            .unwrap()
            .contains(&"DL1001".into())
    );
}

#[test]
fn ci_formats_locate_files_from_the_repository_root() {
    let p = Project::new();
    p.file("services/api/Dockerfile", BAD);
    let in_api = |args: &[&str], env: Option<(&str, &std::path::Path)>| {
        let mut c = p.command(args);
        c.current_dir(p.path().join("services/api"));
        if let Some((k, v)) = env {
            c.env(k, v);
        }
        support::Run::from(c.output().unwrap())
    };
    // The action's `working-directory: services/api`.
    let r = in_api(
        &["check", "--offline", "--format", "github"],
        Some(("GITHUB_WORKSPACE", p.path())),
    );
    assert!(
        r.stdout.contains("file=services/api/Dockerfile,"),
        "{}",
        r.stdout
    );
    let r = in_api(
        &["check", "--offline", "--format", "sarif"],
        Some(("GITHUB_WORKSPACE", p.path())),
    );
    let loc =
        &r.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "services/api/Dockerfile");
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
    // GitLab's variable, and a git work tree when no CI variable is set.
    let r = in_api(
        &["check", "--offline", "--format", "gitlab"],
        Some(("CI_PROJECT_DIR", p.path())),
    );
    assert_eq!(r.json()[0]["location"]["path"], "services/api/Dockerfile");
    std::fs::create_dir(p.path().join(".git")).unwrap();
    let r = in_api(&["check", "--offline", "--format", "junit"], None);
    assert!(r.stdout.contains("services/api/Dockerfile"), "{}", r.stdout);
    // Human and JSON output keep the path as given.
    let r = in_api(&["check", "--offline", "--format", "json"], None);
    assert_eq!(r.json()["findings"][0]["location"]["path"], "Dockerfile");
}

#[test]
fn findings_of_unselected_rules_are_not_counted_as_suppressed() {
    let p = Project::new();
    p.file("Dockerfile", BAD);
    let r = p.run(&["check", "--offline", "--select", "PL1002"]);
    assert!(!r.stdout.contains("suppressed"), "{}", r.stdout);
    let r = p.run(&["check", "--offline", "--ignore", "PL1002"]);
    assert!(
        r.stdout.contains("1 finding suppressed by ignores"),
        "{}",
        r.stdout
    );
}

/// A project whose `services/api` has its own config (ignoring PL3003)
/// beside the root's, each with a Dockerfile.
fn project_with_a_service_config() -> Project {
    let p = Project::new();
    p.file("plimsoll.toml", "");
    p.file("Dockerfile", BAD);
    p.file("services/api/Dockerfile", BAD);
    p.file("services/api/plimsoll.toml", "ignore = [\"PL3003\"]\n");
    p
}

/// The rule ids a JSON run reported for `path`.
fn rule_ids_at(r: &support::Run, path: &str) -> Vec<String> {
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"] == path)
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// A named file that is a symbolic link is governed by the config closest
/// to where it points; the link's own folder governs a plain file there.
#[cfg(unix)]
#[test]
fn a_named_symlink_follows_the_config_where_it_points() {
    let p = project_with_a_service_config();
    std::os::unix::fs::symlink(
        p.path().join("services/api/Dockerfile"),
        p.path().join("api.Dockerfile"),
    )
    .unwrap();
    let r = p.run(&[
        "check",
        "--offline",
        "--format",
        "json",
        "Dockerfile",
        "api.Dockerfile",
    ]);
    let root = rule_ids_at(&r, "Dockerfile");
    assert!(root.contains(&"PL3003".into()), "{}", r.stdout);
    let linked = rule_ids_at(&r, "api.Dockerfile");
    assert!(!linked.is_empty(), "{}", r.stdout);
    assert!(!linked.contains(&"PL3003".into()), "{}", r.stdout);
}

/// A folder without a config of its own is governed by its parent's, however
/// deep, and a folder reached through a symbolic link by the config closest
/// to where it points (folders are resolved and looked up once each, from
/// their parent's answer).
#[cfg(unix)]
#[test]
fn folders_follow_their_parents_config_and_links_where_they_point() {
    let p = project_with_a_service_config();
    p.file("services/api/v1/deep/Dockerfile", BAD);
    p.file("services/api/v2/Dockerfile", BAD);
    p.file("services/web/Dockerfile", BAD);
    std::os::unix::fs::symlink(p.path().join("services/api"), p.path().join("api")).unwrap();
    let r = p.run(&["check", "--offline", "--format", "json", ".", "api"]);
    for governed in [
        "services/api/Dockerfile",
        "services/api/v1/deep/Dockerfile",
        "services/api/v2/Dockerfile",
        "api/Dockerfile",
        "api/v1/deep/Dockerfile",
    ] {
        let rules = rule_ids_at(&r, governed);
        assert!(!rules.is_empty(), "{governed}: {}", r.stdout);
        assert!(
            !rules.contains(&"PL3003".into()),
            "{governed}: {}",
            r.stdout
        );
    }
    for root in ["Dockerfile", "services/web/Dockerfile"] {
        assert!(
            rule_ids_at(&r, root).contains(&"PL3003".into()),
            "{root}: {}",
            r.stdout
        );
    }
}

#[test]
fn each_file_follows_the_closest_config() {
    let p = project_with_a_service_config();
    // A hadolint file in a subfolder never displaces the repository's config.
    p.file("services/web/Dockerfile", BAD);
    p.file("services/web/.hadolint.yaml", "ignored: [DL3007]\n");
    let rules_of = rule_ids_at;
    let r = p.run(&["check", "--offline", "--format", "json"]);
    assert!(rules_of(&r, "Dockerfile").contains(&"PL3003".into()));
    assert!(
        !rules_of(&r, "services/api/Dockerfile").contains(&"PL3003".into()),
        "{}",
        r.stdout
    );
    assert!(rules_of(&r, "services/web/Dockerfile").contains(&"PL1002".into()));
    // Run from the service's folder, or naming it from the root: the same.
    let r = p.run(&["check", "--offline", "--format", "json", "services/api"]);
    assert!(
        !rules_of(&r, "services/api/Dockerfile").contains(&"PL3003".into()),
        "{}",
        r.stdout
    );
    let mut c = p.command(&["check", "--offline", "--format", "json"]);
    c.current_dir(p.path().join("services/web"));
    let r = support::Run::from(c.output().unwrap());
    assert!(
        rules_of(&r, "Dockerfile").contains(&"PL1002".into()),
        "{}",
        r.stdout
    );
    // --config names one config for every file.
    let r = p.run(&[
        "check",
        "--offline",
        "--format",
        "json",
        "--config",
        "plimsoll.toml",
        "services/api",
    ]);
    assert!(rules_of(&r, "services/api/Dockerfile").contains(&"PL3003".into()));
}

#[test]
fn stdin_concise_statistics_and_quiet() {
    use std::io::Write;
    let p = Project::new();
    p.file("svc/plimsoll.toml", "ignore = [\"PL1002\"]\n");
    let piped = |args: &[&str]| {
        let mut c = p.command(args);
        c.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(BAD.as_bytes())
            .unwrap();
        support::Run::from(child.wait_with_output().unwrap())
    };
    // The buffer is reported under its name and follows that file's config.
    let r = piped(&[
        "check",
        "--offline",
        "-",
        "--stdin-filename",
        "svc/Dockerfile",
        "--format",
        "concise",
        "-q",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines.contains(
            &"svc/Dockerfile:2:1: warning[PL3003] MAINTAINER is deprecated; use a `LABEL` instead"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("PL1002"), "svc/plimsoll.toml applies");
    assert!(!r.stdout.contains("Found"), "--quiet: no summary");
    // Without a name: `-`, and the working directory's config.
    let r = piped(&["check", "--offline", "-", "--format", "concise"]);
    assert!(r.stdout.contains("-:1:6: warning[PL1002]"), "{}", r.stdout);
    assert!(r.stdout.contains("Found"), "{}", r.stdout);
    // Nothing can be fixed in place on stdin; `-` stands alone.
    assert_eq!(piped(&["check", "-", "--fix"]).code, 2);
    assert_eq!(piped(&["check", "-", "svc"]).code, 2);
    // --statistics: one line per rule, the fixable ones marked.
    p.file("Dockerfile", BAD);
    let r = p.run(&["check", "--offline", "--statistics", "Dockerfile"]);
    assert!(
        r.stdout
            .lines()
            .any(|l| l == "1\tPL3003\t[*] maintainer-deprecated"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l == "1\tPL1002\tlatest-base-image"),
        "{}",
        r.stdout
    );
    // The same counts in concise output (as --help says).
    let c = p.run(&[
        "check",
        "--offline",
        "--statistics",
        "--format",
        "concise",
        "Dockerfile",
    ]);
    assert_eq!(c.stdout, r.stdout);
    // --diff on stdin shows the fixes of the buffer.
    let r = piped(&[
        "check",
        "--offline",
        "-",
        "--diff",
        "--stdin-filename",
        "svc/Dockerfile",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+LABEL maintainer="), "{}", r.stdout);
}

#[test]
fn ignore_comments_that_suppress_nothing_are_reported() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "# hadolint ignore=DL3007,DL3008\nFROM debian:latest\n# plimsoll: ignore=PL3003\nUSER 1000\n# hadolint ignore=SC2086\nRUN echo $X\n",
    );
    let r = p.run(&["check", "--offline", "--format", "json"]);
    let unused: Vec<(String, u64)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PL0003")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["location"]["region"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // DL3007 suppressed the `latest` finding; DL3008 and PL3003 suppressed
    // nothing; SC2086 (PL2102's alias) suppressed the unquoted `$X`.
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(
        unused[0].0.starts_with("`DL3008`") && unused[0].1 == 1,
        "{unused:?}"
    );
    assert!(
        unused[1].0.starts_with("`PL3003`") && unused[1].1 == 3,
        "{unused:?}"
    );
    assert_eq!(r.json()["findings"][0]["level"], "note");
    // A rule the run leaves out is not judged.
    let r = p.run(&[
        "check",
        "--offline",
        "--format",
        "json",
        "--select",
        "PL0003,PL1002",
    ]);
    let n = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PL0003")
        .count();
    assert_eq!(n, 0, "{}", r.stdout);
}

#[test]
fn diff_shows_fixes_and_writes_nothing() {
    let p = Project::new();
    let text = "FROM debian:12\nMAINTAINER Jane <j@example.com>\nUSER 1000\n";
    p.file("Dockerfile", text);
    let r = p.run(&["check", "--offline", "--diff"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,3 @@\n FROM debian:12\n-MAINTAINER Jane <j@example.com>\n+LABEL maintainer=\"Jane <j@example.com>\"\n USER 1000\n"
    );
    assert_eq!(p.read("Dockerfile"), text, "nothing written");
    assert!(r.stderr.contains("1 file would be changed"), "{}", r.stderr);
    // Nothing to fix: exit 0, no diff.
    p.file("Dockerfile", "FROM debian:12\nUSER 1000\n");
    let r = p.run(&["check", "--offline", "--diff"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    // --fix and --diff exclude each other; --unsafe-fixes needs one of them.
    assert_eq!(p.run(&["check", "--fix", "--diff"]).code, 2);
    assert_eq!(p.run(&["check", "--unsafe-fixes"]).code, 2);
}

#[test]
fn a_service_config_extends_the_repositorys() {
    let p = Project::new();
    p.file(
        "plimsoll.toml",
        "ignore = [\"PL3003\"]\nexclude = [\"services/api/generated/**\"]\n",
    );
    p.file("services/api/Dockerfile", BAD);
    p.file("services/api/generated/Dockerfile", BAD);
    p.file(
        "services/api/plimsoll.toml",
        "extend = \"../../plimsoll.toml\"\n[rules]\nPL1002 = \"off\"\n",
    );
    // Run inside the service: its config (with what it inherits) is the run's.
    let mut c = p.command(&["check", "--offline", "--format", "json"]);
    c.current_dir(p.path().join("services/api"));
    let r = support::Run::from(c.output().unwrap());
    let f = r.json();
    let paths: Vec<&str> = f["summary"]["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["Dockerfile"], "the inherited exclude applies");
    let ids: Vec<&str> = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule_id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"PL3003"), "inherited ignore: {ids:?}");
    assert!(!ids.contains(&"PL1002"), "own setting: {ids:?}");
    assert!(ids.contains(&"PL3002"), "{ids:?}");
}

/// The built-ins' settings schemas are valid JSON Schema (the host skips that
/// check at start-up when a built-in gets no settings), and the lint and pin
/// schemas take that fast path.
#[test]
fn builtin_settings_schemas_are_valid_and_accept_no_settings() {
    let p = Project::new();
    let r = p.run(&["plugin", "list", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut checked = 0;
    for plugin in r.json().as_array().unwrap() {
        let value = plugin["settings_schema"].clone();
        if value.is_null() {
            continue;
        }
        let schema = value.to_string();
        let schema = schema.as_str();
        assert!(
            jsonschema::meta::validate(&value).is_ok(),
            "{}: {:?}",
            plugin["name"],
            jsonschema::meta::validate(&value).err()
        );
        if matches!(plugin["name"].as_str(), Some("lint" | "pin")) {
            assert!(
                plimsoll_host::empty_object_always_valid(schema),
                "{}",
                plugin["name"]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}

#[test]
fn shellcheck_ids_select_and_ignore_the_shell_rules() {
    let p = Project::new();
    p.file(
        "Dockerfile",
        "FROM alpine:3.20\nUSER 1000\nRUN cp $SRC /x\nRUN cd /src; make\n",
    );
    // `--select SC2086` is PL2102.
    let r = p.run(&[
        "check",
        "--offline",
        "--format",
        "json",
        "--select",
        "SC2086",
    ]);
    assert_eq!(ids(&r), ["PL2102"], "{}", r.stderr);
    // `.hadolint.yaml` `ignored:` turns it off, with no "not implemented" warning.
    p.file(".hadolint.yaml", "ignored:\n  - SC2086\n");
    let r = p.run(&["check", "--offline", "--format", "json", "--select", "PL21"]);
    assert_eq!(ids(&r), ["PL2104"], "{}", r.stderr);
    assert!(!r.stderr.contains("does not implement"), "{}", r.stderr);
    // An inline hadolint comment does too.
    std::fs::remove_file(p.path().join(".hadolint.yaml")).unwrap();
    p.file(
        "Dockerfile",
        "FROM alpine:3.20\nUSER 1000\n# hadolint ignore=SC2164\nRUN cd /src; make\n",
    );
    let r = p.run(&["check", "--offline", "--format", "json", "--select", "PL21"]);
    assert!(ids(&r).is_empty(), "{}", r.stdout);
    assert_eq!(r.json()["summary"]["suppressed"], 1);
}

#[test]
fn a_run_nested_hundreds_deep_is_a_finding_not_a_plugin_crash() {
    // brush's recursive parser would exhaust the lint plugin's stack; the
    // depth guard reports PL2101 and the other plugins' findings still come.
    let p = Project::new();
    let deep = format!(
        "FROM alpine:3.20\nUSER 1000\nRUN {}echo{}\n",
        "if true; then ".repeat(400),
        "; fi".repeat(400)
    );
    p.file("Dockerfile", &deep);
    let r = p.run(&["check", "--offline", "--format", "json"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let found = ids(&r);
    assert!(found.contains(&"PL2101".to_string()), "{found:?}");
    assert!(!r.stderr.contains("trap"), "{}", r.stderr);
}

/// The result cache (ruff's model): an unchanged file is not checked again
/// by a plugin whose answer hangs on nothing else; a changed file, plugin
/// or setting is; the selection is applied to the cached answer; a
/// truncated entry is recomputed; `--no-result-cache` and `--no-cache`
/// bypass it. `-vv` logs each lookup. A private cache directory, so the
/// entries counted are this test's. Both layers: the per-plugin answers
/// (`results/`) and the whole-file one per run configuration
/// (`file-results/`, asked first).
#[test]
fn the_result_cache_recomputes_what_changed_and_nothing_else() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let dockerfile = "FROM debian:12\nRUN apt-get install -y curl\nMAINTAINER x\n";
    p.file("Dockerfile", dockerfile);
    p.file("plimsoll.toml", "[lint]\nmax-wasted-bytes = 1000\n");
    let invoke = |extra: &[&str]| {
        let mut args = vec!["-vv", "check", "--offline", "--format", "json"];
        args.extend_from_slice(extra);
        args.push("Dockerfile");
        support::Run::from(
            p.command(&args)
                .env("PLIMSOLL_CACHE_DIR", &cache)
                .output()
                .unwrap(),
        )
    };
    let run = |extra: &[&str]| {
        let r = invoke(extra);
        let (hits, misses) = r.cache_lookups("lint");
        let findings = r.json()["findings"].to_string();
        (findings, hits, misses)
    };
    let entries_of = |layer: &str| {
        walk(&cache.join(layer))
            .into_iter()
            .filter(|f| f.is_file())
            .collect::<Vec<_>>()
    };
    let entries = || entries_of("results");
    // Plugins answered by the whole-file layer.
    let whole_file = |extra: &[&str]| {
        invoke(extra)
            .stderr
            .matches("result cache hit (whole file)")
            .count()
    };
    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            out.push(e.path());
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            }
        }
        out
    }

    let (first, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));
    assert!(first.contains("PL3003"), "{first}");
    // lint's answer, and pin's: offline, with the registry's (offline)
    // answer it hangs on.
    assert_eq!(entries().len(), 2);
    // And what the run reported for the file, for this configuration.
    assert_eq!(entries_of("file-results").len(), 1);
    let (again, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (1, 0));
    assert_eq!(again, first);
    // Answered by the whole-file layer: one hit line per plugin that runs.
    assert_eq!(whole_file(&[]), 2);

    // The selection is applied to the cached answer, either way: another
    // selection is another whole-file entry, served by lint's own answer.
    let (some, hits, _) = run(&["--select", "PL3003"]);
    assert_eq!(hits, 1);
    assert!(some.contains("PL3003") && !some.contains("PL1"), "{some}");
    assert_eq!(entries_of("file-results").len(), 2);
    assert_eq!(whole_file(&["--select", "PL3003"]), 1);
    let (all, hits, _) = run(&[]);
    assert_eq!((hits, all.as_str()), (1, first.as_str()));

    // A changed file, a changed setting: checked again.
    p.file("Dockerfile", &format!("{dockerfile}USER 1000\n"));
    let (changed, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));
    assert_ne!(changed, first);
    p.file("Dockerfile", dockerfile);
    p.file("plimsoll.toml", "[lint]\nmax-wasted-bytes = 2000\n");
    let (_, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));

    // A truncated entry is recomputed (and rewritten), never trusted.
    for f in entries().into_iter().chain(entries_of("file-results")) {
        let bytes = std::fs::read(&f).unwrap();
        std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    }
    let (recomputed, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));
    assert_eq!(recomputed, first);
    let (_, hits, _) = run(&[]);
    assert_eq!(hits, 1);
    // An entry edited to hide the findings fails its MAC (the key lives
    // outside the cache directory): recomputed, not believed. (The
    // whole-file entry, asked first, removed to reach lint's.)
    for f in entries_of("file-results") {
        std::fs::remove_file(f).unwrap();
    }
    for f in entries() {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        // Whole entries only: those of earlier texts and settings were
        // truncated above and never rewritten.
        if !text.ends_with('}') {
            continue;
        }
        let at = text.find("\"findings\":[").unwrap() + "\"findings\":[".len();
        let end = text.rfind(']').unwrap();
        std::fs::write(&f, format!("{}{}", &text[..at], &text[end..])).unwrap();
    }
    let (recomputed, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));
    assert_eq!(recomputed, first);
    // The whole-file entry is the run's answer for the file, rewritten just
    // now with the recomputed one: a byte of it changed (the finding's
    // message, say) fails its MAC too.
    assert_eq!(whole_file(&[]), 2);
    for f in entries_of("file-results") {
        let mut bytes = std::fs::read(&f).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&f, &bytes).unwrap();
    }
    for f in entries() {
        std::fs::remove_file(f).unwrap();
    }
    let (recomputed, hits, misses) = run(&[]);
    assert_eq!((hits, misses), (0, 1));
    assert_eq!(recomputed, first);

    // Bypassed: no lookups, nothing written.
    let before = entries().len();
    p.file("Dockerfile", &format!("{dockerfile}USER 1001\n"));
    let whole_before = entries_of("file-results").len();
    for flag in ["--no-result-cache", "--no-cache"] {
        let (_, hits, misses) = run(&[flag]);
        assert_eq!((hits, misses), (0, 0), "{flag}");
        assert_eq!(entries().len(), before, "{flag}");
        assert_eq!(entries_of("file-results").len(), whole_before, "{flag}");
    }
}

/// A plugin from config is cached under its own bytes: another build of it
/// is asked again.
#[test]
fn the_result_cache_is_keyed_by_the_plugin_bytes() {
    let p = Project::new();
    let cache = p.path().join("cache");
    p.file("Dockerfile", "FROM debian:12\n");
    p.file(
        "plimsoll.toml",
        "[[plugins]]\nname = \"labels\"\nsource = \"labels.wasm\"\n",
    );
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/plugins/required-labels-wit-0.1.0.wasm");
    let run = || {
        let r = support::Run::from(
            p.command(&[
                "-vv",
                "check",
                "--offline",
                "--select",
                "CORP010",
                "Dockerfile",
            ])
            .env("PLIMSOLL_CACHE_DIR", &cache)
            .output()
            .unwrap(),
        );
        assert!(r.stdout.contains("CORP0"), "{}{}", r.stdout, r.stderr);
        r.cache_lookups("labels")
    };
    std::fs::copy(
        plimsoll_test_programs::EXAMPLE_REQUIRED_LABELS,
        p.path().join("labels.wasm"),
    )
    .unwrap();
    assert_eq!(run(), (0, 1));
    assert_eq!(run(), (1, 0));
    std::fs::copy(&fixture, p.path().join("labels.wasm")).unwrap();
    assert_eq!(run(), (0, 1));
}

/// A built-in none of whose rules is selected is not loaded once its rules
/// are known (the rule cache, filled by any run that loaded it): `--select
/// lint` does not load `pin`, and pin's ids stay valid selectors.
#[test]
fn built_ins_the_selection_turns_off_are_not_loaded() {
    let p = Project::new();
    p.file("Dockerfile", "FROM debian:12\nMAINTAINER x\n");
    let loaded = |args: &[&str]| {
        let mut all = vec!["-v", "check", "--offline", "--format", "json"];
        all.extend_from_slice(args);
        let r = p.run(&all);
        let plugins: Vec<String> = r
            .stderr
            .lines()
            .filter(|l| l.contains("loaded") && l.contains("rules"))
            .filter_map(|l| l.split("plugin=").nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
            .collect();
        (r, plugins)
    };
    let (_, all) = loaded(&[]);
    assert!(all.contains(&"pin".to_string()), "{all:?}");
    let (r, some) = loaded(&["--select", "lint"]);
    assert_eq!(some, ["lint"], "{}", r.stderr);
    assert!(r.stdout.contains("PL3003"), "{}", r.stdout);
    let (r, some) = loaded(&["--select", "PL6001"]);
    assert_eq!(some, ["pin"], "{}", r.stderr);
    assert!(
        r.stdout.contains("PL6001") && !r.stdout.contains("PL3003"),
        "{}",
        r.stdout
    );
    // Settings to validate: loaded whatever the selection.
    p.file("plimsoll.toml", "[pin]\nbogus = 1\n");
    let (r, _) = loaded(&["--select", "lint"]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// A run whose files the whole-file result cache answers loads no plugin;
/// the first file checked afresh loads them, and what a plugin that fails
/// to load then says (and the exit code) is what it says when loaded at
/// the start. Such a run keeps no whole-file answers: the next run fails
/// the same way, never passes on answers computed without the plugin.
#[test]
fn plugins_are_loaded_when_a_file_first_needs_them() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let dockerfile = "FROM debian:12\nMAINTAINER x\n";
    p.file("Dockerfile", dockerfile);
    let run_with = |cache: &std::path::Path| {
        support::Run::from(
            p.command(&["-v", "check", "--offline", "--format", "json"])
                .env("PLIMSOLL_CACHE_DIR", cache)
                .output()
                .unwrap(),
        )
    };
    let run = || run_with(&cache);
    let loaded = |r: &support::Run| {
        r.stderr
            .lines()
            .filter(|l| l.contains("loaded") && l.contains("rules plugin="))
            .count()
    };
    let first = run();
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert_eq!(loaded(&first), 2, "{}", first.stderr);
    let again = run();
    assert_eq!(loaded(&again), 0, "{}", again.stderr);
    assert!(
        again.stderr.contains("no plugin loaded"),
        "{}",
        again.stderr
    );
    assert_eq!(
        (again.code, again.json()["findings"].clone()),
        (1, first.json()["findings"].clone())
    );
    // A changed file loads them.
    p.file("Dockerfile", &format!("{dockerfile}USER 1000\n"));
    let changed = run();
    assert_eq!(loaded(&changed), 2, "{}", changed.stderr);
    assert_ne!(changed.json()["findings"], first.json()["findings"]);

    // Settings lint rejects: loaded late (rules known), and at the start
    // (a cache that knows nothing), the same error and exit code, every run.
    p.file("plimsoll.toml", "[lint]\nmax-wasted-bytes = \"lots\"\n");
    let fresh = p.path().join("fresh-cache");
    let eager = run_with(&fresh);
    let _ = std::fs::remove_dir_all(&fresh);
    for _ in 0..2 {
        let late = run();
        assert_eq!(late.code, 3, "{}{}", late.stdout, late.stderr);
        assert_eq!(late.json()["errors"], eager.json()["errors"]);
        assert_eq!(late.json()["findings"], eager.json()["findings"]);
        let message = late.json()["errors"][0]["message"].to_string();
        assert!(
            message.contains("plimsoll.toml:2") && message.contains("rejected its settings"),
            "{message}"
        );
    }
}

/// `plimsoll -vv check --offline --fail-on never ARGS` in `p` with the
/// cache directory `cache`, the result cache on or (`cached` false) off.
fn check_with_cache(
    p: &Project,
    cache: &std::path::Path,
    args: &[&str],
    cached: bool,
) -> support::Run {
    let mut all = vec!["-vv", "check", "--offline", "--fail-on", "never"];
    if !cached {
        all.push("--no-result-cache");
    }
    all.extend_from_slice(args);
    let mut c = p.command(&all);
    c.env("PLIMSOLL_CACHE_DIR", cache);
    support::Run::from(c.output().unwrap())
}

/// A re-run shows an unchanged file's findings as the result cache kept
/// them rendered, and that output is the one rendering them afresh gives:
/// with and without styles, after a run with another format, and after an
/// edit.
#[test]
fn human_blocks_kept_by_the_result_cache_are_what_rendering_gives() {
    let p = Project::new();
    let cache = p.path().join("cache");
    p.file(
        "a/Dockerfile",
        "FROM debian:12\nMAINTAINER x\nRUN cd /tmp && make\n",
    );
    p.file("b/Dockerfile", "FROM alpine:3.20\nRUN apk add curl\n");
    let run = |args: &[&str], cached: bool| check_with_cache(&p, &cache, args, cached);
    let kept = |r: &support::Run| {
        r.stderr
            .matches("human blocks from the result cache")
            .count()
    };
    let rendered = |r: &support::Run| {
        r.stderr
            .matches("human blocks rendered for the result cache")
            .count()
    };
    let afresh = run(&["--color", "never"], false);
    assert!(afresh.stdout.contains("MAINTAINER"), "{}", afresh.stdout);

    // A run with another format keeps no blocks; the first human run then
    // renders them for the cache, and the next copies them.
    run(&["--format", "json"], true);
    let first = run(&["--color", "never"], true);
    assert_eq!((kept(&first), rendered(&first)), (0, 2), "{}", first.stderr);
    let again = run(&["--color", "never"], true);
    assert_eq!((kept(&again), rendered(&again)), (2, 0), "{}", again.stderr);
    assert_eq!(first.stdout, afresh.stdout);
    assert_eq!(again.stdout, afresh.stdout);

    // An edited file is checked and rendered again; the other is copied.
    p.file(
        "b/Dockerfile",
        "FROM alpine:3.20\nRUN apk add curl wget\nUSER 1000\n",
    );
    let edited = run(&["--color", "never"], true);
    assert_eq!(kept(&edited), 1, "{}", edited.stderr);
    assert_eq!(edited.stdout, run(&["--color", "never"], false).stdout);
    assert_ne!(edited.stdout, afresh.stdout);

    // Blocks rendered without styles are not shown where styles are (one
    // rendering is kept: the last asked for).
    let styled_afresh = run(&["--color", "always"], false);
    assert_ne!(styled_afresh.stdout, afresh.stdout);
    let styled = run(&["--color", "always"], true);
    assert_eq!(rendered(&styled), 2, "{}", styled.stderr);
    let styled_again = run(&["--color", "always"], true);
    assert_eq!(kept(&styled_again), 2, "{}", styled_again.stderr);
    assert_eq!(styled.stdout, styled_afresh.stdout);
    assert_eq!(styled_again.stdout, styled_afresh.stdout);
}

/// A re-run writes an unchanged file's JSON elements as the result cache
/// kept them (added by the first JSON run that found the file unchanged),
/// and the document is the one writing them afresh gives: after human runs
/// (whose blocks the JSON elements do not replace), after an edit, and with
/// a human report in the same run.
#[test]
fn json_elements_kept_by_the_result_cache_are_what_writing_gives() {
    let p = Project::new();
    let cache = p.path().join("cache");
    p.file(
        "a/Dockerfile",
        "FROM debian:12\nMAINTAINER \"x\\\" <x@é>\nRUN cd /tmp && make\n",
    );
    p.file("b/Dockerfile", "FROM alpine:3.20\nRUN apk add curl\n");
    p.file("c/Dockerfile", "FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000\nUSER 1000\nHEALTHCHECK NONE\n");
    let run = |args: &[&str], cached: bool| check_with_cache(&p, &cache, args, cached);
    let count = |r: &support::Run, what: &str| r.stderr.matches(what).count();
    let (kept, rendered) = (
        |r: &support::Run| count(r, "JSON elements from the result cache"),
        |r: &support::Run| count(r, "JSON elements rendered for the result cache"),
    );
    let human_kept = |r: &support::Run| count(r, "human blocks from the result cache");
    let json = ["--format", "json"];
    let afresh = run(&json, false);
    assert!(afresh.stdout.contains("MAINTAINER"), "{}", afresh.stdout);
    let findings = |r: &support::Run| r.json()["findings"].as_array().unwrap().len();
    assert!(findings(&afresh) > 3, "{}", afresh.stdout);

    // The run that checks the files keeps their findings alone; the next
    // (human) adds its blocks. The first JSON run finds the answers without
    // elements, renders them for the cache, and the next copies them. The
    // human blocks are still kept after it.
    let checked = run(&["--color", "never"], true);
    assert_eq!(
        checked
            .stderr
            .matches("rendered for the result cache")
            .count(),
        0
    );
    let human = run(&["--color", "never"], true);
    assert_eq!(
        count(&human, "human blocks rendered for the result cache"),
        3,
        "{}",
        human.stderr
    );
    assert_eq!(human.stdout, checked.stdout);
    let first = run(&json, true);
    assert_eq!((kept(&first), rendered(&first)), (0, 3), "{}", first.stderr);
    let again = run(&json, true);
    assert_eq!((kept(&again), rendered(&again)), (3, 0), "{}", again.stderr);
    assert_eq!(first.stdout, afresh.stdout);
    assert_eq!(again.stdout, afresh.stdout);
    let human_again = run(&["--color", "never"], true);
    assert_eq!(human_kept(&human_again), 3, "{}", human_again.stderr);
    assert_eq!(human_again.stdout, human.stdout);

    // An edited file is checked and written again; the others are copied.
    p.file(
        "b/Dockerfile",
        "FROM alpine:3.20\nRUN apk add curl wget\nUSER 1000\n",
    );
    let edited = run(&json, true);
    assert_eq!(
        (kept(&edited), rendered(&edited)),
        (2, 0),
        "{}",
        edited.stderr
    );
    assert_eq!(edited.stdout, run(&json, false).stdout);
    assert_ne!(edited.stdout, afresh.stdout);
    // Both reports at once.
    let out = p.path().join("report.json");
    let both = run(
        &[
            "--format",
            "human",
            "--output",
            "-",
            "--format",
            "json",
            "--output",
            out.to_str().unwrap(),
        ],
        true,
    );
    // The edited file's elements are added by this run, the first to find
    // it unchanged.
    assert_eq!((kept(&both), rendered(&both)), (2, 1), "{}", both.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), edited.stdout);
}

/// A file whose metadata is what it was when its answer was kept (and old
/// enough that a write since would show in it) is not read at all by a
/// run whose reports show no file text (JSON, concise, human with kept
/// blocks); any write shows, even one that keeps the size. A run that shows
/// text (SARIF), or a human run without kept blocks, reads it; so does
/// every run for a file written in the last two seconds.
#[test]
fn unchanged_files_are_not_read_when_their_metadata_says_so() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let run = |format: &str| p.check_cached(&cache, &["--format", format, "Dockerfile"]);
    let hits = |r: &support::Run| r.whole_file_hits("Dockerfile").0;
    let unread = |r: &support::Run| r.whole_file_hits("Dockerfile").1;
    let messages = |r: &support::Run| {
        r.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Written, then settled: checked (no answer for these bytes), and the
    // answer keeps the file's metadata, so the next run does not read it.
    let settled = |text: &str, word: &str| {
        p.file("Dockerfile", text);
        std::thread::sleep(std::time::Duration::from_millis(2200));
        let checked = run("json");
        assert!(messages(&checked).contains(word), "{}", checked.stderr);
        assert_eq!(hits(&checked), 0, "{}", checked.stderr);
        let again = run("json");
        assert_eq!((hits(&again), unread(&again)), (2, 2), "{}", again.stderr);
        assert_eq!(messages(&again), messages(&checked));
    };
    settled("FROM debian:12\nRUN apt-get install -y curl\n", "`curl`");

    // Just written (the same bytes): its metadata is not trusted yet, so
    // it is read, and its bytes give the answer (unless this run came
    // two seconds late, the machine busy).
    p.file(
        "Dockerfile",
        "FROM debian:12\nRUN apt-get install -y curl\n",
    );
    let written = std::time::Instant::now();
    let fresh = run("json");
    if written.elapsed() < std::time::Duration::from_millis(1500) {
        assert_eq!((hits(&fresh), unread(&fresh)), (2, 0), "{}", fresh.stderr);
    }

    // Another text of the same size: checked again.
    settled("FROM debian:12\nRUN apt-get install -y wget\n", "`wget`");
    let concise = run("concise");
    assert_eq!(unread(&concise), 2, "{}", concise.stderr);
    // SARIF shows the text (fingerprints): read; human output without kept
    // blocks renders them from the text: read, then kept.
    let sarif = run("sarif");
    assert_eq!((hits(&sarif), unread(&sarif)), (2, 0), "{}", sarif.stderr);
    let human = run("human");
    assert_eq!((hits(&human), unread(&human)), (2, 0), "{}", human.stderr);
    assert!(human.stdout.contains("`wget`"), "{}", human.stdout);
    let human_again = run("human");
    assert_eq!(unread(&human_again), 2, "{}", human_again.stderr);
    assert_eq!(human_again.stdout, human.stdout);

    // A write that keeps the size (and, as fast as it comes, perhaps the
    // modification time's tick) still changes the file's change time.
    p.file(
        "Dockerfile",
        "FROM debian:12\nRUN apt-get install -y curl\n",
    );
    let rewritten = run("json");
    assert_eq!(hits(&rewritten), 0, "{}", rewritten.stderr);
    assert!(messages(&rewritten).contains("`curl`"));
}

/// Metadata that changed alone (a checkout, `touch`) sends the file to be
/// read and answered from its bytes; the new metadata is kept when the
/// entry is written anyway, not for it alone.
#[test]
fn metadata_changed_alone_is_kept_when_the_entry_is_written_anyway() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let (a, b) = (
        "FROM debian:12\nMAINTAINER a\n",
        "FROM debian:12\nMAINTAINER b\n",
    );
    p.file("a/Dockerfile", a);
    p.file("b/Dockerfile", b);
    let settle = || std::thread::sleep(std::time::Duration::from_millis(2200));
    let run = || p.check_cached(&cache, &["--format", "json", "a", "b"]);
    // Per file: (answered from the cache, without reading it).
    let answered = |r: &support::Run, file: &str| r.whole_file_hits(file);
    settle();
    run();
    let r = run();
    assert_eq!(answered(&r, "a/Dockerfile"), (2, 2), "{}", r.stderr);
    assert_eq!(answered(&r, "b/Dockerfile"), (2, 2));

    p.file("a/Dockerfile", a);
    settle();
    for _ in 0..2 {
        let r = run();
        assert_eq!(answered(&r, "a/Dockerfile"), (2, 0), "{}", r.stderr);
        assert_eq!(answered(&r, "b/Dockerfile"), (2, 2));
    }
    p.file("b/Dockerfile", "FROM debian:12\nMAINTAINER c\n");
    settle();
    let r = run();
    assert_eq!(answered(&r, "a/Dockerfile"), (2, 0), "{}", r.stderr);
    assert_eq!(answered(&r, "b/Dockerfile"), (0, 0));
    let r = run();
    assert_eq!(answered(&r, "a/Dockerfile"), (2, 2), "{}", r.stderr);
    assert_eq!(answered(&r, "b/Dockerfile"), (2, 2));
}

/// A large whole-file entry is mapped rather than read (from 256 KiB): it
/// is used when it verifies and recomputed when a byte of it changed, as a
/// small one is. (A file with a byte-order mark keeps its text in the
/// entry, which makes this one large.)
#[test]
fn a_large_whole_file_entry_is_used_and_verified_like_a_small_one() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let filler = "# filler line for a large entry\n".repeat(12_000);
    p.file(
        "Dockerfile",
        &format!("\u{feff}FROM debian:12\n{filler}RUN apt-get install -y curl\nMAINTAINER x\n"),
    );
    let run = || p.check_cached(&cache, &["--format", "json", "Dockerfile"]);
    let whole_file = |r: &support::Run| r.stderr.matches("result cache hit (whole file)").count();
    let entry = || {
        let dirs: Vec<_> = std::fs::read_dir(cache.join("file-results"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(dirs.len(), 1);
        let files: Vec<_> = std::fs::read_dir(dirs[0].path())
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(files.len(), 1);
        files[0].path()
    };
    let first = run();
    let findings = first.json()["findings"].clone();
    assert!(findings.to_string().contains("PL3003"), "{}", first.stderr);
    assert_eq!(whole_file(&first), 0);
    let size = std::fs::metadata(entry()).unwrap().len();
    assert!(
        size > 256 * 1024,
        "the entry is {size} bytes: too small to be mapped"
    );
    let again = run();
    assert_eq!(whole_file(&again), 2, "{}", again.stderr);
    assert_eq!(again.json()["findings"], findings);
    // A byte in the middle of the text kept in the entry changed: it fails
    // its MAC, and the file is checked again, with the same findings.
    let mut bytes = std::fs::read(entry()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(entry(), &bytes).unwrap();
    let edited = run();
    assert_eq!(whole_file(&edited), 0, "{}", edited.stderr);
    assert!(
        edited.stderr.contains("does not verify"),
        "{}",
        edited.stderr
    );
    assert_eq!(edited.json()["findings"], findings);
    assert_eq!(whole_file(&run()), 2);
}

/// A run over many targets keeps its answers in the whole-file layer only
/// (an entry per (plugin, file) costs more than the check on a cold
/// cache), and looks for per-plugin entries only where there are some; a
/// small run writes the per-plugin entries too, and a large run then finds
/// them.
#[test]
fn only_small_runs_write_an_entry_per_plugin_and_file() {
    let p = Project::new();
    let cache = p.path().join("cache");
    let many = 40;
    for i in 0..many {
        p.file(
            &format!("svc{i}/Dockerfile"),
            &format!("FROM debian:12\nMAINTAINER x{i}\n"),
        );
    }
    let run = |paths: &[&str]| {
        let mut args = vec!["-vv", "check", "--offline", "--format", "json"];
        args.extend_from_slice(paths);
        support::Run::from(
            p.command(&args)
                .env("PLIMSOLL_CACHE_DIR", &cache)
                .output()
                .unwrap(),
        )
    };
    let files_under = |layer: &str| {
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        }
        walk(&cache.join(layer))
    };
    let whole = run(&["."]);
    assert!(whole.json()["findings"].as_array().unwrap().len() >= many);
    assert_eq!(files_under("results"), 0, "{}", whole.stderr);
    // With no per-plugin entries to find, and none to write, it looked
    // for none.
    assert_eq!(whole.cache_lookups("lint"), (0, 0), "{}", whole.stderr);
    assert_eq!(files_under("file-results"), 1);
    let again = run(&["."]);
    assert_eq!(
        again
            .stderr
            .matches("result cache hit (whole file)")
            .count(),
        2 * many,
        "{}",
        again.stderr
    );
    assert_eq!(again.json()["findings"], whole.json()["findings"]);
    // One of them alone: another target list, checked afresh, and its
    // answers written per plugin, for the next such run.
    let one = run(&["svc3/Dockerfile"]);
    assert_eq!(one.cache_lookups("lint"), (0, 1), "{}", one.stderr);
    assert_eq!(files_under("results"), 2);
    let one_again = run(&["svc3/Dockerfile", "svc4/Dockerfile"]);
    assert_eq!(
        one_again.cache_lookups("lint"),
        (1, 1),
        "{}",
        one_again.stderr
    );
    // A large run over another list of targets finds the two files' answers
    // the small runs kept, and checks the rest.
    p.file("svc40/Dockerfile", "FROM debian:12\nMAINTAINER new\n");
    let larger = run(&["."]);
    assert_eq!(
        larger.cache_lookups("lint"),
        (2, many - 1),
        "{}",
        larger.stderr
    );
    let count = |r: &support::Run| r.json()["findings"].as_array().unwrap().len();
    assert_eq!(
        count(&larger),
        count(&whole) + count(&run(&["svc40/Dockerfile"]))
    );
}

//! Hostile plugins, built by the test suite (plugins/test-programs): each must
//! fail with its own named error and exit 3, while the built-in lint plugin's
//! findings are still reported.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::{Project, toml_path};

const DOCKERFILE: &str = "FROM debian:latest\nUSER 1000\n";

fn project_with(entry: &str) -> Project {
    let p = Project::new();
    p.file("Dockerfile", DOCKERFILE);
    p.file("plimsoll.toml", entry);
    p
}

fn hostile(behaviour: &str, limits: &str) -> String {
    format!(
        "[[plugins]]\nname = \"hostile\"\nsource = {}\nlimits = {{ {limits} }}\nsettings = {{ behaviour = \"{behaviour}\" }}\n",
        toml_path(plimsoll_test_programs::HOSTILE)
    )
}

/// Runs the check as JSON and returns (exit code, errors, lint rule ids).
fn check(p: &Project) -> (i32, Vec<serde_json::Value>, Vec<String>) {
    let r = p.run(&["check", "--format", "json"]);
    let j = r.json();
    let errors = j["errors"].as_array().unwrap().clone();
    let lint: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "lint")
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    (r.code, errors, lint)
}

fn assert_failure(errors: &[serde_json::Value], kind: &str, needle: &str) {
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["kind"], kind, "{errors:#?}");
    assert_eq!(errors[0]["plugin"], "hostile", "{errors:#?}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{msg}");
}

/// The built-in lint plugin's findings survive whatever the hostile one does.
fn assert_lint_reports(lint: &[String]) {
    assert!(
        lint.iter().any(|id| id == "PL1002"),
        "lint no longer reports `FROM debian:latest`: {lint:?}"
    );
}

#[test]
fn well_behaved_control() {
    let p = project_with(&hostile("fine", ""));
    let (code, errors, lint) = check(&p);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(code, 1);
    assert_lint_reports(&lint);
}

#[test]
fn infinite_loop_times_out_within_the_deadline() {
    let p = project_with(&hostile("loop", "timeout-ms = 300"));
    let started = Instant::now();
    let (code, errors, lint) = check(&p);
    // Bounded by the deadline, not by the loop (generous margin for slow CI).
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(code, 3);
    assert_failure(
        &errors,
        "plugin-timeout",
        "timed out during check of Dockerfile after 300 ms",
    );
    assert_lint_reports(&lint);
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let p = project_with(&hostile("memory", "memory-mib = 32"));
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-memory-limit", "the limit is 32 MiB");
    assert_lint_reports(&lint);
}

/// An instance checks several targets in a row, but one that has grown
/// past half its memory limit is not kept: a plugin leaking 20 MiB a call
/// under a 64 MiB limit checks twelve files without reaching the limit
/// (kept with one call's leak, replaced after the second).
#[test]
fn instances_serve_several_targets_but_a_leaking_one_is_replaced() {
    let p = project_with(&hostile("leak", "memory-mib = 64"));
    for i in 0..12 {
        p.file(&format!("svc{i}/Dockerfile"), DOCKERFILE);
    }
    let r = p.run(&["check", "--format", "json", "--select", "HOSTILE001"]);
    let j = r.json();
    assert_eq!(j["errors"].as_array().unwrap().len(), 0, "{}", r.stderr);
    let messages: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 13, "{messages:?}");
    assert!(
        messages.contains(&"call 2 of this instance"),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .all(|m| *m == "call 1 of this instance" || *m == "call 2 of this instance"),
        "{messages:?}"
    );
}

#[test]
fn panic_is_a_trap_naming_the_plugin() {
    let p = project_with(&hostile("panic", ""));
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(
        &errors,
        "plugin-trap",
        "plugin `hostile`: trapped during check of Dockerfile",
    );
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("hostile plugin panics on purpose"),
        "panic message from stderr: {msg}"
    );
    assert!(msg.contains("wasm backtrace"), "{msg}");
    assert_lint_reports(&lint);
}

#[test]
fn ungranted_capability_is_refused_at_load() {
    let entry = format!(
        "[[plugins]]\nname = \"hostile\"\nsource = {}\n",
        toml_path(plimsoll_test_programs::WANTS_REGISTRY)
    );
    let p = project_with(&entry);
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(
        &errors,
        "plugin-import-denied",
        "imports `plimsoll:plugin/registry@0.1.5` but the config does not grant it the `registry` capability",
    );
    assert_lint_reports(&lint);
    // Granted, it loads and its calls reach the host.
    p.file(
        "plimsoll.toml",
        &format!("{entry}capabilities = [\"registry\"]\n"),
    );
    let r = p.run(&["check", "--format", "json"]);
    let j = r.json();
    let f = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["plugin"] == "hostile")
        .unwrap()
        .clone();
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("could not be resolved"),
        "{f:#?}"
    );
}

#[test]
fn invalid_output_is_refused() {
    for (behaviour, needle) in [
        (
            "undeclared-rule",
            "reported rule `NOT-DECLARED`, which its metadata does not declare",
        ),
        ("outside-span", "outside the file"),
        ("flood", "the limit is 10000"),
    ] {
        let p = project_with(&hostile(behaviour, ""));
        let (code, errors, lint) = check(&p);
        assert_eq!(code, 3, "{behaviour}");
        assert_failure(&errors, "plugin-invalid-output", needle);
        assert_lint_reports(&lint);
    }
}

#[test]
fn plugin_reported_error_and_rejected_settings() {
    let p = project_with(&hostile("error", ""));
    let (code, errors, _) = check(&p);
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-error", "cannot check this file on purpose");
    let p = project_with(&hostile("reject-settings", ""));
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-settings", "field `behaviour`");
    assert_lint_reports(&lint);
}

#[test]
fn not_a_component_is_a_load_error() {
    let p = Project::new();
    p.file("Dockerfile", DOCKERFILE);
    p.file("junk.wasm", "not wasm at all");
    p.file(
        "plimsoll.toml",
        "[[plugins]]\nname = \"hostile\"\nsource = \"junk.wasm\"\n",
    );
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-load", "is not a WebAssembly component");
    assert_lint_reports(&lint);
}

#[test]
fn corrupt_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.file("Dockerfile", DOCKERFILE);
    // Without the result cache: a re-run it answers loads no plugin.
    let run = || {
        p.command(&["check", "--format", "json", "--no-result-cache"])
            .env("PLIMSOLL_CACHE_DIR", cache.path())
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(1));
    let entries = compiled_entries(&cache.path().join("components"));
    assert!(!entries.is_empty());
    for e in &entries {
        std::fs::write(e, b"garbage").unwrap();
    }
    let o = run();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for e in &entries {
        assert!(std::fs::metadata(e).unwrap().len() > 1000, "rewritten");
    }
}

/// The compiled plugins in a cache's `components` directory (each `.cwasm`
/// has its MAC beside it in `.cwasm.mac`).
fn compiled_entries(components: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(components)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect()
}

/// `check --format json --select lint` with its own compiled-plugin cache
/// and cache key (`extra` arguments appended), without the result cache (a
/// re-run it answers loads no plugin, compiled or not).
fn check_with_cache(p: &Project, cache: &Path, key: &Path, extra: &[&str]) -> support::Run {
    let mut args = vec![
        "check",
        "--format",
        "json",
        "--select",
        "lint",
        "--no-result-cache",
    ];
    args.extend_from_slice(extra);
    let o = p
        .command(&args)
        .env("PLIMSOLL_CACHE_DIR", cache)
        .env("PLIMSOLL_CACHE_KEY", key)
        .output()
        .unwrap();
    support::Run::from(o)
}

/// The compiled-plugin cache holds native code, and CI caches restore it from
/// storage other jobs can write: an entry swapped for another plugin's, or
/// patched, or written under another key, is refused and recompiled, never
/// run; a cache directory others may write is not used at all.
#[test]
fn poisoned_cache_entries_are_refused_and_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.file("Dockerfile", DOCKERFILE);
    let run = |key: &str| {
        let r = check_with_cache(&p, cache.path(), &state.path().join(key), &["-v"]);
        let lint: Vec<String> = r.rule_ids();
        (r.code, lint, r.stderr)
    };
    let (code, clean, log) = run("cache.key");
    assert_eq!(code, 1, "{log}");
    assert!(log.contains("cache=Miss"), "{log}");
    let (_, again, log) = run("cache.key");
    assert_eq!(again, clean);
    assert!(log.contains("plugin=lint cache=Hit"), "{log}");
    let components = cache.path().join("components");
    let mut entries = compiled_entries(&components);
    entries.sort_by_key(|e| std::fs::metadata(e).unwrap().len());
    assert!(entries.len() >= 2, "{entries:?}");
    let biggest = entries.last().unwrap().clone();
    let original = std::fs::read(&biggest).unwrap();

    // Swapped: the entry replaced by another plugin's (valid) entry, its
    // code and its MAC.
    let mac_of = |p: &Path| p.with_extension("cwasm.mac");
    let other = std::fs::read(&entries[0]).unwrap();
    std::fs::write(&biggest, &other).unwrap();
    std::fs::copy(mac_of(&entries[0]), mac_of(&biggest)).unwrap();
    let (code, swapped, log) = run("cache.key");
    assert_eq!((code, &swapped), (1, &clean), "{log}");
    assert!(log.contains("authentication failed"), "{log}");
    assert!(log.contains("cache=Corrupt"), "{log}");
    assert_eq!(std::fs::read(&biggest).unwrap().len(), original.len());

    // Patched: one byte of the code flipped.
    let mut patched = std::fs::read(&biggest).unwrap();
    let mid = patched.len() / 2;
    patched[mid] ^= 0x40;
    std::fs::write(&biggest, &patched).unwrap();
    let (code, after, log) = run("cache.key");
    assert_eq!((code, &after), (1, &clean), "{log}");
    assert!(log.contains("authentication failed"), "{log}");
    assert_eq!(
        std::fs::read(&biggest).unwrap(),
        original,
        "recompiled the same"
    );

    // Its MAC removed: the code alone is not trusted.
    std::fs::remove_file(mac_of(&biggest)).unwrap();
    let (code, bare, log) = run("cache.key");
    assert_eq!((code, &bare), (1, &clean), "{log}");
    assert!(log.contains("its MAC is missing"), "{log}");
    assert_eq!(std::fs::read(&biggest).unwrap(), original);

    // Another machine's entries (another key) are not trusted either.
    let (code, other_key, log) = run("other.key");
    assert_eq!((code, &other_key), (1, &clean), "{log}");
    assert!(log.contains("authentication failed"), "{log}");

    // A cache directory other users may write is not used.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&components, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, open, log) = run("cache.key");
    assert_eq!((code, &open), (1, &clean), "{log}");
    assert!(log.contains("writable by other users"), "{log}");
    assert!(log.contains("cache=Disabled"), "{log}");
}

/// Time in the host counts against a wall-clock budget: a plugin sleeping
/// 30 s is stopped at `wall-timeout-ms`, with a named error, exit 3.
#[test]
fn a_sleeping_plugin_is_stopped_at_its_wall_clock_budget() {
    let p = project_with(&hostile("sleep", "wall-timeout-ms = 1000"));
    let started = Instant::now();
    let (code, errors, lint) = check(&p);
    let took = started.elapsed();
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-budget", "wall-clock");
    assert_lint_reports(&lint);
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// A plugin that loops over host calls is stopped at `max-host-calls`.
#[test]
fn a_plugin_looping_over_host_calls_is_stopped_at_its_budget() {
    let p = project_with(&format!(
        "[[plugins]]\nname = \"hostile\"\nsource = {}\ncapabilities = [\"registry\"]\nlimits = {{ max-host-calls = 25 }}\nsettings = {{ loop-calls = true }}\n",
        toml_path(plimsoll_test_programs::WANTS_REGISTRY)
    ));
    let started = Instant::now();
    let (code, errors, lint) = check(&p);
    assert_eq!(code, 3);
    assert_failure(&errors, "plugin-budget", "more than 25 host calls");
    assert_lint_reports(&lint);
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// A cache restored onto a machine whose key is new (an ephemeral CI
/// runner) is recompiled quietly; entries that fail against a key that
/// already existed are a warning, shown without `-v`.
#[test]
fn a_new_key_recompiles_quietly_and_a_mismatch_under_an_old_key_warns() {
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let p = Project::new();
    p.file("Dockerfile", DOCKERFILE);
    let run = |key: &str| {
        let r = check_with_cache(&p, cache.path(), &state.path().join(key), &[]);
        (Some(r.code), r.stderr)
    };
    assert_eq!(run("first.key").0, Some(1));
    // Another machine's key, made just now: recompiled, nothing said.
    let (code, log) = run("second.key");
    assert_eq!(code, Some(1));
    assert!(!log.contains("discarding"), "{log}");
    // The first key again, over entries the second wrote: a warning.
    let (code, log) = run("first.key");
    assert_eq!(code, Some(1));
    assert!(
        log.contains("WARN") && log.contains("authentication failed"),
        "{log}"
    );
}

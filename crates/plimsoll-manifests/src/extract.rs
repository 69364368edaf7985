//! Where each kind of file names its images.

use crate::yaml::{Node, NodeId, Tree};
use crate::{ImageRef, Kind, Manifest, ParseError, compose, yaml};

/// Every image reference of a `kind` file, in file order.
pub fn extract(kind: Kind, text: &str) -> Result<Manifest, ParseError> {
    extract_with(kind, text, &Options::default())
}

/// How [`extract_with`] reads files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// In Kubernetes documents of other kinds than the workloads (custom
    /// resources: Argo Workflows, Tekton Tasks, operators' CRs), every
    /// string under a key named `image` is an image reference.
    pub crd_images: bool,
}

/// [`extract`] with [`Options`].
pub fn extract_with(kind: Kind, text: &str, options: &Options) -> Result<Manifest, ParseError> {
    let mut out = Collector {
        text,
        kind,
        images: Vec::new(),
        options: *options,
    };
    match kind {
        Kind::Devcontainer => devcontainer(text, &mut out)?,
        _ => {
            let tree = yaml::parse(text)?;
            for &doc in &tree.docs {
                if !tree.is_map(doc) {
                    continue;
                }
                match kind {
                    Kind::Compose => compose_file(&tree, doc, &mut out),
                    Kind::Kubernetes => kubernetes(&tree, doc, "", &mut out),
                    Kind::GithubWorkflow => workflow(&tree, doc, &mut out),
                    Kind::GitlabCi => gitlab(&tree, doc, &mut out),
                    Kind::Devcontainer => {}
                }
            }
        }
    }
    let mut images = out.images;
    images.sort_by_key(|i| i.span);
    images.dedup_by_key(|i| i.span);
    Ok(Manifest { kind, images })
}

struct Collector<'a> {
    text: &'a str,
    kind: Kind,
    images: Vec<ImageRef>,
    options: Options,
}

impl Collector<'_> {
    /// Records the string at `span` (decoded `value`; `plain` when written
    /// without quotes) as an image reference; `prefix` is a scheme written
    /// before the reference in the same scalar (`docker://`).
    fn add(&mut self, value: &str, span: (usize, usize), field: String, prefix: &str) {
        let Some(written) = value.strip_prefix(prefix) else {
            return;
        };
        let written = written.trim();
        if written.is_empty() {
            return;
        }
        let edit_span = literal_span(self.text, span, value)
            .map(|(s, e)| {
                (
                    s + (value.len() - value.strip_prefix(prefix).unwrap_or(value).len()),
                    e,
                )
            })
            .filter(|(s, e)| self.text.get(*s..*e) == Some(written));
        let (reference, unresolved, editable) = self.resolve(written);
        self.images.push(ImageRef {
            reference,
            written: written.to_string(),
            span,
            edit_span: edit_span.filter(|_| editable),
            field,
            unresolved,
        });
    }

    /// The image pulled, why it is not known, and whether the written text
    /// may be edited in place.
    fn resolve(&self, written: &str) -> (String, Option<String>, bool) {
        match self.kind {
            Kind::Compose if written.contains('$') => match compose::interpolate(written) {
                Ok(v) => (v, None, false),
                Err(vars) => (
                    written.to_string(),
                    Some(format!(
                        "{} without a default",
                        vars.iter()
                            .map(|v| format!("`${v}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    false,
                ),
            },
            Kind::GithubWorkflow if written.contains("${{") => (
                written.to_string(),
                Some("a workflow expression (`${{ ... }}`) decides it when the job runs".into()),
                false,
            ),
            Kind::GitlabCi if written.contains('$') => (
                written.to_string(),
                Some("a CI/CD variable decides it when the pipeline runs".into()),
                false,
            ),
            Kind::Kubernetes if written.starts_with("ko://") => (
                written.to_string(),
                Some("a `ko://` import path: ko builds and substitutes the image".into()),
                false,
            ),
            Kind::Devcontainer if written.contains("${") => (
                written.to_string(),
                Some("a devcontainer variable (`${...}`) decides it".into()),
                false,
            ),
            _ => (written.to_string(), None, true),
        }
    }

    fn add_node(&mut self, tree: &Tree, node: NodeId, field: String) {
        if let Node::Scalar { value, span, plain } = tree.node(node)
            && !(*plain && is_null(value))
        {
            self.add(value, *span, field, "");
        }
    }
}

/// A plain scalar YAML reads as null (`container: null` means none).
fn is_null(value: &str) -> bool {
    matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// The bytes of `span` that hold exactly `value`: the span itself for a
/// plain scalar, inside the quotes for a quoted one without escapes.
fn literal_span(text: &str, (s, e): (usize, usize), value: &str) -> Option<(usize, usize)> {
    let raw = text.get(s..e)?;
    if raw == value {
        return Some((s, e));
    }
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    (quoted && &raw[1..raw.len() - 1] == value).then_some((s + 1, e - 1))
}

fn compose_file(tree: &Tree, doc: NodeId, out: &mut Collector<'_>) {
    let Some(services) = tree.get(doc, "services") else {
        return;
    };
    for (name, service) in tree.entries(services) {
        if let Some(image) = tree.get(service, "image") {
            out.add_node(tree, image, format!("services.{name}.image"));
        }
    }
}

/// Where each workload kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "PodTemplate" => &["template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

fn kubernetes(tree: &Tree, doc: NodeId, prefix: &str, out: &mut Collector<'_>) {
    let Some(kind) = tree.get(doc, "kind").and_then(|k| tree.str(k)) else {
        return;
    };
    if kind == "List" || kind.ends_with("List") {
        if let Some(items) = tree.get(doc, "items") {
            for (i, &item) in tree.items(items).iter().enumerate() {
                kubernetes(tree, item, &format!("{prefix}items[{i}]."), out);
            }
        }
        return;
    }
    let name_of = |doc: NodeId| {
        tree.get(doc, "metadata")
            .and_then(|m| tree.get(m, "name"))
            .and_then(|n| tree.str(n))
            .unwrap_or("")
            .to_string()
    };
    let Some(path) = pod_spec_path(kind) else {
        if out.options.crd_images {
            let name = name_of(doc);
            any_image(tree, doc, &format!("{kind}/{name} {prefix}"), out);
        }
        return;
    };
    let name = tree
        .get(doc, "metadata")
        .and_then(|m| tree.get(m, "name"))
        .and_then(|n| tree.str(n))
        .unwrap_or("");
    let mut spec = doc;
    for key in path {
        let Some(next) = tree.get(spec, key) else {
            return;
        };
        spec = next;
    }
    let spec_path = path.join(".");
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(containers) = tree.get(spec, list) else {
            continue;
        };
        for (i, &c) in tree.items(containers).iter().enumerate() {
            let Some(image) = tree.get(c, "image") else {
                continue;
            };
            out.add_node(
                tree,
                image,
                format!("{kind}/{name} {prefix}{spec_path}.{list}[{i}].image"),
            );
        }
    }
}

/// Every string under an `image` key, anywhere below `node`: each node
/// visited once (aliases repeat nodes), and no deeper than [`MAX_DEPTH`].
fn any_image(tree: &Tree, node: NodeId, path: &str, out: &mut Collector<'_>) {
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(node, path.to_string(), 0)];
    while let Some((node, path, depth)) = stack.pop() {
        if depth > MAX_DEPTH || !seen.insert(node) {
            continue;
        }
        match tree.node(node) {
            Node::Map(_) => {
                for (key, value) in tree.entries(node).into_iter().rev() {
                    let sep = if path.ends_with(' ') { "" } else { "." };
                    let here = format!("{path}{sep}{key}");
                    if key == "image" && matches!(tree.node(value), Node::Scalar { .. }) {
                        out.add_node(tree, value, here);
                    } else {
                        stack.push((value, here, depth + 1));
                    }
                }
            }
            Node::Seq(items) => {
                for (i, &item) in items.iter().enumerate().rev() {
                    stack.push((item, format!("{path}[{i}]"), depth + 1));
                }
            }
            Node::Scalar { .. } => {}
        }
    }
}

/// How deep [`any_image`] looks into a custom resource.
const MAX_DEPTH: usize = 64;

fn workflow(tree: &Tree, doc: NodeId, out: &mut Collector<'_>) {
    let Some(jobs) = tree.get(doc, "jobs") else {
        return;
    };
    for (job, j) in tree.entries(jobs) {
        if let Some(c) = tree.get(j, "container") {
            match tree.node(c) {
                Node::Scalar { .. } => out.add_node(tree, c, format!("jobs.{job}.container")),
                _ => {
                    if let Some(image) = tree.get(c, "image") {
                        out.add_node(tree, image, format!("jobs.{job}.container.image"));
                    }
                }
            }
        }
        if let Some(services) = tree.get(j, "services") {
            for (name, s) in tree.entries(services) {
                if let Some(image) = tree.get(s, "image") {
                    out.add_node(tree, image, format!("jobs.{job}.services.{name}.image"));
                }
            }
        }
        if let Some(steps) = tree.get(j, "steps") {
            for (i, &step) in tree.items(steps).iter().enumerate() {
                if let Some(uses) = tree.get(step, "uses")
                    && let Node::Scalar { value, span, .. } = tree.node(uses)
                {
                    out.add(
                        value,
                        *span,
                        format!("jobs.{job}.steps[{i}].uses"),
                        "docker://",
                    );
                }
            }
        }
    }
}

/// Top-level keys of a GitLab CI file that are not jobs.
const GITLAB_GLOBAL: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

fn gitlab(tree: &Tree, doc: NodeId, out: &mut Collector<'_>) {
    gitlab_job(tree, doc, "", out);
    if let Some(d) = tree.get(doc, "default") {
        gitlab_job(tree, d, "default.", out);
    }
    for (job, j) in tree.entries(doc) {
        if GITLAB_GLOBAL.contains(&job) || !tree.is_map(j) {
            continue;
        }
        gitlab_job(tree, j, &format!("{job}."), out);
    }
}

fn gitlab_job(tree: &Tree, job: NodeId, prefix: &str, out: &mut Collector<'_>) {
    let named = |n: NodeId| match tree.node(n) {
        Node::Scalar { .. } => Some(n),
        _ => tree.get(n, "name"),
    };
    if let Some(image) = tree.get(job, "image").and_then(named) {
        let field = match tree.node(tree.get(job, "image").unwrap_or(image)) {
            Node::Scalar { .. } => format!("{prefix}image"),
            _ => format!("{prefix}image.name"),
        };
        out.add_node(tree, image, field);
    }
    if let Some(services) = tree.get(job, "services") {
        for (i, &s) in tree.items(services).iter().enumerate() {
            if let Some(image) = named(s) {
                out.add_node(tree, image, format!("{prefix}services[{i}]"));
            }
        }
    }
}

fn devcontainer(text: &str, out: &mut Collector<'_>) -> Result<(), ParseError> {
    let parsed = parse_jsonc(text)?;
    let Some(jsonc_parser::ast::Value::Object(obj)) = parsed.value else {
        return Ok(());
    };
    if let Some(s) = obj.get_string("image") {
        out.add(&s.value, (s.range.start, s.range.end), "image".into(), "");
    }
    Ok(())
}

fn parse_jsonc(text: &str) -> Result<jsonc_parser::ParseResult<'_>, ParseError> {
    jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &jsonc_parser::ParseOptions::default(),
    )
    .map_err(|e| ParseError {
        message: e.kind().to_string(),
        offset: e.range().start,
    })
}

/// The top-level keys of a JSON (with comments) object.
pub fn json_top_keys(text: &str) -> Option<Vec<String>> {
    let parsed = parse_jsonc(text).ok()?;
    let Some(jsonc_parser::ast::Value::Object(obj)) = parsed.value else {
        return None;
    };
    Some(
        obj.properties
            .iter()
            .map(|p| p.name.as_str().to_string())
            .collect(),
    )
}

#[cfg(test)]
mod tests;

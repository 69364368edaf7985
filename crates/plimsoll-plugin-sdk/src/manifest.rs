//! A manifest a plugin checks: a compose file, Kubernetes manifest, GitHub
//! workflow, GitLab CI file or devcontainer.json, with the image references
//! the host found in it.

use plimsoll_dockerfile::{LineIndex, Span};

use crate::bindings::plimsoll::plugin::{manifest as wm, types as wt};

/// Every manifest kind the host reads, for a plugin that checks them all:
/// `fn manifest_kinds() -> &'static [&'static str] { manifest::KINDS }`.
pub const KINDS: &[&str] = &[
    "compose",
    "kubernetes",
    "github-workflow",
    "gitlab-ci",
    "devcontainer",
];

/// One image reference of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestImage {
    /// The image that will be pulled (compose defaults applied); the text as
    /// written when [`unresolved`](Self::unresolved) says why it is not known.
    pub reference: String,
    /// The value as written, quotes included: where findings point.
    pub span: Span,
    /// The bytes holding exactly the reference, for edits; `None` when it is
    /// not written literally.
    pub edit_span: Option<Span>,
    /// `services.web.image`, `Deployment/web spec.template.spec.containers[0].image`.
    pub field: String,
    /// Why the image is not known until the file is used.
    pub unresolved: Option<String>,
}

/// A manifest as the host read it.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: String,
    /// `compose`, `kubernetes`, `github-workflow`, `gitlab-ci`, `devcontainer`.
    pub kind: String,
    pub text: String,
    pub images: Vec<ManifestImage>,
    lines: LineIndex,
}

impl Manifest {
    /// A manifest from its parts (for tests; the host builds the real ones).
    pub fn new(path: &str, kind: &str, text: &str, images: Vec<ManifestImage>) -> Manifest {
        Manifest {
            path: path.to_string(),
            kind: kind.to_string(),
            text: text.to_string(),
            images,
            lines: LineIndex::new(text),
        }
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    pub(crate) fn from_wit(m: wm::Manifest) -> Manifest {
        let span = |s: wt::Span| Span {
            start: s.start.offset as usize,
            end: s.end.offset as usize,
        };
        let images = m
            .images
            .into_iter()
            .map(|i| ManifestImage {
                reference: i.reference,
                span: span(i.span),
                edit_span: i.edit_span.map(span),
                field: i.field,
                unresolved: i.unresolved,
            })
            .collect();
        Manifest::new(&m.path, &m.kind, &m.text, images)
    }

    pub(crate) fn wit_span(&self, span: Span) -> wt::Span {
        crate::finding::wit_span(&self.lines, &self.text, span)
    }
}

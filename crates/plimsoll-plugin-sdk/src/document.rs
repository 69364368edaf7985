//! The Dockerfile a plugin checks.

use plimsoll_dockerfile::{Dockerfile, Instruction, Span, Stage};

use crate::bindings::plimsoll::plugin::types as wt;

/// A Dockerfile as the host parsed it. The host passes the text and its parse as
/// WIT records; Rust plugins re-parse the text with the very same parser to get the
/// richer [`Dockerfile`] (spans for every word, `--mount` key/values, stages).
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub parsed: Dockerfile,
}

impl Document {
    /// Parses `text` as the host would.
    pub fn parse(path: &str, text: &str) -> Result<Document, String> {
        Dockerfile::parse(text)
            .map(|parsed| Document {
                path: path.to_string(),
                parsed,
            })
            .map_err(|e| format!("{path}: {e}"))
    }

    pub(crate) fn from_wit(
        doc: crate::bindings::plimsoll::plugin::dockerfile::Document,
    ) -> Result<Document, String> {
        Self::parse(&doc.path, &doc.text)
    }

    pub fn text(&self) -> &str {
        &self.parsed.text
    }

    pub fn instructions(&self) -> &[Instruction] {
        &self.parsed.instructions
    }

    pub fn stages(&self) -> &[Stage] {
        &self.parsed.stages
    }

    /// The last stage (what `docker build` produces without `--target`).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.parsed.stages.last()
    }

    pub fn slice(&self, span: Span) -> &str {
        self.parsed.slice(span)
    }

    pub(crate) fn wit_span(&self, span: Span) -> wt::Span {
        crate::finding::wit_span(&self.parsed.lines, &self.parsed.text, span)
    }
}

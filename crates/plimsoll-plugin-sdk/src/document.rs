//! The Dockerfile a plugin checks.

use plimsoll_dockerfile::{Dockerfile, Instruction, Span, Stage};

use crate::bindings::plimsoll::plugin::types as wt;

/// A Dockerfile to check. The host passes its path and text
/// (`dockerfile-text-check`) and the SDK parses it with the very parser the
/// host uses, into the rich [`Dockerfile`] (spans for every word, `--mount`
/// key/values, stages): one crossing, no records built and thrown away.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: String,
    pub parsed: Dockerfile,
}

impl Document {
    /// Parses `text` as the host would.
    pub fn parse(path: &str, text: &str) -> Result<Document, String> {
        Self::parse_string(path.to_string(), text.to_string())
    }

    /// [`Document::parse`] of strings it keeps (no copy of the file).
    pub fn parse_string(path: String, text: String) -> Result<Document, String> {
        match Dockerfile::parse_string(text) {
            Ok(parsed) => Ok(Document { path, parsed }),
            Err(e) => Err(format!("{path}: {e}")),
        }
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

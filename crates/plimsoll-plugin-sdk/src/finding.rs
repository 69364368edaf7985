//! Rules, findings and fixes, and their conversion to the WIT records.

use plimsoll_dockerfile::Span;

use crate::Document;
use plimsoll_dockerfile::LineIndex;

/// A span of `text` as the WIT carries it. Offsets pass through as given
/// (not clamped): a span outside the file is a plugin bug the host must see
/// and report.
pub(crate) fn wit_span(lines: &LineIndex, text: &str, span: Span) -> wt::Span {
    let p = |o: usize| {
        let p = lines.position(text, o);
        wt::Position {
            line: p.line,
            column: p.column,
            offset: u32::try_from(o).unwrap_or(u32::MAX),
        }
    };
    wt::Span {
        start: p(span.start),
        end: p(span.end),
    }
}
use crate::bindings::plimsoll::plugin::types as wt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    fn to_wit(self) -> wt::Level {
        match self {
            Level::Note => wt::Level::Note,
            Level::Warning => wt::Level::Warning,
            Level::Error => wt::Level::Error,
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// A rule a plugin may report. Declare one with [`declare_rule!`](crate::declare_rule)
/// so its doc comment becomes its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, e.g. `PL1001`.
    pub id: &'static str,
    /// kebab-case name.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    pub level: Level,
    /// Peer ids this rule covers (`DL3006`, `DS001`, `CKV_DOCKER_7`).
    pub aliases: &'static [&'static str],
    pub tags: &'static [&'static str],
    /// Rule-set version (`YYYY.MM`) that introduced it.
    pub added_in: &'static str,
    /// Markdown documentation (the doc comment).
    pub docs: &'static str,
}

impl Rule {
    /// Defaults for [`declare_rule!`](crate::declare_rule) to fill unset fields.
    pub const DEFAULT: Rule = Rule {
        id: "",
        name: "",
        summary: "",
        level: Level::Warning,
        aliases: &[],
        tags: &[],
        added_in: "2026.11",
        docs: "",
    };

    /// The documentation with the one-space indent of `///` comments removed.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    pub(crate) fn to_wit(self) -> wt::Rule {
        wt::Rule {
            id: self.id.to_string(),
            name: self.name.to_string(),
            summary: self.summary.to_string(),
            default_level: self.level.to_wit(),
            aliases: self.aliases.iter().map(|a| a.to_string()).collect(),
            docs: self.docs(),
            tags: self.tags.iter().map(|a| a.to_string()).collect(),
            added_in: self.added_in.to_string(),
        }
    }
}

/// Declares a `static` [`Rule`] whose doc comment is its documentation.
///
/// ```
/// use plimsoll_plugin_sdk::{declare_rule, Level, Rule};
/// declare_rule! {
///     /// ## What it does
///     /// Reports `:latest`.
///     pub static LATEST = Rule {
///         id: "EX001",
///         name: "latest",
///         summary: "Do not use :latest",
///         level: Level::Warning,
///         aliases: &["DL3007"],
///     };
/// }
/// assert!(LATEST.docs().starts_with("## What it does"));
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:expr])*
        $vis:vis static $name:ident = Rule {
            $($field:ident : $value:expr),* $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis static $name: $crate::Rule = $crate::Rule {
            docs: concat!($($doc, "\n"),*),
            $($field: $value,)*
            ..$crate::Rule::DEFAULT
        };
    };
}

/// What a plugin tells the host about itself.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub rules: Vec<&'static Rule>,
    /// JSON Schema of the settings.
    pub settings_schema: Option<std::borrow::Cow<'static, str>>,
}

impl PluginInfo {
    pub fn new(name: &'static str, version: &'static str, rules: &[&'static Rule]) -> Self {
        PluginInfo {
            name,
            version,
            description: "",
            rules: rules.to_vec(),
            settings_schema: None,
        }
    }

    pub fn description(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }

    /// The settings' JSON Schema: written out (`&'static str`), or derived
    /// from the settings struct with [`crate::settings_schema`].
    pub fn settings_schema(mut self, schema: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        self.settings_schema = Some(schema.into());
        self
    }
}

/// Whether `--fix` may apply a fix unasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicability {
    Safe,
    Unsafe,
    DisplayOnly,
}

/// Replace the bytes of `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Edit {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(Span::empty(at), text)
    }
    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

/// A set of edits applied together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            description: description.into(),
            applicability: Applicability::Safe,
            edits,
        }
    }
    pub fn unsafe_(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            description: description.into(),
            applicability: Applicability::Unsafe,
            edits,
        }
    }
    pub fn display_only(description: impl Into<String>) -> Fix {
        Fix {
            description: description.into(),
            applicability: Applicability::DisplayOnly,
            edits: Vec::new(),
        }
    }
}

/// Where a finding points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(Span),
    Image { path: String, layer: Option<u32> },
    Target,
}

/// One problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule_id: &'static str,
    pub level: Level,
    pub message: String,
    pub location: Location,
    pub fixes: Vec<Fix>,
    pub security_severity: Option<f32>,
    pub help_uri: Option<String>,
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Finding {
    /// A finding of `rule` at its default level, about the whole target until
    /// [`Finding::at`] says where.
    pub fn new(rule: &Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule_id: rule.id,
            level: rule.level,
            message: message.into(),
            location: Location::Target,
            fixes: Vec::new(),
            security_severity: None,
            help_uri: None,
            properties: None,
        }
    }

    pub fn at(mut self, span: Span) -> Self {
        self.location = Location::File(span);
        self
    }

    pub fn in_image(mut self, path: impl Into<String>, layer: Option<u32>) -> Self {
        self.location = Location::Image {
            path: path.into(),
            layer,
        };
        self
    }

    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }

    pub fn severity(mut self, score: f32) -> Self {
        self.security_severity = Some(score);
        self
    }

    pub fn help_uri(mut self, uri: impl Into<String>) -> Self {
        self.help_uri = Some(uri.into());
        self
    }

    /// Which of the rule's peer ids this finding corresponds to, for rules that
    /// cover several peer checks (`PL4003` covers ten Checkov ids; a `curl -k`
    /// finding is `CKV2_DOCKER_2` only). `--select`/`--ignore` and inline ignores
    /// by peer id then apply to just these findings. Empty: none of them.
    pub fn covers(self, peer_ids: &[&str]) -> Self {
        self.property("covers", peer_ids.to_vec())
    }

    pub fn property(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.properties
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.into());
        self
    }

    /// The span, for findings in a file.
    pub fn span(&self) -> Option<Span> {
        match self.location {
            Location::File(s) => Some(s),
            _ => None,
        }
    }

    /// Converts for an image target, where nothing points into a file.
    pub(crate) fn to_wit_for_image(&self) -> Result<wt::Finding, String> {
        if matches!(self.location, Location::File(_))
            || !self.fixes.iter().all(|f| f.edits.is_empty())
        {
            return Err(format!(
                "a {} finding points into a Dockerfile or edits one while an image is checked; use Location::Target or Finding::in_image",
                self.rule_id
            ));
        }
        let empty = Document::parse("-", "FROM scratch\n")?;
        Ok(self.to_wit(&|s| empty.wit_span(s)))
    }

    /// Converts with `span` giving each span its line and column in the
    /// checked text.
    pub(crate) fn to_wit(&self, span: &dyn Fn(Span) -> wt::Span) -> wt::Finding {
        wt::Finding {
            rule_id: self.rule_id.to_string(),
            level: self.level.to_wit(),
            message: self.message.clone(),
            location: match &self.location {
                Location::File(s) => wt::Location::File(span(*s)),
                Location::Image { path, layer } => wt::Location::Image(wt::ImagePath {
                    path: path.clone(),
                    layer: *layer,
                }),
                Location::Target => wt::Location::Target,
            },
            fixes: self
                .fixes
                .iter()
                .map(|f| wt::Fix {
                    description: f.description.clone(),
                    edits: f
                        .edits
                        .iter()
                        .map(|e| wt::TextEdit {
                            span: span(e.span),
                            replacement: e.replacement.clone(),
                        })
                        .collect(),
                    applicability: match f.applicability {
                        Applicability::Safe => wt::Applicability::Safe,
                        Applicability::Unsafe => wt::Applicability::Unsafe,
                        Applicability::DisplayOnly => wt::Applicability::DisplayOnly,
                    },
                })
                .collect(),
            security_severity: self.security_severity,
            help_uri: self.help_uri.clone(),
            properties: self
                .properties
                .as_ref()
                .map(|p| serde_json::Value::Object(p.clone()).to_string()),
        }
    }
}

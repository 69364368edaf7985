//! How a plugin can fail, each with a stable kind for reporters and exit code 3.

use std::fmt;

/// Why a plugin could not load or could not check a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The file is missing, unreadable or not a component.
    Load,
    /// The bytes do not match the configured `sha256`.
    Integrity,
    /// The component imports a host capability the config did not grant.
    ImportDenied,
    /// The component imports something plimsoll never provides.
    UnknownImport,
    /// The component does not export what a plimsoll plugin must.
    BadExports,
    /// `metadata` returned something unusable (duplicate or clashing rule ids...).
    BadMetadata,
    /// `validate-settings` rejected the configured settings.
    SettingsRejected,
    /// The plugin trapped (panic, unreachable, out-of-bounds access...).
    Trap,
    /// The plugin ran past its time limit.
    Timeout,
    /// The plugin tried to grow memory or tables past its limit.
    MemoryLimit,
    /// The call ran past its wall-clock budget (host calls and sleeps
    /// included) or made more host calls than allowed.
    Budget,
    /// The plugin returned `plugin-error`.
    Reported,
    /// The plugin returned malformed findings (unknown rule id, span outside the
    /// file, too many findings...).
    InvalidOutput,
    /// The host itself failed (engine, I/O).
    Host,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Load => "plugin-load",
            FailureKind::Integrity => "plugin-integrity",
            FailureKind::ImportDenied => "plugin-import-denied",
            FailureKind::UnknownImport => "plugin-unknown-import",
            FailureKind::BadExports => "plugin-bad-exports",
            FailureKind::BadMetadata => "plugin-bad-metadata",
            FailureKind::SettingsRejected => "plugin-settings",
            FailureKind::Trap => "plugin-trap",
            FailureKind::Timeout => "plugin-timeout",
            FailureKind::MemoryLimit => "plugin-memory-limit",
            FailureKind::Budget => "plugin-budget",
            FailureKind::Reported => "plugin-error",
            FailureKind::InvalidOutput => "plugin-invalid-output",
            FailureKind::Host => "host-error",
        }
    }
}

/// A plugin failure, named after the plugin.
#[derive(Debug, Clone)]
pub struct PluginFailure {
    pub plugin: String,
    pub kind: FailureKind,
    pub message: String,
    /// The wasm backtrace of a trap, when there is one.
    pub backtrace: Option<String>,
    /// What the plugin wrote to stderr before failing (a panic message, say).
    pub stderr: Option<String>,
    /// For settings its schema rejected: the offending key as a JSON pointer
    /// (`/allowed-registries/0`; empty for the whole table).
    pub settings_pointer: Option<Box<str>>,
}

impl PluginFailure {
    pub fn new(plugin: &str, kind: FailureKind, message: impl Into<String>) -> Self {
        PluginFailure {
            plugin: plugin.to_string(),
            kind,
            message: message.into(),
            backtrace: None,
            stderr: None,
            settings_pointer: None,
        }
    }

    /// One paragraph for users: the message, the plugin's stderr, the backtrace.
    pub fn detailed(&self) -> String {
        let mut s = self.to_string();
        if let Some(err) = self.stderr.as_deref().filter(|e| !e.trim().is_empty()) {
            s.push_str("\n  plugin stderr: ");
            s.push_str(&err.trim().replace('\n', "\n    "));
        }
        if let Some(bt) = self.backtrace.as_deref().filter(|b| !b.trim().is_empty()) {
            s.push_str("\n  wasm backtrace:\n    ");
            s.push_str(&bt.trim().replace('\n', "\n    "));
        }
        s
    }
}

impl fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin `{}`: {}", self.plugin, self.message)
    }
}

impl std::error::Error for PluginFailure {}

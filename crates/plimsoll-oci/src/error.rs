//! Registry errors: a kind callers branch on and a message that names the
//! reference or URL (never a credential).

use std::fmt;

/// What went wrong, coarse enough to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not an image reference.
    InvalidReference,
    /// The repository, tag or digest does not exist.
    NotFound,
    /// No credentials, or the registry rejected them.
    Unauthorized,
    /// Authenticated but not allowed (HTTP 403).
    Denied,
    /// HTTP 429 that retries did not outlast.
    RateLimited,
    /// A request took longer than the configured timeout.
    Timeout,
    /// Cannot connect, or 5xx after retries.
    Unavailable,
    /// Content does not hash to the digest it was fetched by or announced with.
    DigestMismatch,
    /// The registry answered with something that is not a valid response
    /// (truncated body, bad JSON, unknown media type, redirect loop, too big).
    Protocol,
    /// `--offline` and the answer is not in the cache.
    Offline,
    /// Local problem: unreadable CA file, bad docker config.
    Config,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidReference => "invalid-reference",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Denied => "denied",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::DigestMismatch => "digest-mismatch",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Offline => "offline",
            ErrorKind::Config => "config",
        }
    }
}

/// A registry operation that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub kind: ErrorKind,
    pub message: String,
    /// For [`ErrorKind::RateLimited`]: seconds the server asked to wait.
    pub retry_after: Option<u32>,
}

impl RegistryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> RegistryError {
        RegistryError {
            kind,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether a later identical request might succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Unavailable
        )
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RegistryError {}

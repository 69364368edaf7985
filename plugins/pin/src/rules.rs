//! The pin plugin's rules. Their docs are what `plimsoll explain` shows.

use plimsoll_plugin_sdk::prelude::*;

declare_rule! {
    /// ## What it does
    /// Reports image references without a digest: `FROM` bases (after `ARG`
    /// substitution), `COPY --from=<image>`, `RUN --mount=...,from=<image>` and
    /// the `# syntax=` frontend.
    ///
    /// ## Why is this bad?
    /// A tag is a pointer the publisher can move. Without a digest two builds of
    /// the same commit can get different bases, and a compromised or broken
    /// push reaches you silently. A digest names exact bytes.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:<index digest>
    /// ```
    /// `plimsoll pin --fix` writes the digest in place (keeping the tag for
    /// readers, editing the `ARG` default when the image comes from one).
    /// Multi-platform images are pinned to their index digest, so one
    /// Dockerfile builds for every platform. In `plimsoll check` this is a
    /// note; `plimsoll pin` fails on it.
    ///
    /// ## References
    /// - Renovate's `pinDigests`; docker-lock
    pub static UNPINNED = Rule {
        id: "PL6001",
        name: "unpinned-image",
        summary: "Image reference has no digest",
        level: Level::Note,
        tags: &["pinning", "reproducibility", "supply-chain", "fixable"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a pinned reference whose tag now points to a different digest
    /// than the one pinned.
    ///
    /// ## Why is this bad?
    /// The base image was rebuilt — usually for security fixes — and your image
    /// still builds on the old one. This is the rebuild trigger: update the pin
    /// and rebuild.
    ///
    /// When vulnerability data is present (`plimsoll db update`), the finding
    /// says which fixable vulnerabilities the update removes: the packages of
    /// the pinned and the current image are read and matched against the
    /// database, as `check --image` would, and the finding's
    /// `security-severity` is the highest score fixed (`update_fixes` in its
    /// properties lists them). `[pin] update-advice = false` turns it off.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:<digest of last month's build>
    /// ```
    ///
    /// ## Use instead
    /// `plimsoll pin --fix --update` rewrites the digest to what the tag points to now.
    pub static STALE = Rule {
        id: "PL6002",
        name: "stale-pin",
        summary: "Pinned digest is no longer what the tag points to",
        level: Level::Warning,
        tags: &["pinning", "supply-chain", "fixable", "pin-update"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a digest that pins one platform's manifest of a multi-platform
    /// image (the `linux/amd64` entry of its index) where the index digest is
    /// expected — or, with `platform-digests = "require"`, an index digest where
    /// a platform manifest is required.
    ///
    /// ## Why is this bad?
    /// A platform digest builds only on that platform: an arm64 runner or a
    /// `--platform` build pulls the amd64 image or fails. It is the digest
    /// `docker inspect` and `docker images --digests` show on an amd64 laptop,
    /// which is how it gets copied in. Tools that compare against the index
    /// digest (Renovate, `docker buildx imagetools inspect`) also never see it
    /// as current.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27@sha256:<linux/amd64 manifest digest>
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM nginx:1.27@sha256:<index digest>
    /// ```
    pub static PLATFORM_DIGEST = Rule {
        id: "PL6003",
        name: "platform-digest-pinned",
        summary: "Digest pins one platform's manifest instead of the index (or the reverse, by policy)",
        level: Level::Warning,
        tags: &["pinning", "multi-platform", "fixable", "pin-update"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports an image reference whose tag or repository does not exist in
    /// its registry.
    ///
    /// ## Why is this bad?
    /// The build fails — or worse, pulls a different image from a registry
    /// mirror or cache that still has it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:23.99-alpine
    /// ```
    pub static TAG_NOT_FOUND = Rule {
        id: "PL6004",
        name: "image-not-found",
        summary: "Image tag or repository does not exist in the registry",
        level: Level::Error,
        tags: &["pinning", "correctness"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a pinned digest that the repository does not have.
    ///
    /// ## Why is this bad?
    /// The build cannot pull it: the digest has a typo, was copied from
    /// another repository, or the registry deleted the manifest after the tag
    /// moved on.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000
    /// ```
    pub static DIGEST_NOT_FOUND = Rule {
        id: "PL6005",
        name: "digest-not-found",
        summary: "Pinned digest does not exist in the repository",
        level: Level::Error,
        tags: &["pinning", "correctness", "fixable", "pin-update"],
    };
}

declare_rule! {
    /// ## What it does
    /// Notes a pinned reference that could not be checked against its
    /// registry: `--offline` without a cached answer, an unreachable registry,
    /// missing credentials, rate limiting.
    ///
    /// ## Why is this bad?
    /// Nothing is known to be wrong — but nothing is known to be right either:
    /// the pin may be stale. `plimsoll pin` treats the cause as an error (exit
    /// 3); `plimsoll check` only notes it.
    pub static UNVERIFIED = Rule {
        id: "PL6006",
        name: "unverified-pin",
        summary: "Pinned reference could not be verified against its registry",
        level: Level::Note,
        tags: &["pinning"],
    };
}

/// Every rule, in id order.
pub static RULES: &[&Rule] = &[
    &UNPINNED,
    &STALE,
    &PLATFORM_DIGEST,
    &TAG_NOT_FOUND,
    &DIGEST_NOT_FOUND,
    &UNVERIFIED,
];

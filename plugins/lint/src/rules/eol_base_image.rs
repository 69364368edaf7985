use plimsoll_plugin_sdk::prelude::*;

use super::eol_data::{EOL, SUFFIX_DISTROS};
use super::from_helpers::official_name;
use super::image_ref::{ImageRef, is_external};
use crate::Ctx;
use crate::util::Date;

declare_rule! {
    /// ## What it does
    /// Reports base images whose distribution release or language runtime has
    /// reached end of life: `debian:10`, `node:16`, `python:3.8-slim`,
    /// `python:3.12-slim-buster` (the `buster` underneath), `alpine:3.17`...
    /// The dates come from the projects' schedules; `[lint] eol` adds or
    /// overrides entries (`"node:20" = "2026-04-30"`).
    ///
    /// ## Why is this bad?
    /// End-of-life releases get no security fixes: every new CVE in them stays
    /// open for good, and scanners will keep flagging the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:16-alpine
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM node:22-alpine
    /// ```
    ///
    /// ## References
    /// - endoflife.date; our container-image guidance ("no end-of-life bases")
    pub static RULE = Rule {
        id: "PL1009",
        name: "eol-base-image",
        summary: "Base image release is past its end of life",
        level: Level::Warning,
        tags: &["security", "maintenance"],
    };
}

/// Whether the tag's version `v` is release `want` (`3.9.18` is `3.9`, `3.90` is not).
fn version_matches(v: &str, want: &str) -> bool {
    v == want || v.strip_prefix(want).is_some_and(|r| r.starts_with('.'))
}

/// The end-of-life entries matching an image: (what, date) for the runtime
/// itself and for the distribution underneath, when the tag names one.
fn lookup(ctx: &Ctx, image: &str) -> Vec<(String, Date)> {
    let mut found = Vec::new();
    if let Some(hit) = lookup_runtime(ctx, image) {
        found.push(hit);
    }
    found.extend(lookup_underneath(image));
    found
}

fn lookup_runtime(ctx: &Ctx, image: &str) -> Option<(String, Date)> {
    let r = ImageRef::parse(image);
    let name = official_name(image);
    let tag = r.tag?;
    // Settings first: exact `image:tag-prefix` keys.
    for (k, d) in &ctx.settings.eol {
        if let Some((kn, kt)) = k.split_once(':')
            && kn == name
            && (tag == kt
                || tag.starts_with(&format!("{kt}-"))
                || tag.starts_with(&format!("{kt}.")))
        {
            return Date::parse(d).map(|d| (format!("{name}:{kt}"), d));
        }
    }
    let version = tag.split('-').next().unwrap_or("");
    for &(img, rel, date) in EOL {
        if img == name && version_matches(version, rel) {
            return Date::parse(date).map(|d| (format!("{name} {rel}"), d));
        }
    }
    None
}

/// A distribution named in the tag: `-buster`, `-alpine3.16`.
fn lookup_underneath(image: &str) -> Option<(String, Date)> {
    let name = official_name(image);
    let tag = ImageRef::parse(image).tag?;
    for part in tag.split('-').skip(1) {
        if let Some(v) = part.strip_prefix("alpine").filter(|v| !v.is_empty()) {
            for &(img, rel, date) in EOL {
                if img == "alpine" && version_matches(v, rel) {
                    return Date::parse(date).map(|d| (format!("Alpine {rel} (under {name})"), d));
                }
            }
        }
        for &(code, distro) in SUFFIX_DISTROS {
            if part == code && name != distro {
                let (_, _, date) = EOL.iter().find(|(i, r, _)| *i == distro && *r == code)?;
                return Date::parse(date).map(|d| (format!("{distro} {code} (under {name})"), d));
            }
        }
    }
    None
}

pub fn check(ctx: &mut Ctx) {
    let mut found = Vec::new();
    for s in ctx.doc.stages() {
        if !is_external(s) {
            continue;
        }
        if let Some((what, eol)) = lookup(ctx, &s.base)
            .into_iter()
            .filter(|(_, d)| *d <= ctx.today)
            .min_by_key(|(_, d)| *d)
        {
            found.push((
                s.base_span,
                format!(
                    "`{}` is end of life: {what} stopped receiving fixes on {eol}",
                    s.base
                ),
            ));
        }
    }
    for (span, msg) in found {
        ctx.report(Finding::new(&RULE, msg).at(span).severity(7.0));
    }
}

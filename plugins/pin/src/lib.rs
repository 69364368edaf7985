//! plimsoll's built-in pin checker. It finds every image a Dockerfile pulls
//! (SDK [`images`](plimsoll_analysis::images)), asks the host's `registry`
//! capability what each tag points to — all references of a file in one
//! `resolve-many` call, so the host resolves them concurrently and once per
//! run — and reports missing, stale, platform-specific and dangling pins, with
//! fixes that edit the reference (or its `ARG` default) in place.

mod advice;
pub mod rules;
mod settings;

use std::collections::BTreeMap;

use plimsoll_analysis::images::{ImageKind, ImageUse, image_uses, manifest_uses, split};
use plimsoll_plugin_sdk::prelude::*;

// As the lint plugin (see there).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOC: plimsoll_plugin_sdk::alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
    plimsoll_plugin_sdk::alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());
use plimsoll_plugin_sdk::registry::{self, HostError, Resolved};

pub use settings::{PinSettings, PlatformDigests};

use rules::*;

pub struct Pin;

impl DockerfilePlugin for Pin {
    fn info() -> PluginInfo {
        PluginInfo::new("pin", env!("CARGO_PKG_VERSION"), RULES)
            .description("Image references pinned to digests, and those pins current")
            .settings_schema(settings::schema())
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        PinSettings::from_json(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let settings = PinSettings::from_json(settings)?;
        Ok(check(doc, &settings))
    }

    fn manifest_kinds() -> &'static [&'static str] {
        plimsoll_plugin_sdk::manifest::KINDS
    }

    fn check_manifest(doc: &Manifest, settings: &Settings) -> Result<Vec<Finding>, String> {
        let settings = PinSettings::from_json(settings)?;
        Ok(check_manifest(doc, &settings))
    }
}

plimsoll_plugin_sdk::dockerfile_plugin!(Pin);

/// A short form of a digest for messages: `sha256:0123456789ab`.
fn short(digest: &str) -> &str {
    let end = digest.find(':').map(|i| i + 13).unwrap_or(12);
    digest.get(..end).unwrap_or(digest)
}

fn reason(e: &HostError) -> String {
    match e {
        HostError::Denied(m)
        | HostError::NotFound(m)
        | HostError::Unauthorized(m)
        | HostError::Unavailable(m)
        | HostError::InvalidInput(m)
        | HostError::Other(m) => m.clone(),
        HostError::Timeout => "the registry timed out".into(),
        HostError::RateLimited(Some(s)) => format!("rate limited (retry after {s} s)"),
        HostError::RateLimited(None) => "rate limited".into(),
    }
}

/// The edit that makes the reference at `u`'s site read `name[:tag]@digest`.
fn pin_edit(text: &str, u: &ImageUse, digest: &str) -> Option<Edit> {
    let site = u.site.as_ref().ok()?;
    let literal = text.get(site.span.start..site.span.end)?;
    let (name, tag, _) = split(literal);
    let new = match tag {
        Some(t) => format!("{name}:{t}@{digest}"),
        None => format!("{name}@{digest}"),
    };
    (new != literal).then(|| Edit::replace(site.span, new))
}

fn where_(u: &ImageUse) -> String {
    match u.site.as_ref().ok().and_then(|s| s.via_arg.as_deref()) {
        Some(arg) => format!("{} via ARG {arg}", u.kind.describe()),
        None => u.kind.describe().to_string(),
    }
}

/// The platform a stage builds for when its `FROM --platform` is a literal.
fn stage_platform(doc: &Document, u: &ImageUse) -> Option<String> {
    let ImageKind::From { stage } = u.kind else {
        return None;
    };
    let p = doc.stages().get(stage)?.platform.as_deref()?;
    (!p.contains('$')).then(|| p.to_string())
}

fn platform_matches(entry: &registry::Platform, wanted: &str) -> bool {
    let mut w = wanted.split('/');
    let (os, arch, variant) = (w.next(), w.next(), w.next());
    let norm_variant = |arch: &str, v: Option<&str>| match (arch, v) {
        ("arm64", None) => Some("v8".to_string()),
        (_, v) => v.map(str::to_string),
    };
    Some(entry.os.as_str()) == os && Some(entry.architecture.as_str()) == arch && {
        let a = norm_variant(&entry.architecture, entry.variant.as_deref());
        let b = norm_variant(arch.unwrap_or(""), variant);
        a.is_none() || b.is_none() || a == b
    }
}

/// Runs every pin rule over `doc`.
pub fn check(doc: &Document, settings: &PinSettings) -> Vec<Finding> {
    let uses: Vec<(ImageUse, Option<String>)> = image_uses(&doc.parsed)
        .into_iter()
        .filter(|u| !settings.ignored(&u.reference))
        .map(|u| {
            let platform = stage_platform(doc, &u);
            (u, platform)
        })
        .collect();
    check_uses(doc.text(), &uses, settings)
}

/// Runs every pin rule over a manifest's image references. A reference
/// whose image is not known until the file is used (a variable without a
/// default, a CI expression) is unpinned unless it carries a digest, and
/// says why it cannot be pinned in place.
pub fn check_manifest(doc: &Manifest, settings: &PinSettings) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut uses = Vec::new();
    for (u, image) in manifest_uses(doc).into_iter().zip(&doc.images) {
        if settings.ignored(&u.reference) {
            continue;
        }
        match &image.unresolved {
            Some(why) if !u.reference.contains("@sha256:") => out.push(
                Finding::new(
                    &UNPINNED,
                    format!(
                        "`{}` ({}) is not pinned to a digest, and cannot be checked here: {why}",
                        u.reference,
                        u.kind.describe()
                    ),
                )
                .at(u.span),
            ),
            Some(_) => {}
            None => uses.push((u, None)),
        }
    }
    out.extend(check_uses(&doc.text, &uses, settings));
    out.sort_by_key(|f| f.span().map(|s| s.start));
    out
}

/// Runs every pin rule over image uses in `text`, each with the platform
/// its build is for, when known.
fn check_uses(
    text: &str,
    uses: &[(ImageUse, Option<String>)],
    settings: &PinSettings,
) -> Vec<Finding> {
    // What to ask the registry, deduplicated: the tag of every pinned or
    // (when resolving) unpinned reference; the digest itself when no tag.
    let mut asks: BTreeMap<String, Option<Result<Resolved, HostError>>> = BTreeMap::new();
    for (u, _) in uses {
        let (name, tag, digest) = split(&u.reference);
        let ask = match (tag, digest) {
            (_, None) if !settings.resolve_unpinned => continue,
            (_, Some(_)) if !settings.verify_pins => continue,
            (Some(t), _) => format!("{name}:{t}"),
            (None, Some(d)) => format!("{name}@{d}"),
            (None, None) => name.to_string(),
        };
        asks.insert(ask, None);
    }
    if !asks.is_empty() {
        let keys: Vec<String> = asks.keys().cloned().collect();
        for (k, r) in keys.iter().zip(registry::resolve_many(&keys)) {
            asks.insert(k.clone(), Some(r));
        }
    }

    let mut out = Vec::new();
    for (u, platform) in uses {
        let platform = platform.as_deref();
        let (name, tag, digest) = split(&u.reference);
        let tag_ref = match tag {
            Some(t) => format!("{name}:{t}"),
            None => name.to_string(),
        };
        match digest {
            None => out.push(unpinned(
                text,
                u,
                platform,
                &tag_ref,
                asks.get(&tag_ref),
                settings,
            )),
            Some(pinned) if tag.is_none() => {
                // `name@digest`: nothing to compare with; the digest must exist.
                if let Some(Some(Err(e))) = asks.get(&format!("{name}@{pinned}")) {
                    out.push(lookup_failure(u, e, pinned, name));
                }
            }
            Some(pinned) => {
                if let Some(Some(answer)) = asks.get(&tag_ref) {
                    out.extend(pinned_with_tag(
                        text, u, platform, &tag_ref, pinned, answer, settings,
                    ));
                }
            }
        }
    }
    out
}

fn unpinned(
    text: &str,
    u: &ImageUse,
    platform: Option<&str>,
    tag_ref: &str,
    answer: Option<&Option<Result<Resolved, HostError>>>,
    settings: &PinSettings,
) -> Finding {
    let moving = if split(&u.reference).1.is_none_or(|t| t == "latest") {
        " and `latest` moves: name a version tag too"
    } else {
        ""
    };
    let base = format!(
        "`{}` ({}) is not pinned to a digest{moving}",
        u.reference,
        where_(u)
    );
    let mut f = Finding::new(&UNPINNED, base.clone()).at(u.span);
    match answer {
        Some(Some(Ok(r))) => {
            let digest = settings.digest_to_pin(r, platform);
            match (pin_edit(text, u, &digest), &u.site) {
                (Some(edit), _) => {
                    f = f
                        .fix(Fix::safe(format!("pin to {}", short(&digest)), vec![edit]))
                        .property("reference", tag_ref)
                        .property("digest", digest);
                }
                (None, Err(why)) => {
                    f.message = format!("{base}; {why} (`{tag_ref}` is {digest})");
                }
                (None, Ok(_)) => {}
            }
        }
        Some(Some(Err(HostError::NotFound(m)))) => {
            return Finding::new(
                &TAG_NOT_FOUND,
                format!("`{}` ({}) does not exist: {m}", u.reference, where_(u)),
            )
            .at(u.span);
        }
        Some(Some(Err(e))) => {
            f.message = format!("{base} (could not resolve it: {})", reason(e));
        }
        _ => {}
    }
    f
}

fn lookup_failure(u: &ImageUse, e: &HostError, pinned: &str, name: &str) -> Finding {
    match e {
        HostError::NotFound(_) => Finding::new(
            &DIGEST_NOT_FOUND,
            format!("`{name}` has no manifest {pinned}"),
        )
        .at(u.span),
        e => Finding::new(
            &UNVERIFIED,
            format!("could not verify `{}`: {}", u.reference, reason(e)),
        )
        .at(u.span),
    }
}

fn pinned_with_tag(
    text: &str,
    u: &ImageUse,
    platform: Option<&str>,
    tag_ref: &str,
    pinned: &str,
    answer: &Result<Resolved, HostError>,
    settings: &PinSettings,
) -> Vec<Finding> {
    let r = match answer {
        Ok(r) => r,
        Err(HostError::NotFound(m)) => {
            return vec![
                Finding::new(
                    &TAG_NOT_FOUND,
                    format!("`{tag_ref}` ({}) does not exist: {m}", where_(u)),
                )
                .at(u.span),
            ];
        }
        Err(e) => {
            return vec![
                Finding::new(
                    &UNVERIFIED,
                    format!("could not verify `{}`: {}", u.reference, reason(e)),
                )
                .at(u.span),
            ];
        }
    };
    let expected = settings.digest_to_pin(r, platform);
    if pinned == expected {
        return Vec::new();
    }
    let fix_to = |description: String, applicability_update: bool| {
        pin_edit(text, u, &expected).map(|e| {
            if applicability_update {
                Fix::safe(description, vec![e])
            } else {
                Fix::display_only(format!("{description} (run `plimsoll pin --fix --update`)"))
            }
        })
    };
    // One of the index's platform manifests?
    if let Some(p) = r.platforms.iter().find(|p| p.digest == pinned) {
        let plat = match &p.platform.variant {
            Some(v) => format!("{}/{}/{v}", p.platform.os, p.platform.architecture),
            None => format!("{}/{}", p.platform.os, p.platform.architecture),
        };
        if settings.platform_digests == PlatformDigests::Allow {
            return Vec::new();
        }
        let wanted_platform = platform.unwrap_or(&settings.platform);
        if settings.platform_digests == PlatformDigests::Require {
            if platform_matches(&p.platform, wanted_platform) {
                return Vec::new();
            }
            let mut f = Finding::new(
                &PLATFORM_DIGEST,
                format!(
                    "`{}` pins the {plat} manifest, but this build is for {wanted_platform}: {}",
                    u.reference,
                    short(&expected)
                ),
            )
            .at(u.span);
            if let Some(fix) = fix_to(format!("pin the {wanted_platform} manifest"), true) {
                f = f.fix(fix);
            }
            return vec![f];
        }
        let mut f = Finding::new(
            &PLATFORM_DIGEST,
            format!(
                "`{}` pins the {plat} manifest of multi-platform `{tag_ref}`; pin its index digest {} so every platform builds the same base",
                u.reference,
                short(&r.digest)
            ),
        )
        .at(u.span)
        .property("index_digest", r.digest.clone())
        .property("platform", plat);
        if let Some(fix) = fix_to(format!("pin the index {}", short(&r.digest)), true) {
            f = f.fix(fix);
        }
        return vec![f];
    }
    if pinned == r.digest && settings.platform_digests == PlatformDigests::Require {
        let mut f = Finding::new(
            &PLATFORM_DIGEST,
            format!(
                "`{}` pins the index; this project requires platform manifests ({} is {})",
                u.reference,
                platform.unwrap_or(&settings.platform),
                short(&expected)
            ),
        )
        .at(u.span);
        if let Some(fix) = fix_to("pin the platform manifest".into(), true) {
            f = f.fix(fix);
        }
        return vec![f];
    }
    // Not the current digest: stale if the repository still has it, dangling if not.
    let (name, _, _) = split(&u.reference);
    match registry::resolve(&format!("{name}@{pinned}")) {
        Err(HostError::NotFound(_)) => {
            let mut f = Finding::new(
                &DIGEST_NOT_FOUND,
                format!(
                    "`{name}` has no manifest {}; `{tag_ref}` is {}",
                    short(pinned),
                    short(&expected)
                ),
            )
            .at(u.span);
            if let Some(fix) = fix_to(format!("pin {}", short(&expected)), true) {
                f = f.fix(fix);
            }
            vec![f]
        }
        _ => {
            let advice = settings
                .update_advice
                .then(|| {
                    advice::removed_by_update(
                        &format!("{name}@{pinned}"),
                        &format!("{name}@{expected}"),
                    )
                })
                .flatten();
            let mut f = Finding::new(
                &STALE,
                format!(
                    "`{tag_ref}` has moved: it is {} now, the pin is {} (the base was rebuilt; update the pin and rebuild){}",
                    short(&expected),
                    short(pinned),
                    advice.as_ref().map(advice::Advice::sentence).unwrap_or_default()
                ),
            )
            .at(u.span)
            .property("reference", tag_ref)
            .property("current_digest", expected.clone())
            .property("pinned_digest", pinned.to_string());
            if let Some(a) = &advice {
                f = f.property("update_fixes", a.properties());
                if let Some(max) = a.max_score() {
                    f = f.severity(max);
                }
            }
            if let Some(fix) = fix_to(
                format!("update the pin to {}", short(&expected)),
                settings.update,
            ) {
                f = f.fix(fix);
            }
            vec![f]
        }
    }
}

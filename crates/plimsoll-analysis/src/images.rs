//! Every image a Dockerfile pulls, and where in the text each is written: a
//! stage base (after substituting global `ARG` defaults), `COPY --from=`,
//! `RUN --mount=...,from=` and the `# syntax=` frontend.
//!
//! [`ImageUse::site`] is the exact byte range of the reference's literal text,
//! when there is one to edit: in the `FROM` line, or in the default of the
//! `ARG` the `FROM` names (`ARG BASE=alpine:3.19` / `FROM ${BASE}`).

use plimsoll_dockerfile::{Dockerfile, Span};

/// How the Dockerfile uses an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageKind {
    /// The base of stage `index`.
    From { stage: usize },
    /// `COPY --from=<image>`.
    CopyFrom,
    /// `RUN --mount=...,from=<image>`.
    MountFrom,
    /// `# syntax=<image>`: the BuildKit frontend.
    Syntax,
    /// A field of a manifest (compose, Kubernetes, CI, devcontainer):
    /// `services.web.image`.
    Field(String),
}

impl ImageKind {
    pub fn describe(&self) -> &str {
        match self {
            ImageKind::Field(f) => f,
            ImageKind::From { .. } => "FROM",
            ImageKind::CopyFrom => "COPY --from",
            ImageKind::MountFrom => "RUN --mount from",
            ImageKind::Syntax => "# syntax",
        }
    }
}

/// Where the reference's text can be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSite {
    /// The literal reference text (equal to [`ImageUse::reference`]).
    pub span: Span,
    /// The `ARG` whose default holds it, when the `FROM` names an ARG.
    pub via_arg: Option<String>,
}

/// One use of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    pub kind: ImageKind,
    /// The reference Docker pulls (ARG defaults substituted).
    pub reference: String,
    /// As written (`${BASE}`).
    pub written: String,
    /// Where the use is written (the FROM base, the flag, the directive value).
    pub span: Span,
    /// Where to edit the reference, or why it cannot be.
    pub site: Result<EditSite, String>,
    /// Index of the instruction (none for `# syntax`).
    pub instruction: Option<usize>,
}

/// The images of a manifest, as [`ImageUse`]s: references the host could
/// not resolve (variables, CI expressions) keep their text and carry the
/// reason in [`ImageUse::site`]'s error, since nothing can be edited there.
pub fn manifest_uses(m: &plimsoll_plugin_sdk::Manifest) -> Vec<ImageUse> {
    m.images
        .iter()
        .map(|i| ImageUse {
            kind: ImageKind::Field(i.field.clone()),
            reference: i.reference.clone(),
            written: m.slice(i.span).to_string(),
            span: i.span,
            site: match (&i.unresolved, i.edit_span) {
                (Some(why), _) => Err(why.clone()),
                (None, Some(span)) => Ok(EditSite {
                    span,
                    via_arg: None,
                }),
                (None, None) if m.slice(i.span).contains('$') => Err(
                    "it is built from variables with defaults: write the digest where the value is set".into(),
                ),
                (None, None) => Err(
                    "it is not written literally (escapes or a block scalar): edit it by hand".into(),
                ),
            },
            instruction: None,
        })
        .collect()
}

/// Every external image the Dockerfile uses, in file order. Stage names,
/// `scratch`, numeric stage indexes and references with unresolved variables
/// are left out; so are bare words in `--from` (most likely a misspelt stage).
pub fn image_uses(df: &Dockerfile) -> Vec<ImageUse> {
    let mut out = Vec::new();
    if let Some(d) = df.directive("syntax") {
        let v = d.value.trim();
        if !v.is_empty() {
            let lead = d.value.len() - d.value.trim_start().len();
            let start = d.value_span.start + lead;
            out.push(ImageUse {
                kind: ImageKind::Syntax,
                reference: v.to_string(),
                written: v.to_string(),
                span: d.value_span,
                site: Ok(EditSite {
                    span: Span {
                        start,
                        end: start + v.len(),
                    },
                    via_arg: None,
                }),
                instruction: None,
            });
        }
    }
    for (idx, ins) in df.instructions.iter().enumerate() {
        if ins.keyword == "FROM" {
            let Some(stage) = df.stages.iter().find(|s| s.from == idx) else {
                continue;
            };
            if stage.base_stage.is_some()
                || stage.base.eq_ignore_ascii_case("scratch")
                || !stage.base_unresolved.is_empty()
                || stage.base.is_empty()
            {
                continue;
            }
            out.push(ImageUse {
                kind: ImageKind::From { stage: stage.index },
                reference: stage.base.clone(),
                written: stage.base_as_written.clone(),
                span: stage.base_span,
                site: from_site(df, stage),
                instruction: Some(idx),
            });
            continue;
        }
        for f in &ins.flags {
            let (kind, value) = match (ins.keyword.as_str(), f.name.as_str()) {
                ("COPY", "from") => (ImageKind::CopyFrom, f.value.clone()),
                ("RUN", "mount") => (ImageKind::MountFrom, f.key_value("from")),
                _ => continue,
            };
            let Some(v) = value else { continue };
            if v.contains('$')
                || v.parse::<usize>().is_ok()
                || df.stage_ref(&v, idx).is_some()
                || v.eq_ignore_ascii_case("scratch")
            {
                continue;
            }
            let (_, tag, digest) = split(&v);
            if tag.is_none() && digest.is_none() && !v.contains('/') {
                continue;
            }
            let site = literal_in(df, f.span, &v, kind == ImageKind::MountFrom)
                .map(|span| EditSite {
                    span,
                    via_arg: None,
                })
                .ok_or_else(|| format!("`{v}` is quoted or escaped in the flag; edit it by hand"));
            out.push(ImageUse {
                kind,
                reference: v.clone(),
                written: v,
                span: f.span,
                site,
                instruction: Some(idx),
            });
        }
    }
    out
}

/// `name[:tag][@digest]` split as written.
pub fn split(reference: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// `reference` with Docker Hub written out, as registries and policies see it:
/// `alpine:3` -> `docker.io/library/alpine:3`, `bitnami/redis` ->
/// `docker.io/bitnami/redis`; references naming a registry (a first segment
/// with `.` or `:`, or `localhost`) are returned as they are.
pub fn normalize(reference: &str) -> String {
    let first = reference.split('/').next().unwrap_or("");
    let has_registry = reference.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry {
        reference.to_string()
    } else if reference.contains('/') {
        format!("docker.io/{reference}")
    } else {
        format!("docker.io/library/{reference}")
    }
}

/// The span of `literal` inside `within`, when it occurs exactly once there
/// (after `=` for flags, so `--from=a` does not match the flag name).
fn literal_in(df: &Dockerfile, within: Span, literal: &str, after_from_key: bool) -> Option<Span> {
    let text = df.text.get(within.start..within.end)?;
    let search_from = if after_from_key {
        text.find("from=").map(|i| i + 5)?
    } else {
        text.find('=').map(|i| i + 1).unwrap_or(0)
    };
    let hay = &text[search_from..];
    let at = hay.find(literal)?;
    if hay[at + literal.len()..].contains(literal) {
        return None;
    }
    // The literal must be a whole value: not followed by more reference text.
    let next = hay[at + literal.len()..].chars().next();
    if next.is_some_and(|c| !matches!(c, ',' | ' ' | '\t' | '\n' | '\r')) {
        return None;
    }
    let start = within.start + search_from + at;
    Some(Span {
        start,
        end: start + literal.len(),
    })
}

fn from_site(df: &Dockerfile, stage: &plimsoll_dockerfile::Stage) -> Result<EditSite, String> {
    let written = stage.base_as_written.as_str();
    if !written.contains('$') {
        return if df.text.get(stage.base_span.start..stage.base_span.end) == Some(written) {
            Ok(EditSite {
                span: stage.base_span,
                via_arg: None,
            })
        } else {
            Err("the reference is split across lines or escaped; edit it by hand".into())
        };
    }
    // The whole reference from one ARG: `${BASE}` or `$BASE`.
    let name = written
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| written.strip_prefix('$'))
        .filter(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    let Some(name) = name else {
        return Err(format!(
            "`{written}` mixes text and variables; give one ARG the whole reference to pin it"
        ));
    };
    // The last global declaration with a default is the one that applies.
    let decl = df
        .global_args
        .iter()
        .rev()
        .find(|a| a.name == name && a.default.is_some());
    let Some(decl) = decl else {
        return Err(format!("ARG {name} has no default to pin"));
    };
    let (Some(span), Some(default)) = (decl.default_span, decl.default.as_deref()) else {
        return Err(format!("ARG {name} has no default to pin"));
    };
    if default != stage.base {
        return Err(format!(
            "ARG {name}'s default uses other variables; pin it by hand"
        ));
    }
    let text = df.text.get(span.start..span.end).unwrap_or("");
    let at = text
        .find(default)
        .ok_or_else(|| format!("ARG {name}'s default is escaped; pin it by hand"))?;
    Ok(EditSite {
        span: Span {
            start: span.start + at,
            end: span.start + at + default.len(),
        },
        via_arg: Some(name.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<(String, String, Option<String>)> {
        let df = Dockerfile::parse(text).unwrap();
        image_uses(&df)
            .into_iter()
            .map(|u| {
                let site = u
                    .site
                    .as_ref()
                    .ok()
                    .map(|s| df.text[s.span.start..s.span.end].to_string());
                (u.kind.describe().to_string(), u.reference, site)
            })
            .collect()
    }

    #[test]
    fn every_form() {
        let text = "# syntax=docker/dockerfile:1.7\nARG BASE=\"alpine:3.19\"\nARG GO=1.22\nFROM ${BASE} AS a\nFROM golang:${GO} AS b\nFROM a AS c\nCOPY --from=nginx:1.27 /x /y\nCOPY --from=b /x /y\nRUN --mount=type=bind,from=busybox:1.36,target=/b true\nFROM scratch\n";
        let got = uses(text);
        let want = [
            (
                "# syntax",
                "docker/dockerfile:1.7",
                Some("docker/dockerfile:1.7"),
            ),
            ("FROM", "alpine:3.19", Some("alpine:3.19")),
            ("FROM", "golang:1.22", None),
            ("COPY --from", "nginx:1.27", Some("nginx:1.27")),
            ("RUN --mount from", "busybox:1.36", Some("busybox:1.36")),
        ];
        let got: Vec<_> = got
            .iter()
            .map(|(k, r, s)| (k.as_str(), r.as_str(), s.as_deref()))
            .collect();
        assert_eq!(got, want);
        let df = Dockerfile::parse(text).unwrap();
        let u = image_uses(&df);
        assert_eq!(u[1].site.as_ref().unwrap().via_arg.as_deref(), Some("BASE"));
        assert!(
            u[2].site
                .as_ref()
                .unwrap_err()
                .contains("mixes text and variables")
        );
    }

    #[test]
    fn splits() {
        assert_eq!(
            split("a/b:1@sha256:x"),
            ("a/b", Some("1"), Some("sha256:x"))
        );
        assert_eq!(split("localhost:5000/b"), ("localhost:5000/b", None, None));
    }
}

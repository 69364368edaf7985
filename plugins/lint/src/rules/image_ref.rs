//! Splitting an image reference (`registry:5000/org/name:tag@sha256:...`) into its
//! parts, enough for rules that judge tags and registries.

/// The parts of an image reference as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Everything before the tag and digest.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (reference, None),
        };
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        ImageRef { name, tag, digest }
    }

    /// The registry host, when the first path component looks like one.
    pub fn registry(&self) -> Option<&'a str> {
        let first = self.name.split('/').next()?;
        (self.name.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost"))
            .then_some(first)
    }
}

/// An external image referenced by the Dockerfile: a stage base, `COPY --from=`
/// or `RUN --mount=...,from=` naming an image rather than a stage.
pub struct ExternalImage {
    /// After ARG substitution for bases; as written for flags.
    pub reference: String,
    /// As written.
    pub written: String,
    pub span: plimsoll_plugin_sdk::dockerfile::Span,
}

/// Every external image the Dockerfile uses, in order.
pub fn external_images(df: &plimsoll_plugin_sdk::dockerfile::Dockerfile) -> Vec<ExternalImage> {
    let mut out = Vec::new();
    for (idx, ins) in df.instructions.iter().enumerate() {
        if ins.keyword == "FROM" {
            if let Some(s) = df.stages.iter().find(|s| s.from == idx)
                && is_external(s)
            {
                out.push(ExternalImage {
                    reference: s.base.clone(),
                    written: s.base_as_written.clone(),
                    span: s.base_span,
                });
            }
            continue;
        }
        for f in &ins.flags {
            let v = match (ins.keyword.as_str(), f.name.as_str()) {
                ("COPY", "from") => f.value.clone(),
                ("RUN", "mount") => f.key_value("from"),
                _ => None,
            };
            let Some(v) = v else { continue };
            if v.contains('$')
                || v.parse::<usize>().is_ok()
                || df.stage_ref(&v, idx).is_some()
                || v.eq_ignore_ascii_case("scratch")
            {
                continue;
            }
            // A bare word that is no stage is most likely a typo of one (PL1008);
            // names with a tag, digest or path are images.
            let r = ImageRef::parse(&v);
            if r.tag.is_none() && r.digest.is_none() && !v.contains('/') {
                continue;
            }
            out.push(ExternalImage {
                reference: v.clone(),
                written: v,
                span: f.span,
            });
        }
    }
    out
}

/// Whether a stage's base is an external image worth judging: not `scratch`, not
/// another stage, and fully resolved (no unset variables).
pub fn is_external(stage: &plimsoll_plugin_sdk::dockerfile::Stage) -> bool {
    stage.base_stage.is_none()
        && !stage.base.eq_ignore_ascii_case("scratch")
        && stage.base_unresolved.is_empty()
        && !stage.base.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let r = ImageRef::parse("localhost:5000/org/app:1.2@sha256:abc");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("localhost:5000/org/app", Some("1.2"), Some("sha256:abc"))
        );
        assert_eq!(r.registry(), Some("localhost:5000"));
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!((r.name, r.tag), ("localhost:5000/app", None));
        let r = ImageRef::parse("alpine");
        assert_eq!((r.name, r.tag, r.registry()), ("alpine", None, None));
        let r = ImageRef::parse("library/alpine:3");
        assert_eq!((r.tag, r.registry()), (Some("3"), None));
    }
}

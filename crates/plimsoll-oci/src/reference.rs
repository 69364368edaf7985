//! Image references, normalised as Docker does (`alpine` is
//! `docker.io/library/alpine:latest`). Parsing is `oci-spec`'s (the grammar of
//! distribution/reference); this adds what a registry client and a pinning
//! tool need on top: whether a tag was written, the API host, the credential key.

use std::fmt;

use oci_spec::distribution::Reference;

use crate::error::{ErrorKind, RegistryError};

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/alpine`.
    pub repository: String,
    /// The tag as written; `None` when the reference had none (Docker then
    /// means `latest`).
    pub tag: Option<String>,
    /// `sha256:...` when the reference pins one.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses a reference as `docker pull` would accept it.
    pub fn parse(reference: &str) -> Result<ImageRef, RegistryError> {
        let r = reference.trim();
        let parsed = Reference::try_from(r).map_err(|e| {
            RegistryError::new(
                ErrorKind::InvalidReference,
                format!("`{reference}` is not a valid image reference: {e}"),
            )
        })?;
        // oci-spec fills in `latest`; keep whether the text named a tag.
        let name_part = r.split('@').next().unwrap_or(r);
        let last = name_part.rsplit('/').next().unwrap_or(name_part);
        let wrote_tag = last.contains(':');
        Ok(ImageRef {
            registry: parsed.registry().to_string(),
            repository: parsed.repository().to_string(),
            tag: parsed.tag().filter(|_| wrote_tag).map(str::to_string),
            digest: parsed.digest().map(str::to_string),
        })
    }

    /// The tag Docker would pull: the written one or `latest`.
    pub fn effective_tag(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// What to ask the registry for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .unwrap_or_else(|| self.effective_tag())
    }

    /// `docker.io/library/alpine`.
    pub fn repository_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same image by tag only (the digest dropped).
    pub fn without_digest(&self) -> ImageRef {
        ImageRef {
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository at `digest` (the tag dropped).
    pub fn at_digest(&self, digest: &str) -> ImageRef {
        ImageRef {
            tag: None,
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// The host serving the registry API (`docker.io` is served by
    /// `registry-1.docker.io`).
    pub fn api_host(&self) -> &str {
        api_host(&self.registry)
    }
}

/// The host serving a registry's API.
pub fn api_host(registry: &str) -> &str {
    match registry {
        "docker.io" | "index.docker.io" => "registry-1.docker.io",
        other => other,
    }
}

/// The key Docker stores a registry's credentials under in config.json.
pub fn credential_key(registry: &str) -> String {
    match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => {
            "https://index.docker.io/v1/".to_string()
        }
        other => other.to_string(),
    }
}

impl fmt::Display for ImageRef {
    /// The canonical form: `docker.io/library/alpine:3.19@sha256:...`, with
    /// `:latest` when no tag was written and no digest pins it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        match (&self.tag, &self.digest) {
            (Some(t), _) => write!(f, ":{t}")?,
            (None, None) => f.write_str(":latest")?,
            (None, Some(_)) => {}
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_normalisation() {
        let r = ImageRef::parse("alpine").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.tag, None);
        assert_eq!(r.api_host(), "registry-1.docker.io");
        assert_eq!(credential_key(&r.registry), "https://index.docker.io/v1/");
        let r = ImageRef::parse("bitnami/redis:7").unwrap();
        assert_eq!(r.to_string(), "docker.io/bitnami/redis:7");
        let r = ImageRef::parse("docker.io/alpine:3.19").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine:3.19");
    }

    #[test]
    fn registries_ports_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("127.0.0.1:5000/library/multi:1.0@{d}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "library/multi");
        assert_eq!(r.tag.as_deref(), Some("1.0"));
        assert_eq!(r.manifest_reference(), d);
        let r = ImageRef::parse(&format!("localhost:5000/app@{d}")).unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("localhost:5000", None)
        );
        assert_eq!(r.to_string(), format!("localhost:5000/app@{d}"));
        assert_eq!(credential_key("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn invalid_references_are_errors() {
        for bad in ["", "Alpine", "alpine:", "alpine@sha256:abc", "a b"] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidReference, "{bad}");
        }
    }
}

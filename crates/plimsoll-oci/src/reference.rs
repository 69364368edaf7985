//! Image references, normalised as Docker does (`alpine` is
//! `docker.io/library/alpine:latest`), with what a registry client and a
//! pinning tool need on top: whether a tag was written, the API host, the
//! credential key.
//!
//! The grammar is distribution/reference's, written out by hand rather than
//! taken from `oci-spec`, whose parser compiles that grammar as one large
//! Unicode regex on first use: 20-80 ms on this project's machines, paid
//! by every run that reads one reference. A test checks that this parser
//! and oci-spec's agree over the corpus's references and the grammar's
//! corners (tags are ASCII here, as Docker's Go grammar has them).

use std::fmt;

use crate::error::{ErrorKind, RegistryError};

/// The longest repository name distribution accepts.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or `-`+: one path component.
fn path_component(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-')) {
            return false;
        }
    }
    true
}

/// `host[:port]`: labels of `[a-zA-Z0-9-]` that neither start nor end with
/// `-`, joined by `.`.
fn domain(s: &str) -> bool {
    let (host, port) = match s.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let label = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    host.split('.').all(label)
        && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
}

/// `[\w][\w.-]{0,127}`.
fn tag(s: &str) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|c| word(*c) || *c == b'.' || *c == b'-')
}

/// `algorithm:hex`, of an algorithm Docker knows and its length.
fn digest(s: &str) -> Result<(), &'static str> {
    let (algorithm, hex) = s.split_once(':').ok_or("a digest is algorithm:hex")?;
    let component = |c: &str| {
        let b = c.as_bytes();
        !b.is_empty() && b[0].is_ascii_alphabetic() && b.iter().all(u8::is_ascii_alphanumeric)
    };
    if !algorithm.split(['-', '_', '+', '.']).all(component)
        || hex.len() < 32
        || !hex.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return Err("a digest is algorithm:hex");
    }
    let want = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm"),
    };
    if hex.len() != want {
        return Err("invalid checksum digest length");
    }
    Ok(())
}

/// Docker's normalisation: no registry is `docker.io`, a one-part name
/// there is under `library/`.
fn split_domain(name: &str) -> (String, String) {
    let (mut registry, mut repository) = match name.split_once('/') {
        Some((left, right)) if left.contains(['.', ':']) || left == "localhost" => {
            (left.to_string(), right.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    if registry == "index.docker.io" {
        registry = "docker.io".into();
    }
    if registry == "docker.io" && !repository.contains('/') {
        repository = format!("library/{repository}");
    }
    (registry, repository)
}

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
        let invalid = |why: &str| {
            RegistryError::new(
                ErrorKind::InvalidReference,
                format!("`{reference}` is not a valid image reference: {why}"),
            )
        };
        let r = reference.trim();
        if r.is_empty() {
            return Err(invalid("repository name must have at least one component"));
        }
        let (named, pinned) = match r.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (r, None),
        };
        // The tag is after a `:` that follows the last `/` (one before it
        // is a port).
        let (name, written_tag) = match named.rfind(':') {
            Some(i) if !named[i..].contains('/') => (&named[..i], Some(&named[i + 1..])),
            _ => (named, None),
        };
        let parts: Vec<&str> = name.split('/').collect();
        let (first, rest) = parts.split_first().expect("split yields one part");
        let path_ok = rest.iter().all(|p| path_component(p))
            && (path_component(first) || (!rest.is_empty() && domain(first)));
        if !path_ok || written_tag.is_some_and(|t| !tag(t)) {
            return Err(invalid("invalid reference format"));
        }
        if let Some(d) = pinned {
            digest(d).map_err(invalid)?;
        }
        let (registry, repository) = split_domain(name);
        if repository.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(invalid(
                "repository name must not be more than 255 characters",
            ));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag: written_tag.map(str::to_string),
            digest: pinned.map(str::to_string),
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

    /// This parser and oci-spec's (the regex of distribution/reference)
    /// accept the same references and read them alike: every image the
    /// corpus's Dockerfiles name, and the grammar's corners.
    #[test]
    fn agrees_with_oci_spec() {
        let d = "0123456789abcdef".repeat(4);
        let mut refs: Vec<String> = [
            "alpine",
            "alpine:3.19",
            "library/alpine",
            "docker.io/alpine",
            "index.docker.io/x/y:1",
            "localhost/app",
            "localhost:5000/app:v1",
            "127.0.0.1:5000/a/b/c:1.0",
            "my-host.example.com/team/app",
            "Example.COM/app",
            "example.com:/app",
            "example.com:x/app",
            "-bad.com/app",
            "bad-.com/app",
            "a.b/c",
            "a_b/c",
            "a__b/c",
            "a___b/c",
            "a-b--c/d",
            "a.-b/c",
            "a._b",
            "a..b",
            "a/b/",
            "/a",
            "a//b",
            "app:",
            "app:-x",
            "app:.x",
            "app:_x",
            "app:x.y-z_1",
            "app:UPPER",
            "localhost:5000",
            "ALPINE",
            "alpine:3@sha256:abc",
            "a b",
            "app@sha256",
            "app@md5:0123456789abcdef0123456789abcdef",
            "app@sha384:00",
            "x:1:2",
            "x/y:1/2",
            "host:5000/x:tag@",
            "a.com/B/c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        refs.push(format!("app@sha256:{d}"));
        refs.push(format!("ghcr.io/org/app:1.2@sha256:{d}"));
        refs.push(format!("app@sha256:{}", &d[..63]));
        refs.push(format!("app@sha512:{d}{d}"));
        refs.push(format!("app:{}", "t".repeat(128)));
        refs.push(format!("app:{}", "t".repeat(129)));
        refs.push(format!("{}/{}", "a".repeat(200), "b".repeat(60)));
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/dockerfiles");
        for f in std::fs::read_dir(&corpus).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            for line in text.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if words
                    .first()
                    .is_some_and(|w| w.eq_ignore_ascii_case("FROM"))
                {
                    refs.extend(
                        words[1..]
                            .iter()
                            .find(|w| !w.starts_with("--"))
                            .map(|w| w.to_string()),
                    );
                }
            }
        }
        assert!(refs.len() > 1000, "the corpus is read: {}", refs.len());
        for r in &refs {
            let ours = ImageRef::parse(r).ok();
            let theirs = oci_spec::distribution::Reference::try_from(r.as_str()).ok();
            match (&ours, &theirs) {
                (Some(o), Some(t)) => {
                    assert_eq!(o.registry, t.registry(), "{r}");
                    assert_eq!(o.repository, t.repository(), "{r}");
                    assert_eq!(o.digest.as_deref(), t.digest(), "{r}");
                    assert_eq!(o.effective_tag(), t.tag().unwrap_or("latest"), "{r}");
                }
                (None, None) => {}
                _ => panic!("`{r}`: ours {ours:?}, oci-spec {theirs:?}"),
            }
        }
    }

    #[test]
    fn invalid_references_are_errors() {
        for bad in ["", "Alpine", "alpine:", "alpine@sha256:abc", "a b"] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidReference, "{bad}");
        }
    }
}

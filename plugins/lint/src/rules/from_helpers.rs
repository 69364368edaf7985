//! Shared by the FROM/stage rules: image names as Docker Hub spells them.

use super::image_ref::ImageRef;

/// The repository name without registry and `library/`: `docker.io/library/node`
/// -> `node`, `node` -> `node`; other registries keep their path.
pub fn official_name(name: &str) -> &str {
    let r = ImageRef::parse(name);
    let n = r.name;
    let n = n
        .strip_prefix("docker.io/")
        .or_else(|| n.strip_prefix("index.docker.io/"))
        .unwrap_or(n);
    n.strip_prefix("library/").unwrap_or(n)
}

/// The registry of a reference, `docker.io` for Docker Hub short names.
pub fn registry_of(reference: &str) -> String {
    match ImageRef::parse(reference).registry() {
        Some(r) if r == "index.docker.io" || r == "registry-1.docker.io" => "docker.io".into(),
        Some(r) => r.to_string(),
        None => "docker.io".into(),
    }
}

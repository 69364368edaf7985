//! The packages an SBOM lists (`plimsoll check --sbom`): CycloneDX JSON
//! (1.2 to 1.6) and SPDX 2.x JSON, as plimsoll, Trivy and Syft write them.
//!
//! Each component's package URL says what it is; the source package, which
//! OSV's Debian and Alpine records name, comes from the `upstream` purl
//! qualifier (Syft, plimsoll) or Trivy's `aquasecurity:trivy:Src*`
//! properties. The distribution comes from the operating-system component
//! (CycloneDX), the `OPERATING-SYSTEM` package (SPDX) or the purls'
//! `distro` qualifier.

use std::str::FromStr;

use packageurl::PackageUrl;
use serde_json::Value;

use crate::{Inventory, OsRelease, Package};

/// What an SBOM says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sbom {
    /// `CycloneDX 1.5`, `SPDX-2.3`.
    pub format: String,
    /// What the SBOM describes (`alpine:3.19`, `registry/app@sha256:...`).
    pub subject: Option<String>,
    /// The described image's digest, when the SBOM records it.
    pub digest: Option<String>,
    pub inventory: Inventory,
    /// Components without a package URL plimsoll understands (left out).
    pub skipped: usize,
}

/// Reads a CycloneDX or SPDX JSON document.
pub fn read(text: &str) -> Result<Sbom, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        let trimmed = text.trim_start();
        if trimmed.starts_with('<') {
            "this is XML; only CycloneDX and SPDX JSON are read (`cyclonedx convert` or `trivy convert` turn XML into JSON)".to_string()
        } else if trimmed.starts_with("SPDXVersion:") {
            "this is SPDX tag-value; only SPDX JSON is read (`pyspdxtools -i FILE -o FILE.json` converts)".to_string()
        } else {
            format!("not JSON: {e}")
        }
    })?;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        Ok(cyclonedx(&doc))
    } else if let Some(v) = doc.get("spdxVersion").and_then(Value::as_str) {
        if !v.starts_with("SPDX-2.") {
            return Err(format!("{v} is not supported (SPDX 2.2 and 2.3 JSON are)"));
        }
        Ok(spdx(&doc))
    } else {
        Err("neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON document".into())
    }
}

/// `debian-12` (Syft, plimsoll) or `12.4` / `3.19.1` (Trivy) from a purl's
/// `distro` qualifier, with the purl namespace as the fallback id.
fn distro(purl: &PackageUrl, namespace: Option<&str>) -> Option<OsRelease> {
    let q = purl.qualifiers().get("distro")?;
    let (id, version) = match q.split_once('-') {
        Some((id, v)) if id.chars().all(|c| c.is_ascii_alphabetic()) => (id.to_string(), v),
        _ => (namespace?.to_string(), q.as_ref()),
    };
    Some(OsRelease {
        pretty_name: format!("{id} {version}"),
        id: id.to_ascii_lowercase(),
        version_id: version.to_string(),
    })
}

/// The module path of a `pkg:golang/...` purl as written, percent-decoded.
fn golang_path(text: &str) -> Option<String> {
    let rest = text.strip_prefix("pkg:golang/")?;
    let end = rest.find(['@', '?', '#']).unwrap_or(rest.len());
    let raw = rest[..end].trim_matches('/');
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
        .filter(|s| !s.is_empty())
}

fn kind_of(purl_type: &str) -> &'static str {
    match purl_type {
        "deb" => "dpkg",
        "apk" => "apk",
        "rpm" => "rpm",
        "pypi" => "python",
        "npm" => "npm",
        "golang" => "go",
        "cargo" => "cargo",
        "maven" => "maven",
        "gem" => "gem",
        _ => "other",
    }
}

/// A package from its purl; `None` for purls that name no installable
/// package (`pkg:oci/...`, unparsable ones).
fn from_purl(text: &str) -> Option<(Package, Option<OsRelease>)> {
    let purl = PackageUrl::from_str(text).ok()?;
    if matches!(purl.ty(), "oci" | "docker") {
        return None;
    }
    let mut version = purl.version()?.to_string();
    // deb and rpm purls may carry the epoch as a qualifier (Trivy does).
    if let Some(epoch) = purl.qualifiers().get("epoch")
        && !epoch.is_empty()
        && epoch.as_ref() != "0"
        && !version.contains(':')
    {
        version = format!("{epoch}:{version}");
    }
    let name = match (purl.ty(), purl.namespace()) {
        // The purl crate lowercases Go module paths, but they are
        // case-sensitive (`github.com/Azure/...`): taken as written.
        ("golang", _) => golang_path(text).unwrap_or_else(|| purl.name().to_string()),
        ("npm", Some(ns)) => format!("{ns}/{}", purl.name()),
        ("maven", Some(ns)) => format!("{ns}:{}", purl.name()),
        _ => purl.name().to_string(),
    };
    let (source, source_version) = match purl.qualifiers().get("upstream") {
        // Syft names an RPM's source by its file: `openssl-3.0.7-24.el9.src.rpm`.
        Some(u) if u.ends_with(".src.rpm") => match crate::rpm::source_of(u) {
            Some((s, v)) => (Some(s), Some(v)),
            None => (None, None),
        },
        Some(u) => match u.split_once('@') {
            Some((s, v)) => (Some(s.to_string()), Some(v.to_string())),
            None => (Some(u.to_string()), None),
        },
        None => (None, None),
    };
    let os = match purl.ty() {
        "deb" | "apk" | "rpm" => distro(&purl, purl.namespace()),
        _ => None,
    };
    Some((
        Package {
            kind: kind_of(purl.ty()),
            name,
            version,
            source,
            source_version,
            arch: purl.qualifiers().get("arch").map(|a| a.to_string()),
            license: None,
            location: String::new(),
        },
        os,
    ))
}

/// Fills the source from Trivy's properties (`SrcName`, `SrcVersion`,
/// `SrcRelease`, `SrcEpoch`) and the location from plimsoll's or Syft's.
fn apply_properties(p: &mut Package, props: &[(String, String)]) {
    let get = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(src) = get("aquasecurity:trivy:SrcName").or(get("plimsoll:package:source")) {
        p.source = Some(src.to_string());
    }
    if let Some(v) = get("aquasecurity:trivy:SrcVersion") {
        let mut full = v.to_string();
        if let Some(r) = get("aquasecurity:trivy:SrcRelease").filter(|r| !r.is_empty()) {
            full = format!("{full}-{r}");
        }
        if let Some(e) = get("aquasecurity:trivy:SrcEpoch").filter(|e| !e.is_empty() && *e != "0") {
            full = format!("{e}:{full}");
        }
        p.source_version = Some(full);
    }
    if let Some(loc) = get("plimsoll:package:location")
        .or(get("syft:location:0:path"))
        .or(get("aquasecurity:trivy:FilePath"))
    {
        p.location = loc.trim_start_matches('/').to_string();
    }
    // A source version equal to the binary's says nothing more.
    if p.source_version.as_deref() == Some(p.version.as_str()) {
        p.source_version = None;
    }
}

fn cdx_licences(c: &Value) -> Option<String> {
    let list = c.get("licenses")?.as_array()?;
    let parts: Vec<String> = list
        .iter()
        .filter_map(|l| {
            l.get("expression")
                .and_then(Value::as_str)
                .or_else(|| l.pointer("/license/id").and_then(Value::as_str))
                .or_else(|| l.pointer("/license/name").and_then(Value::as_str))
                .map(str::to_string)
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

fn cyclonedx(doc: &Value) -> Sbom {
    let mut out = Sbom {
        format: format!(
            "CycloneDX {}",
            doc.get("specVersion")
                .and_then(Value::as_str)
                .unwrap_or("?")
        ),
        ..Default::default()
    };
    if let Some(subject) = doc.pointer("/metadata/component") {
        out.subject = subject
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let props = properties(subject);
        out.digest = subject
            .get("version")
            .and_then(Value::as_str)
            .filter(|v| v.starts_with("sha256:"))
            .map(str::to_string)
            .or_else(|| {
                props
                    .iter()
                    .find(|(k, _)| k == "aquasecurity:trivy:RepoDigest")
                    .and_then(|(_, v)| v.split_once('@'))
                    .map(|(_, d)| d.to_string())
            })
            .or_else(|| {
                subject
                    .get("purl")
                    .and_then(Value::as_str)
                    .and_then(|p| PackageUrl::from_str(p).ok())
                    .and_then(|p| p.version().map(|v| v.to_string()))
                    .filter(|v| v.starts_with("sha256:"))
            });
    }
    let mut stack: Vec<&Value> = doc
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut purl_os = None;
    while let Some(c) = stack.pop() {
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            stack.extend(children);
        }
        if c.get("type").and_then(Value::as_str) == Some("operating-system") {
            let id = c.get("name").and_then(Value::as_str).unwrap_or_default();
            let version = c.get("version").and_then(Value::as_str).unwrap_or_default();
            out.inventory.os = Some(OsRelease {
                id: id.to_ascii_lowercase(),
                version_id: version.to_string(),
                pretty_name: format!("{id} {version}"),
            });
            continue;
        }
        let Some((mut p, os)) = c.get("purl").and_then(Value::as_str).and_then(from_purl) else {
            if c.get("type").and_then(Value::as_str) == Some("library") {
                out.skipped += 1;
            }
            continue;
        };
        purl_os = purl_os.or(os);
        p.license = cdx_licences(c);
        apply_properties(&mut p, &properties(c));
        out.inventory.packages.push(p);
    }
    if out.inventory.os.is_none() {
        out.inventory.os = purl_os;
    }
    out.inventory.packages.sort();
    out
}

fn properties(c: &Value) -> Vec<(String, String)> {
    c.get("properties")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p.get("name")?.as_str()?.to_string(),
                        p.get("value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn spdx(doc: &Value) -> Sbom {
    let mut out = Sbom {
        format: doc
            .get("spdxVersion")
            .and_then(Value::as_str)
            .unwrap_or("SPDX")
            .to_string(),
        subject: doc.get("name").and_then(Value::as_str).map(str::to_string),
        ..Default::default()
    };
    let mut purl_os = None;
    for pkg in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let str_of = |k: &str| pkg.get(k).and_then(Value::as_str);
        if str_of("primaryPackagePurpose") == Some("OPERATING-SYSTEM") {
            let id = str_of("name").unwrap_or_default();
            let version = str_of("versionInfo").unwrap_or_default();
            out.inventory.os = Some(OsRelease {
                id: id.to_ascii_lowercase(),
                version_id: version.to_string(),
                pretty_name: format!("{id} {version}"),
            });
            continue;
        }
        if str_of("primaryPackagePurpose") == Some("CONTAINER") {
            if let Some(v) = str_of("versionInfo").filter(|v| v.starts_with("sha256:")) {
                out.digest = Some(v.to_string());
            }
            continue;
        }
        let purl = pkg
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some((mut p, os)) = purl.and_then(from_purl) else {
            if purl.is_some() {
                out.skipped += 1;
            }
            continue;
        };
        purl_os = purl_os.or(os);
        p.license = ["licenseDeclared", "licenseConcluded"]
            .iter()
            .filter_map(|k| str_of(k))
            .find(|l| !matches!(*l, "NOASSERTION" | "NONE" | ""))
            .map(str::to_string);
        // Syft: "acquired package info from DPKG DB: /var/lib/dpkg/status";
        // Trivy: "built package from: util-linux 2.38.1-5+deb12u3".
        if let Some((what, rest)) = str_of("sourceInfo").and_then(|i| i.split_once(": ")) {
            if rest.starts_with('/') {
                p.location = rest.trim_start_matches('/').to_string();
            } else if what.ends_with("built package from")
                && p.source.is_none()
                && let Some((name, version)) = rest.trim().split_once(' ')
            {
                p.source = Some(name.to_string());
                p.source_version = Some(version.to_string()).filter(|v| *v != p.version);
            }
        }
        out.inventory.packages.push(p);
    }
    if out.inventory.os.is_none() {
        out.inventory.os = purl_os;
    }
    out.inventory.packages.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_as_peers_write_them() {
        // Syft: source in `upstream`, with its version when it differs.
        let (p, os) = from_purl(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12",
        )
        .unwrap();
        assert_eq!(
            (
                p.kind,
                p.name.as_str(),
                p.version.as_str(),
                p.source.as_deref()
            ),
            ("dpkg", "libc6", "2.36-9+deb12u4", Some("glibc"))
        );
        assert_eq!(os.unwrap().ecosystem().as_deref(), Some("Debian:12"));
        let (p, _) = from_purl(
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?upstream=openssl%403.0.11-1~deb12u2",
        )
        .unwrap();
        assert_eq!(p.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        // Trivy: `distro` is the bare version; the namespace names the OS.
        let (_, os) = from_purl("pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1").unwrap();
        assert_eq!(os.unwrap().ecosystem().as_deref(), Some("Alpine:v3.19"));
        let (p, _) = from_purl("pkg:rpm/rocky/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rocky-9.3").unwrap();
        assert_eq!(
            (p.kind, p.version.as_str(), p.source.as_deref()),
            ("rpm", "1:3.0.7-24.el9", Some("openssl"))
        );
        // Trivy: the epoch as a qualifier.
        let (p, _) = from_purl(
            "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12.15&epoch=1",
        )
        .unwrap();
        assert_eq!(p.version, "1:2.38.1-5+deb12u3");
        // Go module paths keep their case (OSV's Go names are case-sensitive).
        let (p, _) =
            from_purl("pkg:golang/github.com/Azure/go-autorest@v14.2.0%2Bincompatible").unwrap();
        assert_eq!(
            (p.kind, p.name.as_str(), p.version.as_str()),
            ("go", "github.com/Azure/go-autorest", "v14.2.0+incompatible")
        );
        let (p, _) = from_purl("pkg:npm/%40babel/core@7.23.0").unwrap();
        assert_eq!(p.name, "@babel/core");
        assert!(from_purl("pkg:oci/app@sha256%3Aab").is_none());
        assert!(from_purl("not a purl").is_none());
    }

    #[test]
    fn our_purls_read_back() {
        let os = crate::os_release("ID=debian\nVERSION_ID=\"12\"\n");
        let p = Package {
            kind: "dpkg",
            name: "libc6".into(),
            version: "2.36-9+deb12u4".into(),
            source: Some("glibc".into()),
            source_version: Some("2.36-9+deb12u3".into()),
            arch: Some("amd64".into()),
            license: None,
            location: String::new(),
        };
        let (back, back_os) = from_purl(&crate::purl(&p, Some(&os))).unwrap();
        assert_eq!(back, p);
        assert_eq!(back_os.unwrap().ecosystem().as_deref(), Some("Debian:12"));
    }

    #[test]
    fn trivy_properties_give_the_source() {
        let doc = serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.5",
            "metadata": {"component": {"type": "container", "name": "debian:12",
                "properties": [{"name": "aquasecurity:trivy:RepoDigest", "value": "debian@sha256:abc"}]}},
            "components": [
                {"type": "operating-system", "name": "debian", "version": "12.4"},
                {"type": "library", "name": "libc6", "version": "2.36-9+deb12u4",
                 "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.4",
                 "licenses": [{"license": {"name": "LGPL-2.1"}}, {"license": {"id": "GPL-2.0-only"}}],
                 "properties": [
                    {"name": "aquasecurity:trivy:SrcName", "value": "glibc"},
                    {"name": "aquasecurity:trivy:SrcVersion", "value": "2.36"},
                    {"name": "aquasecurity:trivy:SrcRelease", "value": "9+deb12u4"}]},
                {"type": "library", "name": "thing"}
            ]
        });
        let s = read(&doc.to_string()).unwrap();
        assert_eq!(s.subject.as_deref(), Some("debian:12"));
        assert_eq!(s.digest.as_deref(), Some("sha256:abc"));
        assert_eq!(s.skipped, 1);
        let os = s.inventory.os.unwrap();
        assert_eq!(os.ecosystem().as_deref(), Some("Debian:12"));
        let p = &s.inventory.packages[0];
        assert_eq!(p.source.as_deref(), Some("glibc"));
        assert_eq!(p.source_version, None, "equal to the binary's version");
        assert_eq!(p.license.as_deref(), Some("LGPL-2.1 AND GPL-2.0-only"));
    }

    #[test]
    fn other_documents_are_refused_by_name() {
        assert!(read("<bom/>").unwrap_err().contains("XML"));
        assert!(
            read("SPDXVersion: SPDX-2.3\n")
                .unwrap_err()
                .contains("tag-value")
        );
        assert!(read("{}").unwrap_err().contains("neither"));
        assert!(
            read("{\"spdxVersion\": \"SPDX-3.0\"}")
                .unwrap_err()
                .contains("not supported")
        );
    }
}

//! What is installed in an image, from the files package managers keep:
//! `/etc/os-release`, dpkg's `status` (and distroless `status.d/`), apk's
//! `installed`, Python `*.dist-info/METADATA` and npm `package.json`. Pure
//! functions over file contents: the scan plugin (wasm) and the host's
//! `sbom` command read files their own way and share these parsers.
//!
//! Written here: the formats are small, line-based and stable (RFC 822-style
//! stanzas, apk's one-letter keys), and no crate reads them without I/O of
//! its own.

use serde::Serialize;

/// The distribution, from `os-release`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    /// `debian`, `ubuntu`, `alpine`, `rhel`...
    pub id: String,
    /// `12`, `3.19.1`...
    pub version_id: String,
    pub pretty_name: String,
}

/// Parses `os-release` (`KEY=value`, values optionally quoted).
pub fn os_release(text: &str) -> OsRelease {
    let mut out = OsRelease::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
        match k.trim() {
            "ID" => out.id = v,
            "VERSION_ID" => out.version_id = v,
            "PRETTY_NAME" => out.pretty_name = v,
            _ => {}
        }
    }
    out
}

impl OsRelease {
    /// The OSV ecosystem of this distribution's packages (`Debian:12`,
    /// `Alpine:v3.19`, `Ubuntu:22.04`), when plimsoll knows it.
    pub fn ecosystem(&self) -> Option<String> {
        match self.id.as_str() {
            "debian" => Some(format!(
                "Debian:{}",
                self.version_id.split('.').next().unwrap_or("")
            )),
            "ubuntu" => Some(format!("Ubuntu:{}", self.version_id)),
            "alpine" => {
                let mut parts = self.version_id.split('.');
                Some(format!(
                    "Alpine:v{}.{}",
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("")
                ))
            }
            _ => None,
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Package {
    /// `dpkg`, `apk`, `python`, `npm`.
    pub kind: &'static str,
    pub name: String,
    pub version: String,
    /// The source package (dpkg `Source:`, apk `o:`), which OSV's Debian and
    /// Alpine records name.
    pub source: Option<String>,
    /// The source package's version when it differs (`Source: glibc (2.36-9)`).
    pub source_version: Option<String>,
    pub arch: Option<String>,
    /// SPDX-ish licence string when the database records one (apk `L:`,
    /// Python `License-Expression`/`License`, npm `license`).
    pub license: Option<String>,
    /// The file it was read from.
    pub location: String,
}

/// RFC 822-style stanzas: `Key: value` lines, continuation lines starting
/// with a space, stanzas separated by blank lines.
fn stanzas(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = cur.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// dpkg's `status` file (or one file of distroless `status.d/`): packages
/// whose status is `install ok installed` (distroless entries have none).
pub fn dpkg_status(text: &str, location: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for s in stanzas(text) {
        let get = |k: &str| s.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let (Some(name), Some(version)) = (get("Package"), get("Version")) else {
            continue;
        };
        if let Some(status) = get("Status")
            && !status.ends_with(" installed")
        {
            continue;
        }
        let (source, source_version) = match get("Source") {
            Some(src) => match src.split_once(' ') {
                Some((n, v)) => (
                    Some(n.to_string()),
                    Some(
                        v.trim()
                            .trim_start_matches('(')
                            .trim_end_matches(')')
                            .to_string(),
                    ),
                ),
                None => (Some(src), None),
            },
            None => (None, None),
        };
        out.push(Package {
            kind: "dpkg",
            name,
            version,
            source,
            source_version,
            arch: get("Architecture"),
            license: None,
            location: location.to_string(),
        });
    }
    out
}

/// apk's `installed` database (`P:` name, `V:` version, `o:` origin, `A:`
/// arch, `L:` licence; packages separated by blank lines).
pub fn apk_installed(text: &str, location: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut p = Package {
            kind: "apk",
            name: String::new(),
            version: String::new(),
            source: None,
            source_version: None,
            arch: None,
            license: None,
            location: location.to_string(),
        };
        for line in block.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.to_string();
            match k {
                "P" => p.name = v,
                "V" => p.version = v,
                "o" => p.source = Some(v),
                "A" => p.arch = Some(v),
                "L" => p.license = Some(v),
                _ => {}
            }
        }
        if !p.name.is_empty() && !p.version.is_empty() {
            out.push(p);
        }
    }
    out
}

/// A Python distribution's `METADATA` (or `PKG-INFO`).
pub fn python_metadata(text: &str, location: &str) -> Option<Package> {
    // The headers end at the first blank line; the body is the description.
    let head = text.split("\n\n").next().unwrap_or(text);
    let s = stanzas(head).into_iter().next()?;
    let get = |k: &str| {
        s.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    Some(Package {
        kind: "python",
        name: get("Name")?,
        version: get("Version")?,
        source: None,
        source_version: None,
        arch: None,
        license: get("License-Expression")
            .or_else(|| get("License"))
            .filter(|l| !l.is_empty() && l != "UNKNOWN"),
        location: location.to_string(),
    })
}

/// An npm `package.json` under `node_modules`.
pub fn npm_package(text: &str, location: &str) -> Option<Package> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let license = match &v["license"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("type").and_then(|t| t.as_str()).map(str::to_string),
        _ => None,
    };
    Some(Package {
        kind: "npm",
        name: v["name"].as_str()?.to_string(),
        version: v["version"].as_str()?.to_string(),
        source: None,
        source_version: None,
        arch: None,
        license,
        location: location.to_string(),
    })
}

/// Where each kind of database lives (globs over the image's paths).
pub const DPKG_STATUS: &str = "var/lib/dpkg/status";
pub const DPKG_STATUS_D: &str = "var/lib/dpkg/status.d/*";
pub const APK_INSTALLED: &str = "lib/apk/db/installed";
pub const RPM_DATABASES: &[&str] = &[
    "var/lib/rpm/rpmdb.sqlite",
    "var/lib/rpm/Packages",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];
pub const PYTHON_METADATA: &str = "**/*.dist-info/METADATA";
pub const NPM_PACKAGES: &str = "**/node_modules/*/package.json";
pub const NPM_SCOPED_PACKAGES: &str = "**/node_modules/@*/*/package.json";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_keeps_source_and_skips_removed() {
        let text = "Package: libc6\nStatus: install ok installed\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u3\nArchitecture: amd64\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: zlib1g\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n";
        let p = dpkg_status(text, "var/lib/dpkg/status");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source.as_deref(), Some("glibc"));
        assert_eq!(p[0].source_version.as_deref(), Some("2.36-9"));
        assert_eq!(p[1].name, "zlib1g");
        assert_eq!(p[1].source.as_deref(), Some("zlib"));
    }

    #[test]
    fn apk_keeps_origin_and_licence() {
        let text = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\n\nP:musl\nV:1.2.4_git20230717-r4\no:musl\n";
        let p = apk_installed(text, "lib/apk/db/installed");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source.as_deref(), Some("openssl"));
        assert_eq!(p[0].license.as_deref(), Some("Apache-2.0"));
    }

    #[test]
    fn os_release_to_ecosystem() {
        let d = os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
        );
        assert_eq!(d.ecosystem().as_deref(), Some("Debian:12"));
        let a = os_release("ID=alpine\nVERSION_ID=3.19.1\n");
        assert_eq!(a.ecosystem().as_deref(), Some("Alpine:v3.19"));
    }
}

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

pub mod golang;
pub mod rpm;
pub mod sbom;

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
        let major = self.version_id.split('.').next().unwrap_or("");
        match self.id.as_str() {
            "debian" => Some(format!("Debian:{major}")),
            "ubuntu" => Some(format!("Ubuntu:{}", self.version_id)),
            "alpine" => {
                let mut parts = self.version_id.split('.');
                Some(format!(
                    "Alpine:v{}.{}",
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or("")
                ))
            }
            "rocky" => Some(format!("Rocky Linux:{major}")),
            "almalinux" => Some(format!("AlmaLinux:{major}")),
            _ => None,
        }
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Package {
    /// `dpkg`, `apk`, `python`, `npm` (and, from SBOMs, `rpm`, `go`,
    /// `cargo`, `maven`, `gem`, `other`).
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

/// How [`collect`] reads an image: the merged filesystem, paths without a
/// leading `/`.
pub trait Files {
    /// A regular file's text (symlinks followed): `Ok(None)` when there is
    /// none, `Err(why)` when one is there but cannot be read (a hard-link
    /// cycle, a damaged layer): never taken for "not installed".
    fn read(&self, path: &str) -> Result<Option<String>, String>;
    /// Paths matching a glob (`**` crosses `/`).
    fn glob(&self, pattern: &str) -> Vec<String>;
    /// Regular files with an execute bit and at least `min_size` bytes
    /// (where Go binaries are looked for); none by default.
    fn executables(&self, _min_size: u64) -> Vec<String> {
        Vec::new()
    }
    /// A regular file's bytes, if it exists and has at most `max` bytes.
    fn read_bytes(&self, _path: &str, _max: u64) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }
    /// The stored package headers of the RPM database at `path` (the
    /// `Packages` table's blobs of `rpmdb.sqlite`); `None` when this reader
    /// cannot open it (the database is then reported, never skipped).
    fn rpm_headers(&self, _path: &str) -> Option<Vec<Vec<u8>>> {
        None
    }
}

/// Why the packages behind an [`Inventory::unsupported`] path were not read.
pub fn unsupported_reason(path: &str) -> &'static str {
    if path.ends_with("/Packages") {
        "a Berkeley DB RPM database (CentOS 7 and older); only rpmdb.sqlite is read, so its packages were not checked"
    } else if path.contains("rpm") {
        "the RPM database could not be opened; its packages were not checked"
    } else {
        "a Go binary built before Go 1.18 (no inline build information); its modules were not checked"
    }
}

/// The smallest Go executable worth opening (a stripped hello-world is
/// over 1 MB).
pub const GO_MIN_SIZE: u64 = 512 << 10;
/// The largest executable read for Go build information.
pub const GO_MAX_SIZE: u64 = 512 << 20;

/// What an image has installed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub os: Option<OsRelease>,
    pub packages: Vec<Package>,
    /// Package databases found but not read (RPM; Go binaries older than
    /// Go 1.18), by path: see [`unsupported_reason`].
    pub unsupported: Vec<String>,
}

/// Reads every package database of an image. dpkg licences come from the
/// machine-readable `usr/share/doc/<package>/copyright` files when present.
/// A database (or `os-release`) that is there but cannot be read is an
/// error naming it: an image is never reported as having no packages
/// because its package list could not be read.
pub fn collect(files: &dyn Files) -> Result<Inventory, String> {
    let mut inv = Inventory {
        os: match files.read("etc/os-release")? {
            Some(t) => Some(t),
            None => files.read("usr/lib/os-release")?,
        }
        .map(|t| os_release(&t)),
        ..Default::default()
    };
    if let Some(t) = files.read(DPKG_STATUS)? {
        inv.packages.extend(dpkg_status(&t, DPKG_STATUS));
    }
    for path in files.glob(DPKG_STATUS_D) {
        if let Some(t) = files.read(&path)? {
            inv.packages.extend(dpkg_status(&t, &path));
        }
    }
    for p in inv.packages.iter_mut() {
        // Licences are facts about a package, not the package list: an
        // unreadable copyright file leaves the licence unknown.
        if let Ok(Some(text)) = files.read(&format!("usr/share/doc/{}/copyright", p.name)) {
            p.license = dep5_licenses(&text);
        }
    }
    if let Some(t) = files.read(APK_INSTALLED)? {
        inv.packages.extend(apk_installed(&t, APK_INSTALLED));
    }
    for db in RPM_DATABASES {
        if files.glob(db).is_empty() {
            continue;
        }
        match files.rpm_headers(db) {
            Some(blobs) => inv
                .packages
                .extend(blobs.iter().filter_map(|b| rpm::package(b, db))),
            None => inv.unsupported.push(db.to_string()),
        }
    }
    for path in files.glob(PYTHON_METADATA) {
        if let Some(p) = files.read(&path)?.and_then(|t| python_metadata(&t, &path)) {
            inv.packages.push(p);
        }
    }
    for pattern in [NPM_PACKAGES, NPM_SCOPED_PACKAGES] {
        for path in files.glob(pattern) {
            if let Some(p) = files.read(&path)?.and_then(|t| npm_package(&t, &path)) {
                inv.packages.push(p);
            }
        }
    }
    for path in files.executables(GO_MIN_SIZE) {
        let Some(bytes) = files.read_bytes(&path, GO_MAX_SIZE)? else {
            continue;
        };
        if !bytes.starts_with(b"\x7fELF") {
            continue;
        }
        match golang::build_info(&bytes) {
            Ok(info) => inv.packages.extend(golang::packages(&info, &path)),
            Err(golang::GoError::TooOld) => inv.unsupported.push(path),
            Err(_) => {}
        }
    }
    Ok(inv)
}

/// The licences a DEP-5 `copyright` file names (`License:` fields, first
/// word each, de-duplicated, in order), as an SPDX-style `A AND B`.
pub fn dep5_licenses(text: &str) -> Option<String> {
    if !text.starts_with("Format:") {
        return None;
    }
    let mut seen: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let l = v.split_whitespace().next().unwrap_or("").to_string();
            if !l.is_empty() && !seen.contains(&l) {
                seen.push(l);
            }
        }
    }
    (!seen.is_empty()).then(|| seen.join(" AND "))
}

#[cfg(test)]
mod licence_tests {
    use super::*;

    #[test]
    fn debian_names_become_spdx_ids() {
        assert_eq!(spdx_id("GPL-2+"), "GPL-2.0-or-later");
        assert_eq!(spdx_id("GPL-2"), "GPL-2.0-only");
        assert_eq!(spdx_id("LGPL-2.1+"), "LGPL-2.1-or-later");
        assert_eq!(spdx_id("Expat"), "MIT");
        assert_eq!(spdx_id("BSD-3-clause"), "BSD-3-Clause");
        assert_eq!(spdx_id("public-domain"), "LicenseRef-public-domain");
        assert_eq!(
            spdx_expression("GPL-2+ AND Expat").as_deref(),
            Some("GPL-2.0-or-later AND MIT")
        );
        assert_eq!(
            spdx_expression("(MIT OR Apache-2.0)").as_deref(),
            Some("(MIT OR Apache-2.0)")
        );
        assert_eq!(spdx_expression("BSD License with some clause"), None);
    }
}

/// The package URL (purl) of a package. The source package of dpkg and apk
/// packages goes in the `upstream` qualifier (`upstream=glibc%402.36-9`),
/// as Syft writes it, so that scanning the SBOM matches on the source.
pub fn purl(p: &Package, os: Option<&OsRelease>) -> String {
    let enc = |s: &str| {
        s.replace('%', "%25")
            .replace('@', "%40")
            .replace('+', "%2B")
            .replace(':', "%3A")
            .replace('&', "%26")
            .replace('=', "%3D")
    };
    let upstream = || match (&p.source, &p.source_version) {
        (Some(s), Some(v)) => format!("&upstream={}", enc(&format!("{s}@{v}"))),
        (Some(s), None) => format!("&upstream={}", enc(s)),
        _ => String::new(),
    };
    match p.kind {
        "dpkg" => {
            let distro = os
                .map(|o| format!("&distro={}-{}", o.id, o.version_id))
                .unwrap_or_default();
            let vendor = os.map(|o| o.id.as_str()).unwrap_or("debian");
            format!(
                "pkg:deb/{vendor}/{}@{}?arch={}{}{distro}",
                p.name,
                enc(&p.version),
                p.arch.as_deref().unwrap_or("all"),
                upstream()
            )
        }
        "rpm" => {
            let (epoch, vr) = match p.version.split_once(':') {
                Some((e, vr)) => (format!("&epoch={e}"), vr),
                None => (String::new(), p.version.as_str()),
            };
            let vendor = os.map(|o| o.id.as_str()).unwrap_or("redhat");
            format!(
                "pkg:rpm/{vendor}/{}@{}?arch={}{epoch}{}{}",
                p.name,
                enc(vr),
                p.arch.as_deref().unwrap_or("noarch"),
                upstream(),
                os.map(|o| format!("&distro={}-{}", o.id, o.version_id))
                    .unwrap_or_default()
            )
        }
        "apk" => format!(
            "pkg:apk/alpine/{}@{}?arch={}{}{}",
            p.name,
            enc(&p.version),
            p.arch.as_deref().unwrap_or("noarch"),
            upstream(),
            os.map(|o| format!("&distro={}", o.version_id))
                .unwrap_or_default()
        ),
        "python" => format!(
            "pkg:pypi/{}@{}",
            p.name.to_ascii_lowercase().replace('_', "-"),
            enc(&p.version)
        ),
        "npm" => format!("pkg:npm/{}@{}", enc(&p.name), enc(&p.version)),
        "go" => format!("pkg:golang/{}@{}", p.name, enc(&p.version)),
        other => format!("pkg:generic/{other}/{}@{}", p.name, enc(&p.version)),
    }
}

/// SPDX licence ids plimsoll recognises as such (the ones package databases
/// name in practice); anything else becomes a `LicenseRef-`.
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "blessing",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSD-4-Clause-UC",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "FSFAP",
    "FSFUL",
    "FSFULLR",
    "FTL",
    "GFDL-1.1-or-later",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "Info-ZIP",
    "ISC",
    "Latex2e",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "libpng-2.0",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NTP",
    "OFL-1.1",
    "OpenSSL",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "SGI-B-2.0",
    "Sleepycat",
    "TCL",
    "Unicode-DFS-2016",
    "Unlicense",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// One licence name as an SPDX id: Debian's DEP-5 short names (`GPL-2+`,
/// `Expat`, `BSD-3-clause`) mapped to theirs, SPDX ids kept, anything else
/// `LicenseRef-<name>`.
pub fn spdx_id(name: &str) -> String {
    let n = name.trim().trim_end_matches(',');
    if let Some(id) = SPDX_IDS.iter().find(|id| id.eq_ignore_ascii_case(n)) {
        return id.to_string();
    }
    let family = |base: &str, rest: &str| -> Option<String> {
        let (num, plus) = match rest.strip_suffix('+') {
            Some(r) => (r, true),
            None => (rest, false),
        };
        let num = match num {
            "1" => "1.0",
            "2" => "2.0",
            "3" => "3.0",
            n => n,
        };
        let id = format!("{base}-{num}-{}", if plus { "or-later" } else { "only" });
        SPDX_IDS.contains(&id.as_str()).then_some(id)
    };
    for base in ["GPL", "LGPL", "AGPL", "GFDL"] {
        if let Some(rest) = n.strip_prefix(base).and_then(|r| r.strip_prefix('-'))
            && let Some(id) = family(base, rest)
        {
            return id;
        }
    }
    let mapped = match n.to_ascii_lowercase().as_str() {
        "expat" => Some("MIT"),
        "bsd-2-clause" => Some("BSD-2-Clause"),
        "bsd-3-clause" => Some("BSD-3-Clause"),
        "bsd-4-clause" => Some("BSD-4-Clause"),
        "artistic" => Some("Artistic-1.0"),
        "apache-2" => Some("Apache-2.0"),
        "mpl-2" => Some("MPL-2.0"),
        "cc0" => Some("CC0-1.0"),
        "psf" | "psf-2" => Some("PSF-2.0"),
        "zlib" => Some("Zlib"),
        _ => None,
    };
    if let Some(m) = mapped {
        return m.to_string();
    }
    let safe: String = n
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("LicenseRef-{safe}")
}

/// A licence string as an SPDX expression: each name through [`spdx_id`],
/// `AND`/`OR`/`WITH` and parentheses kept. `None` for free text (a licence
/// paragraph in a Python METADATA).
pub fn spdx_expression(licence: &str) -> Option<String> {
    let l = licence.trim();
    if l.is_empty() || l.len() > 512 || l.contains('\n') {
        return None;
    }
    let words: Vec<&str> = l.split_whitespace().collect();
    // Free text has lower-case connectives or many words without operators.
    let operators = words
        .iter()
        .filter(|w| matches!(**w, "AND" | "OR" | "WITH"))
        .count();
    if words.len() > 1 && operators * 2 + 1 < words.len() {
        return None;
    }
    let mut out = Vec::new();
    for w in words {
        let (open, rest) = w.split_at(w.len() - w.trim_start_matches('(').len());
        let core = rest.trim_end_matches(')');
        let close = &rest[core.len()..];
        let mapped = match core {
            "AND" | "OR" | "WITH" => core.to_string(),
            "" => String::new(),
            c => spdx_id(c),
        };
        out.push(format!("{open}{mapped}{close}"));
    }
    Some(out.join(" "))
}

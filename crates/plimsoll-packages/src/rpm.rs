//! RPM package headers, as the RPM database stores them (one blob per
//! installed package in `rpmdb.sqlite`'s `Packages` table): the header's
//! index and data store, from which name, epoch, version, release, arch,
//! licence and source RPM are read. Opening the SQLite database is the
//! host's part ([`crate::Files::rpm_headers`]); this is the pure part, so
//! hostile blobs are refused here with bounds on every offset.
//!
//! Written here: the header format is a count, a length, 16-byte index
//! entries and a data store (rpm's lib/header.c), and the crates that read
//! it also read whole `.rpm` files with their own I/O.

use crate::Package;

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const LICENSE: u32 = 1014;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_I18NSTRING: u32 = 9;

/// Index entries one header may have (rpm's own limit is 0xffff).
const MAX_ENTRIES: usize = 0xffff;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// One stored header's tags of interest.
#[derive(Debug, Default)]
struct Header {
    name: Option<String>,
    version: Option<String>,
    release: Option<String>,
    epoch: Option<u32>,
    license: Option<String>,
    arch: Option<String>,
    sourcerpm: Option<String>,
}

fn parse(blob: &[u8]) -> Option<Header> {
    let il = be32(blob, 0)? as usize;
    let dl = be32(blob, 4)? as usize;
    if il == 0 || il > MAX_ENTRIES {
        return None;
    }
    let data_start = 8usize.checked_add(il.checked_mul(16)?)?;
    let data = blob.get(data_start..data_start.checked_add(dl)?)?;
    let mut h = Header::default();
    for i in 0..il {
        let e = 8 + i * 16;
        let (tag, ty, offset) = (
            be32(blob, e)?,
            be32(blob, e + 4)?,
            be32(blob, e + 8)? as usize,
        );
        let string = || -> Option<String> {
            let rest = data.get(offset..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            Some(String::from_utf8_lossy(&rest[..end]).into_owned())
        };
        let is_string = ty == TYPE_STRING || ty == TYPE_I18NSTRING;
        match tag {
            NAME if is_string => h.name = string(),
            VERSION if is_string => h.version = string(),
            RELEASE if is_string => h.release = string(),
            LICENSE if is_string => h.license = string(),
            ARCH if is_string => h.arch = string(),
            SOURCERPM if is_string => h.sourcerpm = string(),
            EPOCH if ty == TYPE_INT32 => h.epoch = be32(data, offset),
            _ => {}
        }
    }
    Some(h)
}

/// `openssl-3.0.7-24.el9.src.rpm` -> (`openssl`, `3.0.7-24.el9`).
pub fn source_of(sourcerpm: &str) -> Option<(String, String)> {
    let base = sourcerpm
        .strip_suffix(".src.rpm")
        .or_else(|| sourcerpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

/// The package a stored header describes; `None` for blobs that are not
/// headers (or lack a name or version). `gpg-pubkey` pseudo-packages
/// (imported signing keys) are left out, as `rpm -qa` users expect.
pub fn package(blob: &[u8], location: &str) -> Option<Package> {
    let h = parse(blob)?;
    let name = h.name?;
    if name == "gpg-pubkey" {
        return None;
    }
    let evr = |v: &str, r: Option<&str>| {
        let vr = match r {
            Some(r) if !r.is_empty() => format!("{v}-{r}"),
            _ => v.to_string(),
        };
        match h.epoch {
            Some(e) if e > 0 => format!("{e}:{vr}"),
            _ => vr,
        }
    };
    let version = evr(h.version.as_deref()?, h.release.as_deref());
    let (source, source_version) = match h.sourcerpm.as_deref().and_then(source_of) {
        Some((s, v)) => {
            let v = evr(&v, None);
            let sv = (v != version).then_some(v);
            (Some(s).filter(|s| *s != name), sv)
        }
        None => (None, None),
    };
    Some(Package {
        kind: "rpm",
        name,
        version,
        source,
        source_version,
        arch: h.arch,
        license: h.license,
        location: location.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header blob as rpm stores it.
    fn blob(strings: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        let mut n = 0u32;
        if let Some(e) = epoch {
            index.extend_from_slice(&EPOCH.to_be_bytes());
            index.extend_from_slice(&TYPE_INT32.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(&e.to_be_bytes());
            n += 1;
        }
        for (tag, s) in strings {
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&TYPE_STRING.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            data.extend_from_slice(s.as_bytes());
            data.push(0);
            n += 1;
        }
        let mut out = n.to_be_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(data);
        out
    }

    #[test]
    fn a_header_gives_name_evr_and_source() {
        let b = blob(
            &[
                (NAME, "openssl-libs"),
                (VERSION, "3.0.7"),
                (RELEASE, "24.el9"),
                (LICENSE, "ASL 2.0"),
                (ARCH, "x86_64"),
                (SOURCERPM, "openssl-3.0.7-24.el9.src.rpm"),
            ],
            Some(1),
        );
        let p = package(&b, "var/lib/rpm/rpmdb.sqlite").unwrap();
        assert_eq!(p.name, "openssl-libs");
        assert_eq!(p.version, "1:3.0.7-24.el9");
        assert_eq!(p.source.as_deref(), Some("openssl"));
        assert_eq!(p.source_version, None, "the same EVR is not repeated");
        assert_eq!(p.license.as_deref(), Some("ASL 2.0"));
    }

    #[test]
    fn hostile_blobs_are_refused() {
        assert!(package(&[], "x").is_none());
        assert!(package(&[0xff; 8], "x").is_none(), "entry count too large");
        let mut b = blob(&[(NAME, "a"), (VERSION, "1")], None);
        b.truncate(b.len() - 3);
        assert!(package(&b, "x").is_none(), "cut data store");
        // An offset past the data store.
        let mut b = blob(&[(NAME, "a"), (VERSION, "1")], None);
        b[8 + 8..8 + 12].copy_from_slice(&1000u32.to_be_bytes());
        assert!(package(&b, "x").is_none());
        assert!(package(&blob(&[(NAME, "gpg-pubkey"), (VERSION, "1")], None), "x").is_none());
    }
}

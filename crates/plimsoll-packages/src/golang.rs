//! Go binaries' build information: the Go version and every module a Go
//! (1.18 or later) executable was built from, as `go version -m` prints
//! them. Go embeds them in the `.go.buildinfo` section: a 32-byte header
//! starting `\xff Go buildinf:` at a 16-byte-aligned offset, then (when
//! flag 2 is set, Go 1.18+) two length-prefixed strings, the version and
//! the module info (`path`, `mod`, `dep`, `=>` and `build` lines between
//! 16-byte sentinels). Older binaries point at those strings instead, which
//! needs the executable's address map; they are reported as unreadable.
//!
//! Written here: the format is a few dozen lines of Go's own
//! `debug/buildinfo`, and the Rust crates that read it also parse ELF,
//! Mach-O and PE, which a 16-byte-aligned search does not need.

use crate::Package;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Flag bit: version and module info are inline (Go 1.18+).
const FLAG_INLINE: u8 = 0x2;

/// What a Go binary says about its build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// `go1.21.5`.
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: String,
    /// The main module and its version (`(devel)` for local builds).
    pub main: Option<(String, String)>,
    /// Dependencies, replacements applied: (path, version).
    pub deps: Vec<(String, String)>,
}

/// Why a binary's build information could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoError {
    /// Not a Go binary (no build information header).
    NotGo,
    /// A Go binary from before Go 1.18 (pointer-format header).
    TooOld,
    /// The header is there but its strings are cut or malformed.
    Malformed,
}

fn uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut x: u64 = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        x |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((x, i + 1));
        }
    }
    None
}

fn string_at(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let (len, n) = uvarint(data.get(at..)?)?;
    let start = at + n;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    Some((data.get(start..end)?, end))
}

/// Reads the build information of a Go executable's bytes.
pub fn build_info(data: &[u8]) -> Result<BuildInfo, GoError> {
    let at = memchr::memmem::find_iter(data, MAGIC)
        .find(|o| o % 16 == 0)
        .ok_or(GoError::NotGo)?;
    let header = data.get(at..at + 32).ok_or(GoError::Malformed)?;
    if header[15] & FLAG_INLINE == 0 {
        return Err(GoError::TooOld);
    }
    let (version, next) = string_at(data, at + 32).ok_or(GoError::Malformed)?;
    let (mut modinfo, _) = string_at(data, next).ok_or(GoError::Malformed)?;
    // Between 16-byte sentinels, the last line ending just before the second.
    if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        modinfo = &modinfo[16..modinfo.len() - 16];
    }
    let go_version = String::from_utf8(version.to_vec()).map_err(|_| GoError::Malformed)?;
    if !go_version.starts_with("go") && !go_version.starts_with("devel") {
        return Err(GoError::Malformed);
    }
    let mut info = BuildInfo {
        go_version,
        path: String::new(),
        main: None,
        deps: Vec::new(),
    };
    for line in String::from_utf8_lossy(modinfo).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["path", p, ..] => info.path = p.to_string(),
            ["mod", p, v, ..] => info.main = Some((p.to_string(), v.to_string())),
            ["dep", p, v, ..] => info.deps.push((p.to_string(), v.to_string())),
            // A replacement of the dependency on the line before.
            ["=>", p, v, ..] => {
                if let Some(last) = info.deps.last_mut() {
                    *last = (p.to_string(), v.to_string());
                } else if let Some(m) = info.main.as_mut() {
                    *m = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// `go1.21.5` -> `v1.21.5`, `go1.22` -> `v1.22.0` (module-style, as OSV's
/// Go `stdlib` records are compared).
pub fn stdlib_version(go_version: &str) -> Option<String> {
    let v = go_version.strip_prefix("go")?;
    let v = v.split([' ', '+']).next()?;
    let (core, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    Some(match pre {
        Some(p) => format!("v{}-{p}", parts.join(".")),
        None => format!("v{}", parts.join(".")),
    })
}

/// The packages of a Go binary at `location`: the standard library (as
/// `stdlib`, OSV's name for it), the main module when it has a version,
/// and every dependency that came from a module (not a local directory).
pub fn packages(info: &BuildInfo, location: &str) -> Vec<Package> {
    let pkg = |name: &str, version: &str| Package {
        kind: "go",
        name: name.to_string(),
        version: version.to_string(),
        source: None,
        source_version: None,
        arch: None,
        license: None,
        location: location.to_string(),
    };
    let mut out = Vec::new();
    if let Some(v) = stdlib_version(&info.go_version) {
        out.push(pkg("stdlib", &v));
    }
    if let Some((path, version)) = &info.main
        && version != "(devel)"
        && !version.is_empty()
    {
        out.push(pkg(path, version));
    }
    // A dependency replaced by a local directory (`=> ../lib (devel)`) has
    // no version to match.
    for (path, version) in &info.deps {
        if version != "(devel)" && !path.starts_with(['.', '/']) {
            out.push(pkg(path, version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A data section laid out as the Go 1.18+ linker writes it.
    fn binary(version: &str, modinfo: &str) -> Vec<u8> {
        let mut data = vec![0u8; 48]; // some bytes before, 16-aligned
        data.extend_from_slice(MAGIC);
        data.push(8); // pointer size
        data.push(FLAG_INLINE);
        data.extend_from_slice(&[0u8; 16]);
        varint(version.len(), &mut data);
        data.extend_from_slice(version.as_bytes());
        let mut m = vec![0x30u8; 16];
        m.extend_from_slice(modinfo.as_bytes());
        m.extend_from_slice(&[0xf9u8; 16]);
        varint(m.len(), &mut data);
        data.extend_from_slice(&m);
        data
    }

    #[test]
    fn modules_and_replacements() {
        let b = binary(
            "go1.21.5",
            "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.14.0\th1:abc=\ndep\texample.com/lib\tv1.0.0\n=>\texample.com/fork\tv1.0.1\th1:def=\nbuild\tGOOS=linux\n",
        );
        let info = build_info(&b).unwrap();
        assert_eq!(info.go_version, "go1.21.5");
        assert_eq!(info.path, "example.com/app");
        assert_eq!(
            info.deps,
            vec![
                ("golang.org/x/text".to_string(), "v0.14.0".to_string()),
                ("example.com/fork".to_string(), "v1.0.1".to_string())
            ]
        );
        let names: Vec<(String, String)> = packages(&info, "usr/bin/app")
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        assert_eq!(names[0], ("stdlib".to_string(), "v1.21.5".to_string()));
        assert_eq!(names.len(), 3, "(devel) main module left out: {names:?}");
    }

    #[test]
    fn versions_and_refusals() {
        assert_eq!(stdlib_version("go1.22").as_deref(), Some("v1.22.0"));
        assert_eq!(stdlib_version("go1.21rc2").as_deref(), Some("v1.21.0-rc2"));
        assert_eq!(
            stdlib_version("go1.23.1 X:nocoverageredesign").as_deref(),
            Some("v1.23.1")
        );
        assert_eq!(stdlib_version("devel +abc"), None);
        assert_eq!(build_info(b"\x7fELF not go"), Err(GoError::NotGo));
        let mut old = binary("go1.16", "");
        old[48 + 15] = 0;
        assert_eq!(build_info(&old), Err(GoError::TooOld));
        let mut cut = binary("go1.21.5", "path\tx\n");
        cut.truncate(48 + 36);
        assert_eq!(build_info(&cut), Err(GoError::Malformed));
    }
}

//! Version ordering as each package ecosystem defines it, for matching
//! installed packages against vulnerability ranges: Debian (dpkg), Alpine
//! (apk-tools), RPM (rpmvercmp with epoch and release), PEP 440 (Python,
//! the `pep440_rs` crate) and SemVer (npm, Go modules, Cargo; the `semver`
//! crate).
//!
//! dpkg, apk and rpm are written here, each following its reference C code
//! step by step (lib/dpkg/version.c `verrevcmp`, apk-tools src/version.c,
//! rpmio/rpmvercmp.c): no crate implements them without pulling regex,
//! chrono and bignum code into a wasm plugin (`debversion`) or without a
//! GPL licence (`deb-version7`). They are checked against the published
//! vectors in ../shared/testdata/version-vectors.tsv and, for dpkg, against
//! `dpkg --compare-versions` itself on generated pairs.

use std::cmp::Ordering;

/// A versioning scheme, named as OSV names ecosystems' version types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Deb,
    /// Alpine packages (`apk version -t`).
    Apk,
    /// RPM packages: `[epoch:]version[-release]` (`rpmdev-vercmp`).
    Rpm,
    /// Python packages (PEP 440).
    Pep440,
    /// npm, Cargo and Go modules (SemVer 2.0; a leading `v` is allowed).
    Semver,
}

impl Scheme {
    /// The scheme of an OSV ecosystem name (`Debian:12`, `Alpine:v3.19`,
    /// `PyPI`, `npm`, `Go`, `crates.io`, `Red Hat`, `Rocky Linux`...).
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Deb,
            "Alpine" | "Wolfi" | "Chainguard" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "openSUSE" | "SUSE" | "Mageia"
            | "Photon OS" | "Azure Linux" | "openEuler" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" | "Go" | "crates.io" | "Packagist" | "NuGet" | "RubyGems" | "Hex" | "Pub" => {
                Scheme::Semver
            }
            _ => return None,
        })
    }

    /// Compares `a` and `b`; `None` when either is not a version of this
    /// scheme (PEP 440 and SemVer reject malformed versions; dpkg, apk and
    /// rpm order any string, as their tools do).
    pub fn compare(self, a: &str, b: &str) -> Option<Ordering> {
        match self {
            Scheme::Deb => Some(deb::compare(a, b)),
            Scheme::Apk => Some(apk::compare(a, b)),
            Scheme::Rpm => Some(rpm::compare(a, b)),
            Scheme::Pep440 => {
                use std::str::FromStr;
                let a = pep440_rs::Version::from_str(a.trim()).ok()?;
                let b = pep440_rs::Version::from_str(b.trim()).ok()?;
                Some(a.cmp(&b))
            }
            Scheme::Semver => {
                let parse = |s: &str| semver::Version::parse(s.trim().trim_start_matches('v')).ok();
                Some(parse(a)?.cmp_precedence(&parse(b)?))
            }
        }
    }
}

/// Debian: `[epoch:]upstream[-revision]`, compared as dpkg does.
pub mod deb {
    use std::cmp::Ordering;

    /// (epoch, upstream, revision) as dpkg splits them: the epoch before
    /// the first `:`, the revision after the last `-`.
    pub fn split(v: &str) -> (u64, &str, &str) {
        let v = v.trim();
        let (epoch, rest) = match v.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (e.parse().unwrap_or(u64::MAX), rest)
            }
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((upstream, revision)) => (epoch, upstream, revision),
            None => (epoch, rest, ""),
        }
    }

    pub fn compare(a: &str, b: &str) -> Ordering {
        let (ea, ua, ra) = split(a);
        let (eb, ub, rb) = split(b);
        ea.cmp(&eb)
            .then_with(|| verrevcmp(ua, ub))
            .then_with(|| verrevcmp(ra, rb))
    }

    /// The weight of a non-digit character: `~` sorts before everything,
    /// even the end of the string; letters before other characters.
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(c),
            Some(b'~') => -1,
            Some(c) => i32::from(c) + 256,
        }
    }

    /// lib/dpkg/version.c `verrevcmp`.
    fn verrevcmp(a: &str, b: &str) -> Ordering {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            let mut first_diff = Ordering::Equal;
            while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit())
            {
                let ac = order(a.get(i).copied());
                let bc = order(b.get(j).copied());
                if ac != bc {
                    return ac.cmp(&bc);
                }
                i += 1;
                j += 1;
            }
            while i < a.len() && a[i] == b'0' {
                i += 1;
            }
            while j < b.len() && b[j] == b'0' {
                j += 1;
            }
            while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
                if first_diff == Ordering::Equal {
                    first_diff = a[i].cmp(&b[j]);
                }
                i += 1;
                j += 1;
            }
            if i < a.len() && a[i].is_ascii_digit() {
                return Ordering::Greater;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                return Ordering::Less;
            }
            if first_diff != Ordering::Equal {
                return first_diff;
            }
        }
        Ordering::Equal
    }
}

/// Alpine: apk-tools' token-wise comparison (digits, letters, `_alpha`..
/// `_p` suffixes, `-rN` revisions).
pub mod apk {
    use std::cmp::Ordering;

    // Token kinds, in apk-tools' order (the order matters: see `compare`).
    const INVALID: i32 = -1;
    const DIGIT_OR_ZERO: i32 = 0;
    const DIGIT: i32 = 1;
    const LETTER: i32 = 2;
    const SUFFIX: i32 = 3;
    const SUFFIX_NO: i32 = 4;
    const REVISION_NO: i32 = 5;
    const END: i32 = 6;

    const PRE: &[&str] = &["alpha", "beta", "pre", "rc"];
    const POST: &[&str] = &["cvs", "svn", "git", "hg", "p"];

    struct Blob<'a> {
        s: &'a [u8],
    }

    fn next_token(t: &mut i32, b: &mut Blob) {
        let mut n = INVALID;
        match b.s.first() {
            None | Some(0) => n = END,
            Some(&c) => {
                if (*t == DIGIT || *t == DIGIT_OR_ZERO) && c.is_ascii_lowercase() {
                    n = LETTER;
                } else if *t == LETTER && c.is_ascii_digit() {
                    n = DIGIT;
                } else if *t == SUFFIX && c.is_ascii_digit() {
                    n = SUFFIX_NO;
                } else {
                    match c {
                        b'.' => n = DIGIT_OR_ZERO,
                        b'_' => n = SUFFIX,
                        b'-' if b.s.get(1) == Some(&b'r') => {
                            n = REVISION_NO;
                            b.s = &b.s[1..];
                        }
                        _ => {}
                    }
                    b.s = &b.s[1..];
                }
            }
        }
        if n < *t
            && !((n == DIGIT_OR_ZERO && *t == DIGIT)
                || (n == SUFFIX && *t == SUFFIX_NO)
                || (n == DIGIT && *t == LETTER))
        {
            n = INVALID;
        }
        *t = n;
    }

    fn get_token(t: &mut i32, b: &mut Blob) -> i64 {
        let mut v: i64 = 0;
        let mut i = 0;
        let mut nt = INVALID;
        let s = b.s;
        if s.is_empty() {
            *t = END;
            return 0;
        }
        let mut kind = *t;
        if kind == DIGIT_OR_ZERO {
            if s[0] == b'0' {
                while i < s.len() && s[i] == b'0' {
                    i += 1;
                }
                nt = DIGIT;
                v = -(i as i64);
                kind = -2; // handled
            } else {
                kind = DIGIT;
            }
        }
        match kind {
            -2 => {}
            DIGIT | SUFFIX_NO | REVISION_NO => {
                while i < s.len() && s[i].is_ascii_digit() {
                    v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
                    i += 1;
                }
            }
            LETTER => {
                v = i64::from(s[0]);
                i = 1;
            }
            SUFFIX => {
                // The number after a suffix (`_rc2`) is found by next_token.
                if let Some(k) = PRE.iter().position(|p| s.starts_with(p.as_bytes())) {
                    i = PRE[k].len();
                    v = k as i64 - PRE.len() as i64;
                } else if let Some(k) = POST.iter().position(|p| s.starts_with(p.as_bytes())) {
                    i = POST[k].len();
                    v = k as i64;
                } else {
                    *t = INVALID;
                    return -1;
                }
            }
            _ => {
                *t = INVALID;
                return -1;
            }
        }
        b.s = &s[i..];
        if b.s.is_empty() {
            *t = END;
        } else if nt != INVALID {
            *t = nt;
        } else {
            next_token(t, b);
        }
        v
    }

    /// apk-tools `apk_version_compare_blob`.
    pub fn compare(a: &str, b: &str) -> Ordering {
        let mut ab = Blob {
            s: a.trim().as_bytes(),
        };
        let mut bb = Blob {
            s: b.trim().as_bytes(),
        };
        let (mut at, mut bt) = (DIGIT, DIGIT);
        let (mut av, mut bv) = (0i64, 0i64);
        while at == bt && at != END && at != INVALID && av == bv {
            av = get_token(&mut at, &mut ab);
            bv = get_token(&mut bt, &mut bb);
        }
        if av != bv {
            return av.cmp(&bv);
        }
        if at == bt {
            return Ordering::Equal;
        }
        // Equal so far: the longer one is greater, unless what it has next
        // is a pre-release suffix.
        let mut tt = at;
        if at == SUFFIX && get_token(&mut tt, &mut ab) < 0 {
            return Ordering::Less;
        }
        let mut tt = bt;
        if bt == SUFFIX && get_token(&mut tt, &mut bb) < 0 {
            return Ordering::Greater;
        }
        bt.cmp(&at)
    }
}

/// RPM: `[epoch:]version[-release]`, each part compared by `rpmvercmp`.
pub mod rpm {
    use std::cmp::Ordering;

    pub fn compare(a: &str, b: &str) -> Ordering {
        let split = |v: &str| -> (u64, String, String) {
            let v = v.trim();
            let (epoch, rest) = match v.split_once(':') {
                Some((e, rest)) if e.bytes().all(|c| c.is_ascii_digit()) && !e.is_empty() => {
                    (e.parse().unwrap_or(u64::MAX), rest)
                }
                _ => (0, v),
            };
            match rest.rsplit_once('-') {
                Some((ver, rel)) => (epoch, ver.to_string(), rel.to_string()),
                None => (epoch, rest.to_string(), String::new()),
            }
        };
        let (ea, va, ra) = split(a);
        let (eb, vb, rb) = split(b);
        ea.cmp(&eb).then_with(|| vercmp(&va, &vb)).then_with(|| {
            // A missing release matches any release, as rpm's EVR matching does.
            if ra.is_empty() || rb.is_empty() {
                Ordering::Equal
            } else {
                vercmp(&ra, &rb)
            }
        })
    }

    /// rpmio/rpmvercmp.c `rpmvercmp` on one field.
    pub fn vercmp(a: &str, b: &str) -> Ordering {
        if a == b {
            return Ordering::Equal;
        }
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let (mut i, mut j) = (0, 0);
        let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
        while i < a.len() || j < b.len() {
            while i < a.len() && sep(a[i]) {
                i += 1;
            }
            while j < b.len() && sep(b[j]) {
                j += 1;
            }
            let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
            if ca == Some(b'~') || cb == Some(b'~') {
                if ca != Some(b'~') {
                    return Ordering::Greater;
                }
                if cb != Some(b'~') {
                    return Ordering::Less;
                }
                i += 1;
                j += 1;
                continue;
            }
            if ca == Some(b'^') || cb == Some(b'^') {
                if ca.is_none() {
                    return Ordering::Less;
                }
                if cb.is_none() {
                    return Ordering::Greater;
                }
                if ca != Some(b'^') {
                    return Ordering::Greater;
                }
                if cb != Some(b'^') {
                    return Ordering::Less;
                }
                i += 1;
                j += 1;
                continue;
            }
            if i >= a.len() || j >= b.len() {
                break;
            }
            let numeric = a[i].is_ascii_digit();
            let class = |c: u8| {
                if numeric {
                    c.is_ascii_digit()
                } else {
                    c.is_ascii_alphabetic()
                }
            };
            let (si, sj) = (i, j);
            while i < a.len() && class(a[i]) {
                i += 1;
            }
            while j < b.len() && class(b[j]) {
                j += 1;
            }
            if sj == j {
                // Different kinds of segment: a number is newer than letters.
                return if numeric {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            let (mut sa, mut sb) = (&a[si..i], &b[sj..j]);
            if numeric {
                while sa.first() == Some(&b'0') {
                    sa = &sa[1..];
                }
                while sb.first() == Some(&b'0') {
                    sb = &sb[1..];
                }
                match sa.len().cmp(&sb.len()) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            match sa.cmp(sb) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (i >= a.len(), j >= b.len()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        }
    }
}

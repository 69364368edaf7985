//! Version ordering checked against what the ecosystems' own tools say: the
//! 80 published vectors in ../shared/testdata/version-vectors.tsv (dpkg's,
//! apk-tools' and rpm's own test suites, each line naming its source) and,
//! for Debian, `dpkg --compare-versions` itself on generated pairs.

use std::cmp::Ordering;
use std::path::PathBuf;

use plimsoll_analysis::versions::Scheme;

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn required() -> bool {
    std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1")
}

#[test]
fn published_vectors() {
    let path = shared().join("testdata/version-vectors.tsv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(!required(), "{} is absent", path.display());
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let (scheme, a, b, want, source) = (f[0], f[1], f[2], f[3], f[4]);
        let scheme = match scheme {
            "deb" => Scheme::Deb,
            "apk" => Scheme::Apk,
            "rpm" => Scheme::Rpm,
            other => panic!("unknown scheme {other} in {}", path.display()),
        };
        let want = match want {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("bad expectation {other}"),
        };
        let got = scheme.compare(a, b).unwrap();
        // Antisymmetry: b vs a must be the reverse.
        let back = scheme.compare(b, a).unwrap();
        if got != want || back != want.reverse() {
            wrong.push(format!(
                "{scheme:?} {a} vs {b}: want {want:?}, got {got:?} (reverse {back:?}) [{source}]"
            ));
        }
        checked += 1;
    }
    assert_eq!(checked, 80, "the vector file changed size");
    assert!(
        wrong.is_empty(),
        "{} of {checked} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Small deterministic generator (no dependency for a test).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// A valid Debian version made of the pieces that matter to the ordering:
/// epochs, leading zeros, `~` and `+` suffixes, letters, revisions.
fn deb_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.next().is_multiple_of(4) {
        v.push_str(r.pick(&["0:", "1:", "2:", "10:"]));
    }
    v.push_str(r.pick(&["0", "1", "2", "01", "10", "9"]));
    for _ in 0..(r.next() % 4) {
        v.push_str(r.pick(&[
            ".", ".0", ".1", ".10", "~", "~rc", "~~", "+", "+dfsg", "a", "b", "z", "+b1", ".01",
        ]));
        if r.next().is_multiple_of(2) {
            v.push_str(r.pick(&["0", "1", "2", "10", "00"]));
        }
    }
    if r.next().is_multiple_of(2) {
        v.push('-');
        v.push_str(r.pick(&["0", "1", "2", "1ubuntu1", "1~deb12u1", "1+b2", "10", "1.1"]));
    }
    v
}

#[test]
fn dpkg_agrees_on_generated_pairs() {
    let ok = std::process::Command::new("dpkg").arg("--version").output();
    if ok.map(|o| !o.status.success()).unwrap_or(true) {
        assert!(!required(), "dpkg is not installed");
        eprintln!("skipped: dpkg is not installed");
        return;
    }
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut wrong = Vec::new();
    let pairs = 600;
    for _ in 0..pairs {
        let (a, b) = (deb_version(&mut r), deb_version(&mut r));
        let ours = Scheme::Deb.compare(&a, &b).unwrap();
        let dpkg = |op: &str| {
            std::process::Command::new("dpkg")
                .args(["--compare-versions", &a, op, &b])
                .status()
                .unwrap()
                .success()
        };
        let theirs = if dpkg("lt") {
            Ordering::Less
        } else if dpkg("eq") {
            Ordering::Equal
        } else {
            Ordering::Greater
        };
        if ours != theirs {
            wrong.push(format!("{a} vs {b}: dpkg {theirs:?}, ours {ours:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {pairs} disagree with dpkg:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn pep440_and_semver() {
    let c = |s: Scheme, a: &str, b: &str| s.compare(a, b);
    // PEP 440: pre-releases, post-releases, dev releases, local versions, epochs.
    assert_eq!(c(Scheme::Pep440, "1.0rc1", "1.0"), Some(Ordering::Less));
    assert_eq!(
        c(Scheme::Pep440, "1.0.post1", "1.0"),
        Some(Ordering::Greater)
    );
    assert_eq!(c(Scheme::Pep440, "1.0.dev1", "1.0a1"), Some(Ordering::Less));
    assert_eq!(c(Scheme::Pep440, "1!0.1", "2.0"), Some(Ordering::Greater));
    assert_eq!(c(Scheme::Pep440, "1.0", "1.0.0"), Some(Ordering::Equal));
    assert_eq!(
        c(Scheme::Pep440, "1.0+local.1", "1.0"),
        Some(Ordering::Greater)
    );
    assert_eq!(c(Scheme::Pep440, "not a version", "1.0"), None);
    // SemVer: pre-release precedence; build metadata ignored; Go's `v`.
    assert_eq!(
        c(Scheme::Semver, "1.0.0-alpha", "1.0.0-alpha.1"),
        Some(Ordering::Less)
    );
    assert_eq!(
        c(Scheme::Semver, "1.0.0-beta.11", "1.0.0-rc.1"),
        Some(Ordering::Less)
    );
    assert_eq!(
        c(Scheme::Semver, "1.0.0+build.1", "1.0.0"),
        Some(Ordering::Equal)
    );
    assert_eq!(c(Scheme::Semver, "v1.2.3", "1.10.0"), Some(Ordering::Less));
    assert_eq!(c(Scheme::Semver, "1.2", "1.2.0"), None);
    // Ecosystem names as OSV writes them.
    assert_eq!(Scheme::for_ecosystem("Debian:12"), Some(Scheme::Deb));
    assert_eq!(Scheme::for_ecosystem("Alpine:v3.19"), Some(Scheme::Apk));
    assert_eq!(Scheme::for_ecosystem("PyPI"), Some(Scheme::Pep440));
    assert_eq!(Scheme::for_ecosystem("Go"), Some(Scheme::Semver));
    assert_eq!(Scheme::for_ecosystem("Unknown"), None);
}

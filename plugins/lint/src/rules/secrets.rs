//! Recognising secrets: names that say "secret", and values shaped like
//! credentials. Shared by the secret rules (and kept free of regexes so the
//! component stays small).

/// Whether an ENV/ARG name says it holds a secret. Tokens are split on `_`, `-`
/// and `.`; `*_FILE`, `*_PATH`, `*_DIR`, `*_URL` (pointers to a secret, the good
/// practice) and public material (`GPG_KEY`, `PUBLIC_KEY`) are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let tokens: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.is_empty() || is_credential_file_variable(&upper) {
        return false;
    }
    // Well-known credentials whose last word alone says nothing (an AWS key id
    // is half of a key pair; Jenkins binds `X_USR`/`X_PSW`), also with a
    // prefix (`VITE_AWS_ACCESS_KEY_ID`).
    const KNOWN: &[&str] = &[
        "AWS_ACCESS_KEY_ID",
        "ARTIFACTORY_USR",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
    ];
    let known = |k: &str| {
        upper
            .strip_suffix(k)
            .is_some_and(|before| before.is_empty() || before.ends_with('_'))
    };
    if KNOWN.iter().any(|k| known(k)) {
        return true;
    }
    let last = *tokens.last().unwrap_or(&"");
    if matches!(
        last,
        "FILE"
            | "PATH"
            | "DIR"
            | "URL"
            | "URI"
            | "HOST"
            | "PORT"
            | "NAME"
            | "USER"
            | "USERNAME"
            | "ID"
            | "TYPE"
            | "LENGTH"
            | "EXPIRY"
            | "TTL"
            | "HEADER"
            | "ENDPOINT"
            | "SERVER"
            | "ALGORITHM"
            | "VERSION"
            | "SIZE"
            | "ENABLED"
            | "REQUIRED"
    ) {
        return false;
    }
    if tokens.iter().any(|t| {
        matches!(
            *t,
            "PUBLIC"
                | "PUB"
                | "GPG"
                | "PGP"
                | "FINGERPRINT"
                | "SHA256"
                | "SHA512"
                | "CHECKSUM"
                | "KEYRING"
                | "KEYSERVER"
                | "KEYID"
                | "KEYS"
        )
    }) {
        return false;
    }
    let secretish = |t: &str| {
        matches!(
            t,
            "PASSWORD"
                | "PASSWD"
                | "PWD"
                | "PSW"
                | "PASS"
                | "PASSPHRASE"
                | "SECRET"
                | "SECRETS"
                | "TOKEN"
                | "APIKEY"
                | "CREDENTIAL"
                | "CREDENTIALS"
                | "PRIVATE"
        )
    };
    if tokens.iter().any(|t| secretish(t)) {
        return true;
    }
    // KEY only together with an access word: API_KEY, ACCESS_KEY, SECRET_KEY, PRIVATE_KEY, AUTH_KEY, CLIENT_KEY.
    tokens.windows(2).any(|w| {
        w[1] == "KEY"
            && matches!(
                w[0],
                "API"
                    | "ACCESS"
                    | "SECRET"
                    | "PRIVATE"
                    | "AUTH"
                    | "CLIENT"
                    | "MASTER"
                    | "ENCRYPTION"
                    | "SIGNING"
                    | "LICENSE"
                    | "APP"
                    | "APPLICATION"
            )
    }) || tokens
        .windows(2)
        .any(|w| w[0] == "AUTH" && matches!(w[1], "TOKEN" | "KEY"))
}

/// Variables that hold the *path* of a credentials file the tool reads
/// (`GOOGLE_APPLICATION_CREDENTIALS`, `AWS_SHARED_CREDENTIALS_FILE`): setting
/// them is good practice; copying a file to where they point is the leak.
pub fn is_credential_file_variable(name: &str) -> bool {
    CREDENTIAL_FILE_VARIABLES
        .iter()
        .any(|v| v.eq_ignore_ascii_case(name))
}

pub const CREDENTIAL_FILE_VARIABLES: &[&str] = &[
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AZURE_AUTH_LOCATION",
    "KUBECONFIG",
    "DOCKER_CONFIG",
    "NPM_CONFIG_USERCONFIG",
    "PIP_CONFIG_FILE",
];

/// What kind of credential a value looks like, if any.
pub fn credential_shape(v: &str) -> Option<&'static str> {
    // Every shape below is at least 12 characters long, and all but the URL one
    // contain one of these markers: most words are rejected here, cheaply.
    if v.len() < 12 {
        return None;
    }
    // Which two-byte markers the value holds, in one pass: a pattern is
    // searched for only when its first two bytes are there (a word of a RUN
    // line often holds `--`, `:/`, `py` or `np`, and each search costs a
    // searcher's set-up).
    const MARKERS: [&[u8; 2]; 14] = [
        b"AK", b"AS", b"gh", b"gi", b"gl", b"xo", b"sk", b"rk", b"AI", b"np", b"py", b"ey", b"--",
        b":/",
    ];
    /// By byte: the markers it is the first (`[0]`) or second (`[1]`)
    /// byte of, as bits; a pair of bytes is marker `i` when both say `i`
    /// (two lookups a byte, where comparing with each marker was fourteen).
    static BY_BYTE: [[u16; 256]; 2] = {
        let mut t = [[0u16; 256]; 2];
        let mut i = 0;
        while i < MARKERS.len() {
            t[0][MARKERS[i][0] as usize] |= 1 << i;
            t[1][MARKERS[i][1] as usize] |= 1 << i;
            i += 1;
        }
        t
    };
    let bit = |pair: &[u8]| BY_BYTE[0][pair[0] as usize] & BY_BYTE[1][pair[1] as usize];
    let seen = v.as_bytes().windows(2).fold(0u16, |seen, w| seen | bit(w));
    if seen == 0 {
        return None;
    }
    let has = |pattern: &str| seen & bit(&pattern.as_bytes()[..2]) != 0;
    let prefixed = |p: &str, min_len: usize, charset: fn(char) -> bool| {
        has(p)
            && v.match_indices(p).any(|(i, _)| {
                let rest = &v[i + p.len()..];
                rest.chars().take_while(|c| charset(*c)).count() >= min_len
            })
    };
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let b64 = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let upper_alnum = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit();
    if has("--") && v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    if prefixed("AKIA", 16, upper_alnum) || prefixed("ASIA", 16, upper_alnum) {
        return Some("an AWS access key id");
    }
    for p in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if prefixed(p, 36, alnum) {
            return Some("a GitHub token");
        }
    }
    if prefixed("github_pat_", 60, b64) {
        return Some("a GitHub fine-grained token");
    }
    if prefixed("glpat-", 20, b64) {
        return Some("a GitLab token");
    }
    for p in ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"] {
        if prefixed(p, 10, b64) {
            return Some("a Slack token");
        }
    }
    if prefixed("sk_live_", 16, alnum) || prefixed("rk_live_", 16, alnum) {
        return Some("a Stripe key");
    }
    if prefixed("AIza", 35, b64) {
        return Some("a Google API key");
    }
    if prefixed("npm_", 36, alnum) {
        return Some("an npm token");
    }
    if prefixed("pypi-AgEIcHlwaS5vcmc", 50, b64) {
        return Some("a PyPI token");
    }
    if has("ey")
        && let Some(rest) = v.strip_prefix("eyJ")
        && rest.matches('.').count() == 2
        && rest.split('.').all(|p| p.len() >= 8)
    {
        return Some("a JSON Web Token");
    }
    if has(":/")
        && let Some((scheme, rest)) = v.split_once("://")
        && scheme.chars().all(|c| c.is_ascii_alphabetic())
        && let Some((auth, _)) = rest.split_once('@')
        && let Some((_, pass)) = auth.split_once(':')
        && !pass.is_empty()
        && !pass.starts_with('$')
        && !auth.contains('/')
    {
        return Some("a URL with a password");
    }
    None
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let n = s.len() as f64;
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// A long random-looking token (mixed case, digits, high entropy), not a hex
/// checksum, path, URL or version.
pub fn looks_random(v: &str) -> bool {
    v.len() >= 24
        && !v.contains(['/', ' ', '$', '{', '.', ':'])
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_digit())
        && entropy(v) >= 4.2
}

/// First characters of a secret, the rest hidden.
pub fn mask(v: &str) -> String {
    let shown: String = v.chars().take(4).collect();
    format!("{shown}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "api_key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "PRIVATE_KEY",
            "auth-token",
            "NPM_AUTH_TOKEN",
            "SECRET",
            "AWS_ACCESS_KEY_ID",
            "VITE_AWS_ACCESS_KEY_ID",
            "ARTIFACTORY_USR",
            "ARTIFACTORY_PSW",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "GPG_KEY",
            "PASSWORD_FILE",
            "POSTGRES_PASSWORD_FILE",
            "PUBLIC_KEY",
            "TOKEN_URL",
            "KEY",
            "MONKEY",
            "NODE_VERSION",
            "PASSPORT",
            "DB_USER",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CLIENT_ID",
            "XAWS_ACCESS_KEY_ID",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(
            credential_shape("AKIAIOSFODNN7EXAMPLE"),
            Some("an AWS access key id")
        );
        assert_eq!(
            credential_shape("token ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            Some("a GitHub token")
        );
        assert_eq!(
            credential_shape("https://user:hunter2@example.com/x"),
            Some("a URL with a password")
        );
        assert_eq!(credential_shape("https://user:$PASS@example.com"), None);
        assert_eq!(
            credential_shape("-----BEGIN OPENSSH PRIVATE KEY-----"),
            Some("a private key")
        );
        assert_eq!(credential_shape("https://example.com/a@b"), None);
        // Every shape, found wherever it is in the value (each marker's
        // pair of bytes is looked up in the table of first and second
        // bytes), and not when the prefix is cut or its case changed.
        let tail = "0123456789abcdefghijABCDEFGHIJ0123456789abcdefghijABCDEFGHIJ";
        for (prefix, what) in [
            ("ASIA", "an AWS access key id"),
            ("ghs_", "a GitHub token"),
            ("github_pat_", "a GitHub fine-grained token"),
            ("glpat-", "a GitLab token"),
            ("xoxb-", "a Slack token"),
            ("sk_live_", "a Stripe key"),
            ("rk_live_", "a Stripe key"),
            ("AIza", "a Google API key"),
            ("npm_", "an npm token"),
            ("pypi-AgEIcHlwaS5vcmc", "a PyPI token"),
        ] {
            let tail = if prefix.starts_with('A') && prefix != "AIza" {
                "0123456789ABCDEFGHIJ"
            } else {
                tail
            };
            assert_eq!(
                credential_shape(&format!("{prefix}{tail}")),
                Some(what),
                "{prefix}"
            );
            assert_eq!(
                credential_shape(&format!("x={prefix}{tail}")),
                Some(what),
                "{prefix}"
            );
            assert_eq!(
                credential_shape(&format!("{}{tail}", &prefix[1..])),
                None,
                "{prefix}"
            );
            let other_case = if prefix.bytes().any(|b| b.is_ascii_uppercase()) {
                prefix.to_ascii_lowercase()
            } else {
                prefix.to_ascii_uppercase()
            };
            assert_eq!(
                credential_shape(&format!("{other_case}{tail}")),
                None,
                "{prefix}"
            );
        }
        assert_eq!(
            credential_shape("eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4"),
            Some("a JSON Web Token")
        );
        assert!(looks_random("q8Zr2LmX9vTb4NwKc7HdYp3Fs6JgE1Ua"));
        assert!(!looks_random(
            "4b041a59f036045c020727f56156cae3ccc1e74b5629d76c60342eb97ec11"
        ));
        assert!(!looks_random("1.2.3"));
    }
}

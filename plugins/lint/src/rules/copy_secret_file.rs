use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY`/`ADD` of files that usually hold credentials: private keys
    /// (`id_rsa`, `*.pem`, `*.key`, `*.p12`), `.env`, `.npmrc`, `.pypirc`,
    /// `.netrc`, `.git-credentials`, `.docker/config.json`, cloud credential
    /// files (`.aws/credentials`, service-account JSON).
    ///
    /// ## Why is this bad?
    /// The file is in the layer for good, even if a later RUN deletes it.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY .npmrc /root/.npmrc
    /// RUN npm ci && rm /root/.npmrc
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    /// ```
    ///
    /// ## References
    /// - Trivy DS031 (copied secret files)
    pub static RULE = Rule {
        id: "PL4008",
        name: "copy-secret-file",
        summary: "A credentials file is copied into the image",
        level: Level::Error,
        aliases: &["DS031"],
        tags: &["security", "secrets"],
    };
}

fn secret_file(path: &str) -> bool {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "id_rsa"
            | "id_dsa"
            | "id_ecdsa"
            | "id_ed25519"
            | ".env"
            | ".npmrc"
            | ".pypirc"
            | ".netrc"
            | ".git-credentials"
            | "credentials"
            | "credentials.json"
            | ".htpasswd"
            | "secrets.yaml"
            | "secrets.yml"
            | "secrets.json"
            | "service-account.json"
            | ".dockercfg"
    ) || [
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".ppk",
        ".asc.key",
    ]
    .iter()
    .any(|e| name.ends_with(e))
        && !name.ends_with(".pub.pem")
        && !name.contains("public")
        && !name.contains("cert")
        && !name.contains("ca.")
        || path.contains(".aws/credentials")
        || path.contains(".docker/config.json")
        || name.starts_with(".env.")
            && !name.ends_with(".example")
            && !name.ends_with(".sample")
            && !name.ends_with(".template")
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "COPY" | "ADD"))
    {
        if ins.args.len() < 2 || ins.flag("from").is_some() {
            continue;
        }
        for src in &ins.args[..ins.args.len() - 1] {
            let s = plimsoll_plugin_sdk::dockerfile::unquote(src, df.escape);
            if secret_file(&s) {
                out.push(Finding::new(&RULE, format!("`{s}` looks like a credentials file; it stays in the layer. Use `RUN --mount=type=secret`")).at(ins.span).severity(8.0));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports TLS certificate verification turned off: `curl -k`/`--insecure`,
    /// `wget --no-check-certificate`, `pip --trusted-host`, `PIP_TRUSTED_HOST`,
    /// `PYTHONHTTPSVERIFY=0`, `NODE_TLS_REJECT_UNAUTHORIZED=0`,
    /// `npm config set strict-ssl false`, `NPM_CONFIG_STRICT_SSL=false`,
    /// `GIT_SSL_NO_VERIFY`, `git config http.sslVerify false`, and yum/dnf
    /// `sslverify=false` — in ENV, ARG, and RUN (as commands, assignments or
    /// `export`).
    ///
    /// ## Why is this bad?
    /// Anyone on the network path can then serve the build whatever they like:
    /// packages, scripts, binaries. It is how build-time supply-chain attacks
    /// work.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -k https://example.com/install.sh -o /tmp/install.sh
    /// ```
    ///
    /// ## Use instead
    /// Fix the trust store instead: `COPY corp-ca.crt /usr/local/share/ca-certificates/`
    /// then `RUN update-ca-certificates`.
    ///
    /// ## References
    /// - Checkov CKV2_DOCKER_2 (curl), _3 (wget), _4 (pip), _5 (PYTHONHTTPSVERIFY), _6 (NODE_TLS_REJECT_UNAUTHORIZED),
    ///   _12 (NPM_CONFIG_STRICT_SSL), _13 (npm strict-ssl), _14 (GIT_SSL_NO_VERIFY), _15 (yum sslverify), _16 (PIP_TRUSTED_HOST)
    pub static RULE = Rule {
        id: "PL4003",
        name: "tls-verification-disabled",
        summary: "TLS certificate verification turned off",
        level: Level::Error,
        aliases: &["CKV2_DOCKER_2", "CKV2_DOCKER_3", "CKV2_DOCKER_4", "CKV2_DOCKER_5", "CKV2_DOCKER_6", "CKV2_DOCKER_12", "CKV2_DOCKER_13", "CKV2_DOCKER_14", "CKV2_DOCKER_15", "CKV2_DOCKER_16"],
        tags: &["security", "supply-chain"],
    };
}

/// An environment assignment that turns verification off, with what it disables.
pub fn insecure_env(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    match name {
        "NODE_TLS_REJECT_UNAUTHORIZED" if v == "0" => Some("Node.js TLS verification"),
        "PYTHONHTTPSVERIFY" if v == "0" => Some("Python HTTPS verification"),
        "GIT_SSL_NO_VERIFY" if !matches!(v.as_str(), "" | "0" | "false" | "no") => {
            Some("git TLS verification")
        }
        "NPM_CONFIG_STRICT_SSL" | "npm_config_strict_ssl"
            if matches!(v.as_str(), "false" | "0" | "no") =>
        {
            Some("npm TLS verification")
        }
        "PIP_TRUSTED_HOST" if !v.is_empty() => Some("pip TLS verification for a host"),
        "CURL_INSECURE" | "PIP_CERT" if v == "0" || v == "false" => Some("TLS verification"),
        _ => None,
    }
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        match ins.keyword.as_str() {
            "ENV" => {
                for kv in ins.key_value_pairs() {
                    let v = plimsoll_plugin_sdk::dockerfile::unquote(kv.value, df.escape);
                    if let Some(what) = insecure_env(kv.key, &v) {
                        out.push(
                            Finding::new(&RULE, format!("`{}` turns off {what}", kv.key))
                                .at(kv.key_span.unwrap_or(ins.span))
                                .severity(7.4),
                        );
                    }
                }
            }
            "ARG" => {
                for (i, a) in ins.args.iter().enumerate() {
                    if let Some((k, v)) = a.split_once('=')
                        && let Some(what) = insecure_env(k, v)
                    {
                        out.push(
                            Finding::new(&RULE, format!("`{k}` turns off {what}"))
                                .at(ins.arg_spans.get(i).copied().unwrap_or(ins.span))
                                .severity(7.4),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            let span = script.command_span(run.ins, c);
            let mut hit = |what: &str| {
                out.push(
                    Finding::new(&RULE, format!("this turns off {what}"))
                        .at(span)
                        .severity(7.4),
                )
            };
            for a in &c.assignments {
                if let Some((k, v)) = a.value.split_once('=')
                    && let Some(what) = insecure_env(k, v)
                {
                    hit(what);
                }
            }
            match c.name() {
                Some("export") | Some("declare") | Some("typeset") => {
                    for a in c.args() {
                        if let Some((k, v)) = a.value.split_once('=')
                            && let Some(what) = insecure_env(k, v)
                        {
                            hit(what);
                        }
                    }
                }
                Some("curl") if c.has_flag(&['k'], &["insecure", "proxy-insecure"]) => {
                    hit("curl's certificate check (`-k`/`--insecure`)")
                }
                Some("wget") if c.has_flag(&[], &["no-check-certificate"]) => {
                    hit("wget's certificate check (`--no-check-certificate`)")
                }
                Some("git")
                    if c.args()
                        .iter()
                        .any(|a| a.value.to_ascii_lowercase().contains("sslverify"))
                        && c.args().iter().any(|a| {
                            matches!(a.value.to_ascii_lowercase().as_str(), "false" | "0")
                                || a.value.to_ascii_lowercase().ends_with("sslverify=false")
                        }) =>
                {
                    hit("git's certificate check (`http.sslVerify false`)")
                }
                _ => {}
            }
            if let Some(pc) = plimsoll_plugin_sdk::packages::PackageCommand::of(c) {
                match pc.manager {
                    Manager::Pip if c.has_flag(&[], &["trusted-host"]) => {
                        hit("pip's certificate check (`--trusted-host`)")
                    }
                    Manager::Npm | Manager::Pnpm | Manager::Yarn => {
                        let words: Vec<String> = c
                            .args()
                            .iter()
                            .map(|a| a.value.to_ascii_lowercase())
                            .collect();
                        let joined = words.join(" ");
                        if (joined.contains("strict-ssl false")
                            || joined.contains("strict-ssl=false")
                            || joined.contains("strict-ssl 0"))
                            && (pc.is(&["config", "set"]) || joined.contains("--strict-ssl"))
                            || words.iter().any(|w| w == "--strict-ssl=false")
                        {
                            hit("npm's certificate check (`strict-ssl false`)");
                        }
                    }
                    Manager::Yum | Manager::Dnf | Manager::Microdnf
                        if c.args().iter().any(|a| {
                            a.value.to_ascii_lowercase().contains("sslverify=false")
                                || a.value.to_ascii_lowercase().contains("sslverify=0")
                        }) =>
                    {
                        hit("yum/dnf certificate checks (`sslverify=false`)")
                    }
                    _ => {}
                }
            }
            // `echo sslverify=false >> /etc/yum.conf` and friends.
            if matches!(c.name(), Some("echo" | "printf" | "sed" | "tee"))
                && c.args().iter().any(|a| {
                    let l = a.value.to_ascii_lowercase().replace(' ', "");
                    l.contains("sslverify=false")
                        || l.contains("sslverify=0")
                        || l.contains("strict-ssl=false")
                })
            {
                hit("certificate checks in a package manager's configuration");
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_analysis::packages::Manager;
use plimsoll_analysis::shell::Sep;
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

/// An environment variable that turns verification off: what it disables and
/// the Checkov id. `value` (quotes already removed: `"0\""` is `0"`, not `0`) is
/// `None` for a declaration without a value (`ARG X`).
pub fn insecure_env(name: &str, value: Option<&str>) -> Option<(&'static str, &'static str)> {
    // Lowered only for a name below (most names are none of them): a guard
    // runs only when its name matches.
    let lower = || value.map(|v| v.trim().to_ascii_lowercase());
    match name {
        // git checks only that the variable exists: `GIT_SSL_NO_VERIFY=0` disables too.
        "GIT_SSL_NO_VERIFY" => Some(("git TLS verification", "CKV2_DOCKER_14")),
        "NODE_TLS_REJECT_UNAUTHORIZED" if lower().as_deref() == Some("0") => {
            Some(("Node.js TLS verification", "CKV2_DOCKER_6"))
        }
        "PYTHONHTTPSVERIFY" if lower().as_deref() == Some("0") => {
            Some(("Python HTTPS verification", "CKV2_DOCKER_5"))
        }
        "NPM_CONFIG_STRICT_SSL" | "npm_config_strict_ssl"
            if matches!(lower().as_deref(), Some("false" | "0" | "no")) =>
        {
            Some(("npm TLS verification", "CKV2_DOCKER_12"))
        }
        "PIP_TRUSTED_HOST" | "pip_trusted_host" if value.is_some_and(|v| !v.trim().is_empty()) => {
            Some(("pip TLS verification for a host", "CKV2_DOCKER_16"))
        }
        _ => None,
    }
}

/// Whether a word turns off `sslverify` in yum/dnf configuration
/// (`sslverify=0`, `--setopt=epel.sslverify=false`).
fn sslverify_off(word: &str) -> bool {
    // Every pattern holds `=`, which lowering and unquoting keep.
    if !word.contains('=') {
        return false;
    }
    let l = word.to_ascii_lowercase().replace([' ', '"', '\''], "");
    [
        "sslverify=0",
        "sslverify=false",
        "sslverify=no",
        "sslverify=off",
    ]
    .iter()
    .any(|p| l.contains(p))
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        for (name, value, span) in crate::util::declarations(df, ins) {
            if let Some((what, peer)) = insecure_env(name, value.as_deref()) {
                out.push(
                    Finding::new(&RULE, format!("`{name}` turns off {what}"))
                        .at(span)
                        .severity(7.4)
                        .covers(&[peer]),
                );
            }
        }
    }
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            let mut hit = |what: &str, peer: &[&str]| {
                out.push(
                    Finding::new(&RULE, format!("this turns off {what}"))
                        .at(script.command_span(run.ins, c))
                        .severity(7.4)
                        .covers(peer),
                )
            };
            for a in &c.assignments {
                if let Some((k, v)) = a.value.split_once('=')
                    && let Some((what, peer)) = insecure_env(k, Some(v))
                {
                    hit(what, &[peer]);
                }
            }
            match c.name() {
                Some("export") | Some("declare") | Some("typeset") => {
                    for a in c.args() {
                        if let Some((k, v)) = a.value.split_once('=')
                            && let Some((what, peer)) = insecure_env(k, Some(v))
                        {
                            hit(what, &[peer]);
                        }
                    }
                }
                Some("curl") if c.has_flag(&['k'], &["insecure", "proxy-insecure"]) => hit(
                    "curl's certificate check (`-k`/`--insecure`)",
                    &["CKV2_DOCKER_2"],
                ),
                Some("wget") if c.has_flag(&[], &["no-check-certificate"]) => hit(
                    "wget's certificate check (`--no-check-certificate`)",
                    &["CKV2_DOCKER_3"],
                ),
                Some("git")
                    if c.args()
                        .iter()
                        .any(|a| a.value.to_ascii_lowercase().contains("sslverify"))
                        && c.args().iter().any(|a| {
                            matches!(
                                a.value.to_ascii_lowercase().as_str(),
                                "false" | "0" | "no" | "off"
                            ) || a.value.to_ascii_lowercase().ends_with("sslverify=false")
                        }) =>
                {
                    hit("git's certificate check (`http.sslVerify false`)", &[])
                }
                _ => {}
            }
            match Manager::of(c) {
                Some(Manager::Pip) if c.has_flag(&[], &["trusted-host"]) => hit(
                    "pip's certificate check (`--trusted-host`)",
                    &["CKV2_DOCKER_4"],
                ),
                Some(Manager::Npm | Manager::Pnpm | Manager::Yarn) => {
                    if let Some(pc) = plimsoll_analysis::packages::PackageCommand::of(c) {
                        let words: Vec<String> = c
                            .args()
                            .iter()
                            .map(|a| a.value.to_ascii_lowercase())
                            .collect();
                        let joined = words.join(" ");
                        let set = (joined.contains("strict-ssl false")
                            || joined.contains("strict-ssl=false")
                            || joined.contains("strict-ssl 0"))
                            && (pc.is(&["config", "set"]) || joined.contains("--strict-ssl"));
                        if set || words.iter().any(|w| w == "--strict-ssl=false") {
                            hit(
                                "npm's certificate check (`strict-ssl false`)",
                                &["CKV2_DOCKER_13"],
                            );
                        }
                    }
                }
                _ => {}
            }
            // `yum --setopt=sslverify=0`, `yum-config-manager --setopt=epel.sslverify=0`,
            // `echo sslverify=false >> /etc/yum.conf`, `dnf config-manager --save ...`.
            // `echo`/`printf` only configure when their output goes to a file
            // (`>> /etc/yum.conf`, `| tee -a …`), not when they print.
            let prints = matches!(c.name(), Some("echo" | "printf"))
                && c.after != Sep::Pipe
                && !c.redirects.iter().any(|r| {
                    !r.value.starts_with("/dev/") && !r.value.bytes().all(|b| b.is_ascii_digit())
                });
            if !prints && c.args().iter().any(|a| sslverify_off(&a.value)) {
                hit(
                    "certificate checks of yum/dnf repositories (`sslverify=0`)",
                    &["CKV2_DOCKER_15"],
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

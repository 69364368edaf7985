use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `EXPOSE` ports outside 0-65535, malformed port specs, and
    /// protocols other than `tcp`, `udp` and `sctp` (lower case).
    ///
    /// ## Why is this bad?
    /// Such ports cannot exist; BuildKit rejects malformed ones and warns about
    /// protocol casing.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 80000 8080/TCP
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// EXPOSE 8000 8080/tcp
    /// ```
    ///
    /// ## Fix
    /// Safe for protocol casing (`/TCP` -> `/tcp`).
    ///
    /// ## References
    /// - hadolint DL3011, Trivy DS008, BuildKit checks ExposeProtoCasing and ExposeInvalidFormat
    pub static RULE = Rule {
        id: "PL3015",
        name: "invalid-expose",
        summary: "EXPOSE port out of range or malformed",
        level: Level::Error,
        aliases: &["DL3011", "DS008", "ExposeProtoCasing", "ExposeInvalidFormat"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "EXPOSE") {
        for (i, arg) in ins.args.iter().enumerate() {
            let span = ins.arg_spans.get(i).copied().unwrap_or(ins.span);
            if arg.contains('$') {
                continue;
            }
            let (ports, proto) = match arg.split_once('/') {
                Some((p, pr)) => (p, Some(pr)),
                None => (arg.as_str(), None),
            };
            // `80`, `8000-8010`, `127.0.0.1:80:80` is a `docker run -p` spec, not EXPOSE.
            if ports.contains(':') {
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "`{arg}` is a publish spec; EXPOSE takes a port (`{}`)",
                            ports.rsplit(':').next().unwrap_or(ports)
                        ),
                    )
                    .at(span)
                    .covers(&["ExposeInvalidFormat"]),
                );
                continue;
            }
            let bounds: Vec<&str> = ports.split('-').collect();
            let nums: Vec<Option<u64>> = bounds.iter().map(|b| b.parse::<u64>().ok()).collect();
            if bounds.len() > 2 || nums.iter().any(Option::is_none) {
                out.push(
                    Finding::new(&RULE, format!("`{arg}` is not a port or port range"))
                        .at(span)
                        .covers(&["ExposeInvalidFormat"]),
                );
                continue;
            }
            if let Some(n) = nums.iter().flatten().find(|n| **n > 65_535) {
                out.push(
                    Finding::new(&RULE, format!("port {n} is out of range (0-65535)"))
                        .at(span)
                        .covers(&["DL3011", "DS008"]),
                );
                continue;
            }
            if let Some(pr) = proto {
                let lower = pr.to_ascii_lowercase();
                if !matches!(lower.as_str(), "tcp" | "udp" | "sctp") {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!("`{pr}` is not a protocol (tcp, udp or sctp)"),
                        )
                        .at(span)
                        .covers(&["ExposeInvalidFormat"]),
                    );
                } else if lower != pr {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!("write the protocol in lower case: `{ports}/{lower}`"),
                        )
                        .at(span)
                        .level(Level::Note)
                        .covers(&["ExposeProtoCasing"])
                        .fix(Fix::safe(
                            "Lower-case the protocol",
                            vec![Edit::replace(span, format!("{ports}/{lower}"))],
                        )),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

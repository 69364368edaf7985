use plimsoll_analysis::shell::Sep;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a download piped straight into an interpreter: `curl ... | sh`,
    /// `wget -O- ... | bash`, `curl ... | python3`, and `sh -c "$(curl ...)"`.
    ///
    /// ## Why is this bad?
    /// Whatever the server returns today runs as root in your build, unreviewed
    /// and unverified; a compromised or hijacked URL owns the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://get.example.com | sh
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ADD --checksum=sha256:5c0b... https://get.example.com/install.sh /tmp/install.sh
    /// RUN sh /tmp/install.sh
    /// ```
    ///
    /// ## References
    /// - plimsoll's own (none of hadolint, Trivy or Checkov checks this)
    pub static RULE = Rule {
        id: "PL4006",
        name: "remote-script-to-shell",
        summary: "Downloaded script piped into a shell",
        level: Level::Warning,
        tags: &["security", "supply-chain"],
    };
}

const INTERPRETERS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "python", "python2", "python3", "perl", "ruby",
    "node", "php",
];

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for script in run.scripts {
            let cmds = &script.script.commands;
            for (i, c) in cmds.iter().enumerate() {
                if !(c.is("curl") || c.is("wget")) {
                    continue;
                }
                // Downloader piped (possibly through tee/cat) into an interpreter.
                let mut j = i;
                let mut piped_to = None;
                while cmds[j].after == Sep::Pipe && j + 1 < cmds.len() {
                    j += 1;
                    let name = cmds[j].name().unwrap_or("");
                    if INTERPRETERS.contains(&name)
                        && !cmds[j]
                            .args()
                            .iter()
                            .any(|a| a.value.ends_with(".sh") || a.value.ends_with(".py"))
                    {
                        piped_to = Some(name.to_string());
                        break;
                    }
                    if !matches!(name, "tee" | "cat" | "gunzip" | "zcat" | "sed") {
                        break;
                    }
                }
                // `sh -c "$(curl ...)"`: the download is nested in an interpreter's argument.
                let nested = c.depth > 0
                    && cmds.iter().any(|p| {
                        p.depth + 1 == c.depth
                            && p.start <= c.start
                            && c.end <= p.end.max(c.end)
                            && INTERPRETERS.contains(&p.name().unwrap_or(""))
                            && p.args().iter().any(|a| {
                                a.value.contains("$(curl")
                                    || a.value.contains("$(wget")
                                    || a.value.contains("`curl")
                                    || a.value.contains("`wget")
                            })
                    });
                let how = match (piped_to, nested) {
                    (Some(interp), _) => Some(format!("a download is piped into `{interp}`")),
                    (None, true) => Some(
                        "a downloaded script is run by a shell (`sh -c \"$(curl ...)\"`)"
                            .to_string(),
                    ),
                    _ => None,
                };
                if let Some(how) = how {
                    out.push(
                        Finding::new(&RULE, format!("{how}: unverified remote code runs in the build; download, verify a checksum, then run"))
                            .at(script.command_span(run.ins, c))
                            .severity(8.0),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

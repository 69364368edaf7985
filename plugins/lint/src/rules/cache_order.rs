use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY . .` (the whole build context) placed before the dependency
    /// install of the same stage (`npm ci`, `pip install -r`, `bundle install`,
    /// `go mod download`, `cargo fetch`, `composer install`, `mvn dependency:...`)
    /// when the dependency manifest was not copied on its own first.
    ///
    /// ## Why is this bad?
    /// Any source change invalidates the layer cache at the `COPY`, so every build
    /// reinstalls every dependency: minutes per build instead of seconds.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY . .
    /// RUN npm ci
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY package.json package-lock.json ./
    /// RUN npm ci
    /// COPY . .
    /// ```
    ///
    /// ## References
    /// - plimsoll's own
    pub static RULE = Rule {
        id: "PL5002",
        name: "cache-busting-copy",
        summary: "Whole context copied before installing dependencies",
        level: Level::Warning,
        tags: &["build-speed"],
    };
}

const MANIFESTS: &[&str] = &[
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "requirements",
    "pyproject.toml",
    "poetry.lock",
    "Pipfile",
    "Gemfile",
    "go.mod",
    "go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "composer.json",
    "composer.lock",
    "pom.xml",
    "build.gradle",
    "setup.py",
    "setup.cfg",
    "uv.lock",
    "mix.exs",
    "Package.swift",
    ".csproj",
    "packages.config",
];

fn installs_dependencies(c: &plimsoll_analysis::shell::Command) -> bool {
    if let Some(pc) = plimsoll_analysis::packages::PackageCommand::of(c) {
        return match pc.manager {
            Manager::Npm | Manager::Pnpm => {
                pc.is(&["ci", "install", "i"]) && pc.packages().is_empty()
            }
            Manager::Yarn => pc.subcommand.is_none() || pc.is(&["install"]),
            Manager::Pip => {
                pc.is_install() && c.has_flag(&['r'], &["requirement"])
                    || pc.operands.iter().any(|o| o.value == ".")
            }
            Manager::Bundle => pc.is(&["install"]),
            Manager::Go => {
                pc.is(&["mod"]) && pc.operands.first().is_some_and(|o| o.value == "download")
            }
            Manager::Cargo => pc.is(&["fetch", "build"]),
            _ => false,
        };
    }
    match c.name() {
        Some("composer") => c.args().first().is_some_and(|a| a.value == "install"),
        Some("mvn") | Some("./mvnw") => c.args().iter().any(|a| {
            a.value.starts_with("dependency:") || a.value == "package" || a.value == "install"
        }),
        Some("poetry") | Some("uv") | Some("pipenv") => c
            .args()
            .first()
            .is_some_and(|a| matches!(a.value.as_str(), "install" | "sync")),
        _ => false,
    }
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for stage in ctx.doc.stages() {
        let mut manifest_copied = false;
        let mut whole_copy: Option<&Instruction> = None;
        for (offset, ins) in df.stage_instructions(stage.index).iter().enumerate() {
            let idx = stage.from + offset;
            if ins.keyword == "COPY" && ins.flag("from").is_none() && ins.args.len() >= 2 {
                let srcs = &ins.args[..ins.args.len() - 1];
                if srcs.iter().any(|s| s == "." || s == "./") {
                    if whole_copy.is_none() && !manifest_copied {
                        whole_copy = Some(ins);
                    }
                } else if srcs.iter().any(|s| MANIFESTS.iter().any(|m| s.contains(m))) {
                    manifest_copied = true;
                }
            }
            if ins.keyword == "RUN"
                && let Some(copy) = whole_copy
                && let Some(run) = ctx.runs.iter().find(|r| r.index == idx)
                && run.commands().any(|(_, c)| installs_dependencies(c))
            {
                out.push(Finding::new(&RULE, "the whole context is copied before dependencies are installed, so any change reinstalls them; copy the dependency manifests first").at(copy.span));
                break;
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_analysis::packages::{Manager, PackageCommand};
use plimsoll_plugin_sdk::prelude::*;

use super::from_helpers::official_name;
use super::toolchains::is_build_tool;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a single-stage Dockerfile that builds software — it installs a
    /// compiler toolchain or starts from a toolchain image (`golang`, `maven`,
    /// `rust`, a JDK) — so compilers ship in the image that runs.
    ///
    /// ## Why is this bad?
    /// The runtime image carries hundreds of megabytes of compilers and headers,
    /// and every CVE in them. A multi-stage build compiles in one stage and copies
    /// only the result into a small runtime base.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23
    /// COPY . /src
    /// RUN cd /src && go build -o /app
    /// CMD ["/app"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// WORKDIR /src
    /// COPY . .
    /// RUN CGO_ENABLED=0 go build -o /app
    ///
    /// FROM gcr.io/distroless/static-debian12:nonroot
    /// COPY --from=build /app /app
    /// CMD ["/app"]
    /// ```
    ///
    /// ## References
    /// - our container-image guidance ("multi-stage builds")
    pub static RULE = Rule {
        id: "PL5003",
        name: "single-stage-toolchain",
        summary: "Single-stage build ships its compiler toolchain",
        level: Level::Warning,
        tags: &["size", "security"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    if df.stages.len() != 1 {
        return;
    }
    let stage = &df.stages[0];
    let base = official_name(&stage.base);
    let toolchain_base = matches!(
        base,
        "golang"
            | "maven"
            | "gradle"
            | "rust"
            | "eclipse-temurin"
            | "openjdk"
            | "gcc"
            | "buildpack-deps"
    ) && !stage.base.contains("-jre");
    let installs = ctx
        .runs
        .iter()
        .flat_map(|r| r.commands().filter_map(|(_, c)| PackageCommand::of(c)))
        .any(|pc| {
            matches!(
                pc.manager,
                Manager::AptGet
                    | Manager::Apt
                    | Manager::Apk
                    | Manager::Yum
                    | Manager::Dnf
                    | Manager::Microdnf
                    | Manager::Zypper
            ) && pc.is_install()
                && pc.packages().iter().any(|p| is_build_tool(&p.value))
        });
    let compiles = ctx.runs.iter().any(|r| {
        r.commands().any(|(_, c)| {
            matches!(c.name(), Some("go")) && c.args().first().is_some_and(|a| a.value == "build")
                || matches!(c.name(), Some("cargo"))
                    && c.args().first().is_some_and(|a| a.value == "build")
                || matches!(c.name(), Some("mvn" | "gradle" | "./gradlew" | "./mvnw"))
                    && c.args()
                        .iter()
                        .any(|a| matches!(a.value.as_str(), "package" | "build" | "install"))
        })
    });
    if (toolchain_base && compiles) || installs {
        let why = if installs {
            "installs a compiler toolchain"
        } else {
            "compiles on a toolchain image"
        };
        ctx.report(Finding::new(&RULE, format!("this single-stage build {why}, which then ships in the image; build in a separate stage and copy the result")).at(df.instructions[stage.from].span));
    }
}

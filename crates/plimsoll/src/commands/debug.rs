//! `plimsoll debug parse | packages`: the parser's view of Dockerfiles,
//! and the package inventory found in an image or SBOM.

use std::io::Write;
use std::path::PathBuf;

use crate::check::read_sbom_file;
use crate::cli::{GlobalArgs, ListFormat, ListFormat as Format};
use crate::registry::open_image_reporting;
use crate::{ExitCode, UsageError};

pub fn parse(files: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut out = crate::output::Guarded::stdout();
    for f in files {
        let shown = f.display().to_string();
        let bytes =
            std::fs::read(f).map_err(|e| UsageError(format!("cannot read {shown}: {e}")))?;
        let parsed = plimsoll_dockerfile::Dockerfile::parse_bytes(&bytes);
        failed |= parsed.is_err();
        match format {
            Format::Json => writeln!(
                out,
                "{}",
                plimsoll_dockerfile::to_buildkit_json(&shown, &parsed)
            )?,
            Format::Human => match &parsed {
                Err(e) => writeln!(out, "{shown}: error: {e}")?,
                Ok(df) => {
                    writeln!(
                        out,
                        "{shown}: {} instructions, {} stages, escape {:?}",
                        df.instructions.len(),
                        df.stages.len(),
                        df.escape
                    )?;
                    for d in &df.directives {
                        writeln!(out, "  directive {}={}", d.name, d.value)?;
                    }
                    for i in &df.instructions {
                        let flags: Vec<&str> = i.flags.iter().map(|f| f.raw.as_str()).collect();
                        writeln!(
                            out,
                            "  {:>4}-{:<4} {} {}{:?}{}{}",
                            i.start_line,
                            i.end_line,
                            i.keyword,
                            if flags.is_empty() {
                                String::new()
                            } else {
                                format!("{flags:?} ")
                            },
                            i.args,
                            if i.json { " (json)" } else { "" },
                            if i.heredocs.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    " heredocs={:?}",
                                    i.heredocs.iter().map(|h| &h.name).collect::<Vec<_>>()
                                )
                            }
                        )?;
                    }
                    for s in &df.stages {
                        writeln!(
                            out,
                            "  stage {} {:?} base={} (as written {})",
                            s.index, s.name, s.base, s.base_as_written
                        )?;
                    }
                }
            },
        }
    }
    Ok(if failed {
        ExitCode::Findings
    } else {
        ExitCode::Ok
    })
}

/// `plimsoll debug packages TARGET`: the inventory of an image or SBOM.
pub fn packages(
    global: &GlobalArgs,
    target: &str,
    format: ListFormat,
    platform: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let inv =
        if let plimsoll_oci::ImageSource::Sbom(file) = plimsoll_oci::ImageSource::parse(target) {
            let file = file.to_string_lossy();
            let bytes = read_sbom_file(&file).map_err(UsageError)?;
            match plimsoll_packages::sbom::read(&String::from_utf8_lossy(&bytes)) {
                Ok(s) => s.inventory,
                Err(e) => {
                    crate::diag!("error: invalid-sbom: {file}: {e}");
                    return Ok(ExitCode::CheckFailed);
                }
            }
        } else {
            match open_image_reporting(global, target, platform)? {
                Ok(i) => match plimsoll_services::inventory(&i) {
                    Ok(inv) => inv,
                    Err(e) => {
                        crate::diag!("error: unreadable-packages: {target}: {e}");
                        return Ok(ExitCode::CheckFailed);
                    }
                },
                Err(code) => return Ok(code),
            }
        };
    let mut out = std::io::stdout().lock();
    match format {
        ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&inv)?)?,
        ListFormat::Human => {
            if let Some(os) = &inv.os {
                writeln!(
                    out,
                    "{} {} (vulnerability data: {})",
                    os.id,
                    os.version_id,
                    os.ecosystem().unwrap_or_else(|| "none known".into())
                )?;
            }
            for p in &inv.packages {
                let source = match (&p.source, &p.source_version) {
                    (Some(s), Some(v)) => format!("  (source {s} {v})"),
                    (Some(s), None) => format!("  (source {s})"),
                    _ => String::new(),
                };
                writeln!(out, "{:<7} {} {}{source}", p.kind, p.name, p.version)?;
            }
            for db in &inv.unsupported {
                writeln!(out, "not read: /{db}")?;
            }
            writeln!(out, "{} packages", inv.packages.len())?;
        }
    }
    Ok(ExitCode::Ok)
}

//! The registry as the command line and `[registry]` configure it, and
//! opening an image for a command. The client itself, and every capability
//! behind it, is `plimsoll-services`.

use std::path::PathBuf;
use std::time::Duration;

use plimsoll_config::LoadedConfig;
use plimsoll_oci::RegistryOptions;
use plimsoll_services::RunServices;

use crate::cli::GlobalArgs;

/// Registry options from the command line and `[registry]`.
pub fn options(global: &GlobalArgs, cfg: &LoadedConfig) -> RegistryOptions {
    let base = cfg.base_dir();
    let mut ca_files: Vec<PathBuf> = cfg
        .config
        .registry
        .ca_files
        .iter()
        .map(|f| base.join(f))
        .collect();
    ca_files.extend(global.ca_file.iter().cloned());
    let r = &cfg.config.registry;
    let defaults = RegistryOptions::default();
    RegistryOptions {
        ca_files,
        insecure: r.insecure.clone(),
        offline: global.offline,
        cache_dir: global.cache_root().map(|d| d.join("registry")),
        tag_ttl: r
            .tag_ttl_seconds
            .map(Duration::from_secs)
            .unwrap_or(defaults.tag_ttl),
        timeout: r
            .timeout_seconds
            .map(|s| Duration::from_secs(s.max(1)))
            .unwrap_or(defaults.timeout),
        retries: r.retries.unwrap_or(defaults.retries),
        ..defaults
    }
}

/// Opens an image for a command (`sbom`, `debug packages`); an image that
/// cannot be read is reported on stderr and answers the exit code.
pub(crate) fn open_image_reporting(
    global: &GlobalArgs,
    reference: &str,
    platform: Option<&str>,
) -> anyhow::Result<Result<plimsoll_oci::Image, crate::ExitCode>> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| crate::UsageError(format!("invalid configuration: {e}")))?;
    let platform = parse_platform(platform)?;
    let services = RunServices::new(options(global, &cfg), true);
    Ok(
        match services.registry().open_image(reference, platform.as_ref()) {
            Ok(i) => Ok(i),
            Err(e) => {
                crate::diag!("error: {}: cannot read image {reference}: {e}", e.kind());
                Err(crate::ExitCode::CheckFailed)
            }
        },
    )
}

/// `--platform os/arch[/variant]`.
pub fn parse_platform(
    platform: Option<&str>,
) -> Result<Option<plimsoll_oci::Platform>, crate::UsageError> {
    platform
        .map(|p| {
            plimsoll_oci::Platform::parse(p).ok_or_else(|| {
                crate::UsageError(format!(
                    "--platform {p}: expected os/arch[/variant], e.g. linux/arm64"
                ))
            })
        })
        .transpose()
}

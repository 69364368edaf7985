//! `plimsoll config-schema` and `plimsoll migrate hadolint`: the config
//! file's JSON Schema, and a hadolint config turned into plimsoll.toml.

use crate::{ExitCode, UsageError};

pub fn migrate_hadolint(file: Option<&std::path::Path>, write: bool) -> anyhow::Result<ExitCode> {
    let path = match file {
        Some(p) => p.to_path_buf(),
        None => {
            let cwd = std::env::current_dir()?;
            cwd.ancestors()
                .flat_map(|d| {
                    plimsoll_config::hadolint::HADOLINT_FILE_NAMES
                        .iter()
                        .map(move |n| d.join(n))
                })
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    UsageError("no .hadolint.yaml found here or above; name the file".into())
                })?
        }
    };
    let yaml = std::fs::read_to_string(&path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let (toml_text, notes) = plimsoll_config::hadolint::translate(&yaml)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    for n in &notes {
        crate::diag!("note: {n}");
    }
    if write {
        let dest = path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("plimsoll.toml");
        if dest.exists() {
            return Err(UsageError(format!(
                "{} already exists; not overwriting it",
                dest.display()
            ))
            .into());
        }
        std::fs::write(&dest, &toml_text)?;
        crate::diag!("wrote {}", dest.display());
    } else {
        print!("{toml_text}");
    }
    Ok(ExitCode::Ok)
}

pub fn config_schema() -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&plimsoll_config::json_schema())?
    );
    Ok(ExitCode::Ok)
}

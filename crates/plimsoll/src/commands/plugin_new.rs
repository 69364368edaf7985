//! `plimsoll plugin new NAME [--lang rust|python|js]`: a plugin project that
//! builds with one command and whose tests pass as generated — one realistic
//! rule (base images from allowed registries), settings with a schema,
//! fixtures with `# expect:` comments for `plimsoll plugin test`, and a
//! plimsoll.toml that loads the built component.

use std::path::{Path, PathBuf};

use crate::cli::PluginLang;
use crate::{ExitCode, UsageError};

const WIT: &str = include_str!("../../../../wit/plimsoll.wit");
const FIXTURES: &[(&str, &str)] = &[
    (
        "fixtures/elsewhere.Dockerfile",
        include_str!("../../templates/fixtures/elsewhere.Dockerfile"),
    ),
    (
        "fixtures/allowed.Dockerfile",
        include_str!("../../templates/fixtures/allowed.Dockerfile"),
    ),
];

const RUST: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    (
        "rust-toolchain.toml",
        include_str!("../../templates/rust/rust-toolchain.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    ("README.md", include_str!("../../templates/rust/README.md")),
    (
        "plimsoll.toml",
        include_str!("../../templates/rust/plimsoll.toml"),
    ),
    (".gitignore", include_str!("../../templates/rust/gitignore")),
];

const PYTHON: &[(&str, &str)] = &[
    ("app.py", include_str!("../../templates/python/app.py")),
    ("build.sh", include_str!("../../templates/python/build.sh")),
    (
        "requirements.txt",
        include_str!("../../templates/python/requirements.txt"),
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md"),
    ),
    (
        "plimsoll.toml",
        include_str!("../../templates/python/plimsoll.toml"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/python/gitignore"),
    ),
    ("wit/plimsoll.wit", WIT),
];

const JS: &[(&str, &str)] = &[
    ("plugin.js", include_str!("../../templates/js/plugin.js")),
    (
        "package.json",
        include_str!("../../templates/js/package.json"),
    ),
    ("README.md", include_str!("../../templates/js/README.md")),
    (
        "plimsoll.toml",
        include_str!("../../templates/js/plimsoll.toml"),
    ),
    (".gitignore", include_str!("../../templates/js/gitignore")),
    ("wit/plimsoll.wit", WIT),
];

/// The rule-id prefix for a plugin name: its first word's letters, upper
/// case, at most five (`acme-policy` → `ACME`).
pub fn rule_prefix(name: &str) -> String {
    let p: String = name
        .split('-')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(5)
        .collect::<String>()
        .to_ascii_uppercase();
    if p.is_empty() { "CORP".into() } else { p }
}

/// The dependency line for the SDK: `--sdk PATH`, else the SDK next to the
/// sources this binary was built from, else the git repository.
fn sdk_dependency(sdk: Option<&Path>) -> Result<String, UsageError> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plimsoll-plugin-sdk");
    let path = match sdk {
        Some(p) => Some(p.to_path_buf()),
        None => local.is_dir().then_some(local),
    };
    match path {
        Some(p) => {
            let p = p
                .canonicalize()
                .map_err(|e| UsageError(format!("--sdk {}: {e}", p.display())))?;
            if !p.join("Cargo.toml").is_file() {
                return Err(UsageError(format!(
                    "--sdk {}: not the plimsoll-plugin-sdk crate (no Cargo.toml)",
                    p.display()
                )));
            }
            Ok(format!(
                "plimsoll-plugin-sdk = {{ path = {:?} }}",
                p.display().to_string()
            ))
        }
        None => Ok(format!(
            "plimsoll-plugin-sdk = {{ git = \"https://github.com/plimsoll-dev/plimsoll\", tag = \"v{}\" }}",
            env!("CARGO_PKG_VERSION")
        )),
    }
}

pub fn run(
    name: &str,
    lang: PluginLang,
    dir: Option<&Path>,
    sdk: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-');
    if !valid {
        return Err(UsageError(format!(
            "`{name}` is not a plugin name: use kebab-case, e.g. `corp-policy`"
        ))
        .into());
    }
    let dir: PathBuf = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        return Err(UsageError(format!(
            "{} already exists and is not empty; pick another name or --dir",
            dir.display()
        ))
        .into());
    }
    let crate_name = name.replace('-', "_");
    let prefix = rule_prefix(name);
    let sdk_line = match lang {
        PluginLang::Rust => sdk_dependency(sdk)?,
        _ => String::new(),
    };
    let files = match lang {
        PluginLang::Rust => RUST,
        PluginLang::Python => PYTHON,
        PluginLang::Js => JS,
    };
    for (path, template) in files.iter().chain(FIXTURES) {
        let text = template
            .replace("{{name}}", name)
            .replace("{{crate}}", &crate_name)
            .replace("{{prefix}}", &prefix)
            .replace("{{sdk}}", &sdk_line);
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, text)?;
        #[cfg(unix)]
        if path.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    let shown = dir.display();
    let next = match lang {
        PluginLang::Rust => format!(
            "  cd {shown}\n  cargo build --release --target wasm32-wasip2\n  cargo test\n  plimsoll plugin test target/wasm32-wasip2/release/{crate_name}.wasm"
        ),
        PluginLang::Python => format!(
            "  cd {shown}\n  pip install -r requirements.txt\n  sh build.sh\n  plimsoll plugin test {crate_name}.wasm"
        ),
        PluginLang::Js => {
            format!("  cd {shown}\n  npm install\n  npm run build\n  npm test")
        }
    };
    crate::diag!(
        "created {shown}: plugin `{name}` with rule {prefix}001 (base images from allowed registries)\nnext:\n{next}"
    );
    Ok(ExitCode::Ok)
}

//! Finding the Dockerfiles to check under the paths given, honouring .gitignore
//! and `exclude` globs.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use plimsoll_config::TargetKind;

/// Names that start like a Dockerfile but are something else: ignore files,
/// notes, templates, editor and merge leftovers.
const NOT_DOCKERFILE_SUFFIXES: &[&str] = &[
    ".dockerignore",
    ".md",
    ".txt",
    ".orig",
    ".rej",
    ".swp",
    ".bak",
    "~",
    ".j2",
    ".tmpl",
    ".template",
];

/// Whether a file name looks like a Dockerfile: `Dockerfile`, `Containerfile`
/// (any case), `*.Dockerfile`, `*.dockerfile`, `*.Containerfile`,
/// `Dockerfile.*`, `Containerfile.*` (but not `Dockerfile.dockerignore` or
/// notes like `.md`). [`hook_files_regex`] is the same definition for
/// pre-commit's `files:`.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile" || lower == "containerfile" {
        return true;
    }
    if NOT_DOCKERFILE_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return false;
    }
    lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || name.starts_with("dockerfile.")
}

/// [`is_dockerfile_name`] as a Python regular expression on repository paths,
/// for the `files:` of `.pre-commit-hooks.yaml` (the test that keeps the two
/// equal is its user).
#[cfg(test)]
pub fn hook_files_regex() -> String {
    let not: Vec<String> = NOT_DOCKERFILE_SUFFIXES
        .iter()
        .map(|s| s.replace('.', "\\."))
        .collect();
    format!(
        "(^|/)(?i:(docker|container)file|[^/]*\\.(docker|container)file)$|(^|/)(?![^/]*({})$)(Dockerfile|Containerfile|dockerfile)\\.[^/]+$",
        not.join("|")
    )
}

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    Glob(String),
    Walk(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(p) => write!(f, "path `{}` does not exist", p.display()),
            DiscoverError::Glob(e) => write!(f, "invalid exclude glob: {e}"),
            DiscoverError::Walk(e) => write!(f, "cannot search for Dockerfiles: {e}"),
        }
    }
}

pub fn exclude_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| DiscoverError::Glob(e.to_string()))?);
        // `vendor` should also exclude everything under it.
        if !g.ends_with("/**") {
            b.add(
                Glob::new(&format!("{}/**", g.trim_end_matches('/')))
                    .map_err(|e| DiscoverError::Glob(e.to_string()))?,
            );
        }
    }
    b.build().map_err(|e| DiscoverError::Glob(e.to_string()))
}

/// Displayed form of a path: without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Whether a config's globs match `p`: relative to `base` (the config's
/// directory) or as given.
fn config_glob_matches(globs: &GlobSet, p: &Path, base: &Path) -> bool {
    let rel = p.strip_prefix(base).unwrap_or(p);
    globs.is_match(rel) || globs.is_match(PathBuf::from(display_path(p)))
}

/// What a directory search reads: the kinds asked for (all by default) and
/// the `[targets] kubernetes` globs; fills in which files those globs named.
pub struct Wanted {
    kinds: Option<Vec<TargetKind>>,
    kubernetes: GlobSet,
    /// Display paths of the files found through a `kubernetes` glob.
    pub kubernetes_files: std::sync::Arc<std::collections::HashSet<String>>,
    /// The files found that are symbolic links (only named ones can be: a
    /// directory search does not follow links).
    pub symlinks: std::collections::HashSet<PathBuf>,
}

impl Wanted {
    pub fn new(
        kinds: Option<Vec<TargetKind>>,
        kubernetes: &[String],
    ) -> Result<Self, DiscoverError> {
        Ok(Wanted {
            kinds,
            kubernetes: exclude_set(kubernetes)?,
            kubernetes_files: Default::default(),
            symlinks: Default::default(),
        })
    }

    fn wants(&self, kind: TargetKind) -> bool {
        self.kinds.as_ref().is_none_or(|k| k.contains(&kind))
    }

    /// The kind a directory search reads `path` as, if any.
    fn kind(&self, path: &Path, base: &Path) -> Option<TargetKind> {
        let name = path.file_name()?.to_string_lossy();
        let kind = if is_dockerfile_name(&name) {
            TargetKind::Dockerfile
        } else if let Some(k) = plimsoll_manifests::detect_name(&path.to_string_lossy()) {
            match k {
                plimsoll_manifests::Kind::Compose => TargetKind::Compose,
                plimsoll_manifests::Kind::Kubernetes => TargetKind::Kubernetes,
                plimsoll_manifests::Kind::GithubWorkflow => TargetKind::GithubWorkflow,
                plimsoll_manifests::Kind::GitlabCi => TargetKind::GitlabCi,
                plimsoll_manifests::Kind::Devcontainer => TargetKind::Devcontainer,
            }
        } else if config_glob_matches(&self.kubernetes, path, base) {
            TargetKind::Kubernetes
        } else {
            return None;
        };
        self.wants(kind).then_some(kind)
    }
}

/// Files to check under `paths`. An explicitly named file is always checked; in
/// directories only Dockerfile-like names are, and manifests by their
/// conventional names (`compose.yaml`, `docker-compose.*.yml`,
/// `.github/workflows/*.yml`, `.gitlab-ci.yml`, `devcontainer.json`). `exclude` is matched against paths
/// relative to `base` (the config's directory) and as given.
pub fn discover(
    paths: &[PathBuf],
    exclude: &GlobSet,
    base: &Path,
    wanted: &mut Wanted,
) -> Result<Vec<PathBuf>, DiscoverError> {
    discover_counting(paths, exclude, base, wanted, &|_| {})
}

/// What the workers of a directory search have found.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    kubernetes: std::collections::HashSet<String>,
    errors: Vec<String>,
}

/// [`discover`], telling `found` how many files it has found so far each
/// time it finds one (named or in a directory, before duplicates go).
///
/// A directory is searched on every core, up to twelve (`ignore`'s parallel
/// walker and its default, as ruff and ripgrep search): its `lstat`s of
/// ignore files and its directory reads are most of the time, and they wait
/// on the kernel one at a time.
pub fn discover_counting(
    paths: &[PathBuf],
    exclude: &GlobSet,
    base: &Path,
    wanted: &mut Wanted,
    found: &(dyn Fn(usize) + Sync),
) -> Result<Vec<PathBuf>, DiscoverError> {
    let excluded = |p: &Path| config_glob_matches(exclude, p, base);
    let walked = std::sync::Mutex::new(Walked::default());
    let keep = |path: PathBuf, kubernetes: bool| {
        let mut walked = walked.lock().unwrap_or_else(|e| e.into_inner());
        if kubernetes {
            walked.kubernetes.insert(display_path(&path));
        }
        walked.files.push(path);
        found(walked.files.len());
    };
    for root in paths {
        // One system call for the three questions, unless it is a link
        // (a thousand named files are a thousand either way): whether it
        // exists, is a file, and is a link (see `symlinks`).
        let mut meta = std::fs::symlink_metadata(root);
        if meta.as_ref().is_ok_and(|m| m.is_symlink()) {
            wanted.symlinks.insert(root.clone());
            meta = std::fs::metadata(root);
        }
        let Ok(meta) = meta else {
            return Err(DiscoverError::NotFound(root.clone()));
        };
        if meta.is_file() {
            keep(root.clone(), false);
            continue;
        }
        let wanted = &*wanted;
        ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    let entry = match entry {
                        Ok(entry) => entry,
                        Err(e) => {
                            let mut walked = walked.lock().unwrap_or_else(|e| e.into_inner());
                            walked.errors.push(e.to_string());
                            return ignore::WalkState::Continue;
                        }
                    };
                    if !entry.file_type().is_some_and(|t| t.is_file()) {
                        return ignore::WalkState::Continue;
                    }
                    let path = entry.path();
                    if let Some(kind) = wanted.kind(path, base)
                        && !excluded(path)
                    {
                        keep(entry.into_path(), kind == TargetKind::Kubernetes);
                    }
                    ignore::WalkState::Continue
                })
            });
    }
    let mut walked = walked.into_inner().unwrap_or_else(|e| e.into_inner());
    // The walk's order is the workers', not the tree's: of several
    // errors, the same one is reported every time.
    if let Some(first) = walked.errors.iter().min() {
        return Err(DiscoverError::Walk(first.clone()));
    }
    walked.files.sort();
    walked.files.dedup();
    wanted.kubernetes_files = std::sync::Arc::new(walked.kubernetes);
    Ok(walked.files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hook's `files:` is generated from the same definition, and Python's
    /// `re.search` (what pre-commit runs) classifies paths as `check` does.
    #[test]
    fn pre_commit_files_regex_is_the_discovery_rule() {
        let hooks = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.pre-commit-hooks.yaml"
        ))
        .unwrap();
        let regex = hook_files_regex();
        let files: Vec<&str> = hooks
            .lines()
            .filter_map(|l| l.trim().strip_prefix("files: "))
            .collect();
        assert!(!files.is_empty());
        for f in files {
            assert_eq!(
                f.trim_matches('\''),
                regex,
                "regenerate .pre-commit-hooks.yaml's files:"
            );
        }
        let names = [
            "Dockerfile",
            "svc/Dockerfile",
            "Containerfile",
            "dockerfile",
            "DOCKERFILE",
            "app.dockerfile",
            "svc/api.Dockerfile",
            "x.Containerfile",
            "Dockerfile.prod",
            "svc/Containerfile.dev",
            "Dockerfile.dockerignore",
            "svc/Dockerfile.md",
            "Dockerfile.j2",
            "Dockerfile.txt",
            "Dockerfile~",
            "README.md",
            "Makefile",
            "dockerfile-parser.rs",
            "docs/Dockerfile.tmpl",
            "a.Dockerfile.bak",
            ".dockerignore",
        ];
        let script = "import re,sys\nr=re.compile(sys.argv[1])\nfor n in sys.argv[2:]: print(bool(r.search(n)))";
        let Ok(out) = std::process::Command::new("python3")
            .args(["-c", script, &regex])
            .args(names)
            .output()
        else {
            assert!(
                std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() != Ok("1"),
                "python3 missing"
            );
            eprintln!("SKIPPED: python3 is not installed");
            return;
        };
        let got: Vec<bool> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l == "True")
            .collect();
        let want: Vec<bool> = names
            .iter()
            .map(|n| is_dockerfile_name(n.rsplit('/').next().unwrap()))
            .collect();
        assert_eq!(
            got,
            want,
            "{names:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn names() {
        for n in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "x.dockerfile",
            "Dockerfile.prod",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "README.md",
            "Dockerfile.md",
            "dockerfile-parser.rs",
            "Makefile",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }
}

//! Recognises package-manager commands in a parsed script: which manager, which
//! subcommand, which packages (and whether each carries a version pin).

use crate::shell::{Command, Word};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Manager {
    AptGet,
    Apt,
    Aptitude,
    Apk,
    Yum,
    Dnf,
    Microdnf,
    Zypper,
    Pip,
    Pipx,
    Npm,
    Yarn,
    Pnpm,
    Gem,
    Bundle,
    Go,
    Cargo,
    Conda,
}

impl Manager {
    pub fn of(cmd: &Command) -> Option<Manager> {
        let name = cmd.name()?;
        Some(match name {
            "apt-get" => Manager::AptGet,
            "apt" => Manager::Apt,
            "aptitude" => Manager::Aptitude,
            "apk" => Manager::Apk,
            "yum" => Manager::Yum,
            "dnf" | "dnf5" | "tdnf" => Manager::Dnf,
            "microdnf" => Manager::Microdnf,
            "zypper" => Manager::Zypper,
            n if n == "pip" || n == "pip3" || is_versioned(n, "pip") => Manager::Pip,
            n if is_python(n) && python_module(cmd) == Some("pip") => Manager::Pip,
            "pipx" => Manager::Pipx,
            "npm" => Manager::Npm,
            "yarn" => Manager::Yarn,
            "pnpm" => Manager::Pnpm,
            "gem" => Manager::Gem,
            "bundle" | "bundler" => Manager::Bundle,
            "go" => Manager::Go,
            "cargo" => Manager::Cargo,
            "conda" | "mamba" | "micromamba" => Manager::Conda,
            _ => return None,
        })
    }

    /// Flags of this manager that take a separate value.
    pub fn flags_with_values(self) -> &'static [&'static str] {
        match self {
            Manager::AptGet | Manager::Apt | Manager::Aptitude => &[
                "-o",
                "--option",
                "-t",
                "--target-release",
                "--default-release",
                "-c",
                "--config-file",
                "-a",
                "--host-architecture",
            ],
            Manager::Apk => &[
                "-X",
                "--repository",
                "-p",
                "--root",
                "-t",
                "--virtual",
                "--arch",
                "--keys-dir",
                "--cache-dir",
                "--repositories-file",
            ],
            Manager::Yum | Manager::Dnf | Manager::Microdnf => &[
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "--installroot",
                "--releasever",
                "-c",
                "--config",
                "-x",
                "--exclude",
                "--repo",
                "--repoid",
                "--repofrompath",
                "--nodocs-",
                "--downloaddir",
                "--destdir",
                "--forcearch",
                "-d",
                "--debuglevel",
                "-e",
                "--errorlevel",
                "--rpmverbosity",
            ],
            Manager::Zypper => &[
                "-r",
                "--repo",
                "--from",
                "-t",
                "--type",
                "--root",
                "-R",
                "--reposd-dir",
                "-D",
                "-C",
                "--cache-dir",
                "--raw-cache-dir",
            ],
            Manager::Pip => &[
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-f",
                "--find-links",
                "--trusted-host",
                "-t",
                "--target",
                "--prefix",
                "--root",
                "-e",
                "--editable",
                "--platform",
                "--python-version",
                "--implementation",
                "--abi",
                "--src",
                "--upgrade-strategy",
                "--progress-bar",
                "--cache-dir",
                "--log",
                "--proxy",
                "--retries",
                "--timeout",
                "--exists-action",
                "--cert",
                "--client-cert",
                "--global-option",
                "-C",
                "--config-settings",
                "--report",
                "--only-binary",
                "--no-binary",
                "--python",
                "--root-user-action",
            ],
            Manager::Pipx => &[
                "--python",
                "--index-url",
                "-i",
                "--pip-args",
                "--suffix",
                "--spec",
                "--preinstall",
            ],
            Manager::Npm | Manager::Pnpm => &[
                "--prefix",
                "--registry",
                "--cache",
                "-w",
                "--workspace",
                "--omit",
                "--include",
                "--userconfig",
                "--loglevel",
                "--tag",
            ],
            Manager::Yarn => &[
                "--cwd",
                "--registry",
                "--cache-folder",
                "--modules-folder",
                "--network-timeout",
                "--mutex",
            ],
            Manager::Gem => &[
                "-v",
                "--version",
                "-i",
                "--install-dir",
                "-n",
                "--bindir",
                "--source",
                "-s",
                "-P",
                "--trust-policy",
                "--platform",
                "--build-root",
            ],
            Manager::Bundle => &[
                "--path",
                "--without",
                "--with",
                "--jobs",
                "-j",
                "--retry",
                "--gemfile",
                "--binstubs",
            ],
            Manager::Go => &[
                "-ldflags",
                "-tags",
                "-o",
                "-gcflags",
                "-mod",
                "-modfile",
                "-p",
                "-asmflags",
                "-trimpath-",
            ],
            Manager::Cargo => &[
                "--version",
                "--vers",
                "--git",
                "--branch",
                "--tag",
                "--rev",
                "--path",
                "--root",
                "--index",
                "--registry",
                "-j",
                "--jobs",
                "--features",
                "-F",
                "--target",
                "--profile",
                "--bin",
                "--example",
            ],
            Manager::Conda => &[
                "-n",
                "--name",
                "-p",
                "--prefix",
                "-c",
                "--channel",
                "--file",
            ],
        }
    }

    /// The subcommands that install packages.
    pub fn install_subcommands(self) -> &'static [&'static str] {
        match self {
            Manager::AptGet | Manager::Apt | Manager::Aptitude => &["install"],
            Manager::Apk => &["add"],
            Manager::Yum | Manager::Dnf | Manager::Microdnf | Manager::Zypper => &["install", "in"],
            Manager::Pip | Manager::Pipx => &["install"],
            Manager::Npm | Manager::Pnpm => &["install", "i", "add", "isntall", "in"],
            Manager::Yarn => &["add", "install"],
            Manager::Gem => &["install", "i"],
            Manager::Bundle => &["install"],
            Manager::Go => &["install", "get", "run"],
            Manager::Cargo => &["install"],
            Manager::Conda => &["install", "create"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Manager::AptGet => "apt-get",
            Manager::Apt => "apt",
            Manager::Aptitude => "aptitude",
            Manager::Apk => "apk",
            Manager::Yum => "yum",
            Manager::Dnf => "dnf",
            Manager::Microdnf => "microdnf",
            Manager::Zypper => "zypper",
            Manager::Pip => "pip",
            Manager::Pipx => "pipx",
            Manager::Npm => "npm",
            Manager::Yarn => "yarn",
            Manager::Pnpm => "pnpm",
            Manager::Gem => "gem",
            Manager::Bundle => "bundle",
            Manager::Go => "go",
            Manager::Cargo => "cargo",
            Manager::Conda => "conda",
        }
    }
}

fn is_versioned(name: &str, base: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn is_python(name: &str) -> bool {
    name == "python" || is_versioned(name, "python")
}

/// `python -m pip ...`: the module name.
fn python_module(cmd: &Command) -> Option<&str> {
    let args = cmd.args();
    let i = args.iter().position(|a| a.value == "-m")?;
    args.get(i + 1).map(|w| w.value.as_str())
}

/// A package-manager command.
#[derive(Debug, Clone)]
pub struct PackageCommand<'a> {
    pub manager: Manager,
    pub command: &'a Command,
    /// The subcommand word (`install`, `add`, `update`...), if any.
    pub subcommand: Option<&'a Word>,
    /// Operands after the subcommand: packages for an install.
    pub operands: Vec<&'a Word>,
    /// `yum|dnf|microdnf module <subcommand>`: operands are modules
    /// (`name[:stream][/profile]`), pinned by a stream.
    pub module: bool,
}

impl<'a> PackageCommand<'a> {
    pub fn of(cmd: &'a Command) -> Option<PackageCommand<'a>> {
        let manager = Manager::of(cmd)?;
        // `gem install x -- --with-opt`: what follows `--` are build options
        // for the gem's native extension, not gems.
        let args = cmd.args();
        let end = match manager {
            Manager::Gem => args.iter().position(|w| w.value == "--"),
            _ => None,
        }
        .unwrap_or(args.len());
        let mut ops: Vec<&Word> = cmd
            .operands(manager.flags_with_values())
            .into_iter()
            .filter(|&(i, w)| {
                i < end
                    // `--use-system-libraries true`: a boolean option's value.
                    && !(manager == Manager::Gem
                        && matches!(w.value.as_str(), "true" | "false")
                        && i > 0
                        && args[i - 1].value.starts_with("--"))
            })
            .map(|(_, w)| w)
            .collect();
        // `python -m pip install`: drop the `pip` module operand.
        if cmd.name().is_some_and(is_python) {
            let skip = ops
                .iter()
                .position(|w| w.value == "pip")
                .map(|i| i + 1)
                .unwrap_or(0);
            ops.drain(..skip);
        }
        // `npm --global install`: flags can precede the subcommand; operands() did that.
        let mut subcommand = if ops.is_empty() {
            None
        } else {
            Some(ops.remove(0))
        };
        // `dnf module install nodejs:20`: the module's own subcommand.
        let module = matches!(manager, Manager::Yum | Manager::Dnf | Manager::Microdnf)
            && subcommand.is_some_and(|w| w.value == "module")
            && !ops.is_empty();
        if module {
            subcommand = Some(ops.remove(0));
        }
        Some(PackageCommand {
            manager,
            command: cmd,
            subcommand,
            operands: ops,
            module,
        })
    }

    /// Whether the subcommand is one of `names`.
    pub fn is(&self, names: &[&str]) -> bool {
        self.subcommand
            .is_some_and(|s| names.contains(&s.value.as_str()))
    }

    /// Whether this installs packages.
    pub fn is_install(&self) -> bool {
        self.is(self.manager.install_subcommands())
    }

    /// The packages an install takes from a registry or a version-control
    /// repository (not files, directories, archives or plain URLs).
    pub fn packages(&self) -> Vec<&'a Word> {
        if !self.is_install() {
            return Vec::new();
        }
        // `go run pkg args…`: only the first operand is a package.
        let take = if self.manager == Manager::Go && self.is(&["run"]) {
            1
        } else {
            usize::MAX
        };
        self.operands
            .iter()
            .copied()
            .take(take)
            .filter(|w| source(self.manager, &w.value) != Source::Local)
            .collect()
    }

    /// Packages without a version pin, by this manager's convention: registry
    /// packages without a version, VCS references without a commit, tag or
    /// branch. For yum/dnf, a name ending in a variable (`git-core-${VERSION}`)
    /// counts as pinned: the build decides the version.
    pub fn unpinned(&self) -> Vec<&'a Word> {
        self.unpinned_given(&|_| true)
    }

    /// [`Self::unpinned`], where a yum/dnf name with variables counts as pinned
    /// only when `known` says every variable it uses is defined (an ARG or ENV
    /// in scope).
    pub fn unpinned_given(&self, known: &dyn Fn(&str) -> bool) -> Vec<&'a Word> {
        // `gem install x -v 1.2` pins the (single) gem; pip constraint files pin
        // whatever they list.
        if self.manager == Manager::Gem && self.command.has_flag(&['v'], &["version"])
            || self.manager == Manager::Pip && self.command.has_flag(&['c'], &["constraint"])
        {
            return Vec::new();
        }
        // `yum module install tomcat:9`: a module stream pins the module.
        let module = self.module;
        self.packages()
            .into_iter()
            .filter(|w| {
                let v = w.value.as_str();
                // yum/dnf write the version into the name (`git-core-2.51`), so
                // `git-core-${VERSION}` is a pin; elsewhere the version follows
                // an operator (`curl=${V}`, `flask==${V}`), which already
                // counts, and `pkg-${V}` names a different package.
                let rpm_style = matches!(
                    self.manager,
                    Manager::Yum | Manager::Dnf | Manager::Microdnf
                );
                let pinned_by_variable = rpm_style && w.expansion && {
                    let vars = variables(v);
                    !vars.is_empty() && vars.iter().all(|n| known(n))
                };
                !(pinned_by_variable
                    || if module {
                        v.contains(':')
                    } else {
                        is_pinned(self.manager, v)
                    })
            })
            .collect()
    }
}

/// The names of the variables a word uses (`$NAME`, `${NAME:-default}`…),
/// as BuildKit's own word lexer reads them.
pub fn variables(v: &str) -> Vec<String> {
    plimsoll_dockerfile::shell::Lexer::default()
        .process_no_env(v)
        .map(|p| p.unmatched.into_iter().collect())
        .unwrap_or_default()
}

/// Where a package operand comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A package index (apt, PyPI, npm…).
    Registry,
    /// A version-control repository (`git+https://…`, `github:user/repo`).
    Vcs,
    /// A file, directory, archive or plain URL: nothing to pin by name.
    Local,
}

/// Classifies a package operand for `manager`.
pub fn source(manager: Manager, v: &str) -> Source {
    const VCS: &[&str] = &[
        "git+",
        "git://",
        "hg+",
        "svn+",
        "bzr+",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
    ];
    if VCS.iter().any(|p| v.starts_with(p)) {
        return Source::Vcs;
    }
    if is_local_or_url(v) {
        return Source::Local;
    }
    // pip takes `dir/subdir` as a local project; npm and yarn take `user/repo`
    // as a GitHub repository (Go module paths always have slashes).
    if v.contains('/') && !v.starts_with('@') {
        return match manager {
            Manager::Pip | Manager::Pipx => Source::Local,
            Manager::Npm | Manager::Yarn | Manager::Pnpm => Source::Vcs,
            _ => Source::Registry,
        };
    }
    Source::Registry
}

/// Files, directories, archives and URLs are not registry packages.
pub fn is_local_or_url(v: &str) -> bool {
    const ARCHIVES: &[&str] = &[
        ".deb", ".rpm", ".apk", ".whl", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz",
        ".txz", ".zip", ".gem", ".go",
    ];
    v.starts_with('.')
        || v.starts_with('/')
        || v.starts_with('~')
        || v.starts_with('$')
        || v.contains("://")
        || v.starts_with("file:")
        || ARCHIVES.iter().any(|a| v.ends_with(a))
        || v.contains('*')
}

/// Whether a package word carries a version, per the manager's syntax.
pub fn is_pinned(manager: Manager, v: &str) -> bool {
    if source(manager, v) == Source::Vcs {
        return vcs_pinned(manager, v);
    }
    match manager {
        Manager::AptGet | Manager::Apt | Manager::Aptitude => v.contains('='),
        Manager::Apk => v.contains('=') || v.contains('~') || v.contains('<') || v.contains('>'),
        Manager::Zypper => v.contains('=') || v.contains('<') || v.contains('>'),
        // `name-1.2.3` or `name-1.2.3-1.el9`: a dash followed by a digit.
        Manager::Yum | Manager::Dnf | Manager::Microdnf => {
            let b = v.as_bytes();
            v.contains('=') || b.windows(2).any(|w| w[0] == b'-' && w[1].is_ascii_digit())
        }
        Manager::Pip | Manager::Pipx => ["==", ">=", "<=", "~=", "!=", "===", "<", ">", " @ ", "@"]
            .iter()
            .any(|op| v.contains(op)),
        Manager::Npm | Manager::Pnpm | Manager::Yarn => {
            let body = v.strip_prefix('@').unwrap_or(v);
            body.contains('@') || v.contains('#')
        }
        Manager::Gem => v.contains(':'),
        Manager::Go => v
            .split_once('@')
            .is_some_and(|(_, ver)| !ver.is_empty() && ver != "latest"),
        Manager::Cargo => v.contains('@'),
        Manager::Conda => v.contains('='),
        Manager::Bundle => true,
    }
}

/// Whether a VCS reference names a commit, tag or branch: npm's `#ref`, pip's
/// `@ref` after the repository path (not the `user@` of the host part).
fn vcs_pinned(manager: Manager, v: &str) -> bool {
    match manager {
        Manager::Pip | Manager::Pipx => {
            let url = v.split('#').next().unwrap_or(v);
            let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
            // The path starts after the host part (`git@github.com:` or `host/`).
            let path = after_scheme.split_once('/').map(|(_, p)| p).unwrap_or("");
            path.contains('@')
        }
        _ => v.contains('#'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parse;

    fn first(text: &str) -> PackageCommand<'static> {
        let s = Box::leak(Box::new(parse(text)));
        s.commands.iter().find_map(PackageCommand::of).unwrap()
    }

    #[test]
    fn recognises_installs_and_pins() {
        let p = first(
            "apt-get -y -o Acquire::Retries=3 install --no-install-recommends curl=7.88 wget ./local.deb",
        );
        assert_eq!(p.manager, Manager::AptGet);
        assert!(p.is_install());
        let un: Vec<_> = p.unpinned().iter().map(|w| w.value.clone()).collect();
        assert_eq!(un, vec!["wget"]);
        let p = first("python3 -m pip install --no-cache-dir -r req.txt flask==3.0 requests");
        assert_eq!(p.manager, Manager::Pip);
        assert_eq!(
            p.unpinned()
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>(),
            vec!["requests"]
        );
        let p = first("npm install -g @scope/pkg@1.2.3 left-pad typescript@5");
        assert_eq!(
            p.unpinned()
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>(),
            vec!["left-pad"]
        );
        assert!(first("gem install rails -v 7.1").unpinned().is_empty());
        assert_eq!(
            first("go install golang.org/x/tools/gopls@latest")
                .unpinned()
                .len(),
            1
        );
        assert!(first("yum install -y httpd-2.4.57").unpinned().is_empty());
        assert!(
            first("apk add --no-cache musl~1.2 openssl=3.1.4-r5")
                .unpinned()
                .is_empty()
        );
        assert!(!first("apt-get update").is_install());
    }
}

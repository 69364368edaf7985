//! The `plimsoll` command.

mod check;
mod cli;
mod commands;
mod contain;
mod discover;
#[cfg(test)]
mod docs_commands;
mod fix;
mod output;
mod plugin_oci;
mod plugins;
mod registry;
mod result_cache;
mod select;
mod suppress;
mod version;
mod vulndb;

use clap::Parser;

/// mimalloc instead of glibc's malloc: glibc grows each thread's arena one
/// page at a time with `mprotect` (thousands of system calls for one
/// Dockerfile on the worker threads, each slow in a VM).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// No transparent huge pages for this process. mimalloc asks for them
/// (`MADV_HUGEPAGE`) on its arenas, and the kernel then zeroes 2 MiB at the
/// first touch of each: a one-file check peaked at 33 MiB and the corpus at
/// 131 MiB with them, 21 and 101 MiB without, at the same speed (measured
/// with `farm-bench`). What mimalloc's own `MIMALLOC_ALLOW_THP=0` does,
/// set before the first worker thread.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: a process attribute; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Process exit codes (DESIGN.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Nothing at or above the fail level.
    Ok = 0,
    /// Findings at or above the fail level.
    Findings = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// A check could not run.
    CheckFailed = 3,
}

/// A usage or configuration problem: exit 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLIMSOLL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

fn run(cli: &cli::Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        cli::Command::Check(args) => commands::check::run(&cli.global, args),
        cli::Command::Pin(args) => commands::pin::run(&cli.global, args),
        cli::Command::Rules(args) => commands::rules::rules(&cli.global, args),
        cli::Command::Explain { rule } => commands::rules::explain(&cli.global, rule),
        cli::Command::Plugin(cli::PluginCommand::List { format }) => {
            commands::plugin::list(&cli.global, *format)
        }
        cli::Command::Plugin(cli::PluginCommand::Inspect { file, format }) => {
            commands::plugin::inspect(&cli.global, file, *format)
        }
        cli::Command::Plugin(cli::PluginCommand::New {
            name,
            lang,
            dir,
            sdk,
        }) => commands::plugin_new::run(name, *lang, dir.as_deref(), sdk.as_deref()),
        cli::Command::Plugin(cli::PluginCommand::Test {
            file,
            fixtures,
            settings,
            grants,
        }) => commands::plugin::test(&cli.global, file, fixtures, settings.as_deref(), grants),
        cli::Command::Plugin(cli::PluginCommand::Push { file, reference }) => {
            commands::plugin::push(&cli.global, file, reference)
        }
        cli::Command::Plugin(cli::PluginCommand::Annotate { file, output }) => {
            commands::plugin::annotate(&cli.global, file, output.as_deref())
        }
        cli::Command::ConfigSchema => commands::config::config_schema(),
        cli::Command::Db(cli::DbCommand::Update { source, ecosystems }) => {
            commands::db::update(&cli.global, source.as_deref(), ecosystems)
        }
        cli::Command::Db(cli::DbCommand::Import { files }) => {
            commands::db::import(&cli.global, files)
        }
        cli::Command::Db(cli::DbCommand::Status) => commands::db::status(&cli.global),
        cli::Command::Sbom {
            image,
            format,
            output,
            platform,
        } => commands::sbom::run(
            &cli.global,
            image,
            *format,
            output.as_deref(),
            platform.as_deref(),
        ),
        cli::Command::Migrate(cli::MigrateCommand::Hadolint { file, write }) => {
            commands::config::migrate_hadolint(file.as_deref(), *write)
        }
        cli::Command::Debug(cli::DebugCommand::Parse { files, format }) => {
            commands::debug::parse(files, *format)
        }
        cli::Command::Debug(cli::DebugCommand::Packages {
            target,
            format,
            platform,
        }) => commands::debug::packages(&cli.global, target, *format, platform.as_deref()),
        cli::Command::Completions { shell } => commands::docs::completions(*shell),
        cli::Command::Manpage { dir } => commands::docs::manpage(dir.as_deref()),
    }
}

fn main() {
    let _ = output::RUN_STARTED.set(std::time::SystemTime::now());
    no_huge_pages();
    // `plimsoll rules | head`: a closed pipe ends the process quietly, as it
    // does for every other Unix tool, instead of a "failed printing" panic.
    #[cfg(unix)]
    // SAFETY: called before any thread starts; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = cli::Cli::parse();
    match cli.global.color {
        cli::ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        cli::ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        cli::ColorChoice::Auto => {}
    }
    init_logging(cli.global.verbose);
    contain::install_hook();
    // A panic that escapes a command is exit 3 with a message, never 101
    // with a backtrace.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli)))
        .unwrap_or_else(|payload| {
            Err(anyhow::anyhow!(
                "internal error: {}; this is a bug in plimsoll, please report it",
                contain::panic_text(&*payload)
            ))
        });
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            let usage = e.downcast_ref::<UsageError>().is_some();
            // Errors quote registries, plugins and files: shown visibly, and
            // no line of them starts a line of the log.
            let message = format!("{e:#}");
            crate::diag!("error: {message}");
            if usage {
                ExitCode::Usage
            } else {
                ExitCode::CheckFailed
            }
        }
    };
    std::process::exit(code as i32);
}

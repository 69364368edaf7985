//! Where and how a report is written, and the exit code it earns.

use std::io::Write;
use std::path::PathBuf;

use plimsoll_report::{Level, Report, github, gitlab, gitlab_cs, human, json, junit, sarif};

use crate::cli::{FailOn, Format, OutputArgs};
use crate::{ExitCode, UsageError};

/// The level at or above which findings fail the run (`None`: never): the
/// chosen `fail-on`, else `warning`.
pub fn fail_level(chosen: Option<FailOn>) -> Option<Level> {
    match chosen.unwrap_or(FailOn::Warning) {
        FailOn::Never => None,
        FailOn::Note => Some(Level::Note),
        FailOn::Warning => Some(Level::Warning),
        FailOn::Error => Some(Level::Error),
    }
}

/// The format when no `--format` is given: `github` inside GitHub Actions
/// (annotations and a step summary), else `human`.
pub fn default_format() -> Format {
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        Format::Github
    } else {
        Format::Human
    }
}

/// The reports a run writes, and how the ones for people look.
pub struct Outputs {
    /// Each --format with its --output (`None`: stdout).
    pub list: Vec<(Format, Option<PathBuf>)>,
    /// `--quiet`: findings only, no summary.
    pub quiet: bool,
    /// `--statistics`: counts per rule instead of each finding (human output).
    pub statistics: bool,
}

/// Pairs each `--format` with the `--output` at the same position (stdout when
/// there is none, or when it is `-`). Default: [`default_format`] on stdout.
pub fn formats(args: &OutputArgs) -> Result<Outputs, UsageError> {
    if args.output.len() > args.format.len().max(1) {
        return Err(UsageError(
            "more --output files than --format options; give one --format per --output".into(),
        ));
    }
    let formats = if args.format.is_empty() {
        vec![default_format()]
    } else {
        args.format.clone()
    };
    let list = formats
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let out = args.output.get(i).filter(|p| p.as_os_str() != "-");
            (f, out.cloned())
        })
        .collect();
    Ok(Outputs {
        list,
        quiet: args.quiet,
        statistics: args.statistics,
    })
}

/// SARIF `automationDetails.id`: `category/run-id`. The category is
/// `$PLIMSOLL_SARIF_CATEGORY` (default `plimsoll`); the run id is GitHub's run id
/// and attempt when present, else the current time.
fn automation_id() -> String {
    let category = std::env::var("PLIMSOLL_SARIF_CATEGORY")
        .ok()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "plimsoll".into());
    let run = match (
        std::env::var("GITHUB_RUN_ID"),
        std::env::var("GITHUB_RUN_ATTEMPT"),
    ) {
        (Ok(id), Ok(attempt)) => format!("{id}-{attempt}"),
        (Ok(id), Err(_)) => id,
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs().to_string())
            .unwrap_or_default(),
    };
    format!("{}/{run}", category.trim_end_matches('/'))
}

pub fn exit_code(report: &Report, fail: Option<Level>) -> ExitCode {
    if !report.errors.is_empty() {
        return ExitCode::CheckFailed;
    }
    match fail {
        Some(l) if report.count_at_or_above(l) > 0 => ExitCode::Findings,
        _ => ExitCode::Ok,
    }
}

/// Whether a format keeps paths as given on the command line (for people
/// and scripts), rather than naming files from the repository root (for CI
/// systems that attach findings to repository files).
fn keeps_given_paths(f: Format) -> bool {
    matches!(f, Format::Human | Format::Concise | Format::Json)
}

/// The directory CI formats locate files from: `$GITHUB_WORKSPACE` or
/// `$CI_PROJECT_DIR` when the working directory `cwd` (canonical) is inside
/// it, else the git work tree around it; `None` (paths as given) outside one.
fn repository_root(cwd: &std::path::Path) -> Option<PathBuf> {
    for var in ["GITHUB_WORKSPACE", "CI_PROJECT_DIR"] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty())
            && let Ok(dir) = PathBuf::from(dir).canonicalize()
            && cwd.starts_with(&dir)
        {
            return Some(dir);
        }
    }
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map(PathBuf::from)
}

/// `path` (as given, relative to the working directory `cwd`) relative to
/// `root`, with `/` separators; `None` when it lies outside `root`.
fn relative_to(root: &std::path::Path, cwd: &std::path::Path, path: &str) -> Option<String> {
    use std::path::Component;
    let joined = cwd.join(path);
    // Lexically: `..` and `.` resolved without touching the file system.
    let mut abs = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                abs.pop();
            }
            Component::CurDir => {}
            other => abs.push(other),
        }
    }
    let rel = abs.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `yyyy-mm-ddThh:mm:ss` in UTC (GitLab's report times).
fn scan_time(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00".into())
}

/// When the run started, for reports that record it (set once by `main`).
pub static RUN_STARTED: std::sync::OnceLock<std::time::SystemTime> = std::sync::OnceLock::new();

/// The human report's options for output to `dest` (`None`: stdout).
fn human_options_for(
    dest: Option<&std::path::Path>,
    outputs: &Outputs,
    fail: Option<Level>,
) -> human::HumanOptions {
    human::HumanOptions {
        styled: dest.is_none()
            && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
        show_fixes: true,
        fail_level: fail,
        quiet: outputs.quiet,
    }
}

/// The options of the first human report this run writes (not under
/// `--statistics`, which shows no finding): the result cache keeps each
/// file's blocks rendered with them (added by the first run that finds the
/// file unchanged).
pub fn human_options(outputs: &Outputs, fail: Option<Level>) -> Option<human::HumanOptions> {
    if outputs.statistics {
        return None;
    }
    outputs
        .list
        .iter()
        .find(|(f, _)| *f == Format::Human)
        .map(|(_, dest)| human_options_for(dest.as_deref(), outputs, fail))
}

/// Whether the run writes a JSON report: the result cache keeps each file's
/// findings as the document's elements too (added by the first run that
/// finds the file unchanged).
pub fn writes_json(outputs: &Outputs) -> bool {
    outputs.list.iter().any(|(f, _)| *f == Format::Json)
}

/// Whether a report in `outputs` shows files' text: human blocks (kept
/// by the result cache with their findings, or rendered from the text),
/// JSON and concise lines do not; SARIF (fingerprints), GitHub, GitLab and
/// JUnit reports may.
pub fn shows_sources(outputs: &Outputs) -> bool {
    outputs
        .list
        .iter()
        .any(|(f, _)| !matches!(f, Format::Human | Format::Json | Format::Concise))
}

pub fn emit(
    report: &Report,
    outputs: &Outputs,
    fail: Option<Level>,
    code: ExitCode,
) -> anyhow::Result<()> {
    let formats = &outputs.list;
    let started = RUN_STARTED.get().map(|t| scan_time(*t));
    // Code scanning, annotations, GitLab and JUnit attach findings to files of
    // the repository: whatever directory the job ran in, paths are relative to
    // its root. Human and JSON output keep the paths as given.
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let in_repository = formats
        .iter()
        .any(|(f, _)| !keeps_given_paths(*f))
        .then_some(cwd)
        .flatten()
        .and_then(|cwd| Some((repository_root(&cwd)?, cwd)))
        .map(|(root, cwd)| report.with_file_paths(|p| relative_to(&root, &cwd, p)));
    for (format, dest) in formats {
        let report = match &in_repository {
            Some(r) if !keeps_given_paths(*format) => r,
            _ => report,
        };
        let people = human_options_for(dest.as_deref(), outputs, fail);
        let styled = people.styled;
        let text = match format {
            Format::Human | Format::Concise if outputs.statistics => {
                human::statistics(report, &people)
            }
            Format::Human => {
                // Written piece by piece: a re-run's blocks are the result
                // cache's bytes, not copied into one string of megabytes.
                let pieces = human::render_pieces(report, &people);
                let write = |out: &mut dyn Write| pieces.write_to(out);
                match dest {
                    Some(path) => plimsoll_fs::AtomicWrite::user_file()
                        .write_with(path, |f| write(f))
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                    // A line the runner would take as a command: the whole
                    // text, wrapped (rare; see `ci_wrap`).
                    None if in_github_actions()
                        && pieces.has_line_starting_with(WORKFLOW_COMMANDS) =>
                    {
                        let text = ci_wrap(&pieces.to_text()).into_owned();
                        write_stdout(text.as_bytes(), styled)?;
                    }
                    None if styled => {
                        let mut out = anstream::stdout().lock();
                        write(&mut out)?;
                        out.flush()?;
                    }
                    None => {
                        let mut out = std::io::stdout().lock();
                        write(&mut out)?;
                        out.flush()?;
                    }
                }
                continue;
            }
            Format::Concise => human::concise(report, &people),
            Format::Json => {
                // Streamed: a corpus's JSON report is megabytes.
                let write = |out: &mut dyn Write| {
                    let out = std::io::BufWriter::with_capacity(1 << 16, out);
                    json::write(report, crate::version::VERSION, code as i32, out)
                };
                match dest {
                    Some(path) => plimsoll_fs::AtomicWrite::user_file()
                        .write_with(path, |f| write(f))
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                    None => write(&mut std::io::stdout().lock())?,
                }
                continue;
            }
            Format::Sarif => {
                let (text, dropped) = sarif::render(
                    report,
                    &sarif::SarifOptions {
                        tool_version: crate::version::VERSION.to_string(),
                        automation_id: automation_id(),
                    },
                );
                if dropped > 0 {
                    crate::diag!(
                        "warning: {dropped} results were left out of the SARIF log to stay within GitHub code scanning limits (25,000 results, 10 MB gzipped); the lowest levels went first"
                    );
                }
                text
            }
            Format::Github => {
                if let Some(path) =
                    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
                {
                    let summary = github::step_summary(report, fail);
                    let appended = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .and_then(|mut f| f.write_all(summary.as_bytes()));
                    if let Err(e) = appended {
                        crate::diag!(
                            "warning: cannot append to $GITHUB_STEP_SUMMARY ({}): {e}",
                            PathBuf::from(&path).display()
                        );
                    }
                }
                github::render(report)
            }
            Format::Gitlab => gitlab::render(report),
            Format::GitlabContainerScanning => {
                let now = scan_time(std::time::SystemTime::now());
                gitlab_cs::render(
                    report,
                    &gitlab_cs::Options {
                        tool_version: crate::version::VERSION.to_string(),
                        start_time: started.clone().unwrap_or_else(|| now.clone()),
                        end_time: now,
                    },
                )
            }
            Format::Junit => junit::render(report, fail),
        };
        match dest {
            Some(path) => plimsoll_fs::AtomicWrite::user_file()
                .write(path, text.as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
            None if *format == Format::Human => {
                write_stdout(ci_wrap(&text).as_bytes(), styled)?;
            }
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
    }
    Ok(())
}

/// What starts a line the GitHub Actions runner takes as a workflow command.
const WORKFLOW_COMMANDS: &[&str] = &["::", "##["];

fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Human text to standard output: only styled output carries styles
/// (anstream strips them where the stream cannot show them).
fn write_stdout(text: &[u8], styled: bool) -> std::io::Result<()> {
    if styled {
        let mut out = anstream::stdout().lock();
        out.write_all(text)?;
        out.flush()
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text)?;
        out.flush()
    }
}

/// Inside GitHub Actions, a text with a line the runner would take as a
/// workflow command (`::add-mask::`, `##[group]`) is wrapped in
/// `::stop-commands::TOKEN` ... `::TOKEN::` with a random token, so that
/// no text from outside can drive the runner. Elsewhere it is unchanged.
pub fn ci_wrap(text: &str) -> std::borrow::Cow<'_, str> {
    // A line starts the text or follows a `\n` (`str::lines` also ends
    // lines at `\r\n`, whose line still follows a `\n`): substring searches
    // rather than a walk over every line of a megabyte report.
    let commands = || {
        WORKFLOW_COMMANDS
            .iter()
            .any(|m| text.starts_with(m) || text.contains(&format!("\n{m}")))
    };
    if !in_github_actions() || !commands() {
        return text.into();
    }
    let mut token = [0u8; 16];
    if getrandom::fill(&mut token).is_err() {
        // No randomness: show the text with every line indented instead.
        return plimsoll_report::text::block(&format!("\n{text}"), "  ")
            .into_owned()
            .into();
    }
    let token = hex::encode(token);
    let end = if text.ends_with('\n') { "" } else { "\n" };
    format!("::stop-commands::{token}\n{text}{end}::{token}::\n").into()
}

/// Plain text that may hold text from outside (plugin metadata, rule docs,
/// a plugin's stderr), for a terminal or a CI log: control characters and
/// escape sequences are shown visibly, then [`ci_wrap`].
pub fn guard_terminal(text: &str) -> String {
    ci_wrap(&plimsoll_report::text::block(text, "")).into_owned()
}

/// Standard output for listing commands (`rules`, `explain`, `plugin
/// inspect`, `plugin test`, `debug parse`): collected, then written through
/// [`guard_terminal`] when dropped.
#[derive(Default)]
pub struct Guarded {
    buf: Vec<u8>,
}

impl Guarded {
    pub fn stdout() -> Guarded {
        Guarded::default()
    }
}

impl Write for Guarded {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let text = guard_terminal(&String::from_utf8_lossy(&self.buf));
        let mut out = anstream::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// Writes one diagnostic (`error: ...`, `warning: ...`) to stderr through
/// the sanitising layer: its text quotes registries, plugins and file names,
/// so controls are shown visibly and no line of it starts a line of the log.
pub fn eprint(message: &str) {
    let kept = HELD.with_borrow_mut(|held| {
        held.as_mut()
            .map(|held: &mut Vec<String>| held.push(message.to_string()))
    });
    if kept.is_some() {
        return;
    }
    let text = plimsoll_report::text::block(message, "  ");
    anstream::eprintln!("{}", ci_wrap(&text));
}

thread_local! {
    /// The diagnostics [`held`] keeps back on this thread.
    static HELD: std::cell::RefCell<Option<Vec<String>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (on this thread) with the diagnostics it would write kept back,
/// and returns them with its result: work done ahead of time (a run's
/// plugins loaded while its files are found) says nothing unless the run
/// goes on to use it; [`eprint`] each to say it then.
pub fn held<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let before = HELD.replace(Some(Vec::new()));
    let out = f();
    let said = HELD.replace(before).unwrap_or_default();
    (out, said)
}

/// `eprintln!` for diagnostics, through [`eprint`].
#[macro_export]
macro_rules! diag {
    ($($arg:tt)*) => {
        $crate::output::eprint(&format!($($arg)*))
    };
}

pub(crate) fn print_errors(errors: &[plimsoll_report::RunError]) -> ExitCode {
    for e in errors {
        crate::diag!("error: {}: {}", e.kind, e.message);
    }
    if errors.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::CheckFailed
    }
}

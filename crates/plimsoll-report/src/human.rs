//! Human output: one block per finding with a source snippet, then a summary.
//! Colour only when the stream supports it (anstream honours `NO_COLOR`, TTYs and
//! `--color`).

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level as ALevel, Renderer, Snippet};

pub use crate::blocks::{BlockText, Blocks};
use crate::text::{self, block, line, source_with_offsets};
use crate::{Applicability, Level, Location, Report};

/// Options for the human reporter.
#[derive(Debug, Clone, Copy, Default)]
pub struct HumanOptions {
    /// Emit ANSI styles (the writer strips them when the stream cannot show them).
    pub styled: bool,
    /// Show fix descriptions.
    pub show_fixes: bool,
    /// The level at or above which the run fails, for the summary.
    pub fail_level: Option<Level>,
    /// Only the findings and errors: no summary (`--quiet`).
    pub quiet: bool,
}

impl HumanOptions {
    /// What in these options changes a finding's block (styles, fixes
    /// shown): blocks rendered with another tag are not reused.
    pub fn blocks_tag(&self) -> u8 {
        u8::from(self.styled) | (u8::from(self.show_fixes) << 1)
    }
}

/// The blocks of one target's `findings`, in the order given (the report's:
/// see [`crate::Finding::sort_key`]); `source`: the file's text.
pub fn target_blocks(
    path: &str,
    source: Option<&str>,
    findings: &[crate::Finding],
    opts: &HumanOptions,
) -> Blocks {
    let renderer = renderer(opts);
    let sources = |p: &str| (p == path).then_some(source).flatten();
    Blocks {
        tag: opts.blocks_tag(),
        findings: findings.len(),
        text: render_findings(&sources, findings, &renderer, opts).into(),
    }
}

fn renderer(opts: &HumanOptions) -> Renderer {
    if opts.styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// A stretch of the report's findings: one target's, with blocks kept for
/// them, or findings still to render (indices into the report's).
enum Piece<'a> {
    Kept(&'a [u8]),
    Render(std::ops::Range<usize>),
}

/// The human report as the pieces it is written from, in order: blocks kept
/// by the result cache (borrowed), blocks rendered by this report, then the
/// errors and the summary.
pub struct Rendered<'a> {
    kept: Vec<&'a [u8]>,
    rendered: Vec<String>,
    /// Which piece comes next: a kept one or a rendered one, by index.
    order: Vec<(bool, usize)>,
}

impl<'a> Rendered<'a> {
    /// The pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.order.iter().map(|&(kept, i)| {
            if kept {
                self.kept[i]
            } else {
                self.rendered[i].as_bytes()
            }
        })
    }

    /// Whether a line of the report starts with one of `prefixes`,
    /// wherever the pieces meet.
    pub fn has_line_starting_with(&self, prefixes: &[&str]) -> bool {
        let after_newline = |bytes: &[u8]| {
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .any(|(i, _)| {
                    let rest = &bytes[i + 1..];
                    prefixes.iter().any(|p| rest.starts_with(p.as_bytes()))
                })
        };
        let longest = prefixes.iter().map(|p| p.len()).max().unwrap_or(0);
        // The last bytes so far (a newline: the report's start), to find a
        // line that starts where one piece ends and the next begins.
        let mut tail = vec![b'\n'];
        for piece in self.pieces() {
            let mut seam = tail.clone();
            seam.extend_from_slice(&piece[..piece.len().min(longest)]);
            if after_newline(&seam) || after_newline(piece) {
                return true;
            }
            if piece.len() >= longest {
                tail = piece[piece.len() - longest..].to_vec();
            } else {
                tail.extend_from_slice(piece);
                tail.drain(..tail.len().saturating_sub(longest));
            }
        }
        false
    }

    /// Writes the report.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.pieces().try_for_each(|p| out.write_all(p))
    }

    /// The report as one string.
    pub fn to_text(&self) -> String {
        let mut out = Vec::with_capacity(self.pieces().map(<[u8]>::len).sum());
        for p in self.pieces() {
            out.extend_from_slice(p);
        }
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// The human report as one string (see [`render_pieces`]).
pub fn render(report: &Report, opts: &HumanOptions) -> String {
    render_pieces(report, opts).to_text()
}

/// The human report: each finding's block with its source snippet (copied
/// from [`Report::human_blocks`] where they were kept for exactly a target's
/// findings), the run errors, then the summary.
pub fn render_pieces<'a>(report: &'a Report, opts: &HumanOptions) -> Rendered<'a> {
    let renderer = renderer(opts);
    let findings = &report.findings;
    // Each target's findings are together (the report is sorted by
    // target): those whose blocks were kept for exactly them are copied.
    let tag = opts.blocks_tag();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut to_render = 0;
    for (target, run) in crate::blocks::by_target(findings) {
        match report.human_blocks.get(target) {
            Some(b) if b.tag == tag && b.findings == run.len() => {
                pieces.push(Piece::Kept(b.text.as_bytes()))
            }
            _ => {
                to_render += run.len();
                match pieces.last_mut() {
                    Some(Piece::Render(r)) if r.end == run.start => r.end = run.end,
                    _ => pieces.push(Piece::Render(run)),
                }
            }
        }
    }
    // Each finding's block stands alone: large reports are rendered on
    // every core, each worker a contiguous share of what is to render.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(to_render / 512)
        .max(1);
    let share = to_render.div_ceil(workers).max(1);
    let mut split: Vec<(Piece, usize)> = Vec::with_capacity(pieces.len() + workers);
    let mut done = 0;
    for piece in pieces {
        let Piece::Render(mut run) = piece else {
            split.push((piece, 0));
            continue;
        };
        while !run.is_empty() {
            let worker = done / share;
            let end = run.end.min(run.start + share * (worker + 1) - done);
            split.push((Piece::Render(run.start..end), worker));
            done += end - run.start;
            run.start = end;
        }
    }
    let sources = |p: &str| report.sources.get(p).map(String::as_str);
    let rendered: Vec<Vec<(usize, String)>> = std::thread::scope(|s| {
        let work: Vec<_> = (0..workers)
            .map(|w| {
                let (split, sources, renderer) = (&split, &sources, &renderer);
                s.spawn(move || {
                    split
                        .iter()
                        .enumerate()
                        .filter_map(|(i, (piece, owner))| match piece {
                            Piece::Render(run) if *owner == w => Some((
                                i,
                                render_findings(sources, &findings[run.clone()], renderer, opts),
                            )),
                            _ => None,
                        })
                        .collect()
                })
            })
            .collect();
        work.into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut slots: Vec<Option<String>> = vec![None; split.len()];
    for (i, text) in rendered.into_iter().flatten() {
        slots[i] = Some(text);
    }
    let mut report_pieces = Rendered {
        kept: Vec::new(),
        rendered: Vec::new(),
        order: Vec::with_capacity(split.len() + 1),
    };
    for ((piece, _), slot) in split.iter().zip(slots) {
        match (piece, slot) {
            (Piece::Kept(text), _) => {
                report_pieces.order.push((true, report_pieces.kept.len()));
                report_pieces.kept.push(text);
            }
            (Piece::Render(_), Some(text)) => {
                report_pieces
                    .order
                    .push((false, report_pieces.rendered.len()));
                report_pieces.rendered.push(text);
            }
            (Piece::Render(_), None) => {}
        }
    }
    let mut out = String::new();
    for e in &report.errors {
        let mut title = format!("{}: {}", e.kind, e.message);
        if let Some(t) = &e.target
            && !e.message.contains(t.as_str())
        {
            let _ = write!(title, " ({t})");
        }
        let title = block(&title, "  ");
        out.push_str(&renderer.render(&[Group::with_title(
            ALevel::ERROR.primary_title(title.as_ref()),
        )]));
        out.push_str("\n\n");
    }
    report_pieces
        .order
        .push((false, report_pieces.rendered.len()));
    report_pieces.rendered.push(with_summary(out, report, opts));
    report_pieces
}

/// The blocks of `findings`, each with its source snippet.
fn render_findings<'s>(
    sources_of: &(dyn Fn(&str) -> Option<&'s str> + Sync),
    findings: &[crate::Finding],
    renderer: &Renderer,
    opts: &HumanOptions,
) -> String {
    render_findings_by(sources_of, findings, renderer, opts, true).0
}

/// [`render_findings`], with how many blocks [`plain_block`] wrote;
/// `by_hand`: plain blocks it can write are written by it (false: every
/// block by annotate-snippets, which the tests compare it with).
fn render_findings_by<'s>(
    sources_of: &(dyn Fn(&str) -> Option<&'s str> + Sync),
    findings: &[crate::Finding],
    renderer: &Renderer,
    opts: &HumanOptions,
    by_hand: bool,
) -> (String, usize) {
    // About what a block takes (a title, two or three snippet lines, the
    // rule note): growing megabytes of blocks a few at a time copied them
    // over and over.
    let mut out = String::with_capacity(findings.len() * 512);
    let mut written_by_hand = 0;
    // Everything below that came from outside (messages, paths, rule names,
    // the Dockerfile's own text) goes through `text`: no control character
    // reaches the terminal, and no line of it starts a line of the output.
    // Remapped on first use: only files with findings pay for it.
    let mut sources = std::collections::HashMap::new();
    for f in findings {
        let message = block(&f.message, "  ");
        let rule_id = line(&f.rule_id);
        let level = match f.level {
            Level::Error => ALevel::ERROR,
            Level::Warning => ALevel::WARNING,
            Level::Note => ALevel::NOTE,
        };
        let mut group =
            Group::with_title(level.primary_title(message.as_ref()).id(rule_id.as_ref()));
        match &f.location {
            Location::File { path, region } => {
                let shown = sources_of(path).map(|src| {
                    &*sources
                        .entry(path.as_str())
                        .or_insert_with(|| Shown::new(src))
                });
                if let Some(shown) = shown {
                    let (lines, first_line, span) = shown.lines_around(region);
                    if by_hand
                        && !opts.styled
                        && plain_block(
                            &mut out,
                            &Plain {
                                finding: f,
                                message: &message,
                                path,
                                source: lines,
                                line: first_line,
                                span: span.clone(),
                                show_fixes: opts.show_fixes,
                            },
                        )
                    {
                        written_by_hand += 1;
                        continue;
                    }
                    group = group.element(
                        Snippet::source(lines)
                            .line_start(first_line)
                            .path(line(path))
                            .annotation(AnnotationKind::Primary.span(span)),
                    );
                } else {
                    group = group.element(
                        annotate_snippets::Origin::path(line(path))
                            .line(region.start.line as usize)
                            .char_column(region.start.column as usize),
                    );
                }
            }
            Location::Image {
                reference,
                path,
                layer,
            } => {
                let (reference, path) = (line(reference), line(path));
                let at = match layer {
                    Some(l) => format!("{reference}: {path} (layer {l})"),
                    None => format!("{reference}: {path}"),
                };
                group = group.element(annotate_snippets::Origin::path(at));
            }
            Location::Target { target } => {
                group = group.element(annotate_snippets::Origin::path(line(target).into_owned()));
            }
        }
        let also = if f.aliases.is_empty() {
            String::new()
        } else {
            format!("; also {}", line(&f.aliases.join(", ")))
        };
        group = group.element(ALevel::NOTE.message(format!(
            "rule {}{also} (plugin {})",
            line(&f.rule_name),
            line(&f.plugin)
        )));
        if opts.show_fixes {
            for fix in &f.fixes {
                let how = fix_how(fix.applicability);
                group = group
                    .element(ALevel::HELP.message(format!("{how}: {}", line(&fix.description))));
            }
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    (out, written_by_hand)
}

/// A finding whose block [`plain_block`] may write.
struct Plain<'a> {
    finding: &'a crate::Finding,
    /// Its message as shown.
    message: &'a str,
    path: &'a str,
    /// The whole lines its region touches, the number of the first, and
    /// the region within them (see `Shown::lines_around`).
    source: &'a str,
    line: usize,
    span: std::ops::Range<usize>,
    show_fixes: bool,
}

/// The longest source line [`plain_block`] writes: annotate-snippets cuts a
/// line around its span when the line and the gutter together are wider
/// than 137 columns (136 at line 1, 131 at line 100,000; probed on 0.12.17),
/// so 130 holds for line numbers of up to seven digits ([`PLAIN_LINES`]).
const PLAIN_LINE: usize = 130;

/// Blocks of lines numbered from here on are left to annotate-snippets.
const PLAIN_LINES: usize = 10_000_000;

/// Writes the plain (unstyled) block of the most common findings exactly
/// as annotate-snippets renders it, and says whether it did: a region
/// within one line of printable ASCII text (tabs included), or over
/// several such lines (a whole instruction, a command of a RUN). Anything
/// else (wide or hidden characters, an empty region, long or deeply
/// indented lines, blank lines in a region, a region ending at the start of
/// a line, styles) is left to annotate-snippets. Reporting the corpus's
/// 11,396 findings took 35-39 ms of a 0.3 s run, one finding at a time
/// through annotate-snippets; 16-18 ms with blocks of one line of up to
/// 100 columns written here. With regions over several lines (1,268) and
/// lines of up to 130 columns (618) written here too, a human report of
/// the corpus costs 4.4% more CPU than a concise one, down from 6.4%.
/// `tests::plain_blocks_are_what_annotate_snippets_renders` compares the
/// two on every line of a seventh of the corpus, and on regions from each
/// line over up to ten following ones.
fn plain_block(out: &mut String, p: &Plain) -> bool {
    let f = p.finding;
    let ascii = |s: &str| text::printable_ascii(s, b"");
    let texts_plain = ascii(p.message)
        && !p.message.is_empty()
        && !p.message.starts_with(' ')
        && !p.message.ends_with(' ')
        && ascii(&f.rule_id)
        && !f.rule_id.is_empty()
        && ascii(p.path)
        && ascii(&f.rule_name)
        && ascii(&f.plugin)
        && f.aliases.iter().all(|a| ascii(a))
        && (!p.show_fixes || f.fixes.iter().all(|x| ascii(&x.description)));
    let text = p.source.strip_suffix('\n').unwrap_or(p.source);
    if !texts_plain || p.span.start >= p.span.end || p.span.end > text.len() {
        return false;
    }
    let line_plain = |l: &str| {
        width(l) <= PLAIN_LINE && !l.ends_with([' ', '\t']) && text::printable_ascii(l, b"\t")
    };
    let first = text.split('\n').next().unwrap_or(text);
    // annotate-snippets cuts the leading whitespace of a line indented
    // more than 26 columns when the span starts past it too.
    let indent = first.len() - first.trim_start_matches([' ', '\t']).len();
    let lines = text.matches('\n').count() + 1;
    if p.line.saturating_add(lines - 1) >= PLAIN_LINES {
        return false;
    }
    let last_start = text.rfind('\n').map_or(0, |i| i + 1);
    let plain = if lines == 1 {
        line_plain(text) && width(&text[..indent]).min(width(&text[..p.span.start])) <= 20
    } else {
        // Several lines: the region must start on the first line (drawn
        // as `/` when in or at the end of its indentation, else underlined)
        // and end after the first character of the last line.
        p.span.start < first.len()
            && width(&first[..indent]) <= 20
            && !first.is_empty()
            && p.span.end > last_start
            && text.split('\n').all(|l| !l.is_empty() && line_plain(l))
    };
    if !plain {
        return false;
    }
    // The gutter is as wide as the last line's number; widths and fills by
    // `format!`'s own padding, not strings made for them.
    let last_line = p.line + lines - 1;
    let gutter = last_line.checked_ilog10().map_or(1, |d| d as usize + 1);
    let _ = write!(
        out,
        "{level}[{id}]: {message}\n{pad:gutter$}--> {path}:{line}:{column}\n{pad:gutter$} |\n",
        level = f.level.as_str(),
        id = f.rule_id,
        message = p.message,
        path = p.path,
        line = p.line,
        column = p.span.start + 1,
        pad = "",
    );
    if lines == 1 {
        let _ = writeln!(
            out,
            "{line} | {shown}\n{pad:gutter$} | {pad:indent$}{pad:^<carets$}",
            line = p.line,
            shown = tabs_shown(text),
            pad = "",
            indent = width(&text[..p.span.start]),
            carets = width(&text[p.span.start..p.span.end]),
        );
    } else {
        // Seven lines at most; more fold to the first four and last two.
        let folded = lines > 7;
        for (k, l) in text.split('\n').enumerate() {
            if folded && (4..lines - 2).contains(&k) {
                if k == 4 {
                    let _ = writeln!(out, "...{:gutter$}|", "");
                }
                continue;
            }
            let shown = tabs_shown(l);
            let n = p.line + k;
            if k > 0 {
                let _ = writeln!(out, "{n:>gutter$} | | {shown}");
            } else if p.span.start <= indent {
                let _ = writeln!(out, "{n:>gutter$} | / {shown}");
            } else {
                // Past the indentation, the start is underlined from the
                // bar's column.
                let _ = writeln!(
                    out,
                    "{n:>gutter$} |   {shown}\n{pad:gutter$} |  {pad:_<under$}^",
                    pad = "",
                    under = width(&l[..p.span.start]) + 1,
                );
            }
        }
        let _ = writeln!(
            out,
            "{pad:gutter$} | |{pad:_<under$}^",
            pad = "",
            under = width(&text[last_start..p.span.end]),
        );
    }
    let _ = write!(
        out,
        "{pad:gutter$} |\n{pad:gutter$} = note: rule {name}",
        pad = "",
        name = f.rule_name,
    );
    for (i, alias) in f.aliases.iter().enumerate() {
        out.push_str(if i == 0 { "; also " } else { ", " });
        out.push_str(alias);
    }
    let _ = write!(out, " (plugin {})", f.plugin);
    if p.show_fixes {
        for fix in &f.fixes {
            let _ = write!(
                out,
                "\n{:gutter$} = help: {}: {}",
                "",
                fix_how(fix.applicability),
                fix.description
            );
        }
    }
    out.push_str("\n\n");
    true
}

/// Columns a line of plain text takes: tabs show as four, everything else
/// here as one.
fn width(s: &str) -> usize {
    s.len() + 3 * s.bytes().filter(|b| *b == b'\t').count()
}

/// A line as annotate-snippets shows it: tabs as four spaces.
fn tabs_shown(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\t') {
        text.replace('\t', "    ").into()
    } else {
        text.into()
    }
}

fn fix_how(applicability: Applicability) -> &'static str {
    match applicability {
        Applicability::Safe => "fix available with --fix",
        Applicability::Unsafe => "fix available with --fix --unsafe-fixes",
        Applicability::DisplayOnly => "suggestion",
    }
}

/// A file's text as the human output shows it (controls made visible),
/// with where its lines start: a finding's snippet is cut from the lines
/// its region spans, so rendering it costs those lines, not the file (a
/// file with many findings is not re-read whole for each).
struct Shown<'a> {
    text: std::borrow::Cow<'a, str>,
    /// An offset in the file's text to one in `text`.
    map: Box<dyn Fn(usize) -> usize + 'a>,
    /// Where each line of `text` starts.
    line_starts: Vec<usize>,
}

impl<'a> Shown<'a> {
    fn new(src: &'a str) -> Shown<'a> {
        let (text, map) = source_with_offsets(src);
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Shown {
            text,
            map: Box::new(map),
            line_starts,
        }
    }

    /// The whole lines `region` touches, the number of the first, and the
    /// region within them.
    fn lines_around(&self, region: &crate::Region) -> (&str, usize, std::ops::Range<usize>) {
        let len = self.text.len();
        let start = (self.map)(region.start.offset as usize).min(len);
        let end = (self.map)(region.end.offset as usize).clamp(start, len);
        // A region at the very end of a text that ends with a newline is
        // on its last line, not on the empty one after it.
        let first = self
            .line_starts
            .partition_point(|&s| s <= start && (s < len || s == 0))
            - 1;
        let from = self.line_starts[first];
        // Through the end of the line `end` is on (its newline included).
        let to = self.text[end..].find('\n').map_or(len, |i| end + i + 1);
        (&self.text[from..to], first + 1, start - from..end - from)
    }
}

/// `--format concise`: one line per finding, `path:line:column: level[ID]
/// message`, as compilers and editor integrations (efm, ALE, Vim's
/// errorformat) read them; run errors as `error[kind]` lines.
pub fn concise(report: &Report, opts: &HumanOptions) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let at = match &f.location {
            Location::File { path, region } => {
                format!(
                    "{}:{}:{}",
                    line(path),
                    region.start.line,
                    region.start.column
                )
            }
            Location::Image {
                reference, path, ..
            } => format!("{}:{}", line(reference), line(path)),
            Location::Target { target } => line(target).into_owned(),
        };
        let _ = writeln!(
            out,
            "{at}: {}[{}] {}",
            f.level,
            line(&f.rule_id),
            line(&f.message)
        );
    }
    for e in &report.errors {
        let target = e.target.as_deref().map(line).unwrap_or_default();
        let _ = writeln!(
            out,
            "{}{}error[{}] {}",
            target,
            if target.is_empty() { "" } else { ": " },
            line(&e.kind),
            line(&e.message)
        );
    }
    with_summary(out, report, opts)
}

/// `--statistics`: how often each rule fired, most frequent first, with `[*]`
/// where a fix is available (ruff's layout).
pub fn statistics(report: &Report, opts: &HumanOptions) -> String {
    let mut counts: std::collections::BTreeMap<&str, (usize, bool, &str)> = Default::default();
    for f in &report.findings {
        let e = counts
            .entry(f.rule_id.as_str())
            .or_insert((0, false, f.rule_name.as_str()));
        e.0 += 1;
        e.1 |= f
            .fixes
            .iter()
            .any(|x| x.applicability != Applicability::DisplayOnly);
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let width = rows
        .iter()
        .map(|r| r.1.0.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for (id, (n, fixable, name)) in rows {
        let _ = writeln!(
            out,
            "{n:>width$}\t{}\t{}{}",
            line(id),
            if fixable { "[*] " } else { "" },
            line(name)
        );
    }
    if !report.errors.is_empty() {
        let _ = writeln!(out, "{:>width$}\trun errors", report.errors.len());
    }
    with_summary(out, report, opts)
}

/// `out` followed by the summary lines, unless `--quiet`.
fn with_summary(mut out: String, report: &Report, opts: &HumanOptions) -> String {
    if !opts.quiet {
        out.push_str(&summary(report, opts));
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing summary line(s).
pub fn summary(report: &Report, opts: &HumanOptions) -> String {
    let count = |l: Level| report.findings.iter().filter(|f| f.level == l).count();
    let (e, w, n) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note),
    );
    let targets = report.targets.len();
    let mut s = String::new();
    if report.findings.is_empty() {
        let _ = write!(
            s,
            "No problems found in {}.",
            plural(targets, "target", "targets")
        );
    } else {
        let mut parts = Vec::new();
        if e > 0 {
            parts.push(plural(e, "error", "errors"));
        }
        if w > 0 {
            parts.push(plural(w, "warning", "warnings"));
        }
        if n > 0 {
            parts.push(plural(n, "note", "notes"));
        }
        let _ = write!(
            s,
            "Found {} ({}) in {}.",
            plural(report.findings.len(), "problem", "problems"),
            parts.join(", "),
            plural(targets, "target", "targets")
        );
    }
    let fixable = report
        .findings
        .iter()
        .filter(|f| {
            f.fixes
                .iter()
                .any(|x| x.applicability == Applicability::Safe)
        })
        .count();
    if fixable > 0 {
        let _ = write!(
            s,
            " {} fixable with `--fix`.",
            plural(fixable, "problem is", "problems are")
        );
    }
    if report.fixed > 0 {
        let _ = write!(s, " Fixed {}", plural(report.fixed, "problem", "problems"));
        match report.updated() {
            0 => s.push('.'),
            n => {
                let _ = write!(s, " ({} updated).", plural(n, "pin", "pins"));
            }
        }
    }
    if report.suppressed > 0 {
        let _ = write!(
            s,
            " {} suppressed by ignores.",
            plural(report.suppressed, "finding", "findings")
        );
    }
    if !report.errors.is_empty() {
        let _ = write!(
            s,
            "\n{} could not run; the result is incomplete.",
            plural(report.errors.len(), "check", "checks")
        );
    }
    if let Some(level) = opts.fail_level
        && report.findings.iter().any(|f| f.level >= level)
    {
        let _ = write!(
            s,
            "\nFailing: findings at or above `{level}` (set with --fail-on)."
        );
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Position, Region};

    /// Findings on every line of every seventh Dockerfile of `../shared/corpus`
    /// (the whole line, each word, the first character, the last), with
    /// and without aliases and fixes, at every level: the blocks written by
    /// hand are the ones annotate-snippets renders, and most are written
    /// by hand.
    #[test]
    fn plain_blocks_are_what_annotate_snippets_renders() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/dockerfiles");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("../shared/corpus/dockerfiles")
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let at = |text: &str, start: usize, end: usize| {
            let position = |o: usize| {
                let before = &text[..o];
                Position {
                    line: before.matches('\n').count() as u32 + 1,
                    column: (o - before.rfind('\n').map_or(0, |i| i + 1)) as u32 + 1,
                    offset: o as u32,
                }
            };
            Region {
                start: position(start),
                end: position(end),
            }
        };
        let (mut compared, mut compared_multi) = (0, 0);
        let (mut by_hand, mut by_hand_multi) = (0, 0);
        // Every seventh file: annotate-snippets unoptimised is slow.
        for (n, file) in files.iter().enumerate().step_by(7) {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let path = file.display().to_string();
            let mut findings = Vec::new();
            let lines: Vec<(usize, &str)> = text
                .split_inclusive('\n')
                .scan(0, |at, l| {
                    *at += l.len();
                    Some((*at - l.len(), l))
                })
                .collect();
            for (n_line, &(start, l)) in lines.iter().enumerate() {
                let content = l.trim_end_matches(['\n', '\r']);
                let mut spans = vec![(0, content.len()), (0, 1.min(content.len()))];
                spans.push((content.len().saturating_sub(1), content.len()));
                let words = content.match_indices(' ').take(3);
                spans.extend(words.clone().map(|(i, _)| (0, i)));
                spans.extend(words.map(|(i, _)| (i + 1, content.len())));
                spans.push((0, l.len()));
                // Over up to ten more lines, from the line's start or its
                // first word, to the end of a later line, before its
                // continuation, into its first character, or past its
                // newline.
                let indent = content.len() - content.trim_start().len();
                for (k, &(later, next)) in lines.iter().skip(n_line + 1).take(10).enumerate() {
                    let next_content = next.trim_end_matches(['\n', '\r']);
                    let to = later - start;
                    let ends = [
                        next_content.len(),
                        next_content.trim_end_matches([' ', '\\']).len(),
                        1.min(next_content.len()),
                        0,
                        next.len(),
                    ];
                    let starts = [0, indent, indent + 1];
                    spans.push((starts[k % 3], to + ends[k % 5]));
                    spans.push((starts[(k + 1) % 3], to + ends[(k + 2) % 5]));
                }
                for (i, (a, b)) in spans.into_iter().enumerate() {
                    if !text.is_char_boundary(start + a) || !text.is_char_boundary(start + b) {
                        continue;
                    }
                    let level = [Level::Note, Level::Warning, Level::Error][(i + n) % 3];
                    let mut f = crate::Finding::new(
                        ["PL3001", "DL3008", "CKV_DOCKER_3"][i % 3],
                        level,
                        [
                            "`x` is not pinned",
                            "a message: with `code` in it",
                            " spaced ",
                        ][i % 5 / 2],
                        Location::File {
                            path: path.clone(),
                            region: at(&text, start + a, start + b),
                        },
                    );
                    f.rule_name = "missing-user".into();
                    f.plugin = "lint".into();
                    if i % 2 == 0 {
                        f.aliases = vec!["DS002".into(), "CKV_DOCKER_3".into()];
                    }
                    if i % 4 == 1 {
                        f.fixes = vec![crate::Fix {
                            description: "add `--no-cache`".into(),
                            applicability: crate::Applicability::Safe,
                            edits: vec![],
                        }];
                    }
                    findings.push(f);
                }
            }
            let sources = |p: &str| (p == path).then_some(text.as_str());
            for show_fixes in [false, true] {
                let opts = HumanOptions {
                    show_fixes,
                    ..HumanOptions::default()
                };
                let r = Renderer::plain();
                // Fixes are shown only for findings that have some.
                let shown: Vec<_> = findings
                    .iter()
                    .filter(|f| !show_fixes || !f.fixes.is_empty())
                    .cloned()
                    .collect();
                // All of a file's blocks at once (the file's lines are
                // found once); one at a time only to name the one that
                // differs.
                let (hand, written) = render_findings_by(&sources, &shown, &r, &opts, true);
                let (snippets, _) = render_findings_by(&sources, &shown, &r, &opts, false);
                if hand != snippets {
                    for f in &shown {
                        let one = std::slice::from_ref(f);
                        let (hand, _) = render_findings_by(&sources, one, &r, &opts, true);
                        let (snippets, _) = render_findings_by(&sources, one, &r, &opts, false);
                        assert_eq!(hand, snippets, "{path}: {:?}", f.location);
                    }
                }
                let multi: Vec<_> = shown
                    .iter()
                    .filter(|f| match &f.location {
                        Location::File { region, .. } => region.start.line != region.end.line,
                        _ => false,
                    })
                    .cloned()
                    .collect();
                compared += shown.len();
                compared_multi += multi.len();
                by_hand += written;
                by_hand_multi += render_findings_by(&sources, &multi, &r, &opts, true).1;
            }
        }
        // Blank lines, long ones, the newline and the spaced message
        // are left to annotate-snippets.
        eprintln!(
            "{compared} blocks compared, {by_hand} by hand; over several lines {compared_multi}, {by_hand_multi} by hand"
        );
        assert!(compared > 20_000, "{compared} blocks compared");
        assert!(by_hand * 4 > compared, "{by_hand} of {compared} by hand");
        assert!(
            by_hand_multi * 10 > compared_multi,
            "{by_hand_multi} of {compared_multi} over several lines by hand"
        );
    }

    /// A snippet cut to the lines a region spans renders as the whole file
    /// did (annotate-snippets folds away the lines without annotations).
    #[test]
    fn a_snippet_of_the_spanned_lines_renders_as_the_whole_file() {
        let texts = [
            "FROM a\nRUN b\nRUN c\n",
            "FROM a\nRUN b \\\n  && c\nUSER d",
            "FROM a\r\nRUN b\r\n\r\nRUN \u{1b}[31mc\r\n",
            "# only a comment\n\n",
            "",
        ];
        let renderer = Renderer::plain();
        for text in texts {
            let idx = plimsoll_dockerfile::LineIndex::new(text);
            let pos = |o: usize| {
                let p = idx.position(text, o);
                Position {
                    line: p.line,
                    column: p.column,
                    offset: p.offset,
                }
            };
            let shown = Shown::new(text);
            let offsets: Vec<usize> = (0..=text.len())
                .filter(|&o| text.is_char_boundary(o))
                .collect();
            for (i, &start) in offsets.iter().enumerate() {
                for &end in offsets[i..].iter().step_by(3) {
                    let region = Region {
                        start: pos(start),
                        end: pos(end),
                    };
                    let (whole, map) = source_with_offsets(text);
                    let s = map(start).min(whole.len());
                    let e = map(end).clamp(s, whole.len());
                    let render = |snippet: Snippet<'_, _>| {
                        renderer.render(&[Group::with_title(ALevel::WARNING.primary_title("m"))
                            .element(snippet.path("Dockerfile"))])
                    };
                    let want = render(
                        Snippet::source(whole.as_ref())
                            .annotation(AnnotationKind::Primary.span(s..e)),
                    );
                    let (lines, first, span) = shown.lines_around(&region);
                    let got = render(
                        Snippet::source(lines)
                            .line_start(first)
                            .annotation(AnnotationKind::Primary.span(span)),
                    );
                    assert_eq!(got, want, "{text:?} {start}..{end}");
                }
            }
        }
    }
}

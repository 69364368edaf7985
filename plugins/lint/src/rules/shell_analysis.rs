//! What the ShellCheck-style rules (PL21xx) share: the scripts of every RUN
//! with their syntax trees, spans in the Dockerfile, and which variables are
//! known not to split — the Dockerfile context ShellCheck lacks.

use rustc_hash::FxHashMap as HashMap;

use plimsoll_analysis::shell::RunScript;
use plimsoll_analysis::shell::syntax::{ParameterRef, PartKind, Quoting, ShWord, Syntax};
use plimsoll_plugin_sdk::dockerfile::{Dockerfile, Instruction, Span};

use crate::Ctx;
use crate::util;

/// A script and the instruction it belongs to.
pub struct Script<'a> {
    pub ins: &'a Instruction,
    pub script: &'a RunScript,
}

impl<'a> Script<'a> {
    pub fn syntax(&self) -> &'a Syntax {
        self.script.syntax()
    }

    /// The Dockerfile span of script bytes `start..end` (the instruction's when
    /// the script's bytes do not map: exec form).
    pub fn span(&self, start: usize, end: usize) -> Span {
        self.script
            .span(self.ins, start, end)
            .unwrap_or(self.ins.span)
    }

    pub fn word_span(&self, w: &ShWord) -> Span {
        self.span(w.start, w.end)
    }
}

/// Every script shell rules look at, in file order. Scripts that do not parse
/// are the syntax rule's alone (`parsed_only`).
pub fn scripts<'a>(ctx: &'a Ctx, parsed_only: bool) -> Vec<Script<'a>> {
    ctx.runs
        .iter()
        .flat_map(|run| {
            run.scripts.iter().map(move |script| Script {
                ins: run.ins,

                script,
            })
        })
        .filter(|s| !parsed_only || s.syntax().error.is_none())
        .collect()
}

/// Whether `value`, expanded unquoted, would split into words or glob.
pub fn splits(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '*' | '?' | '[' | ']'))
}

/// Variables whose unquoted expansion is not reported: assigned only values
/// that cannot split in the script (literal words, numbers such as `$?`,
/// strings of such parts), loop variables over such words, and the
/// Dockerfile's ARG/ENV variables in scope. Those are the image author's own
/// settings, often word lists meant to split (`ENV PHPIZE_DEPS="autoconf
/// gcc"` then `apk add $PHPIZE_DEPS`); hadolint gives ShellCheck every ARG/ENV
/// as `export NAME=1` for the same reason.
pub struct SafeVariables<'a> {
    df: &'a Dockerfile,
    ins: &'a Instruction,
    /// name -> (every assignment in the script is a safe literal, where the
    /// first unconditional assignment is)
    script: HashMap<&'a str, (bool, usize)>,
}

impl<'a> SafeVariables<'a> {
    pub fn new<'c: 'a>(ctx: &Ctx<'c>, s: &Script<'a>) -> Self {
        let syntax = s.syntax();
        // (name, value — None when it comes from outside —, where it is
        // assigned in this shell)
        let mut assigned: Vec<(&str, Option<&ShWord>, Option<usize>)> = Vec::new();
        for c in &syntax.commands {
            // `read x`, `getopts o x`: values from outside.
            if c.is("read") || c.is("getopts") || c.is("mapfile") || c.is("readarray") {
                for w in c.args().iter().filter(|w| !w.raw.starts_with('-')) {
                    assigned.push((leak_name(syntax, w), None, None));
                }
            }
            for a in &c.assignments {
                // Inside `$(...)` the assignment is a subshell's.
                let here = (c.depth == 0).then_some(a.start);
                assigned.push((a.name.as_str(), a.value.as_ref(), here));
            }
        }
        for f in &syntax.for_loops {
            // Loop variables over literal words only (ShellCheck's judgement:
            // the items of a split variable are not known).
            let literal = f.values.iter().all(|v| v.literal().is_some());
            for v in &f.values {
                assigned.push((f.variable.as_str(), literal.then_some(v), Some(0)));
            }
        }
        let mut script: HashMap<&str, (bool, usize)> = HashMap::default();
        for (name, _, at) in &assigned {
            let e = script.entry(name).or_insert((true, usize::MAX));
            e.1 = e.1.min(at.unwrap_or(usize::MAX));
        }
        let mut vars = SafeVariables {
            df: ctx.df(),
            ins: s.ins,
            script,
        };
        // A value is safe when its parts are: literal words, numbers, and
        // variables that are safe themselves. Start from "all safe" and
        // remove until nothing changes.
        loop {
            let unsafe_now: Vec<&str> = assigned
                .iter()
                .filter(|(name, value, _)| {
                    vars.script.get(name).is_some_and(|e| e.0)
                        && !value.is_some_and(|v| vars.value_safe(v))
                })
                .map(|(name, _, _)| *name)
                .collect();
            if unsafe_now.is_empty() {
                break;
            }
            for name in unsafe_now {
                if let Some(e) = vars.script.get_mut(name) {
                    e.0 = false;
                }
            }
        }
        vars
    }

    /// Whether a word, expanded unquoted, stays one word without globs.
    fn value_safe(&self, w: &ShWord) -> bool {
        w.parts.iter().all(|p| match &p.kind {
            PartKind::Literal(t) => !splits(t),
            PartKind::Parameter(r) => self.safe(r, usize::MAX),
            PartKind::Arithmetic | PartKind::Tilde => true,
            PartKind::CommandSubstitution { .. } => false,
        })
    }

    /// Whether expanding `p` unquoted at byte `at` keeps one word, no glob. A
    /// script variable is safe after its first assignment when every value
    /// assigned is (before that, or where no branch assigned it, it is unset,
    /// which expands to nothing: no splitting either, but ShellCheck's rule
    /// still asks for quotes before any assignment).
    pub fn safe(&self, p: &ParameterRef, at: usize) -> bool {
        if p.is_numeric() {
            return true;
        }
        if let Some(&(safe, first)) = self.script.get(p.name.as_str()) {
            return safe && first < at;
        }
        if p.is_special() {
            return false;
        }
        util::variable_known(self.df, self.ins, &p.name)
    }
}

/// The name a `read` operand assigns (its literal text).
fn leak_name<'s>(syntax: &'s Syntax, w: &ShWord) -> &'s str {
    // Look the name up among the script's strings so the map can borrow it.
    syntax
        .commands
        .iter()
        .flat_map(|c| c.words.iter())
        .find(|x| x.start == w.start)
        .map_or("", |x| x.raw.as_str())
}

/// The parameter expansions of `w` that are not quoted.
pub fn unquoted_parameters(w: &ShWord) -> impl Iterator<Item = (&ParameterRef, usize, usize)> {
    w.parts.iter().filter_map(|p| match &p.kind {
        PartKind::Parameter(r) if p.quoting == Quoting::None => Some((r, p.start, p.end)),
        _ => None,
    })
}

/// Whether the script stops at the first failing command: `set -e` (or
/// `-o errexit`) in the script, or the shell started with it.
pub fn errexit(s: &Script) -> bool {
    s.script.shell_option("errexit")
        || s.syntax().commands.iter().any(|c| {
            c.is("set")
                && c.args().iter().any(|a| {
                    let a = a.raw.as_str();
                    a == "errexit"
                        || (a.starts_with('-') && !a.starts_with("--") && a.contains('e'))
                })
        })
}

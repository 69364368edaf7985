//! What RUN runs, in two views of one parse ([`syntax`], brush-parser's tree):
//! the commands ([`Command`]: simple commands with the separators around them,
//! words with quotes removed and offsets kept, environment assignments and
//! redirections set aside, wrappers such as `sudo`/`env` looked through,
//! `$(...)`/backticks and `sh -c '...'` one level deeper), for rules that ask
//! "which commands run, with which arguments"; and the syntax tree itself, for
//! rules that ask about quoting, expansions and control flow (ShellCheck's).
//!
//! A script the shell cannot parse has no commands after the point where it
//! fails (an unterminated quote keeps those before it); PL2101 reports it.
//!
//! [`scripts`] gives the scripts of a RUN instruction (shell form, exec form,
//! heredoc bodies), with offsets mapped back to the Dockerfile's bytes so a rule
//! can offer an exact fix.

mod parsed;
pub mod syntax;

use plimsoll_dockerfile::{Dockerfile, Instruction, Span};

/// One word of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Quotes and escapes removed; `$VAR` and `$(...)` kept as written.
    pub value: String,
    /// As written.
    pub raw: String,
    /// Byte range in the parsed text.
    pub start: usize,
    pub end: usize,
    /// Any part was quoted.
    pub quoted: bool,
    /// Contains a variable or command substitution.
    pub expansion: bool,
}

impl Word {
    pub fn is(&self, s: &str) -> bool {
        self.value == s
    }
}

/// What separates a command from its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    /// Start of the script or of a nested script.
    Start,
    And,
    Or,
    Semi,
    Pipe,
    Background,
    Newline,
    /// End of the script.
    End,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<Word>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Redirection targets (`> /dev/null`), and heredoc delimiters.
    pub redirects: Vec<Word>,
    pub before: Sep,
    pub after: Sep,
    /// 0 at top level; 1 inside `$(...)`, backticks or `sh -c`, and so on.
    pub depth: u32,
    /// Byte range in the parsed text (first to last word).
    pub start: usize,
    pub end: usize,
    /// Word offsets are exact. False inside a nested script whose text had to
    /// be unquoted first (`sh -c "a \"b\""`): offsets then cover the outer command.
    pub exact: bool,
    /// Index in `words` of the program run (looking through wrappers), computed
    /// once when parsed.
    program: Option<usize>,
    /// Where the program's basename starts in its word.
    name_at: usize,
}

/// Commands that run another command given as their arguments.
const WRAPPERS: &[&str] = &[
    "sudo",
    "env",
    "nohup",
    "exec",
    "command",
    "time",
    "nice",
    "ionice",
    "stdbuf",
    "xargs",
    "doas",
    "gosu",
    "su-exec",
    "chroot",
    "timeout",
    "eatmydata",
    "unbuffer",
    "builtin",
];

/// The last path component: `/usr/bin/apt-get` -> `apt-get`.
pub fn basename(s: &str) -> &str {
    match s.as_bytes().iter().rposition(|&b| b == b'/') {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

impl Command {
    /// Index in `words` of the program actually run, looking through wrappers such
    /// as `sudo -E`, `env A=b`, `timeout 10`, `nice -n 5`, `xargs -r`.
    pub fn program_index(&self) -> Option<usize> {
        self.program
    }

    fn find_program(&self) -> Option<usize> {
        let mut i = 0;
        while i < self.words.len() {
            let name = basename(&self.words[i].value);
            if !WRAPPERS.contains(&name) {
                return Some(i);
            }
            i += 1;
            // Skip the wrapper's own options and operands.
            while i < self.words.len() {
                let w = &self.words[i].value;
                let takes_value = match name {
                    "sudo" | "doas" => matches!(
                        w.as_str(),
                        "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U"
                    ),
                    "nice" | "ionice" => matches!(w.as_str(), "-n" | "-c"),
                    "timeout" => matches!(w.as_str(), "-s" | "-k" | "--signal" | "--kill-after"),
                    "xargs" => matches!(
                        w.as_str(),
                        "-n" | "-I" | "-P" | "-L" | "-s" | "-d" | "-E" | "-a"
                    ),
                    "stdbuf" => false,
                    "chroot" => false,
                    "env" => matches!(w.as_str(), "-u" | "-C" | "-S"),
                    _ => false,
                };
                if w.starts_with('-') && w.len() > 1 {
                    i += if takes_value { 2 } else { 1 };
                } else if (name == "env" && w.contains('='))
                    || (name == "timeout" && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                {
                    // env's assignments, timeout's duration.
                    i += 1;
                } else if matches!(name, "chroot" | "gosu" | "su-exec") {
                    // First operand is the root/user.
                    i += 1;
                    break;
                } else {
                    break;
                }
            }
        }
        None
    }

    /// The program run (basename), looking through wrappers.
    pub fn name(&self) -> Option<&str> {
        self.program_index()
            .map(|i| &self.words[i].value[self.name_at..])
    }

    /// The arguments of the program run.
    pub fn args(&self) -> &[Word] {
        match self.program_index() {
            Some(i) => &self.words[i + 1..],
            None => &[],
        }
    }

    /// Whether the program is `name`.
    pub fn is(&self, name: &str) -> bool {
        self.name() == Some(name)
    }

    /// Whether an argument is one of the given flags. Long flags match
    /// `--flag` and `--flag=value`; a short flag also matches inside a bundle
    /// (`-qy` has `y`).
    pub fn has_flag(&self, short: &[char], long: &[&str]) -> bool {
        self.flag_index(short, long).is_some()
    }

    /// Index in [`Command::args`] of the first matching flag.
    pub fn flag_index(&self, short: &[char], long: &[&str]) -> Option<usize> {
        self.args().iter().position(|a| {
            let v = a.value.as_str();
            if let Some(l) = v.strip_prefix("--") {
                let name = l.split('=').next().unwrap_or(l);
                long.iter().any(|x| x.trim_start_matches('-') == name)
            } else if let Some(s) = v.strip_prefix('-') {
                !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_alphanumeric())
                    && s.chars().any(|c| short.contains(&c))
            } else {
                false
            }
        })
    }

    /// The value of a flag: `--flag=value`, `--flag value`, `-f value`.
    pub fn flag_value(&self, short: &[char], long: &[&str]) -> Option<&str> {
        let args = self.args();
        let i = self.flag_index(short, long)?;
        let v = &args[i].value;
        if let Some((_, val)) = v.split_once('=') {
            return Some(val);
        }
        args.get(i + 1).map(|w| w.value.as_str())
    }

    /// Arguments that are not flags, skipping the values of flags listed in
    /// `takes_value` (as `-o` or `--option`).
    pub fn operands<'a>(&'a self, takes_value: &[&str]) -> Vec<(usize, &'a Word)> {
        let args = self.args();
        let mut out = Vec::new();
        let mut i = 0;
        let mut only_operands = false;
        while i < args.len() {
            let v = args[i].value.as_str();
            if !only_operands && v == "--" {
                only_operands = true;
                i += 1;
                continue;
            }
            if !only_operands && v.starts_with('-') && v.len() > 1 {
                let name = v.split('=').next().unwrap_or(v);
                let attached = v.contains('=');
                let skip_next = !attached
                    && (takes_value.contains(&name)
                        // `-oFoo` carries its value; `-o Foo` does not.
                        || (name.len() == 2 && takes_value.contains(&name)));
                i += if skip_next { 2 } else { 1 };
                continue;
            }
            out.push((i, &args[i]));
            i += 1;
        }
        out
    }

    /// The first operand (a subcommand such as `install`).
    pub fn subcommand(&self, takes_value: &[&str]) -> Option<&Word> {
        self.operands(takes_value)
            .into_iter()
            .next()
            .map(|(_, w)| w)
    }
}

/// A parsed script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

impl Script {
    /// Commands running `name` (looking through wrappers).
    pub fn commands_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Command> + 'a {
        self.commands.iter().filter(move |c| c.is(name))
    }

    /// Whether any command runs `name`.
    pub fn runs(&self, name: &str) -> bool {
        self.commands_named(name).next().is_some()
    }
}

/// Parses shell text (bash's grammar, which accepts every POSIX script).
pub fn parse(text: &str) -> Script {
    from_syntax(text, &syntax::parse(text, syntax::Dialect::Bash))
}

/// The commands of a syntax tree of `text`, in the order they are written,
/// with the scripts of `sh -c '...'` parsed too (one level deeper).
pub fn from_syntax(text: &str, tree: &syntax::Syntax) -> Script {
    // A command of redirections only (`> file`, a heredoc alone) runs nothing.
    let mut out: Vec<Command> = tree
        .commands
        .iter()
        .filter(|c| !c.words.is_empty() || !c.assignments.is_empty())
        .map(|c| command(text, c))
        .collect();
    let mut nested = Vec::new();
    for c in &out {
        let Some((script, base)) = shell_c_script(c) else {
            continue;
        };
        for mut n in parse(&script).commands {
            n.depth += c.depth + 1;
            match base {
                Some(base) => shift(&mut n, base),
                None => {
                    // The script had to be unquoted first: offsets cover the
                    // outer command.
                    n.exact = false;
                    n.start = c.start;
                    n.end = c.end;
                    for w in n
                        .words
                        .iter_mut()
                        .chain(&mut n.assignments)
                        .chain(&mut n.redirects)
                    {
                        w.start = c.start;
                        w.end = c.end;
                    }
                }
            }
            nested.push(n);
        }
    }
    out.extend(nested);
    out.sort_by_key(|c| c.start);
    Script { commands: out }
}

/// A [`Word`] of the splitter's model from a word of the syntax tree: quotes
/// and escapes removed, expansions kept as written.
fn word(w: &syntax::ShWord) -> Word {
    let mut value = String::new();
    let mut expansion = false;
    for p in &w.parts {
        match &p.kind {
            syntax::PartKind::Literal(t) => value.push_str(t),
            kind => {
                expansion |= !matches!(kind, syntax::PartKind::Tilde);
                let raw = w
                    .raw
                    .get(p.start.saturating_sub(w.start)..p.end.saturating_sub(w.start))
                    .unwrap_or("");
                value.push_str(raw);
            }
        }
    }
    Word {
        value,
        raw: w.raw.clone(),
        start: w.start,
        end: w.end,
        quoted: w.quoted(),
        expansion,
    }
}

fn command(text: &str, c: &syntax::SimpleCommand) -> Command {
    // Assignments before the command name (`export A=b` operands are words).
    let assignments = c
        .assignments
        .iter()
        .filter(|a| !c.words.iter().any(|w| w.start == a.start))
        .map(|a| {
            let value = a.value.as_ref().map(word);
            Word {
                value: format!(
                    "{}={}",
                    a.name,
                    value.as_ref().map_or("", |v| v.value.as_str())
                ),
                raw: text.get(a.start..a.end).unwrap_or("").to_string(),
                start: a.start,
                end: a.end,
                quoted: value.as_ref().is_some_and(|v| v.quoted),
                expansion: value.as_ref().is_some_and(|v| v.expansion),
            }
        })
        .collect();
    let mut cmd = Command {
        assignments,
        words: c.words.iter().map(word).collect(),
        redirects: c.redirect_targets.iter().map(word).collect(),
        before: c.before,
        after: c.after,
        depth: c.depth,
        start: c.start,
        end: c.end,
        exact: true,
        program: None,
        name_at: 0,
    };
    cmd.program = cmd.find_program();
    if let Some(i) = cmd.program {
        cmd.name_at = cmd.words[i].value.rfind('/').map_or(0, |p| p + 1);
    }
    cmd
}

fn shift(c: &mut Command, base: usize) {
    c.start += base;
    c.end += base;
    for w in c
        .words
        .iter_mut()
        .chain(&mut c.assignments)
        .chain(&mut c.redirects)
    {
        w.start += base;
        w.end += base;
    }
}

fn shell_c_script(cmd: &Command) -> Option<(String, Option<usize>)> {
    let name = cmd.name()?;
    if !matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "su") {
        return None;
    }
    let args = cmd.args();
    let i = args.iter().position(|a| {
        let v = a.value.as_str();
        v == "-c"
            || (v.starts_with('-') && !v.starts_with("--") && v.ends_with('c') && v.len() <= 4)
    })?;
    let script = args.get(i + 1)?;
    let base = (script.raw.starts_with('\'')
        && script.raw.ends_with('\'')
        && script.raw.len() >= 2
        && script.raw.len() - 2 == script.value.len())
    .then_some(script.start + 1);
    Some((script.value.clone(), base))
}

/// A script of a RUN instruction, with a way to map its offsets to the
/// Dockerfile's bytes.
#[derive(Debug, Clone)]
pub struct RunScript {
    pub script: std::sync::Arc<Script>,
    /// Where it came from.
    pub origin: ScriptOrigin,
    map: OffsetMap,
    /// The text run, as the shell receives it (exec-form words joined).
    pub text: String,
    /// The shell that runs it: the stage's `SHELL` (default `/bin/sh -c`), or a
    /// heredoc's shebang.
    pub shell: Vec<String>,
    syntax: std::sync::Arc<syntax::Syntax>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptOrigin {
    /// `RUN cmd` (shell form).
    ShellForm,
    /// `RUN ["sh", "-c", "cmd"]` or `RUN ["cmd", "arg"]`.
    ExecForm,
    /// A heredoc body run as a script (index into `heredocs`).
    Heredoc(usize),
}

#[derive(Debug, Clone)]
enum OffsetMap {
    /// Offsets are into `Instruction::original`, starting at `base`.
    Original { base: usize },
    /// Offsets are into the source, starting at `base`.
    Source { base: usize },
    /// No mapping (exec form): whole instruction.
    None,
}

impl RunScript {
    /// Parses `text` (followed by the heredoc bodies the shell reads after it,
    /// if any) once: the commands and the syntax tree come from the same parse.
    fn new(
        text: String,
        origin: ScriptOrigin,
        map: OffsetMap,
        shell: Vec<String>,
        heredoc_text: String,
    ) -> Self {
        let dialect = shell
            .first()
            .and_then(|p| syntax::Dialect::of_program(p))
            .unwrap_or(syntax::Dialect::Sh);
        let full = if heredoc_text.is_empty() {
            std::borrow::Cow::Borrowed(text.as_str())
        } else {
            std::borrow::Cow::Owned(format!("{text}\n{heredoc_text}"))
        };
        let (script, tree) = parsed::parse(&full, dialect);
        RunScript {
            script,
            origin,
            map,
            text,
            shell,
            syntax: tree,
        }
    }

    /// The dialect of the shell that runs the script.
    pub fn dialect(&self) -> syntax::Dialect {
        self.shell
            .first()
            .and_then(|p| syntax::Dialect::of_program(p))
            .unwrap_or(syntax::Dialect::Sh)
    }

    /// Whether the shell runs with option `name` set (`SHELL ["/bin/bash", "-o",
    /// "pipefail", "-c"]`, `-e`, `-eux`).
    pub fn shell_option(&self, name: &str) -> bool {
        let letter = match name {
            "errexit" => Some('e'),
            "nounset" => Some('u'),
            _ => None,
        };
        self.shell.windows(2).any(|w| w[0] == "-o" && w[1] == name)
            || self.shell.iter().skip(1).any(|a| {
                a.strip_prefix('-')
                    .is_some_and(|f| !f.starts_with('-') && letter.is_some_and(|l| f.contains(l)))
            })
    }

    /// The shell's syntax tree of the script (and of the heredoc bodies a
    /// command line feeds it).
    pub fn syntax(&self) -> &syntax::Syntax {
        &self.syntax
    }

    /// The source span of a range of the script, when it can be mapped.
    pub fn span(&self, ins: &Instruction, start: usize, end: usize) -> Option<Span> {
        match self.map {
            OffsetMap::Original { base } => Some(ins.original_span(base + start, base + end)),
            OffsetMap::Source { base } => Some(Span::new(base + start, base + end)),
            OffsetMap::None => None,
        }
    }

    /// The source span of a word, or the instruction's span when unmappable.
    pub fn word_span(&self, ins: &Instruction, w: &Word) -> Span {
        self.span(ins, w.start, w.end).unwrap_or(ins.span)
    }

    /// The source span of a command, or the instruction's span.
    pub fn command_span(&self, ins: &Instruction, c: &Command) -> Span {
        self.span(ins, c.start, c.end).unwrap_or(ins.span)
    }

    /// Whether offsets map exactly to the file (fixes are possible).
    pub fn fixable(&self) -> bool {
        !matches!(self.map, OffsetMap::None)
    }

    /// The exact source span of a word, for an edit; `None` when the word's
    /// offsets are not exact.
    pub fn edit_span(&self, ins: &Instruction, cmd: &Command, w: &Word) -> Option<Span> {
        if !cmd.exact {
            return None;
        }
        self.span(ins, w.start, w.end)
    }

    /// Where to append `&& more` so it runs after the whole script (the end of its
    /// last command), for shell-form scripts only.
    pub fn append_point(&self, ins: &Instruction) -> Option<usize> {
        if self.origin != ScriptOrigin::ShellForm {
            return None;
        }
        let last = self
            .script
            .commands
            .iter()
            .filter(|c| c.depth == 0 && c.exact)
            .max_by_key(|c| c.end)?;
        // Redirections may follow the last word.
        let end = last
            .redirects
            .iter()
            .map(|r| r.end)
            .max()
            .unwrap_or(last.end)
            .max(last.end);
        self.span(ins, end, end).map(|s| s.end)
    }
}

/// Whether a SHELL instruction's program is a POSIX-like shell.
pub fn is_posix_shell(program: &str) -> bool {
    matches!(
        basename(program),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "busybox" | "mksh"
    )
}

/// The scripts a RUN (or ONBUILD RUN) instruction runs. Empty when the stage's
/// SHELL is not a POSIX shell (PowerShell, cmd) — shell rules do not apply there.
pub fn scripts(df: &Dockerfile, ins: &Instruction) -> Vec<RunScript> {
    let ins = match &ins.onbuild {
        Some(sub) if ins.keyword == "ONBUILD" => sub.as_ref(),
        _ => ins,
    };
    let shell = stage_shell(df, ins);
    if ins.keyword != "RUN" || !shell.first().is_some_and(|p| is_posix_shell(p)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if ins.json {
        let args = &ins.args;
        let (text, shell) = match args.first().map(|a| basename(a)) {
            Some(s) if is_posix_shell(s) && args.len() >= 3 && args[1] == "-c" => {
                (args[2].clone(), args[..2].to_vec())
            }
            Some(_) => {
                // An exec-form command: its words, no shell.
                let text = args
                    .iter()
                    .map(|a| shell_quote(a))
                    .collect::<Vec<_>>()
                    .join(" ");
                (text, vec!["/bin/sh".to_string(), "-c".to_string()])
            }
            None => (String::new(), shell),
        };
        out.push(RunScript::new(
            text,
            ScriptOrigin::ExecForm,
            OffsetMap::None,
            shell,
            String::new(),
        ));
        return out;
    }
    if let Some((text, base)) = ins.shell_text() {
        // The heredoc bodies and terminators the shell reads after a command
        // line that has heredocs (`cat <<EOF > /etc/x`).
        let mut heredoc_text = String::new();
        for h in &ins.heredocs {
            heredoc_text.push_str(&h.content);
            if !h.content.is_empty() && !h.content.ends_with('\n') {
                heredoc_text.push('\n');
            }
            heredoc_text.push_str(&h.name);
            heredoc_text.push('\n');
        }
        let script = RunScript::new(
            text.to_string(),
            ScriptOrigin::ShellForm,
            OffsetMap::Original { base },
            shell.clone(),
            heredoc_text,
        );
        out.push(script);
    }
    // A heredoc is a script when the command line is just the marker (BuildKit runs
    // it with the shell) or feeds a shell (`bash <<EOF`), unless it has a shebang for
    // something else.
    let line = ins.shell_command().unwrap_or("").trim();
    // Only its first word matters, unless a heredoc feeds the shell it
    // names: a long RUN line is not split into words for nothing.
    let first_word = line.split_whitespace().next();
    let feeds_shell = first_word.is_some_and(|w| w.starts_with("<<") || is_posix_shell(w));
    for (i, h) in ins.heredocs.iter().enumerate() {
        // `<<-EOF` strips leading tabs, so a tab-indented shebang counts.
        let shebang = h
            .content
            .lines()
            .next()
            .map(|l| {
                if h.chomp {
                    l.trim_start_matches('\t')
                } else {
                    l
                }
            })
            .filter(|l| l.starts_with("#!"));
        let shell_shebang = shebang.is_none_or(|l| {
            let prog = l
                .trim_start_matches("#!")
                .split_whitespace()
                .collect::<Vec<_>>();
            match prog.as_slice() {
                [p] => is_posix_shell(p),
                [env, p, ..] if basename(env) == "env" => is_posix_shell(p),
                [p, ..] => is_posix_shell(p),
                [] => true,
            }
        });
        if feeds_shell && shell_shebang && h.fd == 0 {
            // The shebang's shell, else the one fed (`bash <<EOF`), else SHELL.
            let runs = match shebang {
                Some(l) => {
                    let words: Vec<String> = l
                        .trim_start_matches("#!")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect();
                    match words.first().map(|w| basename(w)) {
                        Some("env") => words[1..].to_vec(),
                        _ => words,
                    }
                }
                None if first_word.is_some_and(is_posix_shell) => {
                    line.split_whitespace().map(str::to_string).collect()
                }
                None => shell.clone(),
            };
            out.push(RunScript::new(
                h.content.clone(),
                ScriptOrigin::Heredoc(i),
                OffsetMap::Source {
                    base: h.content_span.start,
                },
                runs,
                String::new(),
            ));
        }
    }
    out
}

/// The shell of the stage at `ins`: its last `SHELL` before `ins` (looking
/// through the stages it is built on), else `/bin/sh -c`.
fn stage_shell(df: &Dockerfile, ins: &Instruction) -> Vec<String> {
    let mut shell = vec!["/bin/sh".to_string(), "-c".to_string()];
    let Some(stage) = ins.stage else { return shell };
    // SHELL applies to later instructions of the stage (and stages built on it).
    let mut chain = vec![stage];
    let mut s = stage;
    while let Some(b) = df.stages[s].base_stage {
        chain.push(b);
        s = b;
    }
    for st in chain.into_iter().rev() {
        for i in df.stage_instructions(st) {
            if i.span.start >= ins.span.start {
                break;
            }
            if i.keyword == "SHELL" && i.json {
                shell = i.args.clone();
            }
        }
    }
    shell
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        parse(s)
            .commands
            .iter()
            .map(|c| c.name().unwrap_or("-").to_string())
            .collect()
    }

    #[test]
    fn splits_at_operators() {
        assert_eq!(
            names("apt-get update && apt-get install -y curl || true; echo a | tee b & wait"),
            vec!["apt-get", "apt-get", "true", "echo", "tee", "wait"]
        );
        let s = parse("a && b || c | d");
        let seps: Vec<(Sep, Sep)> = s.commands.iter().map(|c| (c.before, c.after)).collect();
        assert_eq!(
            seps,
            vec![
                (Sep::Start, Sep::And),
                (Sep::And, Sep::Or),
                (Sep::Or, Sep::Pipe),
                (Sep::Pipe, Sep::End)
            ]
        );
    }

    #[test]
    fn quotes_and_offsets() {
        let text = r#"echo "a b" 'c d' e\ f "$HOME/x""#;
        let s = parse(text);
        let c = &s.commands[0];
        let vals: Vec<&str> = c.words.iter().map(|w| w.value.as_str()).collect();
        assert_eq!(vals, vec!["echo", "a b", "c d", "e f", "$HOME/x"]);
        assert_eq!(&text[c.words[1].start..c.words[1].end], "\"a b\"");
        assert!(c.words[4].expansion);
    }

    #[test]
    fn assignments_redirects_and_wrappers() {
        let s =
            parse("DEBIAN_FRONTEND=noninteractive sudo -E apt-get install -y x > /dev/null 2>&1");
        let c = &s.commands[0];
        assert_eq!(c.assignments[0].value, "DEBIAN_FRONTEND=noninteractive");
        assert_eq!(c.name(), Some("apt-get"));
        assert_eq!(
            c.args()
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>(),
            vec!["install", "-y", "x"]
        );
        assert_eq!(c.redirects.len(), 2);
        assert_eq!(
            parse("env -u X A=b timeout 10 /usr/bin/curl -sSL x").commands[0].name(),
            Some("curl")
        );
    }

    #[test]
    fn flags_and_operands() {
        let c = &parse("apt-get -qy -o Dpkg::Options::=--force-confnew install --no-install-recommends curl=7.1 wget").commands[0];
        assert!(c.has_flag(&['y'], &["yes", "assume-yes"]));
        assert!(c.has_flag(&[], &["no-install-recommends"]));
        assert!(!c.has_flag(&['s'], &["simulate"]));
        let ops: Vec<&str> = c
            .operands(&["-o", "-t"])
            .iter()
            .map(|(_, w)| w.value.as_str())
            .collect();
        assert_eq!(ops, vec!["install", "curl=7.1", "wget"]);
        assert_eq!(
            c.flag_value(&['o'], &[]),
            Some("Dpkg::Options::=--force-confnew")
        );
    }

    #[test]
    fn nested_scripts() {
        assert_eq!(
            names("echo $(curl -s x | sh) `wget y`"),
            vec!["echo", "curl", "sh", "wget"]
        );
        let s = parse("sh -c 'apt-get update && apt-get install -y x'");
        let inner: Vec<_> = s
            .commands
            .iter()
            .filter(|c| c.depth == 1)
            .map(|c| c.name().unwrap())
            .collect();
        assert_eq!(inner, vec!["apt-get", "apt-get"]);
        let text = "sh -c 'apt-get install x'";
        let c = s_cmd(text, "apt-get");
        assert_eq!(&text[c.words[0].start..c.words[0].end], "apt-get");
    }

    fn s_cmd(text: &str, name: &str) -> Command {
        parse(text)
            .commands
            .into_iter()
            .find(|c| c.is(name))
            .unwrap()
    }

    #[test]
    fn control_flow_and_comments() {
        assert_eq!(
            names("if [ -f x ]; then rm x; else touch x; fi"),
            vec!["[", "rm", "touch"]
        );
        assert_eq!(names("for f in a b; do gzip $f; done"), vec!["gzip"]);
        assert_eq!(
            names("set -eux; \\\n  apk add x # trailing comment\n  # full line\n  rm -rf y"),
            vec!["set", "apk", "rm"]
        );
        assert_eq!(
            names("case $x in a) echo a;; b|c) rm b; rm c;; *) true ;; esac; ls"),
            vec!["echo", "rm", "rm", "true", "ls"]
        );
        assert_eq!(
            names(
                "case \"$arch\" in \\\n amd64 | arm64) \\\n apt-get update; \\\n ;; \\\n *) \\\n cd /tmp; \\\n ;; \\\n esac; \\\n echo done"
            ),
            vec!["apt-get", "cd", "echo"]
        );
        assert_eq!(names("case x in (a) ls;; esac"), vec!["ls"]);
        assert_eq!(
            names("(cd /x && make) || exit 1"),
            vec!["cd", "make", "exit"]
        );
    }

    #[test]
    fn heredocs_in_scripts_are_skipped() {
        assert_eq!(
            names("cat <<EOF > /etc/x\napt-get install y\nEOF\necho done"),
            vec!["cat", "echo"]
        );
    }

    #[test]
    fn never_panics() {
        for s in [
            "", "\\", "'", "\"", "$(", "`", "${", "&&&", "|||", "2>", "<<", "a=b", "((", "))",
            "é ü", "$'x", "a\\\r\nb", "\"\\",
        ] {
            let _ = parse(s);
        }
    }

    #[test]
    fn run_scripts_map_to_source() {
        let text = "FROM x\nRUN apt-get update \\\n  && apt-get install -y curl\nRUN <<EOF\nset -e\napk add jq\nEOF\nRUN [\"sh\", \"-c\", \"pip install x\"]\nSHELL [\"pwsh\", \"-c\"]\nRUN Get-Thing\n";
        let df = Dockerfile::parse(text).unwrap();
        let s = scripts(&df, &df.instructions[1]);
        let c = s[0].script.commands_named("apt-get").nth(1).unwrap();
        let w = c.args().last().unwrap();
        assert_eq!(df.slice(s[0].word_span(&df.instructions[1], w)), "curl");
        let s = scripts(&df, &df.instructions[2]);
        assert_eq!(s.len(), 2);
        let apk = s[1].script.commands_named("apk").next().unwrap();
        assert_eq!(
            df.slice(s[1].command_span(&df.instructions[2], apk)),
            "apk add jq"
        );
        let s = scripts(&df, &df.instructions[3]);
        assert!(s[0].script.runs("pip") && !s[0].fixable());
        assert!(
            scripts(&df, &df.instructions[5]).is_empty(),
            "PowerShell is not analysed"
        );
    }
}

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `as` in a FROM line written `FROM` (`FROM x as y`). (A lower-case
    /// `from` is reported by PL3027; once it is upper case, so must `AS` be.)
    ///
    /// ## Why is this bad?
    /// Mixed casing makes instructions harder to scan; BuildKit warns about it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 as build
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// ```
    ///
    /// ## Fix
    /// Safe: rewrites the keyword to match `FROM`.
    ///
    /// ## References
    /// - BuildKit check FromAsCasing
    pub static RULE = Rule {
        id: "PL1012",
        name: "from-as-casing",
        summary: "`AS` casing does not match `FROM`",
        level: Level::Note,
        aliases: &["FromAsCasing"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for s in ctx.doc.stages() {
        let ins = &df.instructions[s.from];
        if ins.args.len() != 3 || ins.arg_spans.len() != 3 {
            continue;
        }
        let kw = &ins.written_keyword;
        let as_word = &ins.args[1];
        let upper = kw.chars().all(|c| c.is_ascii_uppercase());
        let want = "AS";
        if upper && as_word != want {
            out.push(
                Finding::new(
                    &RULE,
                    format!("`{as_word}` should be `{want}` to match `{kw}`"),
                )
                .at(ins.arg_spans[1])
                .fix(Fix::safe(
                    format!("Write `{want}`"),
                    vec![Edit::replace(ins.arg_spans[1], want)],
                )),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports an `ENV` that uses a variable it defines in the same instruction
    /// (`ENV A=1 B=$A`), unless the variable was already set before.
    ///
    /// ## Why is this bad?
    /// Substitution uses the values from before the instruction, so `B` gets the
    /// old (usually empty) `A`, not `1`.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV APP_HOME=/app APP_BIN=$APP_HOME/bin
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ENV APP_HOME=/app
    /// ENV APP_BIN=$APP_HOME/bin
    /// ```
    ///
    /// ## References
    /// - hadolint DL3044
    pub static RULE = Rule {
        id: "PL3018",
        name: "env-self-reference",
        summary: "ENV refers to a variable defined in the same ENV",
        level: Level::Error,
        aliases: &["DL3044"],
        tags: &["correctness"],
    };
}

fn references(value: &str, name: &str) -> bool {
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        let var = after.strip_prefix('{').unwrap_or(after);
        let end = var
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(var.len());
        if &var[..end] == name && !(i > 0 && rest.as_bytes()[i - 1] == b'\\') {
            return true;
        }
        rest = after;
    }
    false
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df
        .instructions
        .iter()
        .filter(|i| i.keyword == "ENV" && !i.legacy_key_value)
    {
        let pairs = ins.key_value_pairs();
        for (j, kv) in pairs.iter().enumerate() {
            for earlier in &pairs[..j] {
                if references(kv.value, earlier.key)
                    && crate::util::env_before(df, ins, earlier.key).is_none()
                {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!(
                                "`{}` uses `${}`, which this same ENV defines; split the ENV",
                                kv.key, earlier.key
                            ),
                        )
                        .at(kv.value_span.unwrap_or(ins.span)),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ENV key value` and `LABEL key value` (the legacy form without `=`).
    ///
    /// ## Why is this bad?
    /// The legacy form takes everything after the key as the value, spaces and
    /// quotes included, and allows only one pair; BuildKit warns about it and may
    /// remove it.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV PATH /opt/app/bin:$PATH
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ENV PATH=/opt/app/bin:$PATH
    /// ```
    ///
    /// ## Fix
    /// Safe when the value is a single word: writes `key=value`. Values with spaces
    /// get quoted, which is marked unsafe (the meaning of quotes inside changes).
    ///
    /// ## References
    /// - BuildKit check LegacyKeyValueFormat
    pub static RULE = Rule {
        id: "PL3026",
        name: "legacy-key-value",
        summary: "ENV/LABEL in the legacy `key value` form",
        level: Level::Note,
        aliases: &["LegacyKeyValueFormat"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "ENV" | "LABEL") && i.legacy_key_value)
    {
        let Some(kv) = ins.key_value_pairs().into_iter().next() else {
            continue;
        };
        let mut f = Finding::new(
            &RULE,
            format!(
                "write `{} {}=...`; the `key value` form is deprecated",
                ins.keyword, kv.key
            ),
        )
        .at(ins.span);
        if let (Some(k), Some(v)) = (kv.key_span, kv.value_span)
            && !df.slice(Span::new(k.start, v.end)).contains('\n')
        {
            let value = kv.value;
            let simple = !value.contains(char::is_whitespace) && !value.contains(['"', '\'']);
            let edit = Edit::replace(
                Span::new(k.start, v.end),
                if simple {
                    format!("{}={value}", kv.key)
                } else {
                    format!(
                        "{}=\"{}\"",
                        kv.key,
                        value.replace('\\', "\\\\").replace('"', "\\\"")
                    )
                },
            );
            f = f.fix(if simple {
                Fix::safe("Write key=value", vec![edit])
            } else {
                Fix::unsafe_("Write key=\"value\"", vec![edit])
            });
        }
        out.push(f);
    }
    for f in out {
        ctx.report(f);
    }
}

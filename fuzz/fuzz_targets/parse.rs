//! Parses arbitrary bytes: the parser must never panic, and every span it hands
//! out must lie within the text on character boundaries (fixes slice by them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plimsoll_dockerfile::{Dockerfile, Span, to_buildkit_json};

fn check(text: &str, s: Span) {
    assert!(s.start <= s.end && s.end <= text.len(), "span {s:?} outside {} bytes", text.len());
    assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end), "span {s:?} splits a character");
}

fuzz_target!(|data: &[u8]| {
    let parsed = Dockerfile::parse_bytes(data);
    let _ = to_buildkit_json("fuzz", &parsed);
    match parsed {
        Err(e) => {
            let text = String::from_utf8_lossy(data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data));
            check(&text, e.span);
        }
        Ok(df) => {
            let t = df.text.as_str();
            for ins in &df.instructions {
                for s in [ins.span, ins.args_span, ins.keyword_span] {
                    check(t, s);
                }
                ins.arg_spans.iter().for_each(|s| check(t, *s));
                ins.flags.iter().for_each(|f| {
                    check(t, f.span);
                    let _ = f.key_values();
                });
                ins.heredocs.iter().for_each(|h| {
                    check(t, h.span);
                    check(t, h.content_span);
                });
                let _ = ins.key_value_pairs();
            }
            for s in &df.stages {
                check(t, s.base_span);
            }
            for a in &df.global_args {
                check(t, a.span);
                if let Some(d) = a.default_span {
                    check(t, d);
                }
            }
            for d in &df.directives {
                check(t, d.span);
                check(t, d.value_span);
            }
            let _ = df.position(t.len());
        }
    }
});

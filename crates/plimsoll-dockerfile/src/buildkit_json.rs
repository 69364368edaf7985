//! The JSON shape `../shared/tools/buildkit-parse` prints (BuildKit's parser via
//! the PyPI `dockerfile` package), so any file can be diffed against BuildKit.

use serde_json::{Value, json};

use crate::{Dockerfile, Instruction, ParseError};

/// One file's result in buildkit-parse's shape, plus our spans under `"spans"`.
pub fn to_buildkit_json(path: &str, parsed: &Result<Dockerfile, ParseError>) -> Value {
    match parsed {
        Err(e) => json!({"file": path, "ok": false, "error": e.to_string(),
            "line": e.start_line}),
        Ok(df) => json!({
            "file": path,
            "ok": true,
            "instructions": df.instructions.iter().map(|i| instruction_json(df, i)).collect::<Vec<_>>(),
        }),
    }
}

fn instruction_json(df: &Dockerfile, ins: &Instruction) -> Value {
    // The wrapper reads value/json/heredocs from ONBUILD's trigger but flags, lines
    // and original from the ONBUILD node itself; heredocs stay on the ONBUILD node.
    let (sub_cmd, inner) = match &ins.onbuild {
        Some(sub) => (Value::String(sub.written_keyword.clone()), sub.as_ref()),
        None => (Value::Null, ins),
    };
    let mut original = ins.original.clone();
    let heredocs: Vec<Value> = if ins.onbuild.is_some() {
        Vec::new()
    } else {
        if !ins.heredocs.is_empty() {
            original.push('\n');
            for h in &ins.heredocs {
                original.push_str(&h.content);
                original.push_str(&h.name);
                original.push('\n');
            }
        }
        ins.heredocs
            .iter()
            .map(|h| json!({"name": h.name, "file_descriptor": h.fd, "content": h.content}))
            .collect()
    };
    let pos = |o: usize| {
        let p = df.position(o);
        json!([p.line, p.column])
    };
    json!({
        "cmd": ins.written_keyword,
        "sub_cmd": sub_cmd,
        "flags": ins.flags.iter().map(|f| f.raw.clone()).collect::<Vec<_>>(),
        "value": inner.args,
        "json": inner.json,
        "start_line": ins.start_line,
        "end_line": ins.end_line,
        "original": original,
        "heredocs": heredocs,
        "spans": {
            "instruction": [pos(ins.span.start), pos(ins.span.end)],
            "args": [pos(ins.args_span.start), pos(ins.args_span.end)],
            "values": ins.arg_spans.iter().map(|s| json!([s.start, s.end])).collect::<Vec<_>>(),
            "flags": ins.flags.iter().map(|f| json!([f.span.start, f.span.end])).collect::<Vec<_>>(),
            "heredocs": ins.heredocs.iter().map(|h| json!([h.span.start, h.span.end])).collect::<Vec<_>>(),
        },
    })
}

//! Differential test: our parser against BuildKit's own parser (v0.12 line, through
//! `../shared/tools/buildkit-parse`) on every Dockerfile in `../shared/corpus`.
//!
//! Needs a Python with the PyPI `dockerfile` package: `PLIMSOLL_TOOLS_PYTHON`
//! (what `.ci/run` sets up), else `python3`. Skips with a printed reason when the
//! corpus or the oracle is missing, unless `PLIMSOLL_REQUIRE_ORACLES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use plimsoll_dockerfile::{Dockerfile, to_buildkit_json};
use serde_json::Value;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn skip(reason: &str) {
    if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("required oracle missing: {reason}");
    }
    eprintln!("SKIPPED buildkit differential test: {reason}");
}

fn python() -> String {
    std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs BuildKit's parser over `files`; one JSON object per file.
fn oracle(files: &[PathBuf]) -> Option<Vec<Value>> {
    let tool = shared().join("tools/buildkit-parse");
    let out = Command::new(python())
        .arg(&tool)
        .args(files)
        .output()
        .ok()?;
    if out.status.code() == Some(3) || out.status.code() == Some(2) {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let v: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("oracle prints JSON lines"))
        .collect();
    (v.len() == files.len()).then_some(v)
}

/// Differences that are BuildKit version differences, not bugs: the oracle is
/// BuildKit v0.12; `docker build` today runs a newer frontend, which we follow.
fn known_difference(ours: &Value, theirs: &Value) -> Option<&'static str> {
    // The oracle's Go-to-Python bridge passes C strings, so a NUL (JSON `\u0000`)
    // ends a value there; BuildKit itself keeps it, and so do we.
    let truncated = truncate_at_nul(ours.clone());
    if &truncated != ours && compare(&truncated, theirs).is_empty() {
        return Some(
            "value holds a NUL; the oracle's C-string bridge truncates it (BuildKit keeps it)",
        );
    }
    None
}

fn truncate_at_nul(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.split('\0').next().unwrap_or("").to_string()),
        Value::Array(a) => Value::Array(a.into_iter().map(truncate_at_nul).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, truncate_at_nul(v)))
                .collect(),
        ),
        v => v,
    }
}

fn compare(ours: &Value, theirs: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    if ours["ok"] != theirs["ok"] {
        diffs.push(format!(
            "accept/reject: ours ok={} ({}), buildkit ok={} ({})",
            ours["ok"], ours["error"], theirs["ok"], theirs["error"]
        ));
        return diffs;
    }
    if theirs["ok"] != Value::Bool(true) {
        return diffs;
    }
    let a = ours["instructions"].as_array().unwrap();
    let b = theirs["instructions"].as_array().unwrap();
    if a.len() != b.len() {
        diffs.push(format!(
            "instruction count: ours {} buildkit {}",
            a.len(),
            b.len()
        ));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        for key in [
            "cmd",
            "sub_cmd",
            "flags",
            "value",
            "json",
            "start_line",
            "end_line",
            "original",
        ] {
            if x[key] != y[key] {
                diffs.push(format!(
                    "instruction {i} {key}: ours {} buildkit {}",
                    x[key], y[key]
                ));
            }
        }
        let hd = |v: &Value| -> Vec<(Value, Value)> {
            v["heredocs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|h| (h["name"].clone(), h["content"].clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        if hd(x) != hd(y) {
            diffs.push(format!(
                "instruction {i} heredocs: ours {:?} buildkit {:?}",
                hd(x),
                hd(y)
            ));
        }
    }
    diffs
}

#[test]
fn corpus_agrees_with_buildkit() {
    let dir = shared().join("corpus/dockerfiles");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return skip(&format!("{} is absent", dir.display()));
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let Some(theirs) = oracle(&files) else {
        return skip(&format!(
            "BuildKit's parser is not runnable with {} (pip install dockerfile)",
            python()
        ));
    };
    let mut disagreements = Vec::new();
    let mut explained = Vec::new();
    let mut accepted = 0;
    for (path, theirs) in files.iter().zip(&theirs) {
        let bytes = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let ours = to_buildkit_json(&name, &Dockerfile::parse_bytes(&bytes));
        accepted += usize::from(ours["ok"] == Value::Bool(true));
        let diffs = compare(&ours, theirs);
        if diffs.is_empty() {
            continue;
        }
        match known_difference(&ours, theirs) {
            Some(why) => explained.push(format!("{name}: {why}")),
            None => disagreements.push(format!("{name}:\n    {}", diffs.join("\n    "))),
        }
    }
    eprintln!(
        "buildkit differential: {} files, {} accepted, {} agree, {} explained differences, {} disagreements",
        files.len(),
        accepted,
        files.len() - explained.len() - disagreements.len(),
        explained.len(),
        disagreements.len()
    );
    for e in &explained {
        eprintln!("  explained: {e}");
    }
    assert!(
        disagreements.is_empty(),
        "disagreements with BuildKit:\n{}",
        disagreements.join("\n")
    );
}

/// Hand-picked tricky inputs, also compared with the oracle.
#[test]
fn tricky_inputs_agree_with_buildkit() {
    let cases: &[&str] = &[
        "FROM a\nRUN a \\\n\n  # c\n  b\n",
        "# escape=`\nFROM a\nRUN a `\n b\nRUN c \\\n",
        "FROM a\nCOPY <<A <<\"B\" /x\na\nA\nb\nB\n",
        "FROM a\nRUN <<-EOF\n\tx\n\tEOF\n",
        "FROM a\nRUN <<EOF cat ${x:-y}\nhi\nEOF\n",
        "FROM a\nLABEL \"a b\"=\"c d\" x=y\nARG a=1 b\nEXPOSE 80  443/tcp\n",
        "FROM a\nHEALTHCHECK --interval=5s CMD [\"curl\",\"x\"]\nHEALTHCHECK NONE\n",
        "FROM a\nONBUILD RUN <<EOF\nx\nEOF\nONBUILD COPY --from=a b c\n",
        "FROM --platform linux/amd64 alpine AS b\n",
        "FROM a\nFOO bar baz\nRUN\nENV\nCMD []\n",
        "FROM a\nRUN --mount=type=cache,target=/x --network none apk add x\n",
        "FROM a\nCOPY --chown='a b' --chmod=\"6\\44\" -- --x y\n",
        "FROM a\nRUN echo \"unterminated\n",
        "FROM a\nCMD ['single']\nENTRYPOINT [\"a\",\n \"b\"]\n",
        "FROM a\r\nRUN a \\\r\n  b\r\n",
        "\u{feff}FROM a\nUSER  x  \n",
        "FROM a\nENV A=1 B=\"2 3\" C=a\\ b\nENV LEGACY v a l\n",
        "FROM a\nRUN echo a\\\\\nRUN b\n",
        "FROM a\nRUN \\\n\\\n echo\n",
        "# syntax = docker/dockerfile:1.4\n#escape=`\nFROM a\n",
        "FROM a\nRUN cat <<EOF > /x && cat <<'EOT' > /y\n1\nEOF\n2\nEOT\n",
        "FROM a\nADD [\"a\", \"b\"]\nVOLUME /a /b\nVOLUME [\"/c\"]\n",
        "FROM a\nRUN <<EOF\nEOF\n",
        "FROM a\nSTOPSIGNAL  SIGTERM \nWORKDIR  /a b \nMAINTAINER x <y@z>\n",
        "FROM a\nARG \"q=1 2\" b='3'\n",
        "FROM a\nENV a=\"x\ny\"\n",
        "FROM a\nRUN café --x\nCOPY --chown=café a b\n",
    ];
    let dir = tempfile_dir();
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = dir.join(format!("case{i}.Dockerfile"));
            std::fs::write(&p, c).unwrap();
            p
        })
        .collect();
    let Some(theirs) = oracle(&files) else {
        return skip("BuildKit's parser is not runnable");
    };
    let mut bad = Vec::new();
    for ((case, path), theirs) in cases.iter().zip(&files).zip(&theirs) {
        let ours = to_buildkit_json(&path.display().to_string(), &Dockerfile::parse(case));
        let d = compare(&ours, theirs);
        if !d.is_empty() {
            bad.push(format!("{case:?}:\n    {}", d.join("\n    ")));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("plimsoll-bk-diff-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

use super::*;

fn parse(s: &str) -> Dockerfile {
    Dockerfile::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn minimal() {
    let df = parse("FROM alpine:3.19\nRUN echo hi\n");
    assert_eq!(df.instructions.len(), 2);
    assert_eq!(df.instructions[1].args, vec!["echo hi"]);
    assert_eq!(df.slice(df.instructions[1].args_span), "echo hi");
    assert_eq!(df.stages[0].base, "alpine:3.19");
    assert_eq!(df.slice(df.stages[0].base_span), "alpine:3.19");
}

#[test]
fn no_instructions_is_an_error() {
    let e = Dockerfile::parse("# just a comment\n\n").unwrap_err();
    assert!(e.message.contains("no instructions"), "{e}");
}

#[test]
fn escape_directive_changes_continuation() {
    let df = parse("# escape=`\nFROM x\nRUN a `\n  b\nRUN c \\\nRUN d\n");
    assert_eq!(df.escape, '`');
    assert_eq!(df.instructions[1].args, vec!["a   b"]);
    assert_eq!(df.instructions[2].args, vec!["c \\"]);
    assert_eq!(df.directive("escape").unwrap().value, "`");
}

#[test]
fn comments_and_blank_lines_inside_continuations() {
    let df = parse("FROM x\nRUN a \\\n  # comment\n\n  b \\\n  c\nUSER u\n");
    let run = &df.instructions[1];
    assert_eq!(run.args, vec!["a   b   c"]);
    assert_eq!((run.start_line, run.end_line), (2, 6));
    assert_eq!(df.warnings.len(), 1);
    // The args span covers the continuation lines as written.
    assert!(df.slice(run.args_span).starts_with("a \\\n  # comment"));
    assert!(df.slice(run.args_span).ends_with("c"));
}

#[test]
fn crlf_and_bom() {
    let df = Dockerfile::parse_bytes(b"\xEF\xBB\xBFFROM x\r\nRUN a \\\r\n b\r\n").unwrap();
    assert!(df.had_bom);
    assert_eq!(df.instructions[1].args, vec!["a  b"]);
    assert_eq!(df.slice(df.instructions[0].span), "FROM x");
    // A string kept as it is parses as its bytes do.
    let text = "\u{FEFF}FROM x\r\nRUN a \\\r\n b\r\n";
    let kept = Dockerfile::parse_string(text.to_string()).unwrap();
    assert!(kept.had_bom && kept.valid_utf8);
    assert_eq!(kept.text, df.text);
    assert_eq!(kept.instructions[1].args, df.instructions[1].args);
    assert_eq!(kept.instructions[1].span, df.instructions[1].span);
    let plain = Dockerfile::parse_string("FROM x\n".into()).unwrap();
    assert!(!plain.had_bom && plain.text == "FROM x\n");
}

#[test]
fn json_vs_shell_form() {
    let df = parse(
        "FROM x\nCMD [\"a\", \"b\"]\nCMD ['a']\nENTRYPOINT [\"a\" \nRUN []\nSHELL [\"/bin/sh\", \"-c\"]\n",
    );
    let i = &df.instructions;
    assert!(i[1].json && i[1].args == vec!["a", "b"]);
    assert!(!i[2].json, "single quotes are not JSON");
    assert_eq!(i[2].args, vec!["['a']"]);
    assert!(!i[3].json, "broken JSON falls back to shell form");
    assert!(i[4].json && i[4].args.is_empty());
    assert!(i[5].json);
}

#[test]
fn json_with_non_strings_is_an_error() {
    let e = Dockerfile::parse("FROM x\nCMD [\"a\", 1]\n").unwrap_err();
    assert!(e.message.contains("strings only"));
    assert_eq!(e.start_line, 2);
}

#[test]
fn flags_are_parsed() {
    let df = parse(
        "FROM --platform=$BUILDPLATFORM golang AS build\nRUN --mount=type=cache,target=/root/.cache,sharing=locked --network=none go build\nCOPY --from=build --chown=1:1 --chmod=0755 --link /a /b\n",
    );
    let run = &df.instructions[1];
    let mount = run.flag("mount").unwrap();
    assert_eq!(mount.key_value("type").as_deref(), Some("cache"));
    assert_eq!(mount.key_value("target").as_deref(), Some("/root/.cache"));
    assert_eq!(run.flag("network").unwrap().value.as_deref(), Some("none"));
    assert_eq!(
        df.slice(mount.span),
        "--mount=type=cache,target=/root/.cache,sharing=locked"
    );
    let copy = &df.instructions[2];
    assert_eq!(copy.flag("link").unwrap().value, None);
    assert_eq!(copy.args, vec!["/a", "/b"]);
    assert_eq!(df.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(df.stages[0].name.as_deref(), Some("build"));
}

#[test]
fn heredocs() {
    let text = "FROM x\nRUN <<EOF\necho a \\\necho b\nEOF\nCOPY <<-A <<'B' /dst\n\tone\n\tA\ntwo $X\nB\nRUN 3<<EOF cat\nx\nEOF\n";
    let df = parse(text);
    let run = &df.instructions[1];
    assert_eq!(run.heredocs.len(), 1);
    assert_eq!(run.heredocs[0].content, "echo a \\\necho b\n");
    assert_eq!((run.start_line, run.end_line), (2, 5));
    let copy = &df.instructions[2];
    assert_eq!(copy.heredocs.len(), 2);
    assert!(copy.heredocs[0].chomp && copy.heredocs[0].expand);
    assert!(!copy.heredocs[1].expand);
    assert_eq!(copy.heredocs[1].content, "two $X\n");
    assert_eq!(df.slice(copy.heredocs[1].span), "two $X\nB");
    assert_eq!(df.instructions[3].heredocs[0].fd, 3);
}

#[test]
fn heredoc_continuation_inside_body_is_literal() {
    let df = parse("FROM x\nRUN <<EOF \\\n  && true\nline \\\nEOF\nUSER a\n");
    let run = &df.instructions[1];
    assert_eq!(run.args, vec!["<<EOF   && true"]);
    assert_eq!(run.heredocs[0].content, "line \\\n");
    assert_eq!(df.instructions[2].keyword, "USER");
}

#[test]
fn unterminated_heredoc_is_an_error() {
    let e = Dockerfile::parse("FROM x\nRUN <<EOF\nnever\n").unwrap_err();
    assert_eq!(e.message, "unterminated heredoc");
}

#[test]
fn heredoc_not_in_json_or_other_instructions() {
    let df = parse("FROM x\nRUN [\"<<EOF\"]\nUSER <<EOF\nRUN \"<<NOHEREDOC\"\n");
    assert!(df.instructions.iter().all(|i| i.heredocs.is_empty()));
    assert_eq!(df.instructions.len(), 4);
}

#[test]
fn onbuild_wraps_an_instruction() {
    let df = parse("FROM x\nONBUILD COPY --from=a . /app\nONBUILD RUN <<EOF\nx\nEOF\n");
    let sub = df.instructions[1].onbuild.as_ref().unwrap();
    assert_eq!(sub.keyword, "COPY");
    assert_eq!(sub.flag("from").unwrap().value.as_deref(), Some("a"));
    assert_eq!(df.instructions[2].heredocs.len(), 1);
}

#[test]
fn env_and_label_pairs() {
    let df =
        parse("FROM x\nENV A=1 B=\"two words\"\nENV LEGACY value with spaces\nLABEL \"k 1\"=v\n");
    assert_eq!(
        df.instructions[1].args,
        vec!["A", "1", "B", "\"two words\""]
    );
    assert_eq!(df.instructions[2].args, vec!["LEGACY", "value with spaces"]);
    assert!(df.instructions[2].legacy_key_value && !df.instructions[1].legacy_key_value);
    let pairs = df.instructions[1].key_value_pairs();
    assert_eq!(df.slice(pairs[1].value_span.unwrap()), "\"two words\"");
    assert_eq!(df.instructions[3].args[0], "\"k 1\"");
}

#[test]
fn env_errors_as_buildkit() {
    assert!(Dockerfile::parse("FROM x\nENV A\n").is_err());
    assert!(Dockerfile::parse("FROM x\nENV A=1 B\n").is_err());
    assert!(Dockerfile::parse("FROM x\nENV\n").is_ok());
}

#[test]
fn global_args_substitute_into_from() {
    let df = parse(
        "ARG REG=docker.io\nARG IMAGE=\"${REG}/library/alpine\"\nARG TAG\nFROM ${IMAGE}:${TAG:-3.19} AS base\nFROM base\nFROM $UNSET/x\n",
    );
    assert_eq!(df.global_args.len(), 3);
    assert_eq!(
        df.global_args[1].default.as_deref(),
        Some("docker.io/library/alpine")
    );
    assert_eq!(df.stages[0].base, "docker.io/library/alpine:3.19");
    assert_eq!(df.stages[0].base_as_written, "${IMAGE}:${TAG:-3.19}");
    assert!(df.stages[0].base_args.contains(&"IMAGE".to_string()));
    assert_eq!(df.stages[1].base_stage, Some(0));
    assert_eq!(df.stages[2].base, "/x");
    assert_eq!(df.stages[2].base_unresolved, vec!["UNSET"]);
}

#[test]
fn unknown_instructions_are_kept() {
    let df = parse("FROM x\nFOO bar\nrun lower\n");
    assert!(!df.instructions[1].is_known());
    assert_eq!(df.instructions[1].args, vec![""]);
    assert_eq!(df.instructions[2].keyword, "RUN");
    assert_eq!(df.instructions[2].written_keyword, "run");
}

#[test]
fn directives_only_at_top() {
    let df = parse("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM x\n# escape=`\nRUN a `\n");
    assert_eq!(df.directive("syntax").unwrap().value, "docker/dockerfile:1");
    assert_eq!(df.directive("check").unwrap().value, "skip=all");
    assert!(df.directive("escape").is_none());
    assert_eq!(
        df.slice(df.directive("syntax").unwrap().value_span),
        "docker/dockerfile:1"
    );
    assert!(Dockerfile::parse("# escape=x\nFROM a\n").is_err());
    assert!(Dockerfile::parse("# syntax=a\n# syntax=b\nFROM a\n").is_err());
}

#[test]
fn stage_refs() {
    let df = parse("FROM a AS Build\nFROM b\nCOPY --from=build /x /y\nCOPY --from=0 /x /y\n");
    assert_eq!(df.stage_ref("build", 2), Some(0));
    assert_eq!(df.stage_ref("BUILD", 2), Some(0));
    assert_eq!(df.stage_ref("0", 2), Some(0));
    assert_eq!(df.stage_ref("build", 0), None);
    assert_eq!(df.stage_ref("alpine", 3), None);
}

#[test]
fn never_panics_on_odd_input() {
    for s in [
        "",
        "\\",
        "FROM",
        "RUN \\",
        "\u{0}",
        "#",
        "# escape=`",
        "RUN <<",
        "RUN <<EOF",
        "COPY <<\"\n",
        "ENV a=\"",
        "LABEL ",
        "ONBUILD",
        "ONBUILD ONBUILD RUN x",
        "HEALTHCHECK",
        "FROM a\nRUN ${",
        "FROM a\nARG b=${c",
        "x\r\r\r\n",
        "FROM \u{a0}a",
    ] {
        let _ = Dockerfile::parse(s);
    }
}

#[test]
fn original_offsets_map_back_through_continuations() {
    let text =
        "FROM x\nRUN apt-get update \\\n  # comment\n  && apt-get install -y \\\n     curl\n";
    let df = parse(text);
    let run = &df.instructions[1];
    let (cmd, base) = run.shell_text().unwrap();
    assert_eq!(cmd, "apt-get update   && apt-get install -y      curl");
    let i = cmd.find("curl").unwrap();
    let span = run.original_span(base + i, base + i + 4);
    assert_eq!(df.slice(span), "curl");
    let j = cmd.find("install").unwrap();
    assert_eq!(
        df.slice(run.original_span(base + j, base + j + 7)),
        "install"
    );
    // ONBUILD triggers map too.
    let df = parse("FROM x\nONBUILD RUN a \\\n b\n");
    let sub = df.instructions[1].onbuild.as_ref().unwrap();
    let (cmd, base) = sub.shell_text().unwrap();
    let k = cmd.find('b').unwrap();
    assert_eq!(df.slice(sub.original_span(base + k, base + k + 1)), "b");
}

#[test]
fn arg_default_span_across_continuation() {
    let text = "ARG P=\"\\\n  \u{fffd}\u{fffd} x\"\nFROM a\n";
    let df = parse(text);
    let d = df.global_args[0].default_span.unwrap();
    assert!(df.text.is_char_boundary(d.start) && df.text.is_char_boundary(d.end));
    assert_eq!(df.slice(d), "\"\\\n  \u{fffd}\u{fffd} x\"");
}

#[test]
fn healthcheck_type_split_inside_a_character_does_not_panic() {
    // The 0xA0 byte of U+00A0 counts as a space for BuildKit's byte scan.
    let df = parse("FROM a\nHEALTHCHECK C\u{a0}MD x\nHEALTHCHECK \u{745}\u{a0}\n");
    assert_eq!(df.instructions.len(), 3);
    for ins in &df.instructions {
        for s in &ins.arg_spans {
            assert!(df.text.is_char_boundary(s.start) && df.text.is_char_boundary(s.end));
        }
    }
}

/// The fast paths of `unquote` and of the heredoc search give what the
/// lexer gives, over every line and word of the real Dockerfiles in
/// `../shared/corpus` (a word without quotes, escapes or `$` comes back as
/// it is; a line without `<` has no heredoc word), both escape characters.
#[test]
fn the_lexers_fast_paths_agree_with_it_on_the_corpus() {
    let Some(texts) = crate::test_corpus() else {
        return;
    };
    let mut words = 0;
    for text in texts {
        for line in text.lines() {
            for escape in ['\\', '`'] {
                let slow = |w: &str| {
                    shell::Lexer {
                        escape,
                        skip_unset_env: true,
                        ..shell::Lexer::default()
                    }
                    .process_no_env(w)
                    .map(|p| p.result)
                    .unwrap_or_else(|_| w.to_string())
                };
                for w in line
                    .split_whitespace()
                    .flat_map(|w| [w, w.split_once('=').map_or(w, |(_, v)| v)])
                {
                    assert_eq!(unquote(w, escape), slow(w), "{w:?}");
                    words += 1;
                }
            }
            let lexed = shell::Lexer::heredoc_finder()
                .process_no_env(line)
                .map(|p| p.words)
                .unwrap_or_default();
            let mut slow = Vec::new();
            for w in lexed {
                if let Ok(Some(doc)) = parser::parse_heredoc_word(&w) {
                    slow.push(doc.name);
                }
            }
            let fast: Vec<String> = parser::heredocs_from_line(line)
                .unwrap_or_default()
                .into_iter()
                .map(|d| d.name)
                .collect();
            assert_eq!(fast, slow, "{line:?}");
        }
    }
    assert!(words > 10_000, "{words}");
}

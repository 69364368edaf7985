use super::*;

fn cmd<'a>(s: &'a Syntax, name: &str) -> &'a SimpleCommand {
    s.commands
        .iter()
        .find(|c| c.is(name))
        .unwrap_or_else(|| panic!("no {name} in {s:#?}"))
}

#[test]
fn words_keep_their_bytes_and_quoting() {
    let text = "echo \"a $HOME\" 'b $x' ${y:-z} $(date) `id`";
    let s = parse(text, Dialect::Sh);
    assert_eq!(s.error, None);
    let echo = cmd(&s, "echo");
    let raws: Vec<&str> = echo.words.iter().map(|w| &text[w.start..w.end]).collect();
    assert_eq!(
        raws,
        [
            "echo",
            "\"a $HOME\"",
            "'b $x'",
            "${y:-z}",
            "$(date)",
            "`id`"
        ]
    );
    let home = &echo.words[1].parts[1];
    assert_eq!(&text[home.start..home.end], "$HOME");
    assert_eq!(home.quoting, Quoting::Double);
    assert_eq!(echo.words[2].parts[0].quoting, Quoting::Single);
    assert!(matches!(
        &echo.words[3].parts[0].kind,
        PartKind::Parameter(ParameterRef { name, op: ParameterOp::Default, .. }) if name == "y"
    ));
    assert!(matches!(
        echo.words[5].parts[0].kind,
        PartKind::CommandSubstitution { backtick: true }
    ));
    // Commands inside substitutions are found one level deeper, at their bytes.
    let date = cmd(&s, "date");
    assert_eq!(date.depth, 1);
    assert_eq!(&text[date.start..date.end], "date");
    let id = cmd(&s, "id");
    assert_eq!(&text[id.start..id.end], "id");
}

#[test]
fn and_or_lists_and_conditions() {
    let s = parse(
        "cd /a || exit 1; cd /b && make; if grep -q x f; then cd /c; fi",
        Dialect::Sh,
    );
    let cds: Vec<(Next, bool)> = s
        .commands
        .iter()
        .filter(|c| c.is("cd"))
        .map(|c| (c.next, c.checked))
        .collect();
    assert_eq!(
        cds,
        [(Next::Or, true), (Next::And, true), (Next::None, false)]
    );
    assert!(cmd(&s, "grep").checked);
}

#[test]
fn assignments_and_declarations() {
    let text = "A=1 B=\"$x\" env; export C=$(date) D; local E=`id`";
    let s = parse(text, Dialect::Bash);
    let names: Vec<&str> = s.assigned().collect();
    assert_eq!(names, ["A", "B", "C", "E"]);
    let export = cmd(&s, "export");
    let c = &export.assignments[0];
    let v = c.value.as_ref().unwrap();
    assert_eq!(&text[v.start..v.end], "$(date)");
}

#[test]
fn syntax_errors_have_a_position() {
    let text = "if [ \"$x\" = 1 ] then echo yes; fi";
    let s = parse(text, Dialect::Sh);
    let e = s.error.expect("an error");
    assert!(e.at <= text.len(), "{e:?}");
    let s = parse("echo 'unterminated", Dialect::Sh);
    let e = s.error.expect("an error");
    assert!(e.message.contains("unterminated single quote"), "{e:?}");
}

#[test]
fn non_ascii_text_maps_to_bytes() {
    let text = "echo \"héllo\" $x";
    let s = parse(text, Dialect::Sh);
    let echo = cmd(&s, "echo");
    assert_eq!(&text[echo.words[2].start..echo.words[2].end], "$x");
}

#[test]
fn loops_tests_and_functions() {
    let s = parse(
        "for f in $FILES; do rm $f; done; [[ $a == b ]]; f() { cd x; }; case $y in a) ;; esac",
        Dialect::Bash,
    );
    assert_eq!(s.for_loops[0].variable, "f");
    assert_eq!(s.for_loops[0].values[0].raw, "$FILES");
    assert_eq!(s.extended_tests.len(), 1);
    assert!(cmd(&s, "cd").in_function);
    assert_eq!(s.case_subjects[0].raw, "$y");
    let text = "diff <(ls /a) /b";
    let s = parse(text, Dialect::Bash);
    let (start, end) = s.process_substitutions[0];
    assert_eq!(&text[start..end], "(ls /a)");
    // dash rejects it.
    assert!(parse(text, Dialect::Sh).error.is_some());
}

/// Mutated scripts (quotes, substitutions, heredocs, keywords inserted or
/// bytes cut at pseudo-random places) never panic: a RUN the shell rejects is
/// a finding, not a crash of the plugin.
#[test]
fn mutated_scripts_never_panic() {
    let seeds = [
        "set -eux; apt-get update && apt-get install -y --no-install-recommends curl=7.1 \\\n  && rm -rf /var/lib/apt/lists/*",
        "case \"$(uname -m)\" in x86_64) A=amd64;; *) echo no; exit 1;; esac; for f in a b; do echo \"$f\"; done",
        "cat <<EOF > /etc/x\n$HOME `id`\nEOF\nif [ -f x ]; then sh -c 'rm -rf \"${D:?}\"/*'; fi",
        "export V=$(cat VERSION) && f() { local x=\"$1\"; echo ${x%.*} $((1+2)); }; f \"$V\" | tee /l 2>&1",
    ];
    let inserts = [
        "'", "\"", "`", "$(", ")", "(", "${", "}", "{", "\\", "\n", "<<EOF", "EOF", "&&", "|", ";",
        "if", "then", "fi", "esac", "done", "$((", "é", "\\\n", "#", "[[", "]]", "<(", "&>", "$'",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    for _ in 0..3000 {
        let mut s = seeds[next() % seeds.len()].to_string();
        for _ in 0..1 + next() % 4 {
            let mut at = next() % (s.len() + 1);
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            if next() % 3 == 0 && at < s.len() {
                let mut end = (at + 1 + next() % 8).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, "");
            } else {
                s.insert_str(at, inserts[next() % inserts.len()]);
            }
        }
        for dialect in [Dialect::Sh, Dialect::Bash] {
            let tree = parse(&s, dialect);
            let _ = crate::shell::from_syntax(&s, &tree);
        }
    }
}

#[test]
fn a_missing_separator_before_then_is_named() {
    let text = "if [ \"$x\" = 1 ] then echo yes; fi";
    let e = parse(text, Dialect::Sh).error.expect("an error");
    assert_eq!(&text[e.at..e.at + 4], "then", "{e:?}");
    assert!(e.message.contains("`then` needs a `;`"), "{e:?}");
    let text = "for f in a b do echo $f; done";
    let e = parse(text, Dialect::Sh).error.expect("an error");
    assert_eq!(&text[e.at..e.at + 2], "do", "{e:?}");
    // Correct scripts, and `then` as an argument in quotes, are left alone.
    assert!(
        parse("if true; then echo then; fi", Dialect::Sh)
            .error
            .is_none()
    );
    assert!(missing_separator("echo 'a then b'").is_none());
}

#[test]
fn scripts_nested_too_deep_are_an_error_not_a_crash() {
    let deep = format!("{}echo{}", "if true; then ".repeat(400), "; fi".repeat(400));
    let e = parse(&deep, Dialect::Sh).error.expect("an error");
    assert!(e.message.contains("nests more than 150 levels"), "{e:?}");
    let subst = format!("echo {}x{}", "$(echo ".repeat(400), ")".repeat(400));
    assert!(parse(&subst, Dialect::Bash).error.is_some());
    // Real depths parse.
    let fine = format!("{}echo{}", "if true; then ".repeat(40), "; fi".repeat(40));
    assert!(parse(&fine, Dialect::Sh).error.is_none());
    assert!(too_deep("echo 'if if if (((('; ls").is_none());
}

#[test]
fn a_word_read_before_is_read_the_same_wherever_it_is() {
    let opts = brush_parser::ParserOptions::default();
    let a = word_pieces("\"$GNUPGHOME/x\"", &opts).unwrap();
    let b = word_pieces("\"$GNUPGHOME/x\"", &opts).unwrap();
    assert!(Rc::ptr_eq(&a, &b), "the second read is the kept one");
    // The same word at other offsets, in other scripts, with a command
    // substitution (whose commands belong to each script) in it.
    let word = "\"$(id -u):$GNUPGHOME\"";
    let parts = |text: &str| {
        let s = parse(text, Dialect::Bash);
        let w = cmd(&s, "chown").words[1].clone();
        let parts: Vec<(usize, usize, Quoting)> = w
            .parts
            .iter()
            .map(|p| (p.start - w.start, p.end - w.start, p.quoting))
            .collect();
        (parts, s.commands.iter().filter(|c| c.is("id")).count())
    };
    let first = parts(&format!("chown {word} /a"));
    let again = parts(&format!("true && chown {word} /b"));
    assert_eq!(first, again);
    assert_eq!(first.1, 1, "the substitution's command is in each script");
}

#[test]
fn a_file_descriptor_too_large_never_reaches_brush_parser() {
    // Simple commands: a word, as bash and dash read it.
    let s = parse("echo 99999999999>f", Dialect::Sh);
    assert_eq!(s.error, None);
    assert_eq!(cmd(&s, "echo").words.len(), 2);
    // Past what the simple parser reads (a function): not analysed, said so.
    let s = parse("f() { echo 99999999999>f; }", Dialect::Sh);
    let e = s.error.expect("an error");
    assert!(e.message.contains("not analysed"), "{e:?}");
}

#[test]
fn long_digits_elsewhere_are_parsed() {
    // Quoted, or apart from the `>`: not a file descriptor, brush-parser reads it.
    for text in [
        "f() { echo \"99999999999>\" 99999999999 >f; }",
        "cat <<EOF\n99999999999>f\nEOF",
    ] {
        assert_eq!(parse(text, Dialect::Sh).error, None, "{text:?}");
    }
}

//! Compose's variable interpolation, as the Compose specification defines it,
//! evaluated with no variable set: what a checkout builds with before anyone
//! exports anything. `${VAR:-default}` and `${VAR-default}` give the default,
//! `${VAR:+alt}` gives nothing, `$$` is a `$`; `$VAR`, `${VAR}` and
//! `${VAR:?error}` have no value.

/// The value with every variable replaced, or the names of the variables that
/// have no value.
pub fn interpolate(s: &str) -> Result<String, Vec<String>> {
    let mut out = String::new();
    let mut missing = Vec::new();
    let rest = expand(s, &mut out, &mut missing);
    debug_assert!(rest.is_empty());
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// Expands `s` into `out` up to an unmatched `}` (returned with what follows).
fn expand<'a>(s: &'a str, out: &mut String, missing: &mut Vec<String>) -> &'a str {
    let mut rest = s;
    loop {
        let Some(i) = rest.find(['$', '}']) else {
            out.push_str(rest);
            return "";
        };
        out.push_str(&rest[..i]);
        if rest[i..].starts_with('}') {
            return &rest[i..];
        }
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('$') {
            out.push('$');
            rest = a;
        } else if let Some(braced) = after.strip_prefix('{') {
            rest = braced_var(braced, out, missing);
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if n == 0 {
                out.push('$');
            } else {
                missing.push(after[..n].to_string());
            }
            rest = &after[n..];
        }
    }
}

/// `NAME[op word]}` after `${`; returns what follows the closing brace.
fn braced_var<'a>(s: &'a str, out: &mut String, missing: &mut Vec<String>) -> &'a str {
    let n = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = &s[..n];
    let rest = &s[n..];
    let (op, word) = ["-", ":-", "+", ":+", "?", ":?"]
        .iter()
        .filter(|op| rest.starts_with(**op))
        .max_by_key(|op| op.len())
        .map(|op| (*op, &rest[op.len()..]))
        .unwrap_or(("", rest));
    let mut value = String::new();
    let mut inner_missing = Vec::new();
    let after = if op.is_empty() {
        word
    } else {
        expand(word, &mut value, &mut inner_missing)
    };
    match op {
        "-" | ":-" => {
            out.push_str(&value);
            missing.extend(inner_missing);
        }
        "+" | ":+" => {}
        _ => missing.push(name.to_string()),
    }
    after.strip_prefix('}').unwrap_or(after)
}

#[cfg(test)]
mod tests {
    use super::interpolate;

    #[test]
    fn defaults_apply_and_bare_variables_are_missing() {
        assert_eq!(interpolate("nginx:1.25").unwrap(), "nginx:1.25");
        assert_eq!(
            interpolate("${REGISTRY:-docker.io}/app:${TAG-1.0}").unwrap(),
            "docker.io/app:1.0"
        );
        assert_eq!(
            interpolate("${A:-${B:-x}}:1").unwrap(),
            "x:1",
            "nested defaults"
        );
        assert_eq!(interpolate("a$$b${X:+y}").unwrap(), "a$b");
        assert_eq!(interpolate("$IMAGE").unwrap_err(), vec!["IMAGE"]);
        assert_eq!(
            interpolate("${REG}/app:${TAG:?set TAG}").unwrap_err(),
            vec!["REG", "TAG"]
        );
        assert_eq!(interpolate("x:${A:-$B}").unwrap_err(), vec!["B"]);
    }
}

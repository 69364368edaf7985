//! Text that came from outside (plugins, registries, images): cut to a size
//! without splitting a character.

/// Cuts `s` to at most `max_bytes` bytes at a character boundary; returns
/// whether anything was cut. Every truncation of plugin-supplied text goes
/// through here: `String::truncate` panics inside a multi-byte character.
pub fn truncate_utf8(s: &mut String, max_bytes: usize) -> bool {
    if s.len() <= max_bytes {
        return false;
    }
    let cut = s.floor_char_boundary(max_bytes);
    s.truncate(cut);
    true
}

/// [`truncate_utf8`], marking a cut with `…` (which stays within `max_bytes`).
pub fn truncate_with_ellipsis(s: &mut String, max_bytes: usize) {
    const MARK: &str = "…";
    if s.len() > max_bytes {
        truncate_utf8(s, max_bytes.saturating_sub(MARK.len()));
        s.push_str(MARK);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        for extra in ["é", "€", "😀", "a"] {
            for pad in 0..4 {
                let mut s = "a".repeat(4095 - pad) + &extra.repeat(10);
                let before = s.clone();
                assert!(truncate_utf8(&mut s, 4096));
                assert!(s.len() <= 4096 && before.starts_with(&s));
                let mut t = before.clone();
                truncate_with_ellipsis(&mut t, 4096);
                assert!(t.len() <= 4096 && t.ends_with('…'), "{}", t.len());
            }
        }
        let mut short = String::from("é");
        assert!(!truncate_utf8(&mut short, 4096));
        assert_eq!(short, "é");
        let mut zero = String::from("é");
        assert!(truncate_utf8(&mut zero, 1));
        assert_eq!(zero, "");
    }
}

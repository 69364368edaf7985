//! Both views of a script's parse, remembered for the next script with the
//! same text.
//!
//! Dockerfiles repeat their RUN lines: the variants of an image
//! (`8/Dockerfile`, `8/alpine/Dockerfile`) and the services of a repository
//! share their `apt-get update && apt-get install ...` lines byte for byte.
//! Parsing is a pure function of the text and the dialect, and it is most of
//! what the lint plugin spends on a Dockerfile (brush-parser's tokenizer and
//! grammar, then the two views built from its tree), so a parse is kept and
//! shared (`Arc`) with the next script that has the same text. In the shared
//! corpus nearly half the RUN text a plugin instance sees is a repeat.
//!
//! The memory this keeps is bounded: scripts longer than
//! [`LONGEST_KEPT`] are not kept, and when the texts kept would pass
//! [`KEPT_BYTES`] everything is forgotten and keeping starts afresh. A plugin
//! instance may keep it between calls, which the plugin contract allows (a
//! check depends on its arguments only; what an instance remembers may be gone
//! on the next call, docs/plugins/authoring.md).

use std::cell::RefCell;
use std::sync::Arc;

// Keyed by whole scripts, hashed on every parse: FxHash, not SipHash (no
// key here comes from anyone who could aim at collisions but the
// Dockerfile's author, whose own check it would slow).
use rustc_hash::FxHashMap as HashMap;

use super::syntax::{self, Dialect, Syntax};
use super::{Script, from_syntax};

/// The longest script text kept.
const LONGEST_KEPT: usize = 16 << 10;
/// The most script text kept at once (their trees take some tens of times
/// that). Repeats come close together (the variants of one image are checked
/// one after another): in the shared corpus 16 KiB already finds 96% of what
/// an unbounded memory would.
const KEPT_BYTES: usize = 64 << 10;

/// Both views of one parse.
type Parsed = (Arc<Script>, Arc<Syntax>);

/// Values kept by text, at most `limit` bytes of text at once: past it,
/// everything is forgotten and keeping starts afresh. Also keeps the shell
/// words of `syntax::word_pieces`.
pub(super) struct Kept<V> {
    by_text: HashMap<Box<str>, V>,
    bytes: usize,
    limit: usize,
}

impl<V> Kept<V> {
    pub(super) fn new(limit: usize) -> Self {
        Kept {
            by_text: HashMap::default(),
            bytes: 0,
            limit,
        }
    }

    pub(super) fn get(&self, text: &str) -> Option<&V> {
        self.by_text.get(text)
    }

    /// The value kept for `text`, a default one when there is none.
    pub(super) fn entry(&mut self, text: &str) -> &mut V
    where
        V: Default,
    {
        self.make_room(text);
        self.by_text.entry(text.into()).or_default()
    }

    /// Keeps `value` for `text`.
    pub(super) fn insert(&mut self, text: &str, value: V) {
        self.make_room(text);
        self.by_text.insert(text.into(), value);
    }

    /// Forgets everything when `text` would pass the limit; counts it when
    /// it is new.
    fn make_room(&mut self, text: &str) {
        if self.bytes + text.len() > self.limit {
            self.by_text.clear();
            self.bytes = 0;
        }
        if !self.by_text.contains_key(text) {
            self.bytes += text.len();
        }
    }
}

thread_local! {
    /// Per text, the parse of each dialect asked for.
    static KEPT: RefCell<Kept<Vec<(Dialect, Parsed)>>> = RefCell::new(Kept::new(KEPT_BYTES));
}

/// The commands and the syntax tree of `text` run by a `dialect` shell: a
/// parse kept from an earlier script with the same text, or a new one.
pub(super) fn parse(text: &str, dialect: Dialect) -> Parsed {
    let found = KEPT.with_borrow(|k| {
        k.get(text).and_then(|v| {
            v.iter()
                .find(|(d, _)| *d == dialect)
                .map(|(_, p)| p.clone())
        })
    });
    if let Some(hit) = found {
        return hit;
    }
    let tree = syntax::parse(text, dialect);
    let parsed: Parsed = (Arc::new(from_syntax(text, &tree)), Arc::new(tree));
    if text.len() <= LONGEST_KEPT {
        KEPT.with_borrow_mut(|k| k.entry(text).push((dialect, parsed.clone())));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(text: &str, dialect: Dialect) -> String {
        let tree = syntax::parse(text, dialect);
        format!("{:?}{:?}", from_syntax(text, &tree), tree)
    }

    fn kept(text: &str, dialect: Dialect) -> String {
        let (s, t) = parse(text, dialect);
        format!("{s:?}{t:?}")
    }

    #[test]
    fn a_kept_parse_is_the_parse_of_its_text_and_dialect() {
        let bash_only = "[[ -f /etc/x ]] && echo $((1+2)) <(ls)";
        for d in [Dialect::Sh, Dialect::Bash] {
            assert_eq!(kept(bash_only, d), fresh(bash_only, d), "{d:?}");
        }
        // The second of each is answered from what was kept, per dialect.
        for d in [Dialect::Bash, Dialect::Sh] {
            let (a, _) = parse(bash_only, d);
            let (b, _) = parse(bash_only, d);
            assert!(Arc::ptr_eq(&a, &b));
            assert_eq!(kept(bash_only, d), fresh(bash_only, d), "{d:?}");
        }
        let sh = parse(bash_only, Dialect::Sh).1;
        let bash = parse(bash_only, Dialect::Bash).1;
        assert!(!Arc::ptr_eq(&sh, &bash));
    }

    #[test]
    fn what_is_kept_stays_under_its_bound() {
        let long = format!("echo {}", "x".repeat(LONGEST_KEPT));
        let (a, _) = parse(&long, Dialect::Sh);
        let (b, _) = parse(&long, Dialect::Sh);
        assert!(
            !Arc::ptr_eq(&a, &b),
            "a script over the longest kept is parsed afresh"
        );
        for i in 0..(2 * KEPT_BYTES / 1000) {
            let text = format!("echo {i} {}", "y".repeat(1000));
            assert_eq!(kept(&text, Dialect::Sh), fresh(&text, Dialect::Sh));
            KEPT.with_borrow(|k| {
                assert!(k.bytes <= KEPT_BYTES);
                assert_eq!(k.bytes, k.by_text.keys().map(|t| t.len()).sum::<usize>());
            });
        }
    }
}

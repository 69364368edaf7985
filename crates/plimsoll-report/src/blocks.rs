//! Report text rendered for one target's findings on a worker and kept with
//! them by the result cache (added by the first run that finds the target
//! unchanged), so that a re-run writes an unchanged file's findings without
//! rendering them again: the human report's blocks
//! ([`crate::human::target_blocks`]) and the JSON document's elements
//! ([`crate::json::target_blocks`]).

use crate::Finding;

/// The rendered text of one target's findings (see the [module](self)).
#[derive(Debug, Clone)]
pub struct Blocks {
    /// What they were rendered as: [`crate::human::HumanOptions::blocks_tag`]
    /// of the human report's options, [`crate::json::BLOCKS_TAG`] for JSON.
    pub tag: u8,
    /// How many findings they show (all of the target's, in report order).
    pub findings: usize,
    pub text: BlockText,
}

/// The text of [`Blocks`]: rendered by this run, or a range of bytes held
/// by something shared (the result cache's entry, mapped), which the report
/// writes out as they are rather than copying megabytes into a string.
#[derive(Clone)]
pub struct BlockText(BlockBytes);

#[derive(Clone)]
enum BlockBytes {
    Owned(String),
    Shared(
        std::sync::Arc<dyn AsRef<[u8]> + Send + Sync>,
        std::ops::Range<usize>,
    ),
}

impl BlockText {
    /// `owner`'s bytes in `range`, which hold blocks this reporter rendered
    /// (an empty text when the range is out of bounds).
    pub fn shared(
        owner: std::sync::Arc<dyn AsRef<[u8]> + Send + Sync>,
        range: std::ops::Range<usize>,
    ) -> BlockText {
        BlockText(BlockBytes::Shared(owner, range))
    }

    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            BlockBytes::Owned(s) => s.as_bytes(),
            BlockBytes::Shared(owner, range) => {
                (**owner).as_ref().get(range.clone()).unwrap_or_default()
            }
        }
    }
}

impl From<String> for BlockText {
    fn from(s: String) -> BlockText {
        BlockText(BlockBytes::Owned(s))
    }
}

impl std::fmt::Debug for BlockText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        String::from_utf8_lossy(self.as_bytes()).fmt(f)
    }
}

/// Each target's findings in `findings` (sorted by target, as the report
/// is): the target and where its findings are.
pub(crate) fn by_target(
    findings: &[Finding],
) -> impl Iterator<Item = (&str, std::ops::Range<usize>)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let target = findings.get(i)?.location.target();
        let n = findings[i..]
            .iter()
            .take_while(|f| f.location.target() == target)
            .count();
        i += n;
        Some((target, i - n..i))
    })
}

//! A size-class cache in front of a plugin's allocator.
//!
//! A plugin that allocates and frees many small values (every `RUN`'s
//! shell syntax tree, every finding's strings) spends much of its time in
//! a general allocator's search for a fitting block and its coalescing of
//! freed ones. [`SizeClasses`] answers requests of up to
//! [`LARGEST_CLASS`] bytes from one free list per power-of-two size,
//! carved from slabs its inner allocator gives it, and passes larger ones
//! through: an allocation is a pop or a pointer bump, a free a push.
//!
//! ```ignore
//! #[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
//! #[global_allocator]
//! static ALLOC: plimsoll_plugin_sdk::alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
//!     plimsoll_plugin_sdk::alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());
//! ```
//!
//! What it costs: a small value takes the next power of two (at least 16
//! bytes), and memory freed in one size is kept for that size, never given
//! back to the inner allocator. A plugin instance lives for one batch of
//! targets, so neither adds up; the host's memory limit applies all the
//! same (slabs come from the inner allocator, which grows the memory with
//! `memory.grow`).
//!
//! Why by hand: the maintained allocators for WebAssembly (talc, dlmalloc,
//! rlsf) are general-purpose, and none keeps such a cache in front of
//! another; the ones that are size-class allocators (wee_alloc: archived;
//! alloc_cat) stand alone and are not faster.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// The smallest class: 16 bytes, the strictest alignment Rust asks for on
/// wasm32 (`u128`) and room for the free list's link.
const SMALLEST_SHIFT: u32 = 4;
/// Requests up to this size (and alignment) are served from classes.
pub const LARGEST_CLASS: usize = 4096;
const CLASSES: usize = (LARGEST_CLASS.trailing_zeros() - SMALLEST_SHIFT + 1) as usize;
/// What a class asks its inner allocator for at a time.
const SLAB: usize = 32 * 1024;

/// See the [module](self).
pub struct SizeClasses<A> {
    inner: A,
    state: UnsafeCell<State>,
}

struct State {
    /// Each class's freed blocks, linked through their first word.
    free: [*mut u8; CLASSES],
    /// Each class's slab: the next block never handed out, and its end.
    next: [*mut u8; CLASSES],
    end: [*mut u8; CLASSES],
}

// SAFETY: a plugin is single-threaded WebAssembly (no `atomics` feature):
// no two calls into the allocator can overlap.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
unsafe impl<A: Sync> Sync for SizeClasses<A> {}

/// The class of `layout`, when it has one.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align());
    (size <= LARGEST_CLASS).then(|| {
        let shift = usize::BITS - size.saturating_sub(1).leading_zeros();
        shift.saturating_sub(SMALLEST_SHIFT) as usize
    })
}

fn class_size(class: usize) -> usize {
    1 << (class as u32 + SMALLEST_SHIFT)
}

impl<A: GlobalAlloc> SizeClasses<A> {
    pub const fn new(inner: A) -> SizeClasses<A> {
        SizeClasses {
            inner,
            state: UnsafeCell::new(State {
                free: [ptr::null_mut(); CLASSES],
                next: [ptr::null_mut(); CLASSES],
                end: [ptr::null_mut(); CLASSES],
            }),
        }
    }

    /// A block of `class`: a freed one, or the next of its slab.
    ///
    /// # Safety
    /// No other call on `self` runs at the same time.
    unsafe fn take(&self, class: usize) -> *mut u8 {
        // SAFETY: calls never overlap (the caller's contract).
        let s = unsafe { &mut *self.state.get() };
        let head = s.free[class];
        if !head.is_null() {
            // SAFETY: a freed block of this class holds the next link in
            // its first word, written by `give`; blocks are at least 16
            // bytes and aligned to their size.
            s.free[class] = unsafe { *(head as *mut *mut u8) };
            return head;
        }
        let size = class_size(class);
        if s.next[class] == s.end[class] {
            // SAFETY: SLAB is a non-zero multiple of every class size, and
            // every class size is a power of two.
            let layout = unsafe { Layout::from_size_align_unchecked(SLAB, size) };
            // SAFETY: the layout's size is not zero.
            let slab = unsafe { self.inner.alloc(layout) };
            if slab.is_null() {
                return slab;
            }
            s.next[class] = slab;
            // SAFETY: the slab is SLAB bytes long.
            s.end[class] = unsafe { slab.add(SLAB) };
        }
        let block = s.next[class];
        // SAFETY: `next` is below `end` and SLAB is a multiple of `size`.
        s.next[class] = unsafe { block.add(size) };
        block
    }

    /// Gives `block` back to `class`'s free list.
    ///
    /// # Safety
    /// `block` came from `take(class)`; no other call on `self` runs at the
    /// same time.
    unsafe fn give(&self, block: *mut u8, class: usize) {
        // SAFETY: calls never overlap (the caller's contract).
        let s = unsafe { &mut *self.state.get() };
        // SAFETY: the block is at least 16 bytes, aligned to its size, and
        // no longer in use.
        unsafe { *(block as *mut *mut u8) = s.free[class] };
        s.free[class] = block;
    }
}

// SAFETY: every block handed out is at least the layout's size and aligned
// to its class size, which is at least the layout's alignment; a block is
// handed out again only after it was freed; what is not a class's goes to
// `inner` with its own layout, both ways.
unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClasses<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            // SAFETY: calls into a global allocator do not overlap here
            // (see the `Sync` impl).
            Some(class) => unsafe { self.take(class) },
            // SAFETY: forwarded with the caller's layout.
            None => unsafe { self.inner.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match class_of(layout) {
            // SAFETY: `ptr` was allocated with this layout, so by this
            // class.
            Some(class) => unsafe { self.give(ptr, class) },
            // SAFETY: `ptr` came from `inner` with this layout.
            None => unsafe { self.inner.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees the new layout is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            // The block already holds the new size.
            (Some(a), Some(b)) if a == b => ptr,
            // SAFETY: `ptr` came from `inner` with `layout`.
            (None, None) => unsafe { self.inner.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: a valid non-zero layout (the caller's contract).
                let new = unsafe { self.alloc(new_layout) };
                if !new.is_null() {
                    // SAFETY: both blocks hold at least the smaller size and
                    // are distinct (`ptr` is still in use).
                    unsafe {
                        ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    #[test]
    fn classes_are_powers_of_two_from_sixteen_bytes() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(16, 1), Some(0));
        assert_eq!(class(17, 1), Some(1));
        assert_eq!(class(32, 8), Some(1));
        assert_eq!(class(8, 64), Some(2));
        assert_eq!(class(4096, 1), Some(CLASSES - 1));
        assert_eq!(class(4097, 1), None);
        assert_eq!(class(8, 8192), None);
        assert_eq!(class_size(CLASSES - 1), LARGEST_CLASS);
    }

    /// A long mixed run of allocations, frees and reallocations of every
    /// size and alignment class (and past them): every live block keeps
    /// its bytes, is aligned, and overlaps no other.
    #[test]
    fn blocks_keep_their_bytes_and_never_overlap() {
        let heap = SizeClasses::new(System);
        let mut live: Vec<(*mut u8, Layout, u8)> = Vec::new();
        // A fixed xorshift sequence: the same run every time.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let fill = |p: *mut u8, l: Layout, b: u8| {
            // SAFETY: `p` holds `l.size()` bytes.
            unsafe { ptr::write_bytes(p, b, l.size()) }
        };
        let check = |p: *mut u8, len: usize, b: u8| {
            // SAFETY: `p` holds at least `len` bytes, all written.
            let bytes = unsafe { std::slice::from_raw_parts(p, len) };
            assert!(bytes.iter().all(|x| *x == b), "a block lost its bytes");
        };
        for step in 0..40_000u32 {
            let r = next();
            let tag = (step % 251) as u8;
            match r % 5 {
                0 | 1 => {
                    let size = match r >> 8 & 3 {
                        0 => (r >> 16) as usize % 24 + 1,
                        1 => (r >> 16) as usize % 600 + 1,
                        2 => (r >> 16) as usize % 5000 + 1,
                        _ => (r >> 16) as usize % 70_000 + 1,
                    };
                    let align = 1 << ((r >> 40) % 8);
                    let l = Layout::from_size_align(size, align).unwrap();
                    // SAFETY: a non-zero layout.
                    let p = unsafe { heap.alloc(l) };
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "misaligned for {l:?}");
                    fill(p, l, tag);
                    live.push((p, l, tag));
                }
                2 | 3 if !live.is_empty() => {
                    let (p, l, b) = live.swap_remove((r >> 8) as usize % live.len());
                    check(p, l.size(), b);
                    // SAFETY: allocated by `heap` with `l`, freed once.
                    unsafe { heap.dealloc(p, l) };
                }
                _ if !live.is_empty() => {
                    let i = (r >> 8) as usize % live.len();
                    let (p, l, b) = live[i];
                    let size = (r >> 20) as usize % 9000 + 1;
                    // SAFETY: allocated by `heap` with `l`; a non-zero size.
                    let q = unsafe { heap.realloc(p, l, size) };
                    assert!(!q.is_null());
                    assert_eq!(q as usize % l.align(), 0);
                    check(q, l.size().min(size), b);
                    let l = Layout::from_size_align(size, l.align()).unwrap();
                    fill(q, l, tag);
                    live[i] = (q, l, tag);
                }
                _ => {}
            }
        }
        let mut spans: Vec<(usize, usize)> = live
            .iter()
            .map(|(p, l, _)| (*p as usize, *p as usize + l.size()))
            .collect();
        spans.sort();
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0),
            "two live blocks overlap"
        );
        for (p, l, b) in live {
            check(p, l.size(), b);
            // SAFETY: allocated by `heap` with `l`.
            unsafe { heap.dealloc(p, l) };
        }
    }

    /// A freed block is what the next request of its class gets.
    #[test]
    fn a_freed_block_is_used_again_by_its_class() {
        let heap = SizeClasses::new(System);
        let l = Layout::from_size_align(40, 8).unwrap();
        // SAFETY: a non-zero layout; each block freed once, with it.
        unsafe {
            let a = heap.alloc(l);
            heap.dealloc(a, l);
            let b = heap.alloc(Layout::from_size_align(64, 1).unwrap());
            assert_eq!(a, b);
            let c = heap.realloc(b, Layout::from_size_align(64, 1).unwrap(), 33);
            assert_eq!(b, c, "a reallocation within the class stays put");
        }
    }
}

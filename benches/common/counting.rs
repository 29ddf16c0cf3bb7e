//! A global allocator that counts the bytes live on the heap (and their peak) in front of
//! mimalloc, the allocator the binary ships with, or of the system's (glibc's) when the
//! environment says `BENCH_ALLOCATOR=system`: what the heap holds against what the process
//! keeps resident shows the allocator's slack, in the same run.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// 0: not chosen yet; 1: mimalloc; 2: the system's.
static WHICH: AtomicU8 = AtomicU8::new(0);

unsafe extern "C" {
    /// libc's, which allocates nothing (std's `env::var` would, inside the allocator).
    fn getenv(name: *const std::ffi::c_char) -> *const std::ffi::c_char;
    /// mimalloc's (linked in by the mimalloc crate): frees what it can give back to the system.
    fn mi_collect(force: bool);
}

/// Asks the allocator to give back what it can (mimalloc's forced collect; glibc's trim).
pub fn collect() {
    if which() == 1 {
        // SAFETY: mimalloc's own entry point, safe to call at any time from any thread.
        unsafe { mi_collect(true) }
    }
}

fn which() -> u8 {
    match WHICH.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: a NUL-terminated name; the result is only compared, never kept.
            let system = unsafe {
                let v = getenv(c"BENCH_ALLOCATOR".as_ptr());
                !v.is_null() && std::ffi::CStr::from_ptr(v).to_bytes() == b"system"
            };
            let w = if system { 2 } else { 1 };
            // The first allocation decides, before any thread but main exists.
            WHICH.store(w, Ordering::Relaxed);
            w
        }
        w => w,
    }
}

/// The allocator's name, as chosen.
pub fn name() -> &'static str {
    if which() == 2 {
        "the system's (glibc)"
    } else {
        "mimalloc (as shipped)"
    }
}

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed on unchanged to one allocator, chosen once for the process.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        if which() == 2 {
            unsafe { System.alloc(l) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(l) }
        }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        grew(l.size());
        if which() == 2 {
            unsafe { System.alloc_zeroed(l) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(l) }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        if which() == 2 {
            unsafe { System.dealloc(p, l) }
        } else {
            unsafe { mimalloc::MiMalloc.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new >= l.size() {
            grew(new - l.size());
        } else {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        if which() == 2 {
            unsafe { System.realloc(p, l, new) }
        } else {
            unsafe { mimalloc::MiMalloc.realloc(p, l, new) }
        }
    }
}

/// Bytes live on the heap now.
pub fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The most bytes live at once since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// A field of /proc/self/status (`RssAnon`, `RssFile`…) in KiB; 0 where unknown.
pub fn status_kib(field: &str) -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

//! The log's cells: an append-only vector whose slots never move. Appending and reading are
//! lock-free, as they were with `boxcar`; what differs is how memory is taken. boxcar's buckets
//! double (32, 64 … cells) and the next is allocated, zeroed, once seven eighths of the last is
//! used: at a million exchanges that is 48 MiB of empty cells ahead of need, which the allocator
//! kept resident. Here memory is taken a chunk of [`CHUNK`] slots (768 KiB of the log's 48-byte
//! cells) at a time, when the first slot of the chunk is claimed: what is allocated and not yet
//! used is at most one chunk.
//!
//! A slot is claimed by one atomic add, written, then marked ready; a reader sees only ready
//! slots. Chunks are found through directories of chunk pointers, each made (with a
//! compare-and-swap: a racing maker frees its own) when first needed.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

/// Slots in a chunk.
pub(super) const CHUNK: usize = 1 << 14;
/// Chunks in a directory.
const DIR: usize = 1 << 12;
/// Directories: 64 × 4,096 × 16,384 slots, 2^32 exchanges.
const DIRS: usize = 64;
const CAPACITY: usize = DIRS * DIR * CHUNK;

struct Slot<T> {
    ready: AtomicBool,
    /// A number given with the value, readable without touching the value (the log keeps its
    /// exchange's action key's [`key_tag`](super::key_tag) here: a scan for one key reads these
    /// in a row). It takes what was padding: a slot is 48 bytes with it as without.
    tag: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// An append-only vector of `T`, lock-free to append to and to read.
pub(super) struct Cells<T> {
    /// The next index to hand out.
    claimed: AtomicUsize,
    /// How many slots are written (some below `claimed` may still be being written).
    count: AtomicUsize,
    /// How many chunks are allocated.
    chunks: AtomicUsize,
    dirs: [AtomicPtr<AtomicPtr<Slot<T>>>; DIRS],
}

// Safety: a slot's value is written once, by the one pusher that claimed its index, before it
// is marked ready (Release); readers see it only after seeing it ready (Acquire), and only by
// shared reference. So `Cells<T>` shares `&T` across threads (T: Sync) and moves `T` into
// itself from any thread (T: Send).
unsafe impl<T: Send + Sync> Sync for Cells<T> {}
unsafe impl<T: Send> Send for Cells<T> {}

impl<T> Default for Cells<T> {
    fn default() -> Self {
        Cells {
            claimed: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
            chunks: AtomicUsize::new(0),
            dirs: [const { AtomicPtr::new(ptr::null_mut()) }; DIRS],
        }
    }
}

/// `at`'s pointer, made by `make` if it is null (a racing maker's is freed by `free`).
fn get_or_make<X>(
    at: &AtomicPtr<X>,
    make: impl FnOnce() -> *mut X,
    free: impl FnOnce(*mut X),
) -> *mut X {
    let p = at.load(Ordering::Acquire);
    if !p.is_null() {
        return p;
    }
    let new = make();
    match at.compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => new,
        Err(theirs) => {
            free(new);
            theirs
        }
    }
}

fn split(i: usize) -> (usize, usize, usize) {
    (i / (DIR * CHUNK), (i / CHUNK) % DIR, i % CHUNK)
}

impl<T> Cells<T> {
    /// How many slots are written.
    pub(super) fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Bytes of the chunks allocated (and their directories).
    pub(super) fn bytes(&self) -> usize {
        let dirs = self
            .dirs
            .iter()
            .filter(|d| !d.load(Ordering::Acquire).is_null())
            .count();
        self.chunks.load(Ordering::Acquire) * CHUNK * std::mem::size_of::<Slot<T>>()
            + dirs * DIR * std::mem::size_of::<AtomicPtr<Slot<T>>>()
    }

    /// Appends what `f` makes of its index, tagged `tag`; the index.
    pub(super) fn push_with(&self, tag: u32, f: impl FnOnce(usize) -> T) -> usize {
        let i = self.claimed.fetch_add(1, Ordering::Relaxed);
        if i >= CAPACITY {
            self.claimed.fetch_sub(1, Ordering::Relaxed);
            panic!("the log is full: {CAPACITY} exchanges");
        }
        let value = f(i);
        let slot = self.slot(i, true).expect("a slot made when asked for");
        // Safety: index `i` was handed to this call alone, and its slot is not ready, so no
        // one reads or writes it.
        unsafe { (*slot.value.get()).write(value) };
        slot.tag.store(tag, Ordering::Relaxed);
        slot.ready.store(true, Ordering::Release);
        self.count.fetch_add(1, Ordering::Release);
        i
    }

    pub(super) fn push(&self, tag: u32, value: T) -> usize {
        self.push_with(tag, |_| value)
    }

    /// The tag of the value at `i`, if it is written (its value is not touched).
    pub(super) fn tag(&self, i: usize) -> Option<u32> {
        let slot = self.slot(i, false)?;
        // The tag is stored before the slot is marked ready (Release), read after (Acquire).
        slot.ready
            .load(Ordering::Acquire)
            .then(|| slot.tag.load(Ordering::Relaxed))
    }

    /// The value at `i`, if it is written.
    pub(super) fn get(&self, i: usize) -> Option<&T> {
        let slot = self.slot(i, false)?;
        // Safety: a ready slot was written once and is never written again.
        slot.ready
            .load(Ordering::Acquire)
            .then(|| unsafe { (*slot.value.get()).assume_init_ref() })
    }

    /// Slot `i`; with `make`, its directory and chunk are made if they are not yet.
    fn slot(&self, i: usize, make: bool) -> Option<&Slot<T>> {
        if i >= CAPACITY {
            return None;
        }
        let (d, c, s) = split(i);
        let dir = match make {
            true => get_or_make(&self.dirs[d], new_dir::<T>, free_dir::<T>),
            false => self.dirs[d].load(Ordering::Acquire),
        };
        if dir.is_null() {
            return None;
        }
        // Safety: a directory, once made, holds DIR pointers and lives as long as `self`.
        let at = unsafe { &*dir.add(c) };
        let chunk = match make {
            true => get_or_make(
                at,
                || {
                    self.chunks.fetch_add(1, Ordering::AcqRel);
                    new_chunk::<T>()
                },
                |p| {
                    self.chunks.fetch_sub(1, Ordering::AcqRel);
                    free_chunk::<T>(p)
                },
            ),
            false => at.load(Ordering::Acquire),
        };
        if chunk.is_null() {
            return None;
        }
        // Safety: a chunk, once made, holds CHUNK slots and lives as long as `self`.
        Some(unsafe { &*chunk.add(s) })
    }
}

fn new_dir<T>() -> *mut AtomicPtr<Slot<T>> {
    let dir: Box<[AtomicPtr<Slot<T>>]> =
        (0..DIR).map(|_| AtomicPtr::new(ptr::null_mut())).collect();
    Box::into_raw(dir).cast()
}

fn free_dir<T>(p: *mut AtomicPtr<Slot<T>>) {
    // Safety: `p` came from `new_dir` (DIR pointers) and no one else has it.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, DIR)) });
}

fn new_chunk<T>() -> *mut Slot<T> {
    let chunk: Box<[Slot<T>]> = (0..CHUNK)
        .map(|_| Slot {
            ready: AtomicBool::new(false),
            tag: AtomicU32::new(0),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        })
        .collect();
    Box::into_raw(chunk).cast()
}

/// Frees a chunk; its ready values are dropped by the caller first (a racing maker's chunk has
/// none).
fn free_chunk<T>(p: *mut Slot<T>) {
    // Safety: `p` came from `new_chunk` (CHUNK slots); `Slot` has no drop of its own.
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, CHUNK)) });
}

impl<T> Drop for Cells<T> {
    fn drop(&mut self) {
        for d in &self.dirs {
            let dir = d.load(Ordering::Acquire);
            if dir.is_null() {
                continue;
            }
            for c in 0..DIR {
                // Safety: the directory holds DIR pointers; `&mut self` means no one else
                // reads or writes them now.
                let chunk = unsafe { &*dir.add(c) }.load(Ordering::Acquire);
                if chunk.is_null() {
                    continue;
                }
                for s in 0..CHUNK {
                    // Safety: as above; a ready slot holds a value written once.
                    let slot = unsafe { &mut *chunk.add(s) };
                    if *slot.ready.get_mut() {
                        unsafe { slot.value.get_mut().assume_init_drop() };
                    }
                }
                free_chunk(chunk);
            }
            free_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CHUNK, Cells};
    use std::sync::Arc;

    fn i_tag(t: usize, n: usize) -> u32 {
        (t * 7 + n) as u32
    }

    #[test]
    fn a_slot_takes_48_bytes_with_its_tag() {
        assert_eq!(
            std::mem::size_of::<super::Slot<std::sync::Mutex<[u64; 4]>>>(),
            48
        );
    }

    #[test]
    fn pushes_from_many_threads_are_each_read_back_at_their_index() {
        let cells: Arc<Cells<(usize, usize)>> = Arc::default();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cells = cells.clone();
                std::thread::spawn(move || {
                    for n in 0..(CHUNK + 1000) {
                        let i = cells.push_with(i_tag(t, n), |i| (i, t * 1_000_000 + n));
                        assert_eq!(cells.get(i).map(|v| v.0), Some(i));
                        assert_eq!(cells.tag(i), Some(i_tag(t, n)));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("a pusher");
        }
        let n = 4 * (CHUNK + 1000);
        assert_eq!(cells.count(), n);
        let mut seen = std::collections::HashSet::new();
        for i in 0..n {
            let v = cells
                .get(i)
                .unwrap_or_else(|| panic!("slot {i} is not there"));
            assert_eq!(v.0, i);
            assert!(seen.insert(v.1), "value {} pushed twice", v.1);
        }
        assert!(cells.get(n).is_none());
        assert!(cells.get(usize::MAX).is_none());
        assert!(cells.tag(n).is_none());
    }

    #[test]
    fn memory_is_taken_a_chunk_at_a_time_and_values_are_dropped_with_it() {
        let cells: Cells<Arc<()>> = Cells::default();
        assert_eq!(cells.bytes(), 0);
        let counted = Arc::new(());
        cells.push(0, counted.clone());
        let one = cells.bytes();
        for _ in 1..CHUNK {
            cells.push(0, counted.clone());
        }
        assert_eq!(cells.bytes(), one, "one chunk holds {CHUNK}");
        cells.push(0, counted.clone());
        assert!(cells.bytes() > one && cells.bytes() < 3 * one);
        assert_eq!(Arc::strong_count(&counted), CHUNK + 2);
        drop(cells);
        assert_eq!(Arc::strong_count(&counted), 1);
    }
}

//! The log of exchanges, and how much of it is kept whole in memory.
//!
//! No lock covers the whole log: appending is lock-free (an append-only vector, [`Cells`],
//! which grows a chunk at a time and never moves what it holds), and each exchange has its own
//! lock. Calls answered
//! at once append, record and announce their exchange without waiting for one another.
//!
//! For the other rooms `append`.

use super::cells::Cells;
use super::{
    Arc, Engine, EventKind, Exchange, ExchangeId, Mutex, MutexGuard, Ordering, Packed, Phase,
    token_key,
};
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;

/// The log: one cell per exchange, each behind its own lock. An entry is the exchange, boxed,
/// or its [`Packed`] summary once the memory budget sent it to disk: the recorder reads it back
/// when asked for.
#[derive(Default)]
pub(super) struct Log {
    cells: Cells<Mutex<Cell>>,
    /// Exchanges kept whole, and the bytes they are reckoned to take.
    resident: AtomicUsize,
    resident_bytes: AtomicUsize,
    /// Who sends old exchanges to disk: one caller at a time, and a caller that finds it busy
    /// goes on (see [`Log::trim`]).
    trimmer: Mutex<Trimmer>,
    /// Exchanges read back from disk, for the trimmer to look at again. A leaf lock: nothing
    /// is locked while holding it.
    returned: Mutex<Vec<ExchangeId>>,
}

pub(super) struct Cell {
    pub(super) slot: Slot,
}

/// 32 bytes: with its lock and its slot's ready flag a cell takes 48 bytes of the log.
pub(super) enum Slot {
    /// The exchange, and whether the recorder has had a line of it yet (the first carries its
    /// headers and body). Shared with the events that announced it (and the window's list,
    /// which keeps them): changing it copies it only while one of those still holds it.
    Whole(Arc<Exchange>, bool),
    OnDisk(Packed),
}

/// Where the trimmer is: exchanges before `cursor` were looked at once; `kept` are those it
/// had to leave whole (live then, or read back since), looked at again on each trim.
#[derive(Default)]
struct Trimmer {
    cursor: usize,
    kept: VecDeque<ExchangeId>,
}

/// Exchanges always kept whole, newest first, whatever the budget.
pub(super) const KEEP_NEWEST: usize = 256;

/// How many exchanges one trim looks at, at most: a caller that trims pays a bounded cost.
const TRIM_STEP: usize = 256;

/// How many of the exchanges a trim had to leave whole it looks at again, at most.
const KEPT_STEP: usize = 16;

/// A number for an action key, kept beside each exchange in the log and read without its lock
/// (see [`Engine::key_tag_of`]): 0 for none, else the key's FNV-1a hash (never 0). Equal keys
/// have equal tags; different keys rarely do, so a tag that matches is checked against the key.
pub fn key_tag(key: Option<&str>) -> u32 {
    let Some(key) = key else { return 0 };
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h.max(1)
}

/// What an exchange is reckoned to take in memory: its headers and body, and a fixed part for
/// the rest (measured: about 1.5 KiB for the shipped samples' calls with their answers).
fn reckon(ex: &Exchange) -> usize {
    1536 + ex.arrival.body.len() + ex.arrival.headers.len()
}

/// Exchange `id`, locked, known to be whole in memory.
pub(super) struct Entry<'a> {
    cell: MutexGuard<'a, Cell>,
}

impl Entry<'_> {
    /// The exchange as it stands now, shared (an event carries it without copying it).
    pub(super) fn shared(&self) -> Arc<Exchange> {
        match &self.cell.slot {
            Slot::Whole(ex, _) => ex.clone(),
            Slot::OnDisk(_) => unreachable!("an entry is whole"),
        }
    }

    /// Whether the recorder has had this exchange before; from now on it has.
    pub(super) fn first_record(&mut self) -> bool {
        match &mut self.cell.slot {
            Slot::Whole(_, recorded) => !std::mem::replace(recorded, true),
            Slot::OnDisk(_) => false,
        }
    }
}

impl std::ops::Deref for Entry<'_> {
    type Target = Exchange;
    fn deref(&self) -> &Exchange {
        match &self.cell.slot {
            Slot::Whole(ex, _) => ex,
            // An Entry is only made for a whole exchange, and only the trimmer (which skips
            // locked cells it does not hold) changes that.
            Slot::OnDisk(_) => unreachable!("an entry is whole"),
        }
    }
}

impl std::ops::DerefMut for Entry<'_> {
    fn deref_mut(&mut self) -> &mut Exchange {
        match &mut self.cell.slot {
            Slot::Whole(ex, _) => Arc::make_mut(ex),
            Slot::OnDisk(_) => unreachable!("an entry is whole"),
        }
    }
}

fn lock_cell(m: &Mutex<Cell>) -> MutexGuard<'_, Cell> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Log {
    /// How many exchanges have an id (some of the newest may still be on their way in).
    pub(super) fn len(&self) -> usize {
        self.cells.count()
    }

    /// Appends `ex` and returns its id (its place, from 1).
    pub(super) fn push(&self, mut ex: Exchange, recorded: bool) -> ExchangeId {
        let size = reckon(&ex);
        let tag = super::key_tag(ex.action_key.as_deref());
        let i = self.cells.push_with(tag, move |i| {
            ex.id = i as ExchangeId + 1;
            Mutex::new(Cell {
                slot: Slot::Whole(Arc::new(ex), recorded),
            })
        });
        self.resident.fetch_add(1, Ordering::Relaxed);
        self.resident_bytes.fetch_add(size, Ordering::Relaxed);
        i as ExchangeId + 1
    }

    /// Appends an exchange that stays on disk.
    pub(super) fn push_on_disk(&self, summary: Packed) -> ExchangeId {
        let tag = super::key_tag(summary.action_key_text().as_deref());
        let i = self.cells.push(
            tag,
            Mutex::new(Cell {
                slot: Slot::OnDisk(summary),
            }),
        );
        i as ExchangeId + 1
    }

    pub(super) fn in_memory(&self) -> usize {
        self.resident.load(Ordering::Relaxed)
    }

    /// What the whole exchanges are reckoned to take (the memory budget's measure).
    pub(super) fn resident_bytes(&self) -> usize {
        self.resident_bytes.load(Ordering::Relaxed)
    }

    /// Bytes of the cells' chunks (at most one chunk is allocated ahead of use).
    pub(super) fn cells_bytes(&self) -> usize {
        self.cells.bytes()
    }

    /// The [`key_tag`](super::key_tag) of exchange `id`'s action key, without locking it.
    pub(super) fn key_tag(&self, id: ExchangeId) -> Option<u32> {
        self.cells.tag(index(id))
    }

    /// Exchange `id`'s cell, locked, however it is kept.
    pub(super) fn cell(&self, id: ExchangeId) -> Option<MutexGuard<'_, Cell>> {
        self.cells.get(index(id)).map(lock_cell)
    }

    /// Exchange `id`, locked, if it is whole in memory. Lock one exchange at a time (or the
    /// engine's state first, then one exchange): that order is what keeps locks from crossing.
    pub(super) fn lock(&self, id: ExchangeId) -> Option<Entry<'_>> {
        let cell = self.cell(id)?;
        matches!(cell.slot, Slot::Whole(..)).then_some(Entry { cell })
    }

    /// Whether exchange `id` is whole in memory and live (held, relayed, waiting).
    pub(super) fn is_live(&self, id: ExchangeId) -> bool {
        self.lock(id).is_some_and(|e| e.phase.is_live())
    }

    /// Exchange `id`, locked, brought back into memory with `read_back` if it was on disk.
    pub(super) fn lock_or_load(
        &self,
        id: ExchangeId,
        read_back: impl FnOnce() -> Option<Exchange>,
    ) -> Option<Entry<'_>> {
        let mut cell = self.cell(id)?;
        if matches!(cell.slot, Slot::OnDisk(_)) {
            let mut ex = read_back()?;
            ex.id = id;
            self.put_back(&mut cell, ex);
        }
        Some(Entry { cell })
    }

    /// Puts back an exchange read from disk into its locked cell.
    fn put_back(&self, cell: &mut MutexGuard<'_, Cell>, ex: Exchange) {
        if !matches!(cell.slot, Slot::OnDisk(_)) {
            return;
        }
        let id = ex.id;
        self.resident.fetch_add(1, Ordering::Relaxed);
        self.resident_bytes
            .fetch_add(reckon(&ex), Ordering::Relaxed);
        cell.slot = Slot::Whole(Arc::new(ex), true);
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id);
    }

    /// Sends the oldest ended exchanges to disk until those kept whole fit `budget` bytes.
    /// Live ones (held, relayed, waiting) stay: they are still being changed; so do the newest
    /// [`KEEP_NEWEST`], which the calls being handled may still be changing. One caller trims
    /// at a time, a bounded step; another that finds it busy goes on without waiting. Call it
    /// with no exchange locked.
    pub(super) fn trim(&self, budget: usize) {
        if self.resident_bytes.load(Ordering::Relaxed) <= budget {
            return;
        }
        let Ok(mut t) = self.trimmer.try_lock() else {
            return;
        };
        let returned =
            std::mem::take(&mut *self.returned.lock().unwrap_or_else(|e| e.into_inner()));
        t.kept.extend(returned);
        let over = |log: &Log| log.resident_bytes.load(Ordering::Relaxed) > budget;
        // A few of those left whole before, oldest first (most are live for a while yet).
        for _ in 0..t.kept.len().min(KEPT_STEP) {
            if !over(self) {
                return;
            }
            let Some(id) = t.kept.pop_front() else { break };
            if !self.evict(id) {
                t.kept.push_back(id);
            }
        }
        let len = self.len();
        let mut steps = 0;
        while over(self) && t.cursor + KEEP_NEWEST < len && steps < TRIM_STEP {
            let id = t.cursor as ExchangeId + 1;
            // Not yet in (its call is still appending it): look again next time.
            if self.cells.get(t.cursor).is_none() {
                break;
            }
            if !self.evict(id) {
                t.kept.push_back(id);
            }
            t.cursor += 1;
            steps += 1;
        }
    }

    /// Sends exchange `id` to disk unless it is live; whether it is on disk now. A cell some
    /// call holds is left for later.
    fn evict(&self, id: ExchangeId) -> bool {
        let Some(m) = self.cells.get(index(id)) else {
            return false;
        };
        let Ok(mut cell) = m.try_lock() else {
            return false;
        };
        let packed = match &cell.slot {
            Slot::OnDisk(_) => return true,
            // Live, or not recorded yet (its call appended it and has not written its first
            // line: a call descheduled that long on a busy machine lost its exchange, which
            // then could never be read back): left whole, looked at again later.
            Slot::Whole(ex, recorded) if ex.phase.is_live() || !*recorded => return false,
            Slot::Whole(ex, _) => (ex.pack(), reckon(ex)),
        };
        cell.slot = Slot::OnDisk(packed.0);
        drop(cell);
        self.resident.fetch_sub(1, Ordering::Relaxed);
        self.resident_bytes.fetch_sub(packed.1, Ordering::Relaxed);
        true
    }
}

pub(super) fn index(id: ExchangeId) -> usize {
    (id as usize).wrapping_sub(1)
}

/// What the engine keeps in memory, reckoned from its structures' sizes and capacities
/// (benches/window.rs prints it beside what the allocator counted).
#[derive(Clone, Copy, Debug, Default)]
pub struct Footprint {
    /// Exchanges in the log, and how many of them are whole in memory.
    pub exchanges: usize,
    pub whole: usize,
    /// The log's cells, one per exchange whether whole or on disk.
    pub cells_bytes: usize,
    /// What the whole exchanges are reckoned to take (the memory budget's own measure).
    pub whole_reckoned: usize,
    /// The token map's tables (entries, control bytes and the room they keep).
    pub tokens_bytes: usize,
}

impl Engine {
    /// What the log and the token map take in memory.
    pub fn footprint(&self) -> Footprint {
        Footprint {
            exchanges: self.log.len(),
            whole: self.log.in_memory(),
            cells_bytes: self.log.cells_bytes(),
            whole_reckoned: self.log.resident_bytes(),
            tokens_bytes: self.tokens.bytes(),
        }
    }

    /// Appends a new exchange to the log: gives it its id, files its token (`live`: held or
    /// waiting, so reports can reach it) and its deadline. Returns the id and the event its
    /// phase makes; the caller emits it when its own work is done. Takes the state's lock only
    /// for a waiting exchange.
    pub(super) fn append(&self, ex: Exchange, live: bool) -> (ExchangeId, EventKind) {
        let kind = EventKind::of(&ex.phase);
        let deadline = match ex.phase {
            Phase::Waiting { deadline } => Some(deadline),
            _ => None,
        };
        let token = ex.invocation_token.as_deref().map(token_key);
        let id = self.log.push(ex, false);
        if let Some(key) = token {
            self.register_token(id, key, live);
        }
        if let Some(deadline) = deadline {
            self.lock().waiting.insert((deadline, id));
        }
        (id, kind)
    }
}
#[cfg(test)]
mod tests {
    /// A million exchanges on disk take 40 MB of cells: a field added to a slot shows here.
    #[test]
    fn an_empty_log_reckons_no_cells() {
        assert_eq!(super::Log::default().cells_bytes(), 0);
    }

    #[test]
    fn a_key_tag_is_0_for_no_key_and_the_same_for_the_same_key() {
        assert_eq!(super::key_tag(None), 0);
        assert_ne!(super::key_tag(Some("")), 0);
        assert_eq!(
            super::key_tag(Some("send-email")),
            super::key_tag(Some("send-email"))
        );
        assert_ne!(
            super::key_tag(Some("send-email")),
            super::key_tag(Some("quote-shipping"))
        );
    }

    #[test]
    fn a_cell_takes_40_bytes_with_its_lock() {
        assert_eq!(std::mem::size_of::<super::Slot>(), 32);
        assert_eq!(std::mem::size_of::<std::sync::Mutex<super::Cell>>(), 40);
    }
}

//! The log of exchanges, and how much of it is kept whole in memory.

use super::*;

/// The log: exchanges in fixed-size chunks, so growing it never moves (copies) what it holds.
/// A plain Vec doubling at 100k entries copied tens of megabytes under the lock and stalled
/// every caller for milliseconds. An entry is the exchange, boxed, or its [`Summary`] once the
/// memory budget sent it to disk: the recorder reads it back when asked for.
#[derive(Default)]
pub(super) struct Log {
    pub(super) chunks: Vec<Vec<Slot>>,
    pub(super) len: usize,
    /// Exchanges kept whole, oldest first, with the bytes each was reckoned to take.
    resident: std::collections::VecDeque<(ExchangeId, usize)>,
    resident_bytes: usize,
}

pub(super) enum Slot {
    Whole(Box<Exchange>),
    OnDisk(Packed),
}

pub(super) const LOG_CHUNK: usize = 4096;

/// Exchanges always kept whole, newest first, whatever the budget.
pub(super) const KEEP_NEWEST: usize = 256;

/// What an exchange is reckoned to take in memory: its headers and body, and a fixed part for
/// the rest (measured: about 1.5 KiB for the shipped samples' calls with their answers).
fn reckon(ex: &Exchange) -> usize {
    1536 + ex.arrival.body.len() + ex.arrival.headers.len()
}

impl Log {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, ex: Exchange) {
        if self.len.is_multiple_of(LOG_CHUNK) {
            self.chunks.push(Vec::with_capacity(LOG_CHUNK));
        }
        let size = reckon(&ex);
        let id = ex.id;
        if let Some(last) = self.chunks.last_mut() {
            last.push(Slot::Whole(Box::new(ex)));
            self.len += 1;
            self.resident.push_back((id, size));
            self.resident_bytes += size;
        }
    }

    pub(super) fn in_memory(&self) -> usize {
        self.resident.len()
    }

    /// A slot for an exchange that stays on disk.
    pub(super) fn push_on_disk(&mut self, summary: Packed) {
        if self.len.is_multiple_of(LOG_CHUNK) {
            self.chunks.push(Vec::with_capacity(LOG_CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(Slot::OnDisk(summary));
            self.len += 1;
        }
    }

    /// Exchange `i` as it is kept: whole, or its summary.
    pub(super) fn slot_ref(&self, i: usize) -> Option<&Slot> {
        self.chunks
            .get(i / LOG_CHUNK)
            .and_then(|c| c.get(i % LOG_CHUNK))
    }

    fn slot(&mut self, i: usize) -> Option<&mut Slot> {
        self.chunks
            .get_mut(i / LOG_CHUNK)
            .and_then(|c| c.get_mut(i % LOG_CHUNK))
    }

    /// Whether exchange `i` is on disk only.
    pub(super) fn on_disk(&self, i: usize) -> bool {
        i < self.len && self.get(i).is_none()
    }

    /// Puts back an exchange read from disk.
    pub(super) fn put_back(&mut self, i: usize, ex: Exchange) {
        let size = reckon(&ex);
        let id = ex.id;
        if let Some(slot) = self.slot(i)
            && matches!(slot, Slot::OnDisk(_))
        {
            *slot = Slot::Whole(Box::new(ex));
            self.resident.push_back((id, size));
            self.resident_bytes += size;
        }
    }

    /// Sends the oldest ended exchanges to disk until those kept whole fit `budget` bytes.
    /// Live ones (held, relayed, waiting) stay: they are still being changed; so do the newest
    /// [`KEEP_NEWEST`], which the call being handled may still be changing.
    pub(super) fn trim(&mut self, budget: usize) {
        let mut skipped = 0;
        while self.resident_bytes > budget && self.resident.len() > KEEP_NEWEST && skipped < 64 {
            let Some((id, size)) = self.resident.pop_front() else {
                break;
            };
            let i = index(id);
            let live = self.get(i).is_some_and(|ex| ex.phase.is_live());
            if live {
                self.resident.push_back((id, size));
                skipped += 1;
                continue;
            }
            if let Some(slot) = self.slot(i)
                && let Slot::Whole(ex) = slot
            {
                *slot = Slot::OnDisk(ex.summary().pack());
            }
            self.resident_bytes -= size;
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<&Exchange> {
        match self.slot_ref(i)? {
            Slot::Whole(ex) => Some(ex),
            Slot::OnDisk(_) => None,
        }
    }

    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut Exchange> {
        match self.slot(i)? {
            Slot::Whole(ex) => Some(ex),
            Slot::OnDisk(_) => None,
        }
    }
}

/// Indexing is for exchanges known to be in memory: live ones, or one just appended.
impl std::ops::Index<usize> for Log {
    type Output = Exchange;
    fn index(&self, i: usize) -> &Exchange {
        match self.get(i) {
            Some(ex) => ex,
            None => panic!("exchange #{} is not in memory", i + 1),
        }
    }
}

impl std::ops::IndexMut<usize> for Log {
    fn index_mut(&mut self, i: usize) -> &mut Exchange {
        match self.get_mut(i) {
            Some(ex) => ex,
            None => panic!("exchange #{} is not in memory", i + 1),
        }
    }
}

pub(super) fn index(id: ExchangeId) -> usize {
    (id as usize).wrapping_sub(1)
}

impl Engine {
    /// Appends a new exchange to the log (under the lock): gives it its id, files its token
    /// (`live`: held or waiting, so reports can reach it) and its deadline. Returns the id and
    /// the event its phase makes; the caller emits it when its own work is done.
    pub(super) fn append(
        st: &mut State,
        mut ex: Exchange,
        live: bool,
        sim: DateTime<Utc>,
    ) -> (ExchangeId, EventKind) {
        let id = st.exchanges.len() as ExchangeId + 1;
        ex.id = id;
        if let Some(t) = ex.invocation_token.take() {
            Engine::register_token(st, &mut ex, &t, live, sim);
            ex.invocation_token = Some(t);
        }
        if let Phase::Waiting { deadline } = ex.phase {
            st.waiting.insert((deadline, id));
        }
        let kind = EventKind::of(&ex.phase);
        st.exchanges.push(ex);
        (id, kind)
    }
}

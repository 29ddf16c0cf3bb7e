//! Reading the log: every exchange as it stands (whole, or read back from the journal), the
//! rows the window opens with, and how many there are.
//!
//! Methods: `snapshot`, `exchange`, `rows`, `row`, `packed`, `in_memory`, `len`, `is_empty`.

use super::{Engine, Exchange, ExchangeId, Packed, Row, log};

impl Engine {
    /// Every exchange, whole: those sent to disk are read back (slow for a long session; the
    /// window asks for [`Engine::exchange`] one at a time).
    pub fn snapshot(&self) -> Vec<Exchange> {
        let n = self.len() as ExchangeId;
        (1..=n).filter_map(|id| self.exchange(id)).collect()
    }

    /// Exchange `id`, whole: read back from the journal if the memory budget sent it there
    /// (only an exchange already recorded is ever sent there: see `Log::evict`).
    pub fn exchange(&self, id: ExchangeId) -> Option<Exchange> {
        {
            let cell = self.log.cell(id)?;
            if let log::Slot::Whole(ex, _) = &cell.slot {
                return Some((**ex).clone());
            }
        }
        // Read with no lock held: calls go on meanwhile.
        let mut ex = self.recorder()?.read_back(id)?;
        ex.id = id;
        Some(ex)
    }

    /// Every exchange for the log's rows: whole when in memory, else packed ([`Row`]); fast
    /// whatever the session's length. An exchange still on its way in is left out (its events
    /// follow).
    pub fn rows(&self) -> Vec<Row> {
        (1..=self.len() as ExchangeId)
            .filter_map(|id| {
                let cell = self.log.cell(id)?;
                Some(match &cell.slot {
                    log::Slot::Whole(ex, _) => Row::Whole(ex.clone()),
                    log::Slot::OnDisk(p) => Row::Packed(*p),
                })
            })
            .collect()
    }

    /// Exchange `id`'s row: whole when in memory, else packed. Cheap: no read from disk.
    pub fn row(&self, id: ExchangeId) -> Option<Row> {
        let cell = self.log.cell(id)?;
        Some(match &cell.slot {
            log::Slot::Whole(ex, _) => Row::Whole(ex.clone()),
            log::Slot::OnDisk(p) => Row::Packed(*p),
        })
    }

    /// A number for exchange `id`'s action key ([`key_tag`](super::key_tag)), read without
    /// locking the exchange: a scan for one key skips the others at a few nanoseconds each.
    /// Equal keys have equal tags; a tag that matches is checked against the key itself.
    pub fn key_tag_of(&self, id: ExchangeId) -> Option<u32> {
        self.log.key_tag(id)
    }

    /// Exchange `id`'s packed summary, however the log keeps it (the window's list reads those
    /// of the rows it keeps no copy of).
    pub fn packed(&self, id: ExchangeId) -> Option<Packed> {
        let cell = self.log.cell(id)?;
        Some(match &cell.slot {
            log::Slot::Whole(ex, _) => ex.pack(),
            log::Slot::OnDisk(p) => *p,
        })
    }

    /// How many exchanges are kept whole in memory (the rest are on disk, in the journal).
    pub fn in_memory(&self) -> usize {
        self.log.in_memory()
    }

    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

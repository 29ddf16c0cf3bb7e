//! The window's copy of the log: the newest rows whole (shared with the engine's log), older
//! ended ones as nothing of their own: their 32-byte summary is the one the engine's log keeps
//! for an exchange on disk, read from it when shown or filtered (a list of a million rows then
//! takes 8 MB, not the 32 MB a copy of every summary took). A packed row stands in as an
//! [`Exchange`] made from its summary; the whole is read back from the journal when selected.

use crate::domain::invocation::{Exchange, ExchangeId, Row};
use crate::engine::Engine;
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Default)]
pub struct List {
    /// `None`: packed (the engine's log has its summary).
    rows: Vec<Option<Arc<Exchange>>>,
    /// Where packed rows' summaries are read (none: they cannot be shown).
    engine: Option<Arc<Engine>>,
}

impl List {
    /// A list whose packed rows are read from `engine`'s log.
    pub fn over(engine: Arc<Engine>) -> List {
        List {
            rows: vec![],
            engine: Some(engine),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Bytes of the rows themselves (a whole row's exchange is shared with the engine's log
    /// and not counted here).
    pub fn bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Option<Arc<Exchange>>>()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` (from 0) as an exchange: whole, or a stand-in if packed.
    pub fn get(&self, i: usize) -> Option<Cow<'_, Exchange>> {
        let id = i as ExchangeId + 1;
        match self.rows.get(i)? {
            Some(ex) => Some(Cow::Borrowed(ex)),
            None => {
                let packed = self.engine.as_ref()?.packed(id)?;
                Some(Cow::Owned(Exchange::from_summary(&packed.unpack(id))))
            }
        }
    }

    /// Whether row `i` is packed (its exchange is on disk).
    pub fn is_packed(&self, i: usize) -> bool {
        self.rows.get(i).is_some_and(Option::is_none)
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Exchange>> {
        (0..self.rows.len()).filter_map(|i| self.get(i))
    }

    pub(super) fn set(&mut self, i: usize, row: Row) {
        if let Some(r) = self.rows.get_mut(i) {
            *r = whole(row);
        }
    }

    pub(super) fn push(&mut self, row: Row) {
        self.rows.push(whole(row));
    }

    /// Packs row `i` if it is whole and ended (a live one is still being changed).
    pub(super) fn pack(&mut self, i: usize) {
        if let Some(r) = self.rows.get_mut(i)
            && r.as_ref().is_some_and(|ex| !ex.phase.is_live())
        {
            *r = None;
        }
    }
}

/// What the list keeps of `row`: the exchange if whole, nothing if packed.
fn whole(row: Row) -> Option<Arc<Exchange>> {
    match row {
        Row::Whole(ex) => Some(ex),
        Row::Packed(_) => None,
    }
}

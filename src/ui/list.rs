//! The window's copy of the log: the newest rows whole, older ended ones packed into 32 bytes
//! (a list of a million rows then takes tens of megabytes, not the better part of a gigabyte).
//! A packed row stands in as an [`Exchange`] made from its summary when shown or filtered; the
//! whole is read back from the journal when selected.

use crate::domain::invocation::{Exchange, ExchangeId, Row};
use std::borrow::Cow;

#[derive(Default)]
pub struct List {
    rows: Vec<Row>,
}

impl List {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Bytes of the rows themselves (a whole row's exchange is shared with the engine's log
    /// and not counted here).
    pub fn bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Row>()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i` (from 0) as an exchange: whole, or a stand-in if packed.
    pub fn get(&self, i: usize) -> Option<Cow<'_, Exchange>> {
        self.rows.get(i).map(|r| r.exchange(i as ExchangeId + 1))
    }

    /// Whether row `i` is packed (its exchange is on disk).
    pub fn is_packed(&self, i: usize) -> bool {
        self.rows.get(i).is_some_and(Row::is_packed)
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Exchange>> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.exchange(i as ExchangeId + 1))
    }

    pub(super) fn set(&mut self, i: usize, row: Row) {
        if let Some(r) = self.rows.get_mut(i) {
            *r = row;
        }
    }

    pub(super) fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Packs row `i` if it is whole and ended (a live one is still being changed).
    pub(super) fn pack(&mut self, i: usize) {
        if let Some(r) = self.rows.get_mut(i)
            && let Row::Whole(ex) = r
            && !ex.phase.is_live()
        {
            *r = Row::Packed(ex.pack());
        }
    }
}

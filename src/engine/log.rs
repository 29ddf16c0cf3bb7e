//! The log of exchanges.

use super::*;

/// The log: exchanges in fixed-size chunks, so growing it never moves (copies) what it holds.
/// A plain Vec doubling at 100k entries copied tens of megabytes under the lock and stalled
/// every caller for milliseconds.
#[derive(Default)]
pub(super) struct Log {
    pub(super) chunks: Vec<Vec<Exchange>>,
    pub(super) len: usize,
}

pub(super) const LOG_CHUNK: usize = 4096;

impl Log {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, ex: Exchange) {
        if self.len.is_multiple_of(LOG_CHUNK) {
            self.chunks.push(Vec::with_capacity(LOG_CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(ex);
            self.len += 1;
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<&Exchange> {
        self.chunks
            .get(i / LOG_CHUNK)
            .and_then(|c| c.get(i % LOG_CHUNK))
    }

    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut Exchange> {
        self.chunks
            .get_mut(i / LOG_CHUNK)
            .and_then(|c| c.get_mut(i % LOG_CHUNK))
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Exchange> {
        self.chunks.iter().flatten()
    }
}

impl std::ops::Index<usize> for Log {
    type Output = Exchange;
    fn index(&self, i: usize) -> &Exchange {
        &self.chunks[i / LOG_CHUNK][i % LOG_CHUNK]
    }
}

impl std::ops::IndexMut<usize> for Log {
    fn index_mut(&mut self, i: usize) -> &mut Exchange {
        &mut self.chunks[i / LOG_CHUNK][i % LOG_CHUNK]
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

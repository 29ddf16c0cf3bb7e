//! The logic step: the engine's events taken into the window's copy of the log.

use super::{
    App, Arc, Command, DRAIN_BUDGET, Exchange, ExchangeId, Instant, Phase, Row, WHOLE_IN_LIST,
};

impl App {
    /// Takes row `i` of the engine's log (on opening, or after falling behind): a packed one
    /// (ended, on disk) goes in as it is.
    pub(super) fn take_row(&mut self, i: usize, row: Row) {
        match row {
            Row::Whole(ex) => self.take(ex),
            Row::Packed(p) if i == self.mirror.log.len() => {
                self.mirror.log_version += 1;
                self.mirror.log.push(Row::Packed(p));
            }
            Row::Packed(p) => {
                self.mirror.log_version += 1;
                self.mirror.log.set(i, Row::Packed(p));
            }
        }
    }

    /// Takes one exchange's new state into the window's copy of the log.
    pub(super) fn take(&mut self, ex: Arc<Exchange>) {
        let id = ex.id;
        self.mirror.log_version += 1;
        if let Some(k) = &ex.action_key
            && !self.mirror.seen_keys.contains(k)
        {
            self.mirror.seen_keys.insert(k.clone());
        }
        // A flow's steps answer by their own policy: their keys are not the window's to set.
        // A call to Wix's APIs (a reported event) or to a trigger provider names a trigger,
        // not an action key.
        let not_the_windows = ex.tag.as_deref().is_some_and(|t| t.starts_with("flow:"))
            || ex
                .method
                .is_some_and(|m| m.is_wix_api() || m.is_trigger_provider());
        if let Some(key) = &ex.action_key
            && !not_the_windows
            && !self.mirror.keys.contains(key)
        {
            self.mirror.keys.insert(key.clone());
        }
        match &ex.phase {
            Phase::Held { .. } => {
                self.mirror.held.insert(id);
                // A new arrival never takes the focus from an answer being written.
                self.commands.send(Command::SelectIfNone(id));
            }
            _ => {
                self.mirror.held.remove(&id);
            }
        }
        if matches!(ex.phase, Phase::Waiting { .. }) {
            self.mirror.waiting.insert(id);
        } else {
            self.mirror.waiting.remove(&id);
        }
        // The detail pane keeps a draft answer for each held call and a report for each wait.
        let core = &self.core;
        self.detail.observe(&ex, || core.schemas_for(&ex));
        let i = (id as usize).saturating_sub(1);
        if i < self.mirror.log.len() {
            self.mirror.log.set(i, Row::Whole(ex));
        } else {
            // Ids are dense, but calls are appended in parallel, so their events may come out
            // of order (and a lagged stream leaves gaps): fill the gap from the engine, with
            // a stand-in for a call still on its way in, until its own event comes.
            while self.mirror.log.len() < i {
                let missing = self.mirror.log.len() as ExchangeId + 1;
                let e = self.core.engine.exchange(missing).unwrap_or_else(|| {
                    let mut s = ex.summary();
                    s.id = missing;
                    s.phase = "received";
                    s.status = None;
                    s.flagged = false;
                    Exchange::from_summary(&s)
                });
                self.mirror.log.push(Row::Whole(Arc::new(e)));
            }
            self.mirror.log.push(Row::Whole(ex));
            // The list keeps the newest exchanges whole and older ended ones packed (bodies,
            // answers and timelines are read back from the journal when selected).
            if let Some(old) = self.mirror.log.len().checked_sub(WHOLE_IN_LIST + 1)
                && self.core.session.is_some()
                && Some(old as ExchangeId + 1) != self.selected
            {
                self.mirror.log.pack(old);
            }
        }
    }

    pub(super) fn drain(&mut self) {
        let started = Instant::now();
        if self.events.take_lagged() {
            while self.events.rx.try_recv().is_ok() {}
            for (i, row) in self.core.engine.rows().into_iter().enumerate() {
                self.take_row(i, row);
            }
        }
        while started.elapsed() < DRAIN_BUDGET {
            match self.events.rx.try_recv() {
                Ok(ev) => self.take(ev.exchange),
                Err(_) => return,
            }
        }
        // More left than the budget allowed: carry on next frame.
        self.ctx.request_repaint();
    }
}

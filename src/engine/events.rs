//! The stream of changes: every change to an exchange is an event; the window, `serve` and
//! tests subscribe.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Arrived,
    Held,
    /// Relayed to the developer's action (forward mode).
    Forwarding,
    Answered,
    Waiting,
    Completed,
    Failed,
    TimedOut,
    Rejected,
    Accepted,
    CallerGone,
    ShutDown,
    /// A finding was added to an exchange after it arrived (a reused token).
    Flagged,
}

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Arrived => "arrived",
            EventKind::Held => "held",
            EventKind::Forwarding => "forwarding",
            EventKind::Answered => "answered",
            EventKind::Waiting => "waiting",
            EventKind::Completed => "completed",
            EventKind::Failed => "failed",
            EventKind::TimedOut => "timed_out",
            EventKind::Rejected => "rejected",
            EventKind::Accepted => "accepted",
            EventKind::CallerGone => "caller_gone",
            EventKind::ShutDown => "shut_down",
            EventKind::Flagged => "flagged",
        }
    }

    pub(crate) fn of(phase: &Phase) -> EventKind {
        match phase {
            Phase::Received => EventKind::Arrived,
            Phase::Held { .. } => EventKind::Held,
            Phase::Forwarding => EventKind::Forwarding,
            Phase::Answered => EventKind::Answered,
            Phase::Waiting { .. } => EventKind::Waiting,
            Phase::Completed { .. } => EventKind::Completed,
            Phase::ReportedFailure { .. } | Phase::Failed { .. } => EventKind::Failed,
            Phase::TimedOut { .. } => EventKind::TimedOut,
            Phase::Rejected { .. } => EventKind::Rejected,
            Phase::Accepted => EventKind::Accepted,
            Phase::CallerGone => EventKind::CallerGone,
            Phase::ShutDown => EventKind::ShutDown,
        }
    }
}

/// A change to one exchange, with its state after the change.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: EventKind,
    /// Shared with the log (the engine copies it only if it changes it while this event, or
    /// the window's list, still holds it). A pointer, too: a subscriber's queue is allocated
    /// for its whole capacity up front, and exchange-sized slots made the window's queue 7 MB.
    pub exchange: Arc<Exchange>,
    /// The call arrived with this event: answered at once, it had no `Arrived` event of its
    /// own (one copy of the exchange a call instead of two). `serve` prints its arrived line.
    pub arrived: bool,
}

/// A stream of events. When the reader falls behind, events are dropped and `lagged` is set:
/// the reader then takes a [`Engine::snapshot`] and carries on.
pub struct Subscription {
    pub rx: Receiver<Event>,
    pub(super) lagged: Arc<AtomicBool>,
}

impl Subscription {
    pub fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

pub(super) struct Subscriber {
    pub(super) tx: SyncSender<Event>,
    pub(super) lagged: Arc<AtomicBool>,
    pub(super) wake: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Its reader went away: it leaves the list.
    pub(super) gone: AtomicBool,
}

impl Engine {
    /// Events from now on. `wake` is called after events are queued (the window repaints).
    pub fn subscribe(
        &self,
        capacity: usize,
        wake: Option<Arc<dyn Fn() + Send + Sync>>,
    ) -> Subscription {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        self.subscribers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(Subscriber {
                tx,
                lagged: lagged.clone(),
                wake,
                gone: AtomicBool::new(false),
            });
        self.subscribed.store(true, Ordering::Release);
        Subscription { rx, lagged }
    }

    /// Every exchange, whole: those sent to disk are read back (slow for a long session; the
    /// window asks for [`Engine::exchange`] one at a time).
    pub fn snapshot(&self) -> Vec<Exchange> {
        let n = self.len() as ExchangeId;
        (1..=n).filter_map(|id| self.exchange(id)).collect()
    }

    /// Exchange `id`, whole: read back from the journal if the memory budget sent it there.
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

    /// Records the change to exchange `ex` (the journal, first) and tells every subscriber,
    /// while `ex` is still locked, so that one exchange's events keep their order; then lets
    /// older exchanges go to disk.
    pub(super) fn emit(&self, kind: EventKind, ex: log::Entry<'_>) {
        self.emit_prepared(kind, ex, None, false);
    }

    /// [`Engine::emit`] for exchange `id`, if it is in memory.
    pub(super) fn emit_id(&self, kind: EventKind, id: ExchangeId) {
        if let Some(ex) = self.log.lock(id) {
            self.emit(kind, ex);
        }
    }

    /// [`Engine::emit`] with the record encoded ahead of time, if it was; `arrived`: the
    /// call arrives with this event (see [`Event::arrived`]).
    pub(super) fn emit_prepared(
        &self,
        kind: EventKind,
        mut ex: log::Entry<'_>,
        prepared: Option<Prepared>,
        arrived: bool,
    ) {
        let first = ex.first_record();
        if let Some(r) = self.recorder() {
            match prepared {
                Some(p) if first && p.findings == ex.findings.len() => r.commit(ex.id, p),
                _ => r.exchange(kind.label(), &ex, first),
            }
        }
        if self.subscribed.load(Ordering::Acquire) {
            self.send(kind, ex.shared(), arrived);
        }
        drop(ex);
        // Recorded: older ended exchanges can go to disk.
        self.trim();
    }

    /// Sends `ex` as it is given (not as the log holds it) to every subscriber.
    pub(super) fn send(&self, kind: EventKind, ex: Arc<Exchange>, arrived: bool) {
        let mut gone = false;
        {
            let subscribers = self.subscribers.read().unwrap_or_else(|e| e.into_inner());
            for s in subscribers.iter() {
                match s.tx.try_send(Event {
                    kind,
                    exchange: ex.clone(),
                    arrived,
                }) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => s.lagged.store(true, Ordering::Release),
                    Err(TrySendError::Disconnected(_)) => {
                        s.gone.store(true, Ordering::Relaxed);
                        gone = true;
                    }
                }
                if let Some(w) = &s.wake {
                    w();
                }
            }
        }
        if gone {
            self.subscribers
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|s| !s.gone.load(Ordering::Relaxed));
        }
    }
}

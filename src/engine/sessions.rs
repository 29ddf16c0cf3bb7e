//! Sessions: the journal the engine records to, what it does when the journal cannot be
//! written (refuse, say why), restoring a reopened session, and the memory budget that sends
//! old exchanges to disk.
//!
//! Methods: `durable`, `unwritable`, `recording_trouble`, `unwritable_reply`, `unrecorded`,
//! `set_recorder`, `restore`, `restore_entries`, `memory_budget`; within the engine
//! `recorder`, `budget`, `trim`, `session_refusal`.

use super::{
    Arc, Duration, Engine, EventKind, Exchange, ExchangeId, Method, Phase, Recorder, Recording,
    Reply, Restoring, TimeWarp, json, workbench_reply,
};

impl Engine {
    /// Makes every change recorded so far survive the process being killed: the server calls
    /// it before any response leaves, and refuses the call ([`Engine::unrecorded`]) when it
    /// says why it could not. With no lock of the engine's held, so calls go on meanwhile and
    /// one write carries the lines of every call in flight.
    pub fn durable(&self) -> Result<(), String> {
        match self.recorder() {
            Some(r) => r.flush(),
            None => Ok(()),
        }
    }

    /// Why calls cannot be recorded now (the session journal cannot be written: a full disk,
    /// a read-only or removed file…), if they cannot. Writing is tried again first, so it
    /// answers `None` as soon as writing works again.
    pub fn unwritable(&self) -> Option<String> {
        self.recorder().and_then(|r| r.trouble(true))
    }

    /// [`Engine::unwritable`] without trying to write: cheap, for a window's every frame.
    pub fn recording_trouble(&self) -> Option<String> {
        self.recorder().and_then(|r| r.trouble(false))
    }

    /// The refusal of a call that cannot be recorded: 503, in Wix's error shape, saying why.
    pub fn unwritable_reply(why: &str) -> Reply {
        Engine::session_refusal(
            why,
            format!(
                "{why}: this call cannot be recorded, so it is refused (nothing was done); it can be sent again once the session can be written"
            ),
        )
    }

    /// A 503 `SESSION_NOT_WRITABLE` saying `message`, with the cause `why` as its data.
    pub(super) fn session_refusal(why: &str, message: String) -> Reply {
        let mut r = Reply::json(
            503,
            json!({ "message": message,
                    "details": { "applicationError": {
                        "code": "SESSION_NOT_WRITABLE",
                        "description": message,
                        "data": { "cause": why } } } }),
        );
        r.headers.push(("retry-after".into(), "1".into()));
        r
    }

    /// Exchange `id` was answered, but its record could not be written (`why`): unless its
    /// answer was a refusal already, it becomes one (503, [`Engine::unwritable_reply`]),
    /// flagged, and that is the reply to send instead.
    pub fn unrecorded(&self, id: ExchangeId, why: &str, sent: Reply) -> Reply {
        if !(200..300).contains(&sent.status) {
            return sent;
        }
        let sim = self.now();
        let message = format!(
            "{why}: the answer (HTTP {}) could not be recorded, so the call was refused with 503 instead",
            sent.status
        );
        let reply = Engine::session_refusal(why, message.clone());
        if let Some(mut ex) = self.load(id) {
            workbench_reply(
                &mut ex,
                &reply,
                Phase::Rejected {
                    code: "SESSION_NOT_WRITABLE".into(),
                    message,
                },
                format!("refused with HTTP 503: {why}"),
                sim,
            );
            self.emit(EventKind::Rejected, ex);
        }
        reply
    }

    /// Records every change from now on with `recorder` (the session journal). An engine has
    /// one recorder for its life.
    pub fn set_recorder(&self, recorder: Arc<dyn Recorder>) -> Result<(), String> {
        let budget = recorder.reads_back().then_some(self.config.memory_budget);
        self.recording
            .set(Recording { recorder, budget })
            .map_err(|_| "this engine already records to a session".to_string())
    }

    /// The recorder, if a session journal is attached.
    pub(super) fn recorder(&self) -> Option<&Arc<dyn Recorder>> {
        self.recording.get().map(|r| &r.recorder)
    }

    /// Bytes of exchanges kept whole, when the recorder can read the others back.
    pub(super) fn budget(&self) -> Option<usize> {
        self.recording.get().and_then(|r| r.budget)
    }

    /// Takes back a session's exchanges into an empty log: tokens filed, waits resumed,
    /// simulated time `clock_offset` ahead as it was. A wait whose deadline passed while
    /// closed times out now, saying so; a call still held or relayed when the last run
    /// stopped is marked as never answered. Returns how many were restored.
    pub fn restore(
        &self,
        exchanges: Vec<Exchange>,
        clock_offset: Option<Duration>,
    ) -> Result<usize, String> {
        let entries = exchanges
            .into_iter()
            .map(|ex| Restoring::Whole(Box::new(ex)))
            .collect();
        self.restore_entries(entries, clock_offset)
    }

    /// [`Engine::restore`] with exchanges that stay on disk (the recorder reads them back).
    pub fn restore_entries(
        &self,
        exchanges: Vec<Restoring>,
        clock_offset: Option<Duration>,
    ) -> Result<usize, String> {
        let real = self.clock.now();
        if let Some(offset) = clock_offset {
            *self.warp.lock().unwrap_or_else(|e| e.into_inner()) = TimeWarp::resume(real, offset);
        }
        let sim = self.now();
        let mut st = self.lock();
        if self.log.len() > 0 {
            return Err("a session can only be restored into an empty log".into());
        }
        let n = exchanges.len();
        for entry in exchanges {
            let mut ex = match entry {
                Restoring::Whole(ex) => *ex,
                Restoring::OnDisk {
                    invocation_token,
                    summary,
                } => {
                    let id = self.log.push_on_disk(summary);
                    if let Some(key) = invocation_token {
                        self.tokens.file_key(key, id, false);
                    }
                    continue;
                }
            };
            let mut changed = None;
            match ex.phase.clone() {
                Phase::Waiting { deadline } if deadline <= sim => {
                    ex.phase = Phase::TimedOut { deadline };
                    ex.note(
                        sim,
                        "the deadline passed while ActionBench was closed: timed out on reopening, and the run moved on without its output",
                    );
                    changed = Some(EventKind::TimedOut);
                }
                Phase::Held { .. } | Phase::Forwarding | Phase::Received => {
                    ex.phase = Phase::ShutDown;
                    ex.note(sim, "ActionBench stopped before this call was answered");
                    changed = Some(EventKind::ShutDown);
                }
                _ => {}
            }
            let live = ex.phase.is_live();
            let waiting = match ex.phase {
                Phase::Waiting { deadline } => Some(deadline),
                _ => None,
            };
            // A report carries the token of the invocation it reported on: only invocations
            // are filed under theirs (as intake does).
            let invocation = ex.method != Some(Method::CompletionReport);
            let token = ex.invocation_token.clone().filter(|_| invocation);
            let id = self.log.push(ex, true);
            if let Some(t) = token {
                self.tokens.file(&t, id, live);
            }
            if let Some(deadline) = waiting {
                st.waiting.insert((deadline, id));
            }
            if let Some(kind) = changed {
                self.emit_id(kind, id);
            }
        }
        drop(st);
        self.tokens.freeze();
        self.trim();
        Ok(n)
    }

    /// How many bytes of exchanges are kept whole in memory when a recorder can read the
    /// others back.
    pub fn memory_budget(&self) -> usize {
        self.config.memory_budget
    }

    /// Sends the oldest ended exchanges to disk when those in memory exceed the budget, if
    /// the recorder can read them back.
    pub(super) fn trim(&self) {
        // While the journal cannot be written, nothing leaves memory: it might not be on disk.
        if let Some(budget) = self.budget()
            && self.recorder().is_none_or(|r| r.trouble(false).is_none())
        {
            self.log.trim(budget);
        }
    }
}

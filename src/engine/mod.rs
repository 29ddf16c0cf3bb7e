//! The engine: the one core the server, the window and the headless CLI share.
//!
//! It takes every incoming call ([`Engine::intake`]), decides whether to answer at once or
//! hold it for the developer, applies answers and completion reports through the domain state
//! machine, times out waits on the (warpable) clock, and streams every change as an [`Event`].
//! It knows nothing of axum or egui: callers hand it plain data and get plain data back.
//!
//! The modules, by what they hold: `config` (keys, policies, schemas), `http` (requests and
//! answers as data), `intake` (a request in), `request` (its shape), `answers` (judging and
//! writing answers), `tokens` (who carried each token), `reports` (completion reports),
//! `commands` (what the window asks), `events` (the stream of changes), `log` (the record),
//! `outbound` (calls made to the developer's action), `forward` (forward mode's relayed calls).

mod answers;
mod config;
mod control;
mod events;
mod forward;
mod guard;
mod http;
mod idempotency;
mod intake;
mod log;
mod outbound;
mod reports;
mod request;
mod tokens;
mod triggered;

pub use answers::check_answer;
pub use config::{
    ActionSchemas, CallOptions, EngineConfig, MAX_BODY_BYTES, MEMORY_BUDGET, Mode, Policy,
};
pub use events::{Event, EventKind, Subscription};
pub use forward::NO_TARGET;
pub use guard::{check_caller, host_name, is_loopback_name, parse_allowed_hosts};
pub use http::{Incoming, Intake, Refused, Relay, Reply};
pub use log::Footprint;
pub use outbound::{Outbound, TargetAnswer};
pub use triggered::{Automations, ReportedEvent};

use answers::*;
use events::Subscriber;
use log::Log;
use request::*;
use tokens::Tokens;
pub use tokens::{TokenKey, token_key};

use crate::domain::assumptions::{Assumptions, ExtraReport};
use crate::domain::clock::{Clock, TimeWarp};
use crate::domain::contract::{self, AnswerTimes, Finding, InvokeOutcome, Severity};
use crate::domain::envelope::{self, JwtConfig};
use crate::domain::invocation::*;
use crate::domain::quick;
use crate::domain::sample::LoadedSample;
use crate::domain::schema::Schema;
use crate::domain::wire::{
    self, CompletionReport, InvokeResponse, Method, from_value_at, json_type,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use tokio::sync::oneshot;

/// Records every change to an exchange, in order, before any answer leaves (the session
/// journal implements it; the engine does no file IO itself).
pub trait Recorder: Send + Sync {
    /// `ex` as it stands after `event`; `first`: the first record of it (which carries its
    /// headers and body).
    fn exchange(&self, event: &str, ex: &Exchange, first: bool);
    /// Simulated time's lead over real time changed.
    fn clock(&self, offset: Duration);
    /// Exchange `id` as last recorded, for one the memory budget sent to disk. A recorder
    /// that cannot read back returns `None`, and the engine then keeps every exchange whole.
    fn read_back(&self, _id: ExchangeId) -> Option<Exchange> {
        None
    }
    /// Whether [`Recorder::read_back`] works.
    fn reads_back(&self) -> bool {
        false
    }
    /// Makes everything recorded so far survive the process being killed (a recorder may
    /// gather lines and write them together); or says why it could not.
    fn flush(&self) -> Result<(), String> {
        Ok(())
    }
    /// Why the recorder cannot record now (a full disk…), if it cannot; with `retry`, it
    /// tries again first (a recorder may limit how often).
    fn trouble(&self, _retry: bool) -> Option<String> {
        None
    }
    /// Encodes a new exchange (not yet in the log, so without its id) ahead of time, before
    /// it is appended; [`Recorder::commit`] then records it with its id.
    fn prepare(&self, _event: &str, _ex: &Exchange) -> Option<Prepared> {
        None
    }
    /// Records what [`Recorder::prepare`] encoded, as exchange `id`.
    fn commit(&self, _id: ExchangeId, _prepared: Prepared) {}
}

/// An exchange's record encoded ahead of time, waiting for its id.
pub struct Prepared {
    /// The encoded record, with `0` standing for the id at `id_at`.
    pub bytes: Vec<u8>,
    pub id_at: usize,
    /// Where the exchange's own line starts in `bytes` (a line defining its headers may
    /// come first).
    pub line: usize,
    /// The header set that line defines: recorded once these bytes are (a record encoded but
    /// not recorded leaves the set's line due for the next record that names it).
    pub header_set: Option<u32>,
    /// Findings when encoded: filing the exchange may add one (a reused token), and the
    /// record is then encoded again.
    pub findings: usize,
}

/// An exchange as a reopened session gives it back: whole (live ones, and the newest that fit
/// the memory budget), or left on disk with only what the engine files it under; the recorder
/// reads it back when asked for.
#[derive(Debug)]
pub enum Restoring {
    Whole(Box<Exchange>),
    OnDisk {
        /// The hash of the token it is filed under ([`token_key`]): a reopened session's
        /// million tokens are not each kept as a string on the way in.
        invocation_token: Option<TokenKey>,
        summary: Packed,
    },
}

/// What only held, relayed and waiting calls need, under one lock. A call answered at once
/// never takes it (unless its answer makes it wait): the log, the token map, the recorder and
/// the subscribers each have their own, finer locks.
#[derive(Default)]
struct State {
    pending: HashMap<ExchangeId, oneshot::Sender<Reply>>,
    waiting: BTreeSet<(DateTime<Utc>, ExchangeId)>,
    /// Held calls answered by their own policy (a flow's step): the fallback when the hold
    /// runs out.
    fallbacks: HashMap<ExchangeId, Arc<Policy>>,
}

/// Where every change is recorded (the session journal), and the memory budget that applies
/// when it can read exchanges back.
struct Recording {
    recorder: Arc<dyn Recorder>,
    budget: Option<usize>,
}

/// Per action key: how to answer and what schemas apply. Read on every call, written rarely,
/// and kept apart from the log so that judging a call locks nothing the log uses.
#[derive(Default)]
struct Keys {
    policies: HashMap<String, Arc<Policy>>,
    schemas: HashMap<String, ActionSchemas>,
}

pub struct Engine {
    /// Held, relayed and waiting calls. Lock order: the state, then a token shard, then one
    /// exchange. A token shard is never taken while an exchange is locked (its holder locks
    /// exchanges); journal and subscriber locks are taken last and take nothing.
    state: Mutex<State>,
    log: Log,
    tokens: Tokens,
    subscribers: RwLock<Vec<Subscriber>>,
    keys: RwLock<Keys>,
    closing: AtomicBool,
    /// Whether anyone subscribed to events (so intake can skip copies nobody reads).
    subscribed: AtomicBool,
    warp: Mutex<TimeWarp>,
    assumptions: RwLock<Assumptions>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
    /// Where forward mode relays calls.
    relay: RwLock<Option<Arc<dyn Relay>>>,
    /// Set once, when a session journal is attached.
    recording: OnceLock<Recording>,
    /// Host names allowed besides loopback ones (`--allow-host`; the window's setting).
    allowed_hosts: RwLock<Arc<Vec<String>>>,
    /// Saved IMMEDIATE answers already judged (see [`answers::Judged`]).
    judged: RwLock<Vec<answers::Judged>>,
    /// The trigger definitions reported events are judged against.
    triggers: RwLock<Arc<crate::domain::trigger::Triggers>>,
    /// Who starts automations for reported events.
    automations: RwLock<Option<Arc<dyn Automations>>>,
    /// Idempotency keys the Report Event stand-in has seen.
    wix: Mutex<triggered::WixState>,
    /// The runs Wix's rate limits let through (every run's: the window's, serve's, flow run's).
    rates: Mutex<crate::domain::flow::rate::RateCounts>,
}

/// Whatever was recorded is written when the engine goes: a journal shared with another thread
/// (its background sync) might otherwise close later than its owner expects.
impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.durable();
    }
}

impl Engine {
    pub fn new(config: EngineConfig, clock: Arc<dyn Clock>) -> Arc<Engine> {
        let warp = TimeWarp::new(clock.now());
        let allowed_hosts = RwLock::new(Arc::new(config.allowed_hosts.clone()));
        Arc::new(Engine {
            state: Mutex::new(State::default()),
            log: Log::default(),
            tokens: Tokens::default(),
            subscribers: RwLock::default(),
            keys: RwLock::new(Keys::default()),
            closing: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            warp: Mutex::new(warp),
            assumptions: RwLock::new(config.assumptions),
            clock,
            config,
            relay: RwLock::new(None),
            recording: OnceLock::new(),
            allowed_hosts,
            judged: RwLock::default(),
            triggers: RwLock::default(),
            automations: RwLock::new(None),
            wix: Mutex::default(),
            rates: Mutex::default(),
        })
    }

    /// Whether a run passes rate limit `key` (the automation, its node and the identifier) now,
    /// on the simulated clock: see [`crate::domain::flow::rate::RateCounts::take`]; the window
    /// is fixed or sliding as the assumption says.
    pub fn rate_limit(
        &self,
        key: &str,
        max: u64,
        window: Option<chrono::Duration>,
    ) -> crate::domain::flow::rate::RateSaid {
        let fixed = self.assumptions().rate_limit_fixed_window;
        let now = self.now();
        self.rates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(key, now, max, window, fixed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Real (unwarped) time: hold deadlines and JWT times use it.
    pub fn real_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Simulated time: arrival stamps, timeouts and deadlines use it.
    pub fn now(&self) -> DateTime<Utc> {
        let warp = *self.warp.lock().unwrap_or_else(|e| e.into_inner());
        warp.simulated(self.clock.now())
    }

    pub fn warp(&self) -> TimeWarp {
        *self.warp.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_warp(&self, factor: u32) {
        let real = self.clock.now();
        self.warp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_factor(real, factor);
        self.record_clock();
    }

    /// Simulated time back to real time, at ×1.
    pub fn back_to_now(&self) {
        let real = self.clock.now();
        self.warp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .back_to_now(real);
        self.record_clock();
    }

    /// Tells the recorder how far simulated time is ahead (a reopened session resumes there).
    fn record_clock(&self) {
        let offset = self.warp().offset(self.clock.now());
        if let Some(r) = self.recorder() {
            r.clock(offset);
        }
    }

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
    fn session_refusal(why: &str, message: String) -> Reply {
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

    /// The recorder, if a session journal is attached.
    fn recorder(&self) -> Option<&Arc<dyn Recorder>> {
        self.recording.get().map(|r| &r.recorder)
    }

    /// Bytes of exchanges kept whole, when the recorder can read the others back.
    fn budget(&self) -> Option<usize> {
        self.recording.get().and_then(|r| r.budget)
    }

    /// Records every change from now on with `recorder` (the session journal). An engine has
    /// one recorder for its life.
    pub fn set_recorder(&self, recorder: Arc<dyn Recorder>) -> Result<(), String> {
        let budget = recorder.reads_back().then_some(self.config.memory_budget);
        self.recording
            .set(Recording { recorder, budget })
            .map_err(|_| "this engine already records to a session".to_string())
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
    fn trim(&self) {
        // While the journal cannot be written, nothing leaves memory: it might not be on disk.
        if let Some(budget) = self.budget()
            && self.recorder().is_none_or(|r| r.trouble(false).is_none())
        {
            self.log.trim(budget);
        }
    }

    /// Exchange `id`, locked, brought back into memory if it was sent to disk.
    fn load(&self, id: ExchangeId) -> Option<log::Entry<'_>> {
        self.log
            .lock_or_load(id, || self.recorder().and_then(|r| r.read_back(id)))
    }

    /// Host names allowed besides loopback ones.
    pub fn allowed_hosts(&self) -> Arc<Vec<String>> {
        self.allowed_hosts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_allowed_hosts(&self, hosts: Vec<String>) {
        *self
            .allowed_hosts
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Arc::new(hosts);
    }

    /// Whether a request with these `Origin` and `Host` headers may reach the inbox; the 403
    /// that says why not (see `guard`).
    pub fn admit(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), Reply> {
        check_caller(origin, host, &self.allowed_hosts())
    }

    /// The protocol assumptions in force.
    pub fn assumptions(&self) -> Assumptions {
        *self.assumptions.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_assumptions(&self, a: Assumptions) {
        *self.assumptions.write().unwrap_or_else(|e| e.into_inner()) = a;
    }

    /// Whether an assumption says to take this refused report with 200 and no effect.
    fn ignores(&self, refusal: &ReportRefusal) -> bool {
        let a = self.assumptions();
        match refusal {
            ReportRefusal::AlreadyCompleted => a.second_report == ExtraReport::Ignore,
            ReportRefusal::TimedOut(_) => a.report_after_timeout == ExtraReport::Ignore,
            ReportRefusal::NotWaiting(_) => false,
        }
    }

    /// What a JWT's verification covers, in one line.
    pub fn jwt_summary(&self) -> String {
        self.config.jwt.describe()
    }

    /// Whether JWTs are verified but their audience is not (a public key and no app ID).
    pub fn audience_unchecked(&self) -> bool {
        self.config.jwt.public_key.is_some() && self.config.jwt.app_id.is_none()
    }
}

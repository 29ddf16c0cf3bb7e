//! The engine: the one core the server, the window and the headless CLI share.
//!
//! It takes every incoming call ([`Engine::intake`]), decides whether to answer at once or
//! hold it for the developer, applies answers and completion reports through the domain state
//! machine, times out waits on the (warpable) clock, and streams every change as an [`Event`].
//! It knows nothing of axum or egui: callers hand it plain data and get plain data back.
//!
//! The engine is one type, [`Engine`]; this file holds it and its construction (`new`, and the
//! `lock` and `load` every room uses). Its methods live in rooms named for what they do, each
//! file's opening comment listing its own: `intake` (a request in; `request`: its shape),
//! `answers` (the developer's answer, holding longer, judging and writing answers, closing),
//! `reports` (completion reports), `tokens` (who carried each token), `clock` (real and
//! simulated time, the warp, the tick), `sessions` (the journal, refusing what cannot be
//! recorded, restoring, the memory budget), `settings` (allowed hosts and the guard, the
//! assumptions, what JWT checks cover), `config` (each key's policy and schemas), `events`
//! (the stream of changes and its subscription), `reading` (the log as it stands), `log` (the
//! record), `outbound` (calls to the developer's action), `forward` (forward mode's relay),
//! `triggered` (the Triggered Events API's stand-ins, the automations, rate limits),
//! `idempotency` (report keys), `http` (requests and answers as data), `guard` (Origin and
//! Host).

mod answers;
mod cells;
mod clock;
mod config;
mod events;
mod forward;
mod guard;
mod http;
mod idempotency;
mod intake;
mod log;
mod outbound;
mod reading;
mod reports;
mod request;
mod sessions;
mod settings;
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
pub use log::{Footprint, key_tag};
pub use outbound::{Outbound, TargetAnswer};
pub use triggered::{Automations, ReportedEvent};

use answers::{apply_answer, auto_body, fail_reply, judge, workbench_reply};
use events::Subscriber;
use log::Log;
use request::{extension_finding, parse_plugin_request, source_finding};
use tokens::Tokens;
pub use tokens::{TokenKey, token_key};

use crate::domain::assumptions::{Assumptions, ExtraReport};
use crate::domain::clock::{Clock, TimeWarp};
use crate::domain::contract::{self, AnswerTimes, Finding, InvokeOutcome, Severity};
use crate::domain::envelope::{self, JwtConfig};
use crate::domain::invocation::{
    AnsweredBy, Arrival, Direction, Exchange, ExchangeId, Note, Packed, Phase, ReportRefusal, Row,
    SentResponse,
};
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

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Exchange `id`, locked, brought back into memory if it was sent to disk.
    fn load(&self, id: ExchangeId) -> Option<log::Entry<'_>> {
        self.log
            .lock_or_load(id, || self.recorder().and_then(|r| r.read_back(id)))
    }
}

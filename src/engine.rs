//! The engine: the one core the server, the window and the headless CLI share.
//!
//! It takes every incoming call ([`Engine::intake`]), decides whether to answer at once or
//! hold it for the developer, applies answers and completion reports through the domain state
//! machine, times out waits on the (warpable) clock, and streams every change as an [`Event`].
//! It knows nothing of axum or egui: callers hand it plain data and get plain data back.

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
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use tokio::sync::oneshot;

/// The largest body the server reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How a key's calls are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The caller waits for the developer, until the hold deadline.
    Hold,
    /// The saved answer goes at once.
    Auto,
    /// An HTTP error with an `applicationError` body goes at once.
    Fail,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Hold, Mode::Auto, Mode::Fail];
    pub fn label(self) -> &'static str {
        match self {
            Mode::Hold => "hold",
            Mode::Auto => "auto",
            Mode::Fail => "fail",
        }
    }
}

/// How one action key is answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub mode: Mode,
    /// The saved answer to Invoke (auto mode, and the fallback when a hold runs out).
    pub answer: Arc<Value>,
    pub fail_status: u16,
    pub fail_code: String,
}

impl Policy {
    pub fn new(mode: Mode, answer: Value) -> Policy {
        Policy {
            mode,
            answer: Arc::new(answer),
            fail_status: 500,
            fail_code: "ACTION_FAILED".into(),
        }
    }
}

/// What the engine starts with.
#[derive(Clone)]
pub struct EngineConfig {
    /// How long a held caller waits before the fallback answer goes.
    pub hold_for: Duration,
    pub jwt: JwtConfig,
    /// The mode of keys nobody set: hold in the window, auto when headless.
    pub default_mode: Mode,
    /// The saved answer of keys nobody set; `None`: IMMEDIATE with the output schema's skeleton.
    pub default_answer: Option<Value>,
    pub default_fail_status: u16,
    /// Where the protocol is not documented: the starting choices (changeable while running).
    pub assumptions: Assumptions,
    /// Read plain Invoke bodies on the borrowed hot path. Off only to compare the two paths
    /// (the property tests) and to measure what the hot path saves.
    pub quick_path: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            hold_for: Duration::seconds(25),
            jwt: JwtConfig::default(),
            default_mode: Mode::Hold,
            default_answer: None,
            default_fail_status: 500,
            assumptions: Assumptions::default(),
            quick_path: true,
        }
    }
}

/// An HTTP answer, as plain data.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Shared: a saved answer goes out many times without being copied.
    pub body: Arc<Value>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: impl Into<Arc<Value>>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: vec![],
        }
    }

    /// An error in the shape of Wix API errors, naming the problem.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({ "message": message,
                    "details": { "applicationError": { "code": code, "description": message, "data": {} } } }),
        )
    }

    /// A validation error listing each field violation.
    pub fn violations(findings: &[Finding]) -> Reply {
        let errors: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let message = errors
            .iter()
            .map(|f| f.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let violations: Vec<Value> = errors
            .iter()
            .map(|f| {
                json!({ "field": f.field.as_deref().unwrap_or(""),
                        "description": f.message,
                        "violatedRule": f.rule.unwrap_or("OTHER"),
                        "ruleName": f.code })
            })
            .collect();
        Reply::json(
            400,
            json!({ "message": message, "details": { "validationError": { "fieldViolations": violations } } }),
        )
    }
}

/// The body as the server read it.
#[derive(Clone, Debug)]
pub enum Body {
    Read(bytes::Bytes),
    TooLarge { declared: Option<u64> },
    Unreadable(String),
}

/// An HTTP request, as plain data.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub http_method: String,
    pub path: String,
    /// The request headers, one `name: value` line each, as the log shows them.
    pub headers: String,
    /// Whether an `Authorization` header came (the completion API wants the app's token).
    pub authorized: bool,
    pub body: Body,
}

impl Incoming {
    pub fn post(path: &str, body: impl Into<bytes::Bytes>) -> Incoming {
        Incoming {
            http_method: "POST".into(),
            path: path.into(),
            headers: String::new(),
            authorized: false,
            body: Body::Read(body.into()),
        }
    }
}

/// What the server does with a call: answer now, or wait for the answer.
#[derive(Debug)]
pub enum Intake {
    Now(Reply),
    Held {
        id: ExchangeId,
        reply: oneshot::Receiver<Reply>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Arrived,
    Held,
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
    fn of(phase: &Phase) -> EventKind {
        match phase {
            Phase::Received => EventKind::Arrived,
            Phase::Held { .. } => EventKind::Held,
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
    pub exchange: Exchange,
}

/// A stream of events. When the reader falls behind, events are dropped and `lagged` is set:
/// the reader then takes a [`Engine::snapshot`] and carries on.
pub struct Subscription {
    pub rx: Receiver<Event>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    pub fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

struct Subscriber {
    tx: SyncSender<Event>,
    lagged: Arc<AtomicBool>,
    wake: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Schemas and example answer of one action key, from the samples.
#[derive(Clone, Debug, Default)]
pub struct ActionSchemas {
    pub input: Option<Schema>,
    pub output: Option<Schema>,
    pub example_answer: Option<Value>,
}

impl ActionSchemas {
    /// The answer to start from: the sample's example, else IMMEDIATE with the output skeleton.
    pub fn starting_answer(&self) -> Value {
        self.example_answer.clone().unwrap_or_else(|| {
            let result = self
                .output
                .as_ref()
                .map(Schema::skeleton)
                .unwrap_or_else(|| json!({}));
            InvokeResponse::immediate(result).to_value()
        })
    }
}

/// Who carried one invocation token: how many, the latest, and those still live (held or
/// waiting), oldest first. Ended ones leave `live` when the next use looks, so a token reused
/// a million times costs no more per call than a fresh one.
#[derive(Default)]
struct TokenUses {
    last: ExchangeId,
    count: u32,
    /// Boxed: almost every token has none, and the map holds one entry per invocation, so
    /// 8 bytes instead of a Vec's 24 (measured: the map's growth under the lock showed in
    /// `cargo bench --bench throughput`).
    #[allow(clippy::box_collection)]
    live: Option<Box<Vec<ExchangeId>>>,
}

#[derive(Default)]
struct State {
    exchanges: Log,
    pending: HashMap<ExchangeId, oneshot::Sender<Reply>>,
    /// The invocations that carried each token (one, unless a caller reused it).
    tokens: HashMap<String, TokenUses>,
    waiting: BTreeSet<(DateTime<Utc>, ExchangeId)>,
    subscribers: Vec<Subscriber>,
}

/// Per action key: how to answer and what schemas apply. Read on every call, written rarely,
/// and kept apart from the log so that calls are judged without holding the log's lock.
#[derive(Default)]
struct Keys {
    policies: HashMap<String, Arc<Policy>>,
    schemas: HashMap<String, ActionSchemas>,
}

pub struct Engine {
    state: Mutex<State>,
    keys: RwLock<Keys>,
    closing: AtomicBool,
    /// Whether anyone subscribed to events (so intake can skip copies nobody reads).
    subscribed: AtomicBool,
    warp: Mutex<TimeWarp>,
    assumptions: RwLock<Assumptions>,
    clock: Arc<dyn Clock>,
    config: EngineConfig,
}

fn is_post(incoming: &Incoming) -> bool {
    incoming.http_method.eq_ignore_ascii_case("POST")
}

impl Engine {
    pub fn new(config: EngineConfig, clock: Arc<dyn Clock>) -> Arc<Engine> {
        let warp = TimeWarp::new(clock.now());
        Arc::new(Engine {
            state: Mutex::new(State::default()),
            keys: RwLock::new(Keys::default()),
            closing: AtomicBool::new(false),
            subscribed: AtomicBool::new(false),
            warp: Mutex::new(warp),
            assumptions: RwLock::new(config.assumptions),
            clock,
            config,
        })
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
    }

    /// Simulated time back to real time, at ×1.
    pub fn back_to_now(&self) {
        let real = self.clock.now();
        self.warp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .back_to_now(real);
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

    // ---- configuration ------------------------------------------------------------------

    fn keys(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    fn keys_mut(&self) -> std::sync::RwLockWriteGuard<'_, Keys> {
        self.keys.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers the samples' schemas and example answers under their action keys.
    pub fn add_samples(&self, samples: &[LoadedSample]) {
        let mut keys = self.keys_mut();
        for s in samples {
            if let Some(key) = s.sample.action_key() {
                let entry = keys.schemas.entry(key.to_string()).or_default();
                if s.input.is_some() {
                    entry.input.clone_from(&s.input);
                }
                if s.output.is_some() {
                    entry.output.clone_from(&s.output);
                }
                if s.sample.example_answer.is_some() {
                    entry.example_answer.clone_from(&s.sample.example_answer);
                }
            }
        }
    }

    pub fn schemas(&self, action_key: &str) -> ActionSchemas {
        self.keys()
            .schemas
            .get(action_key)
            .cloned()
            .unwrap_or_default()
    }

    fn output_schema(&self, action_key: Option<&str>) -> Option<Schema> {
        action_key.and_then(|k| self.keys().schemas.get(k).and_then(|s| s.output.clone()))
    }

    /// The key's policy; a key nobody set gets the default, remembered from then on.
    fn policy_arc(&self, action_key: &str) -> Arc<Policy> {
        if let Some(p) = self.keys().policies.get(action_key) {
            return p.clone();
        }
        let mut keys = self.keys_mut();
        let answer = self.config.default_answer.clone().unwrap_or_else(|| {
            keys.schemas
                .get(action_key)
                .cloned()
                .unwrap_or_default()
                .starting_answer()
        });
        let mut p = Policy::new(self.config.default_mode, answer);
        p.fail_status = self.config.default_fail_status;
        keys.policies
            .entry(action_key.to_string())
            .or_insert_with(|| Arc::new(p))
            .clone()
    }

    pub fn policy(&self, action_key: &str) -> Policy {
        (*self.policy_arc(action_key)).clone()
    }

    pub fn set_policy(&self, action_key: &str, policy: Policy) {
        self.keys_mut()
            .policies
            .insert(action_key.to_string(), Arc::new(policy));
    }

    // ---- observing ----------------------------------------------------------------------

    /// Events from now on. `wake` is called after events are queued (the window repaints).
    pub fn subscribe(
        &self,
        capacity: usize,
        wake: Option<Arc<dyn Fn() + Send + Sync>>,
    ) -> Subscription {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        self.subscribed.store(true, Ordering::Release);
        self.lock().subscribers.push(Subscriber {
            tx,
            lagged: lagged.clone(),
            wake,
        });
        Subscription { rx, lagged }
    }

    pub fn snapshot(&self) -> Vec<Exchange> {
        self.lock().exchanges.iter().cloned().collect()
    }

    pub fn exchange(&self, id: ExchangeId) -> Option<Exchange> {
        self.lock().exchanges.get(index(id)).cloned()
    }

    pub fn len(&self) -> usize {
        self.lock().exchanges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn emit(st: &mut State, kind: EventKind, id: ExchangeId) {
        let Some(ex) = st.exchanges.get(index(id)) else {
            return;
        };
        let ex = ex.clone();
        Engine::send(st, kind, &ex);
    }

    /// Sends `ex` as it is given (not as the log holds it) to every subscriber.
    fn send(st: &mut State, kind: EventKind, ex: &Exchange) {
        st.subscribers.retain(|s| {
            match s.tx.try_send(Event {
                kind,
                exchange: ex.clone(),
            }) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => s.lagged.store(true, Ordering::Release),
                Err(TrySendError::Disconnected(_)) => return false,
            }
            if let Some(w) = &s.wake {
                w();
            }
            true
        });
    }

    // ---- intake -------------------------------------------------------------------------

    /// Takes one HTTP request: logs it, and answers it now or holds it. The request is decoded
    /// and judged before the log's lock is taken, so calls are processed in parallel.
    pub fn intake(&self, incoming: Incoming) -> Intake {
        let real = self.clock.now();
        let sim = self.now();
        let method = Method::from_path(&incoming.path);
        let (body, unread) = match &incoming.body {
            Body::Read(b) => (b.clone(), None),
            Body::TooLarge { declared: Some(n) } => (
                bytes::Bytes::new(),
                Some(format!(
                    "(not read: {n} bytes, over the {MAX_BODY_BYTES}-byte limit)"
                )),
            ),
            Body::TooLarge { declared: None } => (
                bytes::Bytes::new(),
                Some(format!("(not read: over the {MAX_BODY_BYTES}-byte limit)")),
            ),
            Body::Unreadable(e) => (bytes::Bytes::new(), Some(format!("(not read: {e})"))),
        };
        let mut ex = Exchange {
            id: 0,
            at: sim,
            http_method: incoming.http_method.clone(),
            path: incoming.path.clone(),
            method,
            action_key: None,
            envelope: None,
            invocation_token: None,
            arrival: Arc::default(),
            findings: vec![],
            phase: Phase::Received,
            response: None,
            timeline: vec![],
        };
        let arrived: Cow<'static, str> = match method {
            Some(m) if is_post(&incoming) && incoming.path == m.path() => m.arrived_note().into(),
            _ => format!("{} {} arrived", incoming.http_method, incoming.path).into(),
        };
        ex.note(sim, arrived);
        let arrival = Arrival {
            headers: incoming.headers.clone(),
            body,
            unread,
        };
        let plan = match (
            self.check_transport(&incoming, method),
            method,
            &incoming.body,
        ) {
            (Some(refusal), _, _) => Plan::Refuse(refusal),
            (None, Some(Method::CompletionReport), Body::Read(body)) => Plan::Report(body),
            (None, Some(m), Body::Read(body)) => self.plan_plugin(m, body, &mut ex, real, sim),
            // check_transport refuses every other case.
            (None, _, _) => Plan::Refuse(Reply::error(500, "INTERNAL", "unrouted request")),
        };
        ex.arrival = Arc::new(arrival);
        // The exchange as it arrived, for subscribers, before an answer is written into it.
        let arrived = self.subscribed.load(Ordering::Acquire).then(|| ex.clone());
        // An answer decided now is written into the exchange before the lock, which is then
        // held only to append it.
        let closing = self.closing.load(Ordering::Acquire);
        let plan = match plan {
            Plan::Answer { .. } | Plan::Hold if closing => {
                let reply = Reply::error(503, "SHUTTING_DOWN", "the workbench is closing");
                apply_answer(
                    &mut ex,
                    &reply,
                    AnsweredBy::Shutdown,
                    vec![],
                    Phase::ShutDown,
                    sim,
                );
                Decided::Answered(reply)
            }
            Plan::Answer {
                reply,
                by,
                findings,
                phase,
            } => {
                apply_answer(&mut ex, &reply, by, findings, phase, sim);
                Decided::Answered(reply)
            }
            Plan::Refuse(reply) => Decided::Refuse(reply),
            Plan::Report(body) => Decided::Report(body),
            Plan::Hold => Decided::Hold,
        };

        let mut st = self.lock();
        let id = st.exchanges.len() as ExchangeId + 1;
        ex.id = id;
        if let Some(t) = ex.invocation_token.take() {
            let live = matches!(plan, Decided::Hold) || ex.phase.is_live();
            Engine::register_token(&mut st, &mut ex, &t, live, sim);
            ex.invocation_token = Some(t);
        }
        if let Phase::Waiting { deadline } = ex.phase {
            st.waiting.insert((deadline, id));
        }
        let kind = EventKind::of(&ex.phase);
        st.exchanges.push(ex);
        if let Some(mut arrived) = arrived {
            arrived.id = id;
            Engine::send(&mut st, EventKind::Arrived, &arrived);
        }
        match plan {
            Decided::Refuse(reply) => Intake::Now(self.reject(&mut st, id, reply, sim)),
            Decided::Report(body) => {
                let auth = incoming.authorized;
                Intake::Now(self.intake_report(&mut st, id, body, auth, sim))
            }
            Decided::Answered(reply) => {
                Engine::emit(&mut st, kind, id);
                Intake::Now(reply)
            }
            Decided::Hold => {
                let (tx, rx) = oneshot::channel();
                st.pending.insert(id, tx);
                let ex = &mut st.exchanges[index(id)];
                ex.phase = Phase::Held {
                    hold_until: real + self.config.hold_for,
                };
                ex.note(sim, "held: waiting for the developer's answer");
                Engine::emit(&mut st, EventKind::Held, id);
                Intake::Held { id, reply: rx }
            }
        }
    }

    /// Files the new exchange `ex` under its token. A token that a live invocation already
    /// carries is a finding on both (each invocation gets its own token from Wix); reports for
    /// it then complete the oldest waiting one first, so none is left unreachable.
    /// `is_live`: whether the new invocation is held or waiting (only those can be reported
    /// to; an answered one is only counted, which keeps the common case free of allocation).
    fn register_token(
        st: &mut State,
        ex: &mut Exchange,
        token: &str,
        is_live: bool,
        sim: DateTime<Utc>,
    ) {
        let id = ex.id;
        let (last, live) = {
            let State {
                tokens, exchanges, ..
            } = st;
            let uses = match tokens.get_mut(token) {
                Some(u) => u,
                None => tokens.entry(token.to_string()).or_default(),
            };
            let live = match &mut uses.live {
                Some(ids) => {
                    ids.retain(|e| exchanges.get(index(*e)).is_some_and(|x| x.phase.is_live()));
                    ids.to_vec()
                }
                None => vec![],
            };
            let before = (uses.count > 0).then_some(uses.last);
            uses.count = uses.count.saturating_add(1);
            uses.last = id;
            if is_live {
                uses.live.get_or_insert_default().push(id);
            }
            (before, live)
        };
        let Some(last) = last else {
            return;
        };
        let field = "activationContext.invocationToken";
        if live.is_empty() {
            ex.findings.push(
                Finding::warning(
                    "token-reused",
                    format!("invocationToken {token:?} was used before by invocation #{last}, which has ended: Wix gives every invocation its own token"),
                )
                .at(field),
            );
            return;
        }
        let list = live
            .iter()
            .map(|e| format!("#{e}"))
            .collect::<Vec<_>>()
            .join(", ");
        ex.findings.push(
            Finding::warning(
                "token-reused",
                format!("invocationToken {token:?} is also carried by live invocation {list}: Wix gives every invocation its own token. Completion reports for it complete the oldest waiting invocation first"),
            )
            .at(field),
        );
        for other in live {
            let old = &mut st.exchanges[index(other)];
            old.findings.push(
                Finding::warning(
                    "token-reused",
                    format!("invocationToken {token:?} was reused by invocation #{id} while this one is live: completion reports for it complete the oldest waiting invocation first"),
                )
                .at(field),
            );
            old.note(
                sim,
                format!("invocation #{id} arrived with the same invocationToken"),
            );
            Engine::emit(st, EventKind::Flagged, other);
        }
    }

    /// The invocation a completion report for `token` completes: the oldest one still waiting,
    /// else the newest (whose phase then explains the refusal).
    fn report_target(st: &State, token: &str) -> Option<ExchangeId> {
        let uses = st.tokens.get(token)?;
        uses.live
            .iter()
            .flat_map(|ids| ids.iter().copied())
            .find(|e| matches!(st.exchanges[index(*e)].phase, Phase::Waiting { .. }))
            .or(Some(uses.last))
    }

    /// Route, HTTP method and body problems, as the error reply to send.
    fn check_transport(&self, incoming: &Incoming, method: Option<Method>) -> Option<Reply> {
        let Some(_) = method else {
            let known: Vec<String> = Method::ALL
                .iter()
                .map(|m| format!("POST {}", m.path()))
                .collect();
            let msg = format!(
                "no route for {} {}: the workbench serves {} (under any prefix, as a provider's baseUri puts them)",
                incoming.http_method,
                incoming.path,
                known.join(", ")
            );
            return Some(Reply::error(404, "UNKNOWN_ROUTE", &msg));
        };
        if !incoming.http_method.eq_ignore_ascii_case("POST") {
            let msg = format!(
                "{} is not allowed on {}: use POST",
                incoming.http_method, incoming.path
            );
            let mut r = Reply::error(405, "METHOD_NOT_ALLOWED", &msg);
            r.headers.push(("allow".into(), "POST".into()));
            return Some(r);
        }
        match &incoming.body {
            Body::Read(_) => None,
            Body::TooLarge { .. } => Some(Reply::error(
                413,
                "BODY_TOO_LARGE",
                &format!("the body is over the {MAX_BODY_BYTES}-byte (1 MiB) limit"),
            )),
            Body::Unreadable(e) => Some(Reply::error(
                400,
                "BODY_UNREADABLE",
                &format!("the body could not be read: {e}"),
            )),
        }
    }

    fn reject(&self, st: &mut State, id: ExchangeId, reply: Reply, sim: DateTime<Utc>) -> Reply {
        let message = reply
            .body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("refused")
            .to_string();
        let code = reply
            .body
            .pointer("/details/applicationError/code")
            .and_then(Value::as_str)
            .unwrap_or("VALIDATION_ERROR")
            .to_string();
        if let Some(ex) = st.exchanges.get_mut(index(id)) {
            ex.phase = Phase::Rejected {
                code,
                message: message.clone(),
            };
            ex.response = Some(SentResponse {
                status: reply.status,
                body: reply.body.clone(),
                by: AnsweredBy::Workbench,
                at: sim,
                findings: vec![],
            });
            ex.note(
                sim,
                format!("refused with HTTP {}: {message}", reply.status),
            );
        }
        Engine::emit(st, EventKind::Rejected, id);
        reply
    }

    /// Decodes and checks a service plugin call and decides its answer, without the log's lock.
    fn plan_plugin<'b>(
        &self,
        method: Method,
        body: &'b [u8],
        ex: &mut Exchange,
        real: DateTime<Utc>,
        sim: DateTime<Utc>,
    ) -> Plan<'b> {
        if method == Method::Invoke
            && self.config.quick_path
            && let Some(q) = quick::quick_invoke(body)
        {
            self.note_envelope(q.kind, ex);
            let key = q.action_key.into_owned();
            ex.findings
                .extend(extension_finding(q.app_extension_type.as_deref()));
            if let Some(src) = q.activation_source.as_deref() {
                ex.findings.extend(source_finding(src));
            }
            let has_input = self
                .keys()
                .schemas
                .get(&key)
                .is_some_and(|s| s.input.is_some());
            let params = has_input
                .then(|| serde_json::from_str::<Value>(q.action_params.get()).ok())
                .flatten();
            return self.plan_invoke_tail(
                key,
                params.as_ref(),
                q.invocation_token.as_deref(),
                ex,
                sim,
            );
        }
        let mut decoded = match envelope::decode(body, &self.config.jwt, real) {
            Ok(d) => d,
            Err(e) => return Plan::Refuse(Reply::error(e.status(), e.code(), &e.to_string())),
        };
        self.note_envelope(decoded.kind, ex);
        ex.findings.append(&mut decoded.warnings);
        let extension = decoded
            .metadata
            .as_ref()
            .and_then(|m| m.get("appExtensionType"))
            .and_then(Value::as_str);
        ex.findings.extend(extension_finding(extension));
        if decoded.kind == envelope::EnvelopeKind::JwtUnverified {
            ex.findings.push(Finding::warning(
                "jwt-unverified",
                "the JWT was decoded but not verified: start with --public-key to check it",
            ));
        }
        let request = &decoded.request;
        let (key, findings) = match parse_plugin_request(method, request) {
            Ok(x) => x,
            Err(problem) => return Plan::Refuse(Reply::violations(&[problem])),
        };
        ex.findings.extend(findings);
        if method == Method::Invoke {
            let token = request
                .pointer("/activationContext/invocationToken")
                .and_then(Value::as_str);
            return self.plan_invoke_tail(key, request.get("actionParams"), token, ex, sim);
        }
        self.plan_answer(method, key, ex, sim)
    }

    /// Records how the body arrived, with a warning where the SDK would refuse it.
    fn note_envelope(&self, kind: envelope::EnvelopeKind, ex: &mut Exchange) {
        ex.envelope = Some(kind);
        let plain = matches!(
            kind,
            envelope::EnvelopeKind::PlainJson | envelope::EnvelopeKind::PlainEnvelope
        );
        if plain && self.config.jwt.public_key.is_some() {
            ex.findings.push(Finding::warning(
                "plain-body",
                "a plain JSON body, while a public key is set: Wix sends a signed JWT, and apps on the SDK refuse plain bodies",
            ));
        }
    }

    /// What both readings of an Invoke body share: the params against the input schema, the
    /// token, and the answer.
    fn plan_invoke_tail<'b>(
        &self,
        key: String,
        params: Option<&Value>,
        token: Option<&str>,
        ex: &mut Exchange,
        sim: DateTime<Utc>,
    ) -> Plan<'b> {
        if let Some(params) = params {
            let keys = self.keys();
            if let Some(input) = keys.schemas.get(&key).and_then(|s| s.input.as_ref()) {
                ex.findings
                    .extend(contract::check_action_params(params, input));
            }
        }
        match token {
            Some(t) => ex.invocation_token = Some(t.to_string()),
            None => ex.findings.push(Finding::warning(
                "no-invocation-token",
                "activationContext.invocationToken is missing: a timeout answer could not be completed",
            )),
        }
        self.plan_answer(Method::Invoke, key, ex, sim)
    }

    /// The answer the key's policy gives, judged; or a hold.
    fn plan_answer<'b>(
        &self,
        method: Method,
        key: String,
        ex: &mut Exchange,
        sim: DateTime<Utc>,
    ) -> Plan<'b> {
        let policy = self.policy_arc(&key);
        ex.action_key = Some(key);
        let (reply, by) = match policy.mode {
            Mode::Hold => return Plan::Hold,
            Mode::Auto => (
                Reply::json(200, auto_body(method, &policy, sim)),
                AnsweredBy::Auto,
            ),
            Mode::Fail => (fail_reply(&policy), AnsweredBy::FailPolicy),
        };
        let output = self.output_schema(ex.action_key.as_deref());
        let (findings, phase) = judge(
            method,
            &reply,
            output.as_ref(),
            sim.into(),
            self.assumptions().broken_answer_fails_step,
        );
        Plan::Answer {
            reply,
            by,
            findings,
            phase,
        }
    }

    /// Judges an answer to exchange `id` and records it: for the rarer paths (developer,
    /// fallback, shutdown) where judging under the lock costs nothing that matters.
    fn finish(
        &self,
        st: &mut State,
        id: ExchangeId,
        reply: Reply,
        by: AnsweredBy,
        sim: DateTime<Utc>,
    ) -> Reply {
        let ex = &st.exchanges[index(id)];
        let method = ex.method.unwrap_or(Method::Invoke);
        let output = self.output_schema(ex.action_key.as_deref());
        let times = AnswerTimes {
            requested: ex.at,
            answered: sim,
        };
        let (findings, phase) = judge(
            method,
            &reply,
            output.as_ref(),
            times,
            self.assumptions().broken_answer_fails_step,
        );
        let phase = if by == AnsweredBy::Shutdown {
            Phase::ShutDown
        } else {
            phase
        };
        self.record_answer(st, id, reply, by, findings, phase, sim)
    }

    /// Records an answer already judged, and sends it to a held caller.
    #[allow(clippy::too_many_arguments)]
    fn record_answer(
        &self,
        st: &mut State,
        id: ExchangeId,
        reply: Reply,
        by: AnsweredBy,
        findings: Vec<Finding>,
        phase: Phase,
        sim: DateTime<Utc>,
    ) -> Reply {
        apply_answer(
            &mut st.exchanges[index(id)],
            &reply,
            by,
            findings,
            phase.clone(),
            sim,
        );
        if let Phase::Waiting { deadline } = phase {
            st.waiting.insert((deadline, id));
        }
        if let Some(tx) = st.pending.remove(&id) {
            // The caller may have gone; its drop guard records that.
            let _ = tx.send(reply.clone());
        }
        Engine::emit(st, EventKind::of(&phase), id);
        reply
    }

    // ---- commands -----------------------------------------------------------------------

    /// Answers a held call with `reply`, crafted by the developer.
    pub fn answer(&self, id: ExchangeId, reply: Reply) -> Result<(), String> {
        let sim = self.now();
        let mut st = self.lock();
        let ex = st
            .exchanges
            .get(index(id))
            .ok_or_else(|| format!("no exchange #{id}"))?;
        if !ex.phase.is_held() || !st.pending.contains_key(&id) {
            return Err(format!(
                "#{id} is not held any more (it is {})",
                ex.phase.label()
            ));
        }
        self.finish(&mut st, id, reply, AnsweredBy::Developer, sim);
        Ok(())
    }

    /// The caller of a held call hung up.
    pub fn caller_gone(&self, id: ExchangeId) {
        let sim = self.now();
        let mut st = self.lock();
        if st.pending.remove(&id).is_some() {
            if let Some(ex) = st.exchanges.get_mut(index(id)) {
                ex.phase = Phase::CallerGone;
                ex.note(sim, "the caller hung up before it was answered");
            }
            Engine::emit(&mut st, EventKind::CallerGone, id);
        }
    }

    /// Sends fallback answers to holds that ran out and times out waits past their deadline.
    pub fn tick(&self) {
        let real = self.clock.now();
        let sim = self.now();
        let mut st = self.lock();
        let expired: Vec<ExchangeId> = st
            .pending
            .keys()
            .copied()
            .filter(|id| matches!(st.exchanges[index(*id)].phase, Phase::Held { hold_until } if hold_until <= real))
            .collect();
        for id in expired {
            let ex = &st.exchanges[index(id)];
            let key = ex.action_key.clone().unwrap_or_default();
            let method = ex.method.unwrap_or(Method::Invoke);
            let policy = self.policy_arc(&key);
            let reply = Reply::json(200, auto_body(method, &policy, sim));
            self.finish(&mut st, id, reply, AnsweredBy::Fallback, sim);
        }
        while let Some(&(deadline, id)) = st.waiting.first() {
            if deadline > sim {
                break;
            }
            st.waiting.pop_first();
            let Some(ex) = st.exchanges.get_mut(index(id)) else {
                continue;
            };
            if let Some(next) = ex.phase.deadline_passed(sim) {
                ex.phase = next;
                ex.note(
                    deadline,
                    "no completion report before the deadline: the step failed and the run moves on without its output",
                );
                Engine::emit(&mut st, EventKind::TimedOut, id);
            }
        }
    }

    /// Reports completion of invocation `id` from the window, through the same checks as the
    /// mock completion API.
    pub fn report_completion(
        &self,
        id: ExchangeId,
        report: &CompletionReport,
    ) -> Result<(), Reply> {
        let sim = self.now();
        let mut st = self.lock();
        let value = serde_json::to_value(report).unwrap_or_default();
        self.apply_report(&mut st, id, &value, "from the window", sim)
            .map(|_| ())
    }

    /// Answers every held call 503 and refuses new ones: the server is about to stop.
    pub fn close(&self) {
        let sim = self.now();
        let mut st = self.lock();
        self.closing.store(true, Ordering::Release);
        let held: Vec<ExchangeId> = st.pending.keys().copied().collect();
        for id in held {
            let reply = Reply::error(503, "SHUTTING_DOWN", "the workbench is closing");
            self.finish(&mut st, id, reply, AnsweredBy::Shutdown, sim);
        }
    }

    // ---- completion reports ---------------------------------------------------------------

    fn intake_report(
        &self,
        st: &mut State,
        id: ExchangeId,
        body: &[u8],
        authorized: bool,
        sim: DateTime<Utc>,
    ) -> Reply {
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                let reply = match envelope::json_error(&e, "the completion report") {
                    envelope::EnvelopeError::InvalidJson(e) => Reply::error(
                        400,
                        "INVALID_JSON",
                        &format!("the completion report is not valid JSON: {e}"),
                    ),
                    other => Reply::error(other.status(), other.code(), &other.to_string()),
                };
                return self.reject(st, id, reply, sim);
            }
        };
        if !authorized && self.assumptions().require_authorization {
            let reply = Reply::error(
                401,
                "UNAUTHENTICATED",
                "no Authorization header: Wix's completion API needs the app's access token (the workbench is set to refuse reports without one)",
            );
            return self.reject(st, id, reply, sim);
        }
        {
            let ex = &mut st.exchanges[index(id)];
            ex.envelope = Some(envelope::EnvelopeKind::PlainJson);
            if !authorized {
                ex.findings.push(Finding::warning(
                    "no-authorization",
                    "no Authorization header: Wix requires the app's access token here",
                ));
            }
        }
        let token = value
            .get("invocationToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        let target = token.as_ref().and_then(|t| Engine::report_target(st, t));
        // Checked once, against the output schema of the invocation the token names (if any).
        let output =
            target.and_then(|t| self.output_schema(st.exchanges[index(t)].action_key.as_deref()));
        let findings = contract::check_completion_report(&value, output.as_ref());
        st.exchanges[index(id)]
            .findings
            .extend(findings.iter().cloned());
        let Some(target) = target else {
            let reply = match &token {
                Some(t) if !contract::has_errors(&findings) => {
                    let msg = format!("no invocation has the invocationToken {t:?}");
                    Reply::error(404, "UNKNOWN_INVOCATION_TOKEN", &msg)
                }
                _ => Reply::violations(&findings),
            };
            return self.reject(st, id, reply, sim);
        };
        let key = st.exchanges[index(target)].action_key.clone();
        let ex = &mut st.exchanges[index(id)];
        ex.invocation_token = token.clone();
        ex.action_key = key;
        match self.apply_report(st, target, &value, &format!("over HTTP (#{id})"), sim) {
            Ok(applied) => {
                let reply = Reply::json(200, json!({}));
                let ex = &mut st.exchanges[index(id)];
                ex.phase = Phase::Accepted;
                ex.response = Some(SentResponse {
                    status: 200,
                    body: reply.body.clone(),
                    by: AnsweredBy::Workbench,
                    at: sim,
                    findings: vec![],
                });
                ex.note(
                    sim,
                    match applied {
                        Applied::Changed => format!("accepted: invocation #{target} updated"),
                        Applied::Ignored(why) => {
                            format!("accepted with no effect on invocation #{target}: {why}")
                        }
                    },
                );
                let sharing = token
                    .as_ref()
                    .and_then(|t| st.tokens.get(t))
                    .map_or(0, |u| u.count as usize);
                if sharing > 1 {
                    st.exchanges[index(id)].findings.push(
                        Finding::warning(
                            "token-reused",
                            format!("{sharing} invocations carry this invocationToken: this report completed #{target}, the oldest that was waiting"),
                        )
                        .at("invocationToken"),
                    );
                }
                Engine::emit(st, EventKind::Accepted, id);
                reply
            }
            Err(reply) => self.reject(st, id, reply, sim),
        }
    }

    fn apply_report(
        &self,
        st: &mut State,
        target: ExchangeId,
        report: &Value,
        via: &str,
        sim: DateTime<Utc>,
    ) -> Result<Applied, Reply> {
        let output = self.output_schema(st.exchanges[index(target)].action_key.as_deref());
        let findings = contract::check_completion_report(report, output.as_ref());
        let ex = &mut st.exchanges[index(target)];
        if contract::has_errors(&findings) {
            ex.note(
                sim,
                format!(
                    "completion report {via} refused (400): {}",
                    summary(&findings)
                ),
            );
            let kind = EventKind::of(&ex.phase);
            Engine::emit(st, kind, target);
            return Err(Reply::violations(&findings));
        }
        let parsed: CompletionReport =
            from_value_at(report).map_err(|e| Reply::error(400, "VALIDATION_ERROR", &e))?;
        let success = parsed
            .success_info
            .map(|s| s.result)
            .filter(|_| parsed.status == "SUCCESS");
        let failure = parsed.failure_info.map(|f| f.error_description);
        match ex.phase.report(success, failure, sim) {
            Ok(next) => {
                let text = match &next {
                    Phase::Completed { .. } => format!(
                        "completion report {via}: SUCCESS: the run moves on with the result"
                    ),
                    Phase::ReportedFailure { description } => {
                        format!("completion report {via}: FAILURE ({description}): the step failed")
                    }
                    _ => format!("completion report {via}"),
                };
                if let Phase::Waiting { deadline } = ex.phase {
                    st.waiting.remove(&(deadline, target));
                }
                let ex = &mut st.exchanges[index(target)];
                ex.phase = next.clone();
                ex.note(sim, text);
                Engine::emit(st, EventKind::of(&next), target);
                Ok(Applied::Changed)
            }
            Err(refusal) if self.ignores(&refusal) => {
                let why = format!("{refusal} (assumption set to ignore such reports)");
                ex.note(
                    sim,
                    format!("completion report {via} ignored with 200: {why}"),
                );
                let kind = EventKind::of(&ex.phase);
                Engine::emit(st, kind, target);
                Ok(Applied::Ignored(why))
            }
            Err(refusal) => {
                let reply = Reply::error(409, refusal.code(), &refusal.to_string());
                ex.note(
                    sim,
                    format!("completion report {via} refused (409): {refusal}"),
                );
                let kind = EventKind::of(&ex.phase);
                Engine::emit(st, kind, target);
                Err(reply)
            }
        }
    }
}

/// What a completion report did.
enum Applied {
    Changed,
    /// Taken with 200 and no effect, as an assumption is set; why.
    Ignored(String),
}

/// The log: exchanges in fixed-size chunks, so growing it never moves (copies) what it holds.
/// A plain Vec doubling at 100k entries copied tens of megabytes under the lock and stalled
/// every caller for milliseconds.
#[derive(Default)]
struct Log {
    chunks: Vec<Vec<Exchange>>,
    len: usize,
}

const LOG_CHUNK: usize = 4096;

impl Log {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, ex: Exchange) {
        if self.len.is_multiple_of(LOG_CHUNK) {
            self.chunks.push(Vec::with_capacity(LOG_CHUNK));
        }
        if let Some(last) = self.chunks.last_mut() {
            last.push(ex);
            self.len += 1;
        }
    }

    fn get(&self, i: usize) -> Option<&Exchange> {
        self.chunks
            .get(i / LOG_CHUNK)
            .and_then(|c| c.get(i % LOG_CHUNK))
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Exchange> {
        self.chunks
            .get_mut(i / LOG_CHUNK)
            .and_then(|c| c.get_mut(i % LOG_CHUNK))
    }

    fn iter(&self) -> impl Iterator<Item = &Exchange> {
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

/// Writes an answer into an exchange: its response, phase and timeline.
fn apply_answer(
    ex: &mut Exchange,
    reply: &Reply,
    by: AnsweredBy,
    findings: Vec<Finding>,
    phase: Phase,
    sim: DateTime<Utc>,
) {
    let method = ex.method.unwrap_or(Method::Invoke);
    let who = match by {
        AnsweredBy::Developer => "the developer answered",
        AnsweredBy::Auto => "answered with the saved answer",
        AnsweredBy::FailPolicy => "answered with an error (the key is set to fail)",
        AnsweredBy::Fallback => "the hold deadline passed: the saved answer was sent instead",
        AnsweredBy::Workbench => "refused",
        AnsweredBy::Shutdown => "the workbench closed: answered 503",
    };
    let on_purpose = if contract::has_errors(&findings) && by == AnsweredBy::Developer {
        " (sent on purpose despite contract findings)"
    } else {
        ""
    };
    ex.note(sim, format!("{who}: HTTP {}{on_purpose}", reply.status));
    match &phase {
        Phase::Waiting { deadline } => ex.note(
            sim,
            format!(
                "waiting for a completion report until {}",
                deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        ),
        Phase::Failed { reason } => ex.note(sim, format!("the step failed: {reason}")),
        Phase::Answered if method == Method::Invoke => {
            ex.note(sim, "the run moves on with the result")
        }
        _ => {}
    }
    ex.response = Some(SentResponse {
        status: reply.status,
        body: reply.body.clone(),
        by,
        at: sim,
        findings,
    });
    ex.phase = phase;
}

/// What intake decided before taking the log's lock.
enum Plan<'b> {
    Refuse(Reply),
    Report(&'b [u8]),
    Answer {
        reply: Reply,
        by: AnsweredBy,
        findings: Vec<Finding>,
        phase: Phase,
    },
    Hold,
}

/// The plan once any answer is written into the exchange: what is left to do under the lock.
enum Decided<'b> {
    Refuse(Reply),
    Report(&'b [u8]),
    Answered(Reply),
    Hold,
}

/// The contract findings about an answer to `method`, and the phase it leads to.
fn judge(
    method: Method,
    reply: &Reply,
    output: Option<&Schema>,
    sim: AnswerTimes,
    broken_fails: bool,
) -> (Vec<Finding>, Phase) {
    let findings = check_answer(method, reply.status, &reply.body, output, sim);
    let outcome = match method {
        Method::Invoke => {
            contract::invoke_outcome_with(reply.status, &reply.body, &findings, sim, broken_fails)
        }
        _ if (200..300).contains(&reply.status)
            && (!broken_fails || !contract::has_errors(&findings)) =>
        {
            InvokeOutcome::Immediate
        }
        _ => InvokeOutcome::Failed {
            reason: format!("answered HTTP {} {}", reply.status, summary(&findings)),
        },
    };
    // An answer is judged as if fresh; whether the call may still be answered is the caller's
    // concern (only held calls are answered later).
    let phase = Phase::Received.answer(outcome).unwrap_or(Phase::Answered);
    (findings, phase)
}

fn index(id: ExchangeId) -> usize {
    (id as usize).wrapping_sub(1)
}

fn summary(findings: &[Finding]) -> String {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The saved answer for `method`, a relative timeout date made absolute at `now`.
fn auto_body(method: Method, policy: &Policy, now: DateTime<Utc>) -> Arc<Value> {
    match method {
        Method::Invoke => match wire::resolve_answer(&policy.answer, now) {
            Some(resolved) => Arc::new(resolved),
            None => policy.answer.clone(),
        },
        Method::ValidateConfiguration => Arc::new(wire::valid_configuration()),
        _ => Arc::new(wire::unenforced_quota()),
    }
}

fn fail_reply(policy: &Policy) -> Reply {
    Reply::json(
        policy.fail_status,
        wire::application_error(&policy.fail_code, json!({})),
    )
}

/// The contract findings about an answer to `method`.
pub fn check_answer(
    method: Method,
    status: u16,
    body: &Value,
    output: Option<&Schema>,
    now: impl Into<AnswerTimes>,
) -> Vec<Finding> {
    match method {
        Method::Invoke => contract::check_invoke_json(status, body, output, now),
        Method::ValidateConfiguration => contract::check_validate_json(status, body),
        Method::QuotaInfo => contract::check_quota_json(status, body),
        Method::CompletionReport => vec![],
    }
}

/// What is wrong with a request: the field, named as a path, and the rule it breaks.
type RequestProblem = Finding;

/// A warning when a plain envelope's `metadata.appExtensionType` is not the action provider's
/// (a JWT with another type is refused, as the SDK refuses it).
fn extension_finding(ext: Option<&str>) -> Option<Finding> {
    let ext = ext.filter(|e| !e.eq_ignore_ascii_case(wire::APP_EXTENSION_TYPE))?;
    Some(
        Finding::warning(
            "app-extension-type",
            format!(
                "metadata.appExtensionType is {ext:?}: the SDK routes only {:?} to an action provider",
                wire::APP_EXTENSION_TYPE
            ),
        )
        .at("metadata.appExtensionType"),
    )
}

/// A warning when `activationInitiationSource` is none of the documented values.
fn source_finding(src: &str) -> Option<Finding> {
    (!wire::ACTIVATION_SOURCES.contains(&src)).then(|| {
        Finding::warning(
            "unknown-activation-source",
            format!(
                "activationInitiationSource {src:?} is not one of {:?}",
                wire::ACTIVATION_SOURCES
            ),
        )
        .at("activationContext.activationSourceInfo.activationInitiationSource")
        .rule("INVALID_ENUM_VALUE")
    })
}

fn require_string<'a>(req: &'a Value, field: &str) -> Result<&'a str, RequestProblem> {
    let problem = |code, message: String, rule| Finding::error(code, message).at(field).rule(rule);
    match req.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) => Err(problem(
            "invalid-field",
            format!("{field} must not be empty"),
            "MIN_LENGTH",
        )),
        Some(other) => Err(problem(
            "invalid-field",
            format!("{field} must be a string, got {}", json_type(other)),
            "VALIDATION",
        )),
        None => Err(problem(
            "missing-field",
            format!("{field} is required"),
            "REQUIRED_FIELD",
        )),
    }
}

/// Checks a service plugin request's shape; returns its action key and findings about it.
fn parse_plugin_request(
    method: Method,
    req: &Value,
) -> Result<(String, Vec<Finding>), RequestProblem> {
    if !req.is_object() {
        return Err(Finding::error(
            "not-object",
            format!("the request must be a JSON object, got {}", json_type(req)),
        )
        .at("request")
        .rule("VALIDATION"));
    }
    let key = require_string(req, "actionKey")?.to_string();
    let mut findings = vec![];
    match method {
        Method::Invoke => {
            match req.get("actionParams") {
                Some(Value::Object(_)) => {}
                Some(other) => {
                    return Err(Finding::error(
                        "invalid-field",
                        format!("actionParams must be an object, got {}", json_type(other)),
                    )
                    .at("actionParams")
                    .rule("VALIDATION"));
                }
                None => {
                    return Err(Finding::error("missing-field", "actionParams is required")
                        .at("actionParams")
                        .rule("REQUIRED_FIELD"));
                }
            }
            wire::check_field_types(req, wire::INVOKE_FIELD_TYPES).map_err(|e| {
                Finding::error("invalid-field", e.message)
                    .at(e.field)
                    .rule("VALIDATION")
            })?;
            if let Some(src) = req
                .pointer("/activationContext/activationSourceInfo/activationInitiationSource")
                .and_then(Value::as_str)
            {
                findings.extend(source_finding(src));
            }
        }
        Method::ValidateConfiguration => {
            let parsed: wire::ValidateConfigurationRequest = from_value_at(req).map_err(|e| {
                let field = e.split_once(": ").map_or("request", |(f, _)| f).to_string();
                Finding::error("invalid-field", e.clone())
                    .at(field)
                    .rule("VALIDATION")
            })?;
            if let Some(m) = parsed.input_mapping
                && !serde_json::from_str::<Value>(&m).is_ok_and(|v| v.is_object())
            {
                findings.push(Finding::warning(
                    "input-mapping-not-json",
                    "inputMapping should be a JSON object serialised as a string",
                ));
            }
        }
        Method::QuotaInfo | Method::CompletionReport => {}
    }
    Ok((key, findings))
}

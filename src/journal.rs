//! The session journal: every change to an exchange (inbound or outbound: the request, the
//! answer, findings, waits, reports, time-outs) appended to a file as one JSON line with a
//! format version, written to the operating system before the response leaves, so a process
//! killed with SIGKILL loses no exchange whose response was sent. The file is synced to disk
//! at most one second after a write (a power loss can lose that last second).
//!
//! Reading it back restores the whole log with every timeline, invocations still waiting, and
//! the simulated clock where it was. A torn last line (a crash mid-write) is skipped with a
//! warning, never a refusal to open.

use crate::domain::contract::{Finding, Severity};
use crate::domain::envelope::EnvelopeKind;
use crate::domain::invocation::{
    AnsweredBy, Arrival, Direction, Exchange, Phase, SentResponse, TimelineEntry,
};
use crate::domain::wire::Method;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// The format of each line; a reader refuses lines of a later one with a warning.
pub const FORMAT: u32 = 1;

/// How often written lines are synced to the disk.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

#[derive(Serialize, Deserialize)]
struct Line {
    v: u32,
    #[serde(flatten)]
    what: What,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum What {
    /// The first line of a run (each reopening adds one).
    Session { at: DateTime<Utc>, version: String },
    /// An exchange as it stands after an event; the first line of an exchange carries its
    /// headers and body, later ones leave them out.
    Exchange {
        event: String,
        ex: Box<ExchangeRecord>,
    },
    /// Simulated time's lead over real time, when it changes.
    Clock { offset_ms: i64 },
}

#[derive(Serialize, Deserialize)]
struct FindingRecord {
    severity: Severity,
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ResponseRecord {
    status: u16,
    body: Value,
    by: AnsweredBy,
    at: DateTime<Utc>,
    findings: Vec<FindingRecord>,
}

#[derive(Serialize, Deserialize)]
struct ExchangeRecord {
    id: u64,
    direction: Direction,
    at: DateTime<Utc>,
    http_method: String,
    path: String,
    method: Option<Method>,
    action_key: Option<String>,
    envelope: Option<EnvelopeKind>,
    invocation_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<String>,
    /// The body as text, when it is UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    /// The body in base64, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body_b64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unread: Option<String>,
    findings: Vec<FindingRecord>,
    phase: Phase,
    response: Option<ResponseRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target_answer: Option<ResponseRecord>,
    timeline: Vec<(DateTime<Utc>, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

/// What is written for an exchange: the same fields as [`ExchangeRecord`], borrowed from the
/// live exchange so that writing copies nothing (it runs under the engine's lock).
#[derive(Serialize)]
struct ExchangeLine<'a> {
    v: u32,
    kind: &'static str,
    event: &'a str,
    ex: ExchangeRef<'a>,
}

#[derive(Serialize)]
struct ExchangeRef<'a> {
    id: u64,
    direction: Direction,
    at: &'a DateTime<Utc>,
    http_method: &'a str,
    path: &'a str,
    method: Option<Method>,
    action_key: Option<&'a str>,
    envelope: Option<EnvelopeKind>,
    invocation_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_b64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unread: Option<&'a str>,
    findings: &'a [Finding],
    phase: &'a Phase,
    response: Option<ResponseRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_answer: Option<ResponseRef<'a>>,
    timeline: TimelineRef<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
}

#[derive(Serialize)]
struct ResponseRef<'a> {
    status: u16,
    body: &'a Value,
    by: AnsweredBy,
    at: &'a DateTime<Utc>,
    findings: &'a [Finding],
}

impl<'a> From<&'a SentResponse> for ResponseRef<'a> {
    fn from(r: &'a SentResponse) -> Self {
        ResponseRef {
            status: r.status,
            body: &r.body,
            by: r.by,
            at: &r.at,
            findings: &r.findings,
        }
    }
}

/// The timeline as `[at, text]` pairs, without collecting them first.
struct TimelineRef<'a>(&'a [TimelineEntry]);

impl Serialize for TimelineRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for t in self.0 {
            seq.serialize_element(&(&t.at, t.text.as_ref()))?;
        }
        seq.end()
    }
}

fn exchange_ref<'a>(ex: &'a Exchange, with_body: bool) -> ExchangeRef<'a> {
    let (body, body_b64) = match (with_body, std::str::from_utf8(&ex.arrival.body)) {
        (false, _) => (None, None),
        (true, Ok(t)) => (Some(t), None),
        (true, Err(_)) => (None, Some(STANDARD.encode(&ex.arrival.body))),
    };
    ExchangeRef {
        id: ex.id,
        direction: ex.direction,
        at: &ex.at,
        http_method: &ex.http_method,
        path: &ex.path,
        method: ex.method,
        action_key: ex.action_key.as_deref(),
        envelope: ex.envelope,
        invocation_token: ex.invocation_token.as_deref(),
        headers: with_body.then_some(ex.arrival.headers.as_str()),
        body,
        body_b64,
        unread: if with_body {
            ex.arrival.unread.as_deref()
        } else {
            None
        },
        findings: &ex.findings,
        phase: &ex.phase,
        response: ex.response.as_ref().map(ResponseRef::from),
        target_answer: ex.target_answer.as_ref().map(ResponseRef::from),
        timeline: TimelineRef(&ex.timeline),
        tag: ex.tag.as_deref(),
    }
}

/// Codes and rules are `&'static str` in a live finding; read back, each distinct one is
/// kept once (a journal names a few dozen).
fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = seen.iter().find(|k| **k == s) {
        return k;
    }
    if seen.len() >= 4096 {
        return "restored";
    }
    let k: &'static str = Box::leak(s.to_string().into_boxed_str());
    seen.push(k);
    k
}

fn finding(r: FindingRecord) -> Finding {
    Finding {
        severity: r.severity,
        code: intern(&r.code),
        message: r.message,
        field: r.field,
        rule: r.rule.as_deref().map(intern),
    }
}

fn response(r: ResponseRecord) -> SentResponse {
    SentResponse {
        status: r.status,
        body: Arc::new(r.body),
        by: r.by,
        at: r.at,
        findings: r.findings.into_iter().map(finding).collect(),
    }
}

/// An exchange from its record; `arrival` is the one its first line carried.
fn exchange(r: ExchangeRecord, arrival: Arc<Arrival>) -> Exchange {
    Exchange {
        id: r.id,
        direction: r.direction,
        at: r.at,
        http_method: r.http_method,
        path: r.path,
        method: r.method,
        action_key: r.action_key,
        envelope: r.envelope,
        invocation_token: r.invocation_token,
        arrival,
        findings: r.findings.into_iter().map(finding).collect(),
        phase: r.phase,
        response: r.response.map(response),
        target_answer: r.target_answer.map(response),
        timeline: r
            .timeline
            .into_iter()
            .map(|(at, text)| TimelineEntry {
                at,
                text: text.into(),
            })
            .collect(),
        tag: r.tag,
    }
}

/// What a journal held.
#[derive(Debug, Default)]
pub struct Restored {
    /// Every exchange, in id order, as it last stood.
    pub exchanges: Vec<Exchange>,
    /// Simulated time's lead over real time, as last recorded.
    pub clock_offset: Option<chrono::Duration>,
    /// Lines skipped, and why (a torn last line after a crash…).
    pub warnings: Vec<String>,
}

/// Reads a journal. A file that does not exist is an empty session.
pub fn read(path: &Path) -> Result<Restored, String> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Restored::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut out = Restored::default();
    let mut by_id: std::collections::BTreeMap<u64, Exchange> = Default::default();
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (n, raw) in lines.iter().enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: Line = match serde_json::from_slice(raw) {
            Ok(l) => l,
            Err(e) => {
                let place = if n == last {
                    "the last line is torn (the process stopped mid-write)"
                } else {
                    "a line could not be read"
                };
                out.warnings.push(format!(
                    "{}: line {}: {place}, skipped: {e}",
                    path.display(),
                    n + 1
                ));
                continue;
            }
        };
        if line.v > FORMAT {
            out.warnings.push(format!(
                "{}: line {} has format {} (this ActionBench reads {FORMAT}), skipped",
                path.display(),
                n + 1,
                line.v
            ));
            continue;
        }
        match line.what {
            What::Session { .. } => {}
            What::Clock { offset_ms } => {
                out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
            }
            What::Exchange { ex, .. } => {
                let arrival = match (
                    ex.body.is_some() || ex.body_b64.is_some() || ex.headers.is_some(),
                    by_id.get(&ex.id),
                ) {
                    (false, Some(prev)) => prev.arrival.clone(),
                    _ => {
                        let body = match (&ex.body, &ex.body_b64) {
                            (Some(t), _) => bytes::Bytes::from(t.clone().into_bytes()),
                            (None, Some(b)) => STANDARD
                                .decode(b)
                                .map(bytes::Bytes::from)
                                .unwrap_or_default(),
                            (None, None) => bytes::Bytes::new(),
                        };
                        Arc::new(Arrival {
                            headers: ex.headers.clone().unwrap_or_default(),
                            body,
                            unread: ex.unread.clone(),
                        })
                    }
                };
                let id = ex.id;
                by_id.insert(id, exchange(*ex, arrival));
            }
        }
    }
    out.exchanges = by_id.into_values().collect();
    Ok(out)
}

struct Writer {
    file: std::fs::File,
    /// Exchanges up to this id have had their headers and body written.
    bodies_up_to: u64,
    /// Whether a failed write was already reported (one message, not one per call).
    failed: bool,
}

/// A journal open for appending.
pub struct Journal {
    path: PathBuf,
    writer: Mutex<Writer>,
    dirty: AtomicBool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Opens `path` (made with its folder when missing) for appending, after reading what it
    /// holds. A torn last line is closed with a newline first, so the next line stands alone.
    pub fn open(path: &Path) -> Result<(Arc<Journal>, Restored), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let restored = read(path)?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > 0 {
            let mut last = [0u8; 1];
            let ends_clean = file
                .seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .is_ok_and(|_| last[0] == b'\n');
            if !ends_clean {
                file.write_all(b"\n")
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let bodies_up_to = restored.exchanges.last().map_or(0, |e| e.id);
        let journal = Arc::new(Journal {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer {
                file,
                bodies_up_to,
                failed: false,
            }),
            dirty: AtomicBool::new(false),
        });
        journal.write(&Line {
            v: FORMAT,
            what: What::Session {
                at: Utc::now(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
        });
        Journal::sync_in_background(Arc::downgrade(&journal));
        Ok((journal, restored))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `ex` as it stands after `event`. Called under the engine's lock, in the order
    /// changes happen, before any answer leaves.
    pub fn exchange(&self, event: &str, ex: &Exchange) {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let with_body = ex.id > w.bodies_up_to;
        let line = ExchangeLine {
            v: FORMAT,
            kind: "exchange",
            event,
            ex: exchange_ref(ex, with_body),
        };
        if with_body {
            w.bodies_up_to = ex.id;
        }
        Journal::write_locked(&self.path, &mut w, &line);
        self.dirty.store(true, Ordering::Release);
    }

    /// Records simulated time's lead over real time.
    pub fn clock(&self, offset: chrono::Duration) {
        self.write(&Line {
            v: FORMAT,
            what: What::Clock {
                offset_ms: offset.num_milliseconds(),
            },
        });
    }

    fn write(&self, line: &Line) {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        Journal::write_locked(&self.path, &mut w, line);
        self.dirty.store(true, Ordering::Release);
    }

    /// One `write` per line: once it returns, the line survives the process being killed.
    fn write_locked(path: &Path, w: &mut Writer, line: &impl Serialize) {
        let mut bytes = match serde_json::to_vec(line) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("journal {}: cannot encode a line: {e}", path.display());
                return;
            }
        };
        bytes.push(b'\n');
        if let Err(e) = w.file.write_all(&bytes)
            && !w.failed
        {
            w.failed = true;
            tracing::error!("journal {}: writing failed: {e}", path.display());
        }
    }

    /// Syncs what was written to the disk.
    pub fn sync(&self) {
        if self.dirty.swap(false, Ordering::AcqRel) {
            let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let _ = w.file.sync_data();
        }
    }

    fn sync_in_background(journal: Weak<Journal>) {
        std::thread::Builder::new()
            .name("journal-sync".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(SYNC_EVERY);
                    match journal.upgrade() {
                        Some(j) => j.sync(),
                        None => return,
                    }
                }
            })
            .ok();
    }
}

/// Where a new session's journal goes: the platform's data folder (`~/.local/share/actionbench/
/// sessions` on Linux), one file per run.
pub fn sessions_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "actionbench").map(|d| d.data_dir().join("sessions"))
}

/// A new journal path in [`sessions_dir`], named by the time.
pub fn new_session_path() -> Option<PathBuf> {
    let name = format!("session-{}.jsonl", Utc::now().format("%Y%m%d-%H%M%S-%3f"));
    sessions_dir().map(|d| d.join(name))
}

/// The sessions in [`sessions_dir`], newest first: path, size, last change.
pub fn recent_sessions(limit: usize) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let Some(dir) = sessions_dir() else {
        return vec![];
    };
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut out: Vec<_> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((e.path(), m.len(), m.modified().ok()?))
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.2));
    out.truncate(limit);
    out
}

impl crate::engine::Recorder for Journal {
    fn exchange(&self, event: &str, ex: &Exchange) {
        Journal::exchange(self, event, ex);
    }

    fn clock(&self, offset: chrono::Duration) {
        Journal::clock(self, offset);
    }
}

/// What opening a session did, to say so.
#[derive(Debug)]
pub struct Opened {
    pub journal: Arc<Journal>,
    pub restored: usize,
    pub warnings: Vec<String>,
}

/// Opens the journal at `path` for `engine`: records from now on, and restores what it held.
pub fn attach(engine: &crate::engine::Engine, path: &Path) -> Result<Opened, String> {
    let (journal, restored) = Journal::open(path)?;
    engine.set_recorder(journal.clone());
    let n = engine.restore(restored.exchanges, restored.clock_offset)?;
    Ok(Opened {
        journal,
        restored: n,
        warnings: restored.warnings,
    })
}

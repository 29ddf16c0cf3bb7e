//! The session journal: every change to an exchange (inbound or outbound: the request, the
//! answer, findings, waits, reports, time-outs) appended to a file as one JSON line with a
//! format version, written to the operating system before the response leaves, so a process
//! killed with SIGKILL loses no exchange whose response was sent. The file is synced to disk
//! at most one second after a write (a power loss can lose that last second).
//!
//! Reading it back restores the whole log with every timeline, invocations still waiting, and
//! the simulated clock where it was. A torn last line (a crash mid-write) is skipped with a
//! warning, never a refusal to open.
//!
//! At its edges: one writer per file (an exclusive `flock` on the file itself, which the kernel
//! drops when the process dies, so a crash leaves nothing behind); a file whose first line has
//! a newer format is not appended to. When a write fails (a full disk, a read-only or vanished
//! file, an IO error), the line is cut back out of the file, the journal is *in trouble*, and
//! [`Journal::flush`] says so: the server then refuses the calls it could not record. What
//! could not be written is kept (up to [`PENDING_CAP`]) and written first when writing works
//! again, which is retried by itself; a `trouble` line then records what happened.

pub mod export;

use crate::domain::contract::{Finding, Severity};
use crate::domain::envelope::EnvelopeKind;
use crate::domain::invocation::{
    AnsweredBy, Arrival, Direction, Exchange, Packed, Phase, SentResponse, Summary, TimelineEntry,
    flagged, shared_text,
};
use crate::domain::wire::Method;
use crate::engine::Restoring;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The format of each line; a reader refuses lines of a later one with a warning.
pub const FORMAT: u32 = 1;

/// How often written lines are synced to the disk.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How often a journal in trouble tries writing again when calls ask (the sync thread tries
/// every [`SYNC_EVERY`] as well).
pub const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Bytes of lines kept in memory while the journal cannot be written; past it, new lines are
/// dropped and counted (the calls they record were refused).
pub const PENDING_CAP: usize = 32 << 20;

#[derive(Serialize, Deserialize)]
struct Line {
    v: u32,
    #[serde(flatten)]
    what: What,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum What {
    /// The first line of a run (each reopening adds one), with the process that writes it.
    Session {
        at: DateTime<Utc>,
        version: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pid: Option<u32>,
    },
    /// Writing failed from `since` to `until` (why: `cause`): calls meanwhile were refused,
    /// and `dropped` lines could not be kept.
    Trouble {
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        cause: String,
        dropped: u64,
    },
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
/// live exchange so that writing copies nothing (it runs while the exchange is locked).
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

/// A line as read back. Plain optional fields rather than [`Line`]'s flattened, tagged enum:
/// serde buffers a flattened enum into an owned tree first, which doubled the time reopening
/// took.
#[derive(Deserialize)]
struct RawLine {
    v: u32,
    kind: String,
    #[serde(default)]
    ex: Option<Box<ExchangeRecord>>,
    #[serde(default)]
    offset_ms: Option<i64>,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    dropped: Option<u64>,
}

/// A `trouble` line's fields, as read back.
struct TroubleFields {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    cause: Option<String>,
    dropped: Option<u64>,
}

/// What reopening needs of an exchange's line before deciding to load it: its id, phase and
/// token, and whether it carries the body. Everything else is skipped without being kept.
#[derive(Deserialize)]
struct PeekLine {
    v: u32,
    kind: String,
    #[serde(default)]
    ex: Option<PeekExchange>,
    #[serde(default)]
    offset_ms: Option<i64>,
    #[serde(default)]
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    until: Option<DateTime<Utc>>,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    dropped: Option<u64>,
}

#[derive(Deserialize)]
struct PeekExchange {
    id: u64,
    direction: Direction,
    at: DateTime<Utc>,
    http_method: String,
    path: String,
    method: Option<Method>,
    action_key: Option<String>,
    envelope: Option<EnvelopeKind>,
    phase: Phase,
    #[serde(default)]
    findings: Vec<PeekFinding>,
    #[serde(default)]
    response: Option<PeekResponse>,
    #[serde(default)]
    tag: Option<String>,
    invocation_token: Option<String>,
    #[serde(default)]
    headers: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    body: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    body_b64: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct PeekFinding {
    severity: Severity,
}

#[derive(Deserialize)]
struct PeekResponse {
    status: u16,
    #[serde(default)]
    findings: Vec<PeekFinding>,
}

impl PeekExchange {
    fn summary(&self) -> Summary {
        Summary {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.response.as_ref().map(|r| r.status),
            flagged: flagged(
                &self.phase,
                self.findings
                    .iter()
                    .chain(self.response.iter().flat_map(|r| r.findings.iter()))
                    .map(|f| f.severity),
            ),
            phase: self.phase.label(),
            http_method: shared_text(&self.http_method),
            path: shared_text(&self.path),
            action_key: self.action_key.as_deref().map(shared_text),
            tag: self.tag.as_deref().map(shared_text),
        }
    }
}

/// One line's problem, said as a warning.
fn line_warning(path: &Path, n: usize, last: bool, e: &dyn std::fmt::Display) -> String {
    let place = if last {
        "the last line is torn (the process stopped mid-write)"
    } else {
        "a line could not be read"
    };
    format!("{}: line {}: {place}, skipped: {e}", path.display(), n + 1)
}

/// Lines that could not be read, and the outages `trouble` lines recorded, gathered while
/// reading so that each unreadable line is explained by its real cause where one is known.
#[derive(Default)]
struct Explainer {
    /// Line index, whether it was the last, and the parse error.
    bad: Vec<(usize, bool, String)>,
    /// Line index of each `trouble` line, and what it says.
    troubles: Vec<(usize, String)>,
}

impl Explainer {
    fn bad(&mut self, n: usize, last: bool, e: &dyn std::fmt::Display) {
        self.bad.push((n, last, e.to_string()));
    }

    /// A `trouble` line at index `n`: a warning of its own, kept to explain lines before it.
    fn trouble(&mut self, n: usize, f: &TroubleFields) -> String {
        let text = format!(
            "recording failed from {} to {} ({}): calls meanwhile were refused{}",
            f.since.map_or("?".into(), |t| t
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()),
            f.until
                .map_or("?".into(), |t| t.format("%H:%M:%S UTC").to_string()),
            f.cause.as_deref().unwrap_or("an IO error"),
            match f.dropped {
                Some(d) if d > 0 => format!(", and {d} lines of them could not be kept"),
                _ => String::new(),
            }
        );
        self.troubles.push((n, f.cause.clone().unwrap_or_default()));
        text
    }

    /// The warnings for the unreadable lines: cut off by a recorded write failure when a
    /// `trouble` line follows; a last line on a disk with almost no space left, said so.
    fn warnings(self, path: &Path) -> Vec<String> {
        let mut out = vec![];
        for (n, last, e) in self.bad {
            let after = self.troubles.iter().find(|(t, _)| *t > n);
            let text = match after {
                Some((_, cause)) => format!(
                    "{}: line {}: cut off when writing failed ({cause}), skipped: {e}",
                    path.display(),
                    n + 1
                ),
                None if last => match free_space(path) {
                    Some(free) if free < LOW_SPACE => format!(
                        "{}: line {}: the last line is cut off, and the disk holding the session has {free} bytes free: writing it most likely failed for want of space (or the process stopped mid-write); skipped: {e}",
                        path.display(),
                        n + 1
                    ),
                    _ => line_warning(path, n, true, &e),
                },
                None => line_warning(path, n, false, &e),
            };
            out.push(text);
        }
        out
    }
}

/// Below this many free bytes, a torn last line is blamed on the disk.
const LOW_SPACE: u64 = 1 << 20;

/// Bytes free for this user on the filesystem holding `path`.
fn free_space(path: &Path) -> Option<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs4::available_space(dir).ok()
}

fn format_warning(path: &Path, n: usize, v: u32) -> String {
    format!(
        "{}: line {} has format {v} (this ActionBench reads {FORMAT}), skipped",
        path.display(),
        n + 1
    )
}

/// The arrival an exchange's first line carried.
fn arrival_of(ex: &ExchangeRecord) -> Arc<Arrival> {
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

fn carries_body(ex: &ExchangeRecord) -> bool {
    ex.body.is_some() || ex.body_b64.is_some() || ex.headers.is_some()
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
    let mut explain = Explainer::default();
    let mut by_id: std::collections::BTreeMap<u64, Exchange> = Default::default();
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (n, raw) in lines.iter().enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: RawLine = match serde_json::from_slice(raw) {
            Ok(l) => l,
            Err(e) => {
                explain.bad(n, n == last, &e);
                continue;
            }
        };
        if line.v > FORMAT {
            out.warnings.push(format_warning(path, n, line.v));
            continue;
        }
        match (line.kind.as_str(), line.ex, line.offset_ms) {
            ("session", _, _) => {}
            ("trouble", _, _) => {
                let fields = TroubleFields {
                    since: line.since,
                    until: line.until,
                    cause: line.cause,
                    dropped: line.dropped,
                };
                let w = explain.trouble(n, &fields);
                out.warnings.push(format!("{}: {w}", path.display()));
            }
            ("clock", _, Some(offset_ms)) => {
                out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
            }
            ("exchange", Some(ex), _) => {
                let arrival = match (carries_body(&ex), by_id.get(&ex.id)) {
                    (false, Some(prev)) => prev.arrival.clone(),
                    _ => arrival_of(&ex),
                };
                let id = ex.id;
                by_id.insert(id, exchange(*ex, arrival));
            }
            (kind, _, _) => out.warnings.push(line_warning(
                path,
                n,
                n == last,
                &format!("a {kind:?} line without what it needs"),
            )),
        }
    }
    out.warnings.extend(explain.warnings(path));
    out.exchanges = by_id.into_values().collect();
    Ok(out)
}

/// Where each exchange's lines are, by id: the first (which carries headers and body) and the
/// latest (its state). 16 bytes an exchange, in chunks so that growing never copies.
#[derive(Default)]
struct Index {
    chunks: Vec<Vec<[u64; 2]>>,
}

const INDEX_CHUNK: usize = 1 << 16;
const NOWHERE: u64 = u64::MAX;

impl Index {
    fn set(&mut self, id: u64, at: u64) {
        let Some(i) = (id as usize).checked_sub(1) else {
            return;
        };
        while self.chunks.len() <= i / INDEX_CHUNK {
            self.chunks.push(Vec::with_capacity(INDEX_CHUNK));
        }
        let chunk = &mut self.chunks[i / INDEX_CHUNK];
        let j = i % INDEX_CHUNK;
        if chunk.len() <= j {
            chunk.resize(j + 1, [NOWHERE, NOWHERE]);
        }
        let e = &mut chunk[j];
        if e[0] == NOWHERE {
            e[0] = at;
        }
        e[1] = at;
    }

    fn get(&self, id: u64) -> Option<[u64; 2]> {
        let i = (id as usize).checked_sub(1)?;
        let e = *self.chunks.get(i / INDEX_CHUNK)?.get(i % INDEX_CHUNK)?;
        (e[1] != NOWHERE).then_some(e)
    }
}

/// Reads at an offset without moving a shared cursor (so readers need no lock).
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(f, buf, at)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(f, buf, at)
    }
}

/// The line starting at `at`, without its newline.
fn line_at(f: &std::fs::File, mut at: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = read_at(f, &mut buf, at)?;
        if n == 0 {
            return Ok(out);
        }
        if let Some(k) = buf[..n].iter().position(|b| *b == b'\n') {
            out.extend_from_slice(&buf[..k]);
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
        at += n as u64;
    }
}

/// The exchange record on the line at `at`.
fn record_at(f: &std::fs::File, at: u64) -> Option<Box<ExchangeRecord>> {
    let line = line_at(f, at).ok()?;
    serde_json::from_slice::<RawLine>(&line).ok()?.ex
}

/// An exchange read back from its first and latest lines.
fn exchange_at(f: &std::fs::File, [first, latest]: [u64; 2]) -> Option<Exchange> {
    let rec = record_at(f, latest)?;
    let arrival = if carries_body(&rec) || first == latest {
        arrival_of(&rec)
    } else {
        arrival_of(&*record_at(f, first)?)
    };
    Some(exchange(*rec, arrival))
}

/// What opening a journal found, before the engine takes it.
#[derive(Debug, Default)]
pub struct Scanned {
    pub exchanges: Vec<Restoring>,
    pub clock_offset: Option<chrono::Duration>,
    pub warnings: Vec<String>,
}

/// What reopening learnt of one exchange from its lines.
struct Seen {
    live: bool,
    token: Option<String>,
    summary: Packed,
    /// Bytes of its lines with a body: an estimate of what it takes in memory.
    size: u64,
}

/// Reads a journal line by line without keeping it: where each exchange's lines are, and
/// whether it is live. Then loads whole the live exchanges and the newest ones that fit
/// `budget` bytes; the others stay on disk.
fn scan(path: &Path, budget: usize) -> Result<(Index, Scanned), String> {
    use std::io::BufRead;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Index::default(), Scanned::default()));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &file);
    let mut out = Scanned::default();
    let mut explain = Explainer::default();
    let mut index = Index::default();
    let mut seen: Vec<Option<Seen>> = vec![];
    let mut buf = Vec::new();
    let (mut at, mut n) = (0u64, 0usize);
    loop {
        buf.clear();
        let len = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if len == 0 {
            break;
        }
        let start = at;
        at += len as u64;
        n += 1;
        let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let last = !buf.ends_with(b"\n");
        let line: PeekLine = match serde_json::from_slice(raw) {
            Ok(l) => l,
            Err(e) => {
                explain.bad(n - 1, last, &e);
                continue;
            }
        };
        if line.v > FORMAT {
            out.warnings.push(format_warning(path, n - 1, line.v));
            continue;
        }
        match (line.kind.as_str(), line.ex, line.offset_ms) {
            ("session", _, _) => {}
            ("trouble", _, _) => {
                let fields = TroubleFields {
                    since: line.since,
                    until: line.until,
                    cause: line.cause,
                    dropped: line.dropped,
                };
                let w = explain.trouble(n - 1, &fields);
                out.warnings.push(format!("{}: {w}", path.display()));
            }
            ("clock", _, Some(offset_ms)) => {
                out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
            }
            ("exchange", Some(ex), _) if ex.id > 0 => {
                let i = (ex.id - 1) as usize;
                if seen.len() <= i {
                    seen.resize_with(i + 1, || None);
                }
                let body = ex.body.is_some() || ex.body_b64.is_some() || ex.headers.is_some();
                let summary = ex.summary().pack();
                let s = seen[i].get_or_insert(Seen {
                    live: false,
                    token: None,
                    summary,
                    size: 0,
                });
                s.summary = summary;
                s.live = ex.phase.is_live();
                // Only invocations are filed under their token; a report carries another's.
                s.token = ex
                    .invocation_token
                    .filter(|_| ex.method != Some(Method::CompletionReport));
                if body {
                    s.size += len as u64;
                }
                index.set(ex.id, start);
            }
            (kind, _, _) => out.warnings.push(line_warning(
                path,
                n - 1,
                last,
                &format!("a {kind:?} line without what it needs"),
            )),
        }
    }
    out.warnings.extend(explain.warnings(path));
    // Newest first: which are loaded whole.
    let mut whole = vec![false; seen.len()];
    let mut used = 0u64;
    for (i, s) in seen.iter().enumerate().rev() {
        let Some(s) = s else { continue };
        let size = s.size + 512;
        if s.live || used + size <= budget as u64 {
            whole[i] = true;
            used += size;
        }
    }
    // Ids as the engine gives them (1, 2, …): a gap left by an unreadable line closes up.
    let mut renumbered = Index::default();
    for (i, s) in seen.into_iter().enumerate() {
        let Some(s) = s else { continue };
        let Some(place) = index.get(i as u64 + 1) else {
            continue;
        };
        let id = out.exchanges.len() as u64 + 1;
        let entry = if whole[i] {
            match exchange_at(&file, place) {
                Some(mut ex) => {
                    ex.id = id;
                    Restoring::Whole(Box::new(ex))
                }
                None => {
                    out.warnings.push(format!(
                        "{}: exchange #{} could not be read back, skipped",
                        path.display(),
                        i + 1
                    ));
                    continue;
                }
            }
        } else {
            Restoring::OnDisk {
                invocation_token: s.token,
                summary: s.summary,
            }
        };
        renumbered.set(id, place[0]);
        renumbered.set(id, place[1]);
        out.exchanges.push(entry);
    }
    Ok((renumbered, out))
}

/// Lines waiting to be written, in shards by exchange id: one exchange's lines stay in order
/// in its shard, and calls recording different exchanges take different locks (no lock every
/// call takes). Whoever flushes next writes them all.
#[derive(Default)]
struct Shard {
    buf: Vec<u8>,
    /// The exchange each line in `buf` records, and where in `buf` it starts.
    lines: Vec<(u64, usize)>,
}

const SHARDS: usize = 16;

/// The writing side: one `write` for every line appended since the last, by whichever caller
/// gets here first (group commit). Calls in flight meanwhile find their lines already written.
struct Output {
    file: std::fs::File,
    /// Bytes written so far (the file's length).
    written: u64,
    /// The shards' lines gathered for one write, kept for its allocation.
    spare: Vec<u8>,
    /// Where the gathered lines start in `spare`, by exchange.
    placed: Vec<(u64, usize)>,
    /// Lines gathered while the journal is in trouble, oldest first, to be written first when
    /// writing works again; and where each starts in it.
    pending: Vec<u8>,
    pending_placed: Vec<(u64, usize)>,
    /// Why writing fails now, when it does.
    trouble: Option<Trouble>,
    /// When writing was last tried while in trouble.
    last_try: Instant,
    /// A failed write could not be cut back out of the file: its length is read again, and a
    /// newline closes the torn line, before the next write.
    recheck: bool,
    /// Tests: every write fails with this, as a full disk's would.
    fail: Option<std::io::ErrorKind>,
}

/// Why the journal cannot be written, since when, and what it cost.
#[derive(Clone, Debug)]
struct Trouble {
    cause: String,
    kind: TroubleKind,
    since: DateTime<Utc>,
    /// Lines dropped because [`PENDING_CAP`] was reached.
    dropped: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TroubleKind {
    /// A write failed: cleared when the lines kept meanwhile are written.
    Write,
    /// Syncing to the disk failed: cleared when a later sync works.
    Sync,
    /// The file was removed or replaced under the journal: lines written now would be lost.
    Vanished,
}

/// A journal open for appending.
pub struct Journal {
    path: PathBuf,
    shards: Box<[Mutex<Shard>]>,
    output: Mutex<Output>,
    /// Where each exchange's lines are in the file: set by the flush that writes them.
    index: Mutex<Index>,
    /// A second handle, for reading lines back.
    reader: std::fs::File,
    /// A third, for syncing to the disk without holding the output's lock: a sync can take a
    /// second, and calls must not wait for it to write their lines.
    syncer: std::fs::File,
    dirty: AtomicBool,
    /// Lines appended to the shards so far, and how many of them are written: a caller whose
    /// lines were appended before it asks knows they are written when `written_upto` has
    /// reached what `appended` was.
    appended: AtomicU64,
    written_upto: AtomicU64,
    /// Why writing fails, when it does (read without the output's lock).
    trouble: Mutex<Option<String>>,
    in_trouble: AtomicBool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

/// Who holds the lock on session file `path`, as well as can be told: the process (from the
/// kernel's lock table, on Linux) and its command line.
pub fn holder(path: &Path) -> String {
    let pid = lock_holder_pid(path);
    match pid {
        Some(pid) => {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
                .ok()
                .map(|b| {
                    String::from_utf8_lossy(&b)
                        .split('\0')
                        .filter(|a| !a.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .filter(|c| !c.is_empty());
            match cmd {
                Some(c) => format!("process {pid} ({c})"),
                None => format!("process {pid}"),
            }
        }
        None => "another process".into(),
    }
}

/// The process holding a `flock` on `path`, from `/proc/locks` (Linux).
fn lock_holder_pid(path: &Path) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let ino = std::fs::metadata(path).ok()?.ino();
        let locks = std::fs::read_to_string("/proc/locks").ok()?;
        // "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF"
        locks.lines().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (kind, pid, dev) = (f.get(1)?, f.get(4)?, f.get(5)?);
            let file_ino: u64 = dev.rsplit(':').next()?.parse().ok()?;
            (*kind == "FLOCK" && file_ino == ino)
                .then(|| pid.parse().ok())
                .flatten()
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

/// Whether session file `path` is open for writing in another ActionBench: who, when it is.
/// (The file is opened for reading and a shared lock tried; nothing is written.)
pub fn open_elsewhere(path: &Path) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    match fs4::FileExt::try_lock_shared(&f) {
        Ok(()) => {
            let _ = fs4::FileExt::unlock(&f);
            None
        }
        Err(_) => Some(holder(path)),
    }
}

/// The format of the first line of `file`, if it has one that says.
fn first_format(path: &Path) -> Option<u32> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(f)
        .take(1 << 20)
        .read_until(b'\n', &mut line)
        .ok()?;
    #[derive(Deserialize)]
    struct V {
        v: u32,
    }
    serde_json::from_slice::<V>(line.strip_suffix(b"\n").unwrap_or(&line))
        .ok()
        .map(|v| v.v)
}

impl Journal {
    /// Opens `path` (made with its folder when missing) for appending, after reading what it
    /// holds. A torn last line is closed with a newline first, so the next line stands alone.
    /// Loads whole only the live exchanges and the newest that fit `budget` bytes; the rest
    /// are read back from the file when asked for.
    ///
    /// Refused, saying why: a file another ActionBench has open (its exclusive lock, naming
    /// the process where it can), a file whose first line has a newer format, and a file that
    /// cannot be written (the session line is written and flushed before this returns).
    pub fn open(path: &Path, budget: usize) -> Result<(Arc<Journal>, Scanned), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // One writer per file: a second would interleave ids and lose half of both runs.
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(format!(
                    "{}: this session is open in {}: one ActionBench writes a session at a time. Close it there, or pick another --session",
                    path.display(),
                    holder(path)
                ));
            }
            Err(fs4::TryLockError::Error(e)) => {
                return Err(format!("{}: cannot lock the session: {e}", path.display()));
            }
        }
        if let Some(v) = first_format(path).filter(|v| *v > FORMAT) {
            return Err(format!(
                "{}: written by a newer ActionBench (format {v}; this one writes format {FORMAT}): it is not appended to, so that no line of an older format mixes in. Open it with that version, or export it there",
                path.display()
            ));
        }
        let (index, scanned) = scan(path, budget)?;
        let mut len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if len > 0 {
            let mut last = [0u8; 1];
            let ends_clean = file
                .seek(SeekFrom::End(-1))
                .and_then(|_| file.read_exact(&mut last))
                .is_ok_and(|_| last[0] == b'\n');
            if !ends_clean {
                file.write_all(b"\n").map_err(|e| {
                    format!("{}: cannot close its torn last line: {e}", path.display())
                })?;
                len += 1;
            }
        }
        let reader = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let syncer = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let journal = Arc::new(Journal {
            path: path.to_path_buf(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            output: Mutex::new(Output {
                file,
                written: len,
                spare: Vec::with_capacity(64 * 1024),
                placed: vec![],
                pending: vec![],
                pending_placed: vec![],
                trouble: None,
                last_try: Instant::now(),
                recheck: false,
                fail: None,
            }),
            index: Mutex::new(index),
            reader,
            syncer,
            dirty: AtomicBool::new(false),
            appended: AtomicU64::new(0),
            written_upto: AtomicU64::new(0),
            trouble: Mutex::new(None),
            in_trouble: AtomicBool::new(false),
        });
        journal.write(&Line {
            v: FORMAT,
            what: What::Session {
                at: Utc::now(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                pid: Some(std::process::id()),
            },
        });
        // A session that cannot be written is refused now, not after the first call.
        journal
            .flush()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Journal::sync_in_background(Arc::downgrade(&journal));
        Ok((journal, scanned))
    }

    /// Exchange `id` as its lines last recorded it.
    pub fn read_back(&self, id: u64) -> Option<Exchange> {
        let _ = self.flush();
        let place = self
            .index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)?;
        exchange_at(&self.reader, place)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encodes new exchange `ex` after `event`, with its headers and body, with 0 for its id.
    pub fn prepare(&self, event: &str, ex: &Exchange) -> Option<crate::engine::Prepared> {
        let mut line = ExchangeLine {
            v: FORMAT,
            kind: "exchange",
            event,
            ex: exchange_ref(ex, true),
        };
        line.ex.id = 0;
        let mut bytes = Vec::with_capacity(4096);
        serde_json::to_writer(&mut bytes, &line).ok()?;
        bytes.push(b'\n');
        let id_at = memchr::memmem::find(&bytes, b"\"ex\":{\"id\":0")? + b"\"ex\":{\"id\":".len();
        Some(crate::engine::Prepared {
            bytes,
            id_at,
            findings: ex.findings.len(),
        })
    }

    /// The shard exchange `id`'s lines go to, locked.
    fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[(id as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Records what [`Journal::prepare`] encoded as exchange `id`: a copy into its shard.
    pub fn commit(&self, id: u64, p: crate::engine::Prepared) {
        let mut s = self.shard(id);
        let start = s.buf.len();
        s.buf.extend_from_slice(&p.bytes[..p.id_at]);
        s.buf.extend_from_slice(id.to_string().as_bytes());
        s.buf.extend_from_slice(&p.bytes[p.id_at + 1..]);
        s.lines.push((id, start));
        // Counted while the shard is locked: a flush that reads the count finds the line.
        self.appended.fetch_add(1, Ordering::AcqRel);
    }

    /// Records `ex` as it stands after `event`; the first record of an exchange carries its
    /// headers and body. The engine calls it with `ex` locked, in the order changes happen,
    /// before any answer leaves.
    pub fn exchange(&self, event: &str, ex: &Exchange, first: bool) {
        let line = ExchangeLine {
            v: FORMAT,
            kind: "exchange",
            event,
            ex: exchange_ref(ex, first),
        };
        let mut s = self.shard(ex.id);
        if let Some(at) = Journal::encode(&self.path, &mut s.buf, &line) {
            s.lines.push((ex.id, at));
            self.appended.fetch_add(1, Ordering::AcqRel);
        }
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

    /// A line of the session's own (not an exchange's), in order with the others like it.
    fn write(&self, line: &Line) {
        let mut s = self.shard(0);
        if Journal::encode(&self.path, &mut s.buf, line).is_some() {
            self.appended.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Encodes `line` at the end of `buf`; returns where in `buf` it starts.
    fn encode(path: &Path, buf: &mut Vec<u8>, line: &impl Serialize) -> Option<usize> {
        let start = buf.len();
        if let Err(e) = serde_json::to_writer(&mut *buf, line) {
            buf.truncate(start);
            tracing::error!("journal {}: cannot encode a line: {e}", path.display());
            return None;
        }
        buf.push(b'\n');
        Some(start)
    }

    /// Writes every line recorded so far with one `write`: once it returns `Ok`, they survive
    /// the process being killed. The server calls it before any response leaves, and refuses
    /// the call when it returns why the lines could not be written.
    pub fn flush(&self) -> Result<(), String> {
        let want = self.appended.load(Ordering::Acquire);
        // Another call's write may have carried these lines already.
        if self.written_upto.load(Ordering::Acquire) >= want && !self.in_trouble() {
            return Ok(());
        }
        self.write_out(false);
        if self.written_upto.load(Ordering::Acquire) >= want {
            Ok(())
        } else {
            Err(self
                .trouble(false)
                .unwrap_or_else(|| "the session could not be written".into()))
        }
    }

    /// Tests: makes every write fail with `kind` (as a full disk's would: half the bytes
    /// reach the file, and are cut back), or work again with `None`.
    #[doc(hidden)]
    pub fn fail_writes(&self, kind: Option<std::io::ErrorKind>) {
        self.output.lock().unwrap_or_else(|e| e.into_inner()).fail = kind;
    }

    /// Whether writing fails now.
    pub fn in_trouble(&self) -> bool {
        self.in_trouble.load(Ordering::Acquire)
    }

    /// Why writing fails now, if it does: the session file and the cause, in words. With
    /// `retry`, a journal in trouble tries writing again first (at most every
    /// [`RETRY_EVERY`]).
    pub fn trouble(&self, retry: bool) -> Option<String> {
        if !self.in_trouble() {
            return None;
        }
        if retry {
            self.write_out(false);
        }
        self.trouble
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_trouble(&self, out: &mut Output, kind: TroubleKind, cause: String) {
        let text = format!(
            "the session {} cannot be written: {cause}",
            self.path.display()
        );
        if out.trouble.as_ref().is_none_or(|t| t.cause != cause) {
            tracing::error!("journal: {text}; calls are refused until it can");
        }
        match &mut out.trouble {
            Some(t) => {
                t.cause = cause;
                t.kind = kind;
            }
            None => {
                out.trouble = Some(Trouble {
                    cause,
                    kind,
                    since: Utc::now(),
                    dropped: 0,
                })
            }
        }
        *self.trouble.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
        self.in_trouble.store(true, Ordering::Release);
    }

    /// Writing works again: the outage is recorded as a `trouble` line.
    fn clear_trouble(&self, out: &mut Output) {
        let Some(t) = out.trouble.take() else {
            return;
        };
        tracing::warn!(
            "journal {}: writing works again ({} since {})",
            self.path.display(),
            t.cause,
            t.since
        );
        *self.trouble.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.in_trouble.store(false, Ordering::Release);
        self.write(&Line {
            v: FORMAT,
            what: What::Trouble {
                since: t.since,
                until: Utc::now(),
                cause: t.cause,
                dropped: t.dropped,
            },
        });
    }

    /// Appends `buf` to the file; a write that fails is cut back out, so that the file never
    /// holds half a line. Returns where `buf` starts in the file.
    fn append(out: &mut Output, buf: &[u8]) -> std::io::Result<u64> {
        if out.recheck {
            let len = out.file.metadata()?.len();
            if len > out.written && out.file.set_len(out.written).is_err() {
                // Cannot cut it back: close the torn line, and go on after it.
                out.file.write_all(b"\n")?;
                out.written = len + 1;
            } else {
                out.written = out.written.min(len);
            }
            out.recheck = false;
        }
        let start = out.written;
        if let Some(kind) = out.fail {
            // Half the lines reach the file first, as when a disk fills mid-write.
            let _ = out.file.write_all(&buf[..buf.len() / 2]);
            if out.file.set_len(start).is_err() {
                out.recheck = true;
            }
            return Err(std::io::Error::new(
                kind,
                "injected: no space left on device",
            ));
        }
        match out.file.write_all(buf) {
            Ok(()) => {
                out.written += buf.len() as u64;
                Ok(start)
            }
            Err(e) => {
                if out.file.set_len(start).is_err() {
                    out.recheck = true;
                }
                Err(e)
            }
        }
    }

    /// Gathers every shard's lines and writes them (with any kept from a time of trouble
    /// first). In trouble, lines are kept instead, and writing is tried again when `force`
    /// or [`RETRY_EVERY`] has passed.
    fn write_out(&self, force: bool) {
        let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        let out = &mut *out;
        let upto = self.appended.load(Ordering::Acquire);
        out.spare.clear();
        out.placed.clear();
        for shard in self.shards.iter() {
            let mut s = shard.lock().unwrap_or_else(|e| e.into_inner());
            if s.buf.is_empty() {
                continue;
            }
            let base = out.spare.len();
            let Shard { buf, lines } = &mut *s;
            out.placed
                .extend(lines.drain(..).map(|(id, at)| (id, base + at)));
            out.spare.extend_from_slice(buf);
            buf.clear();
        }
        if out.trouble.is_none() {
            if !out.spare.is_empty() {
                let spare = std::mem::take(&mut out.spare);
                let written = Journal::append(out, &spare);
                out.spare = spare;
                match written {
                    Ok(start) => {
                        self.place(start, &out.placed);
                        self.dirty.store(true, Ordering::Release);
                    }
                    Err(e) => {
                        // Kept, to be written first when writing works again.
                        out.pending.clear();
                        out.pending.extend_from_slice(&out.spare);
                        out.pending_placed = std::mem::take(&mut out.placed);
                        out.last_try = Instant::now();
                        self.set_trouble(out, TroubleKind::Write, e.to_string());
                        return;
                    }
                }
            }
            self.written_upto.fetch_max(upto, Ordering::AcqRel);
            return;
        }
        // In trouble: keep what came, within the cap.
        if !out.spare.is_empty() {
            if out.pending.len() + out.spare.len() <= PENDING_CAP {
                let base = out.pending.len();
                let placed = std::mem::take(&mut out.placed);
                out.pending_placed
                    .extend(placed.into_iter().map(|(id, at)| (id, base + at)));
                let spare = std::mem::take(&mut out.spare);
                out.pending.extend_from_slice(&spare);
                out.spare = spare;
            } else if let Some(t) = &mut out.trouble {
                t.dropped += out.placed.len().max(1) as u64;
            }
        }
        if !force && out.last_try.elapsed() < RETRY_EVERY {
            return;
        }
        out.last_try = Instant::now();
        if out.trouble.as_ref().map(|t| t.kind) == Some(TroubleKind::Vanished) {
            return;
        }
        let pending = std::mem::take(&mut out.pending);
        match Journal::append(out, &pending) {
            Ok(start) => {
                let placed = std::mem::take(&mut out.pending_placed);
                self.place(start, &placed);
                self.dirty.store(true, Ordering::Release);
                self.written_upto.fetch_max(upto, Ordering::AcqRel);
                // A sync that failed is cleared by the next sync that works, not by a write.
                if out.trouble.as_ref().map(|t| t.kind) == Some(TroubleKind::Write) {
                    self.clear_trouble(out);
                }
            }
            Err(e) => {
                out.pending = pending;
                self.set_trouble(out, TroubleKind::Write, e.to_string());
            }
        }
    }

    /// Files where the lines written from `start` went.
    fn place(&self, start: u64, placed: &[(u64, usize)]) {
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        for &(id, at) in placed {
            index.set(id, start + at as u64);
        }
    }

    /// Writes what is waiting and syncs it to the disk. Calls go on meanwhile: their lines
    /// are written (to the page cache) while the sync runs.
    pub fn sync(&self) {
        if self.write_for_sync() {
            let r = self.syncer.sync_data();
            self.synced(r);
        }
    }

    /// Writes what is waiting (trying again when in trouble); whether anything was written
    /// since the last sync, or a sync is owed to clear a failed one.
    fn write_for_sync(&self) -> bool {
        self.write_out(true);
        self.check_file();
        let owed = self
            .output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .trouble
            .as_ref()
            .is_some_and(|t| t.kind == TroubleKind::Sync);
        self.dirty.swap(false, Ordering::AcqRel) || owed
    }

    /// What a sync returned: a failure puts the journal in trouble (what the page cache held
    /// may never reach the disk); a success clears a failed sync.
    fn synced(&self, r: std::io::Result<()>) {
        let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        let kind = out.trouble.as_ref().map(|t| t.kind);
        match r {
            Err(e) => self.set_trouble(
                &mut out,
                TroubleKind::Sync,
                format!("syncing it to the disk failed: {e}"),
            ),
            Ok(()) if kind == Some(TroubleKind::Sync) && out.pending.is_empty() => {
                self.clear_trouble(&mut out)
            }
            Ok(()) => {}
        }
    }

    /// Whether the file at the journal's path is still the one it writes (not removed or
    /// replaced); if not, the journal is in trouble: what it writes would be lost.
    fn check_file(&self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
            let ours = out.file.metadata().map(|m| (m.dev(), m.ino()));
            let there = std::fs::metadata(&self.path).map(|m| (m.dev(), m.ino()));
            match (ours, there) {
                (Ok(a), Ok(b)) if a == b => {
                    if out.trouble.as_ref().map(|t| t.kind) == Some(TroubleKind::Vanished) {
                        self.clear_trouble(&mut out);
                    }
                }
                (Ok(_), Ok(_)) => self.set_trouble(
                    &mut out,
                    TroubleKind::Vanished,
                    "the file was replaced by another one: lines written now would not be in it"
                        .into(),
                ),
                (Ok(_), Err(e)) => self.set_trouble(
                    &mut out,
                    TroubleKind::Vanished,
                    format!("the file was removed ({e}): lines written now would be lost"),
                ),
                (Err(_), _) => {}
            }
        }
    }

    /// Writes and syncs the journal every [`SYNC_EVERY`] while it is open, and tries again
    /// when it is in trouble. The thread holds the journal only to write its lines, not
    /// through the sync (which can take a second): the journal closes when its owner drops
    /// it, not a second later on this thread.
    fn sync_in_background(journal: Weak<Journal>) {
        let file = journal.upgrade().and_then(|j| j.syncer.try_clone().ok());
        std::thread::Builder::new()
            .name("journal-sync".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(SYNC_EVERY);
                    let dirty = match journal.upgrade() {
                        Some(j) => j.write_for_sync(),
                        None => return,
                    };
                    if let (true, Some(f)) = (dirty, &file) {
                        let r = f.sync_data();
                        match journal.upgrade() {
                            Some(j) => j.synced(r),
                            None => return,
                        }
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

impl Drop for Journal {
    fn drop(&mut self) {
        if let Err(why) = self.flush() {
            self.write_out(true);
            let out = self.output.lock().unwrap_or_else(|e| e.into_inner());
            if !out.pending.is_empty() {
                tracing::error!(
                    "journal: closing with {} bytes of lines that could not be written ({why}); the calls they record were refused",
                    out.pending.len()
                );
            }
        }
        // The lock goes with the journal, not when the sync thread's handle closes too.
        let out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        let _ = fs4::FileExt::unlock(&out.file);
    }
}

impl crate::engine::Recorder for Journal {
    fn exchange(&self, event: &str, ex: &Exchange, first: bool) {
        Journal::exchange(self, event, ex, first);
    }

    fn prepare(&self, event: &str, ex: &Exchange) -> Option<crate::engine::Prepared> {
        Journal::prepare(self, event, ex)
    }

    fn commit(&self, id: u64, prepared: crate::engine::Prepared) {
        Journal::commit(self, id, prepared);
    }

    fn read_back(&self, id: u64) -> Option<Exchange> {
        Journal::read_back(self, id)
    }

    fn reads_back(&self) -> bool {
        true
    }

    fn flush(&self) -> Result<(), String> {
        Journal::flush(self)
    }

    fn trouble(&self, retry: bool) -> Option<String> {
        Journal::trouble(self, retry)
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

/// Opens the journal at `path` for `engine`: records from now on, and restores what it held
/// (whole within the engine's memory budget; the rest is read back when asked for).
pub fn attach(engine: &crate::engine::Engine, path: &Path) -> Result<Opened, String> {
    let (journal, scanned) = Journal::open(path, engine.memory_budget())?;
    engine.set_recorder(journal.clone())?;
    let n = engine.restore_entries(scanned.exchanges, scanned.clock_offset)?;
    Ok(Opened {
        journal,
        restored: n,
        warnings: scanned.warnings,
    })
}

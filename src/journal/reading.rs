//! Reading a journal back: whole (`read`, for export), its lines of either format, where each
//! exchange's lines are, and unreadable lines explained by their real cause where it is known
//! (reopening scans it line by line: see `scan`).

use super::{
    Arc, Arrival, DateTime, Deserialize, Direction, EnvelopeKind, Exchange, ExchangeRecord, FORMAT,
    HeaderSets, Method, Path, Peek2, Phase, Record2, Severity, Summary, SummaryOf, Utc, arrival_of,
    carries_body, exchange,
};

/// A line as read back, with `E` the exchange record it carries: whole ([`Whole`]) or only
/// what reopening needs ([`Peeked`]). Plain optional fields rather than [`Line`]'s flattened,
/// tagged enum: serde buffers a flattened enum into an owned tree first, which doubled the time
/// reopening took. `since`, `until`, `cause` and `dropped` are a `trouble` line's.
#[derive(Deserialize)]
pub(super) struct LineOf<E> {
    /// Format 2 leaves it out of exchange lines.
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default = "Option::default")]
    pub(super) ex: Option<E>,
    #[serde(default)]
    pub(super) offset_ms: Option<i64>,
    #[serde(default)]
    pub(super) since: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub(super) cause: Option<String>,
    #[serde(default)]
    pub(super) dropped: Option<u64>,
    /// A `headers` line's set: its number and text.
    #[serde(default)]
    pub(super) n: Option<u32>,
    #[serde(default)]
    pub(super) text: Option<String>,
}

/// A line of either format, with `A` what format 1's exchange lines are read into and `B`
/// format 2's.
pub(super) enum Parsed<A, B> {
    One(LineOf<A>),
    Two(LineOf<B>),
    /// A line of a later format than this one reads.
    Newer(u32),
}

/// Reads a line of either format: the version first (each line starts with it as written).
pub(super) fn parse<A, B>(raw: &[u8]) -> serde_json::Result<Parsed<A, B>>
where
    A: serde::de::DeserializeOwned,
    B: serde::de::DeserializeOwned,
{
    if raw.starts_with(b"{\"v\":2,") {
        return serde_json::from_slice(raw).map(Parsed::Two);
    }
    if raw.starts_with(b"{\"v\":1,") {
        return serde_json::from_slice(raw).map(Parsed::One);
    }
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    match serde_json::from_slice::<Version>(raw)?.v {
        v if v > FORMAT => Ok(Parsed::Newer(v)),
        2 => serde_json::from_slice(raw).map(Parsed::Two),
        _ => serde_json::from_slice(raw).map(Parsed::One),
    }
}

/// What a line is, once read.
pub(super) enum Got<A, B> {
    /// Nothing for the reader to take: a `session` line, a `trouble` line (said in the
    /// warnings already), or a line of a later format (warned of).
    Nothing,
    Clock(i64),
    Headers(u32, String),
    One(A),
    Two(B),
    /// A kind this version does not know, or one without what it needs.
    Odd(String),
}

impl<A, B> Parsed<A, B> {
    /// What the line is; a `trouble` line is also explained in `explain` (at line index `n`)
    /// and said in `warnings`, and a newer format's is said there.
    pub(super) fn got(
        self,
        path: &Path,
        n: usize,
        explain: &mut Explainer,
        warnings: &mut Vec<String>,
    ) -> Got<A, B> {
        match self {
            Parsed::Newer(v) => {
                warnings.push(format_warning(path, n, v));
                Got::Nothing
            }
            Parsed::One(line) => match classify(line, path, n, explain, warnings) {
                Got::One(e) => Got::One(e),
                other => other.retype(),
            },
            Parsed::Two(line) => match classify(line, path, n, explain, warnings) {
                Got::One(e) => Got::Two(e),
                other => other.retype(),
            },
        }
    }
}

/// What a line of one format is, its exchange (if any) as `Got::One`.
fn classify<E>(
    mut line: LineOf<E>,
    path: &Path,
    n: usize,
    explain: &mut Explainer,
    warnings: &mut Vec<String>,
) -> Got<E, E> {
    let ex = line.ex.take();
    match (line.kind.as_str(), ex, line.offset_ms) {
        ("session", _, _) => Got::Nothing,
        ("trouble", _, _) => {
            let w = explain.trouble(n, &line);
            warnings.push(format!("{}: {w}", path.display()));
            Got::Nothing
        }
        ("clock", _, Some(offset_ms)) => Got::Clock(offset_ms),
        ("headers", _, _) => match (line.n, line.text.take()) {
            (Some(id), Some(text)) => Got::Headers(id, text),
            _ => Got::Odd("headers".into()),
        },
        ("exchange" | "", Some(ex), _) => Got::One(ex),
        (kind, _, _) => Got::Odd(kind.to_string()),
    }
}

impl<X> Got<X, X> {
    /// A line that carries no exchange, as a `Got` of any types.
    fn retype<A, B>(self) -> Got<A, B> {
        match self {
            Got::Nothing => Got::Nothing,
            Got::Clock(o) => Got::Clock(o),
            Got::Headers(id, t) => Got::Headers(id, t),
            Got::Odd(k) => Got::Odd(k),
            Got::One(_) | Got::Two(_) => Got::Odd("exchange".into()),
        }
    }
}

/// An exchange's whole record, of either format.
pub(super) enum Whole {
    One(Box<ExchangeRecord>),
    Two(Box<Record2>),
}

impl Whole {
    /// The header set this line names, if it names one (format 2).
    pub(super) fn header_set(&self) -> Option<u32> {
        match self {
            Whole::One(_) => None,
            Whole::Two(r) => r.headers,
        }
    }

    pub(super) fn id(&self) -> u64 {
        match self {
            Whole::One(r) => r.id,
            Whole::Two(r) => r.id,
        }
    }

    pub(super) fn carries_body(&self) -> bool {
        match self {
            Whole::One(r) => carries_body(r),
            Whole::Two(r) => r.carries_body(),
        }
    }

    /// The arrival this line carries (its first line's); format 2's headers from `sets`.
    pub(super) fn arrival(&self, sets: &HeaderSets) -> Arc<Arrival> {
        match self {
            Whole::One(r) => arrival_of(r),
            Whole::Two(r) => r.arrival(sets),
        }
    }

    pub(super) fn exchange(self, arrival: Arc<Arrival>) -> Exchange {
        match self {
            Whole::One(r) => exchange(*r, arrival),
            Whole::Two(r) => r.exchange(arrival),
        }
    }
}

/// What reopening needs of an exchange's line before deciding to load it (its id, phase and
/// token, and whether it carries the body), of either format. Everything else is skipped
/// without being kept.
pub(super) enum Peeked {
    One(PeekExchange),
    Two(Peek2),
}

impl Peeked {
    /// The header set this line names, if it names one (format 2).
    pub(super) fn header_set(&self) -> Option<u32> {
        match self {
            Peeked::One(_) => None,
            Peeked::Two(p) => p.headers,
        }
    }

    pub(super) fn id(&self) -> u64 {
        match self {
            Peeked::One(p) => p.id,
            Peeked::Two(p) => p.id,
        }
    }

    pub(super) fn carries_body(&self) -> bool {
        match self {
            Peeked::One(p) => p.body.is_some() || p.body_b64.is_some() || p.headers.is_some(),
            Peeked::Two(p) => p.carries_body(),
        }
    }

    pub(super) fn summary(&self) -> Summary {
        match self {
            Peeked::One(p) => p.summary(),
            Peeked::Two(p) => p.summary(),
        }
    }

    pub(super) fn live(&self) -> bool {
        match self {
            Peeked::One(p) => p.phase.is_live(),
            Peeked::Two(p) => p.phase.is_live(),
        }
    }

    /// The token it is filed under: only invocations are; a report carries another's.
    pub(super) fn token(self) -> Option<String> {
        let (token, method) = match self {
            Peeked::One(p) => (p.invocation_token, p.method),
            Peeked::Two(p) => (p.invocation_token, p.method),
        };
        token.filter(|_| method != Some(Method::CompletionReport))
    }
}

/// The warning for exchanges (id, set) whose header set no line of the session defines.
pub(super) fn missing_sets(path: &Path, missing: &[(u64, u32)]) -> Option<String> {
    let (first, set) = missing.first()?;
    Some(format!(
        "{}: {} exchange(s) (the first #{first}) name header set {set}, which no line of the session defines (its line was lost, most likely with lines dropped while the session could not be written): their headers are not given back",
        path.display(),
        missing.len()
    ))
}

/// The header sets the `headers` lines among `lines` define.
pub(super) fn header_sets(lines: &[&[u8]]) -> HeaderSets {
    let mut sets = HeaderSets::default();
    for raw in lines {
        if raw.starts_with(b"{\"v\":2,\"kind\":\"headers\"")
            && let Ok(line) = serde_json::from_slice::<LineOf<serde::de::IgnoredAny>>(raw)
            && let (Some(id), Some(text)) = (line.n, &line.text)
        {
            sets.define(id, text);
        }
    }
    sets
}

#[derive(Deserialize)]
pub(super) struct PeekExchange {
    pub(super) id: u64,
    pub(super) direction: Direction,
    pub(super) at: DateTime<Utc>,
    pub(super) http_method: String,
    pub(super) path: String,
    pub(super) method: Option<Method>,
    pub(super) action_key: Option<String>,
    pub(super) envelope: Option<EnvelopeKind>,
    pub(super) phase: Phase,
    #[serde(default)]
    pub(super) findings: Vec<PeekFinding>,
    #[serde(default)]
    pub(super) response: Option<PeekResponse>,
    #[serde(default)]
    pub(super) tag: Option<String>,
    pub(super) invocation_token: Option<String>,
    #[serde(default)]
    pub(super) headers: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub(super) body: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub(super) body_b64: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
pub(super) struct PeekFinding {
    pub(super) severity: Severity,
}

#[derive(Deserialize)]
pub(super) struct PeekResponse {
    pub(super) status: u16,
    #[serde(default)]
    pub(super) findings: Vec<PeekFinding>,
}

impl PeekExchange {
    pub(super) fn summary(&self) -> Summary {
        SummaryOf {
            id: self.id,
            at: self.at,
            direction: self.direction,
            method: self.method,
            envelope: self.envelope,
            status: self.response.as_ref().map(|r| r.status),
            phase: &self.phase,
            severities: self
                .findings
                .iter()
                .chain(self.response.iter().flat_map(|r| r.findings.iter()))
                .map(|f| f.severity),
            http_method: &self.http_method,
            path: &self.path,
            action_key: self.action_key.as_deref(),
            tag: self.tag.as_deref(),
        }
        .summary()
    }
}

/// One line's problem, said as a warning.
pub(super) fn line_warning(path: &Path, n: usize, last: bool, e: &dyn std::fmt::Display) -> String {
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
pub(super) struct Explainer {
    /// Line index, whether it was the last, and the parse error.
    pub(super) bad: Vec<(usize, bool, String)>,
    /// Line index of each `trouble` line, and what it says.
    pub(super) troubles: Vec<(usize, String)>,
}

impl Explainer {
    pub(super) fn bad(&mut self, n: usize, last: bool, e: &dyn std::fmt::Display) {
        self.bad.push((n, last, e.to_string()));
    }

    /// A `trouble` line at index `n`: a warning of its own, kept to explain lines before it.
    pub(super) fn trouble<E>(&mut self, n: usize, f: &LineOf<E>) -> String {
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
    pub(super) fn warnings(self, path: &Path) -> Vec<String> {
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
pub(super) const LOW_SPACE: u64 = 1 << 20;

/// Bytes free for this user on the filesystem holding `path`.
pub(super) fn free_space(path: &Path) -> Option<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs4::available_space(dir).ok()
}

pub(super) fn format_warning(path: &Path, n: usize, v: u32) -> String {
    format!(
        "{}: line {} has format {v} (this ActionBench reads {FORMAT}), skipped",
        path.display(),
        n + 1
    )
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

/// Reads a journal, or the journal a shared page embeds. A file that does not exist is an
/// empty session.
pub fn read(path: &Path) -> Result<Restored, String> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Restored::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let text = match super::share::extract(&text) {
        None => text,
        Some(Ok(lines)) => lines,
        Some(Err(e)) => return Err(format!("{}: {e}", path.display())),
    };
    let mut out = Restored::default();
    let mut explain = Explainer::default();
    let mut by_id: std::collections::BTreeMap<u64, Exchange> = Default::default();
    let lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    // Header sets first: a line may name one written further on (lines are written in
    // shards, and a set's line is in the shard of the exchange that first had it).
    let sets = header_sets(&lines);
    // Exchanges naming a set no `headers` line defines (lost with lines dropped while the
    // disk was full): their headers cannot be given back, which is said.
    let mut missing: Vec<(u64, u32)> = vec![];
    for (n, raw) in lines.iter().enumerate() {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: Parsed<Box<ExchangeRecord>, Box<Record2>> = match parse(raw) {
            Ok(l) => l,
            Err(e) => {
                explain.bad(n, n == last, &e);
                continue;
            }
        };
        let whole = match parsed.got(path, n, &mut explain, &mut out.warnings) {
            Got::Nothing | Got::Headers(..) => continue,
            Got::Clock(offset_ms) => {
                out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
                continue;
            }
            Got::One(ex) => Whole::One(ex),
            Got::Two(ex) => Whole::Two(ex),
            Got::Odd(kind) => {
                out.warnings.push(line_warning(
                    path,
                    n,
                    n == last,
                    &format!("a {kind:?} line without what it needs"),
                ));
                continue;
            }
        };
        if let Some(set) = whole.header_set().filter(|s| sets.get(*s).is_none()) {
            missing.push((whole.id(), set));
        }
        let arrival = match (whole.carries_body(), by_id.get(&whole.id())) {
            (false, Some(prev)) => prev.arrival.clone(),
            _ => whole.arrival(&sets),
        };
        let id = whole.id();
        by_id.insert(id, whole.exchange(arrival));
    }
    out.warnings.extend(explain.warnings(path));
    out.warnings.extend(missing_sets(path, &missing));
    out.exchanges = by_id.into_values().collect();
    Ok(out)
}

/// Where each exchange's lines are, by id: the first (which carries headers and body) and the
/// latest (its state). 16 bytes an exchange, in chunks so that growing never copies.
#[derive(Default)]
pub(super) struct Index {
    pub(super) chunks: Vec<Vec<[u64; 2]>>,
}

pub(super) const INDEX_CHUNK: usize = 1 << 16;
pub(super) const NOWHERE: u64 = u64::MAX;

impl Index {
    pub(super) fn set(&mut self, id: u64, at: u64) {
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

    pub(super) fn get(&self, id: u64) -> Option<[u64; 2]> {
        let i = (id as usize).checked_sub(1)?;
        let e = *self.chunks.get(i / INDEX_CHUNK)?.get(i % INDEX_CHUNK)?;
        (e[1] != NOWHERE).then_some(e)
    }
}

pub(super) use crate::platform::read_at;

/// The line starting at `at`, without its newline.
pub(super) fn line_at(f: &std::fs::File, mut at: u64) -> std::io::Result<Vec<u8>> {
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
pub(super) fn record_at(f: &std::fs::File, at: u64) -> Option<Whole> {
    let line = line_at(f, at).ok()?;
    match parse::<Box<ExchangeRecord>, Box<Record2>>(&line).ok()? {
        Parsed::One(l) => l.ex.map(Whole::One),
        Parsed::Two(l) => l.ex.map(Whole::Two),
        Parsed::Newer(_) => None,
    }
}

/// An exchange read back from its first and latest lines; format 2's headers from `sets`.
pub(super) fn exchange_at(
    f: &std::fs::File,
    [first, latest]: [u64; 2],
    sets: &HeaderSets,
) -> Option<Exchange> {
    let rec = record_at(f, latest)?;
    let arrival = if rec.carries_body() || first == latest {
        rec.arrival(sets)
    } else {
        record_at(f, first)?.arrival(sets)
    };
    Some(rec.exchange(arrival))
}

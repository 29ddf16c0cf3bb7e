//! The index beside a journal (`<journal>.idx`): what reopening needs of each line, without
//! the bodies, so that a reopen replays it instead of reading the whole journal.
//!
//! Written as the session goes, by the journal's background thread, from lines already written
//! (never on a call's path): in batches, each closed by a checkpoint that names the journal
//! offset and line count it covers, the hash of the journal's bytes just before that offset,
//! and the hash of the batch's own bytes. A reopen replays the batches whose checkpoint holds
//! and reads the journal itself only after the last of them. Nothing in it is trusted blindly:
//! an index of another journal, one whose checkpoint the journal's bytes do not match (a
//! journal cut short, replaced or rewritten) or whose bytes are damaged is read no further,
//! said in a line, and rewritten from the journal; an index cut short (a crash mid-write) is
//! caught up from the journal silently. A journal without one (older sessions) is read whole,
//! as before, and gets one as it goes.
//!
//! The file: `MAGIC`, the hash of the journal's first line (its identity), then records, each
//! a tag byte: `E` an exchange's line ([`Digest`]), `O` any other line (where it is: replayed
//! from the journal itself, they are few), `T` a text a summary names (numbered in the batch),
//! `C` a checkpoint. Little-endian throughout.

use super::reading::{Explainer, line_at, read_at};
use super::scan::{Digest, Read, Scan};
use crate::domain::invocation::Packed;
use crate::domain::summary::PACKED_BYTES;
use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(super) const MAGIC: &[u8; 8] = b"ABIDX01\n";

/// Bytes of the journal one step of the indexer reads at most: the journal's background thread
/// holds the journal for that long (a few milliseconds), and takes steps for at most
/// [`STEPPING`] a second.
pub(super) const STEP: u64 = 8 << 20;
pub(super) const STEPPING: Duration = Duration::from_millis(300);

/// After a write of the index fails, how long before it is tried again.
const BACK_OFF: Duration = Duration::from_secs(30);

/// Where the index goes on from: the journal's offset and line count its last good checkpoint
/// covers, and the index file's length up to it (0: a new index is written).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Resume {
    pub(super) at: u64,
    pub(super) lines: usize,
    pub(super) len: u64,
}

/// The index's path: the journal's with `.idx` after it.
pub(super) fn path_of(journal: &Path) -> PathBuf {
    let mut p = journal.as_os_str().to_owned();
    p.push(".idx");
    PathBuf::from(p)
}

const FNV0: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is not promised to be).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV0, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The journal's identity: its first line's hash (the `session` line written when it was made).
fn identity(file: &std::fs::File) -> Option<u64> {
    let line = line_at(file, 0).ok()?;
    (!line.is_empty()).then(|| fnv(&line))
}

/// The hash of the journal's bytes just before `at` (up to 64 of them).
fn tail_hash(file: &std::fs::File, at: u64) -> Option<u64> {
    let from = at.saturating_sub(64);
    let mut buf = [0u8; 64];
    let want = (at - from) as usize;
    let mut got = 0;
    while got < want {
        let n = read_at(file, &mut buf[got..want], from + got as u64).ok()?;
        if n == 0 {
            return None;
        }
        got += n;
    }
    Some(fnv(&buf[..want]))
}

/// One record of the index, read.
enum Rec {
    Exchange(Digest),
    Other {
        start: u64,
        len: u64,
        n: usize,
    },
    Text(u32, String),
    Check {
        at: u64,
        lines: usize,
        tail: u64,
        sum: u64,
    },
}

/// Reads the records of an index's bytes, from a position.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    /// A read went past the end.
    short: bool,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.saturating_add(n);
        if end > self.b.len() {
            self.short = true;
            return None;
        }
        let s = &self.b[self.pos..end];
        self.pos = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }

    /// The next record: `Err(true)` where the bytes end inside it (cut short), `Err(false)`
    /// where they cannot be a record (damaged).
    fn record(&mut self) -> Result<Rec, bool> {
        let Some(tag) = self.u8() else {
            return Err(true);
        };
        let rec = match tag {
            b'E' => self.exchange(),
            b'O' => (|| {
                Some(Rec::Other {
                    start: self.u64()?,
                    len: self.u64()?,
                    n: self.u64()? as usize,
                })
            })(),
            b'T' => (|| Some(Rec::Text(self.u32()?, self.text()?)))(),
            b'C' => (|| {
                Some(Rec::Check {
                    at: self.u64()?,
                    lines: self.u64()? as usize,
                    tail: self.u64()?,
                    sum: self.u64()?,
                })
            })(),
            _ => return Err(false),
        };
        rec.ok_or(self.short)
    }

    fn exchange(&mut self) -> Option<Rec> {
        let id = self.u64()?;
        let start = self.u64()?;
        let len = self.u64()?;
        let flags = self.u8()?;
        let set = self.u32()?;
        let packed: [u8; PACKED_BYTES] = self.take(PACKED_BYTES)?.try_into().ok()?;
        let token = if flags & 8 != 0 {
            Some(self.text()?)
        } else {
            None
        };
        Some(Rec::Exchange(Digest {
            id,
            start,
            len,
            body: flags & 1 != 0,
            live: flags & 2 != 0,
            set: (flags & 4 != 0).then_some(set),
            summary: Packed::from_bytes(&packed)?,
            token,
        }))
    }
}

/// Writes an exchange's digest as an `E` record.
fn put_exchange(out: &mut Vec<u8>, d: &Digest) {
    out.push(b'E');
    for v in [d.id, d.start, d.len] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let flags = d.body as u8
        | (d.live as u8) << 1
        | (d.set.is_some() as u8) << 2
        | (d.token.is_some() as u8) << 3;
    out.push(flags);
    out.extend_from_slice(&d.set.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&d.summary.to_bytes());
    if let Some(t) = &d.token {
        put_text(out, t);
    }
}

fn put_text(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(&(t.len() as u32).to_le_bytes());
    out.extend_from_slice(t.as_bytes());
}

/// Why an index is read no further, in words, for the line that says so.
fn said(path: &Path, idx: &Path, why: &str, at: u64) -> String {
    if at == 0 {
        format!(
            "{}: its index {} {why}: it is rebuilt from the journal, which is read whole",
            path.display(),
            idx.display()
        )
    } else {
        format!(
            "{}: its index {} {why}: the journal is read from byte {at} on, and the index rewritten from there",
            path.display(),
            idx.display()
        )
    }
}

/// Replays the index beside the journal at `path` (open as `file`) into `scan`: the batches
/// whose checkpoints hold, and the lines they name read again from the journal. Where the
/// index goes on from, and the lines saying why it was not used whole (none when it was, or
/// was only cut short).
pub(super) fn replay(path: &Path, file: &std::fs::File, scan: &mut Scan) -> (Resume, Vec<String>) {
    let idx = path_of(path);
    let bytes = match std::fs::read(&idx) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::info!(
                "{}: no index beside it: the journal is read whole, and indexed as it goes",
                path.display()
            );
            return (Resume::default(), vec![]);
        }
        Err(e) => {
            let why = format!("cannot be read ({e})");
            return (Resume::default(), vec![said(path, &idx, &why, 0)]);
        }
    };
    let journal_len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        let why = "is not an index this ActionBench writes";
        return (Resume::default(), vec![said(path, &idx, why, 0)]);
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&bytes[8..16]);
    if identity(file) != Some(u64::from_le_bytes(id)) {
        let why = "belongs to another journal (their first lines differ)";
        return (Resume::default(), vec![said(path, &idx, why, 0)]);
    }
    let mut good = Resume {
        at: 0,
        lines: 0,
        len: 16,
    };
    let mut cur = Cursor {
        b: &bytes,
        pos: 16,
        short: false,
    };
    let mut batch = vec![];
    let mut start = cur.pos;
    while cur.pos < bytes.len() {
        let rec = match cur.record() {
            Ok(r) => r,
            Err(true) => break,
            Err(false) => {
                let why = format!("is damaged at byte {}", cur.pos);
                return (good, vec![said(path, &idx, &why, good.at)]);
            }
        };
        let Rec::Check {
            at,
            lines,
            tail,
            sum,
        } = rec
        else {
            batch.push(rec);
            continue;
        };
        let end = cur.pos - 33;
        if fnv(&bytes[start..end]) != sum {
            let why = format!("is damaged between bytes {start} and {}", cur.pos);
            return (good, vec![said(path, &idx, &why, good.at)]);
        }
        if at > journal_len || at < good.at || tail_hash(file, at) != Some(tail) {
            let why = format!(
                "does not match the journal at byte {at} (the journal was cut short or rewritten since)"
            );
            return (good, vec![said(path, &idx, &why, good.at)]);
        }
        // What a checksum cannot vouch for (it is no signature): every line it names lies
        // within what the checkpoint covers, and every exchange has an id.
        if let Some(bad) = batch.iter().find_map(|r| outside(r, good.at, at, lines)) {
            let why = format!("names {bad}, which its checkpoint does not cover");
            return (good, vec![said(path, &idx, &why, good.at)]);
        }
        apply(path, file, scan, std::mem::take(&mut batch));
        scan.lines = lines;
        scan.at = at;
        scan.complete = (at, lines);
        good = Resume {
            at,
            lines,
            len: cur.pos as u64,
        };
        start = cur.pos;
    }
    (good, vec![])
}

/// What record `r` of a batch covering the journal from `from` to `at` (`lines` lines in all)
/// names outside it, in words; `None` when it names nothing outside.
fn outside(r: &Rec, from: u64, at: u64, lines: usize) -> Option<String> {
    let within =
        |start: u64, len: u64| start >= from && start.checked_add(len).is_some_and(|e| e <= at);
    match r {
        Rec::Exchange(d) if d.id == 0 => Some("exchange #0".into()),
        Rec::Exchange(d) if !within(d.start, d.len) => Some(format!("a line at byte {}", d.start)),
        Rec::Other { start, len, n } if !within(*start, *len) || *n >= lines => {
            Some(format!("a line at byte {start}"))
        }
        _ => None,
    }
}

/// Takes a checked batch's records into `scan`.
fn apply(path: &Path, file: &std::fs::File, scan: &mut Scan, batch: Vec<Rec>) {
    let mut texts: HashMap<u32, u32> = HashMap::new();
    for rec in batch {
        match rec {
            Rec::Text(n, s) => {
                texts.insert(n, crate::domain::summary::text_number_of(&s));
            }
            Rec::Exchange(mut d) => {
                let t = d.summary.texts().map(|n| match n {
                    0 => 0,
                    n => texts.get(&n).copied().unwrap_or(0),
                });
                d.summary = d.summary.with_texts(t);
                scan.take(d);
            }
            Rec::Other { start, len, n } => {
                let Ok(raw) = line_at(file, start) else {
                    continue;
                };
                scan.lines = n;
                if let Read::Exchange(d) = scan.line(path, &raw, start, len, false) {
                    scan.take(d);
                }
            }
            Rec::Check { .. } => {}
        }
    }
}

/// What a step of the indexer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// Every line written is indexed.
    CaughtUp,
    /// A batch was indexed, and more lines wait.
    More,
    /// Nothing could be done now (no complete line yet, or writing the index failed lately).
    Stuck,
}

/// Writes the index as the session goes: reads the lines the journal has written since its
/// last step and appends their digests, closed by a checkpoint.
pub(super) struct Indexer {
    path: PathBuf,
    file: Option<std::fs::File>,
    /// Counts the lines and reads them as reopening does (what it learns is not kept).
    scan: Scan,
    /// The index file's length up to its last checkpoint.
    len: u64,
    /// When a write last failed.
    failed: Option<Instant>,
    buf: Vec<u8>,
}

impl Indexer {
    /// An indexer for the journal at `journal`, going on from `resume`.
    pub(super) fn new(journal: &Path, resume: Resume) -> Indexer {
        let scan = Scan {
            lines: resume.lines,
            at: resume.at,
            complete: (resume.at, resume.lines),
            ..Scan::default()
        };
        Indexer {
            path: path_of(journal),
            file: None,
            scan,
            len: resume.len,
            failed: None,
            buf: vec![],
        }
    }

    /// Journal bytes not indexed yet, of the `end` written.
    pub(super) fn behind(&self, end: u64) -> u64 {
        end.saturating_sub(self.scan.at)
    }

    /// The index file, open for writing at its last checkpoint (made, with its header, if
    /// new); `None` until the journal has a first line.
    fn file(&mut self, journal: &std::fs::File) -> std::io::Result<Option<&mut std::fs::File>> {
        if self.file.is_none() {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(false)
                .open(&self.path)?;
            if self.len < 16 {
                let Some(id) = identity(journal) else {
                    return Ok(None);
                };
                f.set_len(0)?;
                f.write_all(MAGIC)?;
                f.write_all(&id.to_le_bytes())?;
                self.len = 16;
            }
            f.set_len(self.len)?;
            f.seek(SeekFrom::Start(self.len))?;
            self.file = Some(f);
        }
        Ok(self.file.as_mut())
    }

    /// Indexes the journal's lines from where it is to `end` (at most `limit` bytes of them)
    /// as one batch.
    pub(super) fn step(
        &mut self,
        journal_path: &Path,
        journal: &std::fs::File,
        end: u64,
        limit: u64,
    ) -> Progress {
        if self.behind(end) == 0 {
            return Progress::CaughtUp;
        }
        if self.failed.is_some_and(|t| t.elapsed() < BACK_OFF) {
            return Progress::Stuck;
        }
        let from = self.scan.at;
        let before = (self.scan.at, self.scan.lines);
        let want = (end - from).min(limit) as usize;
        let mut chunk = vec![0u8; want];
        let mut got = 0;
        while got < want {
            match read_at(journal, &mut chunk[got..], from + got as u64) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        chunk.truncate(got);
        // Complete lines only: a line being written is indexed next time.
        let Some(upto) = memchr::memrchr(b'\n', &chunk) else {
            return Progress::Stuck;
        };
        self.buf.clear();
        let mut named: Vec<u32> = vec![];
        let mut pos = 0;
        while pos <= upto {
            let nl = memchr::memchr(b'\n', &chunk[pos..=upto]).map_or(upto, |k| pos + k);
            let (start, len) = (from + pos as u64, (nl + 1 - pos) as u64);
            match self
                .scan
                .line(journal_path, &chunk[pos..nl], start, len, false)
            {
                Read::Exchange(d) => {
                    for n in d.summary.texts().into_iter().filter(|n| *n != 0) {
                        if !named.contains(&n) {
                            named.push(n);
                            self.buf.push(b'T');
                            self.buf.extend_from_slice(&n.to_le_bytes());
                            put_text(&mut self.buf, &crate::domain::summary::text(n));
                        }
                    }
                    put_exchange(&mut self.buf, &d);
                }
                Read::Other => {
                    self.buf.push(b'O');
                    let n = self.scan.lines as u64 - 1;
                    for v in [start, len, n] {
                        self.buf.extend_from_slice(&v.to_le_bytes());
                    }
                }
                Read::Blank => {}
            }
            pos = nl + 1;
        }
        // What the lines said is the reopening's to say, not the indexer's.
        self.scan.out.warnings.clear();
        self.scan.explain = Explainer::default();
        let at = self.scan.at;
        let sum = fnv(&self.buf);
        self.buf.push(b'C');
        let tail = tail_hash(journal, at).unwrap_or(0);
        for v in [at, self.scan.lines as u64, tail, sum] {
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        if !self.write(journal, before) {
            return Progress::Stuck;
        }
        match self.behind(end) {
            0 => Progress::CaughtUp,
            _ => Progress::More,
        }
    }

    /// Appends the batch; a write that fails is cut back out and the lines read again later.
    /// Whether it was written.
    fn write(&mut self, journal: &std::fs::File, before: (u64, usize)) -> bool {
        let buf = std::mem::take(&mut self.buf);
        let len = self.len;
        let written = match self.file(journal) {
            Ok(Some(f)) => f.write_all(&buf).map(|_| true),
            Ok(None) => Ok(false),
            Err(e) => Err(e),
        };
        match written {
            Ok(true) => {
                self.len += buf.len() as u64;
                self.failed = None;
            }
            Ok(false) => self.rewind(before),
            Err(e) => {
                tracing::warn!(
                    "index {}: cannot be written ({e}): tried again later; a reopen reads the journal after its last checkpoint",
                    self.path.display()
                );
                if let Some(f) = &self.file
                    && f.set_len(len).is_err()
                {
                    // Left with bytes after its checkpoint: a reopen reads no further than it.
                    self.file = None;
                }
                self.rewind(before);
                self.failed = Some(Instant::now());
            }
        }
        self.buf = buf;
        self.buf.clear();
        self.failed.is_none() && self.scan.at > before.0
    }

    /// Goes back to read the journal from where the batch not written started.
    fn rewind(&mut self, (at, lines): (u64, usize)) {
        self.scan.at = at;
        self.scan.lines = lines;
        self.scan.complete = (at, lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invocation::Direction;
    use crate::domain::wire::Method;
    use chrono::Utc;

    fn packed() -> Packed {
        crate::domain::invocation::Summary {
            id: 3,
            at: Utc::now(),
            direction: Direction::Inbound,
            method: Some(Method::Invoke),
            envelope: None,
            status: Some(200),
            flagged: false,
            phase: "answered",
            http_method: "POST".into(),
            path: "/v1/invoke".into(),
            action_key: Some("k".into()),
            tag: None,
        }
        .pack()
    }

    /// A checksum is no signature: an index whose batch sums right but names an exchange or a
    /// line its checkpoint does not cover is read no further.
    #[test]
    fn a_record_its_checkpoint_does_not_cover_is_not_trusted() {
        let dir = std::env::temp_dir().join(format!("actionbench-sidecar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let journal = dir.join("s.jsonl");
        let line = b"{\"v\":2,\"kind\":\"session\"}\n";
        std::fs::write(&journal, line).expect("journal");
        let file = std::fs::File::open(&journal).expect("open");
        let at = line.len() as u64;
        for (id, start, says) in [(0, 0, "exchange #0"), (1, 5, "a line at byte 5")] {
            let mut b = MAGIC.to_vec();
            b.extend(identity(&file).expect("a first line").to_le_bytes());
            let first = b.len();
            let d = Digest {
                id,
                start,
                len: at,
                body: false,
                set: None,
                summary: packed(),
                live: false,
                token: None,
            };
            put_exchange(&mut b, &d);
            let sum = fnv(&b[first..]);
            b.push(b'C');
            for v in [at, 1, tail_hash(&file, at).expect("tail"), sum] {
                b.extend(v.to_le_bytes());
            }
            std::fs::write(path_of(&journal), &b).expect("index");
            let mut scan = Scan::default();
            let (resume, said) = replay(&journal, &file, &mut scan);
            assert_eq!(resume.at, 0, "{says}");
            assert_eq!(said.len(), 1, "{says}");
            assert!(said[0].contains(says), "{}", said[0]);
            assert!(scan.seen.is_empty(), "nothing of it was taken");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_exchange_record_reads_back_as_written_and_a_cut_one_is_short() {
        let summary = packed();
        for token in [None, Some("tok-é".to_string())] {
            let d = Digest {
                id: 3,
                start: 1 << 40,
                len: 1500,
                body: true,
                set: Some(2),
                summary,
                live: false,
                token,
            };
            let mut out = vec![];
            put_exchange(&mut out, &d);
            let mut cur = Cursor {
                b: &out,
                pos: 0,
                short: false,
            };
            match cur.record() {
                Ok(Rec::Exchange(back)) => assert_eq!(back, d),
                _ => panic!("an exchange record"),
            }
            for cut in 1..out.len() {
                let mut cur = Cursor {
                    b: &out[..cut],
                    pos: 0,
                    short: false,
                };
                assert!(matches!(cur.record(), Err(true)), "cut at {cut}");
            }
        }
        let mut cur = Cursor {
            b: b"Zxyz",
            pos: 0,
            short: false,
        };
        assert!(matches!(cur.record(), Err(false)), "no such record");
    }
}

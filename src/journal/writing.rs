//! Writing a journal: lines gathered in shards and written together (group commit), the open
//! file with its lock, and the journal as the engine's recorder.

use super::{
    Arc, AtomicBool, AtomicU64, DateTime, Encoded, Exchange, FORMAT, HeaderSets, Index, Instant,
    Line, Mutex, Ordering, Path, PathBuf, Scanned, SeekFrom, Serialize, Utc, What, encode,
    exchange_at, first_format, holder, scan, sidecar,
};
use std::io::Read as _;
use std::io::Seek as _;
use std::io::Write as _;

/// Lines waiting to be written, in shards by exchange id: one exchange's lines stay in order
/// in its shard, and calls recording different exchanges take different locks (no lock every
/// call takes). Whoever flushes next writes them all.
#[derive(Default)]
pub(super) struct Shard {
    pub(super) buf: Vec<u8>,
    /// The exchange each line in `buf` records, and where in `buf` it starts.
    pub(super) lines: Vec<(u64, usize)>,
}

pub(super) const SHARDS: usize = 16;

/// The writing side: one `write` for every line appended since the last, by whichever caller
/// gets here first (group commit). Calls in flight meanwhile find their lines already written.
pub(super) struct Output {
    pub(super) file: std::fs::File,
    /// Bytes written so far (the file's length).
    pub(super) written: u64,
    /// The shards' lines gathered for one write, kept for its allocation.
    pub(super) spare: Vec<u8>,
    /// Where the gathered lines start in `spare`, by exchange.
    pub(super) placed: Vec<(u64, usize)>,
    /// Lines gathered while the journal is in trouble, oldest first, to be written first when
    /// writing works again; and where each starts in it.
    pub(super) pending: Vec<u8>,
    pub(super) pending_placed: Vec<(u64, usize)>,
    /// Why writing fails now, when it does.
    pub(super) trouble: Option<Trouble>,
    /// When writing was last tried while in trouble.
    pub(super) last_try: Instant,
    /// A failed write could not be cut back out of the file: its length is read again, and a
    /// newline closes the torn line, before the next write.
    pub(super) recheck: bool,
    /// Tests: every write fails with this, as a full disk's would.
    pub(super) fail: Option<std::io::ErrorKind>,
}

/// Why the journal cannot be written, since when, and what it cost.
#[derive(Clone, Debug)]
pub(super) struct Trouble {
    pub(super) cause: String,
    pub(super) kind: TroubleKind,
    pub(super) since: DateTime<Utc>,
    /// Lines dropped because [`PENDING_CAP`] was reached.
    pub(super) dropped: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TroubleKind {
    /// A write failed: cleared when the lines kept meanwhile are written.
    Write,
    /// Syncing to the disk failed: cleared when a later sync works.
    Sync,
    /// The file was removed or replaced under the journal: lines written now would be lost.
    Vanished,
}

/// A journal open for appending.
pub struct Journal {
    pub(super) path: PathBuf,
    pub(super) shards: Box<[Mutex<Shard>]>,
    pub(super) output: Mutex<Output>,
    /// Where each exchange's lines are in the file: set by the flush that writes them.
    pub(super) index: Mutex<Index>,
    /// A second handle, for reading lines back.
    pub(super) reader: std::fs::File,
    /// A third, for syncing to the disk without holding the output's lock: a sync can take a
    /// second, and calls must not wait for it to write their lines.
    pub(super) syncer: std::fs::File,
    pub(super) dirty: AtomicBool,
    /// Lines appended to the shards so far, and how many of them are written: a caller whose
    /// lines were appended before it asks knows they are written when `written_upto` has
    /// reached what `appended` was.
    pub(super) appended: AtomicU64,
    pub(super) written_upto: AtomicU64,
    /// Why writing fails, when it does (read without the output's lock).
    pub(super) trouble: Mutex<Option<String>>,
    pub(super) in_trouble: AtomicBool,
    /// The header sets defined so far (read back, and written).
    pub(super) sets: Mutex<HeaderSets>,
    /// Writes the index beside the journal from the lines written (see `sidecar`).
    pub(super) indexer: Mutex<sidecar::Indexer>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
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
        let (index, sets, scanned, resume) = scan(path, budget)?;
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
            sets: Mutex::new(sets),
            indexer: Mutex::new(sidecar::Indexer::new(path, resume)),
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
        let sets = self.sets.lock().unwrap_or_else(|e| e.into_inner());
        exchange_at(&self.reader, place, &sets)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Indexes the lines written since the last step (a bounded step, while the journal can be
    /// written: an index that lags is caught up on reopening).
    pub(super) fn index_step(&self, limit: u64) -> sidecar::Progress {
        // A journal removed (a scratch one, when serve stops) gets no index.
        if self.in_trouble() || !self.path.exists() {
            return sidecar::Progress::Stuck;
        }
        let end = self
            .output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .written;
        self.indexer.lock().unwrap_or_else(|e| e.into_inner()).step(
            &self.path,
            &self.reader,
            end,
            limit,
        )
    }

    /// Writes every line recorded and indexes them all, now (tests and benches: the journal's
    /// own thread does it as it goes). Why not, if it could not.
    #[doc(hidden)]
    pub fn index_now(&self) -> Result<(), String> {
        self.flush()?;
        loop {
            match self.index_step(64 << 20) {
                sidecar::Progress::CaughtUp => return Ok(()),
                sidecar::Progress::More => {}
                sidecar::Progress::Stuck => {
                    return Err("the index could not catch up with the journal".into());
                }
            }
        }
    }

    /// Bytes this journal keeps in memory: where each exchange's lines are (the index), and
    /// its buffers of lines (the shards', the gathering one's, and any kept while in trouble).
    pub fn footprint(&self) -> (usize, usize) {
        let index: usize = self
            .index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .chunks
            .iter()
            .map(|c| c.capacity() * 16)
            .sum();
        let mut buffers: usize = self
            .shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|e| e.into_inner());
                s.buf.capacity() + s.lines.capacity() * 16
            })
            .sum();
        let out = self.output.lock().unwrap_or_else(|e| e.into_inner());
        buffers += out.spare.capacity() + out.pending.capacity();
        buffers += (out.placed.capacity() + out.pending_placed.capacity()) * 16;
        (index, buffers)
    }

    /// Encodes new exchange `ex` after `event`, with its headers and body, with 0 for its id.
    pub fn prepare(&self, event: &str, ex: &Exchange) -> Option<crate::engine::Prepared> {
        let mut bytes = Vec::with_capacity(1024 + ex.arrival.body.len());
        let Encoded { line, defines } = encode(&mut bytes, event, ex, 0, true, &self.sets).ok()?;
        let id_at = line
            + memchr::memmem::find(&bytes[line..], b"\"ex\":{\"id\":0")?
            + b"\"ex\":{\"id\":".len();
        Some(crate::engine::Prepared {
            bytes,
            id_at,
            line,
            header_set: defines,
            findings: ex.findings.len(),
        })
    }

    /// The shard exchange `id`'s lines go to, locked.
    pub(super) fn shard(&self, id: u64) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[(id as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Records what [`Journal::prepare`] encoded as exchange `id`: a copy into its shard.
    pub fn commit(&self, id: u64, p: crate::engine::Prepared) {
        let mut s = self.shard(id);
        // A header set's line before it, if it has one; the exchange's line starts after.
        let start = s.buf.len() + p.line;
        s.buf.extend_from_slice(&p.bytes[..p.id_at]);
        s.buf.extend_from_slice(id.to_string().as_bytes());
        s.buf.extend_from_slice(&p.bytes[p.id_at + 1..]);
        s.lines.push((id, start));
        // Counted while the shard is locked: a flush that reads the count finds the line.
        self.appended.fetch_add(1, Ordering::AcqRel);
        if let Some(set) = p.header_set {
            self.sets
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .recorded(set);
        }
    }

    /// Records `ex` as it stands after `event`; the first record of an exchange carries its
    /// headers and body. The engine calls it with `ex` locked, in the order changes happen,
    /// before any answer leaves.
    pub fn exchange(&self, event: &str, ex: &Exchange, first: bool) {
        let mut s = self.shard(ex.id);
        match encode(&mut s.buf, event, ex, ex.id, first, &self.sets) {
            Ok(Encoded { line, defines }) => {
                s.lines.push((ex.id, line));
                self.appended.fetch_add(1, Ordering::AcqRel);
                if let Some(set) = defines {
                    self.sets
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .recorded(set);
                }
            }
            Err(e) => tracing::error!(
                "journal {}: cannot encode exchange #{}: {e}",
                self.path.display(),
                ex.id
            ),
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
    pub(super) fn write(&self, line: &Line) {
        let mut s = self.shard(0);
        if Journal::encode(&self.path, &mut s.buf, line).is_some() {
            self.appended.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Encodes `line` at the end of `buf`; returns where in `buf` it starts.
    pub(super) fn encode(path: &Path, buf: &mut Vec<u8>, line: &impl Serialize) -> Option<usize> {
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
        // A session closed with its index caught up reopens without reading its journal
        // (a large one's first index is left to its next opening to go on with).
        for _ in 0..4 {
            if self.index_step(64 << 20) != sidecar::Progress::More {
                break;
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

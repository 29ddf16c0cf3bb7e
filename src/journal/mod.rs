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

mod compact;
pub mod export;
mod lines;
mod lock;
mod output;
mod reading;
mod reopen;
mod scan;
pub mod share;
mod sidecar;
mod writing;

pub use crate::platform::holder;
use compact::{Encoded, HeaderSets, Peek2, Record2, encode};
use lines::{ExchangeRecord, Line, What, arrival_of, carries_body, exchange, intern, record_of};
use lock::first_format;
pub use lock::open_elsewhere;
use reading::{Index, exchange_at};
pub use reading::{Restored, read};
use reopen::scan;
pub use scan::Scanned;
pub use writing::Journal;
use writing::{Output, Shard, Trouble, TroubleKind};

use crate::domain::contract::{Finding, Severity};
use crate::domain::envelope::EnvelopeKind;
use crate::domain::invocation::{
    AnsweredBy, Arrival, Direction, Exchange, Note, Phase, SentResponse, Summary, SummaryOf,
    TimelineEntry,
};
use crate::domain::wire::Method;
use crate::engine::{EventKind, Restoring};
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The format of each line; a reader refuses lines of a later one with a warning. Format 1
/// (until ActionBench 0.1.0 of November 2026) is still read: an exchange's body escaped into a
/// string, its times repeated, its headers and timeline as text. Format 2 keeps a JSON body
/// as JSON, one time per record, headers once per session and the timeline as events (see
/// `compact`), about half the bytes per call.
pub const FORMAT: u32 = 2;

/// How often written lines are synced to the disk.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How often a journal in trouble tries writing again when calls ask (the sync thread tries
/// every [`SYNC_EVERY`] as well).
pub const RETRY_EVERY: Duration = Duration::from_millis(250);

/// Bytes of lines kept in memory while the journal cannot be written; past it, new lines are
/// dropped and counted (the calls they record were refused).
pub const PENDING_CAP: usize = 32 << 20;

/// Where the index beside the journal at `journal` is (`<journal>.idx`).
pub fn index_path(journal: &Path) -> PathBuf {
    sidecar::path_of(journal)
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

/// The sessions in folder `dir` (the window's: [`sessions_dir`]), newest first: path, size,
/// last change.
pub fn recent_sessions(dir: &Path, limit: usize) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
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

/// What opening a session did, to say so.
#[derive(Debug)]
pub struct Opened {
    pub journal: Arc<Journal>,
    pub restored: usize,
    pub warnings: Vec<String>,
}

/// Whether the file at `path` is a page ActionBench shared (one HTML file): it is read, never
/// written.
pub fn is_shared_page(path: &Path) -> bool {
    let mut head = [0u8; 512];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    share::extract(&head[..n]).is_some()
}

/// Restores a shared page's calls into `engine`, read-only: nothing is recorded (the page is
/// never written to). How many, and what could not be read.
pub fn open_read_only(
    engine: &crate::engine::Engine,
    path: &Path,
) -> Result<(usize, Vec<String>), String> {
    let read = read(path)?;
    let n = engine.restore_entries(
        read.exchanges
            .into_iter()
            .map(|e| Restoring::Whole(Box::new(e)))
            .collect(),
        read.clock_offset,
    )?;
    Ok((n, read.warnings))
}

/// Opens the journal at `path` for `engine`: records from now on, and restores what it held
/// (whole within the engine's memory budget; the rest is read back when asked for).
pub fn attach(engine: &crate::engine::Engine, path: &Path) -> Result<Opened, String> {
    if is_shared_page(path) {
        return Err(format!(
            "{} is a page ActionBench shared: it is read, never recorded to. Open it in the window (actionbench --session {}, read-only) or export it (actionbench export --session {} --har OUT); record to a .jsonl session",
            path.display(),
            path.display(),
            path.display()
        ));
    }
    let (journal, scanned) = Journal::open(path, engine.memory_budget())?;
    // The scan's tables are gone: their pages go back before the log's are made.
    crate::platform::give_back_memory();
    engine.set_recorder(journal.clone())?;
    let n = engine.restore_entries(scanned.exchanges, scanned.clock_offset)?;
    crate::platform::give_back_memory();
    Ok(Opened {
        journal,
        restored: n,
        warnings: scanned.warnings,
    })
}

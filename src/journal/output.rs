//! The write itself and what happens when it fails: a failed write cut back out of the file,
//! lines kept until writing works again, retried by itself, and the syncs to disk.

use super::{
    FORMAT, Instant, Journal, Line, Ordering, Output, PENDING_CAP, RETRY_EVERY, SYNC_EVERY, Shard,
    Trouble, TroubleKind, Utc, Weak, What, sidecar,
};
use std::io::Write as _;

/// Bytes a buffer of lines keeps between writes. A burst (thousands of held calls arriving
/// within the second between syncs, when nothing else flushes) grows the shards and the
/// gathering buffer; kept at that size, they held several hundred bytes per call for good.
const KEEP: usize = 64 << 10;

/// Gives back a buffer's room beyond [`KEEP`] bytes once it is empty.
fn keep_small<T>(v: &mut Vec<T>) {
    if v.is_empty() && v.capacity() * std::mem::size_of::<T>() > KEEP {
        *v = Vec::with_capacity(KEEP / std::mem::size_of::<T>().max(1));
    }
}

impl Journal {
    pub(super) fn set_trouble(&self, out: &mut Output, kind: TroubleKind, cause: String) {
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
    pub(super) fn clear_trouble(&self, out: &mut Output) {
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
    pub(super) fn append(out: &mut Output, buf: &[u8]) -> std::io::Result<u64> {
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
    pub(super) fn write_out(&self, force: bool) {
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
            keep_small(buf);
            keep_small(lines);
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
            keep_small(&mut out.spare);
            keep_small(&mut out.placed);
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
                // A header set's line may be among them: the next record naming it says it.
                self.sets
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .forget_recorded();
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
    pub(super) fn place(&self, start: u64, placed: &[(u64, usize)]) {
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
    pub(super) fn write_for_sync(&self) -> bool {
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
    pub(super) fn synced(&self, r: std::io::Result<()>) {
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
    pub(super) fn check_file(&self) {
        {
            let mut out = self.output.lock().unwrap_or_else(|e| e.into_inner());
            // Where a platform has no file id (Windows), only a removed file is noticed.
            let id = |m: std::fs::Metadata| crate::platform::file_id(&m);
            let ours = out.file.metadata().map(id);
            let there = std::fs::metadata(&self.path).map(id);
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
    pub(super) fn sync_in_background(journal: Weak<Journal>) {
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
                    // The index follows what was written, in bounded steps.
                    let began = Instant::now();
                    while began.elapsed() < sidecar::STEPPING {
                        match journal.upgrade().map(|j| j.index_step(sidecar::STEP)) {
                            Some(sidecar::Progress::More) => {}
                            Some(_) => break,
                            None => return,
                        }
                    }
                }
            })
            .ok();
    }
}

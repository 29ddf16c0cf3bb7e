//! Reopening a journal: scanning it line by line without keeping it, with an index of where
//! each exchange's lines are. What the scan learns from each exchange's line is a [`Digest`]:
//! the index beside the journal (see `sidecar`) keeps them, so that a reopen replays them and
//! reads only the lines written after its last checkpoint.

use super::compact::{HeaderSets, Peek2};
use super::reading::{
    Explainer, Got, Index, Parsed, PeekExchange, Peeked, exchange_at, line_warning, missing_sets,
    parse,
};
use crate::domain::invocation::Packed;
use crate::engine::Restoring;
use std::io::{Seek, SeekFrom};
use std::path::Path;

/// What opening a journal found, before the engine takes it.
#[derive(Debug, Default)]
pub struct Scanned {
    pub exchanges: Vec<Restoring>,
    pub clock_offset: Option<chrono::Duration>,
    pub warnings: Vec<String>,
}

/// Reopening loads whole the live exchanges and the newest that fit this share of the memory
/// budget (a quarter): an old one is read back from the journal in a fraction of a millisecond
/// when it is selected, while each one loaded whole costs its kilobytes from the start.
pub(super) const REOPEN_SHARE: usize = 4;

/// How far past the highest id read so far a line's id may be. A gap is calls never recorded
/// (refused while the journal could not be written) or lines lost, and reopening lists each
/// missing id so that every other keeps its number; an id further on than this is damage, and
/// its line is skipped (an id of 10^12 would have reopening allocate for every id below it).
pub(super) const MAX_ID_AHEAD: u64 = 1 << 22;

/// What reopening learnt of one exchange from its lines.
pub(super) struct Seen {
    pub(super) live: bool,
    /// The hash of the token it is filed under.
    pub(super) token: Option<crate::engine::TokenKey>,
    pub(super) summary: Packed,
    /// Bytes of its lines with a body: an estimate of what it takes in memory.
    pub(super) size: u64,
}

/// What reopening needs of one exchange's line, without its body: where it is, its summary,
/// whether it is live, its token.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Digest {
    pub(super) id: u64,
    /// Where the line starts, and its bytes with the newline.
    pub(super) start: u64,
    pub(super) len: u64,
    pub(super) body: bool,
    /// The header set it names.
    pub(super) set: Option<u32>,
    pub(super) summary: Packed,
    pub(super) live: bool,
    pub(super) token: Option<String>,
}

/// What one line is, to a scan.
pub(super) enum Read {
    /// Empty, or only whitespace.
    Blank,
    /// An exchange's line.
    Exchange(Digest),
    /// Any other: a session's, the clock's, a header set's, a `trouble` line, a line that
    /// could not be read or that lacks what it needs.
    Other,
}

/// A scan under way: what the lines read so far say.
#[derive(Default)]
pub(super) struct Scan {
    pub(super) out: Scanned,
    pub(super) explain: Explainer,
    pub(super) index: Index,
    pub(super) sets: HeaderSets,
    /// The header set each exchange's first line names, to say those no line defines.
    pub(super) named: Vec<(u64, u32)>,
    pub(super) seen: Vec<Option<Seen>>,
    /// Lines skipped for an id too far past the others ([`MAX_ID_AHEAD`]): how many, and the
    /// first such id.
    pub(super) far: Option<(usize, u64)>,
    /// Lines read so far (blank ones too: warnings name lines by their number).
    pub(super) lines: usize,
    /// Where the lines read so far end, and where the last one that ends with a newline
    /// ends, with the count of lines up to it.
    pub(super) at: u64,
    pub(super) complete: (u64, usize),
}

impl Scan {
    /// Takes the line `raw` (without its newline) that starts at `start` and takes `len`
    /// bytes with it; `last`: the file ends inside it (no newline).
    pub(super) fn line(
        &mut self,
        path: &Path,
        raw: &[u8],
        start: u64,
        len: u64,
        last: bool,
    ) -> Read {
        let n = self.lines;
        self.lines += 1;
        self.at = start + len;
        if !last {
            self.complete = (self.at, self.lines);
        }
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Read::Blank;
        }
        let parsed: Parsed<PeekExchange, Peek2> = match parse(raw) {
            Ok(l) => l,
            Err(e) => {
                self.explain.bad(n, last, &e);
                return Read::Other;
            }
        };
        let ex = match parsed.got(path, n, &mut self.explain, &mut self.out.warnings) {
            Got::Nothing => return Read::Other,
            Got::Clock(offset_ms) => {
                self.out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
                return Read::Other;
            }
            Got::Headers(id, text) => {
                self.sets.define(id, &text);
                return Read::Other;
            }
            Got::One(ex) => Peeked::One(ex),
            Got::Two(ex) => Peeked::Two(ex),
            Got::Odd(kind) => {
                self.out.warnings.push(line_warning(
                    path,
                    n,
                    last,
                    &format!("a {kind:?} line without what it needs"),
                ));
                return Read::Other;
            }
        };
        let id = ex.id();
        if id == 0 {
            return Read::Other;
        }
        let d = Digest {
            id,
            start,
            len,
            body: ex.carries_body(),
            set: ex.header_set(),
            summary: ex.summary().pack(),
            live: ex.live(),
            token: ex.token(),
        };
        Read::Exchange(d)
    }

    /// Takes what an exchange's line says (read now, or replayed from the index).
    pub(super) fn take(&mut self, d: Digest) {
        let Some(i) = d.id.checked_sub(1).map(|i| i as usize) else {
            return;
        };
        if d.id > self.seen.len() as u64 + MAX_ID_AHEAD {
            let far = self.far.get_or_insert((0, d.id));
            far.0 += 1;
            return;
        }
        if self.seen.len() <= i {
            self.seen.resize_with(i + 1, || None);
        }
        if let Some(set) = d.set {
            self.named.push((d.id, set));
        }
        let s = self.seen[i].get_or_insert(Seen {
            live: false,
            token: None,
            summary: d.summary,
            size: 0,
        });
        s.summary = d.summary;
        s.live = d.live;
        s.token = d.token.as_deref().map(crate::engine::token_key);
        if d.body {
            s.size += d.len;
        }
        self.index.set(d.id, d.start);
    }

    /// Reads the lines of `file` from where the scan is to its end.
    pub(super) fn read_to_end(&mut self, path: &Path, file: &std::fs::File) -> Result<(), String> {
        use std::io::BufRead;
        let mut f = file;
        f.seek(SeekFrom::Start(self.at))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, f);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let len = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if len == 0 {
                return Ok(());
            }
            let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let last = !buf.ends_with(b"\n");
            if let Read::Exchange(d) = self.line(path, raw, self.at, len as u64, last) {
                self.take(d);
            }
        }
    }

    /// What the scan found, once every line is read: loads whole the live exchanges and the
    /// newest ones that fit `budget` bytes from `file`; the others stay on disk.
    pub(super) fn finish(
        self,
        path: &Path,
        file: &std::fs::File,
        budget: usize,
    ) -> (Index, HeaderSets, Scanned) {
        let Scan {
            mut out,
            explain,
            index,
            sets,
            mut named,
            seen,
            far,
            ..
        } = self;
        if let Some((n, first)) = far {
            out.warnings.push(format!(
                "{}: {n} line(s) name an exchange id far past the others (the first: #{first}), which a session does not write: damaged, skipped",
                path.display()
            ));
        }
        out.warnings.extend(explain.warnings(path));
        named.retain(|(_, set)| sets.get(*set).is_none());
        out.warnings.extend(missing_sets(path, &named));
        // Newest first: which are loaded whole (a share of the budget: the rest are read back
        // from the journal when asked for, and the budget fills again with new calls).
        let mut whole = vec![false; seen.len()];
        let mut used = 0u64;
        let budget = (budget / REOPEN_SHARE) as u64;
        for (i, s) in seen.iter().enumerate().rev() {
            let Some(s) = s else { continue };
            // As the engine reckons a whole exchange: its body and headers (here, its lines
            // that carry them) and 1.5 KiB for the rest (measured: 3.8 KB in memory for a
            // line of 1.3 KB, where 512 bytes for the rest left the engine far over its budget).
            let size = s.size + 1536;
            if s.live || used + size <= budget {
                whole[i] = true;
                used += size;
            }
        }
        // Every exchange keeps its id: an id with no line (a call refused while the journal
        // could not be written, a line lost) is listed as not recorded. Closing the gap up
        // instead gave the exchanges after it new numbers, and the calls after the reopen the
        // numbers of exchanges already in the file, whose lines a later reopen then mixed up.
        let mut kept = Index::default();
        let (mut gaps, mut before) = (0usize, None::<Packed>);
        for (i, s) in seen.into_iter().enumerate() {
            let id = i as u64 + 1;
            let (Some(s), Some(place)) = (s, index.get(id)) else {
                gaps += 1;
                out.exchanges.push(Restoring::OnDisk {
                    invocation_token: None,
                    summary: not_recorded(id, before),
                });
                continue;
            };
            let on_disk = || Restoring::OnDisk {
                invocation_token: s.token,
                summary: s.summary,
            };
            let entry = if whole[i] {
                match exchange_at(file, place, &sets) {
                    Some(mut ex) => {
                        ex.id = id;
                        Restoring::Whole(Box::new(ex))
                    }
                    None => {
                        out.warnings.push(format!(
                            "{}: exchange #{id} could not be read back: listed by its summary",
                            path.display(),
                        ));
                        on_disk()
                    }
                }
            } else {
                on_disk()
            };
            before = Some(s.summary);
            kept.set(id, place[0]);
            kept.set(id, place[1]);
            out.exchanges.push(entry);
        }
        if gaps > 0 {
            out.warnings.push(format!(
                "{}: {gaps} exchange id(s) have no line in the journal (calls refused while it could not be written, or lines lost): each is listed as not recorded, and every other keeps its number",
                path.display()
            ));
        }
        (kept, sets, out)
    }
}

/// The row of an id with no line in the journal: at the time of the exchange before it.
fn not_recorded(id: u64, before: Option<Packed>) -> Packed {
    let at = before.map_or(chrono::DateTime::UNIX_EPOCH, |p| p.unpack(id).at);
    crate::domain::invocation::Summary {
        id,
        at,
        direction: crate::domain::invocation::Direction::Inbound,
        method: None,
        envelope: None,
        status: None,
        flagged: true,
        phase: "shut down",
        http_method: "-".into(),
        path: "(not in the journal: not recorded)".into(),
        action_key: None,
        tag: Some("not recorded".into()),
    }
    .pack()
}

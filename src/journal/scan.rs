//! Reopening a journal: scanning it line by line without keeping it, with an index of where
//! each exchange's lines are.

use super::*;

/// What opening a journal found, before the engine takes it.
#[derive(Debug, Default)]
pub struct Scanned {
    pub exchanges: Vec<Restoring>,
    pub clock_offset: Option<chrono::Duration>,
    pub warnings: Vec<String>,
}

/// What reopening learnt of one exchange from its lines.
pub(super) struct Seen {
    pub(super) live: bool,
    pub(super) token: Option<String>,
    pub(super) summary: Packed,
    /// Bytes of its lines with a body: an estimate of what it takes in memory.
    pub(super) size: u64,
}

/// Reads a journal line by line without keeping it: where each exchange's lines are, and
/// whether it is live. Then loads whole the live exchanges and the newest ones that fit
/// `budget` bytes; the others stay on disk.
pub(super) fn scan(path: &Path, budget: usize) -> Result<(Index, HeaderSets, Scanned), String> {
    use std::io::BufRead;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Index::default(), HeaderSets::default(), Scanned::default()));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &file);
    let mut out = Scanned::default();
    let mut explain = Explainer::default();
    let mut index = Index::default();
    let mut sets = HeaderSets::default();
    // The header set each exchange's first line names, to say those no line defines.
    let mut named: Vec<(u64, u32)> = vec![];
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
        let parsed: Parsed<PeekExchange, Peek2> = match parse(raw) {
            Ok(l) => l,
            Err(e) => {
                explain.bad(n - 1, last, &e);
                continue;
            }
        };
        let ex = match parsed.got(path, n - 1, &mut explain, &mut out.warnings) {
            Got::Nothing => continue,
            Got::Clock(offset_ms) => {
                out.clock_offset = Some(chrono::Duration::milliseconds(offset_ms));
                continue;
            }
            Got::Headers(id, text) => {
                sets.define(id, &text);
                continue;
            }
            Got::One(ex) => Peeked::One(ex),
            Got::Two(ex) => Peeked::Two(ex),
            Got::Odd(kind) => {
                out.warnings.push(line_warning(
                    path,
                    n - 1,
                    last,
                    &format!("a {kind:?} line without what it needs"),
                ));
                continue;
            }
        };
        let id = ex.id();
        if id == 0 {
            continue;
        }
        let i = (id - 1) as usize;
        if seen.len() <= i {
            seen.resize_with(i + 1, || None);
        }
        if let Some(set) = ex.header_set() {
            named.push((id, set));
        }
        let body = ex.carries_body();
        let summary = ex.summary().pack();
        let s = seen[i].get_or_insert(Seen {
            live: false,
            token: None,
            summary,
            size: 0,
        });
        s.summary = summary;
        s.live = ex.live();
        s.token = ex.token();
        if body {
            s.size += len as u64;
        }
        index.set(id, start);
    }
    out.warnings.extend(explain.warnings(path));
    named.retain(|(_, set)| sets.get(*set).is_none());
    out.warnings.extend(missing_sets(path, &named));
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
            match exchange_at(&file, place, &sets) {
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
    Ok((renumbered, sets, out))
}

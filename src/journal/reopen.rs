//! Reopening a journal: the index beside it replayed (see `sidecar`), then the lines written
//! after its last checkpoint read (see `scan`).

use super::compact::HeaderSets;
use super::reading::Index;
use super::scan::{Scan, Scanned};
use super::sidecar;
use std::path::Path;

/// Reads a journal line by line without keeping it: where each exchange's lines are, and
/// whether it is live, replaying what its index (see `sidecar`) holds and reading only the
/// lines after the index's last checkpoint. Then loads whole the live exchanges and the
/// newest ones that fit `budget` bytes; the others stay on disk. Also gives where the index
/// goes on from.
pub(super) fn scan(
    path: &Path,
    budget: usize,
) -> Result<(Index, HeaderSets, Scanned, sidecar::Resume), String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((
                Index::default(),
                HeaderSets::default(),
                Scanned::default(),
                sidecar::Resume::default(),
            ));
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut scan = Scan::default();
    let (resume, said) = sidecar::replay(path, &file, &mut scan);
    scan.read_to_end(path, &file)?;
    let (index, sets, mut out) = scan.finish(path, &file, budget);
    out.warnings.extend(said);
    Ok((index, sets, out, resume))
}

//! One writer per session: who holds a session file's lock, and whether one is open elsewhere;
//! and the format a file was written in, read before anything is appended.

use super::{Deserialize, Path};
use crate::platform::holder;
use std::io::Read as _;

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
pub(super) fn first_format(path: &Path) -> Option<u32> {
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

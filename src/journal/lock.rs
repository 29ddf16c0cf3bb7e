//! One writer per session: who holds a session file's lock, and whether one is open elsewhere;
//! and the format a file was written in, read before anything is appended.

use super::*;

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
pub(super) fn lock_holder_pid(path: &Path) -> Option<u32> {
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

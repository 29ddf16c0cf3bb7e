//! What differs between the platforms ActionBench runs on, in one place, with a branch for
//! each of Linux, macOS and Windows (every one compiles; `scripts/windows-check` builds and
//! runs the Windows one under Wine), and a sentence for what a platform cannot do:
//!
//! | what | Linux | macOS | Windows |
//! |---|---|---|---|
//! | a stop asked for | Ctrl-C, SIGTERM | Ctrl-C, SIGTERM | Ctrl-C, Ctrl-Break, the console closed, log-off, shutdown |
//! | who holds a session's lock | its pid and command line (`/proc/locks`) | not told | not told |
//! | a private key file | made 0600 in a 0700 folder; refused if others can read it | the same | the user's profile folder's access rules (no mode bits to check) |
//! | the journal's file replaced under it | noticed (device and inode) | noticed | a removed file noticed; a replaced one not (no stable file id in Rust's std) |
//! | reading at an offset | `pread` | `pread` | `ReadFile` at an offset |
//! | folders | `~/.config/actionbench`, `~/.local/share/actionbench`, `$TMPDIR` or `/tmp` | `~/Library/Application Support/actionbench`, `$TMPDIR` | `%APPDATA%\actionbench\config` and `\data`, `%TEMP%` |
//!
//! The folders come from the `directories` crate (the config and data folders) and the
//! standard library (`std::env::temp_dir`), which follow each platform's own rules.

use std::path::Path;

/// Waits until a stop is asked for: Ctrl-C, or SIGTERM on Linux and macOS; Ctrl-C, Ctrl-Break,
/// the console window closed, the user logging off or the system shutting down on Windows.
/// `serve` and the window then stop cleanly (held calls get 503, the journal is written).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows;
        let (brk, close, logoff, shutdown) = (
            windows::ctrl_break(),
            windows::ctrl_close(),
            windows::ctrl_logoff(),
            windows::ctrl_shutdown(),
        );
        match (brk, close, logoff, shutdown) {
            (Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = brk.recv() => {}
                    _ = close.recv() => {}
                    _ = logoff.recv() => {}
                    _ = shutdown.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Who holds the lock on session file `path`, as well as this platform can tell: the process
/// and its command line on Linux; elsewhere "another process", saying that the platform does
/// not tell which.
pub fn holder(path: &Path) -> String {
    match lock_holder_pid(path) {
        Ok(pid) => match command_line(pid) {
            Some(c) => format!("process {pid} ({c})"),
            None => format!("process {pid}"),
        },
        Err(why) => format!("another process ({why})"),
    }
}

/// The process holding a `flock` on `path`, or why it cannot be told.
fn lock_holder_pid(path: &Path) -> Result<u32, &'static str> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let unknown = "it is not in the kernel's lock table";
        let ino = std::fs::metadata(path).map_err(|_| unknown)?.ino();
        let locks = std::fs::read_to_string("/proc/locks").map_err(|_| unknown)?;
        // "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF"
        locks
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                let (kind, pid, dev) = (f.get(1)?, f.get(4)?, f.get(5)?);
                let file_ino: u64 = dev.rsplit(':').next()?.parse().ok()?;
                (*kind == "FLOCK" && file_ino == ino)
                    .then(|| pid.parse().ok())
                    .flatten()
            })
            .ok_or(unknown)
    }
    #[cfg(target_os = "macos")]
    {
        let _ = path;
        Err("macOS does not say which process holds a file lock")
    }
    #[cfg(windows)]
    {
        let _ = path;
        Err("Windows does not say which process holds a file lock")
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        let _ = path;
        Err("this platform does not say which process holds a file lock")
    }
}

/// Process `pid`'s command line, where the platform shows it (Linux's `/proc`).
fn command_line(pid: u32) -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .ok()
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .split('\0')
                    .filter(|a| !a.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|c| !c.is_empty())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

/// Refuses a private key file others can read (Linux and macOS: any group or other bit). On
/// Windows there are no mode bits: the key is as private as the user profile folder holding
/// it, whose access rules are the user's alone unless someone changed them.
#[cfg(unix)]
pub fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{} can be read by others (mode {mode:03o}): a private key must be 0600. Run `chmod 600 {}`, or delete it to make a new one",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private(path: &Path) -> Result<(), String> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Makes the key's folder: 0700 on Linux and macOS; on Windows, a folder that inherits the
/// user profile's access rules.
#[cfg(unix)]
pub fn create_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot make {}: {e}", dir.display()))
}

#[cfg(not(unix))]
pub fn create_private_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))
}

/// Writes a new private file: 0600 from the start on Linux and macOS (never readable by
/// others, even for a moment); on Windows, with the folder's access rules. An existing file is
/// never overwritten.
#[cfg(unix)]
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(not(unix))]
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A file's identity (device and inode on Linux and macOS), to tell whether the file at a
/// path is still the one open; `None` on Windows, where Rust's standard library has no stable
/// file id (a removed file is still noticed there: its path no longer opens).
pub fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Reads at an offset without moving a shared cursor (so readers need no lock).
pub fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(f, buf, at)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(f, buf, at)
    }
}

/// Asks the allocator the binary ships with (mimalloc, linked on every platform by the
/// `mimalloc` crate) to give back to the system what it holds free. Reopening a large session
/// frees tables of a million entries; without it their pages stay resident as the allocator's
/// slack (60 MB at a million exchanges, measured by `benches/window.rs`), and a large block
/// allocated next may reuse them and be zeroed by hand rather than come fresh from the system.
/// Harmless under another global allocator: mimalloc's own heaps are then empty.
pub fn give_back_memory() {
    collect()
}

/// How many times [`give_back_when_idle`] was asked, and on each thread how many of those it
/// has carried out.
static COLLECTS_ASKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
thread_local! {
    static COLLECTS_DONE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Asks each thread of the runtime to give back what its allocator holds free, the next time
/// it has nothing to do. mimalloc keeps each thread's freed pages until that thread purges
/// them, which an idle thread never does: a collect from one thread leaves the others'.
pub fn give_back_when_idle() {
    COLLECTS_ASKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Called by each runtime thread as it goes idle: carries out a collect asked for since it last
/// looked (a load and a compare when none was).
pub fn on_idle() {
    let asked = COLLECTS_ASKED.load(std::sync::atomic::Ordering::Relaxed);
    if COLLECTS_DONE.with(|d| d.replace(asked)) != asked {
        collect();
    }
}

fn collect() {
    // Links mimalloc's C library into every binary of this crate (tests too), whichever
    // allocator the binary uses: `mi_collect` below is its.
    extern crate mimalloc as _;
    unsafe extern "C" {
        fn mi_collect(force: bool);
    }
    // SAFETY: mimalloc's own entry point; it takes no pointer and may be called at any time
    // from any thread.
    unsafe { mi_collect(true) }
}

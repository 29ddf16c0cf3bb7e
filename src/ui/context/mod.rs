//! What every panel and the window's compositor share, below both (as the rerun viewer keeps
//! its viewer context in a crate below every view): the read-only view context, the command
//! sender and the commands, the window's copy of the log, the core handles and the file
//! dialog service's types. It imports nothing of the app or the panels.

use super::list::List;
use crate::domain::assumptions::Assumptions;
use crate::domain::flow::LoadedFlow;
use crate::domain::invocation::{Exchange, ExchangeId};
use crate::domain::sample::LoadedSample;
use crate::engine::{ActionSchemas, Engine};
use crate::play::automation::{FlowEvent, RunHandle};
use crate::play::{Player, Target};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

mod command;
mod core;
pub mod panel_commands;
mod picker;

pub use self::core::{Core, Folders, RunView, Session};
pub use command::{Command, CommandSender, ListFocus, PresenterAction, Window};
pub use panel_commands::{LeftTab, PanelCmd};

pub use picker::{Asked, Picked, RfdPicker, SamplePicker};

/// The window's copy of the engine's log, and what it learnt from it.
#[derive(Default)]
pub struct Mirror {
    pub log: List,
    pub held: BTreeSet<ExchangeId>,
    pub waiting: BTreeSet<ExchangeId>,
    /// The action keys the window lists (from the samples and the calls that came); how each
    /// is answered is the engine's to say.
    pub keys: BTreeSet<String>,
    /// Every action key seen, for the filter.
    pub seen_keys: BTreeSet<String>,
    /// Bumped whenever an exchange in the copy changes.
    pub log_version: u64,
    /// The exchange last read back from the journal for a row that stands in for it.
    pub read_back: std::cell::RefCell<Option<Exchange>>,
}

impl Mirror {
    /// Exchange `id` whole: from the list, or read back from the journal through `engine`
    /// when the list holds only its summary.
    pub fn whole(&self, engine: &Engine, id: ExchangeId) -> Option<Exchange> {
        let ex = self.log.get((id as usize).checked_sub(1)?)?;
        if !ex.is_summary() {
            return Some(ex.into_owned());
        }
        // The last one read back is kept: the detail pane asks every frame. It cannot go
        // stale: any change to the exchange puts it whole in the list.
        if let Some(kept) = self.read_back.borrow().as_ref().filter(|k| k.id == id) {
            return Some(kept.clone());
        }
        // One the journal cannot give back (an id with no line: a call not recorded) shows
        // what its summary says.
        let Some(whole) = engine.exchange(id) else {
            return Some(ex.into_owned());
        };
        *self.read_back.borrow_mut() = Some(whole.clone());
        Some(whole)
    }
}

/// What every panel may read while it draws or handles its commands (shared, read-only), the
/// services it may use (the runtime for background jobs, the clipboard), and where it sends the
/// commands for everything else.
pub struct ViewCtx<'a> {
    pub core: &'a Core,
    pub mirror: &'a Mirror,
    pub selected: Option<ExchangeId>,
    /// The list ↑/↓ move in (the last one clicked).
    pub keys_to: ListFocus,
    /// Simulated time and real time; how much faster simulated time runs and the protocol
    /// assumptions, as the engine has them.
    pub now: DateTime<Utc>,
    pub real_now: DateTime<Utc>,
    pub warp: u32,
    pub assumptions: Assumptions,
    pub runs: &'a [RunView],
    /// The flow presenter mode waits to present when your app's event starts it.
    pub awaiting: Option<&'a str>,
    pub open: OpenWindows,
    /// Whether the envelope lab is running, and whether it has results to show.
    pub lab: LabState,
    pub tx: &'a CommandSender,
    pub egui: &'a egui::Context,
}

/// The envelope lab as the other panels see it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LabState {
    pub running: bool,
    pub done: bool,
}

impl ViewCtx<'_> {
    /// Exchange `id` whole (read back from the journal if it is on disk).
    pub fn whole(&self, id: ExchangeId) -> Option<Exchange> {
        self.mirror.whole(&self.core.engine, id)
    }

    /// Runs `job` on the runtime; the command it ends with is applied when it is done.
    pub fn spawn(&self, job: impl std::future::Future<Output = Command> + Send + 'static) {
        let tx = self.tx.clone();
        self.core
            .runtime
            .spawn(async move { tx.send_and_wake(job.await) });
    }

    /// Runs `job` on the runtime's blocking pool (files, long work); likewise.
    pub fn spawn_blocking(&self, job: impl FnOnce() -> Command + Send + 'static) {
        let tx = self.tx.clone();
        self.core
            .runtime
            .spawn_blocking(move || tx.send_and_wake(job()));
    }

    /// A line for the status bar; `error`: said as one.
    pub fn say(&self, what: impl Into<String>, error: bool) {
        self.tx.send(Command::Status(what.into(), error));
    }

    /// Your action, from the shared target the form sets, or what to fix in the form.
    pub fn target(&self) -> Result<Target, String> {
        match self
            .core
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            Some(t) => Ok(t),
            None => Err("Give your action's base URL (Your action, above)".into()),
        }
    }
}

/// Which windows are open.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenWindows {
    pub key: bool,
    pub sessions: bool,
    pub lab: bool,
}

/// A file asked for: the system dialog, or (where none can open) the path field. The asking
/// panel says where it starts and what to do with the path chosen.
pub struct FileAsk {
    /// The dialog's title ("Save as sample").
    pub title: &'static str,
    /// A file to write (else one to open).
    pub saves: bool,
    /// Where it starts: a folder (to open), or the file suggested (to write).
    pub start: PathBuf,
    /// The command that does it with the path chosen.
    pub then: Box<dyn FnOnce(PathBuf) -> Command + Send>,
}

impl std::fmt::Debug for FileAsk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileAsk({:?}, {})", self.title, self.start.display())
    }
}

impl FileAsk {
    /// A file to open, starting in folder `dir`.
    pub fn open(
        title: &'static str,
        dir: PathBuf,
        then: impl FnOnce(PathBuf) -> Command + Send + 'static,
    ) -> FileAsk {
        FileAsk {
            title,
            saves: false,
            start: dir,
            then: Box::new(then),
        }
    }

    /// A file to write, `suggested` its path.
    pub fn save(
        title: &'static str,
        suggested: PathBuf,
        then: impl FnOnce(PathBuf) -> Command + Send + 'static,
    ) -> FileAsk {
        FileAsk {
            title,
            saves: true,
            start: suggested,
            then: Box::new(then),
        }
    }

    /// Where to share run `run` of `flow` as a page: `<flow>-run-<time>.html` here.
    pub fn share_run(run: usize, flow: &crate::domain::flow::LoadedFlow) -> FileAsk {
        let stem = flow
            .path
            .as_ref()
            .and_then(|f| f.file_stem())
            .map(|s| format!("{}-run", s.to_string_lossy()))
            .unwrap_or_else(|| "flow-run".into());
        FileAsk::save("Share as HTML", here_stamped(&stem, "html"), move |path| {
            Command::ShareRun(run, path)
        })
    }
}

/// A file named by the time in the current folder (`actionbench-20261203-101500.har`).
pub fn here_stamped(stem: &str, ext: &str) -> PathBuf {
    std::env::current_dir().unwrap_or_default().join(format!(
        "{stem}-{}.{ext}",
        Utc::now().format("%Y%m%d-%H%M%S")
    ))
}

/// "Your action": where the developer's provider listens, who Wix calls it for, how sends
/// start, and the envelope lab.
/// The "Your action" settings as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetForm {
    pub base: String,
    pub app_id: String,
    pub instance_id: String,
    pub jwt: bool,
    pub timeout_secs: f64,
}

impl TargetForm {
    /// A form from the flags; a missing instance ID gets one for the whole session.
    pub fn new(base: Option<&str>, app_id: Option<&str>, instance_id: Option<&str>) -> TargetForm {
        TargetForm {
            base: base.unwrap_or("").to_string(),
            app_id: app_id.unwrap_or("").to_string(),
            instance_id: instance_id
                .map(str::to_string)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            jwt: app_id.is_some(),
            timeout_secs: crate::play::caller::DEFAULT_TIMEOUT.as_secs_f64(),
        }
    }

    /// The target, or what to fix.
    pub fn target(&self) -> Result<Target, String> {
        if self.base.trim().is_empty() {
            return Err("Give your action's base URL".into());
        }
        Target::new(
            &self.base,
            Some(&self.app_id),
            Some(&self.instance_id),
            self.jwt,
            Duration::from_secs_f64(self.timeout_secs.max(0.1)),
        )
    }
}

/// Writes `bytes` to `path`, making its folder first if there is none yet.
pub fn write_creating(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| e.to_string())
}

/// What the status bar says of a page shared.
pub fn shared(path: &Path, what: &str, bytes: usize) -> String {
    format!(
        "Shared {what} as {} ({} KB, one file: it opens offline in any browser; secrets left out)",
        path.display(),
        bytes.div_ceil(1024)
    )
}

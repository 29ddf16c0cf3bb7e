//! What every panel and the window's compositor share, below both (as the rerun viewer keeps
//! its viewer context in a crate below every view): the read-only view context, the command
//! sender and the commands, the window's copy of the log, the core handles and the file
//! dialog service's types. It imports nothing of the app or the panels.

use super::list::List;
use super::presenter;
use crate::domain::assumptions::Assumptions;
use crate::domain::definition::Definition;
use crate::domain::flow::LoadedFlow;
use crate::domain::invocation::{Exchange, ExchangeId};
use crate::domain::sample::LoadedSample;
use crate::domain::wire::CompletionReport;
use crate::engine::{ActionSchemas, Engine, Policy, Reply};
use crate::play::automation::{FlowEvent, RunHandle};
use crate::play::sender::SendOutcome;
use crate::play::{LabRow, NotSent, Player, Sent, Target};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

mod command;
mod core;
mod picker;

pub use self::core::{Core, Folders, RunView, Session};
pub use command::{Command, CommandSender, ListFocus, Window};
pub use picker::{Asked, Picked, RfdPicker, SamplePicker};

/// The window's copy of the engine's log, and what it learnt from it.
#[derive(Default)]
pub struct Mirror {
    pub log: List,
    pub held: BTreeSet<ExchangeId>,
    pub waiting: BTreeSet<ExchangeId>,
    /// Each action key's policy, as the window last set it.
    pub keys: BTreeMap<String, Policy>,
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
        let whole = engine.exchange(id)?;
        *self.read_back.borrow_mut() = Some(whole.clone());
        Some(whole)
    }
}

/// What every panel may read while it draws (shared, read-only), and where it sends the
/// commands for everything else.
pub struct ViewCtx<'a> {
    pub core: &'a Core,
    pub mirror: &'a Mirror,
    pub selected: Option<ExchangeId>,
    /// The list ↑/↓ move in (the last one clicked).
    pub keys_to: ListFocus,
    /// Simulated time, real time, and how much faster simulated time runs.
    pub now: DateTime<Utc>,
    pub real_now: DateTime<Utc>,
    pub warp: u32,
    pub assumptions: Assumptions,
    pub runs: &'a [RunView],
    pub open: OpenWindows,
    /// Whether the envelope lab is running, and whether it has results to show.
    pub lab_running: bool,
    pub lab_done: bool,
    pub tx: &'a CommandSender,
}

impl ViewCtx<'_> {
    /// Exchange `id` whole (read back from the journal if it is on disk).
    pub fn whole(&self, id: ExchangeId) -> Option<Exchange> {
        self.mirror.whole(&self.core.engine, id)
    }
}

/// Which windows are open.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenWindows {
    pub key: bool,
    pub sessions: bool,
    pub lab: bool,
}

/// What a file is asked for.
#[derive(Clone, Debug)]
pub enum FileTask {
    OpenSample,
    OpenFlow,
    /// The published file of action definition `i`, to compare it with.
    Published(usize),
    /// A sample to write (its JSON), under a suggested file name.
    SaveSample {
        name: String,
        sample: Arc<serde_json::Value>,
    },
    /// The rows the log shows, as HAR.
    ExportHar,
    /// Flow run `i` as one HTML page.
    ShareRun(usize),
    /// The rows the log shows as one HTML page.
    ShareLog,
}

impl FileTask {
    /// The dialog's title.
    pub fn title(&self) -> &'static str {
        match self {
            FileTask::OpenSample => "Open sample",
            FileTask::OpenFlow => "Open flow",
            FileTask::Published(_) => "Published action definition",
            FileTask::SaveSample { .. } => "Save as sample",
            FileTask::ExportHar => "Export HAR",
            FileTask::ShareRun(_) | FileTask::ShareLog => "Share as HTML",
        }
    }

    /// Whether the task writes the file (else it reads one).
    pub fn saves(&self) -> bool {
        matches!(
            self,
            FileTask::SaveSample { .. }
                | FileTask::ExportHar
                | FileTask::ShareRun(_)
                | FileTask::ShareLog
        )
    }

    /// Where the dialog, or the path field, starts: the folder, and the file name suggested
    /// when a file is written (`runs`: the window's, whose flows name their pages).
    pub fn start(
        &self,
        folders: &Folders,
        definitions: &[(PathBuf, Definition)],
        runs: &[RunView],
    ) -> PathBuf {
        let here = |name: String| std::env::current_dir().unwrap_or_default().join(name);
        let stamp = || Utc::now().format("%Y%m%d-%H%M%S").to_string();
        match self {
            FileTask::ShareRun(i) => {
                let stem = runs
                    .get(*i)
                    .and_then(|r| r.flow.path.as_ref())
                    .and_then(|p| p.file_stem())
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "flow".into());
                here(format!("{stem}-run-{}.html", stamp()))
            }
            FileTask::ShareLog => here(format!("actionbench-{}.html", stamp())),
            FileTask::OpenSample => folders.samples.clone(),
            FileTask::OpenFlow => folders.flows.clone(),
            FileTask::Published(i) => definitions
                .get(*i)
                .and_then(|(p, _)| p.parent())
                .and_then(|d| std::path::absolute(d).ok())
                .unwrap_or_else(|| folders.actions.clone()),
            FileTask::SaveSample { name, .. } => folders.samples.join(name),
            FileTask::ExportHar => std::env::current_dir().unwrap_or_default().join(format!(
                "actionbench-{}.har",
                Utc::now().format("%Y%m%d-%H%M%S")
            )),
        }
    }
}

/// The path field shown where no file dialog can open: the task, why there is no dialog,
/// the path as typed, and what is wrong with it.
#[derive(Clone, Debug)]
pub struct PathPrompt {
    pub task: FileTask,
    pub why: String,
    pub text: String,
    pub error: Option<String>,
    /// The file typed exists: the next press replaces it.
    pub replace: bool,
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

/// How a send to the action starts, as `activationSourceInfo` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceChoice {
    Trigger,
    TestRun,
    ManualRun,
    Rerun,
}

impl SourceChoice {
    pub const ALL: [SourceChoice; 4] = [
        SourceChoice::Trigger,
        SourceChoice::TestRun,
        SourceChoice::ManualRun,
        SourceChoice::Rerun,
    ];
    pub fn label(self) -> &'static str {
        match self {
            SourceChoice::Trigger => "Trigger event",
            SourceChoice::TestRun => "Manual run, test mode",
            SourceChoice::ManualRun => "Manual run",
            SourceChoice::Rerun => "Rerun of the selected",
        }
    }
}

/// Which list the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftTab {
    Samples,
    Flows,
    Actions,
}

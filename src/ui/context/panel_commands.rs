//! Each panel's own commands, and the one closed enum that carries them to it: the router
//! matches it exhaustively, so a command no panel handles does not compile. They live below
//! the views (the context imports no view; every view imports the context), each panel's
//! enum named for its panel; the panels re-export their own.

use crate::domain::assumptions::Assumptions;
use crate::domain::definition::LintFinding;
use crate::domain::invocation::ExchangeId;
use crate::engine::Policy;
use crate::play::generate::Report;
use crate::play::sender::SendOutcome;
use crate::play::{LabRow, NotSent, Sent};
use crate::ui::context::TargetForm;
use std::path::PathBuf;

// From ui/panels/log/mod.rs.
/// What the log is asked to do.
#[derive(Debug)]
pub enum LogCmd {
    /// Show only this activation's calls.
    FilterActivation(String),
    /// Write the rows shown as HAR here.
    ExportHar(std::path::PathBuf),
    /// Write the rows shown as one HTML page here; `true`: secrets left out.
    Share(std::path::PathBuf, bool),
}

// From ui/panels/detail.rs.
/// What the detail pane is asked to do.
#[derive(Debug)]
pub enum DetailCmd {
    /// Send this answer to held call `id`.
    Answer(ExchangeId, crate::engine::Reply),
    /// Report completion of waiting invocation `id`.
    Report(ExchangeId, crate::domain::wire::CompletionReport),
    CopyCurl(ExchangeId),
    SaveAsSample(ExchangeId),
    /// Hold call `id` longer: its answer is still being written.
    KeepHolding(ExchangeId),
    /// Let go of the draft that was not sent for call `id`.
    Dismiss(ExchangeId),
}

// From ui/panels/diff.rs.
/// What the diff window is asked to do.
#[derive(Debug)]
pub enum DiffCmd {
    /// Compare exchange `id` with the next one selected.
    CompareFrom(ExchangeId),
    /// Exchange `id` was selected.
    Selected(ExchangeId),
}

// From ui/panels/lab.rs.
/// What the envelope lab is asked to do.
#[derive(Debug)]
pub enum LabCmd {
    /// Send the wrong envelopes, built from sample `i`, to your action.
    Run(usize),
    Done(Result<Vec<LabRow>, String>),
}

// From ui/panels/left/mod.rs.
/// What the left panel is asked to do.
#[derive(Debug)]
pub enum LeftCmd {
    ShowTab(LeftTab),
    /// The sample read from this file joined the list: the Samples tab shows it.
    RevealSample(std::path::PathBuf),
    /// The form for your action, as restored from the settings.
    SetForm(TargetForm),
    /// The form changed: the target forward mode and flows use follows it.
    FormChanged,
    /// Post sample `i` to the inbox.
    SendSample(usize),
    /// Send sample `i` to your action; `true`: even though its params are invalid.
    SendToTarget(usize, bool),
    /// A sample posted to the inbox was answered, or not.
    SampleSent {
        name: String,
        result: Result<SendOutcome, String>,
    },
    /// A sample sent to your action, or why not.
    TargetSent {
        name: String,
        result: Result<Sent, NotSent>,
    },
    SetPolicy(String, Policy),
    SetAssumptions(Assumptions),
    /// Host names the inbox answers besides loopback ones.
    SetHosts(Vec<String>),
}

// From ui/panels/left/actions.rs.
/// What the Actions tab is asked to do.
#[derive(Debug)]
pub enum ActionsCmd {
    /// Generated calls of definition `action` to your action.
    Generate {
        action: usize,
        n: usize,
        seed: u64,
    },
    Generated(Box<Result<Report, String>>),
    /// Save failure group `g` of the last generated run as a sample.
    SaveGenerated(usize),
    /// Compare definition `i` with the published one at this path.
    Published(usize, PathBuf),
    PublishedLoaded(usize, Result<Vec<LintFinding>, String>),
}

// From ui/panels/left/triggers.rs.
/// The Triggers tab's own commands.
#[derive(Debug)]
pub enum TriggersCmd {
    /// Try your provider for this trigger finished.
    Tried(String, Result<Vec<Tried>, String>),
}

// From ui/panels/left/triggers.rs.
/// One call of Try your provider: the method, the answer's status, and what is wrong with it.
#[derive(Clone, Debug)]
pub struct Tried {
    pub method: &'static str,
    pub status: Option<u16>,
    /// Findings as lines, errors first; empty when the answer meets the contract.
    pub errors: Vec<String>,
    pub notes: Vec<String>,
    pub exchange: Option<crate::domain::invocation::ExchangeId>,
}

// The left panel's, carried by its commands.
/// Which list the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftTab {
    Samples,
    Flows,
    Actions,
    Triggers,
}

/// A panel's own command, for the panel whose it is.
#[derive(Debug)]
pub enum PanelCmd {
    Log(LogCmd),
    Detail(DetailCmd),
    Diff(DiffCmd),
    Lab(LabCmd),
    Left(LeftCmd),
    Actions(ActionsCmd),
    Triggers(TriggersCmd),
}

impl PanelCmd {
    pub fn new(cmd: impl Into<PanelCmd>) -> PanelCmd {
        cmd.into()
    }
}

macro_rules! into_panel_cmd {
    ($($cmd:ident => $variant:ident),* $(,)?) => {
        $(impl From<$cmd> for PanelCmd {
            fn from(c: $cmd) -> PanelCmd {
                PanelCmd::$variant(c)
            }
        })*
    };
}

into_panel_cmd!(
    LogCmd => Log,
    DetailCmd => Detail,
    DiffCmd => Diff,
    LabCmd => Lab,
    LeftCmd => Left,
    ActionsCmd => Actions,
    TriggersCmd => Triggers,
);

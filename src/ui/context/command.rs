//! Commands: everything a panel, the logic step or a background job wants done that is not its
//! own state. They go through one clonable sender and are applied after the pass by one
//! dispatcher ([`App::run_commands`](super::App)), which drains the queue until it is empty, so
//! a command that sends another (presenter mode's A sends an answer) takes effect in the same
//! frame.

use super::*;

/// What a click, a key, the logic step or a background job asks for; applied after the pass.
#[derive(Debug)]
pub enum Command {
    Select(ExchangeId),
    /// Select this exchange unless one is selected (a held call arriving).
    SelectIfNone(ExchangeId),
    Answer(ExchangeId, Reply),
    Report(ExchangeId, CompletionReport),
    SetPolicy(String, Policy),
    SetWarp(u32),
    BackToNow,
    SetAssumptions(Assumptions),
    /// Host names the inbox answers besides loopback ones.
    SetAllowedHosts(Vec<String>),
    SendSample(usize),
    /// Send sample `i` to the developer's action; `true`: even though its params are invalid.
    SendToTarget(usize, bool),
    RunLab(usize),
    /// Ask where a file is (the dialog, or the path field where none can open).
    AskFile(FileTask),
    /// The path chosen for a file task: do it.
    FileChosen(FileTask, PathBuf),
    /// No dialog can open (why): show the path field for the task.
    PathField(FileTask, String),
    ClosePathField,
    /// Run flow `i`; `true`: step by step, in presenter mode.
    RunFlow(usize, bool),
    /// Present run `i`.
    Present(usize),
    StopRun(usize),
    Presenter(presenter::Action),
    CopyCurl(ExchangeId),
    /// Mark an exchange to compare with the next one selected.
    CompareFrom(ExchangeId),
    SaveAsSample(ExchangeId),
    /// Your action's form, as restored from the settings.
    SetTargetForm(TargetForm),
    SetDark(bool),
    ShowTab(LeftTab),
    /// Your action's target changed (forward mode and flow runs read it from the core).
    SetTarget(Option<Target>),
    PublishedLoaded(
        usize,
        Result<Vec<crate::domain::definition::LintFinding>, String>,
    ),
    /// Generated calls of action definition `action` to your action.
    GenerateCalls {
        action: usize,
        n: usize,
        seed: u64,
    },
    GeneratedDone(Box<Result<crate::play::generate::Report, String>>),
    /// Save failure group `i` of the last generated run as a sample.
    SaveGenerated(usize),
    /// The log shows only this activation's calls.
    FilterActivation(String),
    /// Which list ↑/↓ move in (the last one clicked).
    KeysTo(ListFocus),
    ToggleWindow(Window),
    ShowWindow(Window, bool),
    /// Another ActionBench window, with these arguments.
    OpenNewWindow(Vec<String>),
    // What background jobs report back.
    /// A sample sent to the inbox was answered, or not.
    SampleSent {
        name: String,
        result: Result<SendOutcome, String>,
    },
    /// A sample file read (opened, dropped, saved), or why not.
    SampleOpened(Box<Result<LoadedSample, String>>),
    /// A sample file written (where), and read back as any sample is, or why not.
    SampleSaved(PathBuf, Box<Result<LoadedSample, String>>),
    /// A flow file read (opened, dropped), or why not.
    FlowOpened(Box<Result<LoadedFlow, String>>),
    /// A file was written (a HAR export), or why not.
    Saved(Result<String, String>),
    /// A sample sent to the developer's action, or why not.
    TargetSent {
        name: String,
        result: Result<Sent, NotSent>,
    },
    LabDone(Result<Vec<LabRow>, String>),
    /// A line for the status bar; `true`: an error.
    Status(String, bool),
}

/// The lists whose selection ↑/↓ move: the one last clicked has the keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListFocus {
    #[default]
    Log,
    Held,
    Sessions,
}

/// The windows that open over the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Key,
    Sessions,
    Lab,
}

impl OpenWindows {
    pub fn get(&self, w: Window) -> bool {
        match w {
            Window::Key => self.key,
            Window::Sessions => self.sessions,
            Window::Lab => self.lab,
        }
    }

    pub fn set(&mut self, w: Window, open: bool) {
        match w {
            Window::Key => self.key = open,
            Window::Sessions => self.sessions = open,
            Window::Lab => self.lab = open,
        }
    }
}

/// Sends commands to the window: clonable, usable through `&` and from other threads (a
/// background job's result wakes the window).
#[derive(Clone)]
pub struct CommandSender {
    tx: Sender<Command>,
    ctx: egui::Context,
}

impl CommandSender {
    pub fn new(ctx: &egui::Context) -> (CommandSender, Receiver<Command>) {
        let (tx, rx) = channel();
        (
            CommandSender {
                tx,
                ctx: ctx.clone(),
            },
            rx,
        )
    }

    /// Queues `cmd` for after the pass (from the UI thread).
    pub fn send(&self, cmd: Command) {
        let _ = self.tx.send(cmd);
    }

    /// Queues `cmd` from another thread and wakes the window to apply it.
    pub fn send_and_wake(&self, cmd: Command) {
        let _ = self.tx.send(cmd);
        self.ctx.request_repaint();
    }
}

//! Commands: what a click, a key, the logic step or a background job asks of the window that is
//! not the asker's own state. They go through one clonable sender and are applied after the
//! pass, the queue drained until it is empty. A panel's own commands travel as
//! [`Command::Panel`] and are handled by the panel; the rest are the window's, global to it.

use super::{
    Arc, ExchangeId, FileAsk, LoadedFlow, LoadedSample, OpenWindows, PanelCmd, PathBuf, Receiver,
    Sender, channel,
};

/// What is asked of the window; applied after the pass.
#[derive(Debug)]
pub enum Command {
    Select(ExchangeId),
    /// Select this exchange unless one is selected (a held call arriving).
    SelectIfNone(ExchangeId),
    /// Which list ↑/↓ move in (the last one clicked).
    KeysTo(ListFocus),
    /// A line for the status bar; `true`: an error.
    Status(String, bool),
    /// A file was written (what the status bar says), or why not.
    Saved(Result<String, String>),
    ToggleWindow(Window),
    ShowWindow(Window, bool),
    /// Another ActionBench window, with these arguments.
    OpenNewWindow(Vec<String>),
    SetDark(bool),
    SetWarp(u32),
    BackToNow,
    /// Run flow `i`; `true`: step by step, in presenter mode.
    RunFlow(usize, bool),
    /// Present run `i`.
    Present(usize),
    /// Present the next run of flow `i` that your app's event starts (None: stop waiting).
    AwaitEvent(Option<usize>),
    StopRun(usize),
    Presenter(PresenterAction),
    // What one panel asks of another goes through here, never from panel to panel.
    /// Post sample `i` to the inbox (the first screen's Send).
    SendSample(usize),
    /// Run the envelope lab against your action, `i`: which send source.
    RunLab(usize),
    /// Compare this exchange with the next one selected.
    CompareFrom(ExchangeId),
    /// Show only this activation's calls in the log.
    FilterActivation(String),
    /// Run `i` as one HTML page, written to the path.
    ShareRun(usize, PathBuf),
    /// Ask where a file is: the dialog, or the path field where none can open.
    AskFile(FileAsk),
    /// No dialog could open (why): the path field for what is asked.
    PathField(FileAsk, String),
    ClosePathField,
    /// Read a sample file, or a flow file, into the lists.
    LoadSample(PathBuf),
    LoadFlow(PathBuf),
    /// Ask where to save a sample (its JSON, a name suggested), in the samples folder.
    SaveSample {
        name: String,
        sample: Arc<serde_json::Value>,
    },
    /// Write a sample there, and read it back into the list.
    WriteSample(PathBuf, Arc<serde_json::Value>),
    /// A sample file read (opened, dropped), or why not.
    SampleOpened(Box<Result<LoadedSample, String>>),
    /// A sample file written (where), and read back as any sample is, or why not.
    SampleSaved(PathBuf, Box<Result<LoadedSample, String>>),
    /// A flow file read (opened, dropped), or why not.
    FlowOpened(Box<Result<LoadedFlow, String>>),
    /// A panel's own command (see [`PanelCmd`]).
    Panel(PanelCmd),
}

/// What a key press asks of presenter mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresenterAction {
    /// Space or →: the next event, or the next step of a step-by-step run.
    Next,
    Back,
    Leave,
    ToggleFullscreen,
    ToggleTheme,
    ToggleJson,
    /// + and -: time runs faster or slower (the window's time warp steps).
    Faster,
    Slower,
    /// A: a step held for the presenter gets its saved answer.
    AnswerSaved,
    /// S: the run as one HTML file, to share.
    Share,
}

/// The windows that open over the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Key,
    Sessions,
    Lab,
}

/// The lists whose selection ↑/↓ move: the one last clicked has the keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListFocus {
    #[default]
    Log,
    Held,
    Sessions,
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

    /// Queues a panel's own command for it.
    pub fn panel(&self, cmd: impl Into<PanelCmd>) {
        self.send(Command::Panel(cmd.into()));
    }

    /// Queues `cmd` from another thread and wakes the window to apply it.
    pub fn send_and_wake(&self, cmd: Command) {
        let _ = self.tx.send(cmd);
        self.ctx.request_repaint();
    }
}

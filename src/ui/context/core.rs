//! What the window is given and keeps beside its panels: the core handles, the session, the
//! flow runs it follows, the form for your action, and where a sent sample says it came from.

use super::{
    ActionSchemas, Arc, Engine, Exchange, FlowEvent, LoadedFlow, LoadedSample, PathBuf, Player,
    RunHandle, SamplePicker, Target, TargetForm,
};

/// What the window is given: handles to the core, never its internals.
pub struct Core {
    pub engine: Arc<Engine>,
    pub runtime: tokio::runtime::Handle,
    /// Where the inbox listens, as a URL.
    pub inbox_url: String,
    /// Shown in red when the inbox listens beyond loopback.
    pub remote_warning: Option<String>,
    pub samples: Vec<LoadedSample>,
    pub sample_errors: Vec<String>,
    pub picker: Arc<dyn SamplePicker>,
    /// ActionBench's public key PEM (it signs requests when playing Wix), or why there is none.
    pub public_key: Result<String, String>,
    /// Plays Wix against the developer's action (sends, the lab).
    pub player: Player,
    /// The target forward mode relays to: the window keeps it in step with its form.
    pub target: Arc<std::sync::RwLock<Option<Target>>>,
    /// The target form's starting values (from --target, --app-id, --instance-id).
    pub target_form: TargetForm,
    /// The flow files of the Flows panel, and those that failed to load (why).
    pub flows: Vec<LoadedFlow>,
    /// The action definitions (--actions DIR), for the Actions tab.
    pub definitions: crate::domain::definition::Definitions,
    pub flow_errors: Vec<String>,
    /// A flow to present at once (`--present FLOW`).
    pub present: Option<LoadedFlow>,
    /// The session journal this window records to, if any.
    pub session: Option<Session>,
    /// Where the window's files live: samples, flows, definitions, sessions.
    pub folders: Folders,
    /// The port the inbox was asked to listen on (saved with the settings; 0: any free one).
    pub port: u16,
    /// The flows as automations answering the events apps report, when they do.
    pub automations: Option<Arc<crate::play::automations::LocalAutomations>>,
    /// The samples, flows, definitions and triggers folders, watched: what changes on disk
    /// is read again and shown.
    pub watching: Option<Arc<crate::startup::reload::Watching>>,
    /// How many coding agents are connected to the inbox's MCP server (`/mcp`).
    pub agents: Option<crate::startup::Connected>,
}

impl Core {
    /// The window's core from what a start started, as `args` describe it; `port` is the one
    /// the inbox was asked for (saved with the settings), `picker` the file dialog.
    pub fn new(
        s: &crate::startup::Started,
        args: &crate::startup::InboxArgs,
        picker: Arc<dyn SamplePicker>,
        port: u16,
    ) -> Core {
        // Whole paths: the path field shows where a file goes, whatever the current folder.
        let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
        Core {
            engine: s.engine.clone(),
            runtime: s.rt.handle().clone(),
            inbox_url: s.url().unwrap_or_default(),
            remote_warning: s.notes.iter().cloned().reduce(|a, b| format!("{a}; {b}")),
            samples: s.samples.clone(),
            sample_errors: s.sample_errors.clone(),
            picker,
            public_key: s.public_key.clone(),
            player: s.player.clone(),
            target: s.target.clone(),
            target_form: TargetForm::new(
                args.target.as_deref(),
                args.app_id.as_deref(),
                args.instance_id.as_deref(),
            ),
            flows: s.flows.clone(),
            definitions: s.definitions.clone(),
            flow_errors: s.flow_errors.clone(),
            present: s.present.clone(),
            session: s.session.clone(),
            folders: Folders {
                samples: absolute(args.samples_dir()),
                flows: absolute(args.flows_dir()),
                actions: absolute(args.actions_dir()),
                sessions: crate::journal::sessions_dir(),
            },
            port,
            automations: s.automations.clone(),
            watching: s.watching.clone(),
            agents: s.mounted.as_ref().map(|m| m.connected()),
        }
    }

    /// The schemas of `ex`'s action key (none for a call without one).
    pub fn schemas_for(&self, ex: &Exchange) -> ActionSchemas {
        ex.action_key
            .as_deref()
            .map(|k| self.engine.schemas(k))
            .unwrap_or_default()
    }
}

/// The folders the window reads its files from, and where file dialogs (or the path field
/// shown where no dialog can open) start.
#[derive(Clone, Debug, Default)]
pub struct Folders {
    /// The samples folder the Samples list was loaded from: a sample saved there is listed
    /// again after a restart.
    pub samples: PathBuf,
    pub flows: PathBuf,
    pub actions: PathBuf,
    /// The recent sessions' folder (the platform's data folder), if there is one.
    pub sessions: Option<PathBuf>,
}

/// The session journal the window records to (or reads, a shared page).
pub use crate::startup::Session;

/// A flow run the window follows.
pub struct RunView {
    pub handle: RunHandle,
    pub events: Vec<FlowEvent>,
    /// What the events tell (presenter mode draws it), kept in step with them.
    pub story: crate::domain::flow::Story,
    pub flow: std::sync::Arc<LoadedFlow>,
    /// Started step by step (presenter mode): each step waits for Space.
    pub step_by_step: bool,
    /// Started by your app's event, reported in this exchange.
    pub reported_in: Option<u64>,
    /// How many of its events it let go of (an old run keeps only its last).
    pub let_go: usize,
}

impl RunView {
    /// A run to follow from its start.
    pub fn new(
        flow: impl Into<std::sync::Arc<LoadedFlow>>,
        handle: RunHandle,
        step_by_step: bool,
    ) -> RunView {
        let flow: std::sync::Arc<LoadedFlow> = flow.into();
        RunView {
            reported_in: handle.snapshot().reported_in,
            handle,
            events: vec![],
            story: crate::domain::flow::Story::of(&flow.flow, &[]),
            flow,
            step_by_step,
            let_go: 0,
        }
    }

    /// Lets the run's story go, keeping its last event (how it ended) and its steps' summary
    /// (the handle's state: each step's end and its call in the log).
    pub fn let_go_of_story(&mut self) {
        let n = self.events.len();
        if n <= 1 {
            return;
        }
        // How it ended stays, without the payload it carried.
        let last = self.events.pop().map(|mut e| {
            e.payload = serde_json::Value::Null;
            e
        });
        self.events = last.into_iter().collect();
        self.let_go += n - 1;
        self.story = crate::domain::flow::Story::empty();
        self.handle.let_go_of_data();
    }

    /// Whether the run still has its whole story (to present, share or read as a timeline).
    pub fn has_story(&self) -> bool {
        self.let_go == 0
    }

    /// Whether a step-by-step run is waiting for the next Space.
    pub fn waiting_for_next(&self) -> bool {
        use crate::domain::flow::FlowEventKind as K;
        self.step_by_step
            && !self.handle.is_done()
            && self.events.last().is_none_or(|e| {
                matches!(
                    e.kind,
                    K::Started
                        | K::Answered
                        | K::Completed { .. }
                        | K::ReportedFailure { .. }
                        | K::Failed { .. }
                        | K::TimedOut
                        | K::DelayDone
                        | K::DelaySkipped
                        | K::NotRun { .. }
                        | K::Refreshed { .. }
                        | K::Decided { .. }
                        | K::RateLimited { passed: true, .. }
                        | K::VariablesSet { .. }
                        | K::Split { .. }
                        | K::Skipped { .. }
                        | K::NotRunLocally { .. }
                )
            })
    }

    /// Why the run ended before its steps did, when it did: the app cancelled its event, or
    /// the event's date had passed.
    pub fn cut_short(&self) -> Option<&'static str> {
        use crate::domain::flow::FlowEventKind as K;
        self.events.last().and_then(|e| match e.kind {
            K::Cancelled => Some("cancelled by your app"),
            K::Expired { .. } => Some("skipped: its date had passed"),
            K::RunSkipped { .. } => Some("skipped: its filters or rate limit stopped it"),
            _ => None,
        })
    }

    pub fn finished(&self) -> Option<bool> {
        self.events.iter().find_map(|e| match e.kind {
            crate::domain::flow::FlowEventKind::Finished { passed } => Some(passed),
            _ => None,
        })
    }
}

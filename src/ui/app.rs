//! The window. It reads the engine's event stream in `logic`, draws from its own copy of the
//! log in `ui`, and turns clicks into [`Command`]s applied after the pass: no engine lock is
//! ever taken while drawing.

use super::composer::{AnswerDraft, AnswerKind, ReportDraft};
use super::filter::{Filter, StatusFilter};
use super::json_tree::json_tree;
use super::list::List;
use super::presenter::{self, Presenter};
use crate::domain::assumptions::{Assumptions, EXPLAINED, ExtraReport};
use crate::domain::clock::{WARP_FACTORS, human_duration};
use crate::domain::contract::{AnswerTimes, Finding, Severity};
use crate::domain::envelope::Inspected;
use crate::domain::flow::LoadedFlow;
use crate::domain::invocation::{AnsweredBy, Direction, Exchange, ExchangeId, Phase, Row};
use crate::domain::outbound::Source;
use crate::domain::sample::{LoadedSample, Sample};
use crate::domain::wire::{COMPLETION_REPORT_PATH, CompletionReport, Method};
use crate::engine::{ActionSchemas, Engine, Mode, Policy, Reply, Subscription};
use crate::play::automation::{self, FlowEvent, RunHandle, RunOptions};
use crate::play::sender::{SendOutcome, send_sample};
use crate::play::{LabRow, NotSent, Player, Sent, Target};
use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// What a file dialog gave: a file, nothing (cancelled), or why there is no dialog.
pub type Picked = Result<Option<PathBuf>, String>;

/// Picks a sample or flow file (`title` says which). The real one opens the system dialog;
/// tests hand in their own. The future is made on the UI thread (macOS wants dialogs made
/// there) and awaited elsewhere.
pub trait SamplePicker: Send + Sync {
    fn pick(
        &self,
        title: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>>;

    /// Where to save a file (a HAR export, a sample), `name` suggested.
    fn save(
        &self,
        title: &str,
        name: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>>;
}

/// The system file dialog, rfd's async one: an XDG desktop portal or zenity on Linux.
pub struct RfdPicker;

/// Why no file dialog can open here, if that can be told beforehand.
fn missing_dialog_service() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    (!on_path("zenity") && !session_bus).then(|| {
        "no file dialog here: there is neither a desktop portal (no D-Bus session) nor zenity. \
         Drop the sample file onto the window instead, or start with --samples DIR"
            .to_string()
    })
}

impl SamplePicker for RfdPicker {
    fn pick(
        &self,
        title: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .add_filter("JSON", &["json"])
            .pick_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }

    fn save(
        &self,
        title: &str,
        name: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_file_name(name)
            .save_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }
}

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
    pub flow_errors: Vec<String>,
    /// A flow to present at once (`--present FLOW`).
    pub present: Option<LoadedFlow>,
    /// The session journal this window records to, if any.
    pub session: Option<Session>,
    /// The port the inbox was asked to listen on (saved with the settings; 0: any free one).
    pub port: u16,
}

/// The session journal the window records to: where, and what reopening it restored.
#[derive(Clone, Debug)]
pub struct Session {
    pub path: PathBuf,
    pub restored: usize,
    /// Lines that could not be read (a torn last line after a crash…).
    pub warnings: Vec<String>,
}

/// Which list the left panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeftTab {
    Samples,
    Flows,
}

/// A flow run the window follows.
pub struct RunView {
    pub handle: RunHandle,
    pub events: Vec<FlowEvent>,
    pub flow: LoadedFlow,
    /// Started step by step (presenter mode): each step waits for Space.
    pub step_by_step: bool,
}

impl RunView {
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
                )
            })
    }

    pub fn finished(&self) -> Option<bool> {
        self.events.iter().find_map(|e| match e.kind {
            crate::domain::flow::FlowEventKind::Finished { passed } => Some(passed),
            _ => None,
        })
    }
}

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

/// What a click asks for; applied after the pass.
#[derive(Debug)]
pub enum Command {
    Select(ExchangeId),
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
    OpenSample,
    OpenFlow,
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
    /// The rows the filter shows, as HAR.
    ExportHar,
}

enum Background {
    Sent {
        name: String,
        result: Result<SendOutcome, String>,
    },
    Picked(Box<Result<LoadedSample, String>>),
    FlowPicked(Box<Result<LoadedFlow, String>>),
    /// A file was written (a HAR export), or why not.
    Saved(Result<String, String>),
    TargetSent {
        name: String,
        result: Result<Sent, NotSent>,
    },
    Lab(Result<Vec<LabRow>, String>),
    /// The dialog gave no file: cancelled, or no dialog could open (why).
    NotPicked {
        why: String,
        error: bool,
    },
}

pub struct App {
    core: Core,
    events: Subscription,
    log: List,
    held: BTreeSet<ExchangeId>,
    waiting: BTreeSet<ExchangeId>,
    keys: BTreeMap<String, Policy>,
    selected: Option<ExchangeId>,
    drafts: HashMap<ExchangeId, AnswerDraft>,
    reports: HashMap<ExchangeId, ReportDraft>,
    commands: Vec<Command>,
    status: Option<(String, bool)>,
    bg_tx: Sender<Background>,
    bg_rx: Receiver<Background>,
    now: DateTime<Utc>,
    real_now: DateTime<Utc>,
    warp: u32,
    /// Whether the held strip lists every held call.
    show_held: bool,
    /// Whether the public key window is open.
    show_key: bool,
    /// Whether the sessions window is open.
    show_sessions: bool,
    /// The engine's protocol assumptions, as the window last set them.
    assumptions: Assumptions,
    /// The allowed hosts as typed (comma-separated), and why they were not taken.
    hosts_text: String,
    hosts_error: Option<String>,
    client: reqwest::Client,
    ctx: egui::Context,
    /// The selected exchange's body, decoded once for display.
    inspected: Option<(ExchangeId, Arc<Inspected>)>,
    target_form: TargetForm,
    /// The form as a target, or what to fix; recomputed when the form changes.
    target: Result<Target, String>,
    source: SourceChoice,
    skip_delays: bool,
    /// The envelope lab: running, or its last results.
    lab: Option<Result<Vec<LabRow>, String>>,
    lab_running: bool,
    show_lab: bool,
    runs: Vec<RunView>,
    left_tab: LeftTab,
    filter: Filter,
    /// The log rows the filter shows (indices), when it is not empty; and what they were
    /// computed for (the filter, the log's length and version), and when.
    rows: Option<Vec<u32>>,
    rows_for: Option<(Filter, usize, u64)>,
    rows_at: Instant,
    /// The filter being applied a slice of the log per frame.
    scan: Option<Scan>,
    /// The exchange last read back from the journal for a row that stands in for it.
    read_back: std::cell::RefCell<Option<Exchange>>,
    /// Bumped whenever an exchange in the window's copy changes.
    log_version: u64,
    /// Every action key seen, for the filter.
    seen_keys: BTreeSet<String>,
    focus_filter: bool,
    /// "Compare…" was pressed on this exchange: the next one selected is compared with it.
    compare_from: Option<ExchangeId>,
    /// The two exchanges compared, in the diff window.
    diff: Option<(ExchangeId, ExchangeId)>,
    /// Whether the diff shows ids, tokens and times too.
    diff_volatile: bool,
    /// Whether the filter bar shows its second row (direction, method, answer…).
    show_filters: bool,
    presenting: Option<Presenter>,
    /// The window's theme before presenter mode changed it.
    saved_theme: Option<egui::Theme>,
}

/// How long one frame may spend taking events in.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Exchanges the list keeps whole, newest first; older ended ones are kept as summaries.
pub const WHOLE_IN_LIST: usize = 20_000;

/// A filter being applied to the log a slice per frame.
struct Scan {
    /// The filter, and the log's length and version it is applied to.
    key: (Filter, usize, u64),
    /// How far it has looked.
    at: usize,
    /// Rows found, when they replace the rows shown only at the end (the log changed under
    /// the same filter); `None`: they join the rows shown as they are found.
    found: Option<Vec<u32>>,
}

/// Time per frame for applying a filter to the log.
const SCAN_BUDGET: Duration = Duration::from_millis(5);

fn phase_color(p: &Phase) -> Color32 {
    match p {
        Phase::Held { .. } => Color32::from_rgb(230, 170, 30),
        Phase::Waiting { .. } => Color32::from_rgb(80, 160, 230),
        Phase::Answered | Phase::Completed { .. } | Phase::Accepted => {
            Color32::from_rgb(60, 170, 90)
        }
        Phase::CallerGone | Phase::ShutDown => Color32::GRAY,
        _ => Color32::from_rgb(220, 70, 60),
    }
}

/// Each finding: what is wrong, where (its JSON path, when the message does not start with
/// it) and why it matters.
fn finding_list(ui: &mut Ui, findings: &[Finding]) {
    for f in findings {
        let (icon, color) = match f.severity {
            Severity::Error => ("Error:", Color32::from_rgb(220, 70, 60)),
            Severity::Warning => ("Warning:", Color32::from_rgb(210, 160, 30)),
        };
        let text = match &f.field {
            Some(field) if !f.message.starts_with(field.as_str()) => {
                format!("{icon} {field}: {}", f.message)
            }
            _ => format!("{icon} {}", f.message),
        };
        ui.label(RichText::new(text).color(color));
        if let Some(why) = crate::domain::why::why_it_matters(f.code) {
            ui.label(
                RichText::new(format!("Why it matters: {why}."))
                    .small()
                    .weak(),
            );
        }
    }
}

fn code_editor(ui: &mut Ui, label: &str, text: &mut String, rows: usize) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(text)
            .code_editor()
            .desired_rows(rows)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id);
}

impl App {
    pub fn new(core: Core, ctx: &egui::Context) -> App {
        let wake_ctx = ctx.clone();
        // Drained every frame; one that falls behind catches up from the engine's rows (cheap:
        // old ones come packed). Each queued event holds an exchange (~350 bytes, allocated up
        // front for the whole ring).
        let events = core.engine.subscribe(
            16_384,
            Some(Arc::new(move || {
                wake_ctx.request_repaint_after(Duration::from_millis(30))
            })),
        );
        let (bg_tx, bg_rx) = channel();
        let mut keys = BTreeMap::new();
        for s in &core.samples {
            if let Some(k) = s.sample.action_key() {
                keys.entry(k.to_string())
                    .or_insert_with(|| core.engine.policy(k));
            }
        }
        let log = core.engine.rows();
        let now = core.engine.now();
        let real_now = core.engine.real_now();
        let warp = core.engine.warp().factor();
        let assumptions = core.engine.assumptions();
        let target_form = core.target_form.clone();
        let target = target_form.target();
        *core.target.write().unwrap_or_else(|e| e.into_inner()) = target.clone().ok();
        let mut app = App {
            target_form,
            target,
            source: SourceChoice::Trigger,
            skip_delays: false,
            lab: None,
            lab_running: false,
            show_lab: false,
            runs: vec![],
            left_tab: LeftTab::Samples,
            filter: Filter::default(),
            rows: None,
            rows_for: None,
            rows_at: Instant::now(),
            scan: None,
            read_back: Default::default(),
            log_version: 0,
            seen_keys: BTreeSet::new(),
            focus_filter: false,
            compare_from: None,
            diff: None,
            diff_volatile: false,
            show_filters: false,
            presenting: None,
            saved_theme: None,
            assumptions,
            hosts_text: core.engine.allowed_hosts().join(", "),
            hosts_error: None,
            show_held: false,
            show_key: false,
            show_sessions: false,
            core,
            events,
            log: List::default(),
            held: BTreeSet::new(),
            waiting: BTreeSet::new(),
            keys,
            selected: None,
            drafts: HashMap::new(),
            reports: HashMap::new(),
            commands: vec![],
            status: None,
            bg_tx,
            bg_rx,
            now,
            real_now,
            warp,
            client: reqwest::Client::new(),
            ctx: ctx.clone(),
            inspected: None,
        };
        for (i, row) in log.into_iter().enumerate() {
            app.take_row(i, row);
        }
        if let Some(s) = &app.core.session
            && (s.restored > 0 || !s.warnings.is_empty())
        {
            let mut text = format!(
                "Reopened {}: {} {} restored",
                s.path.display(),
                s.restored,
                plural(s.restored, "exchange", "exchanges")
            );
            for w in &s.warnings {
                text.push_str(&format!("; warning: {w}"));
            }
            app.status = Some((text, !s.warnings.is_empty()));
        }
        if let Some(flow) = app.core.present.take() {
            app.start_run(flow, true);
        }
        if !app.core.flow_errors.is_empty() {
            app.status = Some((
                format!(
                    "Some flows were skipped: {}",
                    app.core.flow_errors.join("; ")
                ),
                true,
            ));
        }
        if !app.core.sample_errors.is_empty() {
            app.status = Some((
                format!(
                    "Some samples were skipped: {}",
                    app.core.sample_errors.join("; ")
                ),
                true,
            ));
        }
        app
    }

    /// Applies saved settings (see [`settings`](super::settings)); flags given on the command
    /// line win over them. Settings that do not decode leave the defaults, with a warning.
    pub fn load_settings(&mut self, raw: Option<&str>) {
        let (saved, warning) = super::settings::decode(raw);
        if let Some(w) = warning {
            self.status = Some((w, true));
        }
        let t = &saved.target;
        if self.core.target_form.base.is_empty() && !t.base.is_empty() {
            self.target_form = TargetForm {
                base: t.base.clone(),
                app_id: t.app_id.clone(),
                instance_id: if t.instance_id.is_empty() {
                    self.target_form.instance_id.clone()
                } else {
                    t.instance_id.clone()
                },
                jwt: t.jwt,
                timeout_secs: if t.timeout_secs > 0.0 {
                    t.timeout_secs
                } else {
                    self.target_form.timeout_secs
                },
            };
            self.target = self.target_form.target();
            *self.core.target.write().unwrap_or_else(|e| e.into_inner()) = self.target.clone().ok();
        }
        for (key, k) in &saved.keys {
            let policy = k.policy(&self.core.engine.policy(key));
            self.core.engine.set_policy(key, policy.clone());
            self.keys.insert(key.clone(), policy);
        }
        if let Some(a) = saved.assumptions {
            self.core.engine.set_assumptions(a);
            self.assumptions = a;
        }
        // Hosts given with --allow-host stay; the saved ones join them.
        let mut hosts = (*self.core.engine.allowed_hosts()).clone();
        for h in &saved.allowed_hosts {
            if !hosts.contains(h) {
                hosts.push(h.clone());
            }
        }
        self.hosts_text = hosts.join(", ");
        self.core.engine.set_allowed_hosts(hosts);
        if let Some(dark) = saved.dark {
            self.ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            });
        }
        if WARP_FACTORS.contains(&saved.warp) && saved.warp != self.warp {
            self.core.engine.set_warp(saved.warp);
            self.warp = saved.warp;
        }
        if saved.panel == "flows" {
            self.left_tab = LeftTab::Flows;
        }
    }

    /// What the window would save now.
    pub fn settings(&self) -> super::settings::Settings {
        use super::settings::{KeySettings, Settings, TargetSettings};
        let f = &self.target_form;
        Settings {
            target: TargetSettings {
                base: f.base.clone(),
                app_id: f.app_id.clone(),
                instance_id: f.instance_id.clone(),
                jwt: f.jwt,
                timeout_secs: f.timeout_secs,
            },
            keys: self
                .keys
                .iter()
                .map(|(k, p)| (k.clone(), KeySettings::from(p)))
                .collect(),
            assumptions: Some(self.assumptions),
            allowed_hosts: (*self.core.engine.allowed_hosts()).clone(),
            dark: Some(self.ctx.theme() == egui::Theme::Dark),
            warp: self.warp,
            panel: match self.left_tab {
                LeftTab::Samples => "samples".into(),
                LeftTab::Flows => "flows".into(),
            },
            port: Some(self.core.port),
        }
    }

    /// The flow runs the window follows.
    pub fn runs(&self) -> &[RunView] {
        &self.runs
    }

    /// The presenter view's state, when presenting.
    pub fn presenter(&self) -> Option<&Presenter> {
        self.presenting.as_ref()
    }

    /// Starts a run of `flow`; step by step runs open in presenter mode.
    fn start_run(&mut self, flow: LoadedFlow, present: bool) {
        let ctx = self.ctx.clone();
        let target = self
            .core
            .target
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let handle = automation::start(
            &self.core.runtime,
            self.core.engine.clone(),
            self.core.player.clone(),
            flow.clone(),
            RunOptions {
                all_to: None,
                target,
                step_by_step: present,
                wake: Some(Arc::new(move || ctx.request_repaint())),
            },
        );
        self.status = Some((format!("Running \"{}\"", flow.flow.name), false));
        self.runs.push(RunView {
            handle,
            events: vec![],
            flow,
            step_by_step: present,
        });
        if present {
            self.enter_presenter(self.runs.len() - 1);
        }
    }

    fn enter_presenter(&mut self, run: usize) {
        let theme = self.ctx.theme();
        let dark = theme == egui::Theme::Dark;
        self.saved_theme.get_or_insert(theme);
        self.presenting = Some(Presenter {
            run,
            dark,
            ..Presenter::default()
        });
    }

    fn leave_presenter(&mut self) {
        self.left_tab = LeftTab::Flows;
        if let Some(p) = self.presenting.take()
            && p.fullscreen
        {
            self.ctx
                .send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
        if let Some(t) = self.saved_theme.take() {
            self.ctx.set_theme(t);
        }
    }

    fn presenter_action(&mut self, action: presenter::Action) {
        use presenter::Action as A;
        let Some(p) = self.presenting.as_mut() else {
            return;
        };
        let Some(run) = self.runs.get(p.run) else {
            return;
        };
        let last = run.events.len().saturating_sub(1);
        match action {
            A::Next => match p.cursor {
                Some(c) if c + 1 < last => p.cursor = Some(c + 1),
                Some(_) => p.cursor = None,
                None if run.waiting_for_next() => run.handle.advance(),
                None => {}
            },
            A::Back => p.cursor = Some(p.cursor.unwrap_or(last).saturating_sub(1)),
            A::Leave => self.leave_presenter(),
            A::ToggleFullscreen => {
                p.fullscreen = !p.fullscreen;
                self.ctx
                    .send_viewport_cmd(egui::ViewportCommand::Fullscreen(p.fullscreen));
            }
            A::ToggleTheme => {
                p.dark = !p.dark;
                self.ctx.set_theme(if p.dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
            A::ToggleJson => p.show_json = !p.show_json,
            A::AnswerSaved => {
                // The step held for the presenter, if the latest event is its turn.
                let held = run.events.last().and_then(|e| match e.kind {
                    crate::domain::flow::FlowEventKind::YourTurn => e.step,
                    _ => None,
                });
                if let Some(i) = held {
                    let snap = run.handle.snapshot();
                    let answer = run.flow.saved_answer(i);
                    let answer =
                        crate::domain::wire::resolve_answer(&answer, self.now).unwrap_or(answer);
                    if let Some(id) = snap.steps.get(i).and_then(|s| s.exchange) {
                        self.commands
                            .push(Command::Answer(id, Reply::json(200, answer)));
                    }
                }
            }
            A::Faster | A::Slower => {
                let at = WARP_FACTORS
                    .iter()
                    .position(|f| *f == self.warp)
                    .unwrap_or(0);
                let next = match action {
                    A::Faster => (at + 1).min(WARP_FACTORS.len() - 1),
                    _ => at.saturating_sub(1),
                };
                self.commands.push(Command::SetWarp(WARP_FACTORS[next]));
            }
        }
    }

    pub fn selected(&self) -> Option<ExchangeId> {
        self.selected
    }

    pub fn log(&self) -> &List {
        &self.log
    }

    /// Exchange `id` whole: from the list, or read back from the journal when the list holds
    /// only its summary.
    pub fn whole(&self, id: ExchangeId) -> Option<Exchange> {
        let ex = self.log.get((id as usize).checked_sub(1)?)?;
        if !ex.is_summary() {
            return Some(ex.into_owned());
        }
        // The last one read back is kept: the detail pane asks every frame. It cannot go
        // stale: any change to the exchange puts it whole in the list.
        if let Some(kept) = self.read_back.borrow().as_ref().filter(|k| k.id == id) {
            return Some(kept.clone());
        }
        let whole = self.core.engine.exchange(id)?;
        *self.read_back.borrow_mut() = Some(whole.clone());
        Some(whole)
    }

    pub fn draft_mut(&mut self, id: ExchangeId) -> Option<&mut AnswerDraft> {
        self.drafts.get_mut(&id)
    }

    pub fn report_draft_mut(&mut self, id: ExchangeId) -> Option<&mut ReportDraft> {
        self.reports.get_mut(&id)
    }

    fn schemas_for(&self, ex: &Exchange) -> ActionSchemas {
        ex.action_key
            .as_deref()
            .map(|k| self.core.engine.schemas(k))
            .unwrap_or_default()
    }

    /// Takes row `i` of the engine's log (on opening, or after falling behind): a packed one
    /// (ended, on disk) goes in as it is.
    fn take_row(&mut self, i: usize, row: Row) {
        match row {
            Row::Whole(ex) => self.take(*ex),
            Row::Packed(p) if i == self.log.len() => {
                self.log_version += 1;
                self.log.push(Row::Packed(p));
            }
            Row::Packed(p) => {
                self.log_version += 1;
                self.log.set(i, Row::Packed(p));
            }
        }
    }

    /// Takes one exchange's new state into the window's copy of the log.
    fn take(&mut self, ex: Exchange) {
        let id = ex.id;
        self.log_version += 1;
        if let Some(k) = &ex.action_key
            && !self.seen_keys.contains(k)
        {
            self.seen_keys.insert(k.clone());
        }
        // A flow's steps answer by their own policy: their keys are not the window's to set.
        let from_flow = ex.tag.as_deref().is_some_and(|t| t.starts_with("flow:"));
        if let Some(key) = &ex.action_key
            && !from_flow
            && !self.keys.contains_key(key)
        {
            let policy = self.core.engine.policy(key);
            self.keys.insert(key.clone(), policy);
        }
        match &ex.phase {
            Phase::Held { .. } => {
                self.held.insert(id);
                if !self.drafts.contains_key(&id) {
                    let schemas = self.schemas_for(&ex);
                    let method = ex.method.unwrap_or(Method::Invoke);
                    let draft = match &ex.target_answer {
                        // Forward mode paused: start from what the action said.
                        Some(t) => {
                            AnswerDraft::from_target(method, t.status, &t.body, &schemas, self.now)
                        }
                        None => AnswerDraft::new(method, &schemas, self.now),
                    };
                    self.drafts.insert(id, draft);
                }
                // A new arrival never takes the focus from an answer being written.
                if self.selected.is_none() {
                    self.selected = Some(id);
                }
            }
            _ => {
                self.held.remove(&id);
                self.drafts.remove(&id);
            }
        }
        if matches!(ex.phase, Phase::Waiting { .. }) {
            self.waiting.insert(id);
            if !self.reports.contains_key(&id) {
                let schemas = self.schemas_for(&ex);
                self.reports.insert(id, ReportDraft::new(&schemas));
            }
        } else {
            self.waiting.remove(&id);
        }
        let i = (id as usize).saturating_sub(1);
        if i < self.log.len() {
            self.log.set(i, Row::Whole(Box::new(ex)));
        } else {
            // Ids are dense, but calls are appended in parallel, so their events may come out
            // of order (and a lagged stream leaves gaps): fill the gap from the engine, with
            // a stand-in for a call still on its way in, until its own event comes.
            while self.log.len() < i {
                let missing = self.log.len() as ExchangeId + 1;
                let e = self.core.engine.exchange(missing).unwrap_or_else(|| {
                    let mut s = ex.summary();
                    s.id = missing;
                    s.phase = "received";
                    s.status = None;
                    s.flagged = false;
                    Exchange::from_summary(&s)
                });
                self.log.push(Row::Whole(Box::new(e)));
            }
            self.log.push(Row::Whole(Box::new(ex)));
            // The list keeps the newest exchanges whole and older ended ones packed (bodies,
            // answers and timelines are read back from the journal when selected).
            if let Some(old) = self.log.len().checked_sub(WHOLE_IN_LIST + 1)
                && self.core.session.is_some()
                && Some(old as ExchangeId + 1) != self.selected
            {
                self.log.pack(old);
            }
        }
    }

    fn drain(&mut self) {
        let started = Instant::now();
        if self.events.take_lagged() {
            while self.events.rx.try_recv().is_ok() {}
            for (i, row) in self.core.engine.rows().into_iter().enumerate() {
                self.take_row(i, row);
            }
        }
        while started.elapsed() < DRAIN_BUDGET {
            match self.events.rx.try_recv() {
                Ok(ev) => self.take(ev.exchange),
                Err(_) => return,
            }
        }
        // More left than the budget allowed: carry on next frame.
        self.ctx.request_repaint();
    }

    fn take_background(&mut self) {
        while let Ok(bg) = self.bg_rx.try_recv() {
            match bg {
                Background::Sent { name, result } => {
                    self.status = Some(match result {
                        Ok(out) => (
                            format!(
                                "\"{name}\" was answered HTTP {}: {}",
                                out.status,
                                clip(&out.body, 160)
                            ),
                            out.status >= 400,
                        ),
                        Err(e) => (format!("\"{name}\" could not be sent: {e}"), true),
                    });
                }
                Background::Picked(picked) => match *picked {
                    Ok(sample) => {
                        self.core.engine.add_samples(std::slice::from_ref(&sample));
                        if let Some(k) = sample.sample.action_key() {
                            let policy = self.core.engine.policy(k);
                            self.keys.entry(k.to_string()).or_insert(policy);
                        }
                        self.status = Some((format!("Opened \"{}\"", sample.sample.name), false));
                        // The same file again (opened twice, dropped twice) replaces itself.
                        match self
                            .core
                            .samples
                            .iter_mut()
                            .find(|s| s.path.is_some() && s.path == sample.path)
                        {
                            Some(same) => *same = sample,
                            None => self.core.samples.push(sample),
                        }
                    }
                    Err(e) => {
                        self.status = Some((format!("The sample could not be opened: {e}"), true))
                    }
                },
                Background::NotPicked { why, error } => self.status = Some((why, error)),
                Background::Saved(result) => {
                    self.status = Some(match result {
                        Ok(what) => (what, false),
                        Err(e) => (e, true),
                    })
                }
                Background::FlowPicked(picked) => match *picked {
                    Ok(flow) => {
                        self.status = Some((format!("Opened flow \"{}\"", flow.flow.name), false));
                        self.left_tab = LeftTab::Flows;
                        // The same file again replaces itself.
                        match self
                            .core
                            .flows
                            .iter_mut()
                            .find(|f| f.path.is_some() && f.path == flow.path)
                        {
                            Some(same) => *same = flow,
                            None => self.core.flows.push(flow),
                        }
                    }
                    Err(e) => {
                        self.status = Some((format!("The flow could not be opened: {e}"), true))
                    }
                },
                Background::TargetSent { name, result } => match result {
                    Ok(sent) => {
                        self.selected = Some(sent.id);
                        let summary = self
                            .core
                            .engine
                            .exchange(sent.id)
                            .map(|ex| {
                                let errors = ex
                                    .findings
                                    .iter()
                                    .chain(ex.response.iter().flat_map(|r| r.findings.iter()))
                                    .filter(|f| f.severity == Severity::Error)
                                    .count();
                                let status = ex
                                    .response
                                    .as_ref()
                                    .map_or("no answer".to_string(), |r| format!("HTTP {}", r.status));
                                (
                                    format!(
                                        "\"{name}\" sent to your action (#{}): {status}, {}, {errors} {}",
                                        sent.id,
                                        ex.phase.label(),
                                        plural(errors, "problem", "problems")
                                    ),
                                    errors > 0,
                                )
                            })
                            .unwrap_or_else(|| (format!("\"{name}\" sent (#{})", sent.id), false));
                        self.status = Some(summary);
                    }
                    Err(not) => {
                        self.status = Some((format!("\"{name}\" {}", not.reason), true));
                    }
                },
                Background::Lab(result) => {
                    self.lab_running = false;
                    self.status = Some(match &result {
                        Ok(rows) => {
                            let bad = rows.iter().filter(|r| !r.verdict.passed()).count();
                            (
                                format!(
                                    "Envelope lab: {} of {} wrong envelopes refused",
                                    rows.len() - bad,
                                    rows.len()
                                ),
                                bad > 0,
                            )
                        }
                        Err(e) => (format!("The envelope lab could not run: {e}"), true),
                    });
                    self.lab = Some(result);
                    self.show_lab = true;
                }
            }
        }
    }

    fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Select(id) => {
                self.selected = Some(id);
                if let Some(a) = self.compare_from.take()
                    && a != id
                {
                    self.diff = Some((a, id));
                    self.status = Some((format!("Comparing #{a} with #{id}"), false));
                }
            }
            Command::CompareFrom(id) => {
                self.compare_from = Some(id);
                self.status = Some((
                    format!("Select another exchange in the log to compare with #{id}"),
                    false,
                ));
            }
            Command::Answer(id, reply) => {
                if let Err(e) = self.core.engine.answer(id, reply) {
                    self.status = Some((e, true));
                }
            }
            Command::Report(id, report) => match self.core.engine.report_completion(id, &report) {
                Ok(()) => {
                    self.status = Some((format!("Completion report for #{id} accepted"), false))
                }
                Err(r) => {
                    let msg = r
                        .body
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or("refused")
                        .to_string();
                    self.status = Some((
                        format!(
                            "Completion report for #{id} refused (HTTP {}): {msg}",
                            r.status
                        ),
                        true,
                    ));
                }
            },
            Command::SetPolicy(key, policy) => {
                self.core.engine.set_policy(&key, policy.clone());
                self.keys.insert(key, policy);
            }
            Command::SetWarp(f) => {
                self.core.engine.set_warp(f);
                self.warp = f;
            }
            Command::SetAssumptions(a) => {
                self.core.engine.set_assumptions(a);
                self.assumptions = a;
            }
            Command::SetAllowedHosts(hosts) => {
                self.hosts_text = hosts.join(", ");
                self.hosts_error = None;
                self.core.engine.set_allowed_hosts(hosts);
            }
            Command::BackToNow => {
                self.core.engine.back_to_now();
                self.warp = 1;
                self.now = self.core.engine.now();
            }
            Command::SendSample(i) => {
                let Some(s) = self.core.samples.get(i) else {
                    return;
                };
                let sample = s.sample.clone();
                let (client, url, tx, ctx) = (
                    self.client.clone(),
                    self.core.inbox_url.clone(),
                    self.bg_tx.clone(),
                    self.ctx.clone(),
                );
                self.status = Some((format!("Sent \"{}\" to the inbox", sample.name), false));
                self.core.runtime.spawn(async move {
                    let result = send_sample(&client, &url, &sample).await;
                    let _ = tx.send(Background::Sent {
                        name: sample.name.clone(),
                        result,
                    });
                    ctx.request_repaint();
                });
            }
            Command::SendToTarget(i, anyway) => {
                let Some(s) = self.core.samples.get(i).cloned() else {
                    return;
                };
                let target = match &self.target {
                    Ok(t) => t.clone(),
                    Err(e) => {
                        self.status = Some((format!("Not sent: {e}"), true));
                        return;
                    }
                };
                let source = match self.source_now() {
                    Ok(s) => s,
                    Err(e) => {
                        self.status = Some((format!("Not sent: {e}"), true));
                        return;
                    }
                };
                let (player, tx, ctx) = (
                    self.core.player.clone(),
                    self.bg_tx.clone(),
                    self.ctx.clone(),
                );
                self.status = Some((
                    format!("Sending \"{}\" to {}…", s.sample.name, target.base),
                    false,
                ));
                self.core.runtime.spawn(async move {
                    let result = player.send(&target, &s, &source, anyway).await;
                    let _ = tx.send(Background::TargetSent {
                        name: s.sample.name.clone(),
                        result,
                    });
                    ctx.request_repaint();
                });
            }
            Command::RunLab(i) => {
                let Some(s) = self.core.samples.get(i).cloned() else {
                    return;
                };
                let Ok(target) = self.target.clone() else {
                    return;
                };
                let (player, tx, ctx) = (
                    self.core.player.clone(),
                    self.bg_tx.clone(),
                    self.ctx.clone(),
                );
                self.lab_running = true;
                self.show_lab = true;
                self.status = Some((
                    format!(
                        "Envelope lab: sending 12 wrong envelopes to {}…",
                        target.url(Method::Invoke)
                    ),
                    false,
                ));
                self.core.runtime.spawn(async move {
                    let result = player.lab(&target, &s).await;
                    let _ = tx.send(Background::Lab(result));
                    ctx.request_repaint();
                });
            }
            Command::RunFlow(i, present) => {
                if let Some(flow) = self.core.flows.get(i).cloned() {
                    self.start_run(flow, present);
                }
            }
            Command::Present(i) => {
                if i < self.runs.len() {
                    self.enter_presenter(i);
                }
            }
            Command::StopRun(i) => {
                if let Some(r) = self.runs.get(i) {
                    r.handle.stop();
                    self.status = Some((format!("Stopped \"{}\"", r.flow.flow.name), false));
                }
            }
            Command::Presenter(a) => self.presenter_action(a),
            Command::CopyCurl(id) => {
                if let Some(ex) = self.whole(id) {
                    self.ctx
                        .copy_text(crate::journal::export::curl(&ex, &self.core.inbox_url));
                    self.status = Some((format!("Copied #{id} as a curl command"), false));
                }
            }
            Command::SaveAsSample(id) => {
                let Some(ex) = self.whole(id) else {
                    return;
                };
                let ex = &ex;
                let schemas = self.schemas_for(ex);
                let sample = match crate::journal::export::as_sample(ex, &schemas) {
                    Ok(s) => s,
                    Err(e) => {
                        self.status = Some((format!("#{id} makes no sample: {e}"), true));
                        return;
                    }
                };
                let name = format!("{}-{id}.json", ex.action_key.as_deref().unwrap_or("saved"));
                let (tx, ctx) = (self.bg_tx.clone(), self.ctx.clone());
                let save = self.core.picker.save("Save as sample", &name);
                self.core.runtime.spawn(async move {
                    let msg = match save.await {
                        Ok(Some(path)) => {
                            let text = serde_json::to_string_pretty(&sample).unwrap_or_default();
                            match std::fs::write(&path, text) {
                                // Read back as any sample is: the list picks it up at once.
                                Ok(()) => Background::Picked(Box::new(LoadedSample::load(&path))),
                                Err(e) => Background::Saved(Err(format!(
                                    "{} could not be written: {e}",
                                    path.display()
                                ))),
                            }
                        }
                        Ok(None) => Background::Saved(Ok("Not saved".into())),
                        Err(why) => Background::Saved(Err(why)),
                    };
                    let _ = tx.send(msg);
                    ctx.request_repaint();
                });
            }
            Command::ExportHar => {
                // Exchanges on disk are read back whole for the archive.
                let exchanges: Vec<Exchange> = match &self.rows {
                    Some(rows) => rows
                        .iter()
                        .filter_map(|i| self.whole(*i as ExchangeId + 1))
                        .collect(),
                    None => (1..=self.log.len() as ExchangeId)
                        .filter_map(|id| self.whole(id))
                        .collect(),
                };
                let inbox = self.core.inbox_url.clone();
                let (tx, ctx) = (self.bg_tx.clone(), self.ctx.clone());
                let save = self.core.picker.save("Export HAR", "actionbench.har");
                self.core.runtime.spawn(async move {
                    let msg = match save.await {
                        Ok(Some(path)) => {
                            let written = tokio::task::spawn_blocking(move || {
                                let json = crate::journal::export::har_json(&exchanges, &inbox)?;
                                std::fs::write(&path, json)
                                    .map_err(|e| format!("{}: {e}", path.display()))?;
                                Ok::<_, String>(format!(
                                    "Exported {} {} to {}",
                                    exchanges.len(),
                                    plural(exchanges.len(), "exchange", "exchanges"),
                                    path.display()
                                ))
                            })
                            .await
                            .unwrap_or_else(|e| Err(e.to_string()));
                            Background::Saved(written)
                        }
                        Ok(None) => Background::Saved(Ok("Not exported".into())),
                        Err(why) => Background::Saved(Err(why)),
                    };
                    let _ = tx.send(msg);
                    ctx.request_repaint();
                });
            }
            Command::OpenFlow => {
                let (tx, ctx) = (self.bg_tx.clone(), self.ctx.clone());
                let pick = self.core.picker.pick("Open flow");
                self.status = Some(("Choose a flow file in the dialog…".into(), false));
                self.core.runtime.spawn(async move {
                    let picked = match pick.await {
                        Ok(Some(path)) => {
                            Background::FlowPicked(Box::new(LoadedFlow::load(&path)))
                        }
                        Ok(None) => Background::NotPicked {
                            why: "No file chosen. If no dialog appeared, this desktop has no file-dialog service \
                                  (a desktop portal or zenity): drop the flow file onto the window instead"
                                .into(),
                            error: false,
                        },
                        Err(why) => Background::NotPicked { why, error: true },
                    };
                    let _ = tx.send(picked);
                    ctx.request_repaint();
                });
            }
            Command::OpenSample => {
                let (tx, ctx) = (self.bg_tx.clone(), self.ctx.clone());
                let pick = self.core.picker.pick("Open sample");
                self.status = Some(("Choose a sample file in the dialog…".into(), false));
                self.core.runtime.spawn(async move {
                    let picked = match pick.await {
                        Ok(Some(path)) => Background::Picked(Box::new(LoadedSample::load(&path))),
                        Ok(None) => Background::NotPicked {
                            why: "No file chosen. If no dialog appeared, this desktop has no file-dialog service \
                                  (a desktop portal or zenity): drop the sample file onto the window instead"
                                .into(),
                            error: false,
                        },
                        Err(why) => Background::NotPicked { why, error: true },
                    };
                    let _ = tx.send(picked);
                    ctx.request_repaint();
                });
            }
        }
    }

    // ---- drawing ------------------------------------------------------------------------

    fn top_bar(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(RichText::new("ActionBench").strong());
            ui.separator();
            ui.label("Inbox");
            ui.label(RichText::new(&self.core.inbox_url).monospace().strong());
            if let Some(w) = &self.core.remote_warning {
                ui.label(
                    RichText::new(format!("WARNING: {w}")).color(Color32::from_rgb(220, 70, 60)),
                );
            }
            ui.separator();
            ui.label(format!(
                "{} calls · {} held · {} waiting",
                self.log.len(),
                self.held.len(),
                self.waiting.len()
            ));
            ui.separator();
            ui.label("Time warp");
            for f in WARP_FACTORS {
                if ui
                    .selectable_label(self.warp == f, format!("×{f}"))
                    .clicked()
                    && self.warp != f
                {
                    self.commands.push(Command::SetWarp(f));
                }
            }
            let t = self.now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
            let ahead = self.now - self.real_now;
            // Whole seconds: the two clocks are read a moment apart.
            if self.warp > 1 || ahead.num_seconds() != 0 {
                ui.label(
                    RichText::new(format!("Simulated {t}"))
                        .monospace()
                        .color(Color32::from_rgb(230, 160, 40)),
                )
                .on_hover_text(format!(
                    "Simulated time is {} ahead of real time",
                    human_duration(ahead)
                ));
                ui.label(RichText::new(format!("+{}", human_duration(ahead))).small());
                if ui
                    .button("Back to now")
                    .on_hover_text("Simulated time back to real time, at ×1")
                    .clicked()
                {
                    self.commands.push(Command::BackToNow);
                }
            } else {
                ui.label(RichText::new(t).monospace());
            }
            ui.separator();
            let session = match &self.core.session {
                Some(s) => s
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                None => "no journal".into(),
            };
            if ui
                .selectable_label(self.show_sessions, format!("Session: {session}"))
                .on_hover_text(match &self.core.session {
                    Some(s) => format!(
                        "Every exchange is journaled to {} before its answer leaves; reopen it with --session",
                        s.path.display()
                    ),
                    None => "Nothing is journaled: start with --session FILE".into(),
                })
                .clicked()
            {
                self.show_sessions = !self.show_sessions;
            }
            ui.separator();
            if ui
                .selectable_label(self.show_key, "Public key")
                .on_hover_text(
                    "ActionBench's public key, to paste where your app's public key goes",
                )
                .clicked()
            {
                self.show_key = !self.show_key;
            }
            if self.core.engine.audience_unchecked() {
                ui.separator();
                ui.label(
                    RichText::new("JWT audience not checked (no --app-id)")
                        .color(Color32::from_rgb(230, 160, 40)),
                )
                .on_hover_text(self.core.engine.jwt_summary());
            }
        });
    }

    /// The activation source a send starts with now; a rerun needs a selected invocation.
    fn source_now(&self) -> Result<Source, String> {
        Ok(match self.source {
            SourceChoice::Trigger => Source::Trigger,
            SourceChoice::TestRun => Source::Manual { test_mode: true },
            SourceChoice::ManualRun => Source::Manual { test_mode: false },
            SourceChoice::Rerun => {
                let id = self
                    .selected
                    .ok_or("a rerun needs an earlier invocation: select one in the log")?;
                let ex = self.whole(id).ok_or("no such exchange")?;
                let activation = ex
                    .arrival
                    .inspect()
                    .request
                    .and_then(|r| {
                        r.pointer("/activationContext/activationId")
                            .and_then(|a| a.as_str())
                            .map(str::to_string)
                    })
                    .ok_or_else(|| {
                        format!("#{id} has no activationId to rerun: select an Invoke")
                    })?;
                Source::Rerun {
                    original_activation_id: activation,
                    skip_delays: self.skip_delays,
                }
            }
        })
    }

    /// "Your action": where the developer's provider listens, who Wix calls it for, how sends
    /// start, and the envelope lab.
    fn target_section(&mut self, ui: &mut Ui) {
        let before = self.target_form.clone();
        let f = &mut self.target_form;
        // Open from the start when a target was given; otherwise one click away.
        let open = !self.core.target_form.base.is_empty();
        egui::CollapsingHeader::new(RichText::new("Your action").heading())
            .id_salt("target")
            .default_open(open)
            .show(ui, |ui| {
                let l = ui.label("Base URL");
                ui.add(
                    egui::TextEdit::singleline(&mut f.base)
                        .hint_text("http://localhost:3000/wix/actions")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id)
                .on_hover_text("Methods are called at {base}/v1/invoke, /v1/validate-configuration, /v1/quota-info");
                let l = ui.label("App ID");
                ui.add(
                    egui::TextEdit::singleline(&mut f.app_id)
                        .hint_text("needed for signed requests")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
                let l = ui.label("Instance ID");
                ui.add(egui::TextEdit::singleline(&mut f.instance_id).desired_width(f32::INFINITY))
                    .labelled_by(l.id);
                ui.horizontal(|ui| {
                    ui.radio_value(&mut f.jwt, false, "Plain JSON");
                    ui.radio_value(&mut f.jwt, true, "Signed JWT");
                });
                egui::ComboBox::new("source", "Source")
                    .selected_text(self.source.label())
                    .show_ui(ui, |ui| {
                        for s in SourceChoice::ALL {
                            ui.selectable_value(&mut self.source, s, s.label());
                        }
                    });
                if self.source == SourceChoice::Rerun {
                    ui.checkbox(&mut self.skip_delays, "Skip delays");
                }
                match &self.target {
                    Ok(t) => {
                        ui.label(
                            RichText::new(format!("Invoke: {}", t.url(Method::Invoke)))
                                .small()
                                .monospace(),
                        );
                    }
                    Err(e) => {
                        ui.label(RichText::new(e).small().color(Color32::from_rgb(230, 160, 40)));
                    }
                }
                let lab_sample = self
                    .core
                    .samples
                    .iter()
                    .position(|s| s.sample.method == Method::Invoke);
                let lab_ready = self.target.is_ok()
                    && !f.app_id.trim().is_empty()
                    && !self.lab_running;
                let lab = ui
                    .add_enabled(
                        lab_ready && lab_sample.is_some(),
                        egui::Button::new("Run envelope lab"),
                    )
                    .on_hover_text(
                        "Send 12 deliberately wrong envelopes (expired, other key, alg none…) to your action's /v1/invoke: a correct action refuses every one with a 4xx",
                    )
                    .on_disabled_hover_text(
                        "Needs your action's base URL and its app ID (the envelopes are addressed to it)",
                    );
                if lab.clicked()
                    && let Some(i) = lab_sample
                {
                    self.commands.push(Command::RunLab(i));
                }
                if self.lab.is_some() && ui.button("Show lab results").clicked() {
                    self.show_lab = true;
                }
            });
        if self.target_form != before {
            self.target = self.target_form.target();
            *self.core.target.write().unwrap_or_else(|e| e.into_inner()) = self.target.clone().ok();
        }
    }

    /// The envelope lab's results: what a correct action does, and what this one did.
    fn lab_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        let mut select = None;
        egui::Window::new("Envelope lab")
            .open(&mut open)
            .default_width(640.0)
            .default_height(420.0)
            .show(ui.ctx(), |ui| {
                ui.label(
                    "Each envelope is wrong on purpose. A correct action refuses every one (any 4xx), \
                     as the SDK's AppStrategy does.",
                );
                match &self.lab {
                    None if self.lab_running => {
                        ui.spinner();
                    }
                    None => {}
                    Some(Err(e)) => {
                        ui.label(RichText::new(e).color(Color32::from_rgb(220, 70, 60)));
                    }
                    Some(Ok(rows)) => {
                        if self.lab_running {
                            ui.label(RichText::new("Running again…").weak());
                        }
                        egui::ScrollArea::vertical()
                            .auto_shrink([false, true])
                            .show(ui, |ui| {
                            egui::Grid::new("lab-rows")
                                .striped(true)
                                .num_columns(3)
                                .show(ui, |ui| {
                                    for r in rows {
                                        let (mark, color) = match &r.verdict {
                                            crate::domain::lab::LabVerdict::Refused(_) => {
                                                ("refused", Color32::from_rgb(60, 170, 90))
                                            }
                                            crate::domain::lab::LabVerdict::Accepted(_) => {
                                                ("ACCEPTED", Color32::from_rgb(220, 70, 60))
                                            }
                                            _ => ("wrong", Color32::from_rgb(230, 160, 40)),
                                        };
                                        if ui.link(format!("#{}", r.id)).clicked() {
                                            select = Some(r.id);
                                        }
                                        ui.label(RichText::new(mark).strong().color(color));
                                        ui.vertical(|ui| {
                                            ui.label(RichText::new(r.probe.what).strong());
                                            ui.label(
                                                RichText::new(r.verdict.explain(&r.probe)).small(),
                                            );
                                        });
                                        ui.end_row();
                                    }
                                });
                        });
                    }
                }
            });
        if let Some(id) = select {
            self.commands.push(Command::Select(id));
        }
        self.show_lab &= open;
    }

    /// Flow files, with Run and Present, and the runs so far, each a group: its steps (with
    /// their invocations in the log) and its timeline.
    fn flows_section(&mut self, ui: &mut Ui) {
        if self.core.flows.is_empty() {
            ui.label(
                RichText::new("No flow files (samples/flows, or --flows DIR)")
                    .small()
                    .weak(),
            );
        }
        for (i, f) in self.core.flows.iter().enumerate() {
            ui.push_id(("flow", i), |ui| {
                ui.label(RichText::new(&f.flow.name).strong());
                ui.horizontal(|ui| {
                    if ui
                        .button("Run")
                        .on_hover_text(&f.flow.description)
                        .clicked()
                    {
                        self.commands.push(Command::RunFlow(i, false));
                    }
                    if ui
                        .button("Present")
                        .on_hover_text("Full window, step by step with Space: for an audience")
                        .clicked()
                    {
                        self.commands.push(Command::RunFlow(i, true));
                    }
                });
            });
        }
        if self.runs.is_empty() {
            return;
        }
        ui.separator();
        ui.label(RichText::new("Runs").strong());
        for (r, run) in self.runs.iter().enumerate().rev() {
            let state = match (run.finished(), run.handle.is_done()) {
                (Some(true), _) => ("as expected", Color32::from_rgb(60, 170, 90)),
                (Some(false), _) => ("not as expected", Color32::from_rgb(220, 70, 60)),
                (None, true) => ("stopped", Color32::GRAY),
                (None, false) if run.waiting_for_next() => {
                    ("waits for Space", Color32::from_rgb(230, 160, 40))
                }
                (None, false) => ("running", Color32::from_rgb(80, 160, 230)),
            };
            let title = RichText::new(format!("#{} {}", r + 1, run.flow.flow.name));
            egui::CollapsingHeader::new(title)
                .id_salt(("run", r))
                .default_open(r + 1 == self.runs.len())
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(state.0).color(state.1));
                        if ui.small_button("Present").clicked() {
                            self.commands.push(Command::Present(r));
                        }
                        if !run.handle.is_done() && ui.small_button("Stop").clicked() {
                            self.commands.push(Command::StopRun(r));
                        }
                    });
                    let snap = run.handle.snapshot();
                    for (i, rec) in snap.steps.iter().enumerate() {
                        let name = match &run.flow.flow.steps[i] {
                            crate::domain::flow::Step::Action(a) => a.name.clone(),
                            crate::domain::flow::Step::Delay(d) => {
                                d.name.clone().unwrap_or_else(|| "Delay".into())
                            }
                        };
                        let status = match &rec.status {
                            crate::domain::flow::StepStatus::Pending => "pending".into(),
                            crate::domain::flow::StepStatus::Running => "running".into(),
                            crate::domain::flow::StepStatus::Waiting { .. } => "waiting".into(),
                            crate::domain::flow::StepStatus::Delaying { .. } => "delaying".into(),
                            crate::domain::flow::StepStatus::Ended(e) => e.label().to_string(),
                        };
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(format!("{}. {name}: {status}", i + 1)).small());
                            if let Some(id) = rec.exchange
                                && ui.small_button(format!("#{id}")).clicked()
                            {
                                self.commands.push(Command::Select(id));
                            }
                        });
                        for m in &rec.missing {
                            ui.label(
                                RichText::new(format!("   missing {{{{{m}}}}}"))
                                    .small()
                                    .color(Color32::from_rgb(230, 160, 40)),
                            );
                        }
                    }
                    egui::CollapsingHeader::new("Timeline")
                        .id_salt(("run-timeline", r))
                        .show(ui, |ui| {
                            for ev in &run.events {
                                ui.label(
                                    RichText::new(format!(
                                        "{}  {}",
                                        ev.at.format("%H:%M:%S"),
                                        ev.caption
                                    ))
                                    .small(),
                                );
                            }
                        });
                });
        }
    }

    fn samples_panel(&mut self, ui: &mut Ui) {
        self.target_section(ui);
        ui.separator();
        // Samples and flows share one place: a tab each.
        ui.horizontal(|ui| {
            for (tab, title) in [(LeftTab::Samples, "Samples"), (LeftTab::Flows, "Flows")] {
                let text = RichText::new(title).heading();
                if ui.selectable_label(self.left_tab == tab, text).clicked() {
                    self.left_tab = tab;
                }
            }
            if self.left_tab == LeftTab::Samples && ui.button("Open sample…").clicked() {
                self.commands.push(Command::OpenSample);
            }
            if self.left_tab == LeftTab::Flows && ui.button("Open flow…").clicked() {
                self.commands.push(Command::OpenFlow);
            }
        });
        ui.separator();
        let list_height = ui.available_height() * 0.62;
        if self.left_tab == LeftTab::Flows {
            egui::ScrollArea::vertical()
                .id_salt("flows")
                .max_height(list_height)
                .show(ui, |ui| self.flows_section(ui));
        }
        egui::ScrollArea::vertical()
            .id_salt("samples")
            .max_height(list_height)
            .show(ui, |ui| {
                if self.left_tab != LeftTab::Samples {
                    return;
                }
                for (i, s) in self.core.samples.iter().enumerate() {
                    ui.push_id(i, |ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(&s.sample.name).strong());
                            ui.label(RichText::new(s.sample.method.label()).small().monospace());
                        });
                        ui.label(RichText::new(&s.sample.description).small().weak());
                        let invalid = &s.params_findings;
                        let anyway = !invalid.is_empty();
                        ui.horizontal_wrapped(|ui| {
                            let (inbox, action) = if anyway {
                                ("Send anyway to inbox", "Send anyway to your action")
                            } else {
                                ("Send to inbox", "Send to your action")
                            };
                            if ui.button(inbox).clicked() {
                                self.commands.push(Command::SendSample(i));
                            }
                            let why = self.target.as_ref().err().cloned().unwrap_or_default();
                            if ui
                                .add_enabled(self.target.is_ok(), egui::Button::new(action))
                                .on_hover_text(if anyway {
                                    "Wix never sends params that fail the input schema: the exchange is marked"
                                } else {
                                    "Send it to your action as Wix would, from the chosen source"
                                })
                                .on_disabled_hover_text(why)
                                .clicked()
                            {
                                self.commands.push(Command::SendToTarget(i, anyway));
                            }
                        });
                        finding_list(ui, invalid);
                        ui.add_space(6.0);
                    });
                }
            });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("keys")
            .show(ui, |ui| self.keys_and_assumptions(ui));
    }

    fn keys_and_assumptions(&mut self, ui: &mut Ui) {
        ui.heading("Action keys");
        ui.label(
            RichText::new("How each key's calls are answered")
                .small()
                .weak(),
        );
        let keys: Vec<(String, Policy)> = self
            .keys
            .iter()
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        for (key, policy) in keys {
            let mut p = policy.clone();
            egui::ComboBox::new(("mode", &key), RichText::new(&key).monospace())
                .selected_text(p.mode.label())
                .width(60.0)
                .show_ui(ui, |ui| {
                    for m in Mode::ALL {
                        ui.selectable_value(&mut p.mode, m, m.label());
                    }
                });
            if p.mode == Mode::Fail {
                ui.horizontal(|ui| {
                    ui.add_space(12.0);
                    let l = ui.label("HTTP");
                    ui.add(egui::DragValue::new(&mut p.fail_status).range(400..=599))
                        .labelled_by(l.id);
                    let l = ui.label("code");
                    ui.add(egui::TextEdit::singleline(&mut p.fail_code).desired_width(120.0))
                        .labelled_by(l.id);
                });
            }
            if p.mode == Mode::Forward {
                ui.horizontal(|ui| {
                    ui.add_space(12.0);
                    ui.checkbox(&mut p.pause, "Pause answers")
                        .on_hover_text("Your action's answer waits in the composer, to read or edit, before it goes back to the caller");
                });
                if self.target.is_err() {
                    ui.label(
                        RichText::new(
                            "  Set your action's base URL above: calls are relayed there",
                        )
                        .small()
                        .color(Color32::from_rgb(230, 160, 40)),
                    );
                }
            }
            if p != policy {
                self.commands.push(Command::SetPolicy(key.clone(), p));
            }
        }
        ui.separator();
        self.assumptions_section(ui);
        self.allowed_hosts_section(ui);
    }

    /// The session journal, and the recent ones: each opens in a new window (this one keeps
    /// its own session and port).
    fn sessions_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        let mut spawn: Option<Vec<String>> = None;
        egui::Window::new("Sessions")
            .open(&mut open)
            .default_width(560.0)
            .show(ui.ctx(), |ui| {
                match &self.core.session {
                    Some(s) => {
                        ui.label(format!("This window records to {}", s.path.display()));
                        ui.label(
                            RichText::new(
                                "Each exchange is written before its answer leaves and synced to disk within a second.",
                            )
                            .small()
                            .weak(),
                        );
                    }
                    None => {
                        ui.label("This window keeps no journal.");
                    }
                }
                if ui
                    .button("New session in a new window")
                    .on_hover_text("A new window with an empty log and a new journal (on a free port)")
                    .clicked()
                {
                    spawn = Some(vec!["--port".into(), "0".into()]);
                }
                ui.separator();
                ui.label(RichText::new("Recent sessions").strong());
                let recent = crate::journal::recent_sessions(12);
                if recent.is_empty() {
                    ui.label(RichText::new("None yet").weak());
                }
                egui::Grid::new("recent-sessions").striped(true).show(ui, |ui| {
                    for (path, size, modified) in recent {
                        let when: DateTime<Utc> = modified.into();
                        ui.label(
                            RichText::new(
                                path.file_name()
                                    .map(|n| n.to_string_lossy().into_owned())
                                    .unwrap_or_default(),
                            )
                            .monospace(),
                        )
                        .on_hover_text(path.display().to_string());
                        ui.label(format!("{} KiB", size.div_ceil(1024)));
                        ui.label(when.format("%Y-%m-%d %H:%M").to_string());
                        let current = self.core.session.as_ref().is_some_and(|s| s.path == path);
                        if current {
                            ui.label(RichText::new("this window").weak());
                        } else if let Some(who) = crate::journal::open_elsewhere(&path) {
                            ui.label(
                                RichText::new("open elsewhere")
                                    .color(Color32::from_rgb(230, 160, 40)),
                            )
                            .on_hover_text(format!(
                                "Open in {who}: one ActionBench writes a session at a time"
                            ));
                        } else if ui.small_button("Open in a new window").clicked() {
                            spawn = Some(vec![
                                "--session".into(),
                                path.display().to_string(),
                                "--port".into(),
                                "0".into(),
                            ]);
                        }
                        ui.end_row();
                    }
                });
            });
        if let Some(args) = spawn {
            let started = std::env::current_exe()
                .map_err(|e| e.to_string())
                .and_then(|exe| {
                    std::process::Command::new(exe)
                        .args(&args)
                        .spawn()
                        .map_err(|e| e.to_string())
                });
            self.status = Some(match started {
                Ok(_) => ("Opening a new window…".into(), false),
                Err(e) => (format!("Could not open a new window: {e}"), true),
            });
        }
        self.show_sessions &= open;
    }

    /// Two exchanges field by field; ids, tokens and times hidden unless asked for.
    fn diff_window(&mut self, ui: &mut Ui) {
        let Some((a, b)) = self.diff else {
            return;
        };
        let (Some(left), Some(right)) = (self.whole(a), self.whole(b)) else {
            self.diff = None;
            return;
        };
        let all = crate::domain::diff::diff(&left, &right);
        let hidden = all.iter().filter(|d| d.volatile).count();
        let mut open = true;
        let mut show_volatile = self.diff_volatile;
        egui::Window::new(format!("#{a} and #{b}"))
            .id(egui::Id::unique("diff-window"))
            .open(&mut open)
            .default_width(720.0)
            .default_height(460.0)
            .show(ui.ctx(), |ui| {
                ui.checkbox(
                    &mut show_volatile,
                    format!("Show ids, tokens and times ({hidden})"),
                );
                let shown: Vec<_> = all
                    .iter()
                    .filter(|d| show_volatile || !d.volatile)
                    .collect();
                if shown.is_empty() {
                    ui.label(
                        RichText::new("The same, but for ids, tokens and times")
                            .color(Color32::from_rgb(60, 170, 90)),
                    );
                }
                let value = |v: &Option<serde_json::Value>| match v {
                    Some(v) => clip(&v.to_string(), 300),
                    None => "(absent)".to_string(),
                };
                egui::ScrollArea::vertical().show(ui, |ui| {
                    egui::Grid::new("diff-grid")
                        .striped(true)
                        .num_columns(3)
                        .min_col_width(120.0)
                        .show(ui, |ui| {
                            ui.strong("Field");
                            ui.strong(format!("#{a}"));
                            ui.strong(format!("#{b}"));
                            ui.end_row();
                            for d in shown {
                                let color = if d.volatile {
                                    ui.visuals().weak_text_color()
                                } else {
                                    ui.visuals().text_color()
                                };
                                ui.label(RichText::new(&d.path).monospace().color(color));
                                ui.label(
                                    RichText::new(value(&d.left))
                                        .monospace()
                                        .color(Color32::from_rgb(220, 110, 90)),
                                );
                                ui.label(
                                    RichText::new(value(&d.right))
                                        .monospace()
                                        .color(Color32::from_rgb(90, 180, 110)),
                                );
                                ui.end_row();
                            }
                        });
                });
            });
        self.diff_volatile = show_volatile;
        if !open {
            self.diff = None;
        }
    }

    /// ActionBench's public key, with a copy button.
    fn key_window(&mut self, ui: &mut Ui) {
        let mut open = true;
        egui::Window::new("ActionBench's public key")
            .open(&mut open)
            .default_width(620.0)
            .show(ui.ctx(), |ui| match &self.core.public_key {
                Ok(pem) => {
                    ui.label(
                        "ActionBench signs the requests it sends to your action with its own key. \
                         Paste this where your app's public key goes, e.g. \
                         AppStrategy({ appId, publicKey }), so your action accepts them.",
                    );
                    if ui.button("Copy").clicked() {
                        ui.ctx().copy_text(pem.clone());
                        self.status = Some(("Public key copied".into(), false));
                    }
                    ui.add(
                        egui::TextEdit::multiline(&mut pem.as_str())
                            .code_editor()
                            .desired_width(f32::INFINITY),
                    );
                }
                Err(e) => {
                    ui.label(
                        RichText::new(format!("No signing key: {e}"))
                            .color(Color32::from_rgb(220, 70, 60)),
                    );
                }
            });
        self.show_key &= open;
    }

    /// Which host names the inbox answers besides loopback ones (a tunnel's name), and why
    /// web pages never reach it.
    fn allowed_hosts_section(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new("Allowed hosts")
            .id_salt("allowed-hosts")
            .show(ui, |ui| {
                ui.label(
                    RichText::new(
                        "The inbox refuses (403) any request with an Origin header (a web page sent it) and any Host that is not localhost, 127.0.0.0/8 or [::1]. Add a tunnel's name here (.example.com: the domain and its subdomains), comma-separated.",
                    )
                    .small()
                    .weak(),
                );
                let l = ui.label("Hosts");
                let edit = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.hosts_text)
                            .hint_text("abc.trycloudflare.com")
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(l.id);
                let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Apply hosts").clicked() || enter {
                    match crate::engine::parse_allowed_hosts(self.hosts_text.split(',')) {
                        Ok(hosts) => self.commands.push(Command::SetAllowedHosts(hosts)),
                        Err(e) => self.hosts_error = Some(e),
                    }
                }
                if let Some(e) = &self.hosts_error {
                    ui.label(RichText::new(e).color(Color32::from_rgb(220, 70, 60)));
                }
            });
    }

    /// Where the protocol is not documented: each assumption named, with its switch.
    fn assumptions_section(&mut self, ui: &mut Ui) {
        let mut a = self.assumptions;
        egui::CollapsingHeader::new("Protocol assumptions")
            .id_salt("assumptions")
            .show(ui, |ui| {
                ui.label(
                    RichText::new(
                        "Wix does not document these; the workbench assumes, and you can choose.",
                    )
                    .small()
                    .weak(),
                );
                for (what, default) in EXPLAINED {
                    ui.label(RichText::new(format!("• {what}: {default}")).small());
                }
                ui.separator();
                for (label, value) in [
                    ("Second report", &mut a.second_report),
                    ("Report after deadline", &mut a.report_after_timeout),
                ] {
                    egui::ComboBox::new(("assume", label), label)
                        .selected_text(value.label())
                        .show_ui(ui, |ui| {
                            for o in ExtraReport::ALL {
                                ui.selectable_value(value, o, o.label());
                            }
                        });
                }
                ui.checkbox(
                    &mut a.require_authorization,
                    "Refuse reports without Authorization (401)",
                );
                ui.checkbox(
                    &mut a.broken_answer_fails_step,
                    "An answer that breaks the contract fails the step",
                );
            });
        if a != self.assumptions {
            self.commands.push(Command::SetAssumptions(a));
        }
    }

    /// The held calls as one compact strip: how many, the next to run out, and on demand a
    /// virtualized list of them all, so the log stays in view whatever the queue holds.
    fn held_queue(&mut self, ui: &mut Ui) {
        let Some(&next) = self.held.first() else {
            ui.label(RichText::new("No call is held. Send a sample, or POST to the inbox.").weak());
            return;
        };
        let left = |ex: &Exchange, real_now: DateTime<Utc>| match ex.phase {
            Phase::Held { hold_until } => human_duration(hold_until - real_now),
            _ => String::new(),
        };
        ui.horizontal_wrapped(|ui| {
            let n = self.held.len();
            ui.label(
                RichText::new(format!("{n} held {}", plural(n, "call", "calls")))
                    .strong()
                    .color(Color32::from_rgb(230, 160, 40)),
            );
            if let Some(ex) = self.log.get(next as usize - 1) {
                ui.label(format!(
                    "next runs out in {} (#{next} {})",
                    left(&ex, self.real_now),
                    ex.action_key.as_deref().unwrap_or("?")
                ));
            }
            if ui
                .button("Answer next")
                .on_hover_text("Select the held call that runs out first")
                .clicked()
            {
                self.commands.push(Command::Select(next));
            }
            let toggle = if self.show_held {
                "Hide list"
            } else {
                "Show all"
            };
            if ui.button(toggle).clicked() {
                self.show_held = !self.show_held;
            }
        });
        if !self.show_held {
            return;
        }
        let ids: Vec<ExchangeId> = self.held.iter().copied().collect();
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui::ScrollArea::vertical()
            .id_salt("held")
            .max_height(row_h * 6.0)
            .auto_shrink([false, true])
            .show_rows(ui, row_h, ids.len(), |ui, range| {
                for &id in &ids[range] {
                    let Some(ex) = self.log.get(id as usize - 1) else {
                        continue;
                    };
                    let text = format!(
                        "#{id} {} · {} left",
                        ex.action_key.as_deref().unwrap_or("?"),
                        left(&ex, self.real_now)
                    );
                    if ui
                        .selectable_label(
                            self.selected == Some(id),
                            RichText::new(text).color(phase_color(&ex.phase)),
                        )
                        .clicked()
                    {
                        self.commands.push(Command::Select(id));
                    }
                }
            });
    }

    /// Recomputes the rows the filter shows when the filter or the log changed (at most
    /// every 300 ms while calls stream in; at once when the filter itself changed). A slice of
    /// the log per frame, within [`SCAN_BUDGET`]: a million rows never hold up a frame; the
    /// rows found so far show meanwhile.
    fn refresh_rows(&mut self) {
        if self.filter.is_empty() {
            self.rows = None;
            self.rows_for = None;
            self.scan = None;
            return;
        }
        let now = (self.filter.clone(), self.log.len(), self.log_version);
        let start = match (&self.scan, &self.rows_for) {
            (Some(scan), _) => scan.key.0 != now.0,
            (None, None) => true,
            (None, Some(was)) if *was == now => return,
            (None, Some(was)) => {
                if was.0 != now.0 || self.rows_at.elapsed() >= Duration::from_millis(300) {
                    true
                } else {
                    self.ctx.request_repaint_after(Duration::from_millis(300));
                    return;
                }
            }
        };
        if start {
            self.scan = Some(match &self.rows_for {
                // Same filter, same rows, more of them: only the new ones are looked at.
                Some(was) if was.0 == now.0 && was.2 == now.2 && was.1 <= now.1 => Scan {
                    at: was.1,
                    key: now,
                    found: None,
                },
                // Same filter, rows changed: the rows shown stay until the new ones are found.
                Some(was) if was.0 == now.0 => Scan {
                    key: now,
                    at: 0,
                    found: Some(vec![]),
                },
                // A new filter: its rows show as they are found.
                _ => {
                    self.rows = Some(vec![]);
                    Scan {
                        key: now,
                        at: 0,
                        found: None,
                    }
                }
            });
        }
        self.continue_scan();
    }

    /// Looks through the next slice of the log for the filter being applied.
    fn continue_scan(&mut self) {
        let Some(mut scan) = self.scan.take() else {
            return;
        };
        let started = Instant::now();
        let matcher = scan.key.0.matcher();
        let end = scan.key.1.min(self.log.len());
        let rows = match &mut scan.found {
            Some(found) => found,
            None => self.rows.get_or_insert_with(Vec::new),
        };
        let engine = &self.core.engine;
        let log = &self.log;
        // A stand-in for an exchange on disk has no body: when the filter looks inside, the
        // exchange is read back from the journal (tens of microseconds each).
        let matches = |i: usize| {
            let Some(ex) = log.get(i) else {
                return false;
            };
            if ex.is_summary() && matcher.looks_inside() {
                matcher.matches_fields(&ex)
                    && engine
                        .exchange(i as ExchangeId + 1)
                        .is_some_and(|whole| matcher.matches_inside(&whole))
            } else {
                matcher.matches(&ex)
            }
        };
        while scan.at < end {
            let stop = (scan.at + 64).min(end);
            rows.extend((scan.at..stop).filter(|i| matches(*i)).map(|i| i as u32));
            scan.at = stop;
            if started.elapsed() >= SCAN_BUDGET {
                break;
            }
        }
        if scan.at < end {
            self.scan = Some(scan);
            self.ctx.request_repaint();
        } else {
            if let Some(found) = scan.found {
                self.rows = Some(found);
            }
            self.rows_for = Some(scan.key);
            self.rows_at = Instant::now();
        }
    }

    /// How far the filter being applied has looked, when it has not finished.
    fn scanning(&self) -> Option<f32> {
        self.scan
            .as_ref()
            .map(|s| s.at as f32 / s.key.1.max(1) as f32)
    }

    /// Find things: the filter over the log, Ctrl+F to reach it, and the HAR export of what
    /// it shows.
    fn filter_bar(&mut self, ui: &mut Ui) {
        let scanning = self.scanning();
        let f = &mut self.filter;
        ui.horizontal_wrapped(|ui| {
            let find = ui.label("Find").on_hover_text("Ctrl+F");
            let text = ui
                .add(
                    egui::TextEdit::singleline(&mut f.text)
                        .hint_text("text in paths, keys, bodies (Ctrl+F)")
                        .desired_width(220.0),
                )
                .labelled_by(find.id);
            if std::mem::take(&mut self.focus_filter) {
                text.request_focus();
            }
            ui.checkbox(&mut f.flagged, "flagged");
            let more = if self.show_filters {
                "Fewer filters"
            } else {
                "More filters"
            };
            if ui.button(more).clicked() {
                self.show_filters = !self.show_filters;
            }
            if !f.is_empty() && ui.button("Clear filter").clicked() {
                *f = Filter::default();
            }
            let shown = self.rows.as_ref().map_or(self.log.len(), Vec::len);
            if self.rows.is_some() {
                ui.label(format!("{shown} of {}", self.log.len()));
            }
            if let Some(done) = scanning {
                ui.spinner();
                ui.label(RichText::new(format!("looking… {:.0}%", done * 100.0)).weak());
            }
            if ui
                .add_enabled(shown > 0, egui::Button::new("Export HAR…"))
                .on_hover_text("The rows shown, as an HTTP Archive (HAR 1.2)")
                .clicked()
            {
                self.commands.push(Command::ExportHar);
            }
        });
        if !self.show_filters {
            return;
        }
        let f = &mut self.filter;
        ui.horizontal_wrapped(|ui| {
            let dir = match f.direction {
                None => "in & out",
                Some(Direction::Inbound) => "inbound",
                Some(Direction::Outbound) => "outbound",
            };
            egui::ComboBox::new("f-dir", "Direction")
                .selected_text(dir)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.direction, None, "in & out");
                    ui.selectable_value(&mut f.direction, Some(Direction::Inbound), "inbound");
                    ui.selectable_value(&mut f.direction, Some(Direction::Outbound), "outbound");
                });
            egui::ComboBox::new("f-method", "Method")
                .selected_text(f.method.map_or("any method", |m| m.label()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.method, None, "any method");
                    for m in Method::ALL {
                        ui.selectable_value(&mut f.method, Some(m), m.label());
                    }
                });
            egui::ComboBox::new("f-status", "Answer")
                .selected_text(f.status.label())
                .show_ui(ui, |ui| {
                    for s in StatusFilter::ALL {
                        ui.selectable_value(&mut f.status, s, s.label());
                    }
                });
            egui::ComboBox::new("f-key", "Key")
                .selected_text(f.action_key.as_deref().unwrap_or("any key"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.action_key, None, "any key");
                    for k in &self.seen_keys {
                        ui.selectable_value(&mut f.action_key, Some(k.clone()), k);
                    }
                });
            egui::ComboBox::new("f-envelope", "Envelope")
                .selected_text(f.envelope.as_deref().unwrap_or("any envelope"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.envelope, None, "any envelope");
                    for e in [
                        "JSON",
                        "envelope",
                        "JWT ok",
                        "JWT ok, aud?",
                        "JWT ?",
                        "JSON sent",
                        "JWT sent",
                    ] {
                        ui.selectable_value(&mut f.envelope, Some(e.to_string()), e);
                    }
                });
            let act = ui.label("Activation");
            ui.add(
                egui::TextEdit::singleline(&mut f.activation)
                    .hint_text("ID")
                    .desired_width(110.0),
            )
            .labelled_by(act.id);
        });
    }

    fn log_table(&mut self, ui: &mut Ui) {
        let n = self.rows.as_ref().map_or(self.log.len(), Vec::len);
        // The largest id, whatever the filter shows.
        let digits = self.log.len().max(1).ilog10() as f32 + 2.0; // "#" and the digits
        let id_width = (digits * 8.5 + 12.0).max(40.0);
        let selected = self.selected;
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("log")
            .striped(true)
            .stick_to_bottom(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            // Wide enough for the largest id; Status early, so a narrow window keeps it.
            .column(Column::exact(id_width))
            .column(Column::exact(62.0))
            .column(Column::initial(150.0).at_least(90.0).clip(true))
            .column(Column::initial(110.0).at_least(60.0).clip(true))
            .column(Column::initial(120.0).at_least(60.0).clip(true))
            .column(Column::remainder().at_least(50.0).clip(true))
            .header(20.0, |mut h| {
                for title in ["#", "Time", "Status", "Method", "Action key", "Envelope"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, n, |mut row| {
                    let at = match &self.rows {
                        Some(rows) => rows[row.index()] as usize,
                        None => row.index(),
                    };
                    let Some(ex) = self.log.get(at) else {
                        return;
                    };
                    row.set_selected(selected == Some(ex.id));
                    row.col(|ui| {
                        if ui
                            .selectable_label(selected == Some(ex.id), format!("#{}", ex.id))
                            .clicked()
                        {
                            clicked = Some(ex.id);
                        }
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(ex.at.format("%H:%M:%S").to_string()).monospace());
                    });
                    row.col(|ui| {
                        let status = ex
                            .response
                            .as_ref()
                            .map(|r| format!(" {}", r.status))
                            .unwrap_or_default();
                        let flag = if ex.is_flagged() { "FLAGGED " } else { "" };
                        ui.label(
                            RichText::new(format!("{flag}{}{status}", ex.phase.label()))
                                .color(phase_color(&ex.phase)),
                        );
                    });
                    row.col(|ui| {
                        ui.label(ex.method_label());
                    });
                    row.col(|ui| {
                        ui.label(
                            RichText::new(ex.action_key.as_deref().unwrap_or("—")).monospace(),
                        );
                    });
                    row.col(|ui| {
                        // Calls ActionBench made say how they were sent, not verified.
                        let text = Filter::envelope_label(&ex);
                        let label = ui.label(text);
                        if let Some(e) = ex.envelope {
                            label.on_hover_text(e.label());
                        }
                    });
                    if row.response().clicked() {
                        clicked = Some(ex.id);
                    }
                });
            });
        if let Some(id) = clicked {
            self.commands.push(Command::Select(id));
        }
    }

    fn detail(&mut self, ui: &mut Ui) {
        let Some(id) = self.selected else {
            ui.add_space(20.0);
            ui.label(RichText::new("Select a call to see it here.").weak());
            return;
        };
        let Some(ex) = self.whole(id) else {
            return;
        };
        ui.horizontal_wrapped(|ui| {
            ui.heading(format!("#{} {}", ex.id, ex.method_label()));
            ui.label(
                RichText::new(ex.action_key.as_deref().unwrap_or(""))
                    .monospace()
                    .strong(),
            );
            ui.label(
                RichText::new(ex.phase.label())
                    .strong()
                    .color(phase_color(&ex.phase)),
            );
        });
        if let Some(tag) = &ex.tag {
            ui.label(
                RichText::new(tag)
                    .strong()
                    .color(Color32::from_rgb(230, 160, 40)),
            );
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .small_button("Copy as curl")
                .on_hover_text("A curl command that sends this request again")
                .clicked()
            {
                self.commands.push(Command::CopyCurl(ex.id));
            }
            let plugin = matches!(ex.method, Some(m) if m != Method::CompletionReport);
            if ui
                .add_enabled(plugin, egui::Button::new("Save as sample…").small())
                .on_hover_text("A sample file from this call (request, metadata, schemas, a good answer); the list picks it up")
                .clicked()
            {
                self.commands.push(Command::SaveAsSample(ex.id));
            }
            let activation = self
                .inspected
                .as_ref()
                .filter(|(i, _)| *i == ex.id)
                .and_then(|(_, p)| p.request.as_ref())
                .and_then(|r| r.pointer("/activationContext/activationId"))
                .and_then(|a| a.as_str())
                .map(str::to_string);
            if ui
                .small_button("Compare…")
                .on_hover_text("Then select another exchange: the two side by side, field by field")
                .clicked()
            {
                self.commands.push(Command::CompareFrom(ex.id));
            }
            if let Some(a) = activation
                && ui
                    .small_button("This activation")
                    .on_hover_text("Show only the calls of this activation (one automation run)")
                    .clicked()
            {
                self.filter.activation = a;
            }
        });
        ui.label(
            RichText::new(format!(
                "{} {} · {} · {}",
                ex.http_method,
                ex.path,
                ex.envelope.map(|e| e.label()).unwrap_or("not decoded"),
                ex.at.format("%Y-%m-%d %H:%M:%S UTC")
            ))
            .small(),
        );
        match &ex.phase {
            Phase::Held { hold_until } => {
                ui.label(format!(
                    "The caller waits {} more; then the saved answer goes.",
                    human_duration(*hold_until - self.real_now)
                ));
            }
            Phase::Waiting { deadline } => {
                ui.label(
                    RichText::new(format!(
                        "Deadline in {} (at {})",
                        human_duration(*deadline - self.now),
                        deadline.format("%Y-%m-%d %H:%M:%S UTC")
                    ))
                    .color(phase_color(&ex.phase)),
                );
            }
            Phase::Rejected { message, .. } => {
                ui.label(RichText::new(message).color(Color32::from_rgb(220, 70, 60)));
            }
            Phase::Failed { reason } => {
                ui.label(RichText::new(reason).color(Color32::from_rgb(220, 70, 60)));
            }
            _ => {}
        }
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt(("detail", id))
            .show(ui, |ui| {
                if let Some(t) = &ex.target_answer {
                    ui.label(
                        RichText::new(format!("Your action answered HTTP {}", t.status)).strong(),
                    );
                    finding_list(ui, &t.findings);
                    if t.findings.is_empty() {
                        ui.label(
                            RichText::new("Your action's answer meets the contract")
                                .color(Color32::from_rgb(60, 170, 90)),
                        );
                    }
                    if !ex.phase.is_held() {
                        let base = ui.scope_id().with(("target-answer", id));
                        json_tree(ui, base, "your action's answer", &t.body);
                    }
                    ui.separator();
                }
                if ex.phase.is_held() {
                    self.composer(ui, id);
                    ui.separator();
                }
                if matches!(ex.phase, Phase::Waiting { .. }) {
                    self.report_form(ui, &ex);
                    ui.separator();
                }
                ui.label(RichText::new("Timeline").strong());
                for t in &ex.timeline {
                    ui.label(
                        RichText::new(format!("{}  {}", t.at.format("%H:%M:%S"), t.text)).small(),
                    );
                }
                ui.separator();
                // A call to your action: what it answered matters most, so it comes first.
                if ex.direction == Direction::Outbound {
                    response_block(ui, ui.scope_id().with(("tree", id)), &ex);
                    ui.separator();
                }
                if !ex.findings.is_empty() {
                    ui.label(RichText::new("About the request").strong());
                    finding_list(ui, &ex.findings);
                }
                let base = ui.scope_id().with(("tree", id));
                let parts = self
                    .inspected
                    .as_ref()
                    .filter(|(i, _)| *i == id)
                    .map(|(_, p)| p.clone())
                    .unwrap_or_default();
                let req = parts.request.as_ref();
                if let Some(p) = req.and_then(|r| r.get("actionParams")) {
                    json_tree(ui, base, "actionParams", p);
                }
                if let Some(c) = req.and_then(|r| r.get("activationContext")) {
                    json_tree(ui, base, "activationContext", c);
                }
                if let Some(r) = req {
                    if ex.method != Some(Method::Invoke) {
                        json_tree(ui, base, "request", r);
                    } else if let Some(o) = r.as_object() {
                        let others: serde_json::Map<_, _> = o
                            .iter()
                            .filter(|(k, _)| {
                                !matches!(k.as_str(), "actionParams" | "activationContext")
                            })
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect();
                        json_tree(
                            ui,
                            base,
                            "request (other fields)",
                            &serde_json::Value::Object(others),
                        );
                    }
                }
                if let Some(m) = &parts.metadata {
                    json_tree(ui, base, "metadata", m);
                }
                if let Some(h) = &parts.jwt_header {
                    json_tree(ui, base, "JWT header", h);
                }
                if let Some(c) = &parts.jwt_claims {
                    json_tree(ui, base, "JWT claims", c);
                }
                if ex.direction == Direction::Inbound {
                    response_block(ui, base, &ex);
                }
                ui.separator();
                egui::CollapsingHeader::new("Raw request")
                    .id_salt(("raw", id))
                    .show(ui, |ui| {
                        ui.label(
                            RichText::new(ex.arrival.headers.trim_end())
                                .monospace()
                                .small(),
                        );
                        // Read-only (a &str buffer): it can be selected and copied, not edited.
                        let raw = clip(&ex.arrival.text(), 64 * 1024);
                        ui.add(
                            egui::TextEdit::multiline(&mut raw.as_ref())
                                .code_editor()
                                .desired_width(f32::INFINITY),
                        );
                    });
            });
    }

    fn composer(&mut self, ui: &mut Ui, id: ExchangeId) {
        // Limits count from when the call arrived; "in the past" from now, when it would go.
        let times = AnswerTimes {
            requested: self.log.get(id as usize - 1).map_or(self.now, |ex| ex.at),
            answered: self.now,
        };
        let Some(d) = self.drafts.get_mut(&id) else {
            return;
        };
        ui.label(RichText::new("Answer").strong());
        if d.method == Method::Invoke {
            ui.horizontal_wrapped(|ui| {
                for k in AnswerKind::ALL {
                    ui.selectable_value(&mut d.kind, k, k.label());
                }
            });
            match d.kind {
                AnswerKind::Immediate => code_editor(ui, "Result (JSON)", &mut d.result, 6),
                AnswerKind::TimeoutLength => {
                    ui.horizontal(|ui| {
                        let l = ui.label("Timeout in minutes");
                        ui.add(egui::DragValue::new(&mut d.minutes).range(-10..=100_000))
                            .labelled_by(l.id);
                        ui.label(
                            RichText::new(format!(
                                "= {}",
                                human_duration(chrono::Duration::minutes(d.minutes))
                            ))
                            .weak(),
                        );
                    });
                }
                AnswerKind::TimeoutDate => {
                    ui.horizontal(|ui| {
                        let l = ui.label("Timeout date (RFC 3339)");
                        ui.text_edit_singleline(&mut d.date).labelled_by(l.id);
                    });
                }
                AnswerKind::Error => {
                    ui.horizontal(|ui| {
                        let l = ui.label("HTTP status");
                        ui.add(egui::DragValue::new(&mut d.error_status).range(200..=599))
                            .labelled_by(l.id);
                        let l = ui.label("applicationError.code");
                        ui.text_edit_singleline(&mut d.error_code).labelled_by(l.id);
                    });
                }
                AnswerKind::Raw => {
                    ui.horizontal(|ui| {
                        let l = ui.label("HTTP status");
                        ui.add(egui::DragValue::new(&mut d.status).range(200..=599))
                            .labelled_by(l.id);
                    });
                    code_editor(ui, "Answer body (JSON)", &mut d.body, 8);
                }
            }
        } else {
            ui.horizontal(|ui| {
                let l = ui.label("HTTP status");
                ui.add(egui::DragValue::new(&mut d.status).range(200..=599))
                    .labelled_by(l.id);
            });
            code_editor(ui, "Answer body (JSON)", &mut d.body, 6);
        }
        let (reply, findings) = match d.build() {
            Ok(r) => {
                let f = d.findings(&r, times);
                (Some(r), f)
            }
            Err(e) => (None, vec![Finding::error("not-json", e)]),
        };
        finding_list(ui, &findings);
        let broken = findings.iter().any(|f| f.severity == Severity::Error);
        ui.horizontal(|ui| {
            let text = if broken {
                "Send anyway (breaks the contract)"
            } else {
                "Send answer"
            };
            if ui
                .add_enabled(
                    reply.is_some(),
                    egui::Button::new(RichText::new(text).strong()),
                )
                .clicked()
                && let Some(r) = reply
            {
                self.commands.push(Command::Answer(id, r));
            }
            if findings.is_empty() {
                ui.label(RichText::new("Meets the contract").color(Color32::from_rgb(60, 170, 90)));
            }
        });
    }

    fn report_form(&mut self, ui: &mut Ui, ex: &Exchange) {
        let id = ex.id;
        let token = ex.invocation_token.clone().unwrap_or_default();
        let Some(d) = self.reports.get_mut(&id) else {
            return;
        };
        ui.label(
            RichText::new("Report completion (as the action would, with its invocationToken)")
                .strong(),
        );
        code_editor(ui, "Success result (JSON)", &mut d.result, 4);
        let success = d.success(&token);
        let findings = match &success {
            Ok(r) => d.findings(r),
            Err(e) => vec![Finding::error("not-json", e.clone())],
        };
        finding_list(ui, &findings);
        if ui
            .add_enabled(success.is_ok(), egui::Button::new("Report success"))
            .clicked()
            && let Ok(r) = success
        {
            self.commands.push(Command::Report(id, r));
        }
        ui.horizontal(|ui| {
            let l = ui.label("Error description");
            ui.add(
                egui::TextEdit::singleline(&mut d.description)
                    .hint_text("why the action failed, as your code would report it"),
            )
            .labelled_by(l.id);
        });
        if ui.button("Report failure").clicked() {
            self.commands.push(Command::Report(id, d.failure(&token)));
        }
        let url = format!("{}{COMPLETION_REPORT_PATH}", self.core.inbox_url);
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("Or from your code: POST {url}"))
                    .small()
                    .weak(),
            );
            if ui
                .small_button("Copy URL")
                .on_hover_text("The completion API's URL, for your action's report")
                .clicked()
            {
                ui.ctx().copy_text(url.clone());
                self.status = Some((format!("Copied {url}"), false));
            }
        });
    }
}

/// The answer that went back: who gave it, its findings (what, where, why) and its body.
fn response_block(ui: &mut Ui, base: egui::Id, ex: &Exchange) {
    let Some(r) = &ex.response else {
        return;
    };
    ui.separator();
    let by = match r.by {
        AnsweredBy::Developer => "crafted in the window",
        AnsweredBy::Auto => "saved answer",
        AnsweredBy::FailPolicy => "fail mode",
        AnsweredBy::Fallback => "fallback after the hold deadline",
        AnsweredBy::Workbench => "refused by the workbench",
        AnsweredBy::Shutdown => "the workbench closed",
        AnsweredBy::Target => "your action",
    };
    ui.label(RichText::new(format!("Response: HTTP {} ({by})", r.status)).strong());
    finding_list(ui, &r.findings);
    if r.findings.is_empty() && r.by == AnsweredBy::Target && ex.target_answer.is_none() {
        ui.label(RichText::new("Meets the contract").color(Color32::from_rgb(60, 170, 90)));
    }
    json_tree(ui, base, "response body", &r.body);
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

impl eframe::App for App {
    /// Closing: every change recorded so far is written to the session's journal.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let _ = self.core.engine.durable();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(json) = serde_json::to_string(&self.settings()) {
            storage.set_string(super::settings::KEY, json);
        }
    }

    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.now = self.core.engine.now();
        self.real_now = self.core.engine.real_now();
        self.drain();
        self.take_background();
        for run in &mut self.runs {
            while let Ok(ev) = run.handle.events.try_recv() {
                run.events.push(ev);
            }
        }
        if self
            .runs
            .iter()
            .any(|r| !r.handle.is_done() && !r.waiting_for_next())
        {
            // Waits and delays move.
            self.ctx.request_repaint_after(Duration::from_millis(250));
        }
        if !self.held.is_empty() || !self.waiting.is_empty() {
            // Countdowns move.
            self.ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        // Sample files dropped onto the window open like "Open sample…": read and compiled on
        // the runtime's blocking pool, never on the UI thread.
        for file in ui.ctx().input(|i| i.raw.dropped_files.clone()) {
            let (tx, ctx) = (self.bg_tx.clone(), self.ctx.clone());
            self.core.runtime.spawn_blocking(move || {
                let path = file.path().to_path_buf();
                let text = file
                    .bytes()
                    .and_then(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8 text: {e}")));
                // A flow file has a trigger and steps; anything else is read as a sample.
                let is_flow = text.as_ref().is_ok_and(|t| {
                    serde_json::from_str::<serde_json::Value>(t)
                        .is_ok_and(|v| v.get("trigger").is_some() && v.get("steps").is_some())
                });
                let msg = if is_flow {
                    let loaded = text
                        .and_then(|t| LoadedFlow::parse(&t, path.parent()))
                        .map(|mut f| {
                            f.path = Some(path.clone());
                            f
                        })
                        .map_err(|e| format!("{}: {e}", path.display()));
                    Background::FlowPicked(Box::new(loaded))
                } else {
                    let loaded = text
                        .and_then(|text| Sample::parse(&text))
                        .and_then(|sample| LoadedSample::new(sample, Some(path.clone())))
                        .map_err(|e| format!("{}: {e}", path.display()));
                    Background::Picked(Box::new(loaded))
                };
                let _ = tx.send(msg);
                ctx.request_repaint();
            });
        }
        if let Some(p) = self.presenting.clone() {
            for a in presenter::keys(ui) {
                self.commands.push(Command::Presenter(a));
            }
            if let Some(run) = self.runs.get(p.run) {
                let bg = if p.dark {
                    Color32::from_gray(22)
                } else {
                    Color32::from_gray(252)
                };
                let (live, waiting) = (!run.handle.is_done(), run.waiting_for_next());
                let (now, warp) = (self.now, self.warp);
                egui::CentralPanel::default()
                    .frame(egui::Frame::new().fill(bg).inner_margin(28.0))
                    .show(ui, |ui| {
                        presenter::draw(
                            ui,
                            &p,
                            &run.flow.flow,
                            &run.events,
                            live,
                            waiting,
                            now,
                            warp,
                        )
                    });
            }
            for cmd in std::mem::take(&mut self.commands) {
                self.apply(cmd);
            }
            return;
        }
        if let Some(id) = self.selected
            && self.inspected.as_ref().is_none_or(|(i, _)| *i != id)
            && let Some(ex) = self.whole(id)
        {
            self.inspected = Some((id, Arc::new(ex.arrival.inspect())));
        }
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        // The session cannot be written: said until it can again (looked at every second).
        if let Some(why) = self.core.engine.recording_trouble() {
            egui::Panel::top("recording-trouble")
                .frame(
                    egui::Frame::NONE
                        .fill(Color32::from_rgb(150, 30, 30))
                        .inner_margin(egui::Margin::symmetric(8, 6)),
                )
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(format!(
                            "Recording stopped: {why}. Calls to the inbox are refused (503) until the session can be written again, so nothing answered goes unrecorded; it resumes by itself."
                        ))
                        .color(Color32::WHITE)
                        .strong(),
                    );
                });
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
        egui::Panel::bottom("status").show(ui, |ui| match &self.status {
            Some((s, err)) => {
                let color = if *err {
                    Color32::from_rgb(220, 70, 60)
                } else {
                    ui.visuals().text_color()
                };
                ui.label(RichText::new(s).color(color));
            }
            None => {
                ui.label(RichText::new("Ready").weak());
            }
        });
        // Both side panes resize by dragging their edge. Their starting sizes leave the log
        // room for its Status column at 1024 px.
        egui::Panel::left("samples")
            .resizable(true)
            .default_size(245.0)
            .min_size(160.0)
            .show(ui, |ui| self.samples_panel(ui));
        egui::Panel::right("detail")
            .resizable(true)
            .default_size(410.0)
            .min_size(240.0)
            .show(ui, |ui| self.detail(ui));
        if self.show_key {
            self.key_window(ui);
        }
        if self.show_lab {
            self.lab_window(ui);
        }
        if self.show_sessions {
            self.sessions_window(ui);
        }
        if self.diff.is_some() {
            self.diff_window(ui);
        }
        if ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::F)) {
            self.focus_filter = true;
        }
        self.refresh_rows();
        egui::CentralPanel::default().show(ui, |ui| {
            self.held_queue(ui);
            ui.separator();
            self.filter_bar(ui);
            self.log_table(ui);
        });
        for cmd in std::mem::take(&mut self.commands) {
            self.apply(cmd);
        }
    }
}

/// "1 call", "2 calls".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

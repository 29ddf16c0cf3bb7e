//! The window: a compositor of panels. It reads the engine's event stream into the window's copy
//! of the log (`logic`), draws the panels from a read-only context (`frame`), and routes the
//! commands clicks and background jobs send (`dispatch`): a panel's own to that panel, the rest
//! to what is global to the window (the selection, the windows open, flow runs and presenter
//! mode, the sample and flow lists, files asked for). No engine lock is taken while drawing.

use super::panels::detail::DetailPanel;
use super::panels::diff::DiffWindow;
use super::panels::held::HeldStrip;
use super::panels::lab::LabWindow;
use super::panels::left::LeftPanel;
use super::panels::log::LogPanel;
use super::panels::path_prompt::PathPrompt;
use super::panels::sessions::SessionsWindow;
use super::presenter::{self, Presenter};
use crate::domain::clock::WARP_FACTORS;
use crate::domain::flow::LoadedFlow;
use crate::domain::invocation::{Exchange, ExchangeId, Phase, Row};
use crate::domain::sample::{LoadedSample, Sample};
use crate::engine::{Reply, Subscription};
use crate::play::automation::{self, RunOptions};
use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

mod dispatch;
mod files;
mod frame;
mod logic;
mod persist;
mod runs;

pub use super::context::*;
pub use super::widgets::plural;

pub struct App {
    core: Core,
    events: Subscription,
    /// The window's copy of the log, kept from the engine's events.
    mirror: Mirror,
    selected: Option<ExchangeId>,
    /// The list ↑/↓ move in.
    keys_to: ListFocus,
    /// Where panels, the logic step and background jobs send commands; drained after each
    /// pass until empty.
    commands: CommandSender,
    command_rx: Receiver<Command>,
    status: Option<(String, bool)>,
    /// The status as presenter mode last showed it on the stage, and since when.
    stage_status: Option<(String, Instant)>,
    now: DateTime<Utc>,
    real_now: DateTime<Utc>,
    ctx: egui::Context,
    runs: Vec<RunView>,
    /// The runs whose events are taken each frame (indexes into `runs`): a run leaves once it
    /// has finished and its last events are in, so a frame looks at the runs still going, not
    /// at every run so far.
    following: Vec<usize>,
    /// The finished runs that still keep their whole story, oldest first; and how many may.
    detailed: std::collections::VecDeque<usize>,
    stories_kept: usize,
    /// The runs your app's events start, as they start.
    event_runs: Option<Receiver<crate::play::automations::StartedRun>>,
    /// What the watched folders hold, each time they change.
    reloads: Option<Receiver<Arc<crate::startup::reload::Reloaded>>>,
    /// Presenter mode waits for the next event-started run of this flow (by name).
    awaiting: Option<String>,
    presenting: Option<Presenter>,
    /// The window's theme before presenter mode changed it.
    saved_theme: Option<egui::Theme>,
    /// The path field, where no file dialog can open.
    path_prompt: Option<PathPrompt>,
    open: OpenWindows,
    // Each panel, with its own state.
    held_strip: HeldStrip,
    log_panel: LogPanel,
    detail: DetailPanel,
    left: LeftPanel,
    lab: LabWindow,
    diff: DiffWindow,
    sessions: SessionsWindow,
    /// The side panels' widths: the user's, and as drawn.
    widths: frame::Widths,
}

/// The shared context of `$app` (an `App`), borrowing its fields one by one so that a panel's
/// own state can be borrowed `&mut` beside it. Warp and assumptions are the engine's.
macro_rules! view {
    ($app:expr) => {
        $crate::ui::context::ViewCtx {
            core: &$app.core,
            mirror: &$app.mirror,
            selected: $app.selected,
            keys_to: $app.keys_to,
            now: $app.now,
            real_now: $app.real_now,
            warp: $app.core.engine.warp().factor(),
            assumptions: $app.core.engine.assumptions(),
            runs: &$app.runs,
            awaiting: $app.awaiting.as_deref(),
            open: $app.open,
            lab: $app.lab.state(),
            tx: &$app.commands,
            egui: &$app.ctx,
        }
    };
}
pub(crate) use view;

/// How long one frame may spend taking events in.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Exchanges the list keeps whole, newest first; older ended ones are kept as summaries.
pub const WHOLE_IN_LIST: usize = 20_000;

impl App {
    pub fn new(core: Core, ctx: &egui::Context) -> App {
        crate::ui::theme::install(ctx);
        let wake_ctx = ctx.clone();
        // Drained every frame; one that falls behind catches up from the engine's rows (cheap:
        // old ones come packed).
        let events = core.engine.subscribe(
            16_384,
            Some(Arc::new(move || {
                wake_ctx.request_repaint_after(Duration::from_millis(30))
            })),
        );
        let (commands, command_rx) = CommandSender::new(ctx);
        // The keys the window lists start with the samples'.
        let keys = core
            .samples
            .iter()
            .filter_map(|s| s.sample.action_key().map(str::to_string))
            .collect();
        let log = core.engine.rows();
        let (now, real_now) = (core.engine.now(), core.engine.real_now());
        let event_runs = core.automations.as_ref().map(|a| {
            let wake = ctx.clone();
            // Every event of every run wakes the window: a burst of reports is drawn once per
            // 30 ms, not once per event.
            a.set_wake(Some(Arc::new(move || {
                wake.request_repaint_after(Duration::from_millis(30))
            })));
            a.subscribe()
        });
        let reloads = core.watching.as_ref().map(|w| {
            let wake = ctx.clone();
            w.subscribe(Some(Arc::new(move || wake.request_repaint())))
        });
        let mut app = App {
            reloads,
            runs: vec![],
            following: vec![],
            detailed: std::collections::VecDeque::new(),
            stories_kept: runs::RUN_DETAILS_KEPT,
            event_runs,
            awaiting: None,
            presenting: None,
            saved_theme: None,
            path_prompt: None,
            open: OpenWindows::default(),
            mirror: Mirror {
                keys,
                log: crate::ui::list::List::over(core.engine.clone()),
                ..Mirror::default()
            },
            selected: None,
            keys_to: ListFocus::Log,
            commands,
            command_rx,
            status: None,
            stage_status: None,
            now,
            real_now,
            ctx: ctx.clone(),
            held_strip: HeldStrip::default(),
            log_panel: LogPanel::default(),
            detail: DetailPanel::default(),
            left: LeftPanel::new(&core),
            lab: LabWindow::default(),
            diff: DiffWindow::default(),
            sessions: SessionsWindow::default(),
            widths: frame::Widths::default(),
            core,
            events,
        };
        // The target forward mode and flows use starts as the form from the flags makes it.
        *app.core.target.write().unwrap_or_else(|e| e.into_inner()) = app.left.form().target().ok();
        for (i, row) in log.into_iter().enumerate() {
            app.take_row(i, row);
        }
        // A reopened session's rows came in a table of their own, gone now.
        crate::platform::give_back_memory();
        app.status = app.opening_status();
        if let Some(flow) = app.core.present.take() {
            app.start_run(flow, true);
        }
        app
    }

    /// What the status bar says first: a session reopened, and what could not be read.
    fn opening_status(&self) -> Option<(String, bool)> {
        let mut status = None;
        if let Some(s) = &self.core.session
            && (s.restored > 0 || !s.warnings.is_empty())
        {
            let what = plural(s.restored, "exchange", "exchanges");
            let mut text = if s.read_only {
                format!(
                    "Opened {} read-only (a shared page): {} {what}; new calls to the inbox are not recorded",
                    s.path.display(),
                    s.restored
                )
            } else {
                format!(
                    "Reopened {}: {} {what} restored",
                    s.path.display(),
                    s.restored
                )
            };
            for w in &s.warnings {
                text.push_str(&format!("; warning: {w}"));
            }
            status = Some((text, !s.warnings.is_empty()));
        }
        for (what, errors) in [
            ("flows", &self.core.flow_errors),
            ("samples", &self.core.sample_errors),
        ] {
            if !errors.is_empty() {
                status = Some((
                    format!("Some {what} were skipped: {}", errors.join("; ")),
                    true,
                ));
            }
        }
        status
    }

    /// The flow runs the window follows.
    pub fn runs(&self) -> &[RunView] {
        &self.runs
    }

    /// How many finished runs keep their whole story ([`runs::RUN_DETAILS_KEPT`] unless set;
    /// tests set fewer).
    pub fn keep_run_stories(&mut self, n: usize) {
        self.stories_kept = n;
    }

    /// The widths the last frame drew the left panel, the log and the detail pane at.
    pub fn panel_widths(&self) -> [f32; 3] {
        self.widths.shown
    }

    /// The presenter view's state, when presenting.
    pub fn presenter(&self) -> Option<&Presenter> {
        self.presenting.as_ref()
    }

    pub fn selected(&self) -> Option<ExchangeId> {
        self.selected
    }

    pub fn log(&self) -> &crate::ui::list::List {
        &self.mirror.log
    }

    /// The action keys the window offers to answer (the Action keys section).
    pub fn action_keys(&self) -> &std::collections::BTreeSet<String> {
        &self.mirror.keys
    }

    /// Exchange `id` whole: from the list, or read back from the journal when the list holds
    /// only its summary.
    pub fn whole(&self, id: ExchangeId) -> Option<Exchange> {
        self.mirror.whole(&self.core.engine, id)
    }
}

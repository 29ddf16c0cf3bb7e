//! The window. It reads the engine's event stream in `logic`, draws from its own copy of the
//! log in `ui`, and turns clicks into [`Command`]s applied after the pass: no engine lock is
//! ever taken while drawing.

use super::filter::Filter;
use super::list::List;
use super::panels;
use super::panels::detail::DetailPanel;
use super::panels::diff::DiffWindow;
use super::panels::held::HeldStrip;
use super::panels::lab::LabWindow;
use super::panels::left::{HostsField, LeftPanel, YourAction};
use super::panels::log::LogPanel;
use super::panels::sessions::SessionsWindow;
use super::presenter::{self, Presenter};
use crate::domain::as_wix::Source;
use crate::domain::assumptions::Assumptions;
use crate::domain::clock::WARP_FACTORS;
use crate::domain::contract::Severity;
use crate::domain::definition::Definition;
use crate::domain::flow::LoadedFlow;
use crate::domain::invocation::{Exchange, ExchangeId, Phase, Row};
use crate::domain::sample::{LoadedSample, Sample};
use crate::domain::wire::Method;
use crate::engine::{ActionSchemas, Reply, Subscription};
use crate::play::automation::{self, RunOptions};
use crate::play::sender::send_sample;
use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

mod dispatch;
mod files;
mod frame;
mod logic;
mod persist;

pub use super::context::*;
use super::widgets::clip;
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
    now: DateTime<Utc>,
    real_now: DateTime<Utc>,
    warp: u32,
    /// The engine's protocol assumptions, as the window last set them.
    assumptions: Assumptions,
    client: reqwest::Client,
    ctx: egui::Context,
    runs: Vec<RunView>,
    presenting: Option<Presenter>,
    /// The window's theme before presenter mode changed it.
    saved_theme: Option<egui::Theme>,
    // Each panel's own state.
    held_strip: HeldStrip,
    log_panel: LogPanel,
    detail: DetailPanel,
    left: LeftPanel,
    windows: Windows,
}

/// The shared context of `$app` (an `App`), borrowing its fields one by one so that a panel's
/// own state can be borrowed `&mut` beside it.
macro_rules! view {
    ($app:expr) => {
        ViewCtx {
            core: &$app.core,
            mirror: &$app.mirror,
            selected: $app.selected,
            keys_to: $app.keys_to,
            now: $app.now,
            real_now: $app.real_now,
            warp: $app.warp,
            assumptions: $app.assumptions,
            runs: &$app.runs,
            open: $app.windows.open,
            lab_running: $app.windows.lab.running,
            lab_done: $app.windows.lab.result.is_some(),
            tx: &$app.commands,
        }
    };
}
pub(crate) use view;

/// The windows over the log.
#[derive(Default)]
pub struct Windows {
    pub open: OpenWindows,
    pub lab: LabWindow,
    pub diff: DiffWindow,
    pub sessions: SessionsWindow,
    /// The path field, where no file dialog can open.
    pub path_prompt: Option<PathPrompt>,
}

/// How long one frame may spend taking events in.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Exchanges the list keeps whole, newest first; older ended ones are kept as summaries.
pub const WHOLE_IN_LIST: usize = 20_000;

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
        let (commands, command_rx) = CommandSender::new(ctx);
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
        let hosts = core.engine.allowed_hosts().join(", ");
        *core.target.write().unwrap_or_else(|e| e.into_inner()) = target.clone().ok();
        let mut app = App {
            runs: vec![],
            presenting: None,
            saved_theme: None,
            assumptions,
            core,
            events,
            mirror: Mirror {
                keys,
                ..Mirror::default()
            },
            selected: None,
            keys_to: ListFocus::Log,
            commands,
            command_rx,
            status: None,
            now,
            real_now,
            warp,
            client: reqwest::Client::new(),
            ctx: ctx.clone(),
            held_strip: HeldStrip::default(),
            log_panel: LogPanel {
                filter: Filter::default(),
                rows: None,
                rows_for: None,
                rows_at: Instant::now(),
                scan: None,
                show_filters: false,
                focus_filter: false,
            },
            detail: DetailPanel::default(),
            left: LeftPanel {
                tab: LeftTab::Samples,
                action: YourAction {
                    form: target_form,
                    target,
                    source: SourceChoice::Trigger,
                    skip_delays: false,
                },
                hosts: HostsField {
                    text: hosts,
                    error: None,
                    applied: None,
                },
                actions: Default::default(),
            },
            windows: Windows::default(),
        };
        for (i, row) in log.into_iter().enumerate() {
            app.take_row(i, row);
        }
        if let Some(s) = &app.core.session
            && (s.restored > 0 || !s.warnings.is_empty())
        {
            let mut text = if s.read_only {
                format!(
                    "Opened {} read-only (a shared page): {} {}; new calls to the inbox are not recorded",
                    s.path.display(),
                    s.restored,
                    plural(s.restored, "exchange", "exchanges")
                )
            } else {
                format!(
                    "Reopened {}: {} {} restored",
                    s.path.display(),
                    s.restored,
                    plural(s.restored, "exchange", "exchanges")
                )
            };
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

    /// The flow runs the window follows.
    pub fn runs(&self) -> &[RunView] {
        &self.runs
    }

    /// The presenter view's state, when presenting.
    pub fn presenter(&self) -> Option<&Presenter> {
        self.presenting.as_ref()
    }

    pub fn selected(&self) -> Option<ExchangeId> {
        self.selected
    }

    pub fn log(&self) -> &List {
        &self.mirror.log
    }

    /// Exchange `id` whole: from the list, or read back from the journal when the list holds
    /// only its summary.
    pub fn whole(&self, id: ExchangeId) -> Option<Exchange> {
        self.mirror.whole(&self.core.engine, id)
    }

    pub(super) fn schemas_for(&self, ex: &Exchange) -> ActionSchemas {
        self.core.schemas_for(ex)
    }
}

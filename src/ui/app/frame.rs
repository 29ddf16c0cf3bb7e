//! The window's frame: eframe's logic and ui steps, saving, and closing.

use super::{
    App, Command, Duration, Instant, LoadedFlow, LoadedSample, RichText, Sample, Ui, presenter,
    view,
};
use crate::ui::{panels, theme};

impl eframe::App for App {
    /// Closing: every change recorded so far is written to the session's journal.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let _ = self.core.engine.durable();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(json) = serde_json::to_string(&self.settings()) {
            storage.set_string(crate::ui::settings::KEY, json);
        }
    }

    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.now = self.core.engine.now();
        self.real_now = self.core.engine.real_now();
        self.drain();
        // Background jobs' results, and anything queued since the last pass.
        self.run_commands();
        self.take_event_runs();
        self.take_reloads();
        self.follow_runs();
        // Clocks, countdowns and waits move once a second: whatever shows a time asks for its
        // next frame while it is shown (see `widgets::tick_each_second`).
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.take_dropped_files(ui);
        if self.presenting.is_some() {
            self.presenter_frame(ui);
        } else {
            self.window_frame(ui);
        }
        // A path chosen in the field leaves it without its ask: it has done its work.
        if self.path_prompt.as_ref().is_some_and(|p| p.ask.is_none()) {
            self.path_prompt = None;
        }
        self.run_commands();
    }
}

impl App {
    /// Sample and flow files dropped onto the window open like "Open sample…": read and
    /// compiled on the runtime's blocking pool, never on the UI thread.
    fn take_dropped_files(&mut self, ui: &Ui) {
        for file in ui.ctx().input(|i| i.raw.dropped_files.clone()) {
            self.spawn_blocking(move || read_dropped(file.as_ref()));
        }
    }

    /// Presenter mode: the run's story, full window.
    fn presenter_frame(&mut self, ui: &mut Ui) {
        let Some(p) = self.presenting.clone() else {
            return;
        };
        // While a path is typed (sharing where no dialog opens), keys are the field's.
        if self.path_prompt.is_none() {
            for a in presenter::keys(ui) {
                self.commands.send(Command::Presenter(a));
            }
        }
        if let Some(run) = self.runs.get(p.run) {
            let shown = p.cursor.unwrap_or(run.events.len().saturating_sub(1));
            let view = presenter::View {
                presenter: &p,
                story: &run.story,
                payload: run.events.get(shown).map(|e| &e.payload),
                live: !run.handle.is_done(),
                waiting_for_next: run.waiting_for_next(),
                now: self.now,
                warp: self.core.engine.warp().factor(),
            };
            egui::CentralPanel::default()
                .frame(
                    egui::Frame::new()
                        .fill(theme::by_theme(theme::STAGE_BG, p.dark))
                        .inner_margin(28.0),
                )
                .show(ui, |ui| presenter::draw(ui, &view));
        }
        self.presenter_status(ui, p.dark);
        // Sharing the run where no file dialog can open asks for its path here too.
        if let Some(prompt) = &mut self.path_prompt {
            panels::path_prompt::show(ui, &view!(self), prompt);
        }
    }

    /// What the status bar would say (S saved the run's page, or could not), said on the stage
    /// for a few seconds: presenter mode has no status bar.
    fn presenter_status(&mut self, ui: &mut Ui, dark: bool) {
        let Some((text, error)) = &self.status else {
            return;
        };
        if self.stage_status.as_ref().is_none_or(|(t, _)| t != text) {
            self.stage_status = Some((text.clone(), Instant::now()));
        }
        let Some((_, since)) = &self.stage_status else {
            return;
        };
        let left = Duration::from_secs(5).saturating_sub(since.elapsed());
        if left.is_zero() {
            return;
        }
        ui.ctx().request_repaint_after(left);
        let ground = theme::by_theme(theme::CARD_FILL, dark);
        let color = if *error {
            theme::ink_on(theme::ERROR, ground)
        } else {
            theme::by_theme(theme::STAGE_TEXT, dark)
        };
        egui::Area::new(egui::Id::unique("presenter-status"))
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(0.0, -16.0))
            .show(ui.ctx(), |ui| {
                egui::Frame::new()
                    .fill(ground)
                    .corner_radius(6.0)
                    .inner_margin(egui::Margin::symmetric(14, 8))
                    .show(ui, |ui| {
                        ui.label(RichText::new(text).size(16.0).color(color))
                    });
            });
    }

    /// The window: the top bar, the banner when recording stopped, the status bar, the side
    /// panels, the windows over the log, and the held strip and the log.
    fn window_frame(&mut self, ui: &mut Ui) {
        let top = egui::Panel::top("top").show(ui, |ui| panels::top_bar::show(ui, &view!(self)));
        crate::ui::widgets::set_work_top(ui.ctx(), top.response.rect.bottom());
        if let Some(why) = self.core.engine.recording_trouble() {
            recording_banner(ui, &why);
        }
        egui::Panel::bottom("status").show(ui, |ui| status_bar(ui, self.status.as_ref()));
        // Both side panes resize by dragging their edge, and only so. Their starting sizes
        // leave the log half the window at 1024 px.
        let width = ui.ctx().content_rect().width();
        let look_up = !std::mem::replace(&mut self.widths.looked_up, true);
        let left = steady_panel(
            ui,
            egui::Panel::left("samples").min_size(160.0),
            "samples",
            (&mut self.widths.left_set, look_up),
            LEFT_WIDTH,
            |ui| self.left.show(ui, &view!(self)),
        );
        let detail = (width - LEFT_WIDTH - width / 2.0).clamp(240.0, 410.0);
        let right = steady_panel(
            ui,
            egui::Panel::right("detail").min_size(240.0),
            "detail",
            (&mut self.widths.detail_set, look_up),
            detail,
            |ui| self.detail.show(ui, &view!(self)),
        );
        self.widths.shown = [left, width - left - right, right];
        if self.open.key {
            panels::key::show(ui, &view!(self));
        }
        self.lab.show(ui, &view!(self));
        self.sessions.show(ui, &view!(self));
        if let Some(prompt) = &mut self.path_prompt {
            panels::path_prompt::show(ui, &view!(self), prompt);
        }
        self.diff.show(ui, &view!(self));
        egui::CentralPanel::default().show(ui, |ui| {
            self.held_strip.show(ui, &view!(self));
            ui.separator();
            self.log_panel.show(ui, &view!(self));
        });
    }
}

/// The left panel's width to start with.
const LEFT_WIDTH: f32 = 245.0;

/// The side panels' widths: as the user last dragged them (or as a previous run left them),
/// None while the panel keeps its starting width; and as the last frame drew them (left, log,
/// detail).
#[derive(Default)]
pub struct Widths {
    left_set: Option<f32>,
    detail_set: Option<f32>,
    /// Whether a previous run's widths were looked up (on the first frame).
    looked_up: bool,
    pub shown: [f32; 3],
}

/// A side panel whose width changes only when the user drags its edge: content wider than it
/// (a long run title, a wide tree) is clipped and wraps or truncates, never widening it. Until
/// it is dragged it keeps `default` (which follows the window's width). Its width as drawn.
fn steady_panel(
    ui: &mut Ui,
    panel: egui::Panel,
    salt: &str,
    (set, look_up): (&mut Option<f32>, bool),
    default: f32,
    add: impl FnOnce(&mut Ui),
) -> f32 {
    let id = ui.scope_id().with(salt);
    if look_up {
        *set = egui::PanelState::load(ui.ctx(), id).map(|s| s.outer_rect.width());
    }
    let dragged = ui
        .ctx()
        .read_response(id.with("__resize"))
        .is_some_and(|r| r.dragged() || r.drag_stopped());
    let panel = panel.resizable(true).default_size(set.unwrap_or(default));
    let panel = match (dragged, *set) {
        (true, _) => panel,
        (false, Some(w)) => panel.max_size(w),
        (false, None) => panel.exact_size(default),
    };
    let shown = panel.show(ui, add).response.rect.width();
    if dragged {
        *set = Some(shown);
    }
    shown
}

/// A dropped file, read: a flow file (it has a trigger and steps), else a sample.
fn read_dropped(file: &dyn egui::DroppedFile) -> Command {
    let path = file.path().to_path_buf();
    let text = file
        .bytes()
        .and_then(|b| String::from_utf8(b).map_err(|e| format!("not UTF-8 text: {e}")));
    let is_flow = text.as_ref().is_ok_and(|t| {
        serde_json::from_str::<serde_json::Value>(t).is_ok_and(|v| {
            (v.get("trigger").is_some() && v.get("steps").is_some())
                || crate::domain::automation::looks_like(&v)
        })
    });
    if is_flow {
        let loaded = text
            .and_then(|t| LoadedFlow::parse(&t, path.parent()))
            .map(|mut f| {
                f.path = Some(path.clone());
                f
            })
            .map_err(|e| format!("{}: {e}", path.display()));
        Command::FlowOpened(Box::new(loaded))
    } else {
        let loaded = text
            .and_then(|text| Sample::parse(&text))
            .and_then(|sample| LoadedSample::new(sample, Some(path.clone())))
            .map_err(|e| format!("{}: {e}", path.display()));
        Command::SampleOpened(Box::new(loaded))
    }
}

/// The session cannot be written: said until it can again (looked at every second).
fn recording_banner(ui: &mut Ui, why: &str) {
    egui::Panel::top("recording-trouble")
        .frame(
            egui::Frame::NONE
                .fill(theme::ALARM)
                .inner_margin(egui::Margin::symmetric(8, 6)),
        )
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "Recording stopped: {why}. Calls to the inbox are refused (503) until the session can be written again, so nothing answered goes unrecorded; it resumes by itself."
                ))
                .color(egui::Color32::WHITE)
                .strong(),
            );
        });
    ui.ctx().request_repaint_after(Duration::from_secs(1));
}

fn status_bar(ui: &mut Ui, status: Option<&(String, bool)>) {
    match status {
        Some((s, err)) => {
            let color = if *err {
                theme::ink(ui, theme::ERROR)
            } else {
                ui.visuals().text_color()
            };
            ui.label(RichText::new(s).color(color));
        }
        None => {
            ui.label(RichText::new("Ready").weak());
        }
    }
}

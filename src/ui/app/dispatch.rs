//! The router: each command to whoever owns what it changes. A panel's own commands go to the
//! panel; the window's own (the selection, the windows, flow runs and presenter mode, the
//! sample and flow lists, files asked for) to the methods that keep them. No handler calls
//! back in here: what a handler wants next, it sends.

use super::{App, Command, ExchangeId, ListFocus, PanelCmd, Window, view};

impl App {
    pub(super) fn apply(&mut self, cmd: Command) {
        match cmd {
            Command::Select(id) => self.select(id),
            Command::SelectIfNone(id) => {
                if self.selected.is_none() {
                    self.select(id);
                }
            }
            Command::KeysTo(list) => self.keys_to = list,
            Command::Status(why, error) => self.status = Some((why, error)),
            Command::Saved(result) => {
                self.status = Some(result.map_or_else(|e| (e, true), |w| (w, false)))
            }
            Command::ToggleWindow(w) => self.show_window(w, !self.open.get(w)),
            Command::ShowWindow(w, open) => self.show_window(w, open),
            Command::OpenNewWindow(args) => self.open_new_window(&args),
            Command::SetDark(dark) => self.ctx.set_theme(if dark {
                egui::Theme::Dark
            } else {
                egui::Theme::Light
            }),
            Command::SetWarp(f) => self.core.engine.set_warp(f),
            Command::BackToNow => {
                self.core.engine.back_to_now();
                self.now = self.core.engine.now();
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
            Command::StopRun(i) => self.stop_run(i),
            Command::AwaitEvent(i) => self.await_event(i),
            Command::Presenter(a) => self.presenter_action(a),
            Command::ShareRun(i, path) => self.share_run(i, path),
            Command::AskFile(ask) => self.ask_file(ask),
            Command::PathField(ask, why) => self.path_field(ask, why),
            Command::ClosePathField => self.close_path_field(),
            Command::LoadSample(path) => self.load_sample(path),
            Command::LoadFlow(path) => self.load_flow(path),
            Command::SaveSample { name, sample } => self.save_sample(&name, sample),
            Command::WriteSample(path, sample) => self.write_sample(path, sample),
            Command::SampleOpened(read) => self.sample_opened(*read),
            Command::SampleSaved(path, read) => self.sample_saved(path, *read),
            Command::FlowOpened(read) => self.flow_opened(*read),
            Command::SendSample(i) => {
                use crate::ui::panels::left::LeftCmd;
                self.left.handle(LeftCmd::SendSample(i), &view!(self));
            }
            Command::RunLab(i) => {
                use crate::ui::panels::lab::LabCmd;
                self.lab.handle(LabCmd::Run(i), &view!(self));
            }
            Command::CompareFrom(id) => {
                use crate::ui::panels::diff::DiffCmd;
                self.diff.handle(DiffCmd::CompareFrom(id), &view!(self));
            }
            Command::FilterActivation(a) => {
                use crate::ui::panels::log::LogCmd;
                self.log_panel
                    .handle(LogCmd::FilterActivation(a), &view!(self));
            }
            Command::Panel(msg) => self.route(msg),
        }
    }

    /// A panel's own command, to the panel whose it is: every panel's, matched.
    fn route(&mut self, msg: PanelCmd) {
        match msg {
            PanelCmd::Log(c) => self.log_panel.handle(c, &view!(self)),
            PanelCmd::Detail(c) => self.detail.handle(c, &view!(self)),
            PanelCmd::Diff(c) => self.diff.handle(c, &view!(self)),
            PanelCmd::Lab(c) => self.lab.handle(c, &view!(self)),
            PanelCmd::Left(c) => self.left.handle(c, &view!(self)),
            PanelCmd::Actions(c) => self.left.handle_actions(c, &view!(self)),
            PanelCmd::Triggers(c) => self.left.handle_triggers(c, &view!(self)),
        }
    }

    fn select(&mut self, id: ExchangeId) {
        self.selected = Some(id);
        self.commands
            .panel(crate::ui::panels::diff::DiffCmd::Selected(id));
    }

    fn show_window(&mut self, w: Window, open: bool) {
        self.open.set(w, open);
        // A closed window's list gives the keys back to the log.
        if !open && w == Window::Sessions && self.keys_to == ListFocus::Sessions {
            self.keys_to = ListFocus::Log;
        }
    }

    fn open_new_window(&mut self, args: &[String]) {
        let started = std::env::current_exe()
            .map_err(|e| e.to_string())
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .args(args)
                    .spawn()
                    .map_err(|e| e.to_string())
            });
        self.status = Some(match started {
            Ok(_) => ("Opening a new window…".into(), false),
            Err(e) => (format!("Could not open a new window: {e}"), true),
        });
    }

    /// Applies every queued command, and those they queue, until none is left.
    pub(super) fn run_commands(&mut self) {
        while let Ok(cmd) = self.command_rx.try_recv() {
            self.apply(cmd);
        }
    }

    /// Runs `job` on the runtime's blocking pool; the command it ends with is applied when it
    /// is done.
    pub(super) fn spawn_blocking(&self, job: impl FnOnce() -> Command + Send + 'static) {
        view!(self).spawn_blocking(job);
    }
}

//! The envelope lab's window: each deliberately wrong envelope and what your action said.

use super::{Command, PanelCmd, RichText, Ui, ViewCtx, Window};
use crate::play::LabRow;
use crate::ui::theme;

/// The envelope lab: running, or its last results.
#[derive(Default)]
pub struct LabWindow {
    result: Option<Result<Vec<LabRow>, String>>,
    running: bool,
}

pub use crate::ui::context::panel_commands::LabCmd;

impl LabWindow {
    /// Whether it runs, and whether it has results to show.
    pub fn state(&self) -> crate::ui::context::LabState {
        crate::ui::context::LabState {
            running: self.running,
            done: self.result.is_some(),
        }
    }

    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        if cx.open.lab {
            show(ui, cx, self);
        }
    }

    pub fn handle(&mut self, cmd: LabCmd, cx: &ViewCtx) {
        match cmd {
            LabCmd::Run(i) => {
                let (Some(s), Ok(target)) = (cx.core.samples.get(i).cloned(), cx.target()) else {
                    return;
                };
                let player = cx.core.player.clone();
                self.running = true;
                cx.tx.send(Command::ShowWindow(Window::Lab, true));
                cx.say(
                    format!(
                        "Envelope lab: sending 12 wrong envelopes to {}…",
                        target.url(crate::domain::wire::Method::Invoke)
                    ),
                    false,
                );
                cx.spawn(async move {
                    Command::Panel(PanelCmd::new(LabCmd::Done(player.lab(&target, &s).await)))
                });
            }
            LabCmd::Done(result) => {
                self.running = false;
                match &result {
                    Ok(rows) => {
                        let bad = rows.iter().filter(|r| !r.verdict.passed()).count();
                        cx.say(
                            format!(
                                "Envelope lab: {} of {} wrong envelopes refused",
                                rows.len() - bad,
                                rows.len()
                            ),
                            bad > 0,
                        );
                    }
                    Err(e) => cx.say(format!("The envelope lab could not run: {e}"), true),
                }
                self.result = Some(result);
                cx.tx.send(Command::ShowWindow(Window::Lab, true));
            }
        }
    }
}

/// The envelope lab's results: what a correct action does, and what this one did.
fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut LabWindow) {
    let mut open = true;
    let mut select = None;
    let area = crate::ui::widgets::work_area(ui.ctx());
    egui::Window::new("Envelope lab")
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(24.0, 8.0))
        .default_width(640.0)
        // Tall enough for the twelve envelopes and the text above them (420 cut the eleventh),
        // within the window.
        .default_height(560.0_f32.min(area.height() - 16.0))
        .show(ui.ctx(), |ui| {
            ui.label(
                "Each envelope is wrong on purpose. A correct action refuses every one (any 4xx), \
                 as the SDK's AppStrategy does.",
            );
            match &st.result {
                None if st.running => {
                    ui.spinner();
                }
                None => {}
                Some(Err(e)) => {
                    ui.label(RichText::new(e).color(theme::ink(ui, theme::ERROR)));
                }
                Some(Ok(rows)) => {
                    if st.running {
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
                                                ("refused", theme::ink(ui, theme::OK))
                                            }
                                            crate::domain::lab::LabVerdict::Accepted(_) => {
                                                ("ACCEPTED", theme::ink(ui, theme::ERROR))
                                            }
                                            _ => ("wrong", theme::ink(ui, theme::WARNING)),
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
        cx.tx.send(Command::Select(id));
    }
    if !open {
        cx.tx.send(Command::ShowWindow(Window::Lab, false));
    }
}

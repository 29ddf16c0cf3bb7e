//! The envelope lab's window: each deliberately wrong envelope and what your action said.

use super::*;
use crate::play::LabRow;
use crate::ui::theme;

/// The envelope lab: running, or its last results.
#[derive(Default)]
pub struct LabWindow {
    pub result: Option<Result<Vec<LabRow>, String>>,
    pub running: bool,
}

/// The envelope lab's results: what a correct action does, and what this one did.
pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut LabWindow) {
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
            match &st.result {
                None if st.running => {
                    ui.spinner();
                }
                None => {}
                Some(Err(e)) => {
                    ui.label(RichText::new(e).color(theme::ERROR));
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
                                                ("refused", theme::OK)
                                            }
                                            crate::domain::lab::LabVerdict::Accepted(_) => {
                                                ("ACCEPTED", theme::ERROR)
                                            }
                                            _ => ("wrong", theme::WARNING),
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

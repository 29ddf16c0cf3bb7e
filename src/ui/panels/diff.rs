//! The diff window: two exchanges field by field.

use super::{ExchangeId, RichText, Ui, ViewCtx, clip};
use crate::ui::theme;

/// Two exchanges compared.
#[derive(Default)]
pub struct DiffWindow {
    /// "Compare…" was pressed on this exchange: the next one selected is compared with it.
    compare_from: Option<ExchangeId>,
    pair: Option<(ExchangeId, ExchangeId)>,
    /// Whether the diff shows ids, tokens and times too.
    volatile: bool,
}

pub use crate::ui::context::panel_commands::DiffCmd;

impl DiffWindow {
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        if self.pair.is_some() {
            show(ui, cx, self);
        }
    }

    pub fn handle(&mut self, cmd: DiffCmd, cx: &ViewCtx) {
        match cmd {
            DiffCmd::CompareFrom(id) => {
                self.compare_from = Some(id);
                cx.say(
                    format!("Select another exchange in the log to compare with #{id}"),
                    false,
                );
            }
            DiffCmd::Selected(id) => {
                if let Some(a) = self.compare_from.take()
                    && a != id
                {
                    self.pair = Some((a, id));
                    cx.say(format!("Comparing #{a} with #{id}"), false);
                }
            }
        }
    }
}

/// Two exchanges field by field; ids, tokens and times hidden unless asked for.
fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut DiffWindow) {
    let Some((a, b)) = st.pair else {
        return;
    };
    let (Some(left), Some(right)) = (cx.whole(a), cx.whole(b)) else {
        st.pair = None;
        return;
    };
    let all = crate::domain::diff::diff(&left, &right);
    let hidden = all.iter().filter(|d| d.volatile).count();
    let mut open = true;
    let mut show_volatile = st.volatile;
    let area = crate::ui::widgets::work_area(ui.ctx());
    egui::Window::new(format!("#{a} and #{b}"))
        .id(egui::Id::unique("diff-window"))
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(24.0, 8.0))
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
                        .color(theme::ink(ui, theme::OK)),
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
                                    .color(theme::REMOVED),
                            );
                            ui.label(
                                RichText::new(value(&d.right))
                                    .monospace()
                                    .color(theme::ADDED),
                            );
                            ui.end_row();
                        }
                    });
            });
        });
    st.volatile = show_volatile;
    if !open {
        st.pair = None;
    }
}

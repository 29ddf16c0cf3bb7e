//! The held calls as one compact strip: how many, the next to run out, and on demand a
//! virtualized list of them all, so the log stays in view whatever the queue holds.

use super::{
    Column, Command, DateTime, Exchange, ExchangeId, ListFocus, Phase, RichText, TableBuilder, Ui,
    Utc, ViewCtx, arrow_move, human_duration, phase_color, plural,
};
use crate::ui::theme;

/// The held calls' strip.
#[derive(Default)]
pub struct HeldStrip {
    /// Whether it lists every held call.
    show_all: bool,
}

impl HeldStrip {
    pub fn show(&mut self, ui: &mut Ui, cx: &ViewCtx) {
        show(ui, cx, self);
    }
}

/// The held calls as one compact strip: how many, the next to run out, and on demand a
/// virtualized list of them all, so the log stays in view whatever the queue holds.
fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut HeldStrip) {
    let Some(&next) = cx.mirror.held.first() else {
        ui.label(RichText::new("No call is held. Send a sample, or POST to the inbox.").weak());
        return;
    };
    let left = |ex: &Exchange, real_now: DateTime<Utc>| match ex.phase {
        Phase::Held { hold_until } => human_duration(hold_until - real_now),
        _ => String::new(),
    };
    ui.horizontal_wrapped(|ui| {
        let n = cx.mirror.held.len();
        ui.label(
            RichText::new(format!("{n} held {}", plural(n, "call", "calls")))
                .strong()
                .color(theme::ink(ui, theme::WARNING)),
        );
        if let Some(ex) = cx.mirror.log.get(next as usize - 1) {
            ui.label(format!(
                "next runs out in {} (#{next} {})",
                left(&ex, cx.real_now),
                ex.action_key.as_deref().unwrap_or("?")
            ));
        }
        if ui
            .button("Answer next")
            .on_hover_text("Select the held call that runs out first")
            .clicked()
        {
            cx.tx.send(Command::Select(next));
        }
        let toggle = if st.show_all { "Hide list" } else { "Show all" };
        if ui.button(toggle).clicked() {
            st.show_all = !st.show_all;
        }
    });
    if !st.show_all {
        return;
    }
    let ids: Vec<ExchangeId> = cx.mirror.held.iter().copied().collect();
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let at = cx.selected.and_then(|id| ids.binary_search(&id).ok());
    let moved = (cx.keys_to == ListFocus::Held)
        .then(|| arrow_move(ui, ids.len(), at, 5))
        .flatten();
    let mut clicked = moved.map(|i| ids[i]);
    ui.push_id("held-list", |ui| {
        // A row is one target: a click on its text or beside it selects it.
        ui.style_mut().interaction.selectable_labels = false;
        let mut table = TableBuilder::new(ui)
            .id_salt("held")
            .striped(true)
            .max_scroll_height(row_h * 6.0)
            .auto_shrink([false, true])
            .sense(egui::Sense::click())
            .column(Column::remainder());
        if let Some(to) = moved {
            table = table.scroll_to_row(to, None);
        }
        table.body(|body| {
            body.rows(row_h, ids.len(), |mut row| {
                let id = ids[row.index()];
                let Some(ex) = cx.mirror.log.get(id as usize - 1) else {
                    return;
                };
                row.set_selected(cx.selected == Some(id));
                let text = format!(
                    "#{id} {} · {} left",
                    ex.action_key.as_deref().unwrap_or("?"),
                    left(&ex, cx.real_now)
                );
                row.col(|ui| {
                    ui.label(RichText::new(text).color(phase_color(ui, &ex.phase)));
                });
                if row.response().clicked() {
                    clicked = Some(id);
                }
            });
        });
    });
    if let Some(id) = clicked {
        cx.tx.send(Command::Select(id));
        cx.tx.send(Command::KeysTo(ListFocus::Held));
    }
}

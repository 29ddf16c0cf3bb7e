//! Wix's automation on the stage: a tree read left to right. The trigger, then each step one
//! column further than the one it follows; the first path out of a step stays in its row, the
//! others open rows below, labelled with their side ("true", "false", a SPLIT path). The path
//! taken lights up as the run goes; a path not taken is faint, with the condition's value on
//! its label. Wide trees scroll sideways rather than shrink their boxes past reading.

use super::{View, stage_box};
use crate::domain::flow::{Beat, Lit};
use crate::ui::theme::{self, by_theme};
use egui::{Align2, FontId, Pos2, Rect, Stroke, Ui, Vec2};

/// The narrowest a column gets before the tree scrolls.
const MIN_COLUMN: f32 = 130.0;

/// Draws the tree as of beat `beat` (number `shown`).
pub(super) fn draw(ui: &mut Ui, v: &View, beat: Option<&Beat>, shown: usize) {
    let avail = ui.available_size();
    let rows = v.story.lanes.len().max(1);
    let height = (avail.y * 0.46).clamp(180.0, 420.0);
    let label_w = if rows > 1 {
        (avail.x * 0.14).clamp(110.0, 180.0)
    } else {
        0.0
    };
    let columns = v.story.columns.max(1) as f32;
    let width = (label_w + columns * MIN_COLUMN).max(avail.x);
    egui::ScrollArea::horizontal()
        .id_salt("stage-tree")
        .max_height(height + 12.0)
        .show(ui, |ui| {
            let (rect, _) = ui.allocate_exact_size(Vec2::new(width, height), egui::Sense::hover());
            paint(ui, v, beat, shown, rect, label_w);
        });
}

fn paint(ui: &Ui, v: &View, beat: Option<&Beat>, shown: usize, rect: Rect, label_w: f32) {
    let dark = v.presenter.dark;
    let story = v.story;
    let painter = ui.painter_at(rect);
    let weak = by_theme(theme::STAGE_WEAK, dark);
    let rows = story.lanes.len().max(1);
    let row_h = rect.height() / rows as f32;
    let col_w = (rect.width() - label_w) / story.columns.max(1) as f32;
    for (r, name) in story.lanes.iter().enumerate() {
        let band = Rect::from_min_size(
            Pos2::new(rect.left(), rect.top() + row_h * r as f32),
            Vec2::new(rect.width(), row_h),
        );
        painter.rect_filled(band, 0.0, by_theme(theme::LANE_FILL[r % 2], dark));
        if !name.is_empty() {
            let g = painter.layout(
                name.clone(),
                FontId::proportional(14.0),
                weak,
                label_w - 14.0,
            );
            painter.galley(
                Pos2::new(band.left() + 8.0, band.center().y - g.size().y / 2.0),
                g,
                weak,
            );
        }
    }
    let center = |col: usize, row: usize| {
        Pos2::new(
            rect.left() + label_w + col_w * (col as f32 + 0.5),
            rect.top() + row_h * (row as f32 + 0.5),
        )
    };
    // Room above each box for what it is and which side it is on.
    let size = Vec2::new((col_w - 22.0).min(210.0), (row_h - 28.0).clamp(24.0, 56.0));
    let lit_of = |i: usize| {
        beat.and_then(|b| b.states.get(i).copied())
            .unwrap_or(Lit::Pending)
    };
    let focus = beat.and_then(|b| b.step);
    // Connectors first, under the boxes: from the right of what a step follows to its left.
    for (i, s) in story.steps.iter().enumerate() {
        let from = match s.parent {
            Some(p) => story.steps.get(p).map(|p| center(p.col, p.lane)),
            None if s.side.is_none() => Some(center(0, 0)),
            None => None,
        };
        let (Some(from), to) = (from, center(s.col, s.lane)) else {
            continue;
        };
        let state = lit_of(i);
        let color = match state {
            Lit::Pending => weak,
            Lit::NotTaken => weak.gamma_multiply(0.4),
            other => theme::lit(other, dark),
        };
        let stroke = Stroke::new(if focus == Some(i) { 3.0 } else { 2.0 }, color);
        let start = from + Vec2::new(size.x / 2.0, 0.0);
        let end = to - Vec2::new(size.x / 2.0, 0.0);
        let mid_x = start.x + (end.x - start.x) * 0.35;
        if (start.y - end.y).abs() > 1.0 {
            painter.line_segment([start, Pos2::new(mid_x, start.y)], stroke);
            painter.line_segment([Pos2::new(mid_x, start.y), Pos2::new(mid_x, end.y)], stroke);
            painter.line_segment([Pos2::new(mid_x, end.y), end], stroke);
        } else {
            painter.line_segment([start, end], stroke);
        }
        // A small head, whatever the gap.
        painter.arrow(end - Vec2::new(9.0, 0.0), Vec2::new(9.0, 0.0), stroke);
    }
    let started = beat.is_some_and(|b| b.started);
    stage_box(
        &painter,
        Rect::from_center_size(center(0, 0), size),
        &story.trigger,
        if started { Lit::Done } else { Lit::Pending },
        focus.is_none() && shown == 0,
        dark,
    );
    for (i, s) in story.steps.iter().enumerate() {
        let r = Rect::from_center_size(center(s.col, s.lane), size);
        stage_box(&painter, r, &s.label, lit_of(i), focus == Some(i), dark);
        // Above its name: the side of its parent it is on, and what Wix's own steps are.
        let top: Vec<&str> = [s.side.as_deref(), s.delay.then_some(s.kind)]
            .into_iter()
            .flatten()
            .collect();
        if !top.is_empty() {
            painter.text(
                Pos2::new(r.center().x, r.top() - 2.0),
                Align2::CENTER_BOTTOM,
                top.join(" · "),
                FontId::proportional(12.0),
                weak,
            );
        }
    }
}

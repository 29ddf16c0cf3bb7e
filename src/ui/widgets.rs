//! Small drawing helpers the panels share; a leaf: it imports nothing of the app or its panels.

use crate::domain::contract::{Finding, Severity};
use crate::domain::invocation::Phase;
use crate::ui::theme;
use egui::{Color32, RichText, Ui};

/// The colour a phase's words are written in, readable on `ui`'s background.
pub fn phase_color(ui: &Ui, p: &Phase) -> Color32 {
    use crate::domain::invocation::Tone;
    match p.tone() {
        Tone::Warning => theme::ink(ui, theme::WARNING),
        Tone::Waiting => theme::ink(ui, theme::WAITING),
        Tone::Ok => theme::ink(ui, theme::OK),
        Tone::Muted => ui.visuals().weak_text_color(),
        Tone::Error => theme::ink(ui, theme::ERROR),
    }
}

/// Each finding: what is wrong, where (its JSON path, when the message does not start with
/// it) and why it matters.
pub fn finding_list(ui: &mut Ui, findings: &[Finding]) {
    for f in findings {
        let (icon, color) = match f.severity {
            Severity::Error => ("Error:", theme::ink(ui, theme::ERROR)),
            Severity::Warning => ("Warning:", theme::ink(ui, theme::WARNING)),
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

/// A JSON editor of at least `rows` lines that grows with its text and never shrinks while it
/// is shown: the buttons under it stay where the eye found them while the developer types
/// (a one-line result moved Report success 15 px up between a look and a click).
pub fn code_editor(ui: &mut Ui, label: &str, text: &mut String, rows: usize) {
    let l = ui.label(label);
    let r = ui
        .add(
            egui::TextEdit::multiline(text)
                .code_editor()
                .desired_rows(rows)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    let tallest_id = r.id.with("tallest");
    let tallest = ui
        .ctx()
        .data_mut(|d| *d.get_temp_mut_or(tallest_id, 0.0_f32));
    let height = r.rect.height();
    if height < tallest {
        ui.add_space(tallest - height);
    } else {
        ui.ctx().data_mut(|d| d.insert_temp(tallest_id, height));
    }
}

pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &s[..end], s.len())
}

/// A time as the window writes it (UTC): `HH:MM:SS` on the real today, with the date on any
/// other day, and ` sim` after a time later than the real now (it can only be simulated).
pub fn clock_text(
    at: chrono::DateTime<chrono::Utc>,
    real_now: chrono::DateTime<chrono::Utc>,
) -> String {
    let mut s = if at.date_naive() == real_now.date_naive() {
        at.format("%H:%M:%S").to_string()
    } else {
        at.format("%b %-d %H:%M:%S").to_string()
    };
    if at > real_now + chrono::Duration::seconds(1) {
        s.push_str(" sim");
    }
    s
}

/// Whether the simulated clock is not the real one now (a warp, or time moved ahead).
pub fn clock_is_simulated(
    now: chrono::DateTime<chrono::Utc>,
    real_now: chrono::DateTime<chrono::Utc>,
    warp: u32,
) -> bool {
    warp > 1 || (now - real_now).num_seconds() != 0
}

/// Where the window keeps the top of its work area (below the top bar) for this frame.
fn work_top_id() -> egui::Id {
    egui::Id::unique("actionbench-work-area-top")
}

/// Says where the work area starts this frame (the top bar's bottom edge).
pub fn set_work_top(ctx: &egui::Context, top: f32) {
    ctx.data_mut(|d| d.insert_temp(work_top_id(), top));
}

/// The area a window may open in: the whole window below the top bar, a margin in, so that no
/// window covers the top bar or starts off screen.
pub fn work_area(ctx: &egui::Context) -> egui::Rect {
    let content = ctx.content_rect();
    let top = ctx
        .data(|d| d.get_temp::<f32>(work_top_id()))
        .unwrap_or(content.top());
    egui::Rect::from_min_max(egui::pos2(content.left(), top), content.max).shrink(8.0)
}

/// "1 call", "2 calls".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Where ↑/↓ (and Home, End, Page Up, Page Down) move the selection in a list of `len` rows
/// whose row `at` is selected: the new row, when a key asked for a move. Keys are taken only
/// while no widget has the keyboard (a text field being typed in, a button reached with Tab),
/// and taken from the input, so nothing else reads them.
pub fn arrow_move(ui: &Ui, len: usize, at: Option<usize>, page: usize) -> Option<usize> {
    use egui::{Key, Modifiers};
    if len == 0 || ui.memory(|m| m.focused().is_some()) {
        return None;
    }
    let last = len - 1;
    let page = page.max(1);
    let mut to = None;
    ui.ctx().input_mut(|i| {
        for (key, step) in [
            (Key::ArrowDown, 1isize),
            (Key::ArrowUp, -1),
            (Key::PageDown, page as isize),
            (Key::PageUp, -(page as isize)),
        ] {
            while i.consume_key(Modifiers::NONE, key) {
                let from = to.or(at);
                to = Some(match from {
                    // Nothing selected: ↓ starts at the top, ↑ at the bottom.
                    None if step > 0 => 0,
                    None => last,
                    Some(f) => f.saturating_add_signed(step).min(last),
                });
            }
        }
        if i.consume_key(Modifiers::NONE, Key::Home) {
            to = Some(0);
        }
        if i.consume_key(Modifiers::NONE, Key::End) {
            to = Some(last);
        }
    });
    to.filter(|t| Some(*t) != at)
}

/// Asks for the next frame just after the next whole second of real time: whatever shows a
/// time (a clock, a countdown) calls it while it is shown, so its seconds move with no input,
/// and the window sleeps in between (one frame a second, not a busy loop).
pub fn tick_each_second(ctx: &egui::Context) {
    ctx.request_repaint_after(until_next_second(chrono::Utc::now()));
}

/// From `now` to a moment past the next whole second (20 ms past it, so the frame drawn then
/// reads the new second): between 20 ms and a second and 20 ms, never zero.
pub fn until_next_second(now: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
    use chrono::Timelike;
    let into = now.nanosecond() % 1_000_000_000;
    std::time::Duration::from_nanos(u64::from(1_000_000_000 - into) + 20_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_tick_is_just_past_the_next_whole_second() {
        let at = |ms: u32| {
            chrono::DateTime::from_timestamp(1_700_000_000, ms * 1_000_000).expect("a time")
        };
        assert_eq!(
            until_next_second(at(0)),
            std::time::Duration::from_millis(1020)
        );
        assert_eq!(
            until_next_second(at(999)),
            std::time::Duration::from_millis(21)
        );
        assert_eq!(
            until_next_second(at(400)),
            std::time::Duration::from_millis(620)
        );
    }
}

//! Presenter mode: a flow told to people who don't read JSON. It draws the run's [`Story`]
//! (computed in the domain, as a shared HTML page draws it too): swim lanes (the site, Wix
//! Automations, each action) with egui's painter; the step happening lights up; its caption in
//! large type; a wait as a bar against its deadline; the payload as a few cards. It draws from
//! the story's beats only, so looking back (←) shows the run as it was then.

mod tree;

use crate::domain::clock::spoken_duration;
use crate::domain::flow::{Beat, Lit, Story};
use crate::ui::theme::{self, by_theme};
use chrono::{DateTime, Utc};
use egui::{Align2, FontId, Pos2, Rect, RichText, Stroke, Ui, Vec2};
use serde_json::Value;

/// What the presenter is looking at.
#[derive(Clone, Debug, Default)]
pub struct Presenter {
    /// The run shown (index in the window's runs).
    pub run: usize,
    /// Looking back: the event shown; None follows the latest.
    pub cursor: Option<usize>,
    pub dark: bool,
    pub fullscreen: bool,
    /// The payload as JSON instead of cards (asked for with J).
    pub show_json: bool,
}

/// What a key press asks for (the context's, so that commands carry it).
pub use crate::ui::context::PresenterAction as Action;

/// The keys presenter mode answers to.
pub fn keys(ui: &Ui) -> Vec<Action> {
    use egui::Key;
    ui.input(|i| {
        let mut out = vec![];
        if i.key_pressed(Key::Space) || i.key_pressed(Key::ArrowRight) {
            out.push(Action::Next);
        }
        if i.key_pressed(Key::ArrowLeft) {
            out.push(Action::Back);
        }
        if i.key_pressed(Key::Escape) {
            out.push(Action::Leave);
        }
        if i.key_pressed(Key::F11) {
            out.push(Action::ToggleFullscreen);
        }
        if i.key_pressed(Key::T) {
            out.push(Action::ToggleTheme);
        }
        if i.key_pressed(Key::J) {
            out.push(Action::ToggleJson);
        }
        if i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals) {
            out.push(Action::Faster);
        }
        if i.key_pressed(Key::Minus) {
            out.push(Action::Slower);
        }
        if i.key_pressed(Key::A) {
            out.push(Action::AnswerSaved);
        }
        if i.key_pressed(Key::S) {
            out.push(Action::Share);
        }
        out
    })
}

/// What presenter mode draws, and how things stand.
pub struct View<'a> {
    pub presenter: &'a Presenter,
    pub story: &'a Story,
    /// The shown beat's payload, for the JSON view (J).
    pub payload: Option<&'a Value>,
    /// Whether the run is still going.
    pub live: bool,
    /// A step-by-step run waits for Space.
    pub waiting_for_next: bool,
    /// Simulated time, and how much faster it runs.
    pub now: DateTime<Utc>,
    pub warp: u32,
}

/// Draws presenter mode's view of a run.
pub fn draw(ui: &mut Ui, v: &View) {
    // The clock and a wait's bar move once a second while nothing else happens.
    crate::ui::widgets::tick_each_second(ui.ctx());
    let p = v.presenter;
    let beats = &v.story.beats;
    let shown = p.cursor.unwrap_or(beats.len().saturating_sub(1));
    let beat = beats.get(shown);
    title_row(ui, v);
    ui.add_space(8.0);
    if v.story.tree {
        tree::draw(ui, v, beat, shown);
    } else {
        lanes(ui, v, beat, shown);
    }
    ui.add_space(18.0);
    let (text, weak) = (
        by_theme(theme::STAGE_TEXT, p.dark),
        by_theme(theme::STAGE_WEAK, p.dark),
    );
    // How much later this beat came, then its caption, large.
    ui.vertical_centered(|ui| {
        if let Some(later) = beat.and_then(|b| b.later.as_deref()) {
            ui.label(RichText::new(later).size(18.0).italics().color(weak));
        }
        let caption = beat.map_or("Press Space to start", |b| b.caption.as_str());
        ui.label(RichText::new(caption).size(34.0).strong().color(text));
    });
    ui.add_space(8.0);
    if let Some(b) = beat {
        wait_bar(ui, v, b);
    }
    hints(ui, v, beat);
    ui.add_space(10.0);
    ui.label(
        RichText::new("What the automation knows now")
            .size(16.0)
            .color(weak),
    );
    if p.show_json {
        let mut text_json = v
            .payload
            .map(|p| serde_json::to_string_pretty(p).unwrap_or_default())
            .unwrap_or_default();
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() - 30.0)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut text_json)
                        .code_editor()
                        .interactive(false)
                        .desired_width(f32::INFINITY),
                );
            });
    } else if let Some(b) = beat {
        cards(ui, p.dark, b);
    }
    // The keys, at the bottom.
    ui.with_layout(egui::Layout::bottom_up(egui::Align::Center), |ui| {
        ui.label(
            RichText::new(format!(
                "Space / Right: next   ·   Left: back   ·   + / -: time faster or slower   ·   Esc: leave   ·   F11: full screen   ·   T: {} theme   ·   J: {}   ·   S: share as HTML   ·   {}/{}",
                if p.dark { "light" } else { "dark" },
                if p.show_json { "cards" } else { "JSON" },
                (shown + 1).min(beats.len()),
                beats.len()
            ))
            .size(14.0)
            .color(weak),
        );
    });
}

/// The run's name, its kind, and the simulated clock.
fn title_row(ui: &mut Ui, v: &View) {
    let dark = v.presenter.dark;
    let (text, weak) = (
        by_theme(theme::STAGE_TEXT, dark),
        by_theme(theme::STAGE_WEAK, dark),
    );
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(&v.story.title)
                .size(30.0)
                .strong()
                .color(text),
        );
        ui.label(RichText::new(v.story.badge).size(18.0).color(weak));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let clock = v.now.format("%a %H:%M").to_string();
            let speed = if v.warp > 1 {
                format!("  ·  time ×{}", v.warp)
            } else {
                String::new()
            };
            ui.label(
                RichText::new(format!("{clock}{speed}"))
                    .size(20.0)
                    .monospace()
                    .color(weak),
            );
        });
    });
}

/// The swim lanes with the trigger and every step's box as of beat `beat` (number `shown`).
fn lanes(ui: &mut Ui, v: &View, beat: Option<&Beat>, shown: usize) {
    let dark = v.presenter.dark;
    let story = v.story;
    let weak = by_theme(theme::STAGE_WEAK, dark);
    let lit_of = |i: usize| {
        beat.and_then(|b| b.states.get(i).copied())
            .unwrap_or(Lit::Pending)
    };
    let focus = beat.and_then(|b| b.step);
    let avail = ui.available_size();
    let lanes_h = (avail.y * 0.46).clamp(180.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(avail.x, lanes_h), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let label_w = (rect.width() * 0.16).clamp(120.0, 200.0);
    let lane_h = rect.height() / story.lanes.len() as f32;
    let band = |li: usize| {
        Rect::from_min_size(
            Pos2::new(rect.left(), rect.top() + lane_h * li as f32),
            Vec2::new(rect.width(), lane_h),
        )
    };
    for (li, name) in story.lanes.iter().enumerate() {
        let r = band(li);
        let fill = by_theme(theme::LANE_FILL[li % 2], dark);
        painter.rect_filled(r, 0.0, fill);
        let galley = painter.layout(
            name.clone(),
            FontId::proportional(17.0),
            weak,
            label_w - 16.0,
        );
        let pos = Pos2::new(r.left() + 10.0, r.center().y - galley.size().y / 2.0);
        painter.galley(pos, galley, weak);
    }
    let columns = story.steps.len() + 1;
    let col_w = (rect.width() - label_w) / columns as f32;
    let center = |col: usize, lane: usize| {
        Pos2::new(
            rect.left() + label_w + col_w * (col as f32 + 0.5),
            band(lane).center().y,
        )
    };
    let box_size = Vec2::new((col_w - 18.0).min(220.0), (lane_h - 14.0).min(64.0));
    let draw_box = |center: Pos2, label: &str, state: Lit, focused: bool| {
        let r = Rect::from_center_size(center, box_size);
        stage_box(&painter, r, label, state, focused, dark);
    };
    // The trigger, then Wix's line through every step.
    let started = beat.is_some_and(|b| b.started);
    let line = Stroke::new(2.0, weak);
    painter.line_segment([center(0, 1), center(columns - 1, 1)], line);
    draw_box(
        center(0, 0),
        &story.trigger,
        if started { Lit::Done } else { Lit::Pending },
        focus.is_none() && shown == 0,
    );
    painter.arrow(
        center(0, 0) + Vec2::new(0.0, box_size.y / 2.0),
        Vec2::new(0.0, lane_h - box_size.y),
        line,
    );
    painter.circle_filled(
        center(0, 1),
        7.0,
        if started {
            theme::lit(Lit::Done, dark)
        } else {
            weak
        },
    );
    for (i, s) in story.steps.iter().enumerate() {
        let col = i + 1;
        let state = lit_of(i);
        let focused = focus == Some(i);
        if s.delay {
            draw_box(center(col, 1), &s.label, state, focused);
            continue;
        }
        painter.circle_filled(center(col, 1), 7.0, theme::lit(state, dark));
        let from = center(col, 1);
        let to = center(col, s.lane);
        let stroke = Stroke::new(
            if focused { 3.0 } else { 2.0 },
            if state == Lit::Pending {
                weak
            } else {
                theme::lit(state, dark)
            },
        );
        painter.arrow(
            from + Vec2::new(0.0, 9.0),
            Vec2::new(0.0, (to.y - from.y) - box_size.y / 2.0 - 9.0),
            stroke,
        );
        draw_box(to, &s.label, state, focused);
    }
}

/// One step's box in `r`: its label, its state's word and colour, lit when `focused`; a step
/// on a path the run did not take is drawn faint.
pub(super) fn stage_box(
    painter: &egui::Painter,
    r: Rect,
    label: &str,
    state: Lit,
    focused: bool,
    dark: bool,
) {
    let text = by_theme(theme::STAGE_TEXT, dark);
    let color = theme::lit(state, dark);
    let fill = if matches!(state, Lit::Pending | Lit::NotTaken) {
        by_theme(theme::BOX_PENDING, dark)
    } else {
        color.gamma_multiply(if dark { 0.35 } else { 0.25 })
    };
    let faint = if state == Lit::NotTaken { 0.45 } else { 1.0 };
    if focused {
        painter.rect_filled(r.expand(6.0), 12.0, color.gamma_multiply(0.35));
    }
    painter.rect_filled(r, 8.0, fill.gamma_multiply(faint));
    painter.rect_stroke(
        r,
        8.0,
        Stroke::new(if focused { 3.0 } else { 1.5 }, color.gamma_multiply(faint)),
        egui::StrokeKind::Inside,
    );
    let size = if r.height() < 48.0 { 13.0 } else { 15.0 };
    let galley = painter.layout(
        label.to_string(),
        FontId::proportional(size),
        text.gamma_multiply(faint),
        r.width() - 12.0,
    );
    let pos = Pos2::new(
        r.center().x - galley.size().x / 2.0,
        r.center().y - galley.size().y / 2.0 - if state.word().is_empty() { 0.0 } else { 7.0 },
    );
    painter.galley(pos, galley, text);
    if !state.word().is_empty() {
        painter.text(
            Pos2::new(r.center().x, r.bottom() - 9.0),
            Align2::CENTER_CENTER,
            state.word(),
            FontId::proportional(12.0),
            theme::ink_on(color, theme::box_ground(state, dark)),
        );
    }
}

/// A wait: a bar against the deadline, while the step is still waiting.
fn wait_bar(ui: &mut Ui, v: &View, b: &Beat) {
    let Some((deadline, wait)) = b.wait else {
        return;
    };
    if b.step.and_then(|s| b.states.get(s)) != Some(&Lit::Waiting) {
        return;
    }
    let total = wait.num_seconds().max(1) as f32;
    let left = (deadline - v.now).num_seconds().max(0) as f32;
    let fraction = if v.presenter.cursor.is_some() && !v.live {
        0.0
    } else {
        1.0 - left / total
    };
    let words = format!(
        "{} left of {}{}",
        spoken_duration(chrono::Duration::seconds(left as i64)),
        spoken_duration(wait),
        if v.warp > 1 {
            format!(" · time runs ×{}", v.warp)
        } else {
            String::new()
        }
    );
    ui.add(
        egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
            .desired_height(26.0)
            .text(RichText::new(words).size(18.0)),
    );
    ui.add_space(8.0);
}

/// What the presenter may press now.
fn hints(ui: &mut Ui, v: &View, beat: Option<&Beat>) {
    let dark = v.presenter.dark;
    let following = v.presenter.cursor.is_none();
    if following && beat.is_some_and(|b| b.your_turn) {
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new(
                    "Press A to send the step's saved answer, or Esc to answer in the composer",
                )
                .size(18.0)
                .color(theme::lit(Lit::Running, dark)),
            );
        });
    }
    if v.waiting_for_next && following {
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new("Press Space for the next step")
                    .size(18.0)
                    .color(by_theme(theme::STAGE_WEAK, dark)),
            );
        });
    }
}

/// What the automation knows as cards, in rows of whole cards (each card's width measured
/// first, so none is squeezed); what this beat added stands out.
fn cards(ui: &mut Ui, dark: bool, b: &Beat) {
    let (text, weak) = (
        by_theme(theme::STAGE_TEXT, dark),
        by_theme(theme::STAGE_WEAK, dark),
    );
    let width_of = |k: &str, v: &str| {
        ui.ctx().fonts_mut(|f| {
            let kw = f
                .layout_no_wrap(k.to_string(), FontId::proportional(13.0), text)
                .size()
                .x;
            let vw = f
                .layout_no_wrap(v.to_string(), FontId::proportional(19.0), text)
                .size()
                .x;
            kw.max(vw).min(420.0) + 24.0
        })
    };
    let full = ui.available_width();
    let mut rows: Vec<Vec<&crate::domain::flow::Card>> = vec![vec![]];
    let mut used = 0.0;
    for c in b.cards.iter().take(14) {
        let w = width_of(&c.label, &c.value) + 10.0;
        if used + w > full && rows.last().is_some_and(|r| !r.is_empty()) {
            rows.push(vec![]);
            used = 0.0;
        }
        used += w;
        if let Some(r) = rows.last_mut() {
            r.push(c);
        }
    }
    for row in rows {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing = Vec2::new(10.0, 10.0);
            for c in row {
                let stroke = if c.new {
                    Stroke::new(2.5, theme::lit(Lit::Done, dark))
                } else {
                    Stroke::new(1.0, weak.gamma_multiply(0.5))
                };
                egui::Frame::new()
                    .fill(by_theme(theme::CARD_FILL, dark))
                    .stroke(stroke)
                    .corner_radius(8.0)
                    .inner_margin(10.0)
                    .show(ui, |ui| {
                        ui.vertical(|ui| {
                            ui.add(
                                egui::Label::new(RichText::new(&c.label).size(13.0).color(weak))
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            );
                            ui.add(
                                egui::Label::new(RichText::new(&c.value).size(19.0).color(text))
                                    .wrap_mode(egui::TextWrapMode::Truncate),
                            );
                        });
                    });
            }
        });
        ui.add_space(6.0);
    }
}

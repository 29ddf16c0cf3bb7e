//! Presenter mode: a flow told to people who don't read JSON. Swim lanes (the site, Wix
//! Automations, each action) drawn with egui's painter; the step happening lights up; its
//! caption in large type; a wait as a bar against its deadline; the payload as a few cards.
//! It draws from the run's events only, so looking back (←) shows the run as it was then.

use crate::domain::clock::spoken_duration;
use crate::domain::flow::{Flow, FlowEventKind, FlowSource, Step};
use crate::play::automation::{FlowEvent, cards};
use crate::ui::theme;
use chrono::{DateTime, Utc};
use egui::{Align2, Color32, FontId, Pos2, Rect, RichText, Stroke, Ui, Vec2};

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

/// What a key press asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Space or →: the next event, or the next step of a step-by-step run.
    Next,
    Back,
    Leave,
    ToggleFullscreen,
    ToggleTheme,
    ToggleJson,
    /// + and -: time runs faster or slower (the window's time warp steps).
    Faster,
    Slower,
    /// A: a step held for the presenter gets its saved answer.
    AnswerSaved,
}

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
        out
    })
}

/// A step's state as of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lit {
    Pending,
    Running,
    Waiting,
    Done,
    Failed,
    /// Wix did not run it (its params failed the input schema).
    NotRun,
}

impl Lit {
    fn color(self, dark: bool) -> Color32 {
        match self {
            Lit::Pending => {
                if dark {
                    Color32::from_gray(70)
                } else {
                    Color32::from_gray(200)
                }
            }
            Lit::Running => theme::WARNING,
            Lit::Waiting => theme::WAITING,
            Lit::Done => theme::OK,
            Lit::Failed => theme::ERROR,
            Lit::NotRun => theme::MUTED,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Lit::Pending => "",
            Lit::Running => "running",
            Lit::Waiting => "waiting",
            Lit::Done => "done",
            Lit::Failed => "failed",
            Lit::NotRun => "not run",
        }
    }
}

/// Each step's state after the first `upto` events.
fn states(flow: &Flow, events: &[FlowEvent], upto: usize) -> Vec<Lit> {
    let mut lit = vec![Lit::Pending; flow.steps.len()];
    for ev in events.iter().take(upto) {
        let Some(i) = ev.step else { continue };
        if i >= lit.len() {
            continue;
        }
        lit[i] = match &ev.kind {
            FlowEventKind::Asked | FlowEventKind::YourTurn => Lit::Running,
            FlowEventKind::Waiting { .. } | FlowEventKind::DelayStarted { .. } => Lit::Waiting,
            FlowEventKind::Answered
            | FlowEventKind::Completed { .. }
            | FlowEventKind::DelayDone
            | FlowEventKind::DelaySkipped => Lit::Done,
            FlowEventKind::Failed { .. }
            | FlowEventKind::ReportedFailure { .. }
            | FlowEventKind::TimedOut => Lit::Failed,
            FlowEventKind::NotRun { .. } => Lit::NotRun,
            FlowEventKind::Started | FlowEventKind::Finished { .. } => lit[i],
        };
    }
    lit
}

/// Draws the presenter view of a run of `flow` with `events`; `live` says whether the run is
/// still going, `now` and `warp` are the simulated clock. `waiting_for_next`: a step-by-step
/// run waits for Space.
#[allow(clippy::too_many_arguments)]
pub fn draw(
    ui: &mut Ui,
    p: &Presenter,
    flow: &Flow,
    events: &[FlowEvent],
    live: bool,
    waiting_for_next: bool,
    now: DateTime<Utc>,
    warp: u32,
) {
    // The clock and a wait's bar move once a second while nothing else happens.
    crate::ui::widgets::tick_each_second(ui.ctx());
    let dark = p.dark;
    let text = if dark {
        Color32::from_gray(235)
    } else {
        Color32::from_gray(25)
    };
    let weak = if dark {
        Color32::from_gray(150)
    } else {
        Color32::from_gray(100)
    };
    let shown = p.cursor.unwrap_or(events.len().saturating_sub(1));
    let event = events.get(shown);
    let lit = states(flow, events, shown + 1);
    let focus = event.and_then(|e| e.step);

    // Title row.
    ui.horizontal(|ui| {
        ui.label(RichText::new(&flow.name).size(30.0).strong().color(text));
        let badge = match &flow.source {
            FlowSource::Trigger => "Live run",
            FlowSource::TestRun => "Test run",
            FlowSource::Manual => "Manual run",
            FlowSource::Rerun { .. } => "Rerun",
        };
        ui.label(RichText::new(badge).size(18.0).color(weak));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let clock = now.format("%a %H:%M").to_string();
            let speed = if warp > 1 {
                format!("  ·  time ×{warp}")
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
    ui.add_space(8.0);

    // Swim lanes.
    let mut lanes: Vec<String> = vec!["The site".into(), "Wix Automations".into()];
    let mut lane_of = vec![1usize; flow.steps.len()];
    for (i, s) in flow.steps.iter().enumerate() {
        if let Step::Action(a) = s {
            let pos = lanes.iter().position(|l| *l == a.name).unwrap_or_else(|| {
                lanes.push(a.name.clone());
                lanes.len() - 1
            });
            lane_of[i] = pos;
        }
    }
    let avail = ui.available_size();
    let lanes_h = (avail.y * 0.46).clamp(180.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(avail.x, lanes_h), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let label_w = (rect.width() * 0.16).clamp(120.0, 200.0);
    let lane_h = rect.height() / lanes.len() as f32;
    let band = |li: usize| {
        Rect::from_min_size(
            Pos2::new(rect.left(), rect.top() + lane_h * li as f32),
            Vec2::new(rect.width(), lane_h),
        )
    };
    for (li, name) in lanes.iter().enumerate() {
        let r = band(li);
        let fill = match (dark, li % 2 == 0) {
            (true, true) => Color32::from_gray(32),
            (true, false) => Color32::from_gray(38),
            (false, true) => Color32::from_gray(246),
            (false, false) => Color32::from_gray(236),
        };
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
    let columns = flow.steps.len() + 1;
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
        let fill = if state == Lit::Pending {
            if dark {
                Color32::from_gray(45)
            } else {
                Color32::WHITE
            }
        } else {
            state
                .color(dark)
                .gamma_multiply(if dark { 0.35 } else { 0.25 })
        };
        if focused {
            painter.rect_filled(r.expand(6.0), 12.0, state.color(dark).gamma_multiply(0.35));
        }
        painter.rect_filled(r, 8.0, fill);
        painter.rect_stroke(
            r,
            8.0,
            Stroke::new(if focused { 3.0 } else { 1.5 }, state.color(dark)),
            egui::StrokeKind::Inside,
        );
        let galley = painter.layout(
            label.to_string(),
            FontId::proportional(15.0),
            text,
            r.width() - 12.0,
        );
        let pos = Pos2::new(
            r.center().x - galley.size().x / 2.0,
            r.center().y - galley.size().y / 2.0 - if state.word().is_empty() { 0.0 } else { 7.0 },
        );
        painter.galley(pos, galley, text);
        if !state.word().is_empty() {
            painter.text(
                Pos2::new(r.center().x, r.bottom() - 10.0),
                Align2::CENTER_CENTER,
                state.word(),
                FontId::proportional(12.0),
                state.color(dark),
            );
        }
    };
    // The trigger, then Wix's line through every step.
    let started = events
        .iter()
        .take(shown + 1)
        .any(|e| e.kind == FlowEventKind::Started);
    let line = Stroke::new(2.0, weak);
    painter.line_segment([center(0, 1), center(columns - 1, 1)], line);
    draw_box(
        center(0, 0),
        &flow.trigger.name,
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
        if started { Lit::Done.color(dark) } else { weak },
    );
    for (i, s) in flow.steps.iter().enumerate() {
        let col = i + 1;
        let state = lit[i];
        let focused = focus == Some(i);
        match s {
            Step::Action(a) => {
                painter.circle_filled(center(col, 1), 7.0, state.color(dark));
                let from = center(col, 1);
                let to = center(col, lane_of[i]);
                let stroke = Stroke::new(
                    if focused { 3.0 } else { 2.0 },
                    if state == Lit::Pending {
                        weak
                    } else {
                        state.color(dark)
                    },
                );
                painter.arrow(
                    from + Vec2::new(0.0, 9.0),
                    Vec2::new(0.0, (to.y - from.y) - box_size.y / 2.0 - 9.0),
                    stroke,
                );
                draw_box(to, &a.name, state, focused);
            }
            Step::Delay(d) => {
                let label = d
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("Wait {}", d.duration));
                draw_box(center(col, 1), &label, state, focused);
            }
        }
    }
    ui.add_space(18.0);

    // The caption, large.
    let caption = event.map_or("Press Space to start", |e| e.caption.as_str());
    ui.vertical_centered(|ui| {
        ui.label(RichText::new(caption).size(34.0).strong().color(text));
    });
    ui.add_space(8.0);
    // A wait: a bar against the deadline.
    if let Some(ev) = event
        && let FlowEventKind::Waiting { deadline, wait } = &ev.kind
        && lit.get(ev.step.unwrap_or(usize::MAX)) == Some(&Lit::Waiting)
    {
        let total = wait.num_seconds().max(1) as f32;
        let left = (*deadline - now).num_seconds().max(0) as f32;
        let fraction = if p.cursor.is_some() && !live {
            0.0
        } else {
            1.0 - left / total
        };
        let words = format!(
            "{} left of {}{}",
            spoken_duration(chrono::Duration::seconds(left as i64)),
            spoken_duration(*wait),
            if warp > 1 {
                format!(" · time runs ×{warp}")
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
    let your_turn = p.cursor.is_none() && event.is_some_and(|e| e.kind == FlowEventKind::YourTurn);
    if your_turn {
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new(
                    "Press A to send the step's saved answer, or Esc to answer in the composer",
                )
                .size(18.0)
                .color(Lit::Running.color(dark)),
            );
        });
    }
    if waiting_for_next && p.cursor.is_none() {
        ui.vertical_centered(|ui| {
            ui.label(
                RichText::new("Press Space for the next step")
                    .size(18.0)
                    .color(weak),
            );
        });
    }
    ui.add_space(10.0);

    // What flows on: cards (or the JSON, when asked).
    let payload = event.map(|e| e.payload.clone()).unwrap_or_default();
    ui.label(
        RichText::new("What the automation knows now")
            .size(16.0)
            .color(weak),
    );
    if p.show_json {
        let mut text_json = serde_json::to_string_pretty(&payload).unwrap_or_default();
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
    } else {
        // What this event added stands out.
        let before: Vec<(String, String)> = shown
            .checked_sub(1)
            .and_then(|i| events.get(i))
            .map(|e| cards(&e.payload))
            .unwrap_or_default();
        // Rows of whole cards: each card's width is measured first, so none is squeezed.
        let all = cards(&payload);
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
        let mut rows: Vec<Vec<(String, String)>> = vec![vec![]];
        let mut used = 0.0;
        for (k, v) in all.into_iter().take(14) {
            let w = width_of(&k, &v) + 10.0;
            if used + w > full && rows.last().is_some_and(|r| !r.is_empty()) {
                rows.push(vec![]);
                used = 0.0;
            }
            used += w;
            if let Some(r) = rows.last_mut() {
                r.push((k, v));
            }
        }
        for row in rows {
            ui.horizontal(|ui| {
                ui.spacing_mut().item_spacing = Vec2::new(10.0, 10.0);
                for (k, v) in row {
                    let new = shown > 0 && !before.iter().any(|(bk, _)| *bk == k);
                    let stroke = if new {
                        Stroke::new(2.5, Lit::Done.color(dark))
                    } else {
                        Stroke::new(1.0, weak.gamma_multiply(0.5))
                    };
                    egui::Frame::new()
                        .fill(if dark {
                            Color32::from_gray(40)
                        } else {
                            Color32::WHITE
                        })
                        .stroke(stroke)
                        .corner_radius(8.0)
                        .inner_margin(10.0)
                        .show(ui, |ui| {
                            ui.vertical(|ui| {
                                ui.add(
                                    egui::Label::new(RichText::new(k).size(13.0).color(weak))
                                        .wrap_mode(egui::TextWrapMode::Extend),
                                );
                                ui.add(
                                    egui::Label::new(RichText::new(v).size(19.0).color(text))
                                        .wrap_mode(egui::TextWrapMode::Truncate),
                                );
                            });
                        });
                }
            });
            ui.add_space(6.0);
        }
    }
    // The keys, at the bottom.
    ui.with_layout(egui::Layout::bottom_up(egui::Align::Center), |ui| {
        ui.label(
            RichText::new(format!(
                "Space / Right: next   ·   Left: back   ·   + / -: time faster or slower   ·   Esc: leave   ·   F11: full screen   ·   T: {} theme   ·   J: {}   ·   {}/{}",
                if dark { "light" } else { "dark" },
                if p.show_json { "cards" } else { "JSON" },
                (shown + 1).min(events.len()),
                events.len()
            ))
            .size(14.0)
            .color(weak),
        );
    });
}

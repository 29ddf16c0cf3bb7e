//! The Actions tab: each action definition with its lint findings (and, against a published
//! definition the user picks, its breaking changes), and generated calls to your action with a
//! summary of the failure groups, each savable as a sample.

use super::*;
use crate::domain::definition::{self, Level, LintFinding};
use crate::play::generate::Report;
use crate::ui::theme;
use std::collections::HashMap;

/// The tab's own state: how many calls to generate and with which seed, the published
/// comparisons made, and the last generated run.
pub struct ActionsTab {
    pub n: usize,
    pub seed: u64,
    /// By definition (its index): the breaking changes against the published file picked.
    pub published: HashMap<usize, Result<Vec<LintFinding>, String>>,
    pub report: Option<Result<Report, String>>,
    /// Each definition's lint findings, found once (definitions do not change while the
    /// window runs).
    pub lint: Option<Vec<Vec<LintFinding>>>,
    /// The definition the last generated run was of.
    pub report_for: Option<usize>,
    /// The definition whose calls are being generated.
    pub running: Option<usize>,
}

impl Default for ActionsTab {
    fn default() -> Self {
        ActionsTab {
            n: 50,
            seed: 7,
            published: HashMap::new(),
            report: None,
            report_for: None,
            lint: None,
            running: None,
        }
    }
}

fn findings(ui: &mut Ui, list: &[LintFinding]) {
    for f in list {
        let color = match f.level {
            Level::Error => theme::ERROR,
            Level::Warning => theme::WARNING,
        };
        ui.label(
            RichText::new(format!("{} {} [{}]", f.level.label(), f.path, f.rule))
                .color(color)
                .small()
                .strong(),
        );
        ui.label(RichText::new(&f.message).small())
            .on_hover_text(format!("source: {}", f.source));
    }
}

fn summary(list: &[LintFinding]) -> (usize, usize) {
    let errors = list.iter().filter(|f| f.level == Level::Error).count();
    (errors, list.len() - errors)
}

pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut ActionsTab, target_ok: bool) {
    let defs = &cx.core.definitions;
    if let Some(e) = defs.errors.first() {
        ui.label(RichText::new(e).small().color(theme::ERROR));
    }
    if defs.loaded.is_empty() {
        ui.label(
            RichText::new("No action definitions (./actions, samples/actions, or --actions DIR)")
                .small()
                .weak(),
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let l = ui.label("Calls");
        ui.add(egui::DragValue::new(&mut st.n).range(1..=1000))
            .labelled_by(l.id);
        let l = ui.label("Seed");
        ui.add(egui::DragValue::new(&mut st.seed)).labelled_by(l.id);
    });
    // The last run's findings first, where the eye is after pressing Generate.
    match &st.report {
        Some(Ok(r)) => {
            ui.label(RichText::new(format!("Generated calls: {}", r.action)).strong());
            ui.label(
                RichText::new(format!(
                    "{} of {} met the contract (seed {}, {} calls made with shrinking)",
                    r.passed, r.calls, r.seed, r.made
                ))
                .small()
                .color(if r.groups.is_empty() {
                    theme::OK
                } else {
                    theme::ERROR
                }),
            );
            for (g, group) in r.groups.iter().enumerate() {
                ui.push_id(("group", g), |ui| {
                    ui.label(
                        RichText::new(format!(
                            "Group {}: [{}] {} {}",
                            g + 1,
                            group.kind,
                            group.count,
                            plural(group.count, "call", "calls")
                        ))
                        .color(theme::ERROR)
                        .small()
                        .strong(),
                    );
                    ui.label(RichText::new(&group.message).small());
                    ui.label(
                        RichText::new(format!("smallest: {}", group.smallest))
                            .monospace()
                            .small(),
                    );
                    ui.label(
                        RichText::new(format!("What they share: {}", group.explanation.sentence()))
                            .small(),
                    );
                    if ui.small_button("Save as sample").clicked() {
                        cx.tx.send(Command::SaveGenerated(g));
                    }
                });
            }
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).small().color(theme::ERROR));
        }
        None => {}
    }
    let all_lint = st.lint.get_or_insert_with(|| {
        defs.loaded
            .iter()
            .map(|(_, d)| definition::lint(d))
            .collect()
    });
    for (i, ((path, def), lint)) in defs.loaded.iter().zip(all_lint.iter()).enumerate() {
        ui.push_id(("action", i), |ui| {
            let (errors, warnings) = summary(lint);
            ui.label(RichText::new(def.display_name()).strong());
            ui.label(
                RichText::new(def.action_key().unwrap_or("(no actionKey)"))
                    .monospace()
                    .small(),
            )
            .on_hover_text(path.display().to_string());
            let (text, color) = match (errors, warnings) {
                (0, 0) => ("Meets every rule".to_string(), theme::OK),
                (0, w) => (format!("{w} {}", plural(w, "warning", "warnings")), theme::WARNING),
                (e, w) => (
                    format!("{e} {}, {w} {}", plural(e, "error", "errors"), plural(w, "warning", "warnings")),
                    theme::ERROR,
                ),
            };
            ui.label(RichText::new(text).color(color).small());
            if !lint.is_empty() {
                egui::CollapsingHeader::new("Findings")
                    .id_salt(("lint", i))
                    .show(ui, |ui| findings(ui, lint));
            }
            match st.published.get(&i) {
                Some(Ok(changes)) => {
                    let (e, w) = summary(changes);
                    let text = if changes.is_empty() {
                        "No breaking change against the published definition".to_string()
                    } else {
                        format!(
                            "Against the published definition: {e} breaking {}, {w} {}",
                            plural(e, "change", "changes"),
                            plural(w, "warning", "warnings")
                        )
                    };
                    ui.label(
                        RichText::new(text)
                            .small()
                            .color(if e > 0 { theme::ERROR } else { theme::OK }),
                    );
                    findings(ui, changes);
                }
                Some(Err(e)) => {
                    ui.label(RichText::new(e).small().color(theme::ERROR));
                }
                None => {}
            }
            ui.horizontal_wrapped(|ui| {
                if ui
                    .small_button("Compare with published…")
                    .on_hover_text("Pick the definition as published: each edit Wix forbids once published is listed")
                    .clicked()
                {
                    cx.tx.send(Command::AskFile(FileTask::Published(i)));
                }
                let generate = ui
                    .add_enabled(
                        target_ok && st.running.is_none() && def.input_schema().is_some(),
                        egui::Button::new("Generate calls…").small(),
                    )
                    .on_hover_text(format!(
                        "Send {} calls with params made from the input schema (seed {}) to your action, judge each, and shrink each failure",
                        st.n, st.seed
                    ))
                    .on_disabled_hover_text("Needs your action's base URL (Your action, above)");
                if generate.clicked() {
                    st.running = Some(i);
                    cx.tx.send(Command::GenerateCalls {
                        action: i,
                        n: st.n,
                        seed: st.seed,
                    });
                }
            });
            if st.running == Some(i) {
                ui.label(RichText::new("Generating calls…").small().color(theme::WAITING));
            }
            ui.separator();
        });
    }
}

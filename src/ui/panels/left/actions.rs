//! The Actions tab: each action definition with its lint findings (and, against a published
//! definition the user picks, its breaking changes), and generated calls to your action with a
//! summary of the failure groups, each savable as a sample. It owns its commands: generating
//! the calls, comparing with a published file, saving a failure.

use super::super::{PanelCmd, plural};
use super::{Command, FileAsk, RichText, Ui, ViewCtx};
use crate::domain::definition::{self, Definition, Level, LintFinding};
use crate::play::generate::Report;
use crate::ui::theme;
use std::collections::HashMap;
use std::path::PathBuf;

/// The tab's own state: how many calls to generate and with which seed, the published
/// comparisons made, and the last generated run.
pub struct ActionsTab {
    n: usize,
    seed: u64,
    /// By definition (its index): the breaking changes against the published file picked.
    published: HashMap<usize, Result<Vec<LintFinding>, String>>,
    report: Option<Result<Report, String>>,
    /// Each definition's lint findings, found once, and again when the files change.
    lint: Option<Vec<Vec<LintFinding>>>,
    /// The definition the last generated run was of.
    report_for: Option<usize>,
    /// The definition whose calls are being generated.
    running: Option<usize>,
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

pub use crate::ui::context::panel_commands::ActionsCmd;

impl ActionsTab {
    /// The definitions were read again: their findings are found again, and comparisons and
    /// generated runs made by index are let go (the indexes may name other files now).
    pub(super) fn files_changed(&mut self) {
        self.lint = None;
        self.published.clear();
        self.report_for = None;
    }

    pub(super) fn handle(&mut self, cmd: ActionsCmd, cx: &ViewCtx) {
        match cmd {
            ActionsCmd::Generate { action, n, seed } => self.generate(cx, action, n, seed),
            ActionsCmd::Generated(report) => self.generated(cx, *report),
            ActionsCmd::SaveGenerated(g) => self.save_generated(cx, g),
            ActionsCmd::Published(i, path) => {
                let Some((_, new)) = cx.core.definitions.loaded.get(i).cloned() else {
                    return;
                };
                cx.spawn_blocking(move || {
                    let result =
                        Definition::load(&path).map(|old| definition::breaking_changes(&old, &new));
                    Command::Panel(PanelCmd::new(ActionsCmd::PublishedLoaded(i, result)))
                });
            }
            ActionsCmd::PublishedLoaded(i, result) => {
                self.published.insert(i, result);
            }
        }
    }

    fn generate(&mut self, cx: &ViewCtx, action: usize, n: usize, seed: u64) {
        let sample = cx
            .core
            .definitions
            .loaded
            .get(action)
            .map(|(p, d)| d.to_sample(Some(p)));
        let (Some(Ok(sample)), Ok(target)) = (sample, cx.target()) else {
            self.running = None;
            return cx.say(
                "Generated calls need your action's base URL and a definition with an input schema",
                true,
            );
        };
        self.running = Some(action);
        cx.core.engine.add_samples(std::slice::from_ref(&sample));
        let (engine, player, rt) = (
            cx.core.engine.clone(),
            cx.core.player.clone(),
            cx.core.runtime.clone(),
        );
        cx.say(
            format!(
                "Generating {n} calls of {} (seed {seed})…",
                sample.sample.name
            ),
            false,
        );
        cx.spawn_blocking(move || {
            let report = crate::play::generate::generated_calls(
                &rt, &engine, &player, &target, &sample, n, seed,
            );
            Command::Panel(PanelCmd::new(ActionsCmd::Generated(Box::new(report))))
        });
    }

    fn generated(&mut self, cx: &ViewCtx, report: Result<Report, String>) {
        self.report_for = self.running.take();
        match &report {
            Ok(r) => cx.say(
                format!(
                    "Generated calls of {}: {} of {} met the contract, {} failure {}",
                    r.action,
                    r.passed,
                    r.calls,
                    r.groups.len(),
                    plural(r.groups.len(), "group", "groups")
                ),
                !r.groups.is_empty(),
            ),
            Err(e) => cx.say(format!("Generated calls could not run: {e}"), true),
        }
        self.report = Some(report);
    }

    fn save_generated(&self, cx: &ViewCtx, g: usize) {
        let (Some(Ok(report)), Some(i)) = (self.report.as_ref(), self.report_for) else {
            return;
        };
        let Some(group) = report.groups.get(g) else {
            return;
        };
        let Some((path, def)) = cx.core.definitions.loaded.get(i) else {
            return;
        };
        let Ok(base) = def.to_sample(Some(path)) else {
            return;
        };
        let sample = crate::play::generate::failure_sample(&base, g + 1, group, report.seed);
        match serde_json::to_value(sample) {
            Ok(sample) => cx.tx.send(Command::SaveSample {
                name: format!(
                    "{}-failure-{}.json",
                    def.action_key().unwrap_or("action"),
                    g + 1
                ),
                sample: std::sync::Arc::new(sample),
            }),
            Err(e) => cx.say(format!("The sample could not be made: {e}"), true),
        }
    }
}

fn findings(ui: &mut Ui, list: &[LintFinding]) {
    for f in list {
        let color = match f.level {
            Level::Error => theme::ink(ui, theme::ERROR),
            Level::Warning => theme::ink(ui, theme::WARNING),
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

/// The tab: how many calls and which seed, the last run's failure groups, then each
/// definition.
pub(super) fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut ActionsTab, target_ok: bool) {
    let defs = &cx.core.definitions;
    for e in &defs.errors {
        ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
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
    report(ui, cx, st);
    // Taken out while the definitions draw (they change the rest of the tab), put back after.
    let all_lint = st.lint.take().unwrap_or_else(|| {
        defs.loaded
            .iter()
            .map(|(_, d)| definition::lint(d))
            .collect()
    });
    for (i, ((path, def), lint)) in defs.loaded.iter().zip(all_lint.iter()).enumerate() {
        ui.push_id(("action", i), |ui| {
            action(ui, cx, st, (i, path, def, lint), target_ok);
            ui.separator();
        });
    }
    st.lint = Some(all_lint);
}

/// The last generated run: how many met the contract, and each failure group.
fn report(ui: &mut Ui, cx: &ViewCtx, st: &ActionsTab) {
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
                    theme::ink(ui, theme::OK)
                } else {
                    theme::ink(ui, theme::ERROR)
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
                        .color(theme::ink(ui, theme::ERROR))
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
                        cx.tx.panel(ActionsCmd::SaveGenerated(g));
                    }
                });
            }
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
        }
        None => {}
    }
}

/// One definition: its name and key, its lint summary and findings, the comparison with the
/// published one, and its buttons.
fn action(
    ui: &mut Ui,
    cx: &ViewCtx,
    st: &mut ActionsTab,
    (i, path, def, lint): (usize, &PathBuf, &Definition, &[LintFinding]),
    target_ok: bool,
) {
    let (errors, warnings) = summary(lint);
    ui.label(RichText::new(def.display_name()).strong());
    ui.label(
        RichText::new(def.action_key().unwrap_or("(no actionKey)"))
            .monospace()
            .small(),
    )
    .on_hover_text(path.display().to_string());
    let (text, color) = match (errors, warnings) {
        (0, 0) => ("Meets every rule".to_string(), theme::ink(ui, theme::OK)),
        (0, w) => (
            format!("{w} {}", plural(w, "warning", "warnings")),
            theme::ink(ui, theme::WARNING),
        ),
        (e, w) => (
            format!(
                "{e} {}, {w} {}",
                plural(e, "error", "errors"),
                plural(w, "warning", "warnings")
            ),
            theme::ink(ui, theme::ERROR),
        ),
    };
    ui.label(RichText::new(text).color(color).small());
    if !lint.is_empty() {
        egui::CollapsingHeader::new("Findings")
            .id_salt(("lint", i))
            .show(ui, |ui| findings(ui, lint));
    }
    published(ui, st, i);
    ui.horizontal_wrapped(|ui| {
        if ui
            .small_button("Compare with published…")
            .on_hover_text("Pick the definition as published: each edit Wix forbids once published is listed")
            .clicked()
        {
            let dir = path
                .parent()
                .and_then(|d| std::path::absolute(d).ok())
                .unwrap_or_else(|| cx.core.folders.actions.clone());
            cx.tx.send(Command::AskFile(FileAsk::open(
                "Published action definition",
                dir,
                move |p| Command::Panel(PanelCmd::new(ActionsCmd::Published(i, p))),
            )));
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
            cx.tx.panel(ActionsCmd::Generate {
                action: i,
                n: st.n,
                seed: st.seed,
            });
        }
    });
    if st.running == Some(i) {
        ui.label(
            RichText::new("Generating calls…")
                .small()
                .color(theme::ink(ui, theme::WAITING)),
        );
    }
}

/// The comparison with the published definition, when one was picked.
fn published(ui: &mut Ui, st: &ActionsTab, i: usize) {
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
            ui.label(RichText::new(text).small().color(if e > 0 {
                theme::ink(ui, theme::ERROR)
            } else {
                theme::ink(ui, theme::OK)
            }));
            findings(ui, changes);
        }
        Some(Err(e)) => {
            ui.label(RichText::new(e).small().color(theme::ink(ui, theme::ERROR)));
        }
        None => {}
    }
}

//! The action keys and how each is answered, and the protocol assumptions.

use super::{EXPLAINED, ExtraReport, LeftCmd, LeftPanel, Mode, Policy, RichText, Ui, ViewCtx};
use crate::ui::theme;

/// Each key the window lists with how the engine answers it, the assumptions and the hosts.
pub(super) fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut LeftPanel) {
    ui.heading("Action keys");
    ui.label(
        RichText::new("How each key's calls are answered")
            .small()
            .weak(),
    );
    let keys: Vec<(String, Policy)> = cx
        .mirror
        .keys
        .iter()
        .map(|k| (k.clone(), cx.core.engine.policy(k)))
        .collect();
    for (key, policy) in keys {
        let mut p = policy.clone();
        egui::ComboBox::new(("mode", &key), RichText::new(&key).monospace())
            .selected_text(p.mode.label())
            .width(60.0)
            .show_ui(ui, |ui| {
                for m in Mode::ALL {
                    ui.selectable_value(&mut p.mode, m, m.label());
                }
            });
        if p.mode == Mode::Fail {
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                let l = ui.label("HTTP");
                ui.add(egui::DragValue::new(&mut p.fail_status).range(400..=599))
                    .labelled_by(l.id);
                let l = ui.label("code");
                ui.add(egui::TextEdit::singleline(&mut p.fail_code).desired_width(120.0))
                    .labelled_by(l.id);
            });
        }
        if p.mode == Mode::Forward {
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                ui.checkbox(&mut p.pause, "Pause answers")
                    .on_hover_text("Your action's answer waits in the composer, to read or edit, before it goes back to the caller");
            });
            if st.action.form.target().is_err() {
                ui.label(
                    RichText::new("  Set your action's base URL above: calls are relayed there")
                        .small()
                        .color(theme::ink(ui, theme::WARNING)),
                );
            }
        }
        if p != policy {
            cx.tx.panel(LeftCmd::SetPolicy(key.clone(), p));
        }
    }
    ui.separator();
    assumptions(ui, cx);
    super::hosts::show(ui, cx, &mut st.hosts);
}

/// Where the protocol is not documented: each assumption named, with its switch.
fn assumptions(ui: &mut Ui, cx: &ViewCtx) {
    let mut a = cx.assumptions;
    egui::CollapsingHeader::new("Protocol assumptions")
        .id_salt("assumptions")
        .show(ui, |ui| {
            ui.label(
                RichText::new(
                    "Wix does not document these; the workbench assumes, and you can choose.",
                )
                .small()
                .weak(),
            );
            for (what, default) in EXPLAINED {
                ui.label(RichText::new(format!("• {what}: {default}")).small());
            }
            ui.separator();
            for (label, value) in [
                ("Second report", &mut a.second_report),
                ("Report after deadline", &mut a.report_after_timeout),
            ] {
                egui::ComboBox::new(("assume", label), label)
                    .selected_text(value.label())
                    .show_ui(ui, |ui| {
                        for o in ExtraReport::ALL {
                            ui.selectable_value(value, o, o.label());
                        }
                    });
            }
            ui.checkbox(
                &mut a.require_authorization,
                "Refuse reports without Authorization (401)",
            );
            ui.checkbox(
                &mut a.broken_answer_fails_step,
                "An answer that breaks the contract fails the step",
            );
            ui.label(RichText::new("Reported events").small().strong());
            ui.checkbox(
                &mut a.refuse_bad_payload,
                "Refuse a payload that breaks its trigger's schema (400)",
            );
            ui.checkbox(
                &mut a.duplicate_returns_first_ids,
                "A repeated idempotency key answers the first report's activationIds",
            );
            ui.checkbox(
                &mut a.refuse_past_schedule,
                "Refuse a scheduled event whose date has passed (400)",
            );
            ui.checkbox(
                &mut a.accept_unknown_trigger,
                "Take a report for an unknown trigger (200, no runs) instead of 428",
            );
            ui.checkbox(
                &mut a.refresh_failure_cancels,
                "A Refresh Payload that fails cancels the run",
            );
            ui.label(RichText::new("Wix's automations").small().strong());
            ui.checkbox(
                &mut a.condition_error_fails,
                "A condition expression that fails fails the condition (neither path runs)",
            );
            ui.checkbox(&mut a.skip_stops_branch, "A skipped action ends its branch");
            ui.checkbox(
                &mut a.rate_limit_fixed_window,
                "Rate limits count in fixed windows",
            );
            ui.checkbox(
                &mut a.timeout_keeps_answer_result,
                "A timed-out action keeps its timeout answer's result",
            );
        });
    if a != cx.assumptions {
        cx.tx.panel(LeftCmd::SetAssumptions(a));
    }
}

//! "Your action": where the developer's provider listens, who Wix calls it for, how sends
//! start, and the envelope lab.

use super::super::{Method, Window};
use super::{Command, LeftCmd, RichText, SourceChoice, Ui, ViewCtx, YourAction};
use crate::ui::theme;

pub(super) fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut YourAction) {
    let before = st.form.clone();
    let f = &mut st.form;
    // Open from the start when a target was given; otherwise one click away.
    let open = !cx.core.target_form.base.is_empty();
    egui::CollapsingHeader::new(RichText::new("Your action").heading())
        .id_salt("target")
        .default_open(open)
        .show(ui, |ui| {
            let l = ui.label("Base URL");
            ui.add(
                egui::TextEdit::singleline(&mut f.base)
                    .hint_text("e.g. http://localhost:3000/wix/actions")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .on_hover_text("Methods are called at {base}/v1/invoke, /v1/validate-configuration, /v1/quota-info");
            let l = ui.label("App ID");
            ui.add(
                egui::TextEdit::singleline(&mut f.app_id)
                    .hint_text("e.g. your app ID; needed to sign")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
            let l = ui.label("Instance ID");
            ui.add(egui::TextEdit::singleline(&mut f.instance_id).desired_width(f32::INFINITY))
                .labelled_by(l.id);
            ui.horizontal(|ui| {
                ui.radio_value(&mut f.jwt, false, "Plain JSON");
                ui.radio_value(&mut f.jwt, true, "Signed JWT");
            });
            egui::ComboBox::new("source", "Source")
                .selected_text(st.source.label())
                .show_ui(ui, |ui| {
                    for s in SourceChoice::ALL {
                        ui.selectable_value(&mut st.source, s, s.label());
                    }
                });
            if st.source == SourceChoice::Rerun {
                ui.checkbox(&mut st.skip_delays, "Skip delays");
            }
            let target = f.target();
            match &target {
                Ok(t) => {
                    ui.label(
                        RichText::new(format!("Invoke: {}", t.url(Method::Invoke)))
                            .small()
                            .monospace(),
                    );
                }
                Err(e) => {
                    ui.label(RichText::new(e).small().color(theme::ink(ui, theme::WARNING)));
                }
            }
            let lab_sample = cx
                .core
                .samples
                .iter()
                .position(|s| s.sample.method == Method::Invoke);
            let lab_ready = target.is_ok() && !f.app_id.trim().is_empty() && !cx.lab.running;
            let lab = ui
                .add_enabled(
                    lab_ready && lab_sample.is_some(),
                    egui::Button::new("Run envelope lab"),
                )
                .on_hover_text(
                    "Send 12 deliberately wrong envelopes (expired, other key, alg none…) to your action's /v1/invoke: a correct action refuses every one with a 4xx",
                )
                .on_disabled_hover_text(
                    "Needs your action's base URL and its app ID (the envelopes are addressed to it)",
                );
            if lab.clicked()
                && let Some(i) = lab_sample
            {
                cx.tx.send(Command::RunLab(i));
            }
            if cx.lab.done && ui.button("Show lab results").clicked() {
                cx.tx.send(Command::ShowWindow(Window::Lab, true));
            }
        });
    // An app ID typed where there was none signs from then on, as Wix does and as an action
    // built on Wix's SDK requires (it refuses plain JSON); Plain JSON stays one click away.
    if before.app_id.trim().is_empty() && !st.form.app_id.trim().is_empty() {
        st.form.jwt = true;
    }
    if st.form != before {
        // Forward mode, flows and sends read the target through the core: set there.
        cx.tx.panel(LeftCmd::FormChanged);
    }
}

//! ActionBench's public key, to paste where an app's public key goes.

use super::{Command, RichText, Ui, ViewCtx, Window};
use crate::ui::theme;

/// ActionBench's public key, with a copy button.
pub fn show(ui: &mut Ui, cx: &ViewCtx) {
    let mut open = true;
    let area = crate::ui::widgets::work_area(ui.ctx());
    egui::Window::new("ActionBench's public key")
        .open(&mut open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(24.0, 8.0))
        .default_width(620.0)
        .show(ui.ctx(), |ui| match &cx.core.public_key {
            Ok(pem) => {
                ui.label(
                    "ActionBench signs the requests it sends to your action with its own key. \
                     Paste this where your app's public key goes, e.g. \
                     AppStrategy({ appId, publicKey }), so your action accepts them.",
                );
                if ui.button("Copy").clicked() {
                    ui.ctx().copy_text(pem.clone());
                    cx.tx
                        .send(Command::Status("Public key copied".into(), false));
                }
                ui.add(
                    egui::TextEdit::multiline(&mut pem.as_str())
                        .code_editor()
                        .desired_width(f32::INFINITY),
                );
            }
            Err(e) => {
                ui.label(
                    RichText::new(format!("No signing key: {e}"))
                        .color(theme::ink(ui, theme::ERROR)),
                );
            }
        });
    if !open {
        cx.tx.send(Command::ShowWindow(Window::Key, false));
    }
}

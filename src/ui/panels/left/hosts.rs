//! The allowed hosts: names the inbox answers besides loopback ones (a tunnel's).

use super::{HostsField, LeftCmd, RichText, Ui, ViewCtx};
use crate::ui::theme;

/// Which host names the inbox answers besides loopback ones (a tunnel's name), and why
/// web pages never reach it.
pub(super) fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut HostsField) {
    egui::CollapsingHeader::new("Allowed hosts")
        .id_salt("allowed-hosts")
        .show(ui, |ui| {
            ui.label(
                RichText::new(
                    "The inbox refuses (403) any request with an Origin header (a web page sent it) and any Host that is not localhost, 127.0.0.0/8 or [::1]. Add a tunnel's name here (.example.com: the domain and its subdomains), comma-separated.",
                )
                .small()
                .weak(),
            );
            let l = ui.label("Hosts");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut st.text)
                        .hint_text("e.g. abc.trycloudflare.com")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Apply hosts").clicked() || enter {
                match crate::engine::parse_allowed_hosts(st.text.split(',')) {
                    Ok(hosts) => {
                        st.applied = Some(allowed_now(&hosts));
                        cx.tx.panel(LeftCmd::SetHosts(hosts));
                    }
                    Err(e) => {
                        st.error = Some(e);
                        st.applied = None;
                    }
                }
            }
            if edit.changed() {
                st.applied = None;
            }
            if let Some(e) = &st.error {
                ui.label(RichText::new(e).color(theme::ink(ui, theme::ERROR)));
            } else if let Some(now) = &st.applied {
                ui.label(RichText::new(now).color(theme::ink(ui, theme::OK)));
            }
        });
}

/// What the inbox answers once `hosts` are applied, in words.
pub fn allowed_now(hosts: &[String]) -> String {
    let loopback = "localhost, 127.0.0.0/8 and [::1]";
    if hosts.is_empty() {
        return format!("Applied: only {loopback} are answered");
    }
    let named: Vec<String> = hosts
        .iter()
        .map(|h| match h.strip_prefix('.') {
            Some(domain) => format!("{domain} and its subdomains"),
            None => h.clone(),
        })
        .collect();
    format!("Applied: {loopback} are answered, and {}", named.join(", "))
}

//! The first screen: what the empty log shows a developer who has not sent anything yet, the
//! three ways in. Send a shipped sample (one button), call the inbox with `curl` (the line for
//! this port, with a copy button), or point your own action or Wix (through a tunnel) at it,
//! with the manual's page on the inbox one click away, read inside the window (an installed
//! ActionBench has no docs folder beside it).

use super::{Command, Method, RichText, Ui, ViewCtx};

/// The manual's page on the inbox, shipped inside the binary.
const INBOX_PAGE: &str = include_str!("../../../../docs/inbox.md");

/// Whether the manual's page is open.
#[derive(Default)]
pub struct FirstScreen {
    manual: bool,
}

pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut FirstScreen) {
    ui.add_space(12.0);
    ui.label(RichText::new("Nothing has called the inbox yet. Three ways in:").heading());
    ui.add_space(8.0);
    send_a_sample(ui, cx);
    ui.add_space(10.0);
    curl(ui, cx);
    ui.add_space(10.0);
    ui.label(RichText::new("3. Point your action, or Wix, at it").strong());
    ui.label(
        "Your action (left, at the top): its base URL, and Samples send to it as Wix would. \
         Real Wix reaches the inbox through a tunnel you run (cloudflared, ngrok); allow the \
         tunnel's host under Allowed hosts.",
    );
    if ui
        .button("Read: the inbox, and Wix through a tunnel")
        .clicked()
    {
        st.manual = true;
    }
    manual(ui, &mut st.manual);
}

/// 1: the first shipped sample that Wix could send, one click away.
fn send_a_sample(ui: &mut Ui, cx: &ViewCtx) {
    ui.label(RichText::new("1. Send a shipped sample").strong());
    let first = cx
        .core
        .samples
        .iter()
        .enumerate()
        .find(|(_, s)| s.sample.method == Method::Invoke && s.params_findings.is_empty());
    match first {
        Some((i, s)) => {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button(format!("Send \"{}\"", s.sample.name))
                    .on_hover_text("Posted to the inbox as Wix would post it: it is held here for you to answer")
                    .clicked()
                {
                    cx.tx.send(Command::SendSample(i));
                }
                ui.label(RichText::new("then answer it on the right").weak());
            });
        }
        None => {
            ui.label(RichText::new("No samples are loaded (samples/, or --samples DIR)").weak());
        }
    }
}

/// 2: the `curl` line for this inbox, to copy.
fn curl(ui: &mut Ui, cx: &ViewCtx) {
    ui.label(RichText::new("2. Call it yourself").strong());
    let line = curl_line(&cx.core.inbox_url);
    // Its lines as a shell takes them, never wrapped inside a word (wrapped, `"send-` and
    // `email"` came apart): what does not fit scrolls sideways.
    egui::ScrollArea::horizontal()
        .id_salt("curl-line")
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(RichText::new(&line).code()).wrap_mode(egui::TextWrapMode::Extend),
            );
        });
    if ui.small_button("Copy curl").clicked() {
        cx.egui.copy_text(line.clone());
        cx.say("Copied the curl command", false);
    }
}

/// An Invoke of the shipped send-email action, posted to `inbox`.
pub fn curl_line(inbox: &str) -> String {
    format!(
        "curl {inbox}/v1/invoke \\\n  -H 'content-type: application/json' \\\n  -d '{}'",
        r#"{"actionKey":"send-email","actionParams":{"to":"dana@example.com","subject":"Hello","body":"Welcome"},"activationContext":{"activationId":"act-1","invocationToken":"tok-1"}}"#
    )
}

/// The manual's page, in a window of its own.
fn manual(ui: &mut Ui, open: &mut bool) {
    let area = crate::ui::widgets::work_area(ui.ctx());
    egui::Window::new("The inbox (from the manual, docs/inbox.md)")
        .open(open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(24.0, 8.0))
        .default_width(560.0)
        .default_height(area.height() * 0.8)
        .show(ui.ctx(), |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
                // Arrows are not in the window's font: written as the page's ASCII would.
                for line in INBOX_PAGE.replace('→', "->").lines() {
                    match line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
                        Some(h) => {
                            ui.add_space(6.0);
                            ui.label(RichText::new(h).strong());
                        }
                        None => {
                            ui.label(line);
                        }
                    }
                }
            });
        });
}

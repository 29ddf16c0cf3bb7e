//! Small drawing helpers the panels share; a leaf: it imports nothing of the app or its panels.

use crate::domain::contract::{Finding, Severity};
use crate::domain::invocation::Phase;
use crate::ui::theme;
use egui::{Color32, RichText, Ui};

pub fn phase_color(p: &Phase) -> Color32 {
    match p {
        Phase::Held { .. } => theme::WARNING,
        Phase::Waiting { .. } => theme::WAITING,
        Phase::Answered | Phase::Completed { .. } | Phase::Accepted => theme::OK,
        Phase::CallerGone | Phase::ShutDown => Color32::GRAY,
        _ => theme::ERROR,
    }
}

/// Each finding: what is wrong, where (its JSON path, when the message does not start with
/// it) and why it matters.
pub fn finding_list(ui: &mut Ui, findings: &[Finding]) {
    for f in findings {
        let (icon, color) = match f.severity {
            Severity::Error => ("Error:", theme::ERROR),
            Severity::Warning => ("Warning:", theme::WARNING),
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

pub fn code_editor(ui: &mut Ui, label: &str, text: &mut String, rows: usize) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(text)
            .code_editor()
            .desired_rows(rows)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id);
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

/// "1 call", "2 calls".
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

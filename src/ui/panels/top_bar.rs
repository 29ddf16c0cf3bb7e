//! The top bar: the inbox, the counts, time warp, the session and the public key.

use super::{Command, RichText, Ui, ViewCtx, WARP_FACTORS, Window, human_duration, plural};
use crate::ui::theme;
use crate::ui::widgets::tick_each_second;
use chrono::Datelike;

pub fn show(ui: &mut Ui, cx: &ViewCtx) {
    // The clock's seconds move while nothing else happens.
    tick_each_second(ui.ctx());
    ui.horizontal_wrapped(|ui| {
        ui.heading(RichText::new("ActionBench").strong());
        ui.separator();
        ui.label("Inbox");
        // The address without its scheme: the bar's room goes to what changes.
        let inbox = cx.core.inbox_url.trim_start_matches("http://");
        ui.label(RichText::new(inbox).monospace().strong())
            .on_hover_text(format!("Calls go to {}", cx.core.inbox_url));
        if let Some(w) = &cx.core.remote_warning {
            ui.label(
                RichText::new(format!("WARNING: {w}")).color(theme::ink(ui, theme::ERROR)),
            );
        }
        let agents = cx.core.agents.as_ref().map_or(0, |a| a.now());
        if agents > 0 {
            ui.separator();
            let text = match agents {
                1 => "Agent connected".to_string(),
                n => format!("{n} agents connected"),
            };
            ui.label(RichText::new(text).strong().color(theme::OK))
                .on_hover_text(format!(
                    "A coding agent is connected to {}/mcp: the calls it sends and answers show here, marked as the agent's",
                    cx.core.inbox_url
                ));
        }
        ui.separator();
        let calls = cx.mirror.log.len();
        ui.label(format!(
            "{calls} {} · {} held · {} waiting",
            plural(calls, "call", "calls"),
            cx.mirror.held.len(),
            cx.mirror.waiting.len()
        ));
        ui.separator();
        ui.label("Warp")
            .on_hover_text("Time warp: how many times faster simulated time runs");
        for f in WARP_FACTORS {
            if ui
                .selectable_label(cx.warp == f, format!("×{f}"))
                .clicked()
                && cx.warp != f
            {
                cx.tx.send(Command::SetWarp(f));
            }
        }
        let t = cx.now.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        let ahead = cx.now - cx.real_now;
        // Whole seconds: the two clocks are read a moment apart.
        if crate::ui::widgets::clock_is_simulated(cx.now, cx.real_now, cx.warp) {
            // The date only when it is not today's, and the year only when it is not this
            // year's: the bar stays one row at 1280.
            let t = if cx.now.date_naive() == cx.real_now.date_naive() {
                cx.now.format("%H:%M:%S UTC").to_string()
            } else if cx.now.year() == cx.real_now.year() {
                // UTC in the hover, as the lead is.
                cx.now.format("%m-%d %H:%M:%S").to_string()
            } else {
                t
            };
            ui.label(
                RichText::new(format!("Simulated {t}"))
                    .monospace()
                    .color(theme::ink(ui, theme::WARNING)),
            )
            .on_hover_text(format!(
                "Simulated time (UTC) is {} ahead of real time",
                human_duration(ahead)
            ));
            if ui
                .button("Back to now")
                .on_hover_text("Simulated time back to real time, at ×1")
                .clicked()
            {
                cx.tx.send(Command::BackToNow);
            }
        } else {
            ui.label(RichText::new(t).monospace());
        }
        ui.separator();
        let session = match &cx.core.session {
            Some(s) => {
                let name = short_name(
                    &s.path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                if s.read_only {
                    format!("{name} (read-only)")
                } else {
                    name
                }
            }
            None => "no journal".into(),
        };
        if ui
            .selectable_label(cx.open.sessions, format!("Session: {session}"))
            .on_hover_text(match &cx.core.session {
                Some(s) if s.read_only => format!(
                    "{} is a page ActionBench shared, opened to read: new calls to the inbox are not recorded",
                    s.path.display()
                ),
                Some(s) => format!(
                    "Every exchange is journaled to {} before its answer leaves; reopen it with --session",
                    s.path.display()
                ),
                None => "Nothing is journaled: start with --session FILE".into(),
            })
            .clicked()
        {
            cx.tx.send(Command::ToggleWindow(Window::Sessions));
        }
        ui.separator();
        if ui
            .selectable_label(cx.open.key, "Public key")
            .on_hover_text(
                "ActionBench's public key, to paste where your app's public key goes",
            )
            .clicked()
        {
            cx.tx.send(Command::ToggleWindow(Window::Key));
        }
        if cx.core.engine.audience_unchecked() {
            ui.separator();
            ui.label(
                RichText::new("JWT audience not checked (no --app-id)")
                    .color(theme::ink(ui, theme::WARNING)),
            )
            .on_hover_text(cx.core.engine.jwt_summary());
        }
    });
}

/// The longest session name the bar shows whole: a new session's own name
/// (`session-20261206-045224-758.jsonl`) wrapped the bar onto a second row at 1280 px; it is
/// shown as its date and time (`20261206-045224-758`).
const NAME_CHARS: usize = 24;

/// A session's file name as the bar shows it: elided in the middle past [`NAME_CHARS`] (the
/// whole path is in the hover).
fn short_name(name: &str) -> String {
    // A new session's own name says its date and time between these: those tell sessions
    // apart, the rest does not.
    let name = name
        .strip_prefix("session-")
        .and_then(|n| n.strip_suffix(".jsonl"))
        .unwrap_or(name);
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= NAME_CHARS {
        return name.to_string();
    }
    let head: String = chars[..NAME_CHARS / 2].iter().collect();
    let tail: String = chars[chars.len() - (NAME_CHARS / 2 - 1)..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_session_name_is_elided_in_the_middle_and_a_short_one_kept() {
        assert_eq!(super::short_name("demo.jsonl"), "demo.jsonl");
        assert_eq!(
            super::short_name("session-20261206-045224-758.jsonl"),
            "20261206-045224-758"
        );
        let s = super::short_name("a-session-I-named-myself-rather-long.jsonl");
        assert_eq!(s, "a-session-I-…-long.jsonl");
        assert_eq!(s.chars().count(), super::NAME_CHARS);
        assert_eq!(
            super::short_name("日本語のセッションの名前はとても長いです.jsonl")
                .chars()
                .count(),
            24
        );
    }
}

//! The path field: where no file dialog can open, a button that needs a file asks for its
//! path here, prefilled where the dialog would have started.

use super::{Command, FileAsk, RichText, Ui, ViewCtx};
use crate::ui::theme;
use std::path::PathBuf;

/// The path field shown where no file dialog can open: what is asked, why there is no
/// dialog, the path as typed, and what is wrong with it.
#[derive(Debug)]
pub struct PathPrompt {
    /// What is asked (taken when the path is chosen).
    pub ask: Option<FileAsk>,
    pub why: String,
    pub text: String,
    pub error: Option<String>,
    /// The file typed exists: the next press replaces it.
    pub replace: bool,
}

/// The field and its buttons; a path chosen sends what was asked for with it (and leaves the
/// prompt without its ask: it is then closed).
pub fn show(ui: &mut Ui, cx: &ViewCtx, st: &mut PathPrompt) {
    let Some(ask) = &st.ask else {
        return;
    };
    let (title, saves) = (ask.title, ask.saves);
    let mut open = true;
    let mut chosen = None;
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .default_width(520.0)
        .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 90.0))
        .show(ui.ctx(), |ui| {
            ui.label(format!(
                "{}. Type the path of the file to {} instead:",
                capitalized(&st.why),
                if saves { "write" } else { "open" }
            ));
            let l = ui.label("Path");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut st.text)
                        .desired_width(f32::INFINITY)
                        .font(egui::TextStyle::Monospace),
                )
                .labelled_by(l.id);
            if !edit.has_focus() && !edit.lost_focus() && st.error.is_none() && !st.replace {
                edit.request_focus();
            }
            if edit.changed() {
                st.error = None;
                st.replace = false;
            }
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(e) = &st.error {
                ui.label(RichText::new(e).color(if st.replace {
                    theme::ink(ui, theme::WARNING)
                } else {
                    theme::ink(ui, theme::ERROR)
                }));
            }
            ui.horizontal(|ui| {
                let go = match (saves, st.replace) {
                    (true, true) => "Replace",
                    (true, false) => "Save",
                    (false, _) => "Open",
                };
                if ui.button(go).clicked() || enter {
                    match check(&st.text, saves, st.replace) {
                        Ok(path) => chosen = Some(path),
                        Err((why, replace)) => {
                            st.error = Some(why);
                            st.replace = replace;
                        }
                    }
                }
                if ui.button("Cancel").clicked() {
                    cx.tx.send(Command::ClosePathField);
                }
            });
        });
    if let Some(path) = chosen
        && let Some(ask) = st.ask.take()
    {
        cx.tx.send((ask.then)(path));
    } else if !open || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        cx.tx.send(Command::ClosePathField);
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The path typed, if it can be used: a file that exists (to open), or a place for one (to
/// write; an existing file only once `replace` was asked). Else why not, and whether pressing
/// again replaces the file.
fn check(text: &str, saves: bool, replace: bool) -> Result<PathBuf, (String, bool)> {
    let text = text.trim();
    if text.is_empty() {
        return Err(("Type a path".into(), false));
    }
    let path = expand_home(text);
    if path.is_dir() {
        return Err((
            format!("{} is a folder: add the file's name", path.display()),
            false,
        ));
    }
    if !saves && !path.is_file() {
        return Err((format!("There is no file at {}", path.display()), false));
    }
    if saves && path.exists() && !replace {
        return Err((
            format!("{} exists: press Replace to write over it", path.display()),
            true,
        ));
    }
    Ok(path)
}

/// `~/…` is the home folder, as a shell reads it.
fn expand_home(text: &str) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    match text.strip_prefix("~/").or(text.strip_prefix("~\\")) {
        Some(rest) => home().map_or_else(|| PathBuf::from(text), |h| h.join(rest)),
        None if text == "~" => home().unwrap_or_else(|| PathBuf::from(text)),
        None => PathBuf::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_to_open_must_be_a_file_and_one_to_write_asks_before_replacing() {
        let dir = std::env::temp_dir().join(format!("ab-prompt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("there.json");
        std::fs::write(&file, "{}").expect("file");
        let d = dir.display().to_string();
        assert!(check("", true, false).is_err());
        assert!(
            check(&d, false, false)
                .expect_err("a folder")
                .0
                .contains("folder")
        );
        assert!(
            check(&format!("{d}/none.json"), false, false)
                .expect_err("missing")
                .0
                .contains("no file")
        );
        assert_eq!(
            check(&format!(" {} ", file.display()), false, false),
            Ok(file.clone())
        );
        assert_eq!(
            check(&format!("{d}/new.json"), true, false),
            Ok(dir.join("new.json"))
        );
        let (why, replace) = check(&file.display().to_string(), true, false).expect_err("exists");
        assert!(replace && why.contains("Replace"), "{why}");
        assert_eq!(check(&file.display().to_string(), true, true), Ok(file));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! File dialogs: the system's, or a test's.

use super::PathBuf;

/// What a file dialog gave: a file, nothing (cancelled), or why no dialog could open.
pub type Picked = Result<Option<PathBuf>, String>;

/// A dialog's answer, awaited off the UI thread.
pub type Asked = std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>>;

/// Picks a file to open or a place to save one. The real one opens the system dialog; tests
/// hand in their own. The future is made on the UI thread (macOS wants dialogs made there)
/// and awaited elsewhere. Where no dialog can open, the window offers a path field instead.
pub trait SamplePicker: Send + Sync {
    /// A file to open (`title` says which), the dialog starting in `dir`.
    fn pick(&self, title: &str, dir: &std::path::Path) -> Asked;

    /// Where to save a file (a HAR export, a sample): the dialog starting in `dir` with `name`.
    fn save(&self, title: &str, dir: &std::path::Path, name: &str) -> Asked;
}

/// The system file dialog, rfd's async one: an XDG desktop portal or zenity on Linux, the
/// system's own on Windows and macOS.
pub struct RfdPicker;

/// Why no file dialog can open here, if that can be told beforehand.
pub fn missing_dialog_service() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    (!on_path("zenity") && !session_bus).then(|| {
        "no file dialog can open here: there is neither a desktop portal (no D-Bus session) nor zenity"
            .to_string()
    })
}

impl SamplePicker for RfdPicker {
    fn pick(&self, title: &str, dir: &std::path::Path) -> Asked {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_directory(dir)
            .add_filter("JSON", &["json"])
            .pick_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }

    fn save(&self, title: &str, dir: &std::path::Path, name: &str) -> Asked {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_directory(dir)
            .set_file_name(name)
            .save_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }
}

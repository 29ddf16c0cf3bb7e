//! File dialogs: the system's, or a test's.

use super::*;

/// What a file dialog gave: a file, nothing (cancelled), or why there is no dialog.
pub type Picked = Result<Option<PathBuf>, String>;

/// Picks a sample or flow file (`title` says which). The real one opens the system dialog;
/// tests hand in their own. The future is made on the UI thread (macOS wants dialogs made
/// there) and awaited elsewhere.
pub trait SamplePicker: Send + Sync {
    fn pick(
        &self,
        title: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>>;

    /// Where to save a file (a HAR export, a sample), `name` suggested.
    fn save(
        &self,
        title: &str,
        name: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>>;
}

/// The system file dialog, rfd's async one: an XDG desktop portal or zenity on Linux.
pub struct RfdPicker;

/// Why no file dialog can open here, if that can be told beforehand.
fn missing_dialog_service() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    (!on_path("zenity") && !session_bus).then(|| {
        "no file dialog here: there is neither a desktop portal (no D-Bus session) nor zenity. \
         Drop the sample file onto the window instead, or start with --samples DIR"
            .to_string()
    })
}

impl SamplePicker for RfdPicker {
    fn pick(
        &self,
        title: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .add_filter("JSON", &["json"])
            .pick_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }

    fn save(
        &self,
        title: &str,
        name: &str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Picked> + Send>> {
        if let Some(why) = missing_dialog_service() {
            return Box::pin(std::future::ready(Err(why)));
        }
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_file_name(name)
            .save_file();
        Box::pin(async move { Ok(dialog.await.map(|f| f.path().to_path_buf())) })
    }
}

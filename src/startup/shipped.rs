//! The shipped samples (sample files, flows, action definitions), built into the binary so that
//! an ActionBench installed from npm or a release archive has them too. They are written once
//! into a samples folder of the user's own, in the platform's data folder
//! (`~/.local/share/actionbench/samples` on Linux, `%APPDATA%\actionbench\data\samples` on
//! Windows, `~/Library/Application Support/actionbench/samples` on macOS): samples saved from
//! the window go there and stay. A shipped file the user deleted or changed is left as it is;
//! a later release's new files are added.

use include_dir::{Dir, include_dir};
use std::path::{Path, PathBuf};

static SAMPLES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/samples");

/// The list of shipped files already written into a folder, kept in it.
const WRITTEN: &str = ".shipped-files";

/// The user's samples folder in the platform's data folder, with every shipped file written
/// that was never written there before; or why there is none.
pub fn samples_folder() -> Result<PathBuf, String> {
    let data = directories::ProjectDirs::from("", "", "actionbench")
        .ok_or("no home folder to keep the shipped samples in: give --samples DIR")?;
    let dir = data.data_dir().join("samples");
    write_into(&dir)?;
    Ok(dir)
}

/// Writes the shipped files into `dir` that it has never had (the list of those written is
/// kept in `dir`), making folders as needed.
pub fn write_into(dir: &Path) -> Result<(), String> {
    let say = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    std::fs::create_dir_all(dir).map_err(|e| say(dir, e))?;
    let list = dir.join(WRITTEN);
    let before = std::fs::read_to_string(&list).unwrap_or_default();
    let mut written: Vec<String> = before.lines().map(str::to_string).collect();
    let mut files = vec![];
    collect(&SAMPLES, &mut files);
    let mut changed = false;
    for f in files {
        let name = f.path().to_string_lossy().replace('\\', "/");
        if written.contains(&name) {
            continue;
        }
        let to = dir.join(f.path());
        if !to.exists() {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| say(parent, e))?;
            }
            std::fs::write(&to, f.contents()).map_err(|e| say(&to, e))?;
        }
        written.push(name);
        changed = true;
    }
    if changed {
        std::fs::write(&list, written.join("\n") + "\n").map_err(|e| say(&list, e))?;
    }
    Ok(())
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    out.extend(dir.files());
    for d in dir.dirs() {
        collect(d, out);
    }
}

/// How many shipped files there are (samples, flows and definitions).
pub fn count() -> usize {
    let mut files = vec![];
    collect(&SAMPLES, &mut files);
    files.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_files_are_written_once_and_what_the_user_did_to_them_stays() {
        let dir = std::env::temp_dir().join(format!("ab-shipped-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write_into(&dir).expect("written");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let flow = Path::new("flows/01-trainer-approval.json");
        assert_eq!(
            std::fs::read(dir.join(flow)).expect("a flow"),
            std::fs::read(source.join(flow)).expect("the source")
        );
        assert!(dir.join("actions/send-email.json").is_file());
        assert!(count() >= 20, "samples, flows and definitions: {}", count());
        // Deleted and changed files are the user's business.
        std::fs::remove_file(dir.join("01-send-email.json")).expect("deleted");
        std::fs::write(dir.join("02-approval-one-day.json"), "{}").expect("changed");
        write_into(&dir).expect("again");
        assert!(!dir.join("01-send-email.json").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("02-approval-one-day.json")).expect("kept"),
            "{}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

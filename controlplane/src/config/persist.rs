//! Saving the configuration: written as an export to a temporary file, synced, then renamed
//! over the old one (and the directory synced), so a crash at any moment leaves either the
//! old file or the new one, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces the file at `path` with `text`, atomically and durably.
pub fn save(path: &Path, text: &str) -> io::Result<()> {
    let tmp = tmp_path(path);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The saved text, or `None` when there is no file yet. A leftover temporary file from a
/// crash during a save is removed: the complete file is the old one.
pub fn load(path: &Path) -> io::Result<Option<String>> {
    let _ = fs::remove_file(tmp_path(path));
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}"))
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_replaces_and_load_reads_back() {
        let dir = std::env::temp_dir().join(format!("rspe-persist-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("rspe.rsc");
        assert_eq!(load(&p).unwrap(), None);
        save(&p, "one\n").unwrap();
        save(&p, "two\n").unwrap();
        fs::write(tmp_path(&p), "torn").unwrap();
        assert_eq!(load(&p).unwrap().as_deref(), Some("two\n"));
        assert!(!tmp_path(&p).exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! Saving the configuration: written as an export to a temporary file, synced, then renamed
//! over the old one (and the directory synced), so a crash at any moment leaves either the
//! old file or the new one, never a torn one.
//!
//! A file the daemon saved is sealed: its first line is [`HEADER`] and its last line
//! ([`TRAILER`]) carries the line count and CRC-32 of everything between them and the last
//! journal record the file covers ([`super::journal`]). A sealed file that was cut or
//! changed is refused at start with what is wrong; a hand-written file (no header) loads as
//! it is.

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

/// The first line of a file the daemon saved.
pub const HEADER: &str =
    "# rspe saved configuration (the last line proves it whole; to edit by hand, stop rspe and remove both)";

/// How the last line of a saved file starts.
pub const TRAILER: &str = "# rspe end of configuration:";

/// A saved configuration as loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The commands.
    pub text: String,
    /// The last journal record the file covers (0 for a hand-written file).
    pub covers: u64,
    /// Whether the daemon wrote it (its header and trailer were there and right).
    pub sealed: bool,
}

/// The sealed form of `text` (an export) covering journal records up to `covers`.
pub fn seal(text: &str, covers: u64) -> String {
    let mut body = text.to_string();
    if !body.is_empty() && !body.ends_with('\n') {
        body.push('\n');
    }
    format!(
        "{HEADER}\n{body}{TRAILER} lines={} crc32={:08x} journal={covers}\n",
        body.lines().count(),
        crc32fast::hash(body.as_bytes())
    )
}

/// Checks and strips the seal of a saved file; a file without the header is hand-written
/// and returned as it is.
pub fn unseal(file: &str) -> Result<Saved, String> {
    let Some(rest) = file.strip_prefix(HEADER).and_then(|r| r.strip_prefix('\n')) else {
        return Ok(Saved {
            text: file.to_string(),
            covers: 0,
            sealed: false,
        });
    };
    let cut = |why: &str| {
        format!(
            "the file is damaged: {why} (it was cut short or changed outside rspe; restore it, \
             or remove its first line to load what is left as a hand-written file)"
        )
    };
    let body_end = rest.trim_end_matches('\n').rfind('\n').map_or(0, |i| i + 1);
    let (body, last) = rest.split_at(body_end);
    let last = last.trim_end_matches('\n');
    let Some(fields) = last.strip_prefix(TRAILER) else {
        return Err(cut(&format!(
            "its last line ({} lines in) is not rspe's closing line",
            rest.lines().count() + 1
        )));
    };
    let mut lines = None;
    let mut crc = None;
    let mut covers = None;
    for f in fields.split_whitespace() {
        match f.split_once('=') {
            Some(("lines", v)) => lines = v.parse::<usize>().ok(),
            Some(("crc32", v)) => crc = u32::from_str_radix(v, 16).ok(),
            Some(("journal", v)) => covers = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    let (Some(lines), Some(crc), Some(covers)) = (lines, crc, covers) else {
        return Err(cut("its closing line is malformed"));
    };
    if body.lines().count() != lines {
        return Err(cut(&format!(
            "it has {} lines where its closing line says {lines}",
            body.lines().count()
        )));
    }
    if crc32fast::hash(body.as_bytes()) != crc {
        return Err(cut("its checksum does not match its contents"));
    }
    Ok(Saved {
        text: body.to_string(),
        covers,
        sealed: true,
    })
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
    fn sealed_files_prove_themselves_whole() {
        let text = "/ip route\nadd dst-address=10.7.1.0/24 gateway=10.0.0.2\nadd dst-address=10.8.0.0/16 gateway=10.0.0.2\n";
        let sealed = seal(text, 42);
        let back = unseal(&sealed).unwrap();
        assert_eq!(
            (back.text.as_str(), back.covers, back.sealed),
            (text, 42, true)
        );
        // Cut in the middle of a line, as the reproduction did.
        let cut_at = sealed.find("10.7.1").unwrap() + 6;
        let err = unseal(&sealed[..cut_at]).unwrap_err();
        assert!(
            err.contains("damaged") && err.contains("closing line"),
            "{err}"
        );
        // Cut at a line boundary, a line changed, a line dropped.
        let lines: Vec<&str> = sealed.lines().collect();
        assert!(unseal(&(lines[..3].join("\n") + "\n")).is_err());
        assert!(unseal(&sealed.replace("10.8.0.0/16", "10.9.0.0/16"))
            .unwrap_err()
            .contains("checksum"));
        let dropped = [lines[0], lines[1], lines[3], lines[4]].join("\n") + "\n";
        assert!(unseal(&dropped).unwrap_err().contains("lines"));
        // A hand-written file loads as it is; an empty configuration seals too.
        let hand = unseal(text).unwrap();
        assert_eq!((hand.text.as_str(), hand.sealed), (text, false));
        assert_eq!(unseal(&seal("", 0)).unwrap().text, "");
    }

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

//! The journal of configuration changes: what makes saving cost in proportion to a change,
//! not to the configuration.
//!
//! Every accepted command appends one record to `FILE.journal` (beside the saved export
//! `FILE`) and syncs it before the command is acknowledged, so every acknowledged change
//! survives `kill -9`. A record is one line: its sequence number, a CRC-32 of its body, and
//! the body, a JSON list of the [`Change`]s the command made to the store. Now and then the
//! router writes a fresh export in the background (compaction, [`super::persist`]); the
//! export's closing line names the last record it covers, and loading applies the export,
//! then every later record in order.
//!
//! Changes name items as an export keeps them: by their place among the menu's configured
//! (not dynamic) items, with a fingerprint of their values, so replaying a record on the
//! reloaded export acts on the same items, and a journal that does not belong to the file
//! is detected instead of applied to the wrong items.

use super::menus::menu_index;
use super::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An item as the journal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Its place among the menu's configured items, from 0.
    pub pos: usize,
    /// CRC-32 of its values before the change.
    pub crc: u32,
}

impl Target {
    /// The target for an item of `menu` at `pos` with `values`. Values at their default
    /// do not count: an export may write them out (`disabled=no`) or leave them unset.
    pub fn of(menu: usize, pos: usize, values: &BTreeMap<String, String>) -> Target {
        let def = &super::menus::MENUS[menu];
        let mut h = crc32fast::Hasher::new();
        for (k, v) in values {
            if def.param(k).and_then(|p| p.default) == Some(v.as_str()) {
                continue;
            }
            h.update(k.as_bytes());
            h.update(b"=");
            h.update(v.as_bytes());
            h.update(b"\n");
        }
        Target {
            pos,
            crc: h.finalize(),
        }
    }
}

/// One change to the store, as its public mutators made it. Menus are named by path
/// (`ip/route`), which outlives the order of the menu table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// An item added with `values`, before the item `before` or at the end.
    Add {
        /// The menu's path.
        menu: String,
        /// The item it was placed before.
        before: Option<Target>,
        /// Its values as given.
        values: BTreeMap<String, String>,
    },
    /// Values set and unset on items.
    Set {
        /// The menu's path.
        menu: String,
        /// The items.
        targets: Vec<Target>,
        /// Values set.
        values: BTreeMap<String, String>,
        /// Names unset.
        unset: Vec<String>,
    },
    /// Items removed.
    Remove {
        /// The menu's path.
        menu: String,
        /// The items.
        targets: Vec<Target>,
    },
    /// Items moved before `dest` or to the end.
    Move {
        /// The menu's path.
        menu: String,
        /// The items.
        targets: Vec<Target>,
        /// The item they were moved before.
        dest: Option<Target>,
    },
    /// Values of a settings menu set and unset.
    Settings {
        /// The menu's path.
        menu: String,
        /// Values set.
        values: BTreeMap<String, String>,
        /// Names unset.
        unset: Vec<String>,
    },
}

impl Change {
    /// The path of the menu changed.
    pub fn menu(&self) -> &str {
        match self {
            Change::Add { menu, .. }
            | Change::Set { menu, .. }
            | Change::Remove { menu, .. }
            | Change::Move { menu, .. }
            | Change::Settings { menu, .. } => menu,
        }
    }
}

fn menu_of(path: &str) -> Result<usize, String> {
    let parts: Vec<&str> = path.split('/').collect();
    menu_index(&parts).ok_or_else(|| format!("unknown menu /{path}"))
}

fn ids(store: &Store, menu: usize, targets: &[Target]) -> Result<Vec<u32>, String> {
    targets.iter().map(|t| store.target_id(menu, t)).collect()
}

/// Applies a recorded change to `store`, as the command that made it did.
pub fn apply(store: &mut Store, c: &Change) -> Result<(), String> {
    match c {
        Change::Add {
            menu,
            before,
            values,
        } => {
            let mi = menu_of(menu)?;
            let before = match before {
                Some(t) => {
                    let id = store.target_id(mi, t)?;
                    store.position(mi, id)
                }
                None => None,
            };
            store.add(mi, values.clone(), before).map(|_| ())
        }
        Change::Set {
            menu,
            targets,
            values,
            unset,
        } => {
            let mi = menu_of(menu)?;
            let ids = ids(store, mi, targets)?;
            store.set(mi, &ids, values, unset)
        }
        Change::Remove { menu, targets } => {
            let mi = menu_of(menu)?;
            let ids = ids(store, mi, targets)?;
            store.remove(mi, &ids)
        }
        Change::Move {
            menu,
            targets,
            dest,
        } => {
            let mi = menu_of(menu)?;
            let ids = ids(store, mi, targets)?;
            let dest = dest.as_ref().map(|t| store.target_id(mi, t)).transpose()?;
            store.move_items(mi, &ids, dest)
        }
        Change::Settings {
            menu,
            values,
            unset,
        } => {
            let mi = menu_of(menu)?;
            store.set_settings(mi, values, unset)
        }
    }
}

/// One record: the changes of one accepted command.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its sequence number, from 1, one more than the record before.
    pub seq: u64,
    /// What the command changed.
    pub changes: Vec<Change>,
}

impl Record {
    /// The record as a line of the journal (newline included).
    pub fn encode(&self) -> String {
        let body = serde_json::to_string(&self.changes).unwrap_or_else(|_| "[]".into());
        format!(
            "{} {:08x} {body}\n",
            self.seq,
            crc32fast::hash(body.as_bytes())
        )
    }

    /// A line of the journal (without its newline) as a record.
    pub fn decode(line: &str) -> Result<Record, String> {
        let mut parts = line.splitn(3, ' ');
        let (Some(seq), Some(crc), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("not a journal record".into());
        };
        let seq = seq
            .parse::<u64>()
            .map_err(|_| "bad sequence number".to_string())?;
        let crc = u32::from_str_radix(crc, 16).map_err(|_| "bad checksum field".to_string())?;
        if crc32fast::hash(body.as_bytes()) != crc {
            return Err("checksum mismatch".into());
        }
        let changes = serde_json::from_str(body).map_err(|e| format!("bad record: {e}"))?;
        Ok(Record { seq, changes })
    }
}

/// The journal beside the configuration file `config`.
pub fn path(config: &Path) -> PathBuf {
    suffixed(config, ".journal")
}

/// The journal being compacted away (renamed from [`path`] when a compaction starts).
pub fn old_path(config: &Path) -> PathBuf {
    suffixed(config, ".journal.old")
}

fn suffixed(p: &Path, suffix: &str) -> PathBuf {
    let mut name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    p.with_file_name(name)
}

/// The records after `covers` found in the journals beside `config`, in order. The last
/// line of the newest journal may be torn (a write cut by a crash: never acknowledged) and
/// is skipped; any other damage, or a gap in the sequence, is an error naming the file and
/// line.
pub fn read(config: &Path, covers: u64) -> Result<Vec<Record>, String> {
    let files = [old_path(config), path(config)];
    let mut out: Vec<Record> = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        let text = match fs::read(file) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        for (li, line) in lines.iter().enumerate() {
            let last = fi == files.len() - 1 && li + 1 == lines.len();
            match Record::decode(line) {
                Ok(r) if last && !complete => {
                    // Written whole but its newline lost: still never acknowledged.
                    let _ = r;
                }
                Ok(r) => {
                    if r.seq <= covers {
                        continue;
                    }
                    let want = out.last().map_or(covers + 1, |p| p.seq + 1);
                    if r.seq != want {
                        return Err(format!(
                            "{}: line {}: record {} where record {want} was due (a journal from another file?)",
                            file.display(),
                            li + 1,
                            r.seq
                        ));
                    }
                    out.push(r);
                }
                Err(_) if last => {}
                Err(e) => {
                    return Err(format!(
                        "{}: line {}: damaged record ({e})",
                        file.display(),
                        li + 1
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// The open journal, appended to after every accepted change.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
    bytes: u64,
}

impl Journal {
    /// Opens (creating) the journal beside `config` for appending.
    pub fn open(config: &Path) -> io::Result<Journal> {
        let path = path(config);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let bytes = file.metadata()?.len();
        Ok(Journal { file, path, bytes })
    }

    /// Appends `r` and syncs it: once this returns, the change survives a crash.
    pub fn append(&mut self, r: &Record) -> io::Result<()> {
        let line = r.encode();
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()?;
        self.bytes += line.len() as u64;
        Ok(())
    }

    /// Bytes in the journal.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Starts a compaction: the journal becomes the old one and a new, empty journal takes
    /// its place. Refused while an old journal still exists (a compaction under way).
    pub fn rotate(&mut self, config: &Path) -> io::Result<()> {
        let old = old_path(config);
        if old.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a compaction is under way",
            ));
        }
        fs::rename(&self.path, &old)?;
        *self = Journal::open(config)?;
        sync_dir(config);
        Ok(())
    }
}

/// Syncs the directory holding `p` (a rename or a new file inside it is then durable).
pub fn sync_dir(p: &Path) {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64) -> Record {
        Record {
            seq,
            changes: vec![Change::Settings {
                menu: "system/identity".into(),
                values: BTreeMap::from([("name".into(), format!("R{seq}"))]),
                unset: vec![],
            }],
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rspe-journal-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("rspe.rsc")
    }

    #[test]
    fn records_round_trip_and_damage_is_found() {
        let r = rec(7);
        let line = r.encode();
        assert_eq!(Record::decode(line.trim_end()).unwrap(), r);
        let flipped = line.replace("R7", "R8");
        assert!(Record::decode(flipped.trim_end())
            .unwrap_err()
            .contains("checksum"));
        assert!(Record::decode("garbage").is_err());
    }

    #[test]
    fn a_torn_last_record_is_skipped_and_a_damaged_middle_one_refused() {
        let cfg = scratch("torn");
        let mut j = Journal::open(&cfg).unwrap();
        for s in 1..=3 {
            j.append(&rec(s)).unwrap();
        }
        assert_eq!(read(&cfg, 0).unwrap().len(), 3);
        assert_eq!(
            read(&cfg, 2).unwrap().len(),
            1,
            "records the file covers are skipped"
        );
        // A crash in the middle of the fourth write.
        let torn = rec(4).encode();
        fs::write(
            path(&cfg),
            fs::read_to_string(path(&cfg)).unwrap() + &torn[..torn.len() / 2],
        )
        .unwrap();
        assert_eq!(read(&cfg, 0).unwrap().len(), 3);
        // Damage before the end is refused with its line.
        let text = fs::read_to_string(path(&cfg))
            .unwrap()
            .replacen("R2", "X2", 1);
        fs::write(path(&cfg), text).unwrap();
        assert!(read(&cfg, 0).unwrap_err().contains("line 2"));
        let _ = fs::remove_dir_all(cfg.parent().unwrap());
    }

    #[test]
    fn rotation_keeps_the_sequence_across_both_files() {
        let cfg = scratch("rotate");
        let mut j = Journal::open(&cfg).unwrap();
        j.append(&rec(1)).unwrap();
        j.append(&rec(2)).unwrap();
        j.rotate(&cfg).unwrap();
        assert!(j.rotate(&cfg).is_err(), "one compaction at a time");
        j.append(&rec(3)).unwrap();
        let seqs: Vec<u64> = read(&cfg, 0).unwrap().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        fs::write(path(&cfg), rec(5).encode()).unwrap();
        assert!(read(&cfg, 0).unwrap_err().contains("record 3 was due"));
        let _ = fs::remove_dir_all(cfg.parent().unwrap());
    }
}

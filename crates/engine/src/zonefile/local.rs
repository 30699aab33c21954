//! The local files in the app's `lookups/` folder: found, checked (a
//! regular file of at most [`MAX_FILE_BYTES`]), read leniently and merged.

use std::io::Read;
use std::path::Path;

use dynamicdns_zonetable::{TableBuilder, ZoneTable};

use super::{
    load_at, Date, FileKind, Problems, ZoneFileError, ALLOWLIST_FILE, LOCAL_FILE, MAX_FILE_BYTES,
    OLD_ALLOWLIST_FILE, OLD_LOCAL_FILE,
};
use crate::zoneset::{Allowlist, ZoneSet};

/// One local file found, and how many rows loaded from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundFile {
    /// The file's name in the lookups folder.
    pub name: String,
    /// Rows loaded (zones, or allowlist entries of every kind).
    pub rows: usize,
}

/// The local files found in a lookups folder, read leniently.
#[derive(Debug, Default)]
pub struct LocalFiles {
    /// Local additions, if a local zones file exists.
    pub zones: Option<ZoneTable>,
    /// The allowlist, if the file exists.
    pub allow: Option<Allowlist>,
    /// The files read, with their row counts.
    pub found: Vec<FoundFile>,
    /// Problems found (bad rows skipped, unreadable files, an old file
    /// name), for the user.
    pub problems: Vec<ZoneFileError>,
}

impl LocalFiles {
    /// Reads the local zones ([`LOCAL_FILE`], and [`OLD_LOCAL_FILE`] with a
    /// warning) and the allowlist ([`ALLOWLIST_FILE`], and
    /// [`OLD_ALLOWLIST_FILE`] with a warning) from `dir` when present, as of
    /// today. Where a new and an old file both name a zone, the new file's
    /// row wins.
    pub fn read(dir: &Path) -> LocalFiles {
        LocalFiles::read_at(dir, Date::today())
    }

    /// As [`read`](Self::read), with `today` for the allowlist's `expires`.
    pub fn read_at(dir: &Path, today: Date) -> LocalFiles {
        let mut out = LocalFiles::default();
        let mut zones = TableBuilderRows::default();
        let mut allow = TableBuilderRows::default();
        let mut allow_names = Allowlist::default();
        for (name, kind, new) in [
            (LOCAL_FILE, FileKind::Zones, None),
            (OLD_LOCAL_FILE, FileKind::Zones, Some(LOCAL_FILE)),
            (ALLOWLIST_FILE, FileKind::Allowlist, None),
            (OLD_ALLOWLIST_FILE, FileKind::Allowlist, Some(ALLOWLIST_FILE)),
        ] {
            let bytes = match read_local(&dir.join(name), name) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(e) => {
                    out.problems.push(e);
                    continue;
                }
            };
            if let Some(new) = new {
                out.problems
                    .push(ZoneFileError::OldName { old: name.to_string(), new: new.to_string() });
            }
            let loaded = load_at(&bytes[..], name, kind, today);
            out.problems.extend(loaded.problems);
            match kind {
                FileKind::Zones => {
                    out.found.push(FoundFile { name: name.to_string(), rows: loaded.table.len() });
                    zones.tables.push((name, loaded.table));
                }
                FileKind::Allowlist => {
                    let rows =
                        loaded.table.len() + loaded.providers.len() + loaded.categories.len();
                    out.found.push(FoundFile { name: name.to_string(), rows });
                    allow.tables.push((name, loaded.table));
                    allow_names.providers.extend(loaded.providers);
                    allow_names.categories.extend(loaded.categories);
                    out.allow = Some(Allowlist::default());
                }
            }
        }
        out.zones = zones.merge(&mut out.problems);
        if out.allow.is_some() {
            allow_names.names = allow.merge(&mut out.problems);
            out.allow = Some(allow_names);
        }
        out
    }

    /// Applies the files to `set`.
    pub fn apply(self, mut set: ZoneSet) -> ZoneSet {
        if let Some(t) = self.zones {
            set = set.with_local(t);
        }
        if let Some(a) = self.allow {
            set = set.with_allowlist(a);
        }
        set
    }
}

/// A local file's bytes; `Ok(None)` when there is no such file. What is
/// not a regular file, or is larger than [`MAX_FILE_BYTES`], is refused:
/// checked before opening (so a FIFO is never opened for a blocking read)
/// and again on the file opened (the path may have changed in between;
/// on Unix it is opened non-blocking, so even then nothing waits).
fn read_local(path: &Path, name: &str) -> Result<Option<Vec<u8>>, ZoneFileError> {
    let io = |source| ZoneFileError::Io { file: name.to_string(), source };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
        Ok(m) => check_local(&m, name)?,
    }
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    let file = open.open(path).map_err(io)?;
    check_local(&file.metadata().map_err(io)?, name)?;
    let mut bytes = Vec::new();
    // A file that grew since: read one byte past the cap to notice.
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64, name));
    }
    Ok(Some(bytes))
}

/// Refuses what is not a regular file or is larger than [`MAX_FILE_BYTES`].
fn check_local(m: &std::fs::Metadata, name: &str) -> Result<(), ZoneFileError> {
    if !m.is_file() {
        let t = m.file_type();
        #[cfg(unix)]
        let special = {
            use std::os::unix::fs::FileTypeExt;
            if t.is_fifo() {
                Some("a FIFO")
            } else if t.is_char_device() || t.is_block_device() {
                Some("a device")
            } else if t.is_socket() {
                Some("a socket")
            } else {
                None
            }
        };
        #[cfg(not(unix))]
        let special = None;
        let reason = match if t.is_dir() { Some("a directory") } else { special } {
            Some(what) => format!("{what}, not a regular file"),
            None => "not a regular file".to_string(),
        };
        return Err(ZoneFileError::Refused { file: name.to_string(), reason });
    }
    match m.len() > MAX_FILE_BYTES {
        true => Err(too_large(m.len(), name)),
        false => Ok(()),
    }
}

fn too_large(len: u64, name: &str) -> ZoneFileError {
    let reason =
        format!("{len} bytes, more than the {} MiB a local file may have", MAX_FILE_BYTES >> 20);
    ZoneFileError::Refused { file: name.to_string(), reason }
}

/// The local zone tables read (the new file's, then the old one's), each
/// with its file's name.
#[derive(Default)]
struct TableBuilderRows {
    tables: Vec<(&'static str, ZoneTable)>,
}

impl TableBuilderRows {
    /// One table of every zone; where both files name a zone, the new
    /// file's row wins. The new file's rows go in first, so they all fit
    /// (they did alone); an old file's row the merged table has no room
    /// for (the files together bring more distinct names than a table
    /// holds) is a problem of its file.
    fn merge(mut self, out: &mut Vec<ZoneFileError>) -> Option<ZoneTable> {
        match self.tables.len() {
            0 => None,
            1 => self.tables.pop().map(|(_, t)| t),
            _ => {
                let mut b = TableBuilder::new();
                for (i, (file, t)) in self.tables.iter().enumerate() {
                    let mut problems = Problems::new(file);
                    for e in t.entries() {
                        let zone = t.zone_name(e);
                        if self.tables[..i]
                            .iter()
                            .any(|(_, newer)| newer.get(zone.as_bytes()).is_some())
                        {
                            continue;
                        }
                        if let Err(reason) = b.add(zone, t.info(e)) {
                            problems.push(ZoneFileError::LeftOut {
                                file: file.to_string(),
                                zone: zone.to_string(),
                                reason: reason.to_string(),
                            });
                        }
                    }
                    out.extend(problems.finish());
                }
                Some(b.build())
            }
        }
    }
}

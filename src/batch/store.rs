//! The batch journal in the memory directory: what was planned, uploaded, created and
//! collected, written ahead of every step so that a kill at any moment is recoverable.
//!
//! `DIR/batches/journal.jsonl` is append-only; every event is one JSON line followed by an
//! fsync. Replaying it gives each batch's state ([`Record`]). Beside it, per batch:
//! `ID.jsonl` (the request lines, kept until the batch is collected) and `ID.map.jsonl`
//! (which segments and memory keys each `custom_id` answers). A kill while an event is written
//! leaves a torn last line, which replay ignores; any other unreadable line is an error that
//! names the file and line.

use super::BatchError;
use crate::cache::CacheKey;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// The folder inside the memory directory.
pub const DIR: &str = "batches";
const JOURNAL: &str = "journal.jsonl";

/// One event of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Event {
    /// The request file and map are on disk (synced); nothing is sent yet.
    Planned {
        intent: String,
        backend: String,
        endpoint: String,
        model: String,
        requests: usize,
        segments: usize,
        bytes: u64,
        /// Written for an offline runner (`bitext batch requests`), never uploaded.
        #[serde(default)]
        offline: bool,
        at: String,
    },
    Uploaded {
        intent: String,
        file_id: String,
    },
    Created {
        intent: String,
        batch_id: String,
    },
    Status {
        intent: String,
        status: String,
        total: u64,
        completed: u64,
        failed: u64,
    },
    /// The answers are in the memory; the batch's lines that were not answered are misses
    /// again.
    Collected {
        intent: String,
        status: String,
        stored: usize,
        failed: usize,
        #[serde(default)]
        note: Option<String>,
    },
}

/// A batch's state, replayed from the journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Local id (`bt-…`), also the file names and the batch's `metadata.bitext_intent`.
    pub intent: String,
    pub backend: String,
    pub endpoint: String,
    pub model: String,
    pub requests: usize,
    pub segments: usize,
    pub bytes: u64,
    pub offline: bool,
    pub planned_at: String,
    pub file_id: Option<String>,
    pub batch_id: Option<String>,
    /// The last status seen (`planned`, `uploaded`, or the server's).
    pub status: String,
    pub total: u64,
    pub completed: u64,
    pub failed: u64,
    pub collected: bool,
    pub note: Option<String>,
}

impl Record {
    /// Not collected yet: its segments must not be requested again.
    pub fn is_open(&self) -> bool {
        !self.collected
    }

    /// Whether this batch was made for the backend at `endpoint` with `model`.
    pub fn is_for(&self, endpoint: &str, model: &str) -> bool {
        self.endpoint == endpoint && self.model == model
    }
}

/// One line of a map file: a request and the segments it answers, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapLine {
    #[serde(rename = "c")]
    pub custom_id: String,
    /// `[segment id, memory key (hex), characters]`.
    #[serde(rename = "s")]
    pub segments: Vec<(String, String, usize)>,
}

impl MapLine {
    /// The memory keys of the segments.
    pub fn keys(&self) -> impl Iterator<Item = CacheKey> + '_ {
        self.segments
            .iter()
            .filter_map(|(_, hex, _)| parse_key(hex))
    }
}

/// A key written by [`CacheKey::hex`].
pub fn parse_key(hex: &str) -> Option<CacheKey> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(CacheKey(out))
}

/// The journal and the files beside it.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    records: Vec<Record>,
    index: HashMap<String, usize>,
}

impl Store {
    /// Opens (creating) `MEMORY_DIR/batches` and replays its journal.
    pub fn open(memory_dir: &Path) -> Result<Store, BatchError> {
        let dir = memory_dir.join(DIR);
        std::fs::create_dir_all(&dir).map_err(|e| BatchError::io(&dir, e))?;
        let mut store = Store {
            dir,
            records: Vec::new(),
            index: HashMap::new(),
        };
        let path = store.journal_path();
        let text = match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(store),
            Err(e) => return Err(BatchError::io(&path, e)),
        };
        let mut offset = 0;
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for (n, line) in lines.iter().enumerate() {
            let start = offset;
            offset += line.len();
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Event>(line) {
                Ok(event) => store.apply(event),
                // A kill while the last event was written: that step did not happen. The torn
                // line is cut off so the next event starts clean.
                Err(_) if n + 1 == lines.len() => {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|e| BatchError::io(&path, e))?;
                    file.set_len(start as u64)
                        .and_then(|()| file.sync_all())
                        .map_err(|e| BatchError::io(&path, e))?;
                }
                Err(e) => {
                    return Err(BatchError::Journal {
                        path: path.display().to_string(),
                        line: n + 1,
                        detail: e.to_string(),
                    });
                }
            }
        }
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn journal_path(&self) -> PathBuf {
        self.dir.join(JOURNAL)
    }

    /// The request file of a batch.
    pub fn requests_path(&self, intent: &str) -> PathBuf {
        self.dir.join(format!("{intent}.jsonl"))
    }

    /// The map file of a batch.
    pub fn map_path(&self, intent: &str) -> PathBuf {
        self.dir.join(format!("{intent}.map.jsonl"))
    }

    /// Every batch, in the order planned.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    pub fn record(&self, intent: &str) -> Option<&Record> {
        self.index.get(intent).map(|&i| &self.records[i])
    }

    /// The record whose intent or server batch id is `id`.
    pub fn find(&self, id: &str) -> Option<&Record> {
        self.record(id).or_else(|| {
            self.records
                .iter()
                .find(|r| r.batch_id.as_deref() == Some(id))
        })
    }

    /// Appends an event durably, then applies it.
    pub fn append(&mut self, event: Event) -> Result<(), BatchError> {
        let path = self.journal_path();
        let fresh = !path.exists();
        let mut line = serde_json::to_string(&event).expect("an event always serialises");
        line.push('\n');
        // A torn line of an earlier kill was cut off when the journal was opened.
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| BatchError::io(&path, e))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| BatchError::io(&path, e))?;
        if fresh {
            sync_dir(&self.dir);
        }
        self.apply(event);
        Ok(())
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Planned {
                intent,
                backend,
                endpoint,
                model,
                requests,
                segments,
                bytes,
                offline,
                at,
            } => {
                let record = Record {
                    intent: intent.clone(),
                    backend,
                    endpoint,
                    model,
                    requests,
                    segments,
                    bytes,
                    offline,
                    planned_at: at,
                    file_id: None,
                    batch_id: None,
                    status: if offline { "offline" } else { "planned" }.into(),
                    total: requests as u64,
                    completed: 0,
                    failed: 0,
                    collected: false,
                    note: None,
                };
                match self.index.get(&intent) {
                    Some(&i) => self.records[i] = record,
                    None => {
                        self.index.insert(intent, self.records.len());
                        self.records.push(record);
                    }
                }
            }
            Event::Uploaded { intent, file_id } => {
                if let Some(r) = self.get_mut(&intent) {
                    r.file_id = Some(file_id);
                    r.status = "uploaded".into();
                }
            }
            Event::Created { intent, batch_id } => {
                if let Some(r) = self.get_mut(&intent) {
                    r.batch_id = Some(batch_id);
                    r.status = "validating".into();
                }
            }
            Event::Status {
                intent,
                status,
                total,
                completed,
                failed,
            } => {
                if let Some(r) = self.get_mut(&intent) {
                    r.status = status;
                    r.total = total;
                    r.completed = completed;
                    r.failed = failed;
                }
            }
            Event::Collected {
                intent,
                status,
                stored,
                failed,
                note,
            } => {
                if let Some(r) = self.get_mut(&intent) {
                    r.status = status;
                    r.collected = true;
                    r.completed = stored as u64;
                    r.failed = failed as u64;
                    r.note = note;
                }
            }
        }
    }

    fn get_mut(&mut self, intent: &str) -> Option<&mut Record> {
        self.index.get(intent).map(|&i| &mut self.records[i])
    }

    /// Reads a batch's map file.
    pub fn read_map(&self, intent: &str) -> Result<Vec<MapLine>, BatchError> {
        let path = self.map_path(intent);
        let file = std::fs::File::open(&path).map_err(|e| BatchError::io(&path, e))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| BatchError::io(&path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(
                serde_json::from_str(&line).map_err(|e| BatchError::Journal {
                    path: path.display().to_string(),
                    line: n + 1,
                    detail: e.to_string(),
                })?,
            );
        }
        Ok(out)
    }

    /// Removes the request file of a collected batch (the map stays: it says which segments
    /// were already tried in a batch).
    pub fn drop_requests(&self, intent: &str) {
        let _ = std::fs::remove_file(self.requests_path(intent));
    }
}

/// Makes a new directory entry durable (best effort; not every platform can open a folder).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(intent: &str) -> Event {
        Event::Planned {
            intent: intent.into(),
            backend: "openai".into(),
            endpoint: "http://x/v1".into(),
            model: "m".into(),
            requests: 3,
            segments: 9,
            bytes: 100,
            offline: false,
            at: "now".into(),
        }
    }

    #[test]
    fn replays_events_and_ignores_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.append(planned("bt-1")).unwrap();
        store
            .append(Event::Uploaded {
                intent: "bt-1".into(),
                file_id: "file-1".into(),
            })
            .unwrap();
        // A kill in the middle of the next event.
        let journal = dir.path().join(DIR).join(JOURNAL);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap();
        f.write_all(br#"{"op":"created","intent":"bt-1","bat"#)
            .unwrap();
        drop(f);
        let mut store = Store::open(dir.path()).unwrap();
        let r = store.record("bt-1").unwrap();
        assert_eq!(
            (r.file_id.as_deref(), r.batch_id.as_deref()),
            (Some("file-1"), None)
        );
        // The next event starts on its own line and replays.
        store
            .append(Event::Created {
                intent: "bt-1".into(),
                batch_id: "batch_1".into(),
            })
            .unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.find("batch_1").unwrap().batch_id.as_deref(),
            Some("batch_1")
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(DIR)).unwrap();
        let good = serde_json::to_string(&planned("bt-1")).unwrap();
        std::fs::write(
            dir.path().join(DIR).join(JOURNAL),
            format!("{good}\nnot json\n{good}\n"),
        )
        .unwrap();
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("journal.jsonl:2"), "{err}");
    }

    #[test]
    fn keys_round_trip_through_hex() {
        let key = CacheKey([7; 32]);
        assert_eq!(parse_key(&key.hex()), Some(key));
        assert_eq!(parse_key("zz"), None);
    }
}

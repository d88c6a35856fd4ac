//! The translation memory (`bitext tm`, formerly `bitext cache`): the cache stage of the
//! pipeline and the store that learns from human edits.
//!
//! The store is a single [redb](https://docs.rs/redb) file, `cache.redb`, in the memory
//! directory (`$XDG_CACHE_HOME/bitext` by default, see [`default_dir`]). It holds two kinds of
//! entry:
//! - **machine** entries ([`Entry`], table `translations`): one backend's answer for one
//!   segment, keyed ([`CacheKey`]) by everything that changes a machine result: backend kind,
//!   endpoint, model, protocol version, languages, source text and the glossary terms applied.
//! - **pair** entries ([`PairEntry`], table `pairs`): translations imported from bilingual
//!   files (`bitext tm import`), keyed ([`PairKey`]) by language pair and normalised source
//!   text only. A **human** pair entry wins over any machine entry for every backend and model;
//!   an imported machine pair is used when this backend has no entry of its own.
//!
//! **Sharing.** The file is opened per transaction and closed right after, so several bitext
//! processes share one memory: reads take redb's shared read-only open (no disk sync), writes an
//! exclusive open. A process that finds the file held by another waits (polling, up to
//! [`Cache::wait`], two minutes by default) instead of failing. Every write is one durable,
//! atomic commit: after [`Cache::put_many`] or [`Cache::import`] returns, a `kill -9` cannot lose
//! the entries, and a kill during the commit leaves the previous state (the next open repairs
//! the file). Nothing is opened for writing, and nothing synced, when there is nothing to write.

pub mod fuzzy;

use crate::backend::{BackendInfo, Usage};
use crate::model::TermPair;
use redb::{
    Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable,
    ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use fuzzy::{FuzzyEntry, FuzzyIndex, FuzzyMatch};

/// File name of the store inside the memory directory.
pub const FILE_NAME: &str = "cache.redb";

/// Version of the machine key derivation and value encoding; bump to invalidate every entry.
const SCHEMA: &str = "bitext-cache/1";

/// Version of the pair key derivation.
const PAIR_SCHEMA: &str = "bitext-tm-pair/1";

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("translations");

/// Imported (human or machine) translations keyed by language pair and normalised source.
const PAIRS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pairs");

/// Small facts learned about backends that later runs reuse, e.g. whether an
/// OpenAI-compatible server honours `response_format` (so the probe is made once, ever).
const NOTES: TableDefinition<&str, &str> = TableDefinition::new("notes");

/// How long an operation waits for a memory held by another process by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(120);

/// Errors of the translation memory. Messages name the store file.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: cannot create the memory directory: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}: the translation memory is in use by another bitext process (waited {waited_secs} s)"
    )]
    Busy { path: String, waited_secs: u64 },
    #[error("{path}: translation memory store error: {detail}")]
    Store { path: String, detail: String },
    #[error("{path}: corrupt translation memory entry: {detail}")]
    Corrupt { path: String, detail: String },
}

/// The user's memory directory for bitext: `$XDG_CACHE_HOME/bitext` (or the platform's cache
/// directory), `None` when the platform has none.
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("bitext"))
}

/// The normalisation under which two sources are the same sentence for the memory: surrounding
/// white space dropped and every run of inner white space (ASCII or ideographic) one space.
/// The pipeline sends segments exactly as split; this only decides what counts as "the same".
pub fn normalize_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The part of a language tag that decides a pair key: the primary subtag, lower case, with
/// traditional Chinese (`zh-Hant`, `zh-TW`, `zh-HK`, `zh-MO`) kept apart from simplified.
/// `zh-CN`, `ZH-cn` and `zh` are one language; `en-US`, `en-GB` and `en` are one language.
pub fn language_key(tag: &str) -> String {
    let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = lower.split('-');
    let primary = parts.next().unwrap_or("").to_string();
    if primary == "zh" && parts.any(|p| matches!(p, "hant" | "tw" | "hk" | "mo")) {
        return "zh-hant".into();
    }
    primary
}

fn hash_fields(fields: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for bytes in fields {
        // Length-prefixed so that no two field lists hash alike.
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().into()
}

/// A machine key: SHA-256 over the fields that determine a segment's translation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheKey(pub [u8; 32]);

impl CacheKey {
    /// Derives the key of `source` translated by `backend` from `source_lang` to
    /// `target_lang` with `terms` applied. Term order does not matter.
    pub fn new(
        backend: &BackendInfo,
        source_lang: &str,
        target_lang: &str,
        source: &str,
        terms: &[TermPair],
    ) -> CacheKey {
        let mut sorted: Vec<&TermPair> = terms.iter().collect();
        sorted.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
        sorted.dedup();
        let count = (sorted.len() as u64).to_le_bytes();
        let version = backend.protocol_version.to_le_bytes();
        let mut fields: Vec<&[u8]> = vec![
            SCHEMA.as_bytes(),
            backend.kind.as_bytes(),
            backend.endpoint.as_deref().unwrap_or("").as_bytes(),
            backend.model.as_deref().unwrap_or("").as_bytes(),
            &version,
            source_lang.as_bytes(),
            target_lang.as_bytes(),
            source.as_bytes(),
            &count,
        ];
        for term in sorted {
            fields.push(term.source.as_bytes());
            fields.push(term.target.as_bytes());
        }
        CacheKey(hash_fields(&fields))
    }

    /// The key as 64 lower-case hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A pair key: SHA-256 over the language pair ([`language_key`]) and the normalised source
/// ([`normalize_source`]), nothing about a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PairKey(pub [u8; 32]);

impl PairKey {
    pub fn new(source_lang: &str, target_lang: &str, source: &str) -> PairKey {
        PairKey(hash_fields(&[
            PAIR_SCHEMA.as_bytes(),
            language_key(source_lang).as_bytes(),
            language_key(target_lang).as_bytes(),
            normalize_source(source).as_bytes(),
        ]))
    }
}

/// A machine translation of one segment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub target: String,
    /// This segment's share of the tokens its request consumed.
    #[serde(default)]
    pub usage: Usage,
    /// Whether the answer was checked against its glossary terms: clean, or its one repair
    /// request already made. A checked answer is never re-requested (what it still misses is
    /// flagged).
    #[serde(default)]
    pub checked: bool,
    /// The source text and what made the answer, for `tm export`, `tm stats` and fuzzy
    /// matches. Empty in entries written before the memory kept them (those are still hits).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_lang: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_lang: String,
    /// Backend name (as configured) and model.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub backend: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// RFC 3339 time of the answer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub time: String,
}

/// Who made an imported pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PairOrigin {
    Human,
    Machine,
}

impl PairOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            PairOrigin::Human => "human",
            PairOrigin::Machine => "machine",
        }
    }

    pub fn parse(name: &str) -> Option<PairOrigin> {
        match name {
            "human" => Some(PairOrigin::Human),
            "machine" => Some(PairOrigin::Machine),
            _ => None,
        }
    }
}

/// An imported translation: language pair, source, target and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairEntry {
    pub origin: PairOrigin,
    pub source_lang: String,
    pub target_lang: String,
    pub source: String,
    pub target: String,
    /// RFC 3339 time of the import (or of the pair, when the file says).
    #[serde(default)]
    pub time: String,
    /// The file it was imported from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PairEntry {
    pub fn key(&self) -> PairKey {
        PairKey::new(&self.source_lang, &self.target_lang, &self.source)
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Sources the memory did not have.
    pub added: usize,
    /// Sources whose target (or origin) changed.
    pub updated: usize,
    /// Pairs already stored as they are (or machine pairs a human entry outranks).
    pub unchanged: usize,
}

/// Which entries an operation concerns (`--origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginFilter {
    All,
    Human,
    /// Backend answers and imported machine pairs.
    Machine,
}

impl OriginFilter {
    fn pairs(self, origin: PairOrigin) -> bool {
        match self {
            OriginFilter::All => true,
            OriginFilter::Human => origin == PairOrigin::Human,
            OriginFilter::Machine => origin == PairOrigin::Machine,
        }
    }

    fn machine(self) -> bool {
        self != OriginFilter::Human
    }
}

/// One entry as `tm export` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A backend's answer (only entries that kept their source).
    Machine(Entry),
    Pair(PairEntry),
}

/// What `bitext tm stats` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    pub path: PathBuf,
    /// Every entry: machine answers plus imported pairs.
    pub entries: u64,
    /// Backend answers.
    pub machine: u64,
    /// Imported human pairs.
    pub human: u64,
    /// Imported machine pairs.
    pub imported_machine: u64,
    /// Size of the store file in bytes.
    pub file_bytes: u64,
    /// Tokens the machine answers cost when they were first requested.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The translation memory (one redb file, opened per transaction). Cheap to clone; clones
/// share one in-process lock so that they queue instead of polling each other.
#[derive(Clone)]
pub struct Cache {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
    wait: Duration,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("path", &self.path).finish()
    }
}

/// A read-only table of byte keys and values.
type BytesTable = redb::ReadOnlyTable<&'static [u8], &'static [u8]>;

/// Delay between two attempts to open a memory held by another process.
const POLL: Duration = Duration::from_millis(25);

impl Cache {
    /// Opens the memory in directory `dir`, creating the directory if needed. The store file
    /// is created by the first write; an existing one is checked now (a read, no sync).
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let cache = Cache {
            path: dir.join(FILE_NAME),
            lock: Arc::new(Mutex::new(())),
            wait: DEFAULT_WAIT,
        };
        cache.read(|_| Ok(()))?;
        Ok(cache)
    }

    /// The same memory, waiting at most `wait` for another process to let go of it.
    pub fn with_wait(mut self, wait: Duration) -> Cache {
        self.wait = wait;
        self
    }

    /// How long an operation waits for another process.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn store(&self, err: impl std::fmt::Display) -> CacheError {
        CacheError::Store {
            path: self.path.display().to_string(),
            detail: one_line(&err),
        }
    }

    fn corrupt(&self, err: impl std::fmt::Display) -> CacheError {
        CacheError::Corrupt {
            path: self.path.display().to_string(),
            detail: one_line(&err),
        }
    }

    /// Retries `attempt` while the file is held by another process, up to `self.wait`.
    fn with_retry<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, redb::DatabaseError>,
    ) -> Result<T, CacheError> {
        let started = Instant::now();
        loop {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                    if started.elapsed() >= self.wait {
                        return Err(CacheError::Busy {
                            path: self.path.display().to_string(),
                            waited_secs: started.elapsed().as_secs(),
                        });
                    }
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(self.store(e)),
            }
        }
    }

    /// Runs `f` in a read transaction of a read-only open (`None` when the store file does not
    /// exist yet). A file left needing repair by a killed writer is repaired first.
    fn read<T>(
        &self,
        f: impl FnOnce(Option<&ReadTransaction>) -> Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if !self.path.exists() {
            return f(None);
        }
        let db = self.with_retry(|| match ReadOnlyDatabase::open(&self.path) {
            Err(redb::DatabaseError::RepairAborted) => {
                // Killed during a write: a writable open repairs the file (and syncs once).
                drop(Database::create(&self.path)?);
                ReadOnlyDatabase::open(&self.path)
            }
            other => other,
        })?;
        let txn = db.begin_read().map_err(|e| self.store(e))?;
        f(Some(&txn))
    }

    /// Runs `f` in one write transaction and commits it (durably) when `f` returns `Ok`.
    fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let db = self.with_retry(|| Database::create(&self.path))?;
        let txn = db.begin_write().map_err(|e| self.store(e))?;
        let value = f(&txn)?;
        txn.commit().map_err(|e| self.store(e))?;
        Ok(value)
    }

    /// Looks one machine key up.
    pub fn get(&self, key: &CacheKey) -> Result<Option<Entry>, CacheError> {
        Ok(self.get_many(std::slice::from_ref(key))?.pop().flatten())
    }

    /// Looks several machine keys up in one read transaction; one answer per key, in order. A
    /// corrupt entry counts as a miss (it will be overwritten).
    pub fn get_many(&self, keys: &[CacheKey]) -> Result<Vec<Option<Entry>>, CacheError> {
        let raw = self.get_raw(TABLE, keys.iter().map(|k| k.0))?;
        Ok(raw
            .into_iter()
            .map(|v| v.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
            .collect())
    }

    /// Looks imported pairs up by language pair and source; one answer per source, in order.
    pub fn pairs_many(
        &self,
        source_lang: &str,
        target_lang: &str,
        sources: &[&str],
    ) -> Result<Vec<Option<PairEntry>>, CacheError> {
        let keys = sources
            .iter()
            .map(|s| PairKey::new(source_lang, target_lang, s).0);
        let raw = self.get_raw(PAIRS, keys)?;
        Ok(raw
            .into_iter()
            .map(|v| v.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
            .collect())
    }

    fn get_raw(
        &self,
        table: TableDefinition<&[u8], &[u8]>,
        keys: impl Iterator<Item = [u8; 32]>,
    ) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        self.read(|txn| {
            let table = match txn.map(|t| t.open_table(table)) {
                Some(Ok(table)) => table,
                None | Some(Err(redb::TableError::TableDoesNotExist(_))) => {
                    return Ok(keys.map(|_| None).collect());
                }
                Some(Err(e)) => return Err(self.store(e)),
            };
            let mut out = Vec::new();
            for key in keys {
                let value = table.get(&key[..]).map_err(|e| self.store(e))?;
                out.push(value.map(|v| v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Stores machine entries in one durable commit: all of them or none. Nothing is opened
    /// for an empty list.
    pub fn put_many(&self, entries: &[(CacheKey, Entry)]) -> Result<(), CacheError> {
        if entries.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
            for (key, entry) in entries {
                let bytes = serde_json::to_vec(entry).expect("an entry always serialises");
                table
                    .insert(&key.0[..], &bytes[..])
                    .map_err(|e| self.store(e))?;
            }
            Ok(())
        })
    }

    /// Stores imported pairs in one durable commit: all of them or none. A pair whose source is
    /// already stored with the same target and origin is unchanged; a machine pair never
    /// replaces a human one. Later pairs of the list win over earlier ones with the same key.
    pub fn import(&self, pairs: &[PairEntry]) -> Result<ImportCounts, CacheError> {
        let mut counts = ImportCounts::default();
        if pairs.is_empty() {
            return Ok(counts);
        }
        // Decide first (a read), so that an import that changes nothing writes nothing.
        let keys: Vec<[u8; 32]> = pairs.iter().map(|p| p.key().0).collect();
        let stored = self.get_raw(PAIRS, keys.iter().copied())?;
        let mut current: std::collections::HashMap<[u8; 32], PairEntry> =
            std::collections::HashMap::new();
        for (key, bytes) in keys.iter().zip(stored) {
            if let Some(bytes) = bytes
                && let Ok(entry) = serde_json::from_slice::<PairEntry>(&bytes)
            {
                current.insert(*key, entry);
            }
        }
        let mut writes: Vec<([u8; 32], &PairEntry)> = Vec::new();
        for (key, pair) in keys.iter().zip(pairs) {
            match current.get(key) {
                None => counts.added += 1,
                Some(old)
                    if old.target == pair.target && old.origin == pair.origin
                        || old.origin == PairOrigin::Human
                            && pair.origin == PairOrigin::Machine =>
                {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => counts.updated += 1,
            }
            current.insert(*key, pair.clone());
            writes.push((*key, pair));
        }
        if writes.is_empty() {
            return Ok(counts);
        }
        self.write(|txn| {
            let mut table = txn.open_table(PAIRS).map_err(|e| self.store(e))?;
            for (key, pair) in &writes {
                let bytes = serde_json::to_vec(pair).expect("a pair always serialises");
                table
                    .insert(&key[..], &bytes[..])
                    .map_err(|e| self.store(e))?;
            }
            Ok(())
        })?;
        Ok(counts)
    }

    /// Every entry `filter` selects that knows its source: imported pairs first (in key
    /// order), then machine answers. Machine entries written before the memory kept sources
    /// are left out.
    pub fn records(&self, filter: OriginFilter) -> Result<Vec<Record>, CacheError> {
        self.read(|txn| {
            let Some(txn) = txn else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            if let Some(table) = self.table(txn, PAIRS)? {
                for row in table.iter().map_err(|e| self.store(e))? {
                    let (_, value) = row.map_err(|e| self.store(e))?;
                    let entry: PairEntry =
                        serde_json::from_slice(value.value()).map_err(|e| self.corrupt(e))?;
                    if filter.pairs(entry.origin) {
                        out.push(Record::Pair(entry));
                    }
                }
            }
            if filter.machine()
                && let Some(table) = self.table(txn, TABLE)?
            {
                for row in table.iter().map_err(|e| self.store(e))? {
                    let (_, value) = row.map_err(|e| self.store(e))?;
                    if let Ok(entry) = serde_json::from_slice::<Entry>(value.value())
                        && !entry.source.is_empty()
                    {
                        out.push(Record::Machine(entry));
                    }
                }
            }
            Ok(out)
        })
    }

    /// The fuzzy-match index over every entry of one language pair that knows its source
    /// (human pairs, imported machine pairs and machine answers).
    pub fn fuzzy_index(
        &self,
        source_lang: &str,
        target_lang: &str,
    ) -> Result<FuzzyIndex, CacheError> {
        let (from, to) = (language_key(source_lang), language_key(target_lang));
        let same = |s: &str, t: &str| language_key(s) == from && language_key(t) == to;
        let mut entries = Vec::new();
        for record in self.records(OriginFilter::All)? {
            match record {
                Record::Pair(p) if same(&p.source_lang, &p.target_lang) => {
                    entries.push(FuzzyEntry {
                        source: p.source,
                        target: p.target,
                        human: p.origin == PairOrigin::Human,
                    })
                }
                Record::Machine(e) if same(&e.source_lang, &e.target_lang) => {
                    entries.push(FuzzyEntry {
                        source: e.source,
                        target: e.target,
                        human: false,
                    })
                }
                _ => {}
            }
        }
        Ok(FuzzyIndex::new(entries))
    }

    fn table(
        &self,
        txn: &ReadTransaction,
        def: TableDefinition<'static, &'static [u8], &'static [u8]>,
    ) -> Result<Option<BytesTable>, CacheError> {
        match txn.open_table(def) {
            Ok(table) => Ok(Some(table)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(self.store(e)),
        }
    }

    /// The notes whose key starts with `prefix`, sorted by key.
    pub fn notes(&self, prefix: &str) -> Result<Vec<(String, String)>, CacheError> {
        self.read(|txn| {
            let Some(txn) = txn else {
                return Ok(Vec::new());
            };
            let table = match txn.open_table(NOTES) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(self.store(e)),
            };
            let mut out = Vec::new();
            for row in table.range(prefix..).map_err(|e| self.store(e))? {
                let (key, value) = row.map_err(|e| self.store(e))?;
                if !key.value().starts_with(prefix) {
                    break;
                }
                out.push((key.value().to_string(), value.value().to_string()));
            }
            Ok(out)
        })
    }

    /// Stores notes in one durable commit; unchanged notes are not rewritten (and nothing is
    /// opened for writing when every note is unchanged).
    pub fn put_notes(&self, notes: &[(String, String)]) -> Result<(), CacheError> {
        let known = self.notes("")?;
        let changed: Vec<&(String, String)> =
            notes.iter().filter(|note| !known.contains(note)).collect();
        if changed.is_empty() {
            return Ok(());
        }
        self.write(|txn| {
            let mut table = txn.open_table(NOTES).map_err(|e| self.store(e))?;
            for (key, value) in changed {
                table
                    .insert(key.as_str(), value.as_str())
                    .map_err(|e| self.store(e))?;
            }
            Ok(())
        })
    }

    /// Entries by origin, file size and the tokens the machine entries cost.
    pub fn stats(&self) -> Result<CacheStats, CacheError> {
        let mut stats = self.read(|txn| {
            let mut stats = CacheStats {
                path: self.path.clone(),
                entries: 0,
                machine: 0,
                human: 0,
                imported_machine: 0,
                file_bytes: 0,
                input_tokens: 0,
                output_tokens: 0,
            };
            let Some(txn) = txn else {
                return Ok(stats);
            };
            if let Some(table) = self.table(txn, TABLE)? {
                stats.machine = table.len().map_err(|e| self.store(e))?;
                for row in table.iter().map_err(|e| self.store(e))? {
                    let (_, value) = row.map_err(|e| self.store(e))?;
                    if let Ok(entry) = serde_json::from_slice::<Entry>(value.value()) {
                        stats.input_tokens += entry.usage.input_tokens;
                        stats.output_tokens += entry.usage.output_tokens;
                    }
                }
            }
            if let Some(table) = self.table(txn, PAIRS)? {
                for row in table.iter().map_err(|e| self.store(e))? {
                    let (_, value) = row.map_err(|e| self.store(e))?;
                    match serde_json::from_slice::<PairEntry>(value.value()) {
                        Ok(p) if p.origin == PairOrigin::Human => stats.human += 1,
                        _ => stats.imported_machine += 1,
                    }
                }
            }
            stats.entries = stats.machine + stats.human + stats.imported_machine;
            Ok(stats)
        })?;
        stats.file_bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        Ok(stats)
    }

    /// Removes the entries `filter` selects (everything, notes included, for
    /// [`OriginFilter::All`]); returns how many entries there were. The file is compacted.
    pub fn clear(&mut self, filter: OriginFilter) -> Result<u64, CacheError> {
        if !self.path.exists() {
            return Ok(0);
        }
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut db = self.with_retry(|| Database::create(&self.path))?;
        let txn = db.begin_write().map_err(|e| self.store(e))?;
        let mut removed = 0;
        if filter.machine() {
            let table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
            removed += table.len().map_err(|e| self.store(e))?;
            drop(table);
            txn.delete_table(TABLE).map_err(|e| self.store(e))?;
        }
        if filter == OriginFilter::All {
            let table = txn.open_table(PAIRS).map_err(|e| self.store(e))?;
            removed += table.len().map_err(|e| self.store(e))?;
            drop(table);
            txn.delete_table(PAIRS).map_err(|e| self.store(e))?;
            txn.delete_table(NOTES).map_err(|e| self.store(e))?;
        } else {
            let mut table = txn.open_table(PAIRS).map_err(|e| self.store(e))?;
            let mut doomed = Vec::new();
            for row in table.iter().map_err(|e| self.store(e))? {
                let (key, value) = row.map_err(|e| self.store(e))?;
                let origin = serde_json::from_slice::<PairEntry>(value.value())
                    .map_or(PairOrigin::Machine, |p| p.origin);
                if filter.pairs(origin) {
                    doomed.push(key.value().to_vec());
                }
            }
            for key in &doomed {
                table.remove(&key[..]).map_err(|e| self.store(e))?;
            }
            removed += doomed.len() as u64;
        }
        txn.commit().map_err(|e| self.store(e))?;
        // Give the space back; failure to compact is harmless.
        let _ = db.compact();
        Ok(removed)
    }
}

fn one_line(err: &impl std::fmt::Display) -> String {
    err.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests;

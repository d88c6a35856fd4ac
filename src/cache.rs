//! The translation memory: one segment's translation keyed by everything that changes it.
//!
//! The store is a single [redb](https://docs.rs/redb) file, `cache.redb`, in the cache
//! directory (`$XDG_CACHE_HOME/bitext` by default, see [`default_dir`]). Every write is one
//! durable, atomic commit: after [`Cache::put_many`] returns, a `kill -9` cannot lose the
//! entries, and a crash during the commit leaves the previous state. The cache is disposable:
//! `bitext cache clear` empties it.
//!
//! The key ([`CacheKey`]) is a SHA-256 over the backend kind, endpoint, model, protocol
//! version, source and target language, the source text and the glossary terms applied to the
//! segment; any change to one of them is a miss.

use crate::backend::{BackendInfo, Usage};
use crate::model::TermPair;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name of the store inside the cache directory.
pub const FILE_NAME: &str = "cache.redb";

/// Version of the key derivation and value encoding; bump to invalidate every entry.
const SCHEMA: &str = "bitext-cache/1";

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("translations");

/// Small facts learned about backends that later runs reuse, e.g. whether an
/// OpenAI-compatible server honours `response_format` (so the probe is made once, ever).
const NOTES: TableDefinition<&str, &str> = TableDefinition::new("notes");

/// Errors of the translation memory. Messages name the cache file.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: cannot create the cache directory: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the cache is in use by another bitext process")]
    Busy { path: String },
    #[error("{path}: cache store error: {detail}")]
    Store { path: String, detail: String },
    #[error("{path}: corrupt cache entry: {detail}")]
    Corrupt { path: String, detail: String },
}

/// The user's cache directory for bitext: `$XDG_CACHE_HOME/bitext` (or the platform's cache
/// directory), `None` when the platform has none.
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("bitext"))
}

/// A cache key: SHA-256 over the fields that determine a segment's translation.
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
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed so that no two field lists hash alike.
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(SCHEMA.as_bytes());
        field(backend.kind.as_bytes());
        field(backend.endpoint.as_deref().unwrap_or("").as_bytes());
        field(backend.model.as_deref().unwrap_or("").as_bytes());
        field(&backend.protocol_version.to_le_bytes());
        field(source_lang.as_bytes());
        field(target_lang.as_bytes());
        field(source.as_bytes());
        let mut sorted: Vec<&TermPair> = terms.iter().collect();
        sorted.sort_by(|a, b| (&a.source, &a.target).cmp(&(&b.source, &b.target)));
        sorted.dedup();
        field(&(sorted.len() as u64).to_le_bytes());
        for term in sorted {
            field(term.source.as_bytes());
            field(term.target.as_bytes());
        }
        CacheKey(hasher.finalize().into())
    }

    /// The key as 64 lower-case hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A cached translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// What `bitext cache stats` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    pub path: PathBuf,
    pub entries: u64,
    /// Size of the store file in bytes.
    pub file_bytes: u64,
    /// Tokens the cached answers cost when they were first requested.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The translation memory (one redb file). Shared between concurrent tasks by reference.
#[derive(Clone)]
pub struct Cache {
    db: Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("path", &self.path).finish()
    }
}

impl Cache {
    /// Opens (creating if needed) the cache in directory `dir`.
    pub fn open(dir: &Path) -> Result<Cache, CacheError> {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(FILE_NAME);
        let name = path.display().to_string();
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => CacheError::Busy { path: name.clone() },
            other => CacheError::Store {
                path: name.clone(),
                detail: one_line(&other),
            },
        })?;
        let cache = Cache {
            db: Arc::new(db),
            path,
        };
        // Create the table (once) so that readers always find it.
        let exists = cache
            .db
            .begin_read()
            .map_err(|e| cache.store(e))?
            .open_table(TABLE)
            .is_ok();
        if !exists {
            let txn = cache.db.begin_write().map_err(|e| cache.store(e))?;
            txn.open_table(TABLE).map_err(|e| cache.store(e))?;
            txn.commit().map_err(|e| cache.store(e))?;
        }
        Ok(cache)
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

    fn decode(&self, bytes: &[u8]) -> Result<Entry, CacheError> {
        serde_json::from_slice(bytes).map_err(|e| CacheError::Corrupt {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        })
    }

    /// Looks one key up.
    pub fn get(&self, key: &CacheKey) -> Result<Option<Entry>, CacheError> {
        Ok(self.get_many(std::slice::from_ref(key))?.pop().flatten())
    }

    /// Looks several keys up in one read transaction; one answer per key, in order. A corrupt
    /// entry counts as a miss (it will be overwritten).
    pub fn get_many(&self, keys: &[CacheKey]) -> Result<Vec<Option<Entry>>, CacheError> {
        let txn = self.db.begin_read().map_err(|e| self.store(e))?;
        let table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let value = table.get(&key.0[..]).map_err(|e| self.store(e))?;
            out.push(value.and_then(|v| self.decode(v.value()).ok()));
        }
        Ok(out)
    }

    /// Stores entries in one durable commit: all of them or none.
    pub fn put_many(&self, entries: &[(CacheKey, Entry)]) -> Result<(), CacheError> {
        if entries.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.store(e))?;
        {
            let mut table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
            for (key, entry) in entries {
                let bytes = serde_json::to_vec(entry).expect("an entry always serialises");
                table
                    .insert(&key.0[..], &bytes[..])
                    .map_err(|e| self.store(e))?;
            }
        }
        txn.commit().map_err(|e| self.store(e))?;
        Ok(())
    }

    /// The notes whose key starts with `prefix`, sorted by key.
    pub fn notes(&self, prefix: &str) -> Result<Vec<(String, String)>, CacheError> {
        let txn = self.db.begin_read().map_err(|e| self.store(e))?;
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
    }

    /// Stores notes in one durable commit; unchanged notes are not rewritten.
    pub fn put_notes(&self, notes: &[(String, String)]) -> Result<(), CacheError> {
        let known = self.notes("")?;
        let changed: Vec<&(String, String)> =
            notes.iter().filter(|note| !known.contains(note)).collect();
        if changed.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(|e| self.store(e))?;
        {
            let mut table = txn.open_table(NOTES).map_err(|e| self.store(e))?;
            for (key, value) in changed {
                table
                    .insert(key.as_str(), value.as_str())
                    .map_err(|e| self.store(e))?;
            }
        }
        txn.commit().map_err(|e| self.store(e))?;
        Ok(())
    }

    /// Number of entries, file size and the tokens the entries cost.
    pub fn stats(&self) -> Result<CacheStats, CacheError> {
        let txn = self.db.begin_read().map_err(|e| self.store(e))?;
        let table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
        let entries = table.len().map_err(|e| self.store(e))?;
        let (mut input_tokens, mut output_tokens) = (0, 0);
        for row in table.iter().map_err(|e| self.store(e))? {
            let (_, value) = row.map_err(|e| self.store(e))?;
            if let Ok(entry) = self.decode(value.value()) {
                input_tokens += entry.usage.input_tokens;
                output_tokens += entry.usage.output_tokens;
            }
        }
        let file_bytes = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        Ok(CacheStats {
            path: self.path.clone(),
            entries,
            file_bytes,
            input_tokens,
            output_tokens,
        })
    }

    /// Removes every entry; returns how many there were.
    pub fn clear(&mut self) -> Result<u64, CacheError> {
        let txn = self.db.begin_write().map_err(|e| self.store(e))?;
        let removed = {
            let table = txn.open_table(TABLE).map_err(|e| self.store(e))?;
            table.len().map_err(|e| self.store(e))?
        };
        txn.delete_table(TABLE).map_err(|e| self.store(e))?;
        txn.delete_table(NOTES).map_err(|e| self.store(e))?;
        txn.open_table(TABLE).map_err(|e| self.store(e))?;
        txn.commit().map_err(|e| self.store(e))?;
        // Give the space back when no clone shares the handle; failure to compact is harmless.
        if let Some(db) = Arc::get_mut(&mut self.db) {
            let _ = db.compact();
        }
        Ok(removed)
    }
}

fn one_line(err: &impl std::fmt::Display) -> String {
    err.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> BackendInfo {
        BackendInfo {
            name: "openai".into(),
            kind: "openai".into(),
            model: Some("gpt-4o-mini".into()),
            endpoint: Some("https://api.openai.com/v1".into()),
            max_items: 50,
            max_chars: 6000,
            native_terms: false,
            default_concurrency: 4,
            protocol_version: 1,
        }
    }

    fn term(s: &str, t: &str) -> TermPair {
        TermPair {
            source: s.into(),
            target: t.into(),
        }
    }

    #[test]
    fn key_changes_with_every_field_and_ignores_term_order() {
        let base = CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        );
        let swapped = CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江新区",
            &[term("c", "d"), term("a", "b")],
        );
        assert_eq!(base, swapped);
        let mut variants = Vec::new();
        let mut i = info();
        i.model = Some("gpt-4o".into());
        variants.push(CacheKey::new(
            &i,
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        ));
        let mut i = info();
        i.endpoint = Some("http://127.0.0.1:1/v1".into());
        variants.push(CacheKey::new(
            &i,
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        ));
        let mut i = info();
        i.protocol_version = 2;
        variants.push(CacheKey::new(
            &i,
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        ));
        let mut i = info();
        i.kind = "deepl".into();
        variants.push(CacheKey::new(
            &i,
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        ));
        variants.push(CacheKey::new(
            &info(),
            "zh-CN",
            "de",
            "两江新区",
            &[term("a", "b"), term("c", "d")],
        ));
        variants.push(CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江",
            &[term("a", "b"), term("c", "d")],
        ));
        variants.push(CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "b")],
        ));
        variants.push(CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江新区",
            &[term("a", "B"), term("c", "d")],
        ));
        // Field boundaries matter: "ab"+"c" differs from "a"+"bc".
        variants.push(CacheKey::new(
            &info(),
            "zh-CN",
            "en",
            "两江新区",
            &[term("ab", ""), term("c", "d")],
        ));
        for (n, v) in variants.iter().enumerate() {
            assert_ne!(*v, base, "variant {n}");
        }
        assert_eq!(base.hex().len(), 64);
    }

    #[test]
    fn entries_persist_across_reopen_and_clear_empties() {
        let dir = tempfile::tempdir().unwrap();
        let k1 = CacheKey::new(&info(), "zh-CN", "en", "一", &[]);
        let k2 = CacheKey::new(&info(), "zh-CN", "en", "二", &[]);
        let entry = |t: &str| Entry {
            target: t.into(),
            usage: Usage {
                input_tokens: 10,
                output_tokens: 4,
            },
            checked: false,
        };
        {
            let cache = Cache::open(dir.path()).unwrap();
            assert_eq!(cache.get(&k1).unwrap(), None);
            cache
                .put_many(&[(k1, entry("one")), (k2, entry("two"))])
                .unwrap();
        }
        let mut cache = Cache::open(dir.path()).unwrap();
        let got = cache.get_many(&[k2, k1]).unwrap();
        assert_eq!(got[0].as_ref().unwrap().target, "two");
        assert_eq!(got[1].as_ref().unwrap().target, "one");
        let stats = cache.stats().unwrap();
        assert_eq!(
            (stats.entries, stats.input_tokens, stats.output_tokens),
            (2, 20, 8)
        );
        assert!(stats.file_bytes > 0);
        assert_eq!(cache.clear().unwrap(), 2);
        assert_eq!(cache.get(&k1).unwrap(), None);
        assert_eq!(cache.stats().unwrap().entries, 0);
    }
}

#[cfg(test)]
mod notes_tests {
    use super::*;

    #[test]
    fn notes_persist_across_opens_and_filter_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        assert!(cache.notes("probe:").unwrap().is_empty());
        let notes = vec![
            (
                "probe:http://a/v1\tm".to_string(),
                "json_object".to_string(),
            ),
            ("other:x".to_string(), "y".to_string()),
        ];
        cache.put_notes(&notes).unwrap();
        drop(cache);
        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(
            cache.notes("probe:").unwrap(),
            vec![(
                "probe:http://a/v1\tm".to_string(),
                "json_object".to_string()
            )]
        );
        cache
            .put_notes(&[("probe:http://a/v1\tm".into(), "none".into())])
            .unwrap();
        assert_eq!(cache.notes("probe:").unwrap()[0].1, "none");
        let mut cache = cache;
        cache.clear().unwrap();
        assert!(
            cache.notes("").unwrap().is_empty(),
            "clear forgets the notes too"
        );
    }
}

//! DeepL API v2: `POST /v2/translate` with a `text` array (at most 50 texts and under 128 KiB
//! per request), `source_lang=ZH`, `target_lang` `EN-US` or `EN-GB`, and a DeepL glossary built
//! from the bitext glossary.
//!
//! Glossaries: the entries (source → target, TSV) are hashed; the glossary is named
//! `bitext-<hash>`. Before creating one, the client lists `GET /v2/glossaries` and reuses a
//! glossary of that name, so a run never creates a duplicate; the id is then kept in memory.
//! That look-up (and the creation, once) are the only requests besides one per batch.

use super::http::{self, ApiKey, Failure};
use super::{Backend, BackendError, BackendInfo, Batch, Output, TermPair, Translation, Usage};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// DeepL's limit of texts per request.
pub const MAX_TEXTS: usize = 50;
/// DeepL's limit of the request body (128 KiB); the client stays below it.
pub const MAX_REQUEST_BYTES: usize = 128 * 1024;
/// The API host for paid keys.
pub const PRO_URL: &str = "https://api.deepl.com";
/// The API host for free keys (ending in `:fx`).
pub const FREE_URL: &str = "https://api-free.deepl.com";

/// Settings of the DeepL client. `Debug` redacts the key.
#[derive(Clone)]
pub struct DeeplSettings {
    pub name: String,
    /// Server URL (`DEEPL_SERVER_URL`); `None` picks the free or pro host from the key.
    pub base_url: Option<String>,
    pub api_key: Option<ApiKey>,
    /// Where the key comes from (`DEEPL_AUTH_KEY`).
    pub key_setting: String,
    /// `EN-US` or `EN-GB` (for English targets).
    pub target_variant: String,
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_items: usize,
    pub max_chars: usize,
    /// The whole bitext glossary, made into one DeepL glossary. When empty, the terms of each
    /// batch are used (one glossary per distinct term set, each still reused by hash).
    pub glossary: Vec<TermPair>,
}

impl DeeplSettings {
    pub fn new(api_key: Option<ApiKey>) -> DeeplSettings {
        DeeplSettings {
            name: "deepl".into(),
            base_url: None,
            api_key,
            key_setting: "DEEPL_AUTH_KEY".into(),
            target_variant: "EN-US".into(),
            timeout: Duration::from_secs(60),
            concurrency: 2,
            max_items: MAX_TEXTS,
            max_chars: 30_000,
            glossary: Vec::new(),
        }
    }
}

impl fmt::Debug for DeeplSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeeplSettings")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("key_setting", &self.key_setting)
            .field("target_variant", &self.target_variant)
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("max_items", &self.max_items)
            .field("max_chars", &self.max_chars)
            .field("glossary_terms", &self.glossary.len())
            .finish()
    }
}

/// The host a key belongs to: free keys end in `:fx`.
pub fn default_url(key: &ApiKey) -> &'static str {
    if key.expose().ends_with(":fx") {
        FREE_URL
    } else {
        PRO_URL
    }
}

/// Glossary entries in DeepL's TSV form (sorted by source, one entry per source; entries with
/// tabs, newlines or empty sides are left out since DeepL rejects them) and the glossary name
/// `bitext-<first 16 hex digits of the SHA-256 of the language pair and entries>`.
pub fn glossary_entries(terms: &[TermPair]) -> (String, String) {
    let mut entries: Vec<(&str, &str)> = Vec::new();
    for term in terms {
        let (s, t) = (term.source.trim(), term.target.trim());
        let bad = |x: &str| x.is_empty() || x.contains(['\t', '\n', '\r']);
        if bad(s) || bad(t) || entries.iter().any(|(es, _)| *es == s) {
            continue;
        }
        entries.push((s, t));
    }
    entries.sort();
    let mut tsv = String::new();
    for (s, t) in entries {
        tsv.push_str(s);
        tsv.push('\t');
        tsv.push_str(t);
        tsv.push('\n');
    }
    let mut hasher = Sha256::new();
    hasher.update(b"zh\ten\n");
    hasher.update(tsv.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    (tsv, format!("bitext-{hex}"))
}

/// The DeepL client.
pub struct DeeplBackend {
    settings: DeeplSettings,
    base_url: String,
    key: Option<ApiKey>,
    client: reqwest::Client,
    /// Glossary name → id, filled by the first batch that needs it (the lock also keeps
    /// concurrent batches from creating the same glossary twice).
    glossaries: tokio::sync::Mutex<HashMap<String, String>>,
}

impl fmt::Debug for DeeplBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeeplBackend")
            .field("settings", &self.settings)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TranslateResponse {
    translations: Vec<DeeplTranslation>,
}

#[derive(Deserialize)]
struct DeeplTranslation {
    text: String,
}

#[derive(Deserialize)]
struct GlossaryList {
    glossaries: Vec<GlossaryInfo>,
}

#[derive(Deserialize)]
struct GlossaryInfo {
    glossary_id: String,
    name: String,
    #[serde(default)]
    source_lang: String,
    #[serde(default)]
    target_lang: String,
}

impl DeeplBackend {
    pub fn new(settings: DeeplSettings) -> Result<DeeplBackend, BackendError> {
        let name = settings.name.clone();
        // Whether the key is required is the registry's rule (`BackendSpec::status`); a
        // client built for a plan has none and sends nothing.
        let key = settings.api_key.clone();
        let base = settings
            .base_url
            .clone()
            .unwrap_or_else(|| key.as_ref().map_or(PRO_URL, default_url).to_string());
        let base_url = http::base_url(&name, &base, "base_url / DEEPL_SERVER_URL")?;
        let variant = settings.target_variant.to_ascii_uppercase();
        if !matches!(variant.as_str(), "EN-US" | "EN-GB") {
            return Err(BackendError::Config {
                backend: name,
                detail: format!(
                    "target_variant {:?} is not EN-US or EN-GB",
                    settings.target_variant
                ),
            });
        }
        let client = http::client(&name, settings.timeout)?;
        Ok(DeeplBackend {
            settings: DeeplSettings {
                target_variant: variant,
                ..settings
            },
            base_url,
            key,
            client,
            glossaries: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// The API host in use.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn failure(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &str,
    ) -> BackendError {
        http::classify_status(Failure {
            backend: &self.settings.name,
            key_setting: &self.settings.key_setting,
            key: self.key.as_ref(),
            status,
            retry_after: http::retry_after(headers),
            exhausted: http::exhausted_window(headers),
            body,
            quota_status: Some(456),
            quota_marker: None,
        })
    }

    fn auth(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => request.header(
                reqwest::header::AUTHORIZATION,
                format!("DeepL-Auth-Key {}", key.expose()),
            ),
            None => request,
        }
    }

    /// The id of the DeepL glossary for `terms`: from memory, else from the server's list,
    /// else created. `None` when there are no usable entries.
    pub async fn ensure_glossary(
        &self,
        terms: &[TermPair],
    ) -> Result<Option<String>, BackendError> {
        let (tsv, name) = glossary_entries(terms);
        if tsv.is_empty() {
            return Ok(None);
        }
        let mut known = self.glossaries.lock().await;
        if let Some(id) = known.get(&name) {
            return Ok(Some(id.clone()));
        }
        let s = &self.settings;
        let key = self.key.as_ref();
        let request = self.auth(self.client.get(format!("{}/v2/glossaries", self.base_url)));
        let (status, headers, body) = http::send(&s.name, request, key, s.timeout).await?;
        if !(200..300).contains(&status) {
            return Err(self.failure(status, &headers, &body));
        }
        let list: GlossaryList = serde_json::from_str(&body)
            .map_err(|e| http::bad_json(&s.name, "glossary list", &e, &body, key))?;
        let existing = list.glossaries.into_iter().find(|g| {
            g.name == name
                && g.source_lang.eq_ignore_ascii_case("zh")
                && g.target_lang.eq_ignore_ascii_case("en")
        });
        let id = match existing {
            Some(g) => g.glossary_id,
            None => {
                let request = self
                    .auth(self.client.post(format!("{}/v2/glossaries", self.base_url)))
                    .json(&json!({
                        "name": name,
                        "source_lang": "zh",
                        "target_lang": "en",
                        "entries": tsv,
                        "entries_format": "tsv",
                    }));
                let (status, headers, body) = http::send(&s.name, request, key, s.timeout).await?;
                if !(200..300).contains(&status) {
                    return Err(self.failure(status, &headers, &body));
                }
                let created: GlossaryInfo = serde_json::from_str(&body)
                    .map_err(|e| http::bad_json(&s.name, "created glossary", &e, &body, key))?;
                tracing::info!(backend = %s.name, glossary = %name, "created DeepL glossary");
                created.glossary_id
            }
        };
        known.insert(name, id.clone());
        Ok(Some(id))
    }

    /// The JSON body of `POST /v2/translate` for `batch`.
    pub fn request_body(&self, batch: &Batch, glossary_id: Option<&str>) -> Value {
        let texts: Vec<&str> = batch.items.iter().map(|i| i.text.as_str()).collect();
        let target = if batch.target_lang.is_empty()
            || batch.target_lang.to_ascii_lowercase().starts_with("en")
        {
            self.settings.target_variant.clone()
        } else {
            batch.target_lang.to_ascii_uppercase()
        };
        let mut body = json!({
            "text": texts,
            "source_lang": "ZH",
            "target_lang": target,
        });
        if let Some(id) = glossary_id {
            body["glossary_id"] = json!(id);
        }
        let context: Vec<&str> = [&batch.context.title, &batch.context.previous]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !context.is_empty() {
            body["context"] = json!(context.join("\n"));
        }
        body
    }
}

#[async_trait]
impl Backend for DeeplBackend {
    fn info(&self) -> BackendInfo {
        let s = &self.settings;
        BackendInfo {
            name: s.name.clone(),
            kind: "deepl".into(),
            model: Some(s.target_variant.clone()),
            endpoint: Some(self.base_url.clone()),
            max_items: s.max_items.min(MAX_TEXTS),
            max_chars: s.max_chars,
            native_terms: true,
            default_concurrency: s.concurrency,
            protocol_version: 1,
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        let s = &self.settings;
        if batch.items.is_empty() {
            return Ok(Translation::default());
        }
        if batch.items.len() > MAX_TEXTS {
            return Err(BackendError::BadResponse {
                backend: s.name.clone(),
                detail: format!(
                    "batch of {} texts exceeds DeepL's limit of {MAX_TEXTS}",
                    batch.items.len()
                ),
            });
        }
        let terms: Vec<TermPair> = if s.glossary.is_empty() {
            let mut union: Vec<TermPair> = Vec::new();
            for term in batch.items.iter().flat_map(|i| &i.terms) {
                if !union.contains(term) {
                    union.push(term.clone());
                }
            }
            union
        } else {
            s.glossary.clone()
        };
        let glossary_id = self.ensure_glossary(&terms).await?;
        let body = self.request_body(batch, glossary_id.as_deref());
        let bytes = serde_json::to_vec(&body).map_err(|e| BackendError::BadResponse {
            backend: s.name.clone(),
            detail: format!("cannot encode the request: {e}"),
        })?;
        if bytes.len() >= MAX_REQUEST_BYTES {
            return Err(BackendError::BadResponse {
                backend: s.name.clone(),
                detail: format!(
                    "request of {} bytes exceeds DeepL's 128 KiB limit; use smaller batches",
                    bytes.len()
                ),
            });
        }
        let request = self
            .auth(self.client.post(format!("{}/v2/translate", self.base_url)))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes);
        let key = self.key.as_ref();
        let (status, headers, text) = http::send(&s.name, request, key, s.timeout).await?;
        if !(200..300).contains(&status) {
            return Err(self.failure(status, &headers, &text));
        }
        let parsed: TranslateResponse = serde_json::from_str(&text)
            .map_err(|e| http::bad_json(&s.name, "translation", &e, &text, key))?;
        // DeepL answers by position; a count mismatch is reported with the ids it leaves out.
        let n = batch.items.len();
        let got = parsed.translations.len();
        if got != n {
            let detail = if got < n {
                let missing: Vec<&str> = batch.items[got..].iter().map(|i| i.id.as_str()).collect();
                format!(
                    "{got} translations for {n} texts; missing ids in answer: {}",
                    missing.join(", ")
                )
            } else {
                format!("{got} translations for {n} texts (extra answers)")
            };
            return Err(BackendError::BadResponse {
                backend: s.name.clone(),
                detail,
            });
        }
        let outputs = batch
            .items
            .iter()
            .zip(parsed.translations)
            .map(|(item, t)| Output {
                id: item.id.clone(),
                text: t.text,
            })
            .collect();
        Ok(Translation {
            outputs,
            usage: Usage::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(s: &str, t: &str) -> TermPair {
        TermPair {
            source: s.into(),
            target: t.into(),
        }
    }

    #[test]
    fn glossary_name_depends_on_content_not_order() {
        let a = glossary_entries(&[
            term("两江新区", "Liangjiang New Area"),
            term("重庆", "Chongqing"),
        ]);
        let b = glossary_entries(&[
            term("重庆", "Chongqing"),
            term("两江新区", "Liangjiang New Area"),
        ]);
        assert_eq!(a, b);
        assert_eq!(a.0, "两江新区\tLiangjiang New Area\n重庆\tChongqing\n");
        assert!(a.1.starts_with("bitext-") && a.1.len() == "bitext-".len() + 16);
        let c = glossary_entries(&[term("重庆", "Chongqing Municipality")]);
        assert_ne!(a.1, c.1);
        // Tabs and duplicate sources are left out.
        let d = glossary_entries(&[
            term("a\tb", "x"),
            term("重庆", "Chongqing"),
            term("重庆", "Other"),
        ]);
        assert_eq!(d.0, "重庆\tChongqing\n");
    }

    #[test]
    fn free_keys_use_the_free_host() {
        assert_eq!(default_url(&ApiKey::new("abc:fx").unwrap()), FREE_URL);
        assert_eq!(default_url(&ApiKey::new("abc").unwrap()), PRO_URL);
        let backend = DeeplBackend::new(DeeplSettings::new(ApiKey::new("k:fx"))).unwrap();
        assert_eq!(backend.base_url(), FREE_URL);
        // Without a key (a plan): the pro host; whether a key is required is the registry's.
        let keyless = DeeplBackend::new(DeeplSettings::new(None)).unwrap();
        assert_eq!(keyless.base_url(), PRO_URL);
    }
}

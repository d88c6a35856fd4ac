//! LibreTranslate: `POST /translate` with `q` as an array, language codes read once from
//! `GET /languages` (`zh` on older servers, `zh-Hans` on newer ones), `api_key` when set.
//!
//! LibreTranslate has no glossary. Terms are protected instead: the request uses
//! `format=html`, each glossary term of an item is replaced by its English rendering inside
//! `<span translate="no">…</span>` (Argos Translate's `translatehtml`, which serves
//! `format=html`, builds such elements as not translatable), and the rest
//! of the text is HTML-escaped. The answer's spans are unwrapped and entities decoded, and the
//! client verifies that every protected rendering survived; if one did not, the batch is a
//! `BadResponse` naming the segment and term.

use super::http::{self, ApiKey, Failure};
use super::{Backend, BackendError, BackendInfo, Batch, Output, TermPair, Translation, Usage};
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

/// The default server (a self-hosted LibreTranslate listens on port 5000).
pub const DEFAULT_URL: &str = "http://localhost:5000";

/// Settings of the LibreTranslate client. `Debug` redacts the key
/// ([`ApiKey`]'s own `Debug`).
#[derive(Clone, Debug)]
pub struct LibreSettings {
    pub name: String,
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub key_setting: String,
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_items: usize,
    pub max_chars: usize,
    /// Source and target codes to use without asking `/languages`.
    pub source_code: Option<String>,
    pub target_code: Option<String>,
}

impl LibreSettings {
    pub fn new(base_url: impl Into<String>) -> LibreSettings {
        LibreSettings {
            name: "libretranslate".into(),
            base_url: base_url.into(),
            api_key: None,
            key_setting: "LIBRETRANSLATE_API_KEY".into(),
            timeout: Duration::from_secs(60),
            concurrency: 2,
            max_items: 50,
            max_chars: 5000,
            source_code: None,
            target_code: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Language {
    code: String,
    #[serde(default)]
    targets: Vec<String>,
}

#[derive(Deserialize)]
struct TranslateResponse {
    #[serde(rename = "translatedText")]
    translated_text: Value,
}

/// The LibreTranslate client.
pub struct LibreBackend {
    settings: LibreSettings,
    client: reqwest::Client,
    languages: tokio::sync::OnceCell<Vec<Language>>,
}

impl fmt::Debug for LibreBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LibreBackend")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn unescape_html(text: &str) -> String {
    static ENTITY: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);").unwrap());
    ENTITY
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = &c[1];
            let decoded = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            decoded.map_or_else(|| c[0].to_string(), |ch| ch.to_string())
        })
        .into_owned()
}

/// The HTML sent for an item: the text escaped, each term occurrence (longest first, no
/// overlaps) replaced by `<span translate="no">TARGET</span>`. Returns the HTML and the
/// renderings that must come back.
pub fn protect(text: &str, terms: &[TermPair]) -> (String, Vec<String>) {
    let mut sorted: Vec<&TermPair> = terms.iter().filter(|t| !t.source.is_empty()).collect();
    sorted.sort_by_key(|t| std::cmp::Reverse(t.source.len()));
    let mut out = String::new();
    let mut expected = Vec::new();
    let mut plain_start = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if let Some(term) = sorted.iter().find(|t| rest.starts_with(t.source.as_str())) {
            out.push_str(&escape_html(&text[plain_start..i]));
            out.push_str("<span translate=\"no\">");
            out.push_str(&escape_html(&term.target));
            out.push_str("</span>");
            expected.push(term.target.clone());
            i += term.source.len();
            plain_start = i;
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&escape_html(&text[plain_start..]));
    (out, expected)
}

/// The plain text of an answer: `translate="no"` spans unwrapped (whatever attribute order or
/// quoting the engine wrote back), any other tags removed, entities decoded.
pub fn restore(html: &str) -> String {
    static TAG: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"</?[a-zA-Z][^<>]*>").unwrap());
    let without_tags = TAG.replace_all(html, "");
    let text = unescape_html(&without_tags);
    // Spans can leave doubled spaces ("the  Liangjiang New Area") behind.
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for ch in text.chars() {
        let space = ch == ' ';
        if !(space && last_space) {
            out.push(ch);
        }
        last_space = space;
    }
    out.trim().to_string()
}

impl LibreBackend {
    pub fn new(mut settings: LibreSettings) -> Result<LibreBackend, BackendError> {
        settings.base_url = http::base_url(
            &settings.name,
            &settings.base_url,
            "base_url / LIBRETRANSLATE_URL",
        )?;
        let client = http::client(&settings.name, settings.timeout)?;
        Ok(LibreBackend {
            settings,
            client,
            languages: tokio::sync::OnceCell::new(),
        })
    }

    fn failure(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &str,
    ) -> BackendError {
        // LibreTranslate answers 400 "Invalid API key" / "requires an API key" and 403 for keys.
        let lower = body.to_ascii_lowercase();
        let status = if status == 400 && lower.contains("api key") {
            403
        } else {
            status
        };
        http::classify_status(Failure {
            backend: &self.settings.name,
            key_setting: &self.settings.key_setting,
            key: self.settings.api_key.as_ref(),
            status,
            retry_after: http::retry_after(headers),
            exhausted: http::exhausted_window(headers),
            body,
            quota_status: None,
            quota_marker: None,
        })
    }

    async fn languages(&self) -> Result<&Vec<Language>, BackendError> {
        self.languages
            .get_or_try_init(|| async {
                let s = &self.settings;
                let key = s.api_key.as_ref();
                let request = self.client.get(format!("{}/languages", s.base_url));
                let (status, headers, body) = http::send(&s.name, request, key, s.timeout).await?;
                if !(200..300).contains(&status) {
                    return Err(self.failure(status, &headers, &body));
                }
                serde_json::from_str::<Vec<Language>>(&body)
                    .map_err(|e| http::bad_json(&s.name, "language list", &e, &body, key))
            })
            .await
    }

    /// The server's codes for the batch's source and target languages.
    pub async fn codes(&self, batch: &Batch) -> Result<(String, String), BackendError> {
        let s = &self.settings;
        if let (Some(src), Some(tgt)) = (&s.source_code, &s.target_code) {
            return Ok((src.clone(), tgt.clone()));
        }
        let languages = self.languages().await?;
        let has = |code: &str| languages.iter().any(|l| l.code == code);
        let source_lang = if batch.source_lang.is_empty() {
            "zh-CN"
        } else {
            &batch.source_lang
        };
        let lower = source_lang.to_ascii_lowercase();
        let source_candidates: Vec<&str> = if lower.starts_with("zh") {
            let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"]
                .iter()
                .any(|t| lower.starts_with(t));
            if traditional {
                vec!["zh-Hant", "zt", "zh"]
            } else {
                vec!["zh-Hans", "zh"]
            }
        } else {
            vec![source_lang]
        };
        let source = match &s.source_code {
            Some(code) => code.clone(),
            None => source_candidates
                .iter()
                .find(|c| has(c))
                .map(|c| c.to_string())
                .ok_or_else(|| BackendError::Config {
                    backend: s.name.clone(),
                    detail: format!(
                        "the server offers no source language for {source_lang} (tried {})",
                        source_candidates.join(", ")
                    ),
                })?,
        };
        let target_lang = if batch.target_lang.is_empty() {
            "en"
        } else {
            &batch.target_lang
        };
        let target = match &s.target_code {
            Some(code) => code.clone(),
            None => {
                let base = target_lang.split(['-', '_']).next().unwrap_or(target_lang);
                let offered = languages
                    .iter()
                    .find(|l| l.code == source)
                    .map(|l| l.targets.is_empty() || l.targets.iter().any(|t| t == base))
                    .unwrap_or(false);
                if !offered {
                    return Err(BackendError::Config {
                        backend: s.name.clone(),
                        detail: format!("the server cannot translate {source} into {base}"),
                    });
                }
                base.to_string()
            }
        };
        Ok((source, target))
    }

    /// The JSON body of `POST /translate` and the renderings each item must keep.
    pub fn request_body(
        &self,
        batch: &Batch,
        source: &str,
        target: &str,
    ) -> (Value, Vec<Vec<String>>) {
        let mut q = Vec::with_capacity(batch.items.len());
        let mut expected = Vec::with_capacity(batch.items.len());
        for item in &batch.items {
            let (html, keep) = protect(&item.text, &item.terms);
            q.push(html);
            expected.push(keep);
        }
        let mut body = json!({"q": q, "source": source, "target": target, "format": "html"});
        if let Some(key) = &self.settings.api_key {
            body["api_key"] = json!(key.expose());
        }
        (body, expected)
    }
}

#[async_trait]
impl Backend for LibreBackend {
    fn info(&self) -> BackendInfo {
        let s = &self.settings;
        BackendInfo {
            name: s.name.clone(),
            kind: "libretranslate".into(),
            model: None,
            endpoint: Some(s.base_url.clone()),
            max_items: s.max_items,
            max_chars: s.max_chars,
            native_terms: false,
            default_concurrency: s.concurrency,
            protocol_version: 1,
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        let s = &self.settings;
        if batch.items.is_empty() {
            return Ok(Translation::default());
        }
        let (source, target) = self.codes(batch).await?;
        let (body, expected) = self.request_body(batch, &source, &target);
        let key = s.api_key.as_ref();
        let request = self
            .client
            .post(format!("{}/translate", s.base_url))
            .json(&body);
        let (status, headers, text) = http::send(&s.name, request, key, s.timeout).await?;
        if !(200..300).contains(&status) {
            return Err(self.failure(status, &headers, &text));
        }
        let parsed: TranslateResponse = serde_json::from_str(&text)
            .map_err(|e| http::bad_json(&s.name, "translation", &e, &text, key))?;
        let bad = |detail: String| BackendError::BadResponse {
            backend: s.name.clone(),
            detail,
        };
        let texts: Vec<String> = match parsed.translated_text {
            Value::Array(values) => values
                .into_iter()
                .map(|v| match v {
                    Value::String(t) => Ok(t),
                    other => Err(bad(format!("translatedText holds {other}, not a string"))),
                })
                .collect::<Result<_, _>>()?,
            Value::String(t) if batch.items.len() == 1 => vec![t],
            other => return Err(bad(format!("translatedText is {other}, not an array"))),
        };
        let n = batch.items.len();
        if texts.len() != n {
            let detail = if texts.len() < n {
                let missing: Vec<&str> = batch.items[texts.len()..]
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect();
                format!(
                    "{} translations for {n} texts; missing ids in answer: {}",
                    texts.len(),
                    missing.join(", ")
                )
            } else {
                format!("{} translations for {n} texts (extra answers)", texts.len())
            };
            return Err(bad(detail));
        }
        let mut outputs = Vec::with_capacity(n);
        for ((item, html), keep) in batch.items.iter().zip(texts).zip(expected) {
            let plain = restore(&html);
            if let Some(lost) = keep.iter().find(|t| !plain.contains(t.as_str())) {
                return Err(bad(format!(
                    "protected term {lost:?} did not survive in {}",
                    item.id
                )));
            }
            outputs.push(Output {
                id: item.id.clone(),
                text: plain,
            });
        }
        Ok(Translation {
            outputs,
            usage: Usage::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_wraps_terms_and_escapes_the_rest() {
        let terms = [
            TermPair {
                source: "两江新区".into(),
                target: "Liangjiang New Area".into(),
            },
            TermPair {
                source: "两江".into(),
                target: "Liangjiang".into(),
            },
        ];
        let (html, keep) = protect("两江新区<a>&两江", &terms);
        assert_eq!(
            html,
            "<span translate=\"no\">Liangjiang New Area</span>&lt;a&gt;&amp;<span translate=\"no\">Liangjiang</span>"
        );
        assert_eq!(keep, ["Liangjiang New Area", "Liangjiang"]);
    }

    #[test]
    fn restore_unwraps_spans_and_decodes_entities() {
        let answer = "The <span translate=\"no\">Liangjiang New Area</span>  &amp; <span translate='no'>Chongqing</span> &lt;3 &#x4E2D;&#25991;";
        assert_eq!(
            restore(answer),
            "The Liangjiang New Area & Chongqing <3 中文"
        );
    }
}

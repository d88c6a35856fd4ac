//! OpenAI-compatible chat completions (`POST {base}/chat/completions`): OpenAI, DeepSeek,
//! Qwen's compatible mode, Ollama (`http://localhost:11434/v1`), llama.cpp server, vLLM.
//!
//! The batch protocol (version [`PROTOCOL_VERSION`], documented in `docs/backends.md`): the
//! user message is the JSON object
//! `{"context":{…},"segments":[["id","text"]],"terms":["source=target"]}` and the model
//! answers the JSON object `{"translations":[{"id","text"}]}`. The answer format is requested
//! with `response_format` `json_schema` where the server honours it, else `json_object`, else
//! by the prompt alone; the first batch for a base URL + model probes which (see
//! [`ResponseFormat`]) and the verdict is cached in memory for the process.

use super::http::{self, ApiKey, Failure};
use super::{Backend, BackendError, BackendInfo, Batch, Output, Translation, Usage};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// Version of the batch protocol and prompt; part of the cache key.
pub const PROTOCOL_VERSION: u32 = 2;

/// The fixed part of a request's timeout (see [`OpenAiBackend::request_timeout`]).
pub const BASE_TIMEOUT: Duration = Duration::from_secs(20);
/// The part of a request's timeout per character of the batch: 4,000 characters get 100 s.
pub const TIMEOUT_PER_CHAR: Duration = Duration::from_millis(20);

/// The default model of the built-in `openai` backend.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";
/// The default base URL (`OPENAI_BASE_URL` overrides it).
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// How the answer format is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseFormat {
    /// `response_format: {"type":"json_schema",…}`: the server constrains the answer to the
    /// protocol's schema.
    JsonSchema,
    /// `response_format: {"type":"json_object"}`: any JSON object; the prompt gives the shape.
    JsonObject,
    /// No `response_format` (rejected or ignored by the server): the prompt alone.
    None,
}

impl ResponseFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseFormat::JsonSchema => "json_schema",
            ResponseFormat::JsonObject => "json_object",
            ResponseFormat::None => "none",
        }
    }

    /// Reads the name written by [`ResponseFormat::as_str`].
    pub fn parse(name: &str) -> Option<ResponseFormat> {
        [
            ResponseFormat::JsonSchema,
            ResponseFormat::JsonObject,
            ResponseFormat::None,
        ]
        .into_iter()
        .find(|f| f.as_str() == name)
    }

    fn next(self) -> Option<ResponseFormat> {
        match self {
            ResponseFormat::JsonSchema => Some(ResponseFormat::JsonObject),
            ResponseFormat::JsonObject => Some(ResponseFormat::None),
            ResponseFormat::None => None,
        }
    }
}

/// Settings of an OpenAI-compatible backend. `Debug` redacts the key
/// ([`ApiKey`]'s own `Debug`).
#[derive(Clone, Debug)]
pub struct OpenAiSettings {
    /// The configured backend name (`openai`, `deepseek`, …), used in messages.
    pub name: String,
    /// Base URL up to `/v1` (without `/chat/completions`).
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    /// Where the key comes from (`OPENAI_API_KEY`), named in `Auth`/`Config` errors.
    pub key_setting: String,
    pub model: String,
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_items: usize,
    pub max_chars: usize,
    /// Sent as `temperature` when set (some reasoning models reject the parameter).
    pub temperature: Option<f32>,
    /// A known verdict: skips the probe (`response_format` setting).
    pub response_format: Option<ResponseFormat>,
}

impl OpenAiSettings {
    /// Defaults for a server at `base_url` serving `model`, without a key.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> OpenAiSettings {
        OpenAiSettings {
            name: "openai".into(),
            base_url: base_url.into(),
            api_key: None,
            key_setting: "OPENAI_API_KEY".into(),
            model: model.into(),
            timeout: Duration::from_secs(120),
            concurrency: 4,
            max_items: 40,
            max_chars: 4000,
            temperature: None,
            response_format: None,
        }
    }
}

/// The OpenAI-compatible client.
pub struct OpenAiBackend {
    settings: OpenAiSettings,
    /// Built on the first request (a plan or a run answered from the memory never loads TLS
    /// roots or starts a connection pool).
    client: std::sync::OnceLock<reqwest::Client>,
    /// The response-format verdict once known (learned from the first answer, or adopted
    /// from an earlier run).
    verdict: Mutex<Option<ResponseFormat>>,
}

impl fmt::Debug for OpenAiBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiBackend")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OpenAiBackend {
    /// Checks the settings (URL, model) and builds the client. Whether a key is required is
    /// the registry's rule (`BackendSpec::status`), not the client's.
    pub fn new(mut settings: OpenAiSettings) -> Result<OpenAiBackend, BackendError> {
        let name = settings.name.clone();
        settings.base_url =
            http::base_url(&name, &settings.base_url, "base_url / OPENAI_BASE_URL")?;
        if settings.model.trim().is_empty() {
            return Err(BackendError::Config {
                backend: name,
                detail: "no model set; set model in bitext.toml or pass --model".into(),
            });
        }
        let client = std::sync::OnceLock::new();
        Ok(OpenAiBackend {
            settings,
            client,
            verdict: Mutex::new(None),
        })
    }

    /// The timeout of one request, fitted to its size: [`BASE_TIMEOUT`] plus
    /// [`TIMEOUT_PER_CHAR`] for every character of the batch (an answer takes longer the more
    /// it has to write), at most the configured `timeout`. A dead server is noticed in well
    /// under a minute on small batches, and a big batch is not cut off while it is written.
    pub fn request_timeout(&self, batch: &Batch) -> Duration {
        let chars: usize = batch.items.iter().map(|i| i.text.chars().count()).sum();
        let fitted = BASE_TIMEOUT + TIMEOUT_PER_CHAR * chars as u32;
        fitted.min(self.settings.timeout)
    }

    fn client(&self) -> Result<&reqwest::Client, BackendError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = http::client(&self.settings.name, self.settings.timeout)?;
        Ok(self.client.get_or_init(|| client))
    }

    pub fn settings(&self) -> &OpenAiSettings {
        &self.settings
    }

    /// The response-format verdict in force for this backend, if known yet.
    pub fn response_format(&self) -> Option<ResponseFormat> {
        self.settings
            .response_format
            .or_else(|| *self.verdict.lock().expect("verdict lock"))
    }

    fn set_verdict(&self, format: ResponseFormat) {
        *self.verdict.lock().expect("verdict lock") = Some(format);
    }

    fn err_bad(&self, detail: String) -> BackendError {
        BackendError::BadResponse {
            backend: self.settings.name.clone(),
            detail,
        }
    }

    /// The request body for `batch` with `format`.
    pub fn request_body(&self, batch: &Batch, format: ResponseFormat) -> Value {
        let mut body = json!({
            "model": self.settings.model,
            "messages": [
                {"role": "system", "content": system_prompt(batch)},
                {"role": "user", "content": user_message(batch)},
            ],
        });
        match format {
            ResponseFormat::JsonSchema => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {
                        "name": "bitext_translations",
                        "strict": true,
                        "schema": answer_schema(),
                    }
                });
            }
            ResponseFormat::JsonObject => {
                body["response_format"] = json!({"type": "json_object"});
            }
            ResponseFormat::None => {}
        }
        if let Some(t) = self.settings.temperature {
            body["temperature"] = json!(t);
        }
        body
    }

    /// Sends one request. `Ok(Err(body))` is a rejection of `response_format` (HTTP 400/422
    /// naming it), which the probe treats as "try the next format".
    async fn send(
        &self,
        batch: &Batch,
        format: ResponseFormat,
    ) -> Result<Result<Reply, ()>, BackendError> {
        let s = &self.settings;
        let url = format!("{}/chat/completions", s.base_url);
        let mut request = self
            .client()?
            .post(url)
            .json(&self.request_body(batch, format));
        if let Some(key) = &s.api_key {
            request = request.bearer_auth(key.expose());
        }
        let key = s.api_key.as_ref();
        let timeout = self.request_timeout(batch);
        let request = request.timeout(timeout);
        let (status, headers, body) = http::send(&s.name, request, key, timeout).await?;
        if !(200..300).contains(&status) {
            if matches!(status, 400 | 422) && format != ResponseFormat::None {
                let lower = body.to_ascii_lowercase();
                if [
                    "response_format",
                    "json_schema",
                    "json_object",
                    "response format",
                ]
                .iter()
                .any(|m| lower.contains(m))
                {
                    return Ok(Err(()));
                }
            }
            return Err(http::classify_status(Failure {
                backend: &s.name,
                key_setting: &s.key_setting,
                key,
                status,
                retry_after: http::retry_after(&headers),
                exhausted: http::exhausted_window(&headers),
                body: &body,
                quota_status: None,
                quota_marker: Some("insufficient_quota"),
            }));
        }
        if let Some(error) = http::not_api(&s.name, &headers, &body, key) {
            return Err(error);
        }
        self.read_reply(&body).map(Ok)
    }

    /// Reads a chat completion body (HTTP 200) into the model's reply: the first choice's
    /// content, refusals and cut-off answers as `BadResponse`.
    fn read_reply(&self, body: &str) -> Result<Reply, BackendError> {
        let s = &self.settings;
        let key = s.api_key.as_ref();
        let parsed: ChatResponse = serde_json::from_str(body)
            .map_err(|e| http::bad_json(&s.name, "chat completion", &e, body, key))?;
        let usage = parsed
            .usage
            .map(|u| Usage {
                input_tokens: u.prompt_tokens,
                output_tokens: u.completion_tokens,
            })
            .unwrap_or_default();
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| self.err_bad("no choices in the answer".into()))?;
        match choice.finish_reason.as_deref() {
            Some("length") => {
                return Err(
                    self.err_bad("answer cut off at the token limit (finish_reason=length)".into())
                );
            }
            Some("content_filter") => {
                return Err(self.err_bad("answer blocked by the content filter".into()));
            }
            _ => {}
        }
        let content = match (choice.message.content, choice.message.refusal) {
            (Some(c), _) if !c.trim().is_empty() => c,
            (_, Some(r)) => {
                return Err(self.err_bad(format!("model refused: {}", http::excerpt(&r, key, 120))));
            }
            _ => return Err(self.err_bad("empty message content".into())),
        };
        Ok(Reply { content, usage })
    }

    /// Reads a chat completion body for `batch` exactly as an interactive answer is read (the
    /// same parser and id check): what the Batch API's output lines carry in
    /// `response.body`.
    pub fn parse_completion(&self, batch: &Batch, body: &str) -> Result<Translation, BackendError> {
        let reply = self.read_reply(body)?;
        self.finish(batch, reply)
    }

    async fn send_known(
        &self,
        batch: &Batch,
        format: ResponseFormat,
    ) -> Result<Translation, BackendError> {
        match self.send(batch, format).await? {
            Ok(reply) => self.finish(batch, reply),
            Err(()) => Err(BackendError::Config {
                backend: self.settings.name.clone(),
                detail: format!(
                    "the server rejected response_format {}; set response_format = \"none\"",
                    format.as_str()
                ),
            }),
        }
    }

    fn finish(&self, batch: &Batch, reply: Reply) -> Result<Translation, BackendError> {
        let (outputs, _) = parse_answer(&reply.content).map_err(|detail| self.err_bad(detail))?;
        let outputs = super::order_by_id(&self.settings.name, batch, outputs)?;
        Ok(Translation {
            outputs,
            usage: reply.usage,
        })
    }

    /// Takes the verdict from an answer in `format`: honoured when the content is the bare
    /// schema object. An answer in another format than the verdict says (one sent before a
    /// refusal moved the verdict on) teaches nothing.
    fn learn_from_answer(&self, format: ResponseFormat, content: &str) {
        let mut verdict = self.verdict.lock().expect("verdict lock");
        if format == ResponseFormat::None || verdict.is_some_and(|v| v != format) {
            return;
        }
        let honoured = serde_json::from_str::<Answer>(content.trim()).is_ok();
        let learned = if honoured {
            format
        } else {
            ResponseFormat::None
        };
        if *verdict != Some(learned) {
            tracing::debug!(backend = %self.settings.name, verdict = learned.as_str(), "response_format verdict");
            *verdict = Some(learned);
        }
    }

    /// Sends a batch in the verdict's format, or, before there is a verdict, in the richest
    /// form (`json_schema`), moving on to the next form when the server refuses the one sent.
    /// Every request of the first wave goes out at once; the first answer gives the verdict.
    /// A server that accepts `json_schema` but answers with anything but the bare schema
    /// object (fences, prose) ignores it: the verdict is then `None` (prompt only, robust
    /// parsing).
    async fn send_learning(&self, batch: &Batch) -> Result<Translation, BackendError> {
        let mut format = self.response_format().unwrap_or(ResponseFormat::JsonSchema);
        loop {
            match self.send(batch, format).await? {
                Ok(reply) => {
                    self.learn_from_answer(format, &reply.content);
                    return self.finish(batch, reply);
                }
                Err(()) => {
                    let next = format
                        .next()
                        .expect("ResponseFormat::None is never refused");
                    // Later requests start from the next form (a refusal is a verdict too).
                    let mut verdict = self.verdict.lock().expect("verdict lock");
                    if verdict.is_none_or(|v| v == format) {
                        *verdict = Some(next);
                    }
                    format = next;
                }
            }
        }
    }
}

struct Reply {
    content: String,
    usage: Usage,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
}

#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

#[derive(Deserialize)]
struct Answer {
    translations: Vec<AnswerItem>,
}

#[derive(Deserialize)]
struct AnswerItem {
    id: String,
    text: String,
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn info(&self) -> BackendInfo {
        let s = &self.settings;
        BackendInfo {
            name: s.name.clone(),
            kind: "openai".into(),
            model: Some(s.model.clone()),
            endpoint: Some(s.base_url.clone()),
            max_items: s.max_items,
            max_chars: s.max_chars,
            native_terms: false,
            default_concurrency: s.concurrency,
            protocol_version: PROTOCOL_VERSION,
        }
    }

    fn learned(&self) -> Option<String> {
        self.response_format().map(|f| f.as_str().to_string())
    }

    fn adopt_learned(&self, learned: &str) {
        if let Some(format) = ResponseFormat::parse(learned) {
            self.set_verdict(format);
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        if batch.items.is_empty() {
            return Ok(Translation::default());
        }
        match self.settings.response_format {
            Some(format) => self.send_known(batch, format).await,
            None => self.send_learning(batch).await,
        }
    }
}

/// The JSON schema of the answer object.
pub fn answer_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "translations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "text": {"type": "string"}
                    },
                    "required": ["id", "text"],
                    "additionalProperties": false
                }
            }
        },
        "required": ["translations"],
        "additionalProperties": false
    })
}

fn language_name(code: &str) -> String {
    let base = code
        .split(['-', '_'])
        .next()
        .unwrap_or(code)
        .to_ascii_lowercase();
    match base.as_str() {
        "zh" => "Chinese".into(),
        "en" => "English".into(),
        _ => code.to_string(),
    }
}

/// The system prompt of protocol version 2: every rule of version 1 (ids, terms, first
/// mentions, context for reference only, nothing merged or dropped) in fewer words.
pub fn system_prompt(batch: &Batch) -> String {
    let source = if batch.source_lang.is_empty() {
        "Chinese".to_string()
    } else {
        language_name(&batch.source_lang)
    };
    let target = if batch.target_lang.is_empty() {
        "English".to_string()
    } else {
        language_name(&batch.target_lang)
    };
    // Only batches with inline markup (HTML/DOCX sentences) carry the placeholder rule.
    let placeholders = if batch.items.iter().any(|i| crate::inline::has_tags(&i.text)) {
        "Texts may hold placeholders: <x1>…</x1> around formatted words, <x2/> for an image or \
note mark; give each back exactly once, properly nested, around the words that translate \
what it encloses, never changed, added or translated. "
    } else {
        ""
    };
    format!(
        "Translate news from {source} into {target} (bitext protocol v{PROTOCOL_VERSION}). \
Input JSON: \"segments\": [id, text] pairs; \"terms\": \"source=target\" renderings to use exactly \
(a source listed twice: the first rendering at its first occurrence, the second after); \
\"context\": title, previous sentence, instruction, examples, for reference only. \
Translate every segment on its own, completely and faithfully, keeping numbers, names and dates; \
never merge, split, drop or reorder segments. \
{placeholders}Reply only {{\"translations\":[{{\"id\":\"<id>\",\"text\":\"<{target}>\"}}]}} with the same ids."
    )
}

/// The user message of protocol version 2: `{"context":{…},"segments":[[id,text]…],
/// "terms":["source=target"…]}` — the segments as pairs, the union of the items' terms as
/// one compact line each (each once, in order of first appearance; the pipeline leaves out
/// terms rendered as themselves), the context only when there is one.
pub fn user_message(batch: &Batch) -> String {
    let mut terms: Vec<String> = Vec::new();
    for item in &batch.items {
        for term in &item.terms {
            let line = format!("{}={}", term.source, term.target);
            if !terms.contains(&line) {
                terms.push(line);
            }
        }
    }
    let segments: Vec<Value> = batch
        .items
        .iter()
        .map(|item| json!([item.id, item.text]))
        .collect();
    let mut message = serde_json::Map::new();
    let context = serde_json::to_value(&batch.context).unwrap_or(Value::Null);
    if context.as_object().is_some_and(|o| !o.is_empty()) {
        message.insert("context".into(), context);
    }
    message.insert("segments".into(), json!(segments));
    if !terms.is_empty() {
        message.insert("terms".into(), json!(terms));
    }
    Value::Object(message).to_string()
}

/// Removes reasoning blocks: every `<think>…</think>`, and everything up to a closing
/// `</think>` whose opening tag was in the prompt template. An unclosed `<think>` is an error.
pub fn strip_think(content: &str) -> Result<String, String> {
    let mut text = content.to_string();
    if let Some(end) = text.rfind("</think>") {
        // Reasoning precedes the answer: drop everything up to the last closing tag.
        text = text[end + "</think>".len()..].to_string();
    }
    if let Some(open) = text.find("<think>") {
        return Err(format!(
            "answer is an unfinished <think> block at byte {open} (raise the token limit)"
        ));
    }
    Ok(text)
}

/// Parses the model's answer. Returns the outputs and whether the content was the bare JSON
/// object (no reasoning, fences or prose). Accepts the object inside a ```json fence or after
/// leading prose; never guesses ids or positions.
pub fn parse_answer(content: &str) -> Result<(Vec<Output>, bool), String> {
    let to_outputs = |answer: Answer| {
        answer
            .translations
            .into_iter()
            .map(|t| Output {
                id: t.id,
                text: t.text,
            })
            .collect::<Vec<_>>()
    };
    if let Some(answer) = answer_object(content.trim()) {
        return Ok((to_outputs(answer), true));
    }
    let text = strip_think(content)?;
    let trimmed = text.trim();
    let mut candidates: Vec<&str> = vec![trimmed];
    // Fenced blocks: ```json … ``` or ``` … ```.
    let mut rest = trimmed;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let body_start = after.find('\n').map(|i| i + 1).unwrap_or(0);
        let Some(end) = after[body_start..].find("```") else {
            break;
        };
        candidates.push(after[body_start..body_start + end].trim());
        rest = &after[body_start + end + 3..];
    }
    for candidate in &candidates {
        if let Some(answer) = answer_object(candidate) {
            return Ok((to_outputs(answer), false));
        }
    }
    // Leading (or trailing) prose: the first JSON object in the text that has "translations".
    let mut last_error = None;
    for (pos, _) in trimmed.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&trimmed[pos..]).into_iter::<Value>();
        if let Some(Ok(value)) = stream.next()
            && value.get("translations").is_some()
        {
            match answer_from_value(value) {
                Ok(answer) => return Ok((to_outputs(answer), false)),
                Err(e) => last_error = Some(e),
            }
        }
    }
    let start: String = trimmed.chars().take(80).collect();
    Err(match last_error {
        Some(e) => format!("answer's \"translations\" has the wrong shape ({e})"),
        None => format!("no {{\"translations\":[…]}} object in the answer: {start:?}"),
    })
}

/// The protocol's answer in `text`, which must be a JSON object (serde would also read a
/// struct from an array, e.g. `[[]]`).
fn answer_object(text: &str) -> Option<Answer> {
    answer_from_value(serde_json::from_str(text).ok()?).ok()
}

/// `{"translations": [{"id": …, "text": …}, …]}` with objects at both levels.
fn answer_from_value(value: Value) -> Result<Answer, String> {
    let items_are_objects = value
        .get("translations")
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().all(Value::is_object));
    if !value.is_object() || !items_are_objects {
        return Err("not an object of id/text objects".into());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Context, Item, TermPair};

    fn batch() -> Batch {
        Batch {
            items: vec![
                Item {
                    id: "b3.s1".into(),
                    text: "两江新区发布新政。".into(),
                    terms: vec![TermPair {
                        source: "两江新区".into(),
                        target: "Liangjiang New Area".into(),
                    }],
                },
                Item {
                    id: "b3.s2".into(),
                    text: "两江新区在重庆。".into(),
                    terms: vec![TermPair {
                        source: "两江新区".into(),
                        target: "Liangjiang New Area".into(),
                    }],
                },
            ],
            context: Context {
                title: Some("智博会".into()),
                ..Context::default()
            },
            source_lang: "zh-CN".into(),
            target_lang: "en".into(),
        }
    }

    #[test]
    fn user_message_has_segments_terms_once_and_context() {
        let message = user_message(&batch());
        assert_eq!(
            message,
            r#"{"context":{"title":"智博会"},"segments":[["b3.s1","两江新区发布新政。"],["b3.s2","两江新区在重庆。"]],"terms":["两江新区=Liangjiang New Area"]}"#
        );
        let mut bare = batch();
        bare.context = Context::default();
        for item in &mut bare.items {
            item.terms.clear();
        }
        let v: Value = serde_json::from_str(&user_message(&bare)).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 1, "no empty terms or context");
    }

    #[test]
    fn system_prompt_keeps_every_rule_in_few_characters() {
        let prompt = system_prompt(&batch());
        for rule in [
            "protocol v2",
            "\"segments\"",
            "\"terms\"",
            "exactly",
            "first occurrence",
            "reference only",
            "never merge, split, drop or reorder",
            "same ids",
            "numbers, names and dates",
        ] {
            assert!(prompt.contains(rule), "{rule:?} missing from {prompt}");
        }
        assert!(prompt.chars().count() < 560, "{}", prompt.chars().count());
    }

    #[test]
    fn documented_prompt_and_schema_are_the_real_ones() {
        let doc = include_str!("../../docs/backends.md");
        let prompt = serde_json::to_string(&system_prompt(&batch())).unwrap();
        assert!(
            doc.contains(&prompt),
            "docs/backends.md shows another prompt"
        );
        assert!(doc.contains("\"name\": \"bitext_translations\""));
        assert_eq!(
            PROTOCOL_VERSION, 2,
            "bump the version in docs/backends.md too"
        );
    }

    #[test]
    fn answers_in_fences_prose_and_think_blocks() {
        let bare = r#"{"translations":[{"id":"a","text":"A"}]}"#;
        assert!(parse_answer(bare).unwrap().1);
        let fenced = format!("Here you go:\n```json\n{bare}\n```\nDone.");
        let (out, strict) = parse_answer(&fenced).unwrap();
        assert_eq!((out[0].id.as_str(), strict), ("a", false));
        let prose = format!("Sure! The translation is {bare} hope it helps");
        assert_eq!(parse_answer(&prose).unwrap().0[0].text, "A");
        let think = format!("<think>the user wants {{\"translations\": []}} maybe</think>\n{bare}");
        assert_eq!(parse_answer(&think).unwrap().0.len(), 1);
        let template_think = format!("reasoning without opening tag</think>{bare}");
        assert_eq!(parse_answer(&template_think).unwrap().0.len(), 1);
        assert!(parse_answer("<think>still thinking").is_err());
        assert!(parse_answer("I cannot do that.").is_err());
        let wrong = r#"{"translations":[{"id":1,"text":"A"}]}"#;
        assert!(parse_answer(wrong).unwrap_err().contains("wrong shape"));
    }
}

//! A local server speaking the OpenAI-compatible chat-completions batch protocol (wiremock on
//! 127.0.0.1), with scripted faults. Used by the translate tests and `benches/pipeline.rs`.
//!
//! It "translates" a segment as `EN <n>: <the non-Han characters of the source>` (n = the
//! source's character count) followed by the glossary targets it honours, so that a test can
//! tell which source an answer belongs to.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A scripted misbehaviour for one request (in arrival order).
#[derive(Debug, Clone)]
pub enum Fault {
    /// An HTTP status with an optional `Retry-After` (seconds).
    Status(u16, Option<u64>),
    /// The answer leaves out the batch's last id.
    DropLast,
    /// The message content is prose, not JSON.
    NotJson,
    /// Never answers.
    Hang,
}

#[derive(Debug, Default)]
pub struct Behaviour {
    /// Faults for the first requests, in order.
    pub script: VecDeque<Fault>,
    /// Every request after this many answered ones hangs.
    pub hang_after: Option<usize>,
    /// Leaves glossary terms out of the answers...
    pub ignore_terms: bool,
    /// ...except in repair requests (with an instruction).
    pub obey_repair: bool,
    /// Latency of every answer.
    pub latency: Duration,
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Log {
    /// Segment ids of each request, in arrival order.
    pub batches: Vec<Vec<String>>,
    pub instructions: Vec<String>,
    /// Context of each request.
    pub contexts: Vec<Value>,
}

pub struct State {
    behaviour: Mutex<Behaviour>,
    pub log: Mutex<Log>,
    requests: AtomicUsize,
    answered: AtomicUsize,
}

impl State {
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    /// Changes the behaviour for the next requests.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    pub fn batches(&self) -> Vec<Vec<String>> {
        self.log.lock().unwrap().batches.clone()
    }

    pub fn instructions(&self) -> Vec<String> {
        self.log.lock().unwrap().instructions.clone()
    }
}

pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

/// The fake translation of `source` before any glossary terms.
pub fn fake_prefix(source: &str) -> String {
    let rest: String = source.chars().filter(|c| !is_han(*c)).collect();
    format!("EN {}: {rest}", source.chars().count())
}

struct Responder(Arc<State>);

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        state.requests.fetch_add(1, Ordering::SeqCst);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let user = body["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["role"] == "user"))
            .and_then(|m| m["content"].as_str())
            .unwrap_or("{}");
        let message: Value = serde_json::from_str(user).unwrap_or(Value::Null);
        // Protocol v2: `[id, text]` pairs and `"source=target"` lines.
        let segments: Vec<Value> = message["segments"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|s| json!({"id": s[0], "text": s[1]}))
            .collect();
        let terms: Vec<Value> = message["terms"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| {
                let (source, target) = t.as_str()?.split_once('=')?;
                Some(json!({"source": source, "target": target}))
            })
            .collect();
        let instruction = message["context"]["instruction"]
            .as_str()
            .map(str::to_string);
        {
            let mut log = state.log.lock().unwrap();
            log.batches.push(
                segments
                    .iter()
                    .map(|s| s["id"].as_str().unwrap_or("").to_string())
                    .collect(),
            );
            log.contexts.push(message["context"].clone());
            if let Some(i) = &instruction {
                log.instructions.push(i.clone());
            }
        }
        let (fault, latency, ignore_terms, obey_repair) = {
            let mut b = state.behaviour.lock().unwrap();
            let mut fault = b.script.pop_front();
            if b.hang_after.is_some_and(|n| state.answered() >= n) {
                fault = Some(Fault::Hang);
            }
            (fault, b.latency, b.ignore_terms, b.obey_repair)
        };
        let use_terms = !ignore_terms || (instruction.is_some() && obey_repair);
        let mut translations: Vec<Value> = segments
            .iter()
            .map(|s| {
                let text = s["text"].as_str().unwrap_or("");
                let mut out = fake_prefix(text);
                if use_terms {
                    for t in &terms {
                        if text.contains(t["source"].as_str().unwrap_or("\u{0}")) {
                            out.push(' ');
                            out.push_str(t["target"].as_str().unwrap_or(""));
                        }
                    }
                }
                json!({"id": s["id"], "text": out})
            })
            .collect();
        let mut content = json!({"translations": translations}).to_string();
        match fault {
            Some(Fault::Hang) => {
                return ResponseTemplate::new(200).set_delay(Duration::from_secs(3600));
            }
            Some(Fault::Status(status, retry_after)) => {
                let mut t = ResponseTemplate::new(status)
                    .set_body_json(
                        json!({"error": {"message": format!("status {status}"), "type": "test"}}),
                    )
                    .set_delay(latency);
                if let Some(s) = retry_after {
                    t = t.insert_header("Retry-After", s.to_string().as_str());
                }
                return t;
            }
            Some(Fault::DropLast) => {
                translations.pop();
                content = json!({"translations": translations}).to_string();
            }
            Some(Fault::NotJson) => content = "I am sorry, I cannot help with that.".into(),
            None => {}
        }
        let chars: usize = segments
            .iter()
            .map(|s| s["text"].as_str().unwrap_or("").chars().count())
            .sum();
        state.answered.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop"
                }],
                "usage": {"prompt_tokens": chars + 150, "completion_tokens": chars, "total_tokens": 2 * chars + 150}
            }))
            .set_delay(latency)
    }
}

/// Starts a server at `http://127.0.0.1:PORT` answering `POST /v1/chat/completions`.
pub async fn start(behaviour: Behaviour) -> (MockServer, Arc<State>) {
    let server = MockServer::start().await;
    let state = Arc::new(State {
        behaviour: Mutex::new(behaviour),
        log: Mutex::new(Log::default()),
        requests: AtomicUsize::new(0),
        answered: AtomicUsize::new(0),
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Responder(state.clone()))
        .mount(&server)
        .await;
    (server, state)
}

/// A `bitext.toml` whose default backend `local` is this server.
pub fn config(server: &MockServer, concurrency: usize, timeout_secs: f64) -> String {
    format!(
        "default_backend = \"local\"\n\n[backend.local]\nkind = \"openai\"\nbase_url = \"{}/v1\"\n\
         model = \"fake-1\"\napi_key_env = \"FAKE_OPENAI_KEY\"\nconcurrency = {concurrency}\n\
         timeout_secs = {timeout_secs}\nresponse_format = \"json_schema\"\n",
        server.uri()
    )
}

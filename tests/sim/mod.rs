//! A simulated OpenAI-compatible chat-completions server for tests and benchmarks.
//!
//! Loopback only (`127.0.0.1:0` by default). It speaks the batch protocol of the `openai`
//! backend: the last user message is the JSON object
//! `{"segments":[["id","text"]],"terms":["source=target"],"context":{…}}` (version 2; the
//! objects of version 1 are read too) and the answer's
//! `choices[0].message.content` is `{"translations":[{"id","text"}]}`. Every translation is
//! a deterministic function of the segment ([`fake_translation`]): it carries the id, a hash
//! of the source text and the target of every term whose source occurs in the segment, so a
//! test can check that each output is paired with the right source.
//!
//! Faults are drawn per request from a seeded hash of (seed, batch, attempt number of that
//! batch), so a run is reproducible whatever the order in which concurrent requests arrive.
//! Counters ([`Stats`]) record what the server saw.
//!
//! The same code runs as a standalone server: `cargo run --release --example sim_server`.
//! This module is compiled into the integration tests (`mod sim;`) and, through `#[path]`,
//! into the example and the benches, so it only uses crates every target can see.
#![allow(dead_code)]

mod batch;
#[allow(unused_imports)] // not every target that includes the server uses them
pub use batch::{BatchConfig, BatchStats, Fate};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the server does. Rates are probabilities per request in `0.0..=1.0`; the fault kinds
/// (429, 500, drop, slow, missing id, extra id, junk) are exclusive and drawn in that order,
/// "forgets terms", "fenced" and "think" are drawn independently on answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// Time the server takes for every answer (after reading the request).
    pub latency: Duration,
    /// More time per character of the segments' text (a model writes longer answers for
    /// longer input): the answer takes `latency + latency_per_char × characters`.
    pub latency_per_char: Duration,
    pub seed: u64,
    /// 429 with `Retry-After` (and `retry-after-ms`).
    pub rate_429: f64,
    /// What a 429 asks the client to wait. Whole seconds go in `Retry-After`; the exact value
    /// in milliseconds goes in `retry-after-ms` (the header OpenAI's own clients honour).
    pub retry_after: Duration,
    /// 500 with an OpenAI-style error body.
    pub rate_500: f64,
    /// Read the request, then close the connection without a word.
    pub rate_drop: f64,
    /// Send the headers and half the body, wait `slow_body`, then the rest (a correct answer).
    pub rate_slow: f64,
    pub slow_body: Duration,
    /// A correct answer without the batch's last id.
    pub rate_missing_id: f64,
    /// A correct answer with one id the batch did not have.
    pub rate_extra_id: f64,
    /// 200 whose message content is prose, not JSON.
    pub rate_junk: f64,
    /// An answer that leaves out every glossary target.
    pub rate_forget_terms: f64,
    /// An answer whose segments with inline placeholders (`<x1>…</x1>`) lose their last one.
    pub rate_drop_tags: f64,
    /// An answer whose segments with inline placeholders give them back in reverse order
    /// (`</x1>…<x1>`: crossed).
    pub rate_reorder_tags: f64,
    /// Wrap the content in a ```json code fence.
    pub rate_fenced: f64,
    /// Put a `<think>…</think>` block before the content (as some local models do).
    pub think: bool,
    /// Requests beyond this many in flight get an immediate 429 (with `retry_after`).
    pub max_in_flight: Option<usize>,
    /// After this many successful answers, every further chat request hangs (no answer until
    /// the server stops).
    pub hang_after: Option<u64>,
    /// Answer every request with this status and body (e.g. 401, 402, DeepL 456).
    pub fixed_status: Option<(u16, String)>,
    /// The Batch API (`/v1/files`, `/v1/batches`; see `batch.rs`).
    pub batch: BatchConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            latency: Duration::ZERO,
            latency_per_char: Duration::ZERO,
            seed: 0,
            rate_429: 0.0,
            retry_after: Duration::from_secs(1),
            rate_500: 0.0,
            rate_drop: 0.0,
            rate_slow: 0.0,
            slow_body: Duration::from_millis(200),
            rate_missing_id: 0.0,
            rate_extra_id: 0.0,
            rate_junk: 0.0,
            rate_forget_terms: 0.0,
            rate_drop_tags: 0.0,
            rate_reorder_tags: 0.0,
            rate_fenced: 0.0,
            think: false,
            max_in_flight: None,
            hang_after: None,
            fixed_status: None,
            batch: BatchConfig::default(),
        }
    }
}

/// One chat request as the server saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRecord {
    /// Arrival, in milliseconds since the server started.
    pub at_ms: u64,
    /// Segment ids in the request, in order.
    pub ids: Vec<String>,
    /// Per-segment keys (`id#hash`, see [`segment_key`]).
    pub keys: Vec<String>,
    pub outcome: Outcome,
}

/// What the server did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// A complete, correct answer, sent slowly.
    Slow,
    RateLimited,
    /// 429 because `max_in_flight` requests were already being served.
    Overloaded,
    ServerError,
    Dropped,
    MissingId,
    ExtraId,
    Junk,
    Hung,
    Fixed,
    /// The request was not the batch protocol (400).
    BadRequest,
}

impl Outcome {
    /// Whether the answer translated every segment of the request correctly.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Ok | Outcome::Slow)
    }
}

/// Counters. `early_retries` counts requests that carried a segment the server had answered
/// with a 429 whose `Retry-After` had not yet passed; `early_requests` counts any request that
/// arrived before the latest `Retry-After` given (the stricter, per-client reading).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Chat requests received (every outcome).
    pub requests: u64,
    /// Segments received, summed over requests.
    pub segments: u64,
    /// Segments answered correctly (in `Ok` and `Slow` answers).
    pub segments_answered: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Characters of every message's content, summed over chat requests (what the client
    /// sent: system prompt, ids, terms, context and text).
    pub prompt_chars: u64,
    /// Characters of the segments' text, summed over chat requests.
    pub segment_chars: u64,
    pub max_in_flight: usize,
    pub early_retries: u64,
    pub early_requests: u64,
    /// For each of the `early_requests`: milliseconds since the server gave the latest 429
    /// (a request sent before the client could have read that 429 arrives within a few ms).
    pub early_request_lags_ms: Vec<u64>,
    /// Answers that left out the glossary targets (`rate_forget_terms`).
    pub forgot_terms: u64,
    /// Requests by outcome.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// How many requests carried each segment (key `id#hash`).
    pub per_segment: BTreeMap<String, u32>,
    /// How many correct answers each segment got.
    pub answered: BTreeMap<String, u32>,
    /// Every chat request in arrival order.
    #[serde(skip)]
    pub log: Vec<RequestRecord>,
}

impl Stats {
    pub fn outcome(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    /// Segments that were answered correctly more than once (paid for twice).
    pub fn answered_twice(&self) -> Vec<(&str, u32)> {
        self.answered
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(k, n)| (k.as_str(), *n))
            .collect()
    }
}

/// First 8 hex digits of SHA-256 of the source text.
pub fn source_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of a segment in the counters: `b3.s1#1a2b3c4d` (the same id occurs in every
/// article, the hash tells them apart).
pub fn segment_key(id: &str, text: &str) -> String {
    format!("{id}#{}", source_hash(text))
}

/// The start of every fake translation of a segment: `EN[b3.s1] 1a2b3c4d`.
pub fn fake_prefix(id: &str, source: &str) -> String {
    format!("EN[{id}] {}", source_hash(source))
}

/// The fake translation of a segment: its prefix, then the target of every term whose source
/// occurs in the segment, in the order of the request's `terms`, then every Latin-script word
/// of the source that contains a digit or a capital (`5G`, `SCO`, `iPhone`), kept as a
/// translator keeps them; a source with inline placeholders gets them back in order, each
/// pair around the word `w`.
pub fn fake_translation(id: &str, source: &str, terms: &[(String, String)]) -> String {
    let mut text = fake_prefix(id, source);
    for (_, token) in bitext::inline::tokens(source) {
        if let bitext::inline::Token::Tag(tag) = token {
            text.push_str(&tag.to_string());
            if matches!(tag, bitext::inline::Tag::Open(_)) {
                text.push('w');
            }
        }
    }
    for (term_source, target) in terms {
        if !term_source.is_empty() && source.contains(term_source.as_str()) {
            text.push(' ');
            text.push_str(target);
        }
    }
    for word in source.split(|c: char| !c.is_ascii_alphanumeric()) {
        let kept = word
            .chars()
            .any(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
        if kept && !text.split(' ').any(|w| w == word) {
            text.push(' ');
            text.push_str(word);
        }
    }
    text.push('.');
    text
}

/// An answer with its inline placeholders broken: the last one left out (`drop`), or all of
/// them in reverse order (`reorder`).
fn break_tags(answer: &str, drop: bool, reorder: bool) -> String {
    use bitext::inline::Token;
    let tokens = bitext::inline::tokens(answer);
    let mut tags: Vec<String> = tokens
        .iter()
        .filter_map(|(_, t)| match t {
            Token::Tag(tag) => Some(tag.to_string()),
            Token::Text(_) => None,
        })
        .collect();
    if tags.is_empty() || !(drop || reorder) {
        return answer.to_string();
    }
    if drop {
        tags.pop();
    }
    if reorder {
        tags.reverse();
    }
    let text: String = tokens
        .iter()
        .filter_map(|(_, t)| match t {
            Token::Text(t) => Some(*t),
            Token::Tag(_) => None,
        })
        .collect();
    format!("{text}{}", tags.concat())
}

/// A running server. Dropping it stops the server (hanging requests are cut off).
pub struct Sim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Sim {
    /// Starts a server on `127.0.0.1:0`.
    pub fn start(config: SimConfig) -> Sim {
        Sim::start_on("127.0.0.1:0".parse().expect("loopback address"), config)
    }

    /// Starts a server on a given loopback address (the example binary's `--port`).
    pub fn start_on(addr: SocketAddr, config: SimConfig) -> Sim {
        assert!(
            addr.ip().is_loopback(),
            "the simulated server is loopback-only"
        );
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sim-server")
            .enable_all()
            .build()
            .expect("tokio runtime for the simulated server");
        // Bound with std so that a test already inside a runtime can start a server.
        let listener = std::net::TcpListener::bind(addr).expect("bind the simulated server");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            state: Mutex::new(State::default()),
            in_flight: AtomicUsize::new(0),
            started: Instant::now(),
            batch: Mutex::default(),
        });
        let accept_shared = shared.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, accept_shared.clone()));
            }
        });
        Sim {
            addr,
            shared,
            runtime: Some(runtime),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.state.lock().unwrap().stats.clone()
    }

    /// Zeroes the counters and forgets given Retry-After deadlines and batch attempts.
    pub fn reset(&self) {
        *self.shared.state.lock().unwrap() = State::default();
    }

    /// Requests being served now (a hanging request stays in flight).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no request is being served (e.g. those of a killed client, whose answers
    /// would otherwise land in counters reset after the kill). False on timeout.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let started = Instant::now();
        while self.in_flight() > 0 {
            if started.elapsed() > timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    pub fn config(&self) -> SimConfig {
        self.shared.config.lock().unwrap().clone()
    }

    /// Changes the behaviour for the following requests.
    pub fn set_config(&self, config: SimConfig) {
        *self.shared.config.lock().unwrap() = config;
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

struct Shared {
    config: Mutex<SimConfig>,
    state: Mutex<State>,
    in_flight: AtomicUsize,
    started: Instant,
    batch: Mutex<batch::BatchState>,
}

#[derive(Default)]
struct State {
    stats: Stats,
    /// Segment key → the instant before which a request carrying it is early.
    deadlines: HashMap<String, Instant>,
    /// The latest Retry-After deadline given to anyone, and when that 429 was given.
    latest_deadline: Option<Instant>,
    latest_429: Option<Instant>,
    /// Batch hash → how many times it was received.
    attempts: HashMap<String, u64>,
}

/// An HTTP request, as much as the server needs.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    close: bool,
}

/// What to send back.
enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Slow {
        body: Vec<u8>,
        pause: Duration,
    },
    Drop,
    Hang,
}

impl Reply {
    fn json(status: u16, body: &Value) -> Reply {
        Reply::Full {
            status,
            headers: vec![],
            body: body.to_string().into_bytes(),
        }
    }

    fn error(status: u16, kind: &str, message: &str) -> Reply {
        Reply::json(
            status,
            &json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
        )
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let request = match read_request(&mut reader).await {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(message) => {
                let reply = Reply::error(400, "invalid_request_error", &message);
                let _ = write_reply(&mut write, reply, true, None).await;
                return;
            }
        };
        let close = request.close;
        let Routed {
            reply,
            in_flight,
            delivered,
        } = route(&shared, request).await;
        match reply {
            Reply::Drop => return,
            Reply::Hang => std::future::pending::<()>().await,
            reply => {
                // Counted before the write so that a client reading the counters after its
                // answer sees them.
                if !delivered.is_empty() {
                    let mut state = shared.state.lock().unwrap();
                    let stats = &mut state.stats;
                    stats.segments_answered += delivered.len() as u64;
                    for key in delivered {
                        *stats.answered.entry(key).or_default() += 1;
                    }
                }
                let written = write_reply(&mut write, reply, close, in_flight)
                    .await
                    .is_ok();
                if !written || close {
                    return;
                }
            }
        }
    }
}

const MAX_HEADER: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

async fn read_request<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
) -> Result<Option<Request>, String> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = reader
            .read_until(b'\n', &mut head)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err("connection closed inside the request head".into())
            };
        }
        if head.len() > MAX_HEADER {
            return Err("request head too large".into());
        }
        let line = &head[before..];
        if line == b"\r\n" || line == b"\n" {
            if before == 0 {
                head.clear(); // stray blank line between requests
                continue;
            }
            break;
        }
    }
    let head = String::from_utf8(head).map_err(|_| "request head is not UTF-8".to_string())?;
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let version = parts.next().unwrap_or_default().to_string();
    let mut content_length = 0usize;
    let mut chunked = false;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                content_length = value.parse().map_err(|_| "bad content-length")?;
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }
    let body = if chunked {
        read_chunked(reader).await?
    } else {
        if content_length > MAX_BODY {
            return Err("request body too large".into());
        }
        let mut body = vec![0; content_length];
        reader
            .read_exact(&mut body)
            .await
            .map_err(|e| e.to_string())?;
        body
    };
    Ok(Some(Request {
        method,
        path,
        body,
        close,
    }))
}

async fn read_chunked<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader
            .read_line(&mut size_line)
            .await
            .map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| "bad chunk size")?;
        if body.len() + size > MAX_BODY {
            return Err("request body too large".into());
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader
            .read_exact(&mut body[start..])
            .await
            .map_err(|e| e.to_string())?;
        let mut crlf = String::new();
        reader
            .read_line(&mut crlf)
            .await
            .map_err(|e| e.to_string())?;
        if size == 0 {
            // Trailers end with an empty line; `crlf` already read the first line after the
            // last chunk, which is empty when there are none.
            while !crlf.trim().is_empty() {
                crlf.clear();
                reader
                    .read_line(&mut crlf)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            return Ok(body);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        456 => "Quota Exceeded",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes a reply. The in-flight slot is given back just before the last bytes go out, so a
/// client never sees its answer before the server counts the request as finished.
async fn write_reply<W: AsyncWriteExt + Unpin>(
    write: &mut W,
    reply: Reply,
    close: bool,
    in_flight: Option<InFlight>,
) -> std::io::Result<()> {
    let connection = if close { "close" } else { "keep-alive" };
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {connection}\r\n",
                reason(status),
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            drop(in_flight);
            write.write_all(head.as_bytes()).await?;
            write.write_all(&body).await?;
            write.flush().await
        }
        Reply::Slow { body, pause } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: {connection}\r\n\r\n",
                body.len()
            );
            write.write_all(head.as_bytes()).await?;
            let half = body.len() / 2;
            write.write_all(&body[..half]).await?;
            write.flush().await?;
            tokio::time::sleep(pause).await;
            drop(in_flight);
            write.write_all(&body[half..]).await?;
            write.flush().await
        }
        Reply::Drop | Reply::Hang => Ok(()),
    }
}

/// A reply, the in-flight slot it holds until it is written, and the segment keys it answers
/// correctly.
struct Routed {
    reply: Reply,
    in_flight: Option<InFlight>,
    delivered: Vec<String>,
}

impl From<Reply> for Routed {
    fn from(reply: Reply) -> Routed {
        Routed {
            reply,
            in_flight: None,
            delivered: vec![],
        }
    }
}

async fn route(shared: &Arc<Shared>, request: Request) -> Routed {
    let fixed = shared.config.lock().unwrap().fixed_status.clone();
    if let Some((status, body)) = fixed {
        let mut state = shared.state.lock().unwrap();
        state.stats.requests += 1;
        *state.stats.outcomes.entry(Outcome::Fixed).or_default() += 1;
        return Reply::Full {
            status,
            headers: vec![],
            body: body.into_bytes(),
        }
        .into();
    }
    let path = request.path.split('?').next().unwrap_or_default();
    let reply = match (request.method.as_str(), path) {
        ("POST", "/v1/chat/completions" | "/chat/completions") => {
            return chat(shared, &request).await;
        }
        (_, path) if batch::serves(path) => batch::route(shared, &request).await,
        ("GET", "/v1/models" | "/models") => Reply::json(
            200,
            &json!({"object": "list", "data": [{"id": "sim", "object": "model", "owned_by": "bitext-sim"}]}),
        ),
        ("GET", "/sim/stats") => {
            let stats = shared.state.lock().unwrap().stats.clone();
            Reply::json(200, &serde_json::to_value(&stats).unwrap_or(Value::Null))
        }
        ("POST", "/sim/reset") => {
            *shared.state.lock().unwrap() = State::default();
            Reply::json(200, &json!({"reset": true}))
        }
        _ => Reply::error(404, "not_found", &format!("no route for {path}")),
    };
    reply.into()
}

/// The batch protocol inside a chat request.
struct ChatBatch {
    model: String,
    segments: Vec<(String, String)>,
    terms: Vec<(String, String)>,
    prompt_chars: usize,
}

/// Reads the batch from the last user message. The content is the protocol's JSON object;
/// a client that wraps it in prose still works (the outermost `{…}` is read).
fn parse_chat(body: &[u8]) -> Result<ChatBatch, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("request is not JSON: {e}"))?;
    let model = value["model"].as_str().unwrap_or("sim").to_string();
    let messages = value["messages"]
        .as_array()
        .ok_or("request has no messages")?;
    let prompt_chars = messages
        .iter()
        .filter_map(|m| m["content"].as_str())
        .map(|c| c.chars().count())
        .sum();
    let user = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .ok_or("request has no user message")?;
    let content = match &user["content"] {
        Value::String(s) => s.clone(),
        // Content parts: [{"type":"text","text":"…"}]
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => return Err("user message has no text content".into()),
    };
    let object = match serde_json::from_str::<Value>(&content) {
        Ok(v) => v,
        Err(_) => {
            let start = content
                .find('{')
                .ok_or("user message holds no JSON object")?;
            let end = content
                .rfind('}')
                .ok_or("user message holds no JSON object")?;
            serde_json::from_str(&content[start..=end])
                .map_err(|e| format!("user message JSON: {e}"))?
        }
    };
    // Protocol v2 sends segments as `[id, text]` pairs and terms as `"source=target"`
    // lines; v1 sent objects. Both are read.
    let segments = object["segments"]
        .as_array()
        .ok_or("user message has no \"segments\" array")?
        .iter()
        .map(|s| match s {
            Value::Array(pair) => Some((
                pair.first()?.as_str()?.to_string(),
                pair.get(1)?.as_str()?.to_string(),
            )),
            _ => Some((
                s["id"].as_str()?.to_string(),
                s["text"].as_str()?.to_string(),
            )),
        })
        .collect::<Option<Vec<_>>>()
        .ok_or("a segment lacks a string id or text")?;
    let terms = object["terms"]
        .as_array()
        .map(|terms| {
            terms
                .iter()
                .filter_map(|t| match t {
                    Value::String(line) => line
                        .split_once('=')
                        .map(|(s, t)| (s.to_string(), t.to_string())),
                    _ => Some((t["source"].as_str()?.into(), t["target"].as_str()?.into())),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ChatBatch {
        model,
        segments,
        terms,
        prompt_chars,
    })
}

/// A uniform draw in `[0, 1)` from a hash of the seed, the batch and what the draw is for.
fn draw(seed: u64, batch: &str, attempt: u64, purpose: &str) -> f64 {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(batch.as_bytes());
    hasher.update(attempt.to_le_bytes());
    hasher.update(purpose.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// Decrements the in-flight count when a request is done (answered, dropped or cancelled).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn rate_limited(retry_after: Duration, message: &str) -> Reply {
    let secs = retry_after.as_millis().div_ceil(1000).max(1);
    Reply::Full {
        status: 429,
        headers: vec![
            ("retry-after".into(), secs.to_string()),
            (
                "retry-after-ms".into(),
                retry_after.as_millis().to_string(),
            ),
        ],
        body: json!({"error": {"message": message, "type": "requests", "param": null, "code": "rate_limit_exceeded"}})
            .to_string()
            .into_bytes(),
    }
}

async fn chat(shared: &Arc<Shared>, request: &Request) -> Routed {
    let config = shared.config.lock().unwrap().clone();
    let now = Instant::now();
    let batch = match parse_chat(&request.body) {
        Ok(batch) => batch,
        Err(message) => {
            let mut state = shared.state.lock().unwrap();
            state.stats.requests += 1;
            *state.stats.outcomes.entry(Outcome::BadRequest).or_default() += 1;
            return Reply::error(400, "invalid_request_error", &message).into();
        }
    };
    let keys: Vec<String> = batch
        .segments
        .iter()
        .map(|(id, text)| segment_key(id, text))
        .collect();
    let batch_key = keys.join(",");

    // Arrival bookkeeping, the in-flight limit and the fault draw, under one lock.
    let previous = shared.in_flight.fetch_add(1, Ordering::SeqCst);
    let guard = InFlight(shared.clone());
    let outcome = {
        let mut state = shared.state.lock().unwrap();
        let stats = &mut state.stats;
        stats.requests += 1;
        stats.segments += keys.len() as u64;
        stats.input_tokens += tokens(batch.prompt_chars);
        stats.prompt_chars += batch.prompt_chars as u64;
        stats.segment_chars += batch
            .segments
            .iter()
            .map(|(_, text)| text.chars().count() as u64)
            .sum::<u64>();
        for key in &keys {
            *stats.per_segment.entry(key.clone()).or_default() += 1;
        }
        let early = keys
            .iter()
            .any(|k| state.deadlines.get(k).is_some_and(|d| now < *d));
        if early {
            state.stats.early_retries += 1;
        }
        if state.latest_deadline.is_some_and(|d| now < d) {
            state.stats.early_requests += 1;
            let lag = state
                .latest_429
                .map_or(0, |t| now.duration_since(t).as_millis() as u64);
            state.stats.early_request_lags_ms.push(lag);
        }
        let attempt = {
            let n = state.attempts.entry(batch_key.clone()).or_default();
            *n += 1;
            *n
        };
        let answered_ok = state.stats.outcome(Outcome::Ok) + state.stats.outcome(Outcome::Slow);
        let outcome = if config.max_in_flight.is_some_and(|max| previous >= max) {
            Outcome::Overloaded
        } else if config.hang_after.is_some_and(|n| answered_ok >= n) {
            Outcome::Hung
        } else {
            let u = draw(config.seed, &batch_key, attempt, "fault");
            let mut edge = 0.0;
            let mut pick = Outcome::Ok;
            for (rate, outcome) in [
                (config.rate_429, Outcome::RateLimited),
                (config.rate_500, Outcome::ServerError),
                (config.rate_drop, Outcome::Dropped),
                (config.rate_slow, Outcome::Slow),
                (config.rate_missing_id, Outcome::MissingId),
                (config.rate_extra_id, Outcome::ExtraId),
                (config.rate_junk, Outcome::Junk),
            ] {
                edge += rate;
                if u < edge {
                    pick = outcome;
                    break;
                }
            }
            pick
        };
        if matches!(outcome, Outcome::RateLimited | Outcome::Overloaded) {
            let deadline = now + config.retry_after;
            for key in &keys {
                state.deadlines.insert(key.clone(), deadline);
            }
            if state.latest_deadline.is_none_or(|d| d < deadline) {
                state.latest_deadline = Some(deadline);
                state.latest_429 = Some(now);
            }
        }
        let in_flight = previous + 1;
        let stats = &mut state.stats;
        if outcome != Outcome::Overloaded {
            stats.max_in_flight = stats.max_in_flight.max(in_flight);
        }
        *stats.outcomes.entry(outcome).or_default() += 1;
        stats.log.push(RequestRecord {
            at_ms: now.duration_since(shared.started).as_millis() as u64,
            ids: batch.segments.iter().map(|(id, _)| id.clone()).collect(),
            keys: keys.clone(),
            outcome,
        });
        (outcome, attempt)
    };
    let (outcome, attempt) = outcome;
    match outcome {
        Outcome::Overloaded => {
            return rate_limited(config.retry_after, "too many requests in flight").into();
        }
        Outcome::Hung => {
            return Routed {
                reply: Reply::Hang,
                in_flight: Some(guard),
                delivered: vec![],
            };
        }
        _ => {}
    }
    let chars: u32 = batch
        .segments
        .iter()
        .map(|(_, text)| text.chars().count() as u32)
        .sum();
    let latency = config.latency + config.latency_per_char * chars;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let reply = match outcome {
        Outcome::RateLimited => rate_limited(config.retry_after, "Rate limit reached (simulated)"),
        Outcome::ServerError => Reply::error(
            500,
            "server_error",
            "The server had an error while processing your request (simulated)",
        ),
        Outcome::Dropped => Reply::Drop,
        _ => {
            let forget =
                draw(config.seed, &batch_key, attempt, "forget") < config.rate_forget_terms;
            let no_terms: Vec<(String, String)> = vec![];
            let terms = if forget { &no_terms } else { &batch.terms };
            let drop_tags =
                draw(config.seed, &batch_key, attempt, "drop-tags") < config.rate_drop_tags;
            let reorder_tags =
                draw(config.seed, &batch_key, attempt, "reorder-tags") < config.rate_reorder_tags;
            let mut translations: Vec<Value> = batch
                .segments
                .iter()
                .map(|(id, text)| {
                    let answer = fake_translation(id, text, terms);
                    let answer = break_tags(&answer, drop_tags, reorder_tags);
                    json!({"id": id, "text": answer})
                })
                .collect();
            match outcome {
                Outcome::MissingId => {
                    translations.pop();
                }
                Outcome::ExtraId => translations.push(json!({
                    "id": "b999.s999",
                    "text": "EN[b999.s999] an extra sentence nobody asked for."
                })),
                _ => {}
            }
            let mut content = if outcome == Outcome::Junk {
                "I'm sorry, but I can only translate one sentence at a time. Here is my attempt: \
                 the expo opened in Chongqing."
                    .to_string()
            } else {
                json!({"translations": translations}).to_string()
            };
            if draw(config.seed, &batch_key, attempt, "fence") < config.rate_fenced {
                content = format!("```json\n{content}\n```");
            }
            if config.think {
                content = format!(
                    "<think>\nThe user wants JSON. {{\"translations\": []}}\n</think>\n{content}"
                );
            }
            let output_tokens = tokens(content.chars().count());
            let input_tokens = tokens(batch.prompt_chars);
            {
                let mut state = shared.state.lock().unwrap();
                let stats = &mut state.stats;
                stats.output_tokens += output_tokens;
                if forget && !batch.terms.is_empty() {
                    stats.forgot_terms += 1;
                }
            }
            let body = json!({
                "id": format!("chatcmpl-sim-{attempt}"),
                "object": "chat.completion",
                "created": 1_700_000_000u64,
                "model": batch.model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop"
                }],
                "usage": {
                    "prompt_tokens": input_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": input_tokens + output_tokens
                }
            })
            .to_string()
            .into_bytes();
            if outcome == Outcome::Slow {
                Reply::Slow {
                    body,
                    pause: config.slow_body,
                }
            } else {
                Reply::Full {
                    status: 200,
                    headers: vec![],
                    body,
                }
            }
        }
    };
    Routed {
        reply,
        in_flight: Some(guard),
        delivered: if outcome.is_success() { keys } else { vec![] },
    }
}

/// A rough token count: one token per two characters (Chinese runs near one per character,
/// English near one per four).
fn tokens(chars: usize) -> u64 {
    chars.div_ceil(2) as u64
}

#[cfg(test)]
mod tests;

//! The Batch API of the simulated server: `POST /v1/files` (multipart, purpose `batch`),
//! `GET /v1/files`, `GET /v1/files/{id}/content`, `POST /v1/batches`,
//! `GET /v1/batches[/{id}]`, `POST /v1/batches/{id}/cancel`, in OpenAI's shapes.
//!
//! Each request line is answered by the same deterministic translator as the chat endpoint
//! ([`super::fake_translation`]) and counted in [`BatchStats`], not in the chat counters, so a
//! test can tell batch work from interactive requests. A batch moves
//! `validating → in_progress → completed` over [`BatchConfig::polls_to_finish`] status
//! polls. Faults: failed lines (the error file), junk output lines (unknown or repeated
//! `custom_id`, a body that is not a completion), and whole batches that fail validation,
//! expire or are cancelled.

use super::{Reply, Request, Shared, Sim, draw, fake_translation, parse_chat};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How the Batch API behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BatchConfig {
    /// Status polls (`GET /v1/batches/{id}`) before a batch is finished.
    pub polls_to_finish: u32,
    /// Share of request lines that fail (an error line in the error file), drawn per line
    /// and per attempt of that line.
    pub line_fail_rate: f64,
    /// Share of request lines answered with junk in the output file (an unknown `custom_id`,
    /// the line twice with different answers, or a body that is not a chat completion).
    pub junk_rate: f64,
    /// The first `count` batches created end this way instead of completing.
    pub fate: Option<(Fate, usize)>,
    /// Time an upload takes (to kill a client in the middle of one).
    pub upload_latency: Duration,
    /// Time a batch creation takes.
    pub create_latency: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            polls_to_finish: 2,
            line_fail_rate: 0.0,
            junk_rate: 0.0,
            fate: None,
            upload_latency: Duration::ZERO,
            create_latency: Duration::ZERO,
        }
    }
}

/// How a batch ends when it does not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Validation fails: no line is run.
    Failed,
    /// The window ends with half the lines done (their output is kept).
    Expired,
    /// Cancelled after half the lines (their output is kept).
    Cancelled,
}

/// What the Batch API saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchStats {
    pub uploads: u64,
    pub batches_created: u64,
    pub polls: u64,
    /// Request lines run (every batch, every attempt).
    pub lines: u64,
    pub failed_lines: u64,
    pub junk_lines: u64,
    /// custom_id → batches it was in.
    pub per_custom_id: BTreeMap<String, u32>,
    /// Segment key (`id#hash`) → correct answers delivered in output files.
    pub answered: BTreeMap<String, u32>,
    /// Batch ids in creation order, with their line counts.
    pub created: Vec<(String, usize)>,
}

struct File {
    filename: String,
    purpose: String,
    content: Vec<u8>,
}

struct Batch {
    id: String,
    input_file_id: String,
    metadata: Value,
    status: &'static str,
    polls: u32,
    /// Lines of the input, and the precomputed output and error lines.
    total: usize,
    outputs: Vec<String>,
    errors: Vec<String>,
    fate: Option<Fate>,
    validation_error: Option<String>,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
    /// Lines done when the batch stopped (expired, cancelled).
    done: usize,
    created_at: u64,
    /// Segment keys answered by each output line.
    delivered: Vec<Vec<String>>,
}

#[derive(Default)]
pub(super) struct BatchState {
    files: BTreeMap<String, File>,
    batches: Vec<Batch>,
    stats: BatchStats,
    next: u64,
}

impl Sim {
    /// The Batch API's counters.
    pub fn batch_stats(&self) -> BatchStats {
        self.shared.batch.lock().unwrap().stats.clone()
    }
}

/// Whether `path` belongs to the Batch API.
pub(super) fn serves(path: &str) -> bool {
    path.starts_with("/v1/files") || path.starts_with("/v1/batches")
}

pub(super) async fn route(shared: &Shared, request: &Request) -> Reply {
    let config = shared.config.lock().unwrap().batch.clone();
    let seed = shared.config.lock().unwrap().seed;
    let path = request.path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    match (request.method.as_str(), parts.as_slice()) {
        ("POST", ["files"]) => {
            if !config.upload_latency.is_zero() {
                tokio::time::sleep(config.upload_latency).await;
            }
            upload(shared, &request.body)
        }
        ("GET", ["files"]) => {
            let state = shared.batch.lock().unwrap();
            let data: Vec<Value> = state
                .files
                .iter()
                .map(|(id, f)| file_object(id, f))
                .collect();
            Reply::json(
                200,
                &json!({"object": "list", "data": data, "has_more": false}),
            )
        }
        ("GET", ["files", id, "content"]) => {
            let state = shared.batch.lock().unwrap();
            match state.files.get(*id) {
                Some(f) => Reply::Full {
                    status: 200,
                    headers: vec![],
                    body: f.content.clone(),
                },
                None => Reply::error(404, "invalid_request_error", "No such File object"),
            }
        }
        ("POST", ["batches"]) => {
            if !config.create_latency.is_zero() {
                tokio::time::sleep(config.create_latency).await;
            }
            create(shared, &request.body, &config, seed)
        }
        ("GET", ["batches"]) => {
            let state = shared.batch.lock().unwrap();
            let data: Vec<Value> = state.batches.iter().rev().map(batch_object).collect();
            Reply::json(
                200,
                &json!({"object": "list", "data": data, "has_more": false}),
            )
        }
        ("GET", ["batches", id]) => poll(shared, id, &config),
        ("POST", ["batches", id, "cancel"]) => {
            let mut state = shared.batch.lock().unwrap();
            match state.batches.iter_mut().find(|b| b.id == *id) {
                Some(b)
                    if !matches!(b.status, "completed" | "failed" | "expired" | "cancelled") =>
                {
                    b.status = "cancelling";
                    b.fate = Some(Fate::Cancelled);
                    Reply::json(200, &batch_object(b))
                }
                Some(b) => Reply::json(200, &batch_object(b)),
                None => Reply::error(404, "invalid_request_error", "No such Batch object"),
            }
        }
        _ => Reply::error(404, "not_found", &format!("no route for {path}")),
    }
}

fn file_object(id: &str, f: &File) -> Value {
    json!({
        "id": id, "object": "file", "bytes": f.content.len(), "created_at": 1_700_000_000u64,
        "filename": f.filename, "purpose": f.purpose, "status": "processed"
    })
}

fn batch_object(b: &Batch) -> Value {
    let completed = match b.status {
        "validating" | "failed" => 0,
        "in_progress" => b.done,
        _ => b.outputs.len(),
    };
    let failed = match b.status {
        "completed" | "expired" | "cancelled" => b.errors.len(),
        _ => 0,
    };
    json!({
        "id": b.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "errors": b.validation_error.as_ref().map(|m| json!({"object": "list", "data": [{"code": "invalid_request", "message": m, "param": null, "line": 1}]})),
        "input_file_id": b.input_file_id,
        "completion_window": "24h",
        "status": b.status,
        "output_file_id": b.output_file_id,
        "error_file_id": b.error_file_id,
        "created_at": b.created_at,
        "request_counts": {"total": b.total, "completed": completed, "failed": failed},
        "metadata": b.metadata,
    })
}

/// A form field: its file name (for a file) and content.
type Field = (Option<String>, Vec<u8>);

/// Reads a `multipart/form-data` body: the first line is the boundary.
fn multipart(body: &[u8]) -> Result<HashMap<String, Field>, String> {
    let first = body
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or("not multipart")?;
    let boundary = &body[..first];
    if !boundary.starts_with(b"--") {
        return Err("not multipart".into());
    }
    let mut fields = HashMap::new();
    let mut rest = &body[first + 2..];
    loop {
        let end = rest
            .windows(boundary.len())
            .position(|w| w == boundary)
            .ok_or("unterminated part")?;
        let part = &rest[..end.saturating_sub(2)]; // minus the CRLF before the boundary
        let head_end = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("part without headers")?;
        let head = String::from_utf8_lossy(&part[..head_end]).to_string();
        let content = part[head_end + 4..].to_vec();
        let attr = |name: &str| {
            let marker = format!("{name}=\"");
            head.find(&marker).and_then(|i| {
                let start = i + marker.len();
                head[start..]
                    .find('"')
                    .map(|j| head[start..start + j].to_string())
            })
        };
        let name = attr("name").ok_or("part without a name")?;
        fields.insert(name, (attr("filename"), content));
        rest = &rest[end + boundary.len()..];
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        rest = rest.strip_prefix(b"\r\n").unwrap_or(rest);
    }
}

fn upload(shared: &Shared, body: &[u8]) -> Reply {
    let fields = match multipart(body) {
        Ok(f) => f,
        Err(m) => return Reply::error(400, "invalid_request_error", &m),
    };
    let purpose = fields
        .get("purpose")
        .map(|(_, v)| String::from_utf8_lossy(v).to_string());
    let Some((filename, content)) = fields.get("file") else {
        return Reply::error(400, "invalid_request_error", "missing file");
    };
    if purpose.as_deref() != Some("batch") {
        return Reply::error(400, "invalid_request_error", "purpose must be batch");
    }
    let mut state = shared.batch.lock().unwrap();
    state.next += 1;
    let id = format!("file-sim{:04}", state.next);
    let file = File {
        filename: filename.clone().unwrap_or_else(|| "upload.jsonl".into()),
        purpose: "batch".into(),
        content: content.clone(),
    };
    let object = file_object(&id, &file);
    state.files.insert(id, file);
    state.stats.uploads += 1;
    Reply::json(200, &object)
}

fn create(shared: &Shared, body: &[u8], config: &BatchConfig, seed: u64) -> Reply {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Reply::error(400, "invalid_request_error", "body is not JSON");
    };
    if request["endpoint"] != "/v1/chat/completions" || request["completion_window"] != "24h" {
        return Reply::error(
            400,
            "invalid_request_error",
            "endpoint must be /v1/chat/completions and completion_window 24h",
        );
    }
    let mut state = shared.batch.lock().unwrap();
    let Some(input) = request["input_file_id"]
        .as_str()
        .and_then(|id| state.files.get(id))
    else {
        return Reply::error(404, "invalid_request_error", "No such File object");
    };
    let content = String::from_utf8_lossy(&input.content).to_string();
    let created = state.stats.batches_created as usize;
    let mut fate = config.fate.and_then(|(f, n)| (created < n).then_some(f));
    let mut validation_error = None;
    let mut outputs = Vec::new();
    let mut errors = Vec::new();
    let mut delivered = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for (n, line) in content.lines().enumerate() {
        let parsed: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) => {
                validation_error = Some(format!("line {} is not JSON", n + 1));
                break;
            }
        };
        let custom_id = parsed["custom_id"].as_str().unwrap_or_default().to_string();
        if custom_id.is_empty()
            || parsed["method"] != "POST"
            || parsed["url"] != "/v1/chat/completions"
            || !seen.insert(custom_id.clone())
        {
            validation_error = Some(format!(
                "line {}: missing or repeated custom_id, or wrong method/url",
                n + 1
            ));
            break;
        }
        lines.push((custom_id, parsed["body"].clone()));
    }
    if validation_error.is_some() {
        fate = Some(Fate::Failed);
    } else if fate == Some(Fate::Failed) {
        validation_error = Some("simulated validation failure".into());
    }
    state.next += 1;
    let id = format!("batch_sim{:04}", state.next);
    let total = lines.len();
    if fate != Some(Fate::Failed) {
        for (custom_id, body) in &lines {
            let attempt = {
                let n = state
                    .stats
                    .per_custom_id
                    .entry(custom_id.clone())
                    .or_default();
                *n += 1;
                *n as u64
            };
            state.stats.lines += 1;
            let request_id = format!("req_{}", &custom_id[..custom_id.len().min(12)]);
            if draw(seed, custom_id, attempt, "batch-line") < config.line_fail_rate {
                state.stats.failed_lines += 1;
                errors.push(
                    json!({"id": format!("batch_req_{custom_id}"), "custom_id": custom_id, "response": null,
                           "error": {"code": "server_error", "message": "simulated line failure"}})
                    .to_string(),
                );
                continue;
            }
            let Ok(chat) = parse_chat(body.to_string().as_bytes()) else {
                errors.push(
                    json!({"id": format!("batch_req_{custom_id}"), "custom_id": custom_id,
                           "response": {"status_code": 400, "request_id": request_id, "body": {"error": {"message": "not the batch protocol"}}},
                           "error": null})
                    .to_string(),
                );
                continue;
            };
            let translations: Vec<Value> = chat
                .segments
                .iter()
                .map(|(sid, text)| json!({"id": sid, "text": fake_translation(sid, text, &chat.terms)}))
                .collect();
            let completion = |translations: &[Value]| {
                json!({
                    "id": format!("chatcmpl-{custom_id}"),
                    "object": "chat.completion",
                    "created": 1_700_000_000u64,
                    "model": chat.model,
                    "choices": [{"index": 0, "message": {"role": "assistant",
                        "content": json!({"translations": translations}).to_string()},
                        "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": chat.prompt_chars.div_ceil(2), "completion_tokens": 10, "total_tokens": 10 + chat.prompt_chars.div_ceil(2)}
                })
            };
            let line = |custom_id: &str, body: Value| {
                json!({"id": format!("batch_req_{custom_id}"), "custom_id": custom_id,
                       "response": {"status_code": 200, "request_id": request_id, "body": body}, "error": null})
                .to_string()
            };
            if draw(seed, custom_id, attempt, "batch-junk") < config.junk_rate {
                // The three kinds in turn, so that a few junk lines show each.
                let kind = state.stats.junk_lines % 3;
                state.stats.junk_lines += 1;
                match kind {
                    0 => outputs.push(line(
                        "bx-not-a-request-of-this-batch",
                        completion(&translations),
                    )),
                    1 => {
                        // The same custom_id twice, the second with the segments' answers
                        // swapped: which is right cannot be told.
                        let mut swapped = translations.clone();
                        swapped.reverse();
                        outputs.push(line(custom_id, completion(&translations)));
                        outputs.push(line(custom_id, completion(&swapped)));
                    }
                    _ => outputs.push(line(custom_id, json!("<html>Bad gateway</html>"))),
                }
                continue;
            }
            outputs.push(line(custom_id, completion(&translations)));
            delivered.push(
                chat.segments
                    .iter()
                    .map(|(sid, text)| super::segment_key(sid, text))
                    .collect(),
            );
        }
    }
    state.stats.batches_created += 1;
    state.stats.created.push((id.clone(), total));
    let batch = Batch {
        id,
        input_file_id: request["input_file_id"].as_str().unwrap_or_default().into(),
        metadata: request["metadata"].clone(),
        status: "validating",
        polls: 0,
        total,
        outputs,
        errors,
        fate,
        validation_error,
        output_file_id: None,
        error_file_id: None,
        done: 0,
        created_at: 1_700_000_000 + state.next,
        delivered,
    };
    let object = batch_object(&batch);
    state.batches.push(batch);
    Reply::json(200, &object)
}

fn poll(shared: &Shared, id: &str, config: &BatchConfig) -> Reply {
    let mut guard = shared.batch.lock().unwrap();
    let state = &mut *guard;
    state.stats.polls += 1;
    let Some(b) = state.batches.iter_mut().find(|b| b.id == id) else {
        return Reply::error(404, "invalid_request_error", "No such Batch object");
    };
    if matches!(b.status, "completed" | "failed" | "expired" | "cancelled") {
        return Reply::json(200, &batch_object(b));
    }
    b.polls += 1;
    let finish = config.polls_to_finish.max(1);
    let half = b.outputs.len() / 2;
    let stopping = b.polls >= finish || b.status == "cancelling";
    match b.fate {
        Some(Fate::Failed) => b.status = "failed",
        Some(fate @ (Fate::Expired | Fate::Cancelled)) if stopping => {
            b.status = if fate == Fate::Expired {
                "expired"
            } else {
                "cancelled"
            };
            b.outputs.truncate(half.max(b.done.min(b.outputs.len())));
            b.delivered.truncate(b.outputs.len());
        }
        None if b.polls >= finish => b.status = "completed",
        _ => {
            b.status = "in_progress";
            b.done = b.outputs.len() * b.polls as usize / finish as usize;
        }
    }
    if matches!(b.status, "completed" | "expired" | "cancelled") {
        for keys in &b.delivered {
            for key in keys {
                *state.stats.answered.entry(key.clone()).or_default() += 1;
            }
        }
        let mut store = |lines: &[String], kind: &str, next: &mut u64| -> Option<String> {
            if lines.is_empty() {
                return None;
            }
            *next += 1;
            let file_id = format!("file-sim{:04}", *next);
            let mut content = lines.join("\n");
            content.push('\n');
            state.files.insert(
                file_id.clone(),
                File {
                    filename: format!("{}_{kind}.jsonl", b.id),
                    purpose: "batch_output".into(),
                    content: content.into_bytes(),
                },
            );
            Some(file_id)
        };
        b.output_file_id = store(&b.outputs, "output", &mut state.next);
        b.error_file_id = store(&b.errors, "error", &mut state.next);
    }
    Reply::json(200, &batch_object(b))
}

//! The OpenAI Batch API's shapes: the request line of an input file, the output line of a
//! result file (what `vllm run-batch` writes too), the batch and file objects.
//!
//! Input line: `{"custom_id","method":"POST","url":"/v1/chat/completions","body":{…}}`.
//! Output line: `{"id","custom_id","response":{"status_code","request_id","body"},"error"}`
//! (`response` is null when `error` is set).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The endpoint every bitext request line names.
pub const ENDPOINT: &str = "/v1/chat/completions";

/// One line of a batch input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    pub custom_id: String,
    pub method: String,
    pub url: String,
    pub body: Value,
}

impl RequestLine {
    /// A chat-completions request line whose `custom_id` is a hash of the body: the same
    /// request always gets the same id, two different requests never share one.
    pub fn chat(body: Value) -> RequestLine {
        RequestLine {
            custom_id: custom_id(&body),
            method: "POST".into(),
            url: ENDPOINT.into(),
            body,
        }
    }
}

/// `bx-` and 32 hex digits of SHA-256 over the request body's JSON text.
pub fn custom_id(body: &Value) -> String {
    let digest = Sha256::digest(body.to_string().as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("bx-{hex}")
}

/// One line of a batch output (or error) file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutputLine {
    #[serde(default)]
    pub id: Option<String>,
    pub custom_id: String,
    #[serde(default)]
    pub response: Option<LineResponse>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// The HTTP answer to one request line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LineResponse {
    pub status_code: u16,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub body: Value,
}

/// `status` of a batch object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Failed,
    Expired,
    Cancelling,
    Cancelled,
}

impl BatchStatus {
    /// Whether the batch will not change any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            BatchStatus::Completed
                | BatchStatus::Failed
                | BatchStatus::Expired
                | BatchStatus::Cancelled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Validating => "validating",
            BatchStatus::InProgress => "in_progress",
            BatchStatus::Finalizing => "finalizing",
            BatchStatus::Completed => "completed",
            BatchStatus::Failed => "failed",
            BatchStatus::Expired => "expired",
            BatchStatus::Cancelling => "cancelling",
            BatchStatus::Cancelled => "cancelled",
        }
    }
}

/// `request_counts` of a batch object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub completed: u64,
    #[serde(default)]
    pub failed: u64,
}

/// A batch object (`POST /v1/batches`, `GET /v1/batches/{id}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BatchObject {
    pub id: String,
    pub status: BatchStatus,
    #[serde(default)]
    pub input_file_id: Option<String>,
    #[serde(default)]
    pub output_file_id: Option<String>,
    #[serde(default)]
    pub error_file_id: Option<String>,
    #[serde(default)]
    pub request_counts: Option<RequestCounts>,
    /// `{"object":"list","data":[{"code","message","line"}]}` when validation failed.
    #[serde(default)]
    pub errors: Option<Value>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, Value>>,
}

impl BatchObject {
    /// The first validation error's message, if any.
    pub fn error_message(&self) -> Option<String> {
        let first = self.errors.as_ref()?.get("data")?.as_array()?.first()?;
        let message = first.get("message")?.as_str()?;
        Some(match first.get("line").and_then(Value::as_u64) {
            Some(line) => format!("line {line}: {message}"),
            None => message.to_string(),
        })
    }
}

/// A file object (`POST /v1/files`, `GET /v1/files`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FileObject {
    pub id: String,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
    #[serde(default)]
    pub bytes: Option<u64>,
}

/// A page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListPage<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub last_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_id_is_a_stable_hash_of_the_body() {
        let a = RequestLine::chat(json!({"model": "m", "messages": [1]}));
        let b = RequestLine::chat(json!({"model": "m", "messages": [1]}));
        let c = RequestLine::chat(json!({"model": "m", "messages": [2]}));
        assert_eq!(a.custom_id, b.custom_id);
        assert_ne!(a.custom_id, c.custom_id);
        assert_eq!(a.custom_id.len(), 3 + 32);
        let line = serde_json::to_value(&a).unwrap();
        assert_eq!(line["method"], "POST");
        assert_eq!(line["url"], "/v1/chat/completions");
    }

    #[test]
    fn output_lines_in_openai_and_vllm_shape() {
        let ok: OutputLine = serde_json::from_str(
            r#"{"id":"batch_req_1","custom_id":"bx-1","response":{"status_code":200,"request_id":"r","body":{"choices":[]}},"error":null}"#,
        )
        .unwrap();
        assert_eq!(ok.response.unwrap().status_code, 200);
        let failed: OutputLine = serde_json::from_str(
            r#"{"id":"batch_req_2","custom_id":"bx-2","response":null,"error":{"code":"server_error","message":"boom"}}"#,
        )
        .unwrap();
        assert!(failed.response.is_none() && failed.error.is_some());
        let batch: BatchObject = serde_json::from_str(
            r#"{"id":"batch_1","object":"batch","status":"failed","errors":{"object":"list","data":[{"code":"invalid_json_line","message":"bad","line":3}]}}"#,
        )
        .unwrap();
        assert_eq!(batch.error_message().unwrap(), "line 3: bad");
        assert!(batch.status.is_terminal());
    }
}

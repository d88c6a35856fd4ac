//! The Batch API over HTTP: `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files`,
//! `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches[/{id}]`,
//! `POST /v1/batches/{id}/cancel`. Errors are the backends' own ([`BackendError`]), with the
//! key redacted; transient failures and 429s are retried here a few times.

use super::lines::{BatchObject, ENDPOINT, FileObject, ListPage};
use crate::backend::BackendError;
use crate::backend::http::{self, ApiKey, Failure};
use crate::backend::openai::OpenAiBackend;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Attempts of one call on transient failures and rate limits.
const ATTEMPTS: u32 = 5;

/// A Batch API client for an OpenAI-compatible backend's base URL and key.
pub struct BatchClient {
    name: String,
    base_url: String,
    key: Option<ApiKey>,
    key_setting: String,
    timeout: Duration,
    client: reqwest::Client,
    /// First backoff delay (doubled per attempt).
    pub backoff: Duration,
}

impl std::fmt::Debug for BatchClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchClient")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl BatchClient {
    pub fn new(backend: &OpenAiBackend) -> Result<BatchClient, BackendError> {
        let s = backend.settings();
        // Uploads and downloads can be large: a longer timeout than one chat request.
        let timeout = s.timeout.max(Duration::from_secs(600));
        Ok(BatchClient {
            name: s.name.clone(),
            base_url: s.base_url.clone(),
            key: s.api_key.clone(),
            key_setting: s.key_setting.clone(),
            timeout,
            client: http::client(&s.name, timeout)?,
            backoff: Duration::from_millis(500),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn authorise(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.key {
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    /// Sends (with retries) and returns the body of a 2xx answer.
    async fn call(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<String, BackendError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = http::send(
                &self.name,
                self.authorise(build()),
                self.key.as_ref(),
                self.timeout,
            )
            .await
            .and_then(|(status, headers, body)| {
                if (200..300).contains(&status) {
                    Ok(body)
                } else {
                    Err(http::classify_status(Failure {
                        backend: &self.name,
                        key_setting: &self.key_setting,
                        key: self.key.as_ref(),
                        status,
                        retry_after: http::retry_after(&headers),
                        exhausted: http::exhausted_window(&headers),
                        body: &body,
                        quota_status: None,
                        quota_marker: Some("insufficient_quota"),
                    }))
                }
            });
            match result {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    let wait = match &e {
                        BackendError::RateLimited {
                            retry_after: Some(d),
                            ..
                        } => *d,
                        _ => self.backoff.saturating_mul(1 << attempt.min(8)),
                    };
                    tracing::debug!(backend = %self.name, %what, error = %e, "batch API retry");
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
                Ok(body) => return Ok(body),
            }
        }
    }

    fn parse<T: DeserializeOwned>(&self, what: &str, body: &str) -> Result<T, BackendError> {
        serde_json::from_str(body)
            .map_err(|e| http::bad_json(&self.name, what, &e, body, self.key.as_ref()))
    }

    /// Uploads a request file as `filename` (multipart, purpose `batch`).
    pub async fn upload(&self, path: &Path, filename: &str) -> Result<FileObject, BackendError> {
        let content = tokio::fs::read(path)
            .await
            .map_err(|e| BackendError::Config {
                backend: self.name.clone(),
                detail: format!("{}: cannot read: {e}", path.display()),
            })?;
        let (content_type, body) = multipart(filename, &content);
        let body = self
            .call("file upload", || {
                self.client
                    .post(self.url("/files"))
                    .header(reqwest::header::CONTENT_TYPE, content_type.clone())
                    .body(body.clone())
            })
            .await?;
        self.parse("file object", &body)
    }

    /// Files with purpose `batch` (to find an upload whose answer a kill cut off).
    pub async fn list_files(&self) -> Result<Vec<FileObject>, BackendError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![
                ("purpose", "batch".to_string()),
                ("limit", "10000".to_string()),
            ];
            if let Some(a) = &after {
                query.push(("after", a.clone()));
            }
            let body = self
                .call("file list", || {
                    self.client.get(with_query(&self.url("/files"), &query))
                })
                .await?;
            let page: ListPage<FileObject> = self.parse("file list", &body)?;
            let more = page.has_more;
            after = page
                .last_id
                .clone()
                .or_else(|| page.data.last().map(|f| f.id.clone()));
            all.extend(page.data);
            if !more || after.is_none() {
                return Ok(all);
            }
        }
    }

    /// Creates a batch over an uploaded file, tagged with `intent` in its metadata.
    pub async fn create(&self, file_id: &str, intent: &str) -> Result<BatchObject, BackendError> {
        let request = json!({
            "input_file_id": file_id,
            "endpoint": ENDPOINT,
            "completion_window": "24h",
            "metadata": {"bitext_intent": intent},
        });
        let body = self
            .call("batch create", || {
                self.client.post(self.url("/batches")).json(&request)
            })
            .await?;
        self.parse("batch object", &body)
    }

    pub async fn get(&self, batch_id: &str) -> Result<BatchObject, BackendError> {
        let body = self
            .call("batch status", || {
                self.client.get(self.url(&format!("/batches/{batch_id}")))
            })
            .await?;
        self.parse("batch object", &body)
    }

    pub async fn cancel(&self, batch_id: &str) -> Result<BatchObject, BackendError> {
        let body = self
            .call("batch cancel", || {
                self.client
                    .post(self.url(&format!("/batches/{batch_id}/cancel")))
            })
            .await?;
        self.parse("batch object", &body)
    }

    /// Every batch of the account, newest first (to find a creation whose answer a kill cut
    /// off, by its `metadata.bitext_intent`).
    pub async fn list(&self) -> Result<Vec<BatchObject>, BackendError> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("limit", "100".to_string())];
            if let Some(a) = &after {
                query.push(("after", a.clone()));
            }
            let body = self
                .call("batch list", || {
                    self.client.get(with_query(&self.url("/batches"), &query))
                })
                .await?;
            let page: ListPage<BatchObject> = self.parse("batch list", &body)?;
            let more = page.has_more;
            after = page
                .last_id
                .clone()
                .or_else(|| page.data.last().map(|b| b.id.clone()));
            all.extend(page.data);
            if !more || after.is_none() {
                return Ok(all);
            }
        }
    }

    /// Streams a file's content (`GET /v1/files/{id}/content`) to `path`.
    pub async fn download(&self, file_id: &str, path: &Path) -> Result<(), BackendError> {
        use tokio::io::AsyncWriteExt;
        let io = |e: std::io::Error| BackendError::Config {
            backend: self.name.clone(),
            detail: format!("{}: cannot write: {e}", path.display()),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.authorise(
                self.client
                    .get(self.url(&format!("/files/{file_id}/content"))),
            );
            let result: Result<(), BackendError> = async {
                let mut response = request.send().await.map_err(|e| {
                    http::classify_transport(&self.name, &e, self.key.as_ref(), self.timeout)
                })?;
                let status = response.status().as_u16();
                if !(200..300).contains(&status) {
                    let headers = response.headers().clone();
                    let body = response.text().await.unwrap_or_default();
                    return Err(http::classify_status(Failure {
                        backend: &self.name,
                        key_setting: &self.key_setting,
                        key: self.key.as_ref(),
                        status,
                        retry_after: http::retry_after(&headers),
                        exhausted: http::exhausted_window(&headers),
                        body: &body,
                        quota_status: None,
                        quota_marker: None,
                    }));
                }
                let mut file = tokio::fs::File::create(path).await.map_err(io)?;
                while let Some(chunk) = response.chunk().await.map_err(|e| {
                    http::classify_transport(&self.name, &e, self.key.as_ref(), self.timeout)
                })? {
                    file.write_all(&chunk).await.map_err(io)?;
                }
                file.flush().await.map_err(io)?;
                Ok(())
            }
            .await;
            match result {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    tokio::time::sleep(self.backoff.saturating_mul(1 << attempt.min(8))).await;
                }
                other => return other,
            }
        }
    }
}

/// A `multipart/form-data` body with the fields `purpose=batch` and `file`.
fn multipart(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    // A boundary that does not occur in the content.
    let mut boundary = format!("bitext-{:016x}", fastrand::u64(..));
    while content
        .windows(boundary.len())
        .any(|w| w == boundary.as_bytes())
    {
        boundary = format!("bitext-{:016x}", fastrand::u64(..));
    }
    let mut body = Vec::with_capacity(content.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
             Content-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `url?name=value&…` with the values percent-encoded.
fn with_query(url: &str, query: &[(&str, String)]) -> String {
    match reqwest::Url::parse_with_params(url, query) {
        Ok(url) => url.to_string(),
        Err(_) => url.to_string(),
    }
}

/// The `metadata.bitext_intent` of a batch object.
pub fn intent_of(batch: &BatchObject) -> Option<&str> {
    batch
        .metadata
        .as_ref()?
        .get("bitext_intent")
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_body_has_purpose_and_file() {
        let (ct, body) = multipart("bitext-x.jsonl", b"{\"a\":1}\n");
        let boundary = ct.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"purpose\"\r\n\r\nbatch\r\n"));
        assert!(text.contains("filename=\"bitext-x.jsonl\""));
        assert!(text.ends_with(&format!("{{\"a\":1}}\n\r\n--{boundary}--\r\n")));
    }
}

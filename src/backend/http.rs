//! Shared pieces of the HTTP clients: the secret type, key redaction, the reqwest client with
//! its timeouts, `Retry-After` parsing, and the mapping of HTTP statuses and transport failures
//! to [`BackendError`].
//!
//! Clients never retry: they classify each failure precisely and the pipeline decides.

use super::BackendError;
use std::fmt;
use std::time::{Duration, SystemTime};

/// An API key. Its `Debug` and `Display` never show the value; only [`ApiKey::expose`] does,
/// and only the code that builds a request header or body calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; `None` for an empty or all-blank value (an unset key, in effect).
    pub fn new(value: impl Into<String>) -> Option<ApiKey> {
        let value = value.into();
        let trimmed = value.trim();
        (!trimmed.is_empty()).then(|| ApiKey(trimmed.to_string()))
    }

    /// The key itself, for the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Removes the key from `text`: the whole key and any run of 8 or more of its characters
/// (servers echo keys whole, truncated or partly masked). Without a key, returns `text`.
pub fn redact(text: &str, key: Option<&ApiKey>) -> String {
    const MIN: usize = 8;
    let Some(key) = key else {
        return text.to_string();
    };
    let key: Vec<char> = key.expose().chars().collect();
    let mut out = text.to_string();
    if key.len() < MIN {
        return out.replace(&key.iter().collect::<String>(), "<redacted>");
    }
    // Longest windows first, so the whole key goes before its pieces.
    let mut len = key.len();
    while len >= MIN {
        for start in 0..=key.len() - len {
            let window: String = key[start..start + len].iter().collect();
            if out.contains(&window) {
                out = out.replace(&window, "<redacted>");
            }
        }
        len -= 1;
    }
    out
}

/// Shortens a server's error text for a one-line message: whitespace collapsed, at most
/// `max` characters, the key redacted.
pub fn excerpt(text: &str, key: Option<&ApiKey>, max: usize) -> String {
    let redacted = redact(text, key);
    let collapsed: String = redacted.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::text::truncate(&collapsed, max).into_owned()
}

/// Builds the reqwest client every backend uses: a total timeout per request, a shorter
/// connect timeout, and no proxy surprises beyond reqwest's defaults.
pub fn client(backend: &str, timeout: Duration) -> Result<reqwest::Client, BackendError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("bitext/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| BackendError::Config {
            backend: backend.to_string(),
            detail: format!("cannot build the HTTP client: {e}"),
        })
}

/// Checks that a base URL is an absolute http(s) URL and returns it without a trailing slash.
pub fn base_url(backend: &str, url: &str, setting: &str) -> Result<String, BackendError> {
    let trimmed = url.trim().trim_end_matches('/');
    let ok = match reqwest::Url::parse(trimmed) {
        Ok(parsed) => matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some(),
        Err(_) => false,
    };
    if ok {
        Ok(trimmed.to_string())
    } else {
        Err(BackendError::Config {
            backend: backend.to_string(),
            detail: format!("bad URL {trimmed:?} (expected http:// or https://); check {setting}"),
        })
    }
}

/// Parses a `Retry-After` value: delay-seconds (`120`, also `1.5`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), relative to `now`. A date in the past gives zero.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let when = SystemTime::from(date);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The delay a response asks for: `retry-after-ms` (OpenAI's extension) or `Retry-After`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// Parses an `x-ratelimit-reset-*` value: OpenAI's durations (`1s`, `6m0s`, `20ms`, `1h2m`)
/// or plain seconds.
pub fn parse_reset(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut chars = value.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += n * unit;
        any = true;
    }
    (any && number.is_empty()).then(|| Duration::from_secs_f64(total))
}

/// When a response says a whole limit is used up (`x-ratelimit-remaining-requests` or
/// `-tokens` is 0), how long until it resets (`x-ratelimit-reset-*`; the longest of the
/// exhausted limits).
pub fn exhausted_window(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let get = |name: String| headers.get(name).and_then(|v| v.to_str().ok());
    ["requests", "tokens"]
        .into_iter()
        .filter(|kind| {
            get(format!("x-ratelimit-remaining-{kind}"))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .is_some_and(|n| n <= 0.0)
        })
        .filter_map(|kind| get(format!("x-ratelimit-reset-{kind}")).and_then(parse_reset))
        .max()
}

/// What a client knows when it maps a failed response.
pub struct Failure<'a> {
    pub backend: &'a str,
    /// The setting that holds the key (`OPENAI_API_KEY`), named in `Auth` errors.
    pub key_setting: &'a str,
    pub key: Option<&'a ApiKey>,
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// The window of a limit the server says is used up ([`exhausted_window`]).
    pub exhausted: Option<Duration>,
    /// The response body (already read).
    pub body: &'a str,
    /// The API reports exhausted credit with this status (DeepL 456) or body marker
    /// (OpenAI `insufficient_quota`), besides HTTP 402.
    pub quota_status: Option<u16>,
    pub quota_marker: Option<&'a str>,
}

/// Maps an HTTP error status to a classified error:
/// 401/403 → `Auth`, 402 and the API's own quota signals → `Quota`, 429 → `RateLimited`,
/// 408/5xx → `Transient`, 404 → `Config` (wrong base URL or model), other 4xx → `Refused`.
pub fn classify_status(f: Failure<'_>) -> BackendError {
    let backend = f.backend.to_string();
    let body = excerpt(f.body, f.key, 300);
    let detail = if body.is_empty() {
        format!("HTTP {}", f.status)
    } else {
        format!("HTTP {}: {body}", f.status)
    };
    let quota_in_body = f.quota_marker.is_some_and(|m| f.body.contains(m));
    if f.status == 402 || Some(f.status) == f.quota_status || quota_in_body {
        return BackendError::Quota { backend, detail };
    }
    match f.status {
        401 | 403 => BackendError::Auth {
            backend,
            detail,
            setting: f.key_setting.to_string(),
        },
        429 => BackendError::RateLimited {
            backend,
            retry_after: match (f.retry_after, f.exhausted) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
            whole_quota: f.exhausted.is_some(),
        },
        408 | 500..=599 => BackendError::Transient { backend, detail },
        404 => BackendError::Config {
            backend,
            detail: format!("{detail}; check the base URL and model"),
        },
        _ => BackendError::Refused { backend, detail },
    }
}

/// Maps a transport failure (no HTTP status): a timeout is `TimedOut`; a refused connection,
/// unknown host or TLS failure `Unreachable`; reset connections and broken bodies
/// `Transient`; a request that could not even be built is `Config`.
pub fn classify_transport(
    backend: &str,
    err: &reqwest::Error,
    key: Option<&ApiKey>,
    timeout: Duration,
) -> BackendError {
    let backend = backend.to_string();
    // Walk the source chain for a readable cause; reqwest's Display alone is terse.
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let text = excerpt(&text, key, 300);
    if err.is_timeout() {
        BackendError::TimedOut {
            backend,
            after: timeout,
        }
    } else if err.is_connect() {
        BackendError::Unreachable {
            backend,
            detail: text,
        }
    } else if err.is_builder() {
        BackendError::Config {
            backend,
            detail: text,
        }
    } else {
        BackendError::Transient {
            backend,
            detail: text,
        }
    }
}

/// Sends a request and returns the status, headers and body text, with transport failures
/// classified. The body is read under the same timeout.
pub async fn send(
    backend: &str,
    request: reqwest::RequestBuilder,
    key: Option<&ApiKey>,
    timeout: Duration,
) -> Result<(u16, reqwest::header::HeaderMap, String), BackendError> {
    let response = request
        .send()
        .await
        .map_err(|e| classify_transport(backend, &e, key, timeout))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|e| classify_transport(backend, &e, key, timeout))?;
    Ok((status, headers, body))
}

/// A `NotApi` error when a 2xx answer is an HTML page or declares a content type that is not
/// JSON (a captive portal, a web server at the wrong base URL); `None` for a JSON answer.
pub fn not_api(
    backend: &str,
    headers: &reqwest::header::HeaderMap,
    body: &str,
    key: Option<&ApiKey>,
) -> Option<BackendError> {
    let content_type = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let html = body.trim_start().starts_with('<');
    let declared_other = !content_type.is_empty() && !content_type.contains("json");
    (html || declared_other).then(|| BackendError::NotApi {
        backend: backend.to_string(),
        detail: format!(
            "{} answer: {}",
            if content_type.is_empty() {
                "untyped"
            } else {
                content_type.split(';').next().unwrap_or_default()
            },
            excerpt(body, key, 80)
        ),
    })
}

/// A `BadResponse` for an answer that is not the expected JSON, with the parser's message and
/// the start of the body.
pub fn bad_json(
    backend: &str,
    what: &str,
    err: &serde_json::Error,
    body: &str,
    key: Option<&ApiKey>,
) -> BackendError {
    BackendError::BadResponse {
        backend: backend.to_string(),
        detail: format!(
            "{what} is not the expected JSON ({err}): {}",
            excerpt(body, key, 120)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_400); // 07:26:40 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(" 1.5 ", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(80))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn retry_after_ms_header_wins() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
    }

    #[test]
    fn redaction_removes_whole_and_partial_keys() {
        let key = ApiKey::new("sk-canary-0123456789abcdef").unwrap();
        let text =
            "bad key sk-canary-0123456789abcdef; you sent sk-canary-0123…; ends 456789abcdef";
        let out = redact(text, Some(&key));
        assert!(!out.contains("0123456789abcdef"), "{out}");
        assert!(!out.contains("canary-0123"), "{out}");
        assert!(!out.contains("456789abcdef"), "{out}");
        assert!(out.starts_with("bad key <redacted>;"), "{out}");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(format!("{key}"), "<redacted>");
        assert_eq!(ApiKey::new("  "), None);
    }

    #[test]
    fn statuses_are_classified() {
        let f = |status: u16, body: &'static str| Failure {
            backend: "t",
            key_setting: "T_KEY",
            key: None,
            status,
            retry_after: Some(Duration::from_secs(3)),
            exhausted: None,
            body,
            quota_status: Some(456),
            quota_marker: Some("insufficient_quota"),
        };
        assert!(matches!(
            classify_status(f(401, "")),
            BackendError::Auth { .. }
        ));
        assert!(matches!(
            classify_status(f(403, "")),
            BackendError::Auth { .. }
        ));
        assert!(matches!(
            classify_status(f(402, "")),
            BackendError::Quota { .. }
        ));
        assert!(matches!(
            classify_status(f(456, "")),
            BackendError::Quota { .. }
        ));
        assert!(matches!(
            classify_status(f(429, r#"{"error":{"type":"insufficient_quota"}}"#)),
            BackendError::Quota { .. }
        ));
        assert_eq!(
            classify_status(f(429, "")),
            BackendError::RateLimited {
                backend: "t".into(),
                retry_after: Some(Duration::from_secs(3)),
                whole_quota: false,
            }
        );
        assert!(matches!(
            classify_status(f(503, "")),
            BackendError::Transient { .. }
        ));
        assert!(matches!(
            classify_status(f(404, "")),
            BackendError::Config { .. }
        ));
        assert!(matches!(
            classify_status(f(400, "")),
            BackendError::Refused { .. }
        ));
    }

    #[test]
    fn exhausted_limits_name_their_reset() {
        assert_eq!(parse_reset("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(parse_reset("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(parse_reset("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_reset("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_reset("soon"), None);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-ratelimit-remaining-requests", "3".parse().unwrap());
        headers.insert("x-ratelimit-reset-requests", "1s".parse().unwrap());
        headers.insert("x-ratelimit-remaining-tokens", "0".parse().unwrap());
        headers.insert("x-ratelimit-reset-tokens", "7s".parse().unwrap());
        assert_eq!(exhausted_window(&headers), Some(Duration::from_secs(7)));
        headers.insert("x-ratelimit-remaining-tokens", "10".parse().unwrap());
        assert_eq!(exhausted_window(&headers), None);
    }

    #[test]
    fn html_and_other_content_types_are_not_api_answers() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("content-type", "text/html; charset=utf-8".parse().unwrap());
        let err = not_api("t", &headers, "<html>Sign in to Wi-Fi</html>", None).unwrap();
        assert!(err.to_string().contains("text/html answer"), "{err}");
        headers.insert("content-type", "application/json".parse().unwrap());
        assert!(not_api("t", &headers, "{}", None).is_none());
        assert!(not_api("t", &headers, "<!DOCTYPE html>", None).is_some());
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            base_url("t", "http://127.0.0.1:8080/v1/", "X").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        let err = base_url("t", "localhost:11434", "OPENAI_BASE_URL").unwrap_err();
        assert!(err.to_string().contains("OPENAI_BASE_URL"), "{err}");
    }
}

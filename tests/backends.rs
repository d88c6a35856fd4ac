//! The HTTP clients against wiremock servers on 127.0.0.1 (real request/response shapes of
//! each API), the command backend against small python3 scripts, the factory, and
//! `bitext backends`.

use bitext::backend::command::{CommandBackend, CommandSettings};
use bitext::backend::deepl::{DeeplBackend, DeeplSettings};
use bitext::backend::http::ApiKey;
use bitext::backend::libretranslate::{LibreBackend, LibreSettings};
use bitext::backend::openai::{OpenAiBackend, OpenAiSettings, ResponseFormat};
use bitext::backend::{Backend, BackendError, Batch, Context, Item, TermPair, registry};
use bitext::config::{Config, Env, Overrides};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A key that must never appear in any output.
const CANARY: &str = "sk-canary-7f3a9c2e51d84b60e0d1";

fn key() -> Option<ApiKey> {
    ApiKey::new(CANARY)
}

/// Fails if the canary, or any 8 characters of it, appear in `text`.
fn assert_no_canary(text: &str) {
    let chars: Vec<char> = CANARY.chars().collect();
    for window in chars.windows(8) {
        let piece: String = window.iter().collect();
        assert!(
            !text.contains(&piece),
            "key fragment {piece:?} leaked in {text:?}"
        );
    }
}

fn assert_err_clean(err: &BackendError) {
    assert_no_canary(&format!("{err} {err:?}"));
}

fn term(source: &str, target: &str) -> TermPair {
    TermPair {
        source: source.into(),
        target: target.into(),
    }
}

/// Items `b1.s1`, `b1.s2`, … with Chinese text; the first has a glossary term.
fn batch(n: usize) -> Batch {
    let texts = [
        "两江新区发布新政。",
        "智博会在重庆开幕。",
        "会议持续三天。",
        "参展企业超过500家。",
    ];
    Batch {
        items: (0..n)
            .map(|i| Item {
                id: format!("b1.s{}", i + 1),
                text: texts[i % texts.len()].to_string(),
                terms: if i == 0 {
                    vec![term("两江新区", "Liangjiang New Area")]
                } else {
                    vec![]
                },
            })
            .collect(),
        context: Context {
            title: Some("智博会开幕".into()),
            ..Context::default()
        },
        source_lang: "zh-CN".into(),
        target_lang: "en".into(),
    }
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("request body is JSON")
}

fn header_of(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible
// ---------------------------------------------------------------------------------------------

fn openai_settings(server: &MockServer, format: Option<ResponseFormat>) -> OpenAiSettings {
    let mut s = OpenAiSettings::new(format!("{}/v1", server.uri()), "test-model");
    s.api_key = key();
    s.timeout = Duration::from_millis(1500);
    s.response_format = format;
    s
}

fn openai(server: &MockServer) -> OpenAiBackend {
    OpenAiBackend::new(openai_settings(server, Some(ResponseFormat::JsonObject))).unwrap()
}

fn chat(content: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_724_400_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 321, "completion_tokens": 54, "total_tokens": 375}
    })
}

fn answer(pairs: &[(&str, &str)]) -> String {
    let translations: Vec<Value> = pairs
        .iter()
        .map(|(id, text)| json!({"id": id, "text": text}))
        .collect();
    json!({ "translations": translations }).to_string()
}

async fn mount_chat(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(template)
        .mount(server)
        .await;
}

#[tokio::test]
async fn openai_success_sends_the_protocol_and_records_usage() {
    let server = MockServer::start().await;
    let content = answer(&[("b1.s1", "Liangjiang New Area issues new policies.")]);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {CANARY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
        .expect(1)
        .mount(&server)
        .await;
    let backend = openai(&server);
    let got = backend.translate(&batch(1)).await.unwrap();
    assert_eq!(got.outputs[0].id, "b1.s1");
    assert_eq!(
        got.outputs[0].text,
        "Liangjiang New Area issues new policies."
    );
    assert_eq!((got.usage.input_tokens, got.usage.output_tokens), (321, 54));

    let sent = &requests(&server).await[0];
    assert_eq!(
        header_of(sent, "content-type").as_deref(),
        Some("application/json")
    );
    let b = body(sent);
    assert_eq!(b["model"], "test-model");
    assert_eq!(b["response_format"], json!({"type": "json_object"}));
    assert_eq!(b["messages"][0]["role"], "system");
    assert!(
        b["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("protocol v2")
    );
    assert_eq!(b["messages"][1]["role"], "user");
    let user: Value = serde_json::from_str(b["messages"][1]["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        user,
        json!({
            "segments": [["b1.s1", "两江新区发布新政。"]],
            "terms": ["两江新区=Liangjiang New Area"],
            "context": {"title": "智博会开幕"}
        })
    );
    assert!(b.get("temperature").is_none());
}

#[tokio::test]
async fn openai_batch_out_of_order_is_restored_in_one_request() {
    let server = MockServer::start().await;
    let content = answer(&[
        ("b1.s3", "The meeting lasts three days."),
        ("b1.s1", "Liangjiang New Area issues new policies."),
        ("b1.s2", "The Smart China Expo opens in Chongqing."),
    ]);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
        .expect(1)
        .mount(&server)
        .await;
    let got = openai(&server).translate(&batch(3)).await.unwrap();
    let ids: Vec<&str> = got.outputs.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["b1.s1", "b1.s2", "b1.s3"]);
    assert_eq!(got.outputs[2].text, "The meeting lasts three days.");
    let user: Value = serde_json::from_str(
        body(&requests(&server).await[0])["messages"][1]["content"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(user["segments"].as_array().unwrap().len(), 3);
    // Only the batch's matched terms, once.
    assert_eq!(user["terms"], json!(["两江新区=Liangjiang New Area"]));
}

#[tokio::test]
async fn openai_missing_and_extra_ids_are_bad_responses() {
    let server = MockServer::start().await;
    let missing = answer(&[("b1.s1", "A."), ("b1.s3", "C.")]);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&missing)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let extra = answer(&[
        ("b1.s1", "A."),
        ("b1.s2", "B."),
        ("b1.s3", "C."),
        ("b1.s9", "X."),
    ]);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&extra)))
        .mount(&server)
        .await;
    let backend = openai(&server);
    let err = backend.translate(&batch(3)).await.unwrap_err();
    assert!(matches!(err, BackendError::IdMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("missing ids in answer: b1.s2"),
        "{err}"
    );
    let err = backend.translate(&batch(3)).await.unwrap_err();
    assert!(matches!(err, BackendError::IdMismatch { .. }), "{err}");
    assert!(err.to_string().contains("b1.s9"), "{err}");
}

#[tokio::test]
async fn openai_fences_prose_and_think_blocks_are_parsed() {
    let server = MockServer::start().await;
    let bare = answer(&[("b1.s1", "Liangjiang New Area issues new policies.")]);
    let contents = [
        format!("```json\n{bare}\n```"),
        format!("Here is the translation you asked for:\n\n{bare}\n"),
        format!(
            "<think>\nThe user wants {{\"translations\": \"…\"}}. 两江新区 is a term.\n</think>\n\n{bare}"
        ),
    ];
    for content in &contents {
        server.reset().await;
        mount_chat(
            &server,
            ResponseTemplate::new(200).set_body_json(chat(content)),
        )
        .await;
        let got = openai(&server).translate(&batch(1)).await.unwrap();
        assert_eq!(
            got.outputs[0].text, "Liangjiang New Area issues new policies.",
            "{content}"
        );
    }
    // An unfinished reasoning block, or no answer object at all, is not guessed at.
    for content in [
        "<think>Let me think about 两江新区",
        "Liangjiang New Area issues new policies.",
    ] {
        server.reset().await;
        mount_chat(
            &server,
            ResponseTemplate::new(200).set_body_json(chat(content)),
        )
        .await;
        let err = openai(&server).translate(&batch(1)).await.unwrap_err();
        assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
    }
}

#[tokio::test]
async fn openai_rate_limit_with_retry_after() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "7")
            .set_body_json(json!({"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}})),
    )
    .await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert_eq!(
        err,
        BackendError::RateLimited {
            backend: "openai".into(),
            retry_after: Some(Duration::from_secs(7)),
            whole_quota: false,
        }
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn openai_insufficient_quota_is_quota_even_on_429() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})),
    )
    .await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert!(matches!(err, BackendError::Quota { .. }), "{err}");
    assert!(err.is_fatal());
    assert!(
        err.to_string().contains("exceeded your current quota"),
        "{err}"
    );
    server.reset().await;
    mount_chat(
        &server,
        ResponseTemplate::new(402).set_body_string("Payment Required"),
    )
    .await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert!(matches!(err, BackendError::Quota { .. }), "{err}");
}

#[tokio::test]
async fn openai_server_error_is_transient_and_a_timeout_timed_out() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(500).set_body_string("upstream exploded"),
    )
    .await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert!(matches!(err, BackendError::Transient { .. }), "{err}");
    assert!(
        err.to_string().contains("HTTP 500: upstream exploded"),
        "{err}"
    );

    server.reset().await;
    let content = answer(&[("b1.s1", "late")]);
    mount_chat(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(chat(&content))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let mut s = openai_settings(&server, Some(ResponseFormat::JsonObject));
    s.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = OpenAiBackend::new(s)
        .unwrap()
        .translate(&batch(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::TimedOut { .. }), "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("no answer within 0.3s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn openai_auth_failure_never_shows_the_key_even_when_echoed() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({"error": {
            "message": format!("Incorrect API key provided: {CANARY}. You can find your API key at https://platform.openai.com/account/api-keys."),
            "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}})),
    )
    .await;
    let backend = openai(&server);
    let err = backend.translate(&batch(1)).await.unwrap_err();
    assert!(matches!(err, BackendError::Auth { .. }), "{err}");
    assert!(err.is_fatal());
    assert!(err.to_string().contains("check OPENAI_API_KEY"), "{err}");
    assert!(
        err.to_string().contains("Incorrect API key provided"),
        "{err}"
    );
    assert_err_clean(&err);
    assert_no_canary(&format!("{backend:?} {:?}", backend.settings()));
    // The key went out, in the header only.
    let sent = &requests(&server).await[0];
    assert_eq!(
        header_of(sent, "authorization"),
        Some(format!("Bearer {CANARY}"))
    );
    assert!(!String::from_utf8_lossy(&sent.body).contains(CANARY));
}

#[tokio::test]
async fn openai_malformed_json_is_a_bad_response() {
    let server = MockServer::start().await;
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json"),
    )
    .await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("chat completion is not the expected JSON"),
        "{err}"
    );
    // A truncated answer is not parsed either.
    server.reset().await;
    let mut cut = chat("{\"translations\":[{\"id\":\"b1.s1\",\"text\":\"Liang");
    cut["choices"][0]["finish_reason"] = json!("length");
    mount_chat(&server, ResponseTemplate::new(200).set_body_json(cut)).await;
    let err = openai(&server).translate(&batch(1)).await.unwrap_err();
    assert!(err.to_string().contains("finish_reason=length"), "{err}");
}

#[tokio::test]
async fn openai_probe_honoured_schema_is_cached() {
    let server = MockServer::start().await;
    let content = answer(&[("b1.s1", "Liangjiang New Area issues new policies.")]);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_schema"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
        .expect(2)
        .mount(&server)
        .await;
    let mut settings = openai_settings(&server, None);
    settings.model = "probe-honours-schema".into();
    let backend = OpenAiBackend::new(settings.clone()).unwrap();
    assert_eq!(backend.learned(), None);
    backend.translate(&batch(1)).await.unwrap();
    assert_eq!(backend.response_format(), Some(ResponseFormat::JsonSchema));
    let learned = backend.learned().unwrap();
    assert_eq!(learned, "json_schema");
    // A second client given the verdict (as the pipeline does from its store) sends one
    // request per batch.
    let second = OpenAiBackend::new(settings).unwrap();
    second.adopt_learned(&learned);
    second.translate(&batch(1)).await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    let schema = &body(&sent[0])["response_format"];
    assert_eq!(schema["json_schema"]["name"], "bitext_translations");
    assert_eq!(schema["json_schema"]["strict"], true);
    assert_eq!(
        schema["json_schema"]["schema"]["required"],
        json!(["translations"])
    );
}

#[tokio::test]
async fn openai_probe_falls_back_when_schema_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_schema"}}),
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": "response_format.type json_schema is not supported by this model",
            "type": "invalid_request_error"}})))
        .expect(1)
        .mount(&server)
        .await;
    let content = answer(&[("b1.s1", "ok")]);
    Mock::given(method("POST"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_object"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
        .expect(2)
        .mount(&server)
        .await;
    // Verdicts are per base URL + model, and loopback ports get reused: a model of its own.
    let mut settings = openai_settings(&server, None);
    settings.model = "probe-rejects-schema".into();
    let backend = OpenAiBackend::new(settings).unwrap();
    backend.translate(&batch(1)).await.unwrap();
    assert_eq!(backend.response_format(), Some(ResponseFormat::JsonObject));
    backend.translate(&batch(1)).await.unwrap();
    assert_eq!(
        requests(&server).await.len(),
        3,
        "probe once, then one request per batch"
    );
}

#[tokio::test]
async fn openai_probe_detects_an_ignored_schema() {
    let server = MockServer::start().await;
    let content = format!("```json\n{}\n```", answer(&[("b1.s1", "ok")]));
    mount_chat(
        &server,
        ResponseTemplate::new(200).set_body_json(chat(&content)),
    )
    .await;
    let mut settings = openai_settings(&server, None);
    settings.model = "probe-ignores-schema".into();
    let backend = OpenAiBackend::new(settings).unwrap();
    backend.translate(&batch(1)).await.unwrap();
    assert_eq!(backend.response_format(), Some(ResponseFormat::None));
    backend.translate(&batch(1)).await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(body(&sent[0])["response_format"]["type"], "json_schema");
    assert!(body(&sent[1]).get("response_format").is_none());
}

#[tokio::test]
async fn openai_without_key_on_openai_com_is_a_config_error() {
    // The key rule lives in the registry: a run refuses, a plan (`--dry-run`) builds.
    let config = Config::default();
    let spec = config
        .resolve(
            Some("openai"),
            &Env::from_pairs::<&str, &str>([]),
            &Overrides::default(),
        )
        .unwrap();
    let Err(err) = registry::from_spec(&spec, &[]) else {
        panic!("built without a key")
    };
    assert_eq!(
        err.to_string(),
        "openai: configuration: missing API key; set OPENAI_API_KEY"
    );
    let Ok(plan) = registry::for_plan(&spec, &[]) else {
        panic!("a plan needs no key")
    };
    assert_eq!(plan.info().name, "openai");
    let err = OpenAiBackend::new(OpenAiSettings::new("localhost:11434", "m")).unwrap_err();
    assert!(matches!(err, BackendError::Config { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// DeepL
// ---------------------------------------------------------------------------------------------

fn deepl_settings(server: &MockServer) -> DeeplSettings {
    let mut s = DeeplSettings::new(key());
    s.base_url = Some(server.uri());
    s.timeout = Duration::from_millis(1500);
    s
}

fn deepl_answer(texts: &[&str]) -> Value {
    let translations: Vec<Value> = texts
        .iter()
        .map(|t| json!({"detected_source_language": "ZH", "text": t}))
        .collect();
    json!({ "translations": translations })
}

async fn mount_translate(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v2/translate"))
        .respond_with(template)
        .mount(server)
        .await;
}

fn plain_batch(n: usize) -> Batch {
    let mut b = batch(n);
    for item in &mut b.items {
        item.terms.clear();
    }
    b
}

#[tokio::test]
async fn deepl_creates_the_glossary_once_and_sends_the_v2_body() {
    let server = MockServer::start().await;
    let auth = format!("DeepL-Auth-Key {CANARY}");
    Mock::given(method("GET"))
        .and(path("/v2/glossaries"))
        .and(header("authorization", auth.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"glossaries": [
            {"glossary_id": "other", "name": "someone-else", "ready": true, "source_lang": "zh",
             "target_lang": "en", "creation_time": "2026-11-01T10:00:00Z", "entry_count": 1}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/glossaries"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "glossary_id": "def3a26b-3e84-45b3-84ae-0c0aaf3525f7", "name": "bitext-x", "ready": true,
            "source_lang": "zh", "target_lang": "en", "creation_time": "2026-11-27T18:00:00Z",
            "entry_count": 2})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/translate"))
        .and(header("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(deepl_answer(&[
            "Liangjiang New Area issues new policies.",
            "The Smart China Expo opens in Chongqing.",
        ])))
        .expect(2)
        .mount(&server)
        .await;
    let mut settings = deepl_settings(&server);
    settings.glossary = vec![
        term("两江新区", "Liangjiang New Area"),
        term("智博会", "Smart China Expo"),
    ];
    let backend = DeeplBackend::new(settings).unwrap();
    let got = backend.translate(&batch(2)).await.unwrap();
    assert_eq!(got.outputs[1].id, "b1.s2");
    assert_eq!(
        got.outputs[1].text,
        "The Smart China Expo opens in Chongqing."
    );
    backend.translate(&batch(2)).await.unwrap();

    let sent = requests(&server).await;
    let create = sent
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/v2/glossaries")
        .unwrap();
    let created = body(create);
    assert_eq!(
        created["entries"],
        "两江新区\tLiangjiang New Area\n智博会\tSmart China Expo\n"
    );
    assert_eq!(
        (
            &created["source_lang"],
            &created["target_lang"],
            &created["entries_format"]
        ),
        (&json!("zh"), &json!("en"), &json!("tsv"))
    );
    let name = created["name"].as_str().unwrap();
    assert!(name.starts_with("bitext-") && name.len() == 23, "{name}");
    let translate = sent
        .iter()
        .find(|r| r.url.path() == "/v2/translate")
        .unwrap();
    assert_eq!(
        body(translate),
        json!({
            "text": ["两江新区发布新政。", "智博会在重庆开幕。"],
            "source_lang": "ZH",
            "target_lang": "EN-US",
            "glossary_id": "def3a26b-3e84-45b3-84ae-0c0aaf3525f7",
            "context": "智博会开幕"
        })
    );
    for r in &sent {
        assert_no_canary(&String::from_utf8_lossy(&r.body));
    }
}

#[tokio::test]
async fn deepl_reuses_an_existing_glossary_by_name() {
    let server = MockServer::start().await;
    let terms = vec![term("两江新区", "Liangjiang New Area")];
    let (_, name) = bitext::backend::deepl::glossary_entries(&terms);
    Mock::given(method("GET"))
        .and(path("/v2/glossaries"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"glossaries": [
            {"glossary_id": "g-existing", "name": name, "ready": true, "source_lang": "zh",
             "target_lang": "en", "creation_time": "2026-11-01T10:00:00Z", "entry_count": 1}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/glossaries"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/translate"))
        .and(body_partial_json(
            json!({"glossary_id": "g-existing", "target_lang": "EN-GB"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(deepl_answer(&["Liangjiang New Area issues new policies."])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut settings = deepl_settings(&server);
    settings.target_variant = "en-gb".into();
    // No whole glossary given: the batch's terms make the glossary.
    let backend = DeeplBackend::new(settings).unwrap();
    backend.translate(&batch(1)).await.unwrap();
}

#[tokio::test]
async fn deepl_without_terms_sends_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/glossaries"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/translate"))
        .respond_with(ResponseTemplate::new(200).set_body_json(deepl_answer(&["A.", "B.", "C."])))
        .expect(1)
        .mount(&server)
        .await;
    let got = DeeplBackend::new(deepl_settings(&server))
        .unwrap()
        .translate(&plain_batch(3))
        .await
        .unwrap();
    let texts: Vec<&str> = got.outputs.iter().map(|o| o.text.as_str()).collect();
    assert_eq!(texts, ["A.", "B.", "C."]);
    assert!(
        body(&requests(&server).await[0])
            .get("glossary_id")
            .is_none()
    );
}

#[tokio::test]
async fn deepl_errors_are_classified() {
    let server = MockServer::start().await;
    let backend = DeeplBackend::new(deepl_settings(&server)).unwrap();
    let b = plain_batch(2);

    // 429 with an HTTP-date Retry-After.
    let when = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
    let date = when
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    mount_translate(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", date.as_str())
            .set_body_json(json!({"message": "Too many requests"})),
    )
    .await;
    match backend.translate(&b).await.unwrap_err() {
        BackendError::RateLimited {
            retry_after: Some(d),
            ..
        } => assert!(
            d > Duration::from_secs(20) && d <= Duration::from_secs(30),
            "{d:?}"
        ),
        other => panic!("expected RateLimited with a delay, got {other}"),
    }

    let cases: Vec<(u16, Value, &str)> = vec![
        (456, json!({"message": "Quota Exceeded"}), "Quota"),
        (
            403,
            json!({"message": format!("Wrong auth key {CANARY}")}),
            "Auth",
        ),
        (401, json!({"message": "Unauthorized"}), "Auth"),
        (500, json!({"message": "Internal error"}), "Transient"),
        (503, json!({"message": "Service unavailable"}), "Transient"),
        (402, json!({"message": "Payment required"}), "Quota"),
    ];
    for (status, response, expected) in cases {
        server.reset().await;
        mount_translate(
            &server,
            ResponseTemplate::new(status).set_body_json(response),
        )
        .await;
        let err = backend.translate(&b).await.unwrap_err();
        let kind = match &err {
            BackendError::Quota { .. } => "Quota",
            BackendError::Auth { .. } => "Auth",
            BackendError::Transient { .. } => "Transient",
            _ => "other",
        };
        assert_eq!(kind, expected, "{status}: {err}");
        assert_err_clean(&err);
        if kind == "Auth" {
            assert!(err.to_string().contains("check DEEPL_AUTH_KEY"), "{err}");
        }
    }

    // Timeout.
    server.reset().await;
    mount_translate(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(deepl_answer(&["A.", "B."]))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    let mut s = deepl_settings(&server);
    s.timeout = Duration::from_millis(300);
    let err = DeeplBackend::new(s)
        .unwrap()
        .translate(&b)
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::TimedOut { .. }), "{err}");

    // Malformed JSON, too few and too many translations.
    let answers = [
        (
            ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"),
            "translation is not the expected JSON",
        ),
        (
            ResponseTemplate::new(200).set_body_json(deepl_answer(&["A."])),
            "missing ids in answer: b1.s2",
        ),
        (
            ResponseTemplate::new(200).set_body_json(deepl_answer(&["A.", "B.", "C."])),
            "3 translations for 2 texts (extra answers)",
        ),
    ];
    for (template, message) in answers {
        server.reset().await;
        mount_translate(&server, template).await;
        let err = backend.translate(&b).await.unwrap_err();
        assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

#[tokio::test]
async fn deepl_refuses_batches_over_its_limits_without_a_request() {
    let server = MockServer::start().await;
    mount_translate(&server, ResponseTemplate::new(200)).await;
    let backend = DeeplBackend::new(deepl_settings(&server)).unwrap();
    let err = backend.translate(&plain_batch(51)).await.unwrap_err();
    assert!(
        err.to_string().contains("exceeds DeepL's limit of 50"),
        "{err}"
    );
    let mut big = plain_batch(2);
    big.items[0].text = "两".repeat(50_000);
    let err = backend.translate(&big).await.unwrap_err();
    assert!(err.to_string().contains("128 KiB"), "{err}");
    assert!(requests(&server).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// LibreTranslate
// ---------------------------------------------------------------------------------------------

fn libre_settings(server: &MockServer) -> LibreSettings {
    let mut s = LibreSettings::new(server.uri());
    s.api_key = key();
    s.timeout = Duration::from_millis(1500);
    s
}

async fn mount_languages(server: &MockServer, zh: &str) {
    Mock::given(method("GET"))
        .and(path("/languages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"code": "en", "name": "English", "targets": ["en", zh]},
            {"code": zh, "name": "Chinese", "targets": ["en", zh]}
        ])))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_libre(server: &MockServer, template: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/translate"))
        .respond_with(template)
        .mount(server)
        .await;
}

#[tokio::test]
async fn libretranslate_protects_terms_and_reads_language_codes_once() {
    let server = MockServer::start().await;
    mount_languages(&server, "zh-Hans").await;
    // The engine keeps the translate="no" element as it came and translates the rest.
    Mock::given(method("POST"))
        .and(path("/translate"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"translatedText": [
                "<span translate=\"no\">Liangjiang New Area</span> releases new policy.",
                "Smart Expo opens in Chongqing &amp; more."
            ]})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let backend = LibreBackend::new(libre_settings(&server)).unwrap();
    let got = backend.translate(&batch(2)).await.unwrap();
    assert_eq!(
        got.outputs[0].text,
        "Liangjiang New Area releases new policy."
    );
    assert_eq!(got.outputs[1].text, "Smart Expo opens in Chongqing & more.");
    backend.translate(&batch(2)).await.unwrap();
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 3, "one /languages, then one request per batch");
    let translate = sent.iter().find(|r| r.url.path() == "/translate").unwrap();
    assert_eq!(
        body(translate),
        json!({
            "q": [
                "<span translate=\"no\">Liangjiang New Area</span>发布新政。",
                "智博会在重庆开幕。"
            ],
            "source": "zh-Hans",
            "target": "en",
            "format": "html",
            "api_key": CANARY
        })
    );
}

#[tokio::test]
async fn libretranslate_older_servers_use_zh() {
    let server = MockServer::start().await;
    mount_languages(&server, "zh").await;
    Mock::given(method("POST"))
        .and(path("/translate"))
        .and(body_partial_json(json!({"source": "zh", "target": "en"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"translatedText": ["A.", "B."]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut s = libre_settings(&server);
    s.api_key = None;
    let got = LibreBackend::new(s)
        .unwrap()
        .translate(&plain_batch(2))
        .await
        .unwrap();
    assert_eq!(got.outputs[1].text, "B.");
    assert!(body(&requests(&server).await[1]).get("api_key").is_none());
}

#[tokio::test]
async fn libretranslate_lost_protection_is_reported() {
    let server = MockServer::start().await;
    mount_languages(&server, "zh-Hans").await;
    mount_libre(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"translatedText": ["Two Rivers New District issues policy."]})),
    )
    .await;
    let err = LibreBackend::new(libre_settings(&server))
        .unwrap()
        .translate(&batch(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("protected term \"Liangjiang New Area\" did not survive in b1.s1"),
        "{err}"
    );
}

#[tokio::test]
async fn libretranslate_errors_are_classified() {
    let server = MockServer::start().await;
    let mut s = libre_settings(&server);
    s.source_code = Some("zh-Hans".into());
    s.target_code = Some("en".into());
    let backend = LibreBackend::new(s.clone()).unwrap();
    let b = plain_batch(2);
    mount_libre(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "12")
            .set_body_json(json!({"error": "Slowdown: 30 per 1 minute"})),
    )
    .await;
    let err = backend.translate(&b).await.unwrap_err();
    assert_eq!(
        err,
        BackendError::RateLimited {
            backend: "libretranslate".into(),
            retry_after: Some(Duration::from_secs(12)),
            whole_quota: false,
        }
    );
    let cases: Vec<(u16, Value, &str)> = vec![
        (
            403,
            json!({"error": format!("Invalid API key: {CANARY}")}),
            "Auth",
        ),
        (400, json!({"error": "Invalid API key"}), "Auth"),
        (402, json!({"error": "Payment required"}), "Quota"),
        (500, json!({"error": "Cannot translate text"}), "Transient"),
        (
            400,
            json!({"error": "Invalid request: missing q parameter"}),
            "Refused",
        ),
    ];
    for (status, response, expected) in cases {
        server.reset().await;
        mount_libre(
            &server,
            ResponseTemplate::new(status).set_body_json(response),
        )
        .await;
        let err = backend.translate(&b).await.unwrap_err();
        let kind = match &err {
            BackendError::Quota { .. } => "Quota",
            BackendError::Auth { .. } => "Auth",
            BackendError::Transient { .. } => "Transient",
            BackendError::BadResponse { .. } => "BadResponse",
            BackendError::Refused { .. } => "Refused",
            _ => "other",
        };
        assert_eq!(kind, expected, "{status}: {err}");
        assert_err_clean(&err);
    }
    server.reset().await;
    mount_libre(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"translatedText": ["A.", "B."]}))
            .set_delay(Duration::from_secs(5)),
    )
    .await;
    s.timeout = Duration::from_millis(300);
    let err = LibreBackend::new(s)
        .unwrap()
        .translate(&b)
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::TimedOut { .. }), "{err}");
    let answers = [
        (
            ResponseTemplate::new(200).set_body_string("Internal Server Error"),
            "not the expected JSON",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"translatedText": ["A."]})),
            "missing ids in answer: b1.s2",
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"translatedText": ["A.", "B.", "C."]})),
            "extra answers",
        ),
    ];
    for (template, message) in answers {
        server.reset().await;
        mount_libre(&server, template).await;
        let err = backend.translate(&b).await.unwrap_err();
        assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
        assert!(err.to_string().contains(message), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// Command
// ---------------------------------------------------------------------------------------------

/// Writes `script` (Python) into `dir` and returns a backend running it.
fn script_backend(dir: &Path, script: &str, timeout: Duration) -> CommandBackend {
    let file = dir.join("translate.py");
    std::fs::write(&file, script).unwrap();
    let mut s = CommandSettings::new("python3", vec![file.display().to_string()]);
    s.dir = Some(dir.to_path_buf());
    s.timeout = timeout;
    CommandBackend::new(s).unwrap()
}

/// Answers in reverse order, uppercasing nothing: "EN(<id>): <terms' targets>", and keeps a
/// copy of its input.
const REVERSING: &str = r#"
import json, sys
lines = sys.stdin.read().splitlines()
open("input.jsonl", "w", encoding="utf-8").write("\n".join(lines) + "\n")
items = [json.loads(l) for l in lines]
for item in reversed(items):
    terms = " ".join(t["target"] for t in item["terms"])
    print(json.dumps({"id": item["id"], "text": ("EN " + terms).strip()}))
"#;

#[tokio::test]
async fn command_round_trip_restores_order_and_sends_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let backend = script_backend(dir.path(), REVERSING, Duration::from_secs(20));
    let got = backend.translate(&batch(3)).await.unwrap();
    let outputs: Vec<(&str, &str)> = got
        .outputs
        .iter()
        .map(|o| (o.id.as_str(), o.text.as_str()))
        .collect();
    assert_eq!(
        outputs,
        [
            ("b1.s1", "EN Liangjiang New Area"),
            ("b1.s2", "EN"),
            ("b1.s3", "EN")
        ]
    );
    let input = std::fs::read_to_string(dir.path().join("input.jsonl")).unwrap();
    let lines: Vec<Value> = input
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        json!({"id": "b1.s1", "text": "两江新区发布新政。", "terms": [{"source": "两江新区", "target": "Liangjiang New Area"}]})
    );
    assert_eq!(
        lines[2],
        json!({"id": "b1.s3", "text": "会议持续三天。", "terms": []})
    );
    assert_eq!(
        backend.info().endpoint.unwrap(),
        format!("python3 {}", dir.path().join("translate.py").display())
    );
}

#[tokio::test]
async fn command_failures_are_classified() {
    let dir = tempfile::tempdir().unwrap();
    let run = |script: &str, timeout_ms: u64| {
        let backend = script_backend(dir.path(), script, Duration::from_millis(timeout_ms));
        async move { backend.translate(&batch(2)).await }
    };
    let missing = "import json,sys\nitems=[json.loads(l) for l in sys.stdin]\nprint(json.dumps({'id': items[0]['id'], 'text': 'x'}))\n";
    let err = run(missing, 20_000).await.unwrap_err();
    assert!(
        err.to_string().contains("missing ids in answer: b1.s2"),
        "{err}"
    );
    let extra = "import json,sys\nfor l in sys.stdin:\n    print(json.dumps({'id': json.loads(l)['id'], 'text': 'x'}))\nprint(json.dumps({'id': 'b9.s9', 'text': 'y'}))\n";
    let err = run(extra, 20_000).await.unwrap_err();
    assert!(err.to_string().contains("unknown id \"b9.s9\""), "{err}");
    let crash = "import sys\nsys.stdin.read()\nsys.stderr.write('model file opus-zh-en.bin not found\\n')\nsys.exit(3)\n";
    let err = run(crash, 20_000).await.unwrap_err();
    assert!(matches!(err, BackendError::BadResponse { .. }), "{err}");
    assert!(err.to_string().contains("exit status: 3"), "{err}");
    assert!(
        err.to_string()
            .contains("stderr: model file opus-zh-en.bin not found"),
        "{err}"
    );
    let tempfail = "import sys\nsys.stderr.write('busy')\nsys.exit(75)\n";
    let err = run(tempfail, 20_000).await.unwrap_err();
    assert!(matches!(err, BackendError::Transient { .. }), "{err}");
    let garbage = "import sys\nsys.stdin.read()\nprint('Translation: hello')\n";
    let err = run(garbage, 20_000).await.unwrap_err();
    assert!(err.to_string().contains("stdout line 1 is not"), "{err}");
    let slow = "import time\ntime.sleep(30)\n";
    let started = std::time::Instant::now();
    let err = run(slow, 500).await.unwrap_err();
    assert!(matches!(err, BackendError::Transient { .. }), "{err}");
    assert!(err.to_string().contains("no answer within 0.5s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));

    let mut s = CommandSettings::new("/nonexistent/bitext-translator", vec![]);
    s.timeout = Duration::from_secs(5);
    let err = CommandBackend::new(s)
        .unwrap()
        .translate(&batch(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Config { .. }), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn factory_builds_from_file_env_and_overrides() {
    let server = MockServer::start().await;
    let content = answer(&[("b1.s1", "ok")]);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {CANARY}").as_str()))
        .and(body_partial_json(
            json!({"model": "qwen-plus", "response_format": {"type": "json_object"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat(&content)))
        .expect(1)
        .mount(&server)
        .await;
    let text = "[backend.qwen]\nkind = \"openai\"\nbase_url = \"https://dashscope.example/v1\"\n\
                model = \"qwen-turbo\"\napi_key_env = \"DASHSCOPE_API_KEY\"\n\
                response_format = \"json_object\"\nconcurrency = 3\n";
    let config = Config::parse(text, Path::new("bitext.toml")).unwrap();
    let env = Env::from_pairs([("DASHSCOPE_API_KEY", CANARY)]);
    let overrides = Overrides {
        model: Some("qwen-plus".into()),
        base_url: Some(format!("{}/v1", server.uri())),
        ..Overrides::default()
    };
    let backend = registry::build_with(Some("qwen"), &config, &env, &overrides, &[]).unwrap();
    let info = backend.info();
    assert_eq!(
        (
            info.name.as_str(),
            info.kind.as_str(),
            info.model.as_deref(),
            info.default_concurrency
        ),
        ("qwen", "openai", Some("qwen-plus"), 3)
    );
    backend.translate(&batch(1)).await.unwrap();

    let none = Env::from_pairs(Vec::<(String, String)>::new());
    let err = registry::build_with(Some("qwen"), &config, &none, &Overrides::default(), &[])
        .err()
        .unwrap();
    assert!(err.is_fatal());
    assert_eq!(
        err.to_string(),
        "qwen: configuration: missing API key; set DASHSCOPE_API_KEY"
    );
    let err = registry::build_with(Some("deepl"), &config, &none, &Overrides::default(), &[])
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "deepl: configuration: missing API key; set DEEPL_AUTH_KEY"
    );
    let err = registry::build_with(Some("bing"), &config, &none, &Overrides::default(), &[])
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("unknown backend \"bing\""),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// `bitext backends`
// ---------------------------------------------------------------------------------------------

/// `bitext backends` with a private (empty) user config dir.
fn backends_cmd(home: &Path) -> assert_cmd::Command {
    let mut cmd = crate::common::bitext();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"));
    cmd.arg("backends");
    cmd
}

fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    assert_no_canary(&stdout);
    assert_no_canary(&stderr);
    stdout
}

const CONFIG: &str = r#"# bitext backends
default_backend = "deepseek"

[backend.deepseek]
kind = "openai"
base_url = "https://api.deepseek.com/v1"
model = "deepseek-chat"
api_key_env = "DEEPSEEK_API_KEY"
price_input = 0.27
price_output = 1.10

[backend.ollama]
kind = "openai"
base_url = "http://localhost:11434/v1"
model = "qwen2.5:7b"

[backend.deepl]
target_variant = "EN-GB"

[backend.marian]
kind = "command"
command = "python3"
args = ["scripts/marian.py"]
"#;

#[test]
fn backends_cli_without_config_or_env() {
    let home = tempfile::tempdir().unwrap();
    let out = stdout_of(&mut backends_cmd(home.path()));
    insta::assert_snapshot!(out);
}

#[test]
fn backends_cli_with_env_keys() {
    let home = tempfile::tempdir().unwrap();
    let out = stdout_of(
        backends_cmd(home.path())
            .env("OPENAI_API_KEY", CANARY)
            .env("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
            .env("DEEPL_AUTH_KEY", format!("{CANARY}:fx"))
            .env("LIBRETRANSLATE_URL", "http://127.0.0.1:5000")
            .env("LIBRETRANSLATE_API_KEY", CANARY),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn backends_cli_with_config_file() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bitext.toml");
    std::fs::write(&file, CONFIG).unwrap();
    let tmp = dir.path().display().to_string();

    let out = stdout_of(backends_cmd(home.path()).arg("--config").arg(&file));
    insta::assert_snapshot!("backends_cli_config_no_env", out.replace(&tmp, "[TMP]"));

    // Found through $BITEXT_CONFIG, with keys set and the default chosen by $BITEXT_BACKEND.
    let out = stdout_of(
        backends_cmd(home.path())
            .env("BITEXT_CONFIG", &file)
            .env("BITEXT_BACKEND", "ollama")
            .env("DEEPSEEK_API_KEY", CANARY)
            .env("DEEPL_AUTH_KEY", CANARY),
    );
    insta::assert_snapshot!("backends_cli_config_with_env", out.replace(&tmp, "[TMP]"));

    // Found in the user config dir.
    let user = home.path().join(".config/bitext");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("bitext.toml"), "default_backend = \"openai\"\n").unwrap();
    let out = stdout_of(&mut backends_cmd(home.path()));
    assert!(out.contains("default: openai (default_backend)"), "{out}");
    assert!(out.contains("/.config/bitext/bitext.toml"), "{out}");
}

#[test]
fn backends_cli_reports_bad_config_with_place() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bitext.toml");
    std::fs::write(
        &file,
        format!("[backend.openai]\nmodel = \"gpt-4o\"\napi_key = \"{CANARY}\"\n"),
    )
    .unwrap();
    let output = backends_cmd(home.path())
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_no_canary(&stderr);
    let expected = format!(
        "bitext: error: {}:3:1: unknown field `api_key`",
        file.display()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let output = backends_cmd(home.path())
        .env("BITEXT_CONFIG", dir.path().join("nope.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("BITEXT_CONFIG: config file"), "{stderr}");
    assert!(stderr.contains("nope.toml not found"), "{stderr}");
}

#[tokio::test]
async fn factory_falls_back_to_the_offline_gloss_backend() {
    let none = Env::from_pairs(Vec::<(String, String)>::new());
    let config = Config::default();
    let backend = registry::build_with(None, &config, &none, &Overrides::default(), &[]).unwrap();
    assert_eq!(backend.info().kind, "gloss");
    let got = backend.translate(&batch(1)).await.unwrap();
    assert_eq!(got.outputs[0].id, "b1.s1");
    assert!(
        got.outputs[0].text.contains("Liangjiang New Area"),
        "{:?}",
        got.outputs
    );
}

/// The first wave goes out together (no request waits for another's verdict); each request
/// refused for its format is re-sent in the next form, and later requests start there.
#[tokio::test]
async fn openai_first_wave_goes_out_together_and_refusals_move_to_the_next_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_schema"}}),
        ))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "Unknown parameter: response_format"}}))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(4)
        .mount(&server)
        .await;
    let content = answer(&[("b1.s1", "ok")]);
    Mock::given(method("POST"))
        .and(body_partial_json(
            json!({"response_format": {"type": "json_object"}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(chat(&content))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(5)
        .mount(&server)
        .await;
    let mut settings = openai_settings(&server, None);
    settings.model = "probe-concurrent".into();
    let backend = OpenAiBackend::new(settings).unwrap();
    let b = batch(1);
    let started = std::time::Instant::now();
    let results = futures::future::join_all((0..4).map(|_| backend.translate(&b))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Two round trips of 100 ms side by side, not eight one after another.
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(backend.response_format(), Some(ResponseFormat::JsonObject));
    backend.translate(&b).await.unwrap();
    assert_eq!(
        requests(&server).await.len(),
        9,
        "four refused, four re-sent, then one per batch"
    );
}

#[test]
fn settings_and_clients_never_debug_print_the_key() {
    let mut o = OpenAiSettings::new("http://127.0.0.1:9/v1", "m");
    o.api_key = key();
    let mut d = DeeplSettings::new(key());
    d.base_url = Some("http://127.0.0.1:9".into());
    let mut l = LibreSettings::new("http://127.0.0.1:9");
    l.api_key = key();
    let text = format!(
        "{o:?} {d:?} {l:?} {:?} {:?} {:?} {:?}",
        OpenAiBackend::new(o.clone()).unwrap(),
        DeeplBackend::new(d.clone()).unwrap(),
        LibreBackend::new(l.clone()).unwrap(),
        key()
    );
    assert_no_canary(&text);
    assert!(text.contains("<redacted>"), "{text}");
    let config = Config::parse(
        "[backend.x]\nkind = \"openai\"\napi_key_env = \"X_KEY\"\n",
        Path::new("b.toml"),
    )
    .unwrap();
    let env = Env::from_pairs([("X_KEY", CANARY)]);
    let spec = config
        .resolve(Some("x"), &env, &Overrides::default())
        .unwrap();
    assert_no_canary(&format!("{spec:?} {env:?} {}", spec.status()));
}

#[tokio::test]
async fn refused_connections_are_unreachable_and_name_the_cause() {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = OpenAiSettings::new(format!("http://127.0.0.1:{port}/v1"), "m");
    s.api_key = key();
    s.response_format = Some(ResponseFormat::JsonObject);
    let err = OpenAiBackend::new(s)
        .unwrap()
        .translate(&batch(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Unreachable { .. }), "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains("Connection refused"), "{err}");
    assert_err_clean(&err);
}

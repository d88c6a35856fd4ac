//! The simulated server against a plain reqwest client: every fault kind, the counters, the
//! in-flight limit, hang-after-N and determinism.

use super::*;
#[allow(unused_imports)] // used by the tests only, unused where a bench includes the module
use std::io::{Read, Write};

fn batch_body(segments: &[(&str, &str)], terms: &[(&str, &str)]) -> Value {
    let user = json!({
        "segments": segments.iter().map(|(id, text)| json!({"id": id, "text": text})).collect::<Vec<_>>(),
        "terms": terms.iter().map(|(s, t)| json!({"source": s, "target": t})).collect::<Vec<_>>(),
        "context": {"title": "标题"},
    });
    json!({
        "model": "sim-model",
        "messages": [
            {"role": "system", "content": "Translate. Answer JSON."},
            {"role": "user", "content": user.to_string()},
        ],
        "response_format": {"type": "json_object"},
    })
}

const SEGMENTS: [(&str, &str); 3] = [
    ("b1.s1", "两江新区举办智博会。"),
    ("b1.s2", "重庆发展数字经济。"),
    ("b2.s1", "两江新区和重庆。"),
];
const TERMS: [(&str, &str); 2] = [
    ("两江新区", "Liangjiang New Area"),
    ("智博会", "Smart Expo"),
];

thread_local! {
    /// One client per test thread, hence per test runtime (pooled connections belong to the
    /// runtime that opened them; building a client for every request is slow).
    static CLIENT: reqwest::Client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
}

fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

async fn post(sim: &Sim, body: &Value) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/chat/completions", sim.base_url()))
        .bearer_auth("sk-test")
        .json(body)
        .send()
        .await
}

/// The message content of a 200 answer.
async fn content(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let value: Value = response.json().await.unwrap();
    value["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

fn translations(content: &str) -> Vec<(String, String)> {
    let value: Value = serde_json::from_str(content).unwrap();
    value["translations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn with(config: SimConfig) -> Sim {
    Sim::start(config)
}

#[tokio::test]
async fn answers_every_segment_with_its_id_hash_and_terms() {
    let sim = with(SimConfig::default());
    let response = post(&sim, &batch_body(&SEGMENTS, &TERMS)).await.unwrap();
    let value: Value = response.json().await.unwrap();
    assert_eq!(value["model"], "sim-model");
    assert!(value["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(value["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let content = value["choices"][0]["message"]["content"].as_str().unwrap();
    let got = translations(content);
    assert_eq!(got.len(), 3);
    let h = |t: &str| source_hash(t);
    assert_eq!(
        got[0],
        (
            "b1.s1".into(),
            format!(
                "EN[b1.s1] {} Liangjiang New Area Smart Expo.",
                h(SEGMENTS[0].1)
            )
        )
    );
    assert_eq!(
        got[1],
        ("b1.s2".into(), format!("EN[b1.s2] {}.", h(SEGMENTS[1].1)))
    );
    assert_eq!(
        got[2].1,
        format!("EN[b2.s1] {} Liangjiang New Area.", h(SEGMENTS[2].1))
    );
    // Hashes tell the same id in two articles apart.
    assert_ne!(h("甲。"), h("乙。"));
    assert_eq!(h("甲。").len(), 8);

    let stats = sim.stats();
    assert_eq!(stats.requests, 1);
    assert_eq!(stats.segments, 3);
    assert_eq!(stats.segments_answered, 3);
    assert_eq!(stats.outcome(Outcome::Ok), 1);
    assert_eq!(stats.max_in_flight, 1);
    assert!(stats.input_tokens > 0 && stats.output_tokens > 0);
    assert_eq!(
        stats.per_segment[&segment_key("b1.s2", SEGMENTS[1].1)],
        1,
        "{:?}",
        stats.per_segment
    );
    assert_eq!(stats.log.len(), 1);
    assert_eq!(stats.log[0].ids, ["b1.s1", "b1.s2", "b2.s1"]);
}

#[tokio::test]
async fn both_paths_models_and_stats_endpoints() {
    let sim = with(SimConfig::default());
    let body = batch_body(&SEGMENTS[..1], &[]);
    let bare = client()
        .post(format!("http://{}/chat/completions", sim.addr()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(translations(&content(bare).await).len(), 1);
    let models: Value = client()
        .get(format!("{}/models", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(models["data"][0]["id"], "sim");
    let stats: Value = client()
        .get(format!("http://{}/sim/stats", sim.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 1);
    assert_eq!(stats["outcomes"]["ok"], 1);
    let missing = client()
        .post(format!("{}/completions", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn rate_limit_gives_retry_after_and_counts_early_retries() {
    let sim = with(SimConfig {
        rate_429: 1.0,
        retry_after: Duration::from_millis(300),
        ..SimConfig::default()
    });
    let body = batch_body(&SEGMENTS[..2], &TERMS);
    let response = post(&sim, &body).await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(response.headers()["retry-after-ms"], "300");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limit_exceeded");
    // At once: early. Another batch sharing no segment: not an early retry, but early for
    // the per-client reading.
    post(&sim, &body).await.unwrap();
    post(&sim, &batch_body(&SEGMENTS[2..], &[])).await.unwrap();
    let stats = sim.stats();
    assert_eq!(stats.early_retries, 1);
    assert_eq!(stats.early_requests, 2);
    // After the wait: on time (the server moved its deadline with each 429 it gave).
    tokio::time::sleep(Duration::from_millis(350)).await;
    sim.set_config(SimConfig::default());
    let ok = post(&sim, &body).await.unwrap();
    assert_eq!(translations(&content(ok).await).len(), 2);
    let stats = sim.stats();
    assert_eq!(stats.early_retries, 1);
    assert_eq!(stats.early_requests, 2);
    assert_eq!(stats.outcome(Outcome::RateLimited), 3);
    assert_eq!(stats.per_segment[&segment_key("b1.s1", SEGMENTS[0].1)], 3);
    assert_eq!(stats.answered[&segment_key("b1.s1", SEGMENTS[0].1)], 1);
}

#[tokio::test]
async fn server_error_drop_and_fixed_status() {
    let sim = with(SimConfig {
        rate_500: 1.0,
        ..SimConfig::default()
    });
    let body = batch_body(&SEGMENTS, &TERMS);
    let response = post(&sim, &body).await.unwrap();
    assert_eq!(response.status(), 500);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "server_error");

    sim.set_config(SimConfig {
        rate_drop: 1.0,
        ..SimConfig::default()
    });
    let dropped = post(&sim, &body).await;
    assert!(dropped.is_err(), "{dropped:?}");

    sim.set_config(SimConfig {
        fixed_status: Some((
            401,
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#.into(),
        )),
        ..SimConfig::default()
    });
    let unauthorized = post(&sim, &body).await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    let stats = sim.stats();
    assert_eq!(stats.outcome(Outcome::ServerError), 1);
    assert_eq!(stats.outcome(Outcome::Dropped), 1);
    assert_eq!(stats.outcome(Outcome::Fixed), 1);
    assert_eq!(stats.segments_answered, 0);
    assert!(stats.answered.is_empty());
}

#[tokio::test]
async fn slow_body_is_complete_but_late() {
    let sim = with(SimConfig {
        rate_slow: 1.0,
        slow_body: Duration::from_millis(300),
        ..SimConfig::default()
    });
    let started = Instant::now();
    let response = post(&sim, &batch_body(&SEGMENTS, &TERMS)).await.unwrap();
    let got = translations(&content(response).await);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(got.len(), 3);
    // A client with a short timeout gives up in the middle of the body.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let cut = async {
        impatient
            .post(format!("{}/chat/completions", sim.base_url()))
            .json(&batch_body(&SEGMENTS[..1], &[]))
            .send()
            .await?
            .bytes()
            .await
    }
    .await;
    assert!(cut.unwrap_err().is_timeout());
    assert_eq!(sim.stats().outcome(Outcome::Slow), 2);
}

#[tokio::test]
async fn bad_batches_junk_fences_think_and_forgotten_terms() {
    let body = batch_body(&SEGMENTS, &TERMS);
    let missing = with(SimConfig {
        rate_missing_id: 1.0,
        ..SimConfig::default()
    });
    let got = translations(&content(post(&missing, &body).await.unwrap()).await);
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["b1.s1", "b1.s2"]);
    assert_eq!(missing.stats().segments_answered, 0);

    let extra = with(SimConfig {
        rate_extra_id: 1.0,
        ..SimConfig::default()
    });
    let got = translations(&content(post(&extra, &body).await.unwrap()).await);
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["b1.s1", "b1.s2", "b2.s1", "b999.s999"]);

    let junk = with(SimConfig {
        rate_junk: 1.0,
        ..SimConfig::default()
    });
    let text = content(post(&junk, &body).await.unwrap()).await;
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(junk.stats().outcome(Outcome::Junk), 1);

    let dressed = with(SimConfig {
        rate_fenced: 1.0,
        think: true,
        ..SimConfig::default()
    });
    let text = content(post(&dressed, &body).await.unwrap()).await;
    assert!(text.starts_with("<think>"), "{text}");
    let fenced = text.split("```json\n").nth(1).unwrap();
    let inner = fenced.strip_suffix("\n```").unwrap();
    assert_eq!(translations(inner).len(), 3);

    let forgetful = with(SimConfig {
        rate_forget_terms: 1.0,
        ..SimConfig::default()
    });
    let got = translations(&content(post(&forgetful, &body).await.unwrap()).await);
    assert!(got.iter().all(|(_, text)| !text.contains("Liangjiang")));
    assert_eq!(
        got[0].1,
        format!("EN[b1.s1] {}.", source_hash(SEGMENTS[0].1))
    );
    assert_eq!(forgetful.stats().forgot_terms, 1);
}

#[tokio::test]
async fn in_flight_limit_answers_429_beyond_it() {
    let sim = with(SimConfig {
        latency: Duration::from_millis(400),
        max_in_flight: Some(2),
        retry_after: Duration::from_millis(500),
        ..SimConfig::default()
    });
    let requests = (0..5).map(|i| {
        let id = format!("b{i}.s1");
        let body = batch_body(&[(id.as_str(), "一句话。")], &[]);
        let sim = &sim;
        async move { post(sim, &body).await.unwrap().status().as_u16() }
    });
    let mut statuses = futures::future::join_all(requests).await;
    statuses.sort();
    assert_eq!(statuses, [200, 200, 429, 429, 429]);
    let stats = sim.stats();
    assert_eq!(stats.max_in_flight, 2);
    assert_eq!(stats.outcome(Outcome::Overloaded), 3);
    assert_eq!(stats.segments_answered, 2);
}

#[tokio::test]
async fn hangs_after_n_answers() {
    let sim = with(SimConfig {
        hang_after: Some(1),
        ..SimConfig::default()
    });
    let first = post(&sim, &batch_body(&SEGMENTS[..1], &[])).await.unwrap();
    assert_eq!(first.status(), 200);
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let second = impatient
        .post(format!("{}/chat/completions", sim.base_url()))
        .json(&batch_body(&SEGMENTS[1..2], &[]))
        .send()
        .await;
    assert!(second.unwrap_err().is_timeout());
    let stats = sim.stats();
    assert_eq!(stats.outcome(Outcome::Hung), 1);
    assert_eq!(stats.segments_answered, 1);
    // A hanging request stays in flight until the server stops.
    assert_eq!(sim.shared.in_flight.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn bad_requests_get_400() {
    let sim = with(SimConfig::default());
    let not_protocol =
        json!({"model": "m", "messages": [{"role": "user", "content": "Translate 你好"}]});
    let response = post(&sim, &not_protocol).await.unwrap();
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no JSON object"),
        "{error}"
    );
    // Prose around the JSON object is tolerated.
    let wrapped = json!({"model": "m", "messages": [{"role": "user", "content":
        format!("Translate this: {}", json!({"segments": [{"id": "b1.s1", "text": "甲。"}]}))}]});
    assert_eq!(
        translations(&content(post(&sim, &wrapped).await.unwrap()).await).len(),
        1
    );
    assert_eq!(sim.stats().outcome(Outcome::BadRequest), 1);
}

/// Faults are drawn from (seed, batch, attempt): the same sequence of requests meets the same
/// faults, and the rates are what was asked for.
#[tokio::test]
async fn faults_are_seeded_and_rates_hold() {
    let config = SimConfig {
        seed: 7,
        rate_429: 0.2,
        rate_500: 0.05,
        rate_missing_id: 0.05,
        rate_junk: 0.05,
        retry_after: Duration::ZERO,
        ..SimConfig::default()
    };
    let mut runs = vec![];
    for _ in 0..2 {
        let sim = with(config.clone());
        let mut statuses = vec![];
        for i in 0..400 {
            let id = format!("b{i}.s1");
            let text = format!("第{i}句。");
            let response = post(&sim, &batch_body(&[(id.as_str(), text.as_str())], &[]))
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        runs.push((statuses, sim.stats().outcomes));
    }
    assert_eq!(runs[0], runs[1]);
    let outcomes = &runs[0].1;
    let share = |o: Outcome| outcomes.get(&o).copied().unwrap_or(0) as f64 / 400.0;
    assert!(
        (0.15..0.25).contains(&share(Outcome::RateLimited)),
        "{outcomes:?}"
    );
    assert!(
        (0.02..0.09).contains(&share(Outcome::ServerError)),
        "{outcomes:?}"
    );
    assert!(
        (0.02..0.09).contains(&share(Outcome::MissingId)),
        "{outcomes:?}"
    );
    assert!((0.02..0.09).contains(&share(Outcome::Junk)), "{outcomes:?}");
    // A different seed meets different faults.
    let other = with(SimConfig { seed: 8, ..config });
    let mut statuses = vec![];
    for i in 0..400 {
        let id = format!("b{i}.s1");
        let text = format!("第{i}句。");
        let response = post(&other, &batch_body(&[(id.as_str(), text.as_str())], &[]))
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_ne!(statuses, runs[0].0);
}

/// Raw HTTP/1.1: two requests on one keep-alive connection, the second with a chunked body.
#[test]
fn keep_alive_and_chunked_bodies() {
    let sim = with(SimConfig::default());
    let mut stream = std::net::TcpStream::connect(sim.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let body = batch_body(&SEGMENTS[..1], &[]).to_string();
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let (a, b) = body.split_at(10);
    write!(
        stream,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert_eq!(sim.stats().segments_answered, 2);
}

/// A client that keeps to the limit never meets it: the server frees the slot before the
/// answer leaves, so the next request cannot arrive while the old one still counts.
#[tokio::test]
async fn sequential_client_at_the_limit_is_never_refused() {
    let sim = with(SimConfig {
        max_in_flight: Some(1),
        ..SimConfig::default()
    });
    for i in 0..100 {
        let id = format!("b{i}.s1");
        let response = post(&sim, &batch_body(&[(id.as_str(), "甲。")], &[]))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "request {i}");
        response.bytes().await.unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.outcome(Outcome::Overloaded), 0);
    assert_eq!(stats.max_in_flight, 1);
}

//! `translate --batch-api` and `bitext batch …` against the simulated server's Batch API
//! (`tests/sim/batch.rs`): pairing, equality with an interactive run, failed and junk lines,
//! failed/expired/cancelled batches, kills at any moment, the offline round trip, and keys.
//!
//! The 20-article runs of the issue:
//!
//! ```sh
//! BITEXT_BATCH_ARTICLES=20 cargo test --release --test integration batch_api -- --nocapture
//! ```

use super::support::{check_outputs, output_of, translate, write_articles};
use crate::common::{bitext, glossary};
use crate::sim::{BatchConfig, Fate, Sim, SimConfig, source_hash};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CANARY: &str = "sk-canary-batch-5e1f0c9a7d3b2468";

/// Articles per run: 4 in the normal suite, `BITEXT_BATCH_ARTICLES` for the issue's 20.
fn articles() -> usize {
    std::env::var("BITEXT_BATCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

/// A config whose `openai` backend makes small batch files (several per run).
fn config(home: &Path) -> PathBuf {
    let path = home.join("bitext.toml");
    std::fs::write(
        &path,
        "[backend.openai]\nkind = \"openai\"\nmodel = \"sim\"\nbatch_max_requests = 7\nprice_input = 0.15\nprice_output = 0.6\n",
    )
    .unwrap();
    path
}

/// `translate … --batch-api` at the simulated server, with the canary key.
fn batch_translate(sim: &Sim, home: &Path, files: &[PathBuf], out: &Path) -> assert_cmd::Command {
    let mut cmd = translate(sim, home, files, out);
    cmd.env("OPENAI_API_KEY", CANARY)
        .arg("--config")
        .arg(config(home))
        .arg("--batch-api");
    cmd
}

fn run_ok(cmd: &mut assert_cmd::Command) -> (String, String) {
    let output = cmd.timeout(Duration::from_secs(600)).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "failed: {stderr}");
    assert_no_canary(&stdout);
    assert_no_canary(&stderr);
    (stdout, stderr)
}

/// Fails if the canary, or any 8 characters of it, appear in `text`.
fn assert_no_canary(text: &str) {
    let chars: Vec<char> = CANARY.chars().collect();
    for window in chars.windows(8) {
        let piece: String = window.iter().collect();
        assert!(!text.contains(&piece), "key fragment {piece:?} in: {text}");
    }
}

/// No file of the memory directory holds the key.
fn memory_has_no_key(home: &Path) {
    for entry in walk(&home.join("cache")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "{} holds the key",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The pairs of each output without what differs between runs (creation time, whether the
/// answer came from the memory).
fn pairs(files: &[PathBuf], out: &Path) -> Vec<Vec<serde_json::Value>> {
    files
        .iter()
        .map(|file| {
            let path = output_of(out, file);
            let bitext =
                bitext::export::json::read(&std::fs::read_to_string(&path).unwrap(), "out")
                    .unwrap();
            bitext
                .pairs
                .iter()
                .map(|p| {
                    serde_json::json!({"id": p.id, "source": p.source, "target": p.target,
                        "terms": p.terms, "flags": p.flags})
                })
                .collect()
        })
        .collect()
}

fn distinct_texts(files: &[PathBuf]) -> BTreeSet<String> {
    let mut hashes = BTreeSet::new();
    for file in files {
        let doc = bitext::document::read_path(file).unwrap();
        for segment in bitext::split::segment_document(&doc) {
            hashes.insert(source_hash(&segment.text));
        }
    }
    hashes
}

fn sim_with(batch: BatchConfig) -> Sim {
    Sim::start(SimConfig {
        batch,
        ..SimConfig::default()
    })
}

#[test]
fn batch_api_wait_translates_everything_like_an_interactive_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), articles());

    // The interactive run.
    let interactive = Sim::start(SimConfig::default());
    let home_i = tempfile::tempdir().unwrap();
    let out_i = home_i.path().join("out");
    run_ok(&mut translate(&interactive, home_i.path(), &files, &out_i));
    check_outputs(&files, &out_i);

    // The batch run, against a fresh server and memory.
    let sim = sim_with(BatchConfig::default());
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let started = Instant::now();
    let (stdout, stderr) =
        run_ok(batch_translate(&sim, home.path(), &files, &out).args(["--wait", "--poll", "0.01"]));
    let wall = started.elapsed();
    assert_eq!(sim.stats().requests, 0, "interactive requests: {stderr}");
    let b = sim.batch_stats();
    eprintln!(
        "batch run of {} articles: {} batches, {} lines, {} polls, {:.1}s",
        files.len(),
        b.batches_created,
        b.lines,
        b.polls,
        wall.as_secs_f64()
    );
    assert!(
        b.batches_created > 1,
        "the limit of 7 requests splits files"
    );
    assert!(b.created.iter().all(|(_, lines)| *lines <= 7));
    assert_eq!(b.uploads, b.batches_created);
    // Every request line once, every distinct text answered once.
    assert!(b.per_custom_id.values().all(|&n| n == 1));
    assert_eq!(b.answered.len(), distinct_texts(&files).len());
    assert!(stdout.is_empty(), "{stdout}");
    check_outputs(&files, &out);
    let (batch_pairs, interactive_pairs) = (pairs(&files, &out), pairs(&files, &out_i));
    for (b, i) in batch_pairs
        .iter()
        .flatten()
        .zip(interactive_pairs.iter().flatten())
    {
        assert_eq!(
            b, i,
            "the batch run's pair differs from the interactive run's"
        );
    }
    assert_eq!(batch_pairs, interactive_pairs);
    memory_has_no_key(home.path());

    // Run again: everything from the memory, nothing sent.
    run_ok(&mut batch_translate(
        &sim,
        home.path(),
        &files,
        &home.path().join("out2"),
    ));
    assert_eq!(sim.batch_stats().batches_created, b.batches_created);
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn batch_api_failed_lines_alone_are_retried() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), articles());
    let sim = sim_with(BatchConfig {
        line_fail_rate: 0.10,
        ..BatchConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let (_, stderr) =
        run_ok(batch_translate(&sim, home.path(), &files, &out).args(["--wait", "--poll", "0.01"]));
    check_outputs(&files, &out);
    let b = sim.batch_stats();
    let first: u64 = b.per_custom_id.len() as u64;
    eprintln!(
        "10% failing lines: {} lines in {} batches ({} failed), {} interactive requests",
        b.lines,
        b.batches_created,
        b.failed_lines,
        sim.stats().requests
    );
    assert!(b.failed_lines > 0, "the seed fails some lines");
    assert!(stderr.contains("retried"), "{stderr}");
    // Every distinct text answered exactly once, by a batch or an interactive request:
    // nothing answered was asked again.
    let chat = sim.stats();
    let mut answered: BTreeSet<String> = BTreeSet::new();
    for key in b.answered.keys().chain(chat.answered.keys()) {
        let hash = key.split_once('#').unwrap().1.to_string();
        assert!(answered.insert(hash), "{key} answered twice");
    }
    assert_eq!(answered, distinct_texts(&files));
    // The follow-up batches and interactive requests carry only what failed.
    let retried_lines = b.lines - first;
    assert!(retried_lines <= b.failed_lines, "{b:#?}");
}

#[test]
fn batch_api_junk_output_lines_are_ignored_and_retried_without_shifting() {
    let dir = tempfile::tempdir().unwrap();
    // Enough junk lines (the kinds come in turn) that each of the three kinds shows.
    let files = write_articles(dir.path(), 4);
    let sim = sim_with(BatchConfig {
        junk_rate: 0.5,
        ..BatchConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let (_, stderr) =
        run_ok(batch_translate(&sim, home.path(), &files, &out).args(["--wait", "--poll", "0.01"]));
    assert!(sim.batch_stats().junk_lines > 0);
    assert!(stderr.contains("unknown custom_id"), "{stderr}");
    assert!(stderr.contains("occurs 2 times"), "{stderr}");
    assert!(stderr.contains("not the expected JSON"), "{stderr}");
    check_outputs(&files, &out);
}

#[test]
fn batch_api_failed_expired_and_cancelled_batches_are_resubmitted_once() {
    for fate in [Fate::Failed, Fate::Expired, Fate::Cancelled] {
        let dir = tempfile::tempdir().unwrap();
        let files = write_articles(dir.path(), 1);
        // Every batch ends badly: the lines go to one follow-up batch, then interactively.
        let sim = sim_with(BatchConfig {
            fate: Some((fate, usize::MAX)),
            ..BatchConfig::default()
        });
        let home = tempfile::tempdir().unwrap();
        let out = home.path().join("out");
        let (_, stderr) = run_ok(
            batch_translate(&sim, home.path(), &files, &out).args(["--wait", "--poll", "0.01"]),
        );
        let word = format!("{fate:?}").to_lowercase();
        assert!(stderr.contains(&word), "{fate:?}: {stderr}");
        check_outputs(&files, &out);
        let b = sim.batch_stats();
        assert!(
            b.per_custom_id.values().all(|&n| n <= 2),
            "{fate:?}: a line was in more than two batches"
        );
        // What no batch answered was requested interactively, once.
        let chat = sim.stats();
        assert!(chat.requests > 0, "{fate:?}");
        assert!(chat.answered.values().all(|&n| n == 1), "{fate:?}");
    }
}

/// `translate --batch-api` (no --wait) as a child process, to kill.
fn spawn_submit(sim: &Sim, home: &Path, files: &[PathBuf], out: &Path) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitext"));
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BITEXT_CONFIG",
        "BITEXT_BACKEND",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(crate::common::root())
        .env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", CANARY)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .arg("translate")
        .args(files)
        .arg("--out-dir")
        .arg(out)
        .args(["-f", "json", "-b", "openai", "--batch-api", "-g"])
        .arg(glossary())
        .arg("--cache")
        .arg(home.join("cache"))
        .arg("--config")
        .arg(config(home))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn batch_api_killed_at_any_moment_creates_each_batch_once() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), 2);
    // Uploads and creations take a while, so kills land inside them too.
    let sim = sim_with(BatchConfig {
        upload_latency: Duration::from_millis(60),
        create_latency: Duration::from_millis(60),
        polls_to_finish: 3,
        ..BatchConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let mut rng = fastrand::Rng::with_seed(18);
    let mut kills = Vec::new();
    let mut finished = false;
    for round in 0..40 {
        let mut child = spawn_submit(&sim, home.path(), &files, &out);
        if round < 12 {
            let delay = rng.u64(0..900);
            std::thread::sleep(Duration::from_millis(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills.push(delay);
                continue;
            }
        }
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "round {round}: {stderr}");
        assert_no_canary(&stderr);
        if files.iter().all(|f| output_of(&out, f).exists()) {
            finished = true;
            break;
        }
    }
    assert!(finished, "never finished");
    assert!(!kills.is_empty());
    check_outputs(&files, &out);
    let b = sim.batch_stats();
    eprintln!(
        "killed at {kills:?} ms: {} uploads, {} batches, {} lines",
        b.uploads, b.batches_created, b.lines
    );
    // Exactly one set of batches: every request line in exactly one batch, every text
    // answered once, no interactive request.
    assert!(b.per_custom_id.values().all(|&n| n == 1), "{b:#?}");
    assert!(b.answered.values().all(|&n| n == 1));
    assert_eq!(b.answered.len(), distinct_texts(&files).len());
    assert_eq!(sim.stats().requests, 0);
    memory_has_no_key(home.path());
}

/// The runner of the offline round trip: reads request lines, answers each with the
/// simulated server's translator (`sim::fake_translation`, in Python), writes output lines in the OpenAI shape (as
/// `vllm run-batch` does).
const RUNNER: &str = r#"
import hashlib, json, re, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
    for n, line in enumerate(f):
        req = json.loads(line)
        user = [m for m in req["body"]["messages"] if m["role"] == "user"][-1]["content"]
        msg = json.loads(user)
        # Protocol v2: segments are [id, text], terms "source=target"; v1 used objects.
        terms = [tuple(t.split("=", 1)) if isinstance(t, str) else (t["source"], t["target"])
                 for t in msg.get("terms", [])]
        res = []
        for seg in msg["segments"]:
            sid, stext = (seg[0], seg[1]) if isinstance(seg, list) else (seg["id"], seg["text"])
            text = "EN[%s] %s" % (sid, hashlib.sha256(stext.encode()).hexdigest()[:8])
            for s, t in terms:
                if s and s in stext:
                    text += " " + t
            for word in re.split(r"[^0-9A-Za-z]", stext):
                kept = any(c.isdigit() or c.isupper() for c in word)
                if kept and word not in text.split(" "):
                    text += " " + word
            res.append({"id": sid, "text": text + "."})
        body = {"id": "cmpl-%d" % n, "object": "chat.completion", "model": req["body"]["model"],
                "choices": [{"index": 0, "message": {"role": "assistant",
                             "content": json.dumps({"translations": res})}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}
        out.write(json.dumps({"id": "vllm-%d" % n, "custom_id": req["custom_id"],
                              "response": {"status_code": 200, "request_id": "vllm-%d" % n, "body": body},
                              "error": None}) + "\n")
"#;

#[test]
fn batch_requests_external_runner_results_then_translate_sends_nothing() {
    let Some(python) = crate::common::require_tool(&["python3"], "apt-get install python3") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), 2);
    let sim = Sim::start(SimConfig::default());
    let home = tempfile::tempdir().unwrap();
    let requests = home.path().join("requests.jsonl");
    let results = home.path().join("results.jsonl");
    let batch = |args: &[&str]| {
        let mut cmd = bitext();
        cmd.env("OPENAI_BASE_URL", sim.base_url())
            .env("OPENAI_API_KEY", CANARY)
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("xdg-cache"))
            .arg("batch")
            .args(args)
            .arg("-b")
            .arg("openai")
            .arg("--cache")
            .arg(home.path().join("cache"));
        cmd
    };
    let (_, stderr) = run_ok(
        batch(&["requests"])
            .args(&files)
            .arg("-o")
            .arg(&requests)
            .arg("-g")
            .arg(glossary()),
    );
    assert!(stderr.contains("request lines"), "{stderr}");
    let lines = std::fs::read_to_string(&requests).unwrap();
    assert!(lines.lines().count() > 2);
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["method"], "POST");
        assert_eq!(v["url"], "/v1/chat/completions");
        assert!(v["custom_id"].as_str().unwrap().starts_with("bx-"));
    }
    assert_no_canary(&lines);
    let script = home.path().join("runner.py");
    std::fs::write(&script, RUNNER).unwrap();
    let status = Command::new(python)
        .arg(&script)
        .arg(&requests)
        .arg(&results)
        .status()
        .unwrap();
    assert!(status.success());
    let (_, stderr) = run_ok(batch(&["results"]).arg(&results));
    assert!(stderr.contains("0 failed, 0 ignored"), "{stderr}");
    // An interactive translate finds everything in the memory.
    let out = home.path().join("out");
    let mut cmd = translate(&sim, home.path(), &files, &out);
    run_ok(&mut cmd);
    assert_eq!(sim.stats().requests, 0, "translate sent requests");
    check_outputs(&files, &out);
    let (list, _) = run_ok(&mut batch(&["list"]));
    assert!(
        list.contains("offline") || list.contains("completed"),
        "{list}"
    );
}

#[test]
fn batch_list_status_cancel_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), 1);
    let sim = sim_with(BatchConfig {
        polls_to_finish: 1000,
        ..BatchConfig::default()
    });
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    // The plan: requests, files, tokens and the batch price; nothing sent.
    let (plan, _) = run_ok(batch_translate(&sim, home.path(), &files, &out).arg("--dry-run"));
    assert!(plan.contains("0 pending in batches"), "{plan}");
    assert!(
        plan.contains("requests (73 segments) in 1 batch file to openai"),
        "{plan}"
    );
    assert!(plan.contains("at the batch price (0.5×"), "{plan}");
    assert_eq!(sim.batch_stats().uploads, 0);

    let (submitted, stderr) = run_ok(&mut batch_translate(&sim, home.path(), &files, &out));
    assert!(
        stderr.contains("run the same command again to collect"),
        "{stderr}"
    );
    let ids: Vec<&str> = submitted
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(ids.len() as u64, sim.batch_stats().batches_created);
    assert!(
        !output_of(&out, &files[0]).exists(),
        "no output before the batches are collected"
    );

    // A second submit sends nothing new; the dry run sees the pending segments.
    run_ok(&mut batch_translate(&sim, home.path(), &files, &out));
    assert_eq!(ids.len() as u64, sim.batch_stats().batches_created);
    let (plan, _) = run_ok(batch_translate(&sim, home.path(), &files, &out).arg("--dry-run"));
    assert!(plan.contains(" 0 requests"), "{plan}");

    let batch = |args: &[&str]| {
        let mut cmd = bitext();
        cmd.env("OPENAI_BASE_URL", sim.base_url())
            .env("OPENAI_API_KEY", CANARY)
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("xdg-cache"))
            .arg("batch")
            .args(args)
            .args(["-b", "openai", "--cache"])
            .arg(home.path().join("cache"))
            .arg("--config")
            .arg(config(home.path()));
        cmd
    };
    let (list, _) = run_ok(&mut batch(&["list"]));
    for id in &ids {
        assert!(list.contains(id), "{list}");
    }
    let (status, _) = run_ok(&mut batch(&["status"]));
    assert!(status.contains("in_progress"), "{status}");
    let (one, _) = run_ok(&mut batch(&["status", ids[0]]));
    assert_eq!(one.lines().count(), 1, "{one}");
    let (cancelled, _) = run_ok(&mut batch(&["cancel"]));
    assert!(cancelled.contains("cancelling"), "{cancelled}");
    sim.set_config(SimConfig::default());
    // The next run collects what the cancelled batches answered and finishes the rest.
    let (_, stderr) =
        run_ok(batch_translate(&sim, home.path(), &files, &out).args(["--wait", "--poll", "0.01"]));
    assert!(stderr.contains("cancelled"), "{stderr}");
    check_outputs(&files, &out);
}

/// Article `k`: the sample with every number changed (each run of ASCII digits `n` becomes
/// `n + k`), so the sentences with numbers differ between articles and the rest recur.
fn with_numbers(sample: &str, k: u64) -> String {
    let mut out = String::with_capacity(sample.len() + 64);
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let n: u64 = digits.parse().unwrap_or(0);
            out.push_str(&(n + k).to_string());
            digits.clear();
        }
    };
    for c in sample.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// The planning benchmark of the issue: 10,000 articles into request lines on one core.
///
/// ```sh
/// cargo test --release --test integration batch_plan_10k -- --ignored --nocapture
/// ```
///
/// `BITEXT_BATCH_PLAN_ARTICLES` changes the count. Reports wall time and peak RSS
/// (`/usr/bin/time`, under `taskset -c 0`).
#[test]
#[ignore]
fn batch_plan_10k_articles() {
    let count: u64 = std::env::var("BITEXT_BATCH_PLAN_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let sample = std::fs::read_to_string(crate::common::sample()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = (0..count)
        .map(|k| {
            let path = dir.path().join(format!("a{k:06}.zh.md"));
            std::fs::write(&path, with_numbers(&sample, k)).unwrap();
            path
        })
        .collect();
    let out = dir.path().join("requests.jsonl");
    let rss = dir.path().join("rss");
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&rss)
        .args([
            "taskset",
            "-c",
            "0",
            env!("CARGO_BIN_EXE_bitext"),
            "batch",
            "requests",
        ])
        .args(&files)
        .arg("-o")
        .arg(&out)
        .args(["-b", "openai", "-g"])
        .arg(glossary())
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("BITEXT_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .current_dir(crate::common::root())
        .output()
        .unwrap();
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let peak_kb: u64 = std::fs::read_to_string(&rss)
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    let bytes = std::fs::metadata(&out).unwrap().len();
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    eprintln!(
        "planned {count} articles: {lines} request lines, {:.1} MB, {:.2}s wall on one core, peak RSS {:.1} MB; {}",
        bytes as f64 / 1e6,
        wall.as_secs_f64(),
        peak_kb as f64 / 1024.0,
        stderr.trim()
    );
    if !cfg!(debug_assertions) && count >= 10_000 {
        assert!(wall < Duration::from_secs(10), "{wall:?}");
    }
}

//! The translation memory end to end, against the simulated OpenAI-compatible server
//! (`tests/sim/`): the revision loop (translate, edit the TSV, `tm import`, revise the
//! article, translate again), a TMX in OmegaT's project shape pre-filling a translation, a
//! `kill -9` during `tm import`, and two processes sharing one memory.

use crate::common::{bitext, sample};
use crate::sim::{Sim, SimConfig, source_hash};
use bitext::cache::{Cache, normalize_source};
use bitext::model::{Bitext, Change, Origin};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `bitext ARGS…` aimed at the simulated server, with memory `home/tm` and no user config.
fn run(sim: &Sim, home: &Path, args: &[&str]) -> (bool, String) {
    let output = bitext()
        .env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", "sk-sim-0123456789abcdef")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .args(args)
        .args(if matches!(args[0], "translate" | "tm" | "cache") {
            vec!["--cache".to_string(), home.join("tm").display().to_string()]
        } else {
            Vec::new()
        })
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn read_json(path: &Path) -> Bitext {
    bitext::export::json::read(&std::fs::read_to_string(path).unwrap(), "out.json").unwrap()
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Source hashes of the segments the server received since `from` (one per segment sent).
fn requested_hashes(sim: &Sim, from: usize) -> Vec<String> {
    let stats = sim.stats();
    let mut hashes: Vec<String> = stats.log[from..]
        .iter()
        .flat_map(|r| r.keys.iter())
        .map(|k| k.split_once('#').map_or(k.as_str(), |(_, h)| h).to_string())
        .collect();
    hashes.sort();
    hashes
}

/// Sentences of the sample that occur exactly once in the file, verbatim, and are long enough
/// to edit: the ones the test revises.
fn editable_sentences(text: &str, bitext: &Bitext) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for pair in &bitext.pairs {
        *counts.entry(pair.source.as_str()).or_default() += 1;
    }
    bitext
        .pairs
        .iter()
        .filter(|p| p.kind == bitext::BlockKind::Paragraph)
        .map(|p| p.source.clone())
        .filter(|s| counts[s.as_str()] == 1 && s.chars().count() > 25)
        .filter(|s| text.matches(s.as_str()).count() == 1)
        .collect()
}

#[test]
fn revision_loop_sends_only_changed_and_new_sentences_and_keeps_human_edits() {
    let sim = Sim::start(SimConfig::default());
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let v1_json = dir.path().join("v1.json");
    let v1_tsv = dir.path().join("v1.tsv");

    // (1) Translate the sample, export TSV, edit five targets, import the edited file.
    let sample_path = sample();
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "translate",
            path_str(&sample_path),
            "-b",
            "openai",
            "-o",
            path_str(&v1_json),
        ],
    );
    assert!(ok, "{err}");
    let first_requests = sim.stats().log.len();
    let v1 = read_json(&v1_json);
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "export",
            path_str(&v1_json),
            "-f",
            "tsv",
            "-o",
            path_str(&v1_tsv),
        ],
    );
    assert!(ok, "{err}");
    let tsv = std::fs::read_to_string(&v1_tsv).unwrap();
    let mut lines: Vec<String> = tsv.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split('\t').collect();
    let target_col = header.iter().position(|c| *c == "target").unwrap();
    let source_col = header.iter().position(|c| *c == "source").unwrap();
    let mut edited: BTreeMap<String, String> = BTreeMap::new(); // source → edited target
    for row in [3, 11, 19, 27, 35] {
        let mut fields: Vec<String> = lines[row].split('\t').map(str::to_string).collect();
        let new_target = format!(
            "Edited by the desk ({row}): {}",
            fields[target_col].to_uppercase()
        );
        fields[target_col] = new_target.clone();
        edited.insert(bitext::util::unescape_tsv(&fields[source_col]), new_target);
        lines[row] = fields.join("\t");
    }
    assert_eq!(edited.len(), 5);
    let edited_tsv = dir.path().join("edited.tsv");
    std::fs::write(&edited_tsv, lines.join("\n") + "\n").unwrap();
    let (ok, err) = run(&sim, home.path(), &["tm", "import", path_str(&edited_tsv)]);
    assert!(ok, "{err}");
    let distinct: BTreeSet<String> = v1
        .pairs
        .iter()
        .map(|p| normalize_source(&p.source))
        .collect();
    // A sentence repeated in the article is one entry (its second row is unchanged).
    let rows = v1.pairs.len();
    assert!(
        err.contains(&format!(
            "{} added, 0 updated, {} unchanged",
            distinct.len(),
            rows - distinct.len()
        )),
        "{err}"
    );
    // Importing the same file again adds nothing.
    let (ok, err) = run(
        &sim,
        home.path(),
        &["cache", "import", path_str(&edited_tsv)],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("0 added, 0 updated, {rows} unchanged")),
        "{err}"
    );

    // (2) Revise: three sentences edited, one paragraph inserted.
    let text = std::fs::read_to_string(&sample_path).unwrap();
    let candidates: Vec<String> = editable_sentences(&text, &v1)
        .into_iter()
        .filter(|s| !edited.contains_key(s))
        .collect();
    assert!(candidates.len() >= 3);
    let changed: Vec<String> = candidates[..3].to_vec();
    let mut revised = text.clone();
    let mut changed_new = Vec::new();
    for sentence in &changed {
        let replacement = format!("据悉，{sentence}");
        revised = revised.replacen(sentence.as_str(), &replacement, 1);
        changed_new.push(replacement);
    }
    let inserted = [
        "本报记者今天下午再次来到会场采访。",
        "多位参展企业负责人表示，明年还将继续参加。",
    ];
    let middle = (revised.len() / 2..)
        .find(|&i| revised.is_char_boundary(i))
        .unwrap();
    let cut = revised[middle..].find("\n\n").unwrap() + middle;
    revised.insert_str(cut, &format!("\n\n{}{}", inserted[0], inserted[1]));
    let v2_md = dir.path().join("v2.zh.md");
    std::fs::write(&v2_md, &revised).unwrap();
    let v2_json = dir.path().join("v2.json");
    let before = sim.stats().log.len();
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "translate",
            path_str(&v2_md),
            "-b",
            "openai",
            "-o",
            path_str(&v2_json),
            "--diff",
            path_str(&v1_json),
        ],
    );
    assert!(ok, "{err}");
    assert!(first_requests > 0);
    // Exactly the changed and new sentences went to the server, once each.
    let mut expected: Vec<String> = changed_new
        .iter()
        .map(String::as_str)
        .chain(inserted)
        .map(source_hash)
        .collect();
    expected.sort();
    assert_eq!(requested_hashes(&sim, before), expected, "{err}");
    assert_eq!(expected.len(), 5);
    let v2 = read_json(&v2_json);
    // The five edited targets, verbatim, marked human.
    for (source, target) in &edited {
        let pair = v2.pairs.iter().find(|p| &p.source == source).unwrap();
        assert_eq!(&pair.target, target);
        assert!(
            matches!(pair.origin, Origin::Human { .. }),
            "{:?}",
            pair.origin
        );
    }
    // The changed sentences were sent with their earlier versions as fuzzy examples.
    for sentence in &changed_new {
        let pair = v2.pairs.iter().find(|p| &p.source == sentence).unwrap();
        match pair.origin {
            Origin::Fuzzy { similarity, .. } => assert!(similarity >= 75, "{similarity}"),
            ref other => panic!("{sentence}: {other:?}"),
        }
    }
    assert!(
        err.contains("from memory: ") && err.contains("3 fuzzy-assisted, 2 fresh"),
        "{err}"
    );
    // --diff marks exactly the changed and new pairs.
    let marked: BTreeMap<String, Change> = v2
        .pairs
        .iter()
        .filter_map(|p| v2.change_of(&p.id).map(|c| (p.source.clone(), c)))
        .collect();
    let mut want: BTreeMap<String, Change> = BTreeMap::new();
    for s in &changed_new {
        want.insert(s.clone(), Change::Changed);
    }
    for s in inserted {
        want.insert(s.to_string(), Change::New);
    }
    assert_eq!(marked, want);
    // Every export carries the marks: the TSV change column, the TMX x-change prop, the
    // XLIFF subState, the HTML highlight.
    let v2_tsv = dir.path().join("v2.tsv");
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "export",
            path_str(&v2_json),
            "-f",
            "tsv",
            "-o",
            path_str(&v2_tsv),
        ],
    );
    assert!(ok, "{err}");
    let tsv = std::fs::read_to_string(&v2_tsv).unwrap();
    let marked_rows = tsv
        .lines()
        .filter(|l| l.ends_with("\tnew") || l.ends_with("\tchanged"))
        .count();
    assert_eq!(marked_rows, 5);
    assert!(tsv.lines().filter(|l| l.contains("\thuman\t")).count() >= 5);
    for (format, needle) in [
        ("tmx", "<prop type=\"x-change\">changed</prop>"),
        ("xliff", "subState=\"bitext:changed\""),
        ("html", "<span class=\"mark ch\">changed</span>"),
    ] {
        let out = dir.path().join(format!("v2.{format}"));
        let (ok, err) = run(
            &sim,
            home.path(),
            &[
                "export",
                path_str(&v2_json),
                "-f",
                format,
                "-o",
                path_str(&out),
            ],
        );
        assert!(ok, "{err}");
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.matches(needle).count(), 3, "{format}");
    }
}

/// A project TMX as OmegaT 3.6 writes it (`omegat/project_save.tmx`): TMX 1.1 doctype, upper
/// case languages, `lang` (not `xml:lang`), translator ids and dates on the target `<tuv>`.
fn omegat_tmx(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tmx SYSTEM \"tmx11.dtd\">\n<tmx version=\"1.1\">\n  <header creationtool=\"OmegaT\" o-tmf=\"OmegaT TMX\" adminlang=\"EN-US\" datatype=\"plaintext\" creationtoolversion=\"3.6.0_0_1bf1729c\" segtype=\"sentence\" srclang=\"ZH-CN\"/>\n  <body>\n<!-- Default translations -->\n",
    );
    for (source, target) in pairs {
        out.push_str(&format!(
            "    <tu>\n      <tuv lang=\"ZH-CN\">\n        <seg>{source}</seg>\n      </tuv>\n      <tuv lang=\"EN-US\" changeid=\"translator\" changedate=\"20261201T101500Z\" creationid=\"translator\" creationdate=\"20261201T101500Z\">\n        <seg>{target}</seg>\n      </tuv>\n    </tu>\n"
        ));
    }
    out.push_str("  </body>\n</tmx>\n");
    out
}

#[test]
fn an_omegat_project_tmx_prefills_exact_matches_without_requests() {
    let sim = Sim::start(SimConfig::default());
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pairs = [
        (
            "重庆市今天举行新闻发布会。",
            "Chongqing held a press conference today.",
        ),
        (
            "会议介绍了全市数字经济的最新进展。",
            "The meeting presented the latest progress of the city's digital economy.",
        ),
        ("记者 李四", "Reporter Li Si"),
    ];
    let tmx = dir.path().join("project_save.tmx");
    std::fs::write(&tmx, omegat_tmx(&pairs)).unwrap();
    let (ok, err) = run(&sim, home.path(), &["tm", "import", path_str(&tmx)]);
    assert!(ok, "{err}");
    assert!(err.contains("3 added"), "{err}");
    let article = dir.path().join("article.zh.md");
    std::fs::write(
        &article,
        "记者 李四\n\n重庆市今天举行新闻发布会。会议介绍了全市数字经济的最新进展。\n",
    )
    .unwrap();
    let out = dir.path().join("article.json");
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "translate",
            path_str(&article),
            "-b",
            "openai",
            "-o",
            path_str(&out),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(sim.stats().requests, 0, "{err}");
    let bitext = read_json(&out);
    assert_eq!(bitext.pairs.len(), 3);
    for pair in &bitext.pairs {
        let want = pairs.iter().find(|(s, _)| *s == pair.source).unwrap().1;
        assert_eq!(pair.target, want);
        match &pair.origin {
            Origin::Human { author, file, .. } => {
                assert_eq!(author.as_deref(), Some("translator"));
                assert_eq!(file.as_deref(), Some("project_save.tmx"));
            }
            other => panic!("{other:?}"),
        }
    }
    // A bad file adds nothing and names its line.
    let bad = dir.path().join("bad.tsv");
    std::fs::write(
        &bad,
        "id\tsource\ttarget\nx1\t新的一句。\tA new one.\nx2\tonly two\n",
    )
    .unwrap();
    let (ok, err) = run(
        &sim,
        home.path(),
        &["tm", "import", path_str(&tmx), path_str(&bad)],
    );
    assert!(!ok);
    assert!(err.contains("bad.tsv:3:"), "{err}");
    let memory = Cache::open(&home.path().join("tm")).unwrap();
    assert_eq!(memory.stats().unwrap().human, 3);
}

/// A TSV of `n` pairs with an id/source/target header.
fn big_tsv(path: &Path, n: usize, tag: &str) {
    let mut text = String::from("id\tsource\ttarget\n");
    for i in 0..n {
        text.push_str(&format!("t{i}\t第{i}句{tag}：这是用于测试导入的一句中文。\tSentence {i} {tag}: an English line for the import test.\n"));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn kill_9_during_import_leaves_all_or_nothing_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let memory_dir = dir.path().join("tm");
    let small = dir.path().join("small.tsv");
    big_tsv(&small, 10, "小");
    let large = dir.path().join("large.tsv");
    let n = 20_000;
    big_tsv(&large, n, "大");
    let import = |file: &PathBuf| {
        Command::new(env!("CARGO_BIN_EXE_bitext"))
            .args(["tm", "import"])
            .arg(file)
            .arg("--cache")
            .arg(&memory_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    assert!(import(&small).wait().unwrap().success());
    // How long a whole import takes here, then kills spread over it.
    let started = std::time::Instant::now();
    assert!(import(&large).wait().unwrap().success());
    let whole = started.elapsed();
    Cache::open(&memory_dir)
        .unwrap()
        .clear(bitext::cache::OriginFilter::All)
        .unwrap();
    assert!(import(&small).wait().unwrap().success());
    let mut killed_mid_run = 0;
    for step in 1..=5u32 {
        let mut child = import(&large);
        std::thread::sleep(whole.mul_f64(f64::from(step) / 6.0));
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let memory = Cache::open(&memory_dir).expect("the memory opens after kill -9");
        let human = memory.stats().expect("and reads").human;
        assert!(
            human == 10 || human == 10 + n as u64,
            "step {step}: {human} entries"
        );
        if human > 10 {
            Cache::open(&memory_dir)
                .unwrap()
                .clear(bitext::cache::OriginFilter::All)
                .unwrap();
            assert!(import(&small).wait().unwrap().success());
        }
    }
    assert!(
        killed_mid_run >= 3,
        "only {killed_mid_run} kills hit a running import ({whole:?})"
    );
}

#[test]
fn two_processes_share_one_memory() {
    let dir = tempfile::tempdir().unwrap();
    let memory_dir = dir.path().join("tm");
    let files: Vec<PathBuf> = (0..2)
        .map(|k| {
            let path = dir.path().join(format!("part{k}.tsv"));
            big_tsv(&path, 3000, &format!("进程{k}"));
            path
        })
        .collect();
    let article = dir.path().join("a.zh.md");
    std::fs::copy(sample(), &article).unwrap();
    // Two imports and two offline translations at once, on one memory.
    let mut children: Vec<std::process::Child> = files
        .iter()
        .map(|file| {
            Command::new(env!("CARGO_BIN_EXE_bitext"))
                .args(["tm", "import"])
                .arg(file)
                .arg("--cache")
                .arg(&memory_dir)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for k in 0..2 {
        children.push(
            Command::new(env!("CARGO_BIN_EXE_bitext"))
                .env_remove("BITEXT_BACKEND")
                .env_remove("BITEXT_CONFIG")
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .args(["translate", "-b", "gloss", "-o"])
                .arg(dir.path().join(format!("out{k}.json")))
                .arg(&article)
                .arg("--cache")
                .arg(&memory_dir)
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stats = Cache::open(&memory_dir).unwrap().stats().unwrap();
    assert_eq!(stats.human, 6000);
    assert!(stats.machine > 0);
}

#[test]
fn a_warm_rerun_writes_nothing_to_the_memory() {
    let dir = tempfile::tempdir().unwrap();
    let memory_dir = dir.path().join("tm");
    let article = dir.path().join("a.zh.md");
    std::fs::copy(sample(), &article).unwrap();
    let translate = || {
        let output = bitext()
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .args(["translate", "-b", "gloss", "-o"])
            .arg(dir.path().join("out.json"))
            .arg(&article)
            .arg("--cache")
            .arg(&memory_dir)
            .output()
            .unwrap();
        assert!(output.status.success());
    };
    translate();
    let file = memory_dir.join(bitext::cache::FILE_NAME);
    let before = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    std::thread::sleep(Duration::from_millis(20));
    translate();
    let after = (
        std::fs::read(&file).unwrap(),
        std::fs::metadata(&file).unwrap().modified().unwrap(),
    );
    assert!(before == after, "a warm rerun changed the memory file");
}

#[test]
fn tm_export_stats_and_clear_by_origin() {
    let sim = Sim::start(SimConfig::default());
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let human = dir.path().join("human.tsv");
    big_tsv(&human, 4, "人");
    let machine = dir.path().join("machine.tsv");
    big_tsv(&machine, 3, "机");
    let (ok, err) = run(
        &sim,
        home.path(),
        &["tm", "import", path_str(&human), "--author", "Ann"],
    );
    assert!(ok, "{err}");
    let (ok, err) = run(
        &sim,
        home.path(),
        &["tm", "import", path_str(&machine), "--origin", "machine"],
    );
    assert!(ok, "{err}");
    let output = bitext()
        .args(["tm", "stats", "--json", "--cache"])
        .arg(home.path().join("tm"))
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (stats["human"].as_u64(), stats["imported_machine"].as_u64()),
        (Some(4), Some(3))
    );
    assert!(stats["file_bytes"].as_u64().unwrap() > 0);
    // Export: every format carries the origin, and the export imports back unchanged.
    for format in ["tsv", "json", "tmx"] {
        let out = dir.path().join(format!("memory.{format}"));
        let (ok, err) = run(
            &sim,
            home.path(),
            &["tm", "export", "-f", format, "-o", path_str(&out)],
        );
        assert!(ok, "{err}");
        let back = bitext::export::read(
            &std::fs::read_to_string(&out).unwrap(),
            bitext::export::Format::from_name(format).unwrap(),
            "memory",
        )
        .unwrap();
        assert_eq!(back.pairs.len(), 7, "{format}");
        let humans = back.pairs.iter().filter(|p| matches!(&p.origin, Origin::Human { author, .. } if author.as_deref() == Some("Ann"))).count();
        assert_eq!(humans, 4, "{format}");
        let (ok, err) = run(
            &sim,
            home.path(),
            &[
                "tm",
                "import",
                path_str(&out),
                "--origin",
                "human",
                "--author",
                "Ann",
            ],
        );
        assert!(ok, "{err}");
        assert!(
            err.contains("0 added, 3 updated, 4 unchanged"),
            "{format}: {err}"
        );
        let (ok, err) = run(&sim, home.path(), &["tm", "clear", "--origin", "human"]);
        assert!(ok, "{err}");
        assert!(err.contains("removed 7 entries"), "{err}");
        let (ok, err) = run(
            &sim,
            home.path(),
            &["tm", "import", path_str(&human), "--author", "Ann"],
        );
        assert!(ok, "{err}");
        let (ok, err) = run(
            &sim,
            home.path(),
            &["tm", "import", path_str(&machine), "--origin", "machine"],
        );
        assert!(ok, "{err}");
    }
    let (ok, err) = run(
        &sim,
        home.path(),
        &[
            "tm",
            "export",
            "--origin",
            "machine",
            "-f",
            "tsv",
            "-o",
            path_str(&dir.path().join("m.tsv")),
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("wrote 3 entries"), "{err}");
}

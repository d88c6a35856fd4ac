//! `bitext terms`: candidate terms of articles, against hand-made gold lists on passages
//! written for these tests (tests/fixtures/terms/, not the sample), the shipped glossary on
//! the sample, the output formats, a backend on loopback, and bad input.

use crate::common::{bitext, glossary, root, sample};
use crate::sim::{Sim, SimConfig, fake_prefix};
use bitext::glossary::Glossary;

fn fixture(name: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/terms").join(name)
}

/// Rows of the TSV output: (source, target, kind).
fn rows(stdout: &[u8]) -> Vec<(String, String, String)> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("source\ttarget\tkind\tcount\tfirst_id\tcontext")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 6, "{l}");
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

/// What a translator would put in a glossary for each passage (names, places,
/// organisations, facilities, events, programmes, coined phrases), with the people's names
/// in pinyin.
struct Gold {
    file: &'static str,
    terms: &'static [&'static str],
    people: &'static [(&'static str, &'static str)],
}

const GOLD: &[Gold] = &[
    Gold {
        file: "hangzhou-trade-expo.zh.md",
        terms: &[
            "中国（杭州）数字贸易博览会",
            "杭州国际博览中心",
            "浙江省商务厅",
            "数字丝绸之路",
            "阿里巴巴集团",
            "菜鸟网络",
            "萧山区",
            "杭州海关",
            "跨境一件事",
            "浙江大学经济学院",
            "专精特新",
        ],
        people: &[
            ("刘晓峰", "Liu Xiaofeng"),
            ("陈立群", "Chen Liqun"),
            ("孙建平", "Sun Jianping"),
            ("黄志明", "Huang Zhiming"),
            ("徐静怡", "Xu Jingyi"),
            ("周海涛", "Zhou Haitao"),
        ],
    },
    Gold {
        file: "chengdu-railway.zh.md",
        terms: &[
            "成渝中线高铁",
            "龙泉山隧道",
            "中铁二局",
            "成都市发展和改革委员会",
            "简州站",
            "乐至站",
            "成都东站",
            "四川省交通运输厅",
            "成渝地区双城经济圈",
            "八纵八横",
            "简阳市",
            "石桥镇",
            "简州新城",
            "天府国际机场",
            "成渝双城经济圈交通博览会",
            "重庆悦来国际会议中心",
        ],
        people: &[
            ("王志强", "Wang Zhiqiang"),
            ("罗家明", "Luo Jiaming"),
            ("李秀兰", "Li Xiulan"),
            ("张建华", "Zhang Jianhua"),
        ],
    },
];

#[test]
fn finds_the_gold_terms_of_passages_of_our_own() {
    for gold in GOLD {
        let out = bitext()
            .args(["terms", "--no-glossary"])
            .arg(fixture(gold.file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rows = rows(&out.stdout);
        let wanted = gold.terms.len() + gold.people.len();
        let found = gold
            .terms
            .iter()
            .copied()
            .chain(gold.people.iter().map(|p| p.0))
            .filter(|t| rows.iter().any(|r| r.0 == *t))
            .count();
        let recall = found as f64 / wanted as f64;
        eprintln!(
            "{}: {found}/{wanted} gold terms found ({:.0}%), {} candidates",
            gold.file,
            recall * 100.0,
            rows.len()
        );
        assert!(
            recall >= 0.85,
            "{}: recall {recall:.2}: {rows:?}",
            gold.file
        );
        assert!(
            rows.len() as f64 <= 2.5 * wanted as f64,
            "{}: {} candidates for {wanted} gold terms",
            gold.file,
            rows.len()
        );
        for (name, pinyin) in gold.people {
            let row = rows.iter().find(|r| r.0 == *name).unwrap();
            assert_eq!(
                (row.1.as_str(), row.2.as_str()),
                (*pinyin, "person"),
                "{name}"
            );
        }
    }
}

#[test]
fn proposals_by_rule() {
    let out = bitext()
        .args(["terms", "--no-glossary"])
        .arg(fixture("chengdu-railway.zh.md"))
        .output()
        .unwrap();
    let rows = rows(&out.stdout);
    let target = |s: &str| {
        rows.iter()
            .find(|r| r.0 == s)
            .map(|r| (r.1.as_str(), r.2.as_str()))
    };
    assert_eq!(
        target("龙泉山隧道"),
        Some(("Longquanshan Tunnel", "facility"))
    );
    assert_eq!(
        target("成都东站"),
        Some(("Chengdu East Railway Station", "facility"))
    );
    assert_eq!(target("石桥镇"), Some(("Shiqiao Town", "place")));
    assert_eq!(target("简阳市"), Some(("Jianyang City", "place")));
    assert_eq!(
        target("天府国际机场"),
        Some(("Tianfu International Airport", "facility"))
    );
    // The longest complete name, not its parts.
    assert!(target("国际会议中心").is_none() && target("悦来国际会议中心").is_none());
}

#[test]
fn all_lists_every_shipped_glossary_term_in_the_sample() {
    let out = bitext()
        .args(["terms", "--all"])
        .arg(sample())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("glossary: glossary/zh-en.toml (project folder)"),
        "{stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("source\ttarget\tkind\tcount\tfirst_id\tcontext\tstatus")
    );
    let listed: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    // Independently: every term whose source occurs in a segment of the sample.
    let document = bitext::document::read_path(&sample()).unwrap();
    let segments = bitext::split::segment_document(&document);
    let shipped = Glossary::load(&glossary()).unwrap();
    let mut occurring = 0;
    for term in &shipped.terms {
        let key = bitext::glossary::fold::fold(&term.source);
        if !segments
            .iter()
            .any(|s| bitext::glossary::fold::fold(&s.text).contains(&key))
        {
            continue;
        }
        occurring += 1;
        let row = listed.iter().find(|r| r[0] == term.source);
        let row = row.unwrap_or_else(|| panic!("{} not listed", term.source));
        assert_eq!(row[6], "glossary");
        assert_eq!(row[1], term.rendering(false));
    }
    assert!(occurring > 60, "{occurring}");
    // New candidates are not glossary terms.
    for row in listed.iter().filter(|r| r[6] == "new") {
        assert!(
            shipped.terms.iter().all(|t| t.source != row[0]),
            "{}",
            row[0]
        );
    }
}

#[test]
fn toml_output_imports_into_a_glossary() {
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals.toml");
    bitext()
        .args(["terms", "--no-glossary", "-f", "toml", "-o"])
        .arg(&proposals)
        .arg(fixture("hangzhou-trade-expo.zh.md"))
        .assert()
        .success();
    let parsed = Glossary::load(&proposals).unwrap();
    let liu = parsed.terms.iter().find(|t| t.source == "刘晓峰").unwrap();
    assert_eq!(liu.target.as_deref(), Some("Liu Xiaofeng"));
    let note = liu.note.as_deref().unwrap();
    assert!(note.starts_with("person; 1×; pinyin; b"), "{note}");
    let target = dir.path().join("zh-en.toml");
    std::fs::write(&target, "name = \"zh-en\"\n").unwrap();
    bitext()
        .args(["glossary", "-g"])
        .arg(&target)
        .arg("import")
        .arg(&proposals)
        .assert()
        .success();
    let merged = Glossary::load(&target).unwrap();
    assert_eq!(merged.terms.len(), parsed.terms.len());
    // Now in the glossary, they are no longer candidates.
    let out = bitext()
        .args(["terms", "-g"])
        .arg(&target)
        .arg(fixture("hangzhou-trade-expo.zh.md"))
        .output()
        .unwrap();
    assert_eq!(rows(&out.stdout).len(), 0);
}

#[test]
fn json_output_and_min_count() {
    let out = bitext()
        .args(["terms", "--no-glossary", "-f", "json", "--min-count", "2"])
        .arg(fixture("chengdu-railway.zh.md"))
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert!(!list.is_empty());
    assert!(list.iter().all(|c| c["count"].as_u64().unwrap() >= 2));
    assert_eq!(list[0]["source"], "成渝中线高铁");
    assert_eq!(list[0]["count"], 3);
}

#[test]
fn a_backend_fills_the_targets_in_one_request() {
    let sim = Sim::start(SimConfig::default());
    let out = bitext()
        .env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", "sk-sim")
        .args(["terms", "--no-glossary", "-b", "openai", "-f", "json"])
        .arg(fixture("chengdu-railway.zh.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sim.stats().requests, 1);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, c) in list.as_array().unwrap().iter().enumerate() {
        let id = format!("t{}", i + 1);
        let source = c["source"].as_str().unwrap();
        assert_eq!(c["target"], format!("{}.", fake_prefix(&id, source)));
        assert_eq!(c["proposal"], "backend");
        assert!(c["offline"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[test]
fn bad_input_and_empty_lists() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("plain.md");
    std::fs::write(&empty, "今天天气很好。我们去公园散步。\n").unwrap();
    let out = bitext()
        .args(["terms", "--no-glossary"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no candidate terms found"), "{stderr}");

    let out = bitext()
        .args(["terms", "-g", "no-such-glossary.toml"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no-such-glossary.toml: glossary file does not exist"),
        "{stderr}"
    );

    let folder = dir.path().join("glossaries");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("a.toml"),
        "[[term]]\nsource = \"甲\"\ntarget = \"A\"\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("b.toml"),
        "[[term]]\nsource = \"乙\"\ntarget = [\n",
    )
    .unwrap();
    let out = bitext()
        .args(["terms", "-g"])
        .arg(&folder)
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("b.toml:3:"), "{stderr}");

    // The input is never the output.
    let out = bitext()
        .args(["terms", "--no-glossary", "-o"])
        .arg(&empty)
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap(),
        "今天天气很好。我们去公园散步。\n"
    );
}

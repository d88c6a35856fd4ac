//! What the soak and crash tests share: article variants, a `bitext translate` command aimed
//! at the simulated server, and the check that every output pair is complete and paired with
//! the right source.

use crate::common::{bitext, glossary, sample};
use crate::sim::{Sim, fake_prefix, segment_key};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Variant `k` of the sample: `〔k〕` before every sentence mark and at the end of every
/// heading line and every line that ends in a word, so that every sentence differs between
/// variants (no cache sharing) while the segmentation stays the same (checked by
/// `variants_keep_the_segmentation`). Variant 0 is the sample itself.
pub fn variant(k: usize) -> String {
    let text = std::fs::read_to_string(sample()).unwrap();
    if k == 0 {
        return text;
    }
    let tag = format!("〔{k}〕");
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut previous = ' ';
            for c in line.chars() {
                let ascii_mark = matches!(c, '!' | '?') && !previous.is_ascii_alphanumeric();
                if matches!(c, '。' | '！' | '？') || ascii_mark {
                    out.push_str(&tag);
                }
                out.push(c);
                previous = c;
            }
            // Headings, and lines that end inside a word (bylines, credits, page-break
            // fragments): the tag keeps them as incomplete as they were.
            let last = line.trim_end().chars().next_back();
            if line.trim_start().starts_with('#') || last.is_some_and(char::is_alphanumeric) {
                out.push_str(&tag);
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes `count` articles (the sample and variants) into `dir`; returns their paths.
pub fn write_articles(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|k| {
            let path = dir.join(format!("article{k:02}.zh.md"));
            std::fs::write(&path, variant(k)).unwrap();
            path
        })
        .collect()
}

/// `bitext translate FILES --out-dir OUT -f json -b openai -g glossary --cache CACHE`, with
/// the environment pointing at the simulated server and nothing else (no user config).
pub fn translate(sim: &Sim, home: &Path, files: &[PathBuf], out: &Path) -> assert_cmd::Command {
    let mut cmd = bitext();
    cmd.env("OPENAI_BASE_URL", sim.base_url())
        .env("OPENAI_API_KEY", "sk-sim-0123456789abcdef")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .arg("translate")
        .args(files)
        .arg("--out-dir")
        .arg(out)
        .args(["-f", "json", "-b", "openai", "-g"])
        .arg(glossary())
        .arg("--cache")
        .arg(home.join("cache"));
    cmd
}

/// The output file of an article.
pub fn output_of(out: &Path, article: &Path) -> PathBuf {
    let name = article.file_name().unwrap().to_str().unwrap();
    out.join(name.replace(".zh.md", ".json"))
}

/// The segment keys (`id#hash`, as the server counts them) of the articles.
pub fn all_keys(files: &[PathBuf]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for file in files {
        let doc = bitext::document::read_path(file).unwrap();
        for segment in bitext::split::segment_document(&doc) {
            let fresh = keys.insert(segment_key(&segment.id.to_string(), &segment.text));
            assert!(fresh, "{} occurs twice", segment.id);
        }
    }
    keys
}

/// Every article's output holds every segment in order, with its own source, and a target
/// that the server made for exactly that id and source text.
pub fn check_outputs(files: &[PathBuf], out: &Path) {
    for file in files {
        let doc = bitext::document::read_path(file).unwrap();
        let segments = bitext::split::segment_document(&doc);
        let path = output_of(out, file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let bitext = bitext::export::json::read(&text, &path.display().to_string()).unwrap();
        assert_eq!(bitext.pairs.len(), segments.len(), "{}", path.display());
        for (pair, segment) in bitext.pairs.iter().zip(&segments) {
            let id = segment.id.to_string();
            assert_eq!(pair.id, id, "{}", path.display());
            assert_eq!(pair.source, segment.text, "{} {id}", path.display());
            // The answer made for this id, or (from the cache) for another segment of the
            // article with the same text: the cache key is the text, not the id.
            let twins: Vec<String> = segments
                .iter()
                .filter(|s| s.text == segment.text)
                .map(|s| fake_prefix(&s.id.to_string(), &s.text))
                .collect();
            assert!(
                twins.iter().any(|prefix| pair.target.starts_with(prefix)),
                "{} {id}: target {:?} is not the answer for this source ({twins:?})",
                path.display(),
                pair.target
            );
        }
    }
}

#[test]
fn variants_keep_the_segmentation() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_articles(dir.path(), 3);
    let ids = |file: &PathBuf| -> Vec<(String, bitext::model::BlockKind)> {
        let doc = bitext::document::read_path(file).unwrap();
        bitext::split::segment_document(&doc)
            .into_iter()
            .map(|s| (s.id.to_string(), s.kind))
            .collect()
    };
    assert_eq!(ids(&files[0]), ids(&files[1]));
    assert_eq!(ids(&files[0]), ids(&files[2]));
    // Every segment of every variant is distinct.
    assert_eq!(all_keys(&files).len(), 3 * ids(&files[0]).len());
}

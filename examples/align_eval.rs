//! Evaluation of `bitext align` on the MAC zh-en gold data (Bertalign's benchmark).
//!
//! Aligns every chapter of `../shared/eval/align-zh-en/mac-dev` and `mac-test` (one sentence a
//! line, i.e. `--presplit` input) with the gloss bridge, writes link files, and scores them
//! with `python3 ../shared/eval/align_score.py GOLD PRED --exact`. The texts are read at run
//! time only; nothing of them is stored in the repository.
//!
//! Run: `cargo run --release --example align_eval [-- [--set dev|test|all] [--out DIR]
//! [--bridge gloss|none] [--joint] [name=value ...]]` where `name=value` overrides an aligner parameter
//! (lexical, size_power, additive, length, sigma, smooth, prior, null, quote, turns, mean, band,
//! band_refine, passes).

use bitext::align::{Aligner, Dictionary, Params};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("align_eval: error: {err}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/eval");
    let data = shared.join("align-zh-en");
    if !data.is_dir() {
        println!(
            "align_eval: {} is absent: the MAC evaluation data is not available, nothing measured",
            data.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut sets = vec!["mac-dev", "mac-test"];
    let mut out = std::env::temp_dir().join("bitext-align-eval");
    let mut bridge = "gloss".to_string();
    let mut params = Params::default();
    let mut joint = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--set" => {
                sets = match args.next().as_deref() {
                    Some("dev") => vec!["mac-dev"],
                    Some("test") => vec!["mac-test"],
                    _ => vec!["mac-dev", "mac-test"],
                }
            }
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "--joint" => joint = true,
            "--bridge" => bridge = args.next().ok_or("--bridge needs gloss or none")?,
            _ => set_param(&mut params, &arg)?,
        }
    }
    let load = Instant::now();
    let dict = if bridge == "gloss" {
        let lexicon = bitext::backend::gloss::Lexicon::global();
        lexicon.segment("预热");
        Some(lexicon)
    } else {
        None
    };
    let load_time = load.elapsed();
    println!(
        "dictionary load: {:.2} s (bridge {bridge})",
        load_time.as_secs_f64()
    );
    let mut aligner = Aligner::new(dict.map(|d| d as &dyn Dictionary), None);
    aligner.params = params;
    for set in sets {
        let dir = data.join(set);
        let pred = out.join(set);
        std::fs::create_dir_all(&pred).map_err(|e| format!("{}: {e}", pred.display()))?;
        let mut chapters: Vec<String> = std::fs::read_dir(dir.join("zh"))
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.contains('.'))
            .collect();
        chapters.sort();
        let mut texts = Vec::new();
        for name in &chapters {
            let zh = read_lines(&dir.join("zh").join(name))?;
            let en = read_lines(&dir.join("en").join(name))?;
            texts.push((zh, en));
        }
        let docs: Vec<(Vec<&str>, Vec<&str>)> = texts
            .iter()
            .map(|(zh, en)| {
                (
                    zh.iter().map(String::as_str).collect(),
                    en.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        let start = Instant::now();
        let all_links = if joint {
            aligner.align_documents(&docs)
        } else {
            docs.iter().map(|(zh, en)| aligner.align(zh, en)).collect()
        };
        let elapsed = start.elapsed();
        for (name, links) in chapters.iter().zip(&all_links) {
            let path = pred.join(format!("{name}.tsv"));
            std::fs::write(&path, bitext::align::links_tsv(links))
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!(
            "{set}: {} chapters aligned in {:.3} s (one core, dictionary loaded once{})",
            chapters.len(),
            elapsed.as_secs_f64(),
            if joint {
                ", associations learned over all chapters"
            } else {
                ""
            },
        );
        let status = Command::new("python3")
            .arg(shared.join("align_score.py"))
            .arg(dir.join("gold"))
            .arg(&pred)
            .arg("--exact")
            .arg("--quiet")
            .status()
            .map_err(|e| format!("python3: {e}"))?;
        if !status.success() {
            return Err(format!("align_score.py failed on {set}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_lines(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().map(str::to_string).collect())
}

fn set_param(p: &mut Params, arg: &str) -> Result<(), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("unknown argument {arg:?}"))?;
    let f: f64 = value
        .parse()
        .map_err(|_| format!("{name}: not a number: {value:?}"))?;
    match name {
        "lexical" => p.lexical = f,
        "size_power" => p.size_power = f,
        "additive" => p.additive = f,
        "length" => p.length = f,
        "sigma" => p.sigma = f,
        "smooth" => p.smooth = f,
        "prior" => p.prior = f,
        "null" => p.null = f,
        "quote" => p.quote = f,
        "turns" => p.turns = f,
        "mean" => p.mean = f,
        "band" => p.band = f as usize,
        "band_refine" => p.band_refine = f as usize,
        "passes" => p.passes = f as usize,
        _ => return Err(format!("unknown parameter {name:?}")),
    }
    Ok(())
}

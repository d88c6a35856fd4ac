//! Large inputs, generated at test time in a temporary directory (never committed): a 10 MB
//! line without sentence marks, a 10 MB line of short sentences, and a 100 MB article file
//! with its peak memory measured (ignored by default; see docs/development.md).

use crate::common::{bitext, sample};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const SENTENCE: &str = "重庆两江新区举办智博会，数字经济蓬勃发展。";

fn write_repeated(path: &Path, piece: &str, bytes: usize) -> usize {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut count = 0;
    while written < bytes {
        file.write_all(piece.as_bytes()).unwrap();
        written += piece.len();
        count += 1;
    }
    file.flush().unwrap();
    count
}

#[test]
fn ten_megabyte_line_without_marks_is_one_segment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.txt");
    let piece = "重庆两江新区举办智博会数字经济蓬勃发展";
    let count = write_repeated(&path, piece, 10 << 20);
    let out = bitext()
        .args(["split", "--format", "tsv"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].len(),
        "b1.s1\t1\tparagraph\t".len() + piece.len() * count
    );
}

/// One megabyte of short sentences on one line: every sentence is a segment, in order.
#[test]
fn megabyte_line_of_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.txt");
    let count = write_repeated(&path, SENTENCE, 1 << 20);
    let out = bitext().arg("split").arg(&path).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), count);
    assert!(stdout.lines().all(|l| l == SENTENCE));
}

/// The same with 10 MB: 480 000 sentences on one line. (Quadratic until main's "segment
/// lines by binary search": 94 s here, now about half a second.)
#[test]
fn ten_megabyte_line_of_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("line.txt");
    let count = write_repeated(&path, SENTENCE, 10 << 20);
    let out = bitext().arg("split").arg(&path).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        count
    );
}

/// Peak resident memory of a command in kilobytes, by `/usr/bin/time -v` (None when absent).
pub fn peak_rss_kb(command: &mut Command) -> Option<(u64, std::process::ExitStatus)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let out = Command::new(time)
        .arg("-v")
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kb = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })?
        .parse()
        .ok()?;
    Some((kb, out.status))
}

/// 100 MB of articles (the sample repeated) through `bitext split`: it works and memory stays
/// bounded (the reader holds the file and its text; under 4x the file size). Prints the peak
/// RSS for BENCHMARKS.md. `cargo test --release --test integration large::hundred -- --ignored --nocapture`
#[test]
#[ignore = "100 MB; run by hand (docs/development.md)"]
fn hundred_megabyte_file_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.md");
    let mut article = std::fs::read_to_string(sample()).unwrap();
    article.push_str("\n\n");
    let copies = write_repeated(&path, &article, 100 << 20);
    let size = std::fs::metadata(&path).unwrap().len();
    let started = std::time::Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bitext"));
    command.args(["split", "--format", "tsv"]).arg(&path);
    let Some((kb, status)) = peak_rss_kb(&mut command) else {
        eprintln!("/usr/bin/time is absent: peak RSS not measured");
        return;
    };
    assert!(status.success());
    let elapsed = started.elapsed();
    eprintln!(
        "split of {} MB ({copies} copies of the sample): {:.1} s, peak RSS {} MB ({:.2}x the file)",
        size >> 20,
        elapsed.as_secs_f64(),
        kb >> 10,
        (kb * 1024) as f64 / size as f64
    );
    assert!(
        kb * 1024 < 4 * size,
        "peak RSS {kb} KB for a {size}-byte file"
    );
    // And the output is complete: one row per segment of every copy.
    let per_copy = bitext()
        .args(["split", "--format", "tsv"])
        .arg(sample())
        .output()
        .unwrap()
        .stdout
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        - 1;
    let rows = Command::new(env!("CARGO_BIN_EXE_bitext"))
        .args(["split", "--format", "tsv"])
        .arg(&path)
        .output()
        .unwrap()
        .stdout
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        - 1;
    assert_eq!(rows, per_copy * copies);
}

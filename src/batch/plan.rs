//! Planning: the memory's misses of each article into request lines (the interactive
//! client's own prompt and body), and the lines into batch files within the provider's limits.
//!
//! Articles are planned one at a time and each request line goes straight to disk, so memory
//! holds one article and the set of memory keys already planned (a sentence that recurs
//! across articles is requested once), never the whole job.

use super::BatchError;
use super::lines::RequestLine;
use super::store::{MapLine, sync_dir};
use crate::backend::openai::{OpenAiBackend, ResponseFormat};
use crate::cache::{Cache, CacheKey};
use crate::pipeline::prepare::prepare;
use crate::pipeline::{Article, Job, NoProgress, Options, Terms, estimate_tokens};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A provider's limits on one batch input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Request lines per file (OpenAI: 50,000).
    pub max_requests: usize,
    /// Bytes per file (OpenAI: 200 MB).
    pub max_bytes: u64,
}

impl Default for Limits {
    /// OpenAI's limits, with a margin on the size.
    fn default() -> Limits {
        Limits {
            max_requests: 50_000,
            max_bytes: 190 * 1024 * 1024,
        }
    }
}

/// One request line and what it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRequest {
    pub line: RequestLine,
    /// `(segment id, memory key, characters)` in request order.
    pub segments: Vec<(String, CacheKey, usize)>,
    /// Estimated tokens: the prompt as sent, and the answer.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// What planning found for the articles so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanCounts {
    pub segments: usize,
    /// Answered by the memory.
    pub cached: usize,
    /// In a batch that is not collected yet (never requested twice).
    pub pending: usize,
    /// Left to the interactive run (already tried in a batch).
    pub interactive: usize,
    /// Put into request lines.
    pub planned: usize,
    pub requests: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Turns articles into request lines.
pub struct Planner<'a> {
    backend: &'a OpenAiBackend,
    terms: &'a dyn Terms,
    options: &'a Options,
    cache: Option<&'a Cache>,
    format: ResponseFormat,
    /// Keys already planned (or pending, or left to the interactive run).
    seen: HashSet<CacheKey>,
    /// Keys pending in open batches.
    pending: HashSet<CacheKey>,
    /// Keys tried in a batch already: not batched again (the interactive run does them).
    exhausted: HashSet<CacheKey>,
    pub counts: PlanCounts,
}

impl<'a> Planner<'a> {
    pub fn new(
        backend: &'a OpenAiBackend,
        terms: &'a dyn Terms,
        options: &'a Options,
        cache: Option<&'a Cache>,
    ) -> Planner<'a> {
        // What an interactive run learned about the server (its response-format verdict).
        if let Some(path) = &options.servers {
            crate::pipeline::servers::load(path, backend);
        }
        Planner {
            backend,
            terms,
            options,
            cache,
            // The verdict of an earlier probe or the setting, else the strictest form (the
            // Batch API and vLLM both honour json_schema); answers are read leniently anyway.
            format: backend
                .response_format()
                .unwrap_or(ResponseFormat::JsonSchema),
            seen: HashSet::new(),
            pending: HashSet::new(),
            exhausted: HashSet::new(),
            counts: PlanCounts::default(),
        }
    }

    /// Keys pending in open batches: counted, never planned.
    pub fn with_pending(mut self, keys: HashSet<CacheKey>) -> Self {
        self.pending = keys;
        self
    }

    /// Keys a batch already failed to answer: left to the interactive run.
    pub fn with_exhausted(mut self, keys: HashSet<CacheKey>) -> Self {
        self.exhausted = keys;
        self
    }

    /// The request lines for the articles' misses, handed to `emit` one at a time: units,
    /// memory keys, packing and request bodies exactly as an interactive run of the same
    /// articles makes them ([`crate::pipeline::prepare`] and the `openai` client's
    /// [`OpenAiBackend::request_body`]). Planning articles one call at a time keeps memory
    /// bounded; planning them in one call packs them as one interactive run would.
    pub fn plan_articles(
        &mut self,
        articles: &[Article],
        mut emit: impl FnMut(PlannedRequest) -> Result<(), BatchError>,
    ) -> Result<(), BatchError> {
        let job = Job {
            backend: self.backend,
            terms: self.terms,
            cache: self.cache,
            options: self.options.clone(),
            progress: &NoProgress,
        };
        let prepared = prepare(&job, articles)?;
        let mut send = prepared.to_send();
        self.counts.segments += prepared.units.len();
        for (u, unit) in prepared.units.iter().enumerate() {
            if prepared.hits[u].is_some() {
                self.counts.cached += 1;
                send[u] = false;
            } else if self.pending.contains(&unit.key) {
                self.counts.pending += 1;
                send[u] = false;
            } else if self.exhausted.contains(&unit.key) {
                if self.seen.insert(unit.key) {
                    self.counts.interactive += 1;
                }
                send[u] = false;
            } else if !self.seen.insert(unit.key) {
                // Planned for an earlier article (or an earlier segment of this one).
                send[u] = false;
            }
        }
        for members in prepared.batches_for(&send, self.options) {
            let batch = prepared.batch(articles, self.options, &members, None);
            let body = self.backend.request_body(&batch, self.format);
            let prompt: String = body["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["content"].as_str())
                .collect();
            let input_tokens = estimate_tokens(&prompt).0;
            let output_tokens = members
                .iter()
                .map(|&u| estimate_tokens(&prepared.units[u].text).1 + 8)
                .sum();
            self.counts.planned += members.len();
            self.counts.requests += 1;
            self.counts.input_tokens += input_tokens;
            self.counts.output_tokens += output_tokens;
            emit(PlannedRequest {
                line: RequestLine::chat(body),
                segments: members
                    .iter()
                    .map(|&u| {
                        let unit = &prepared.units[u];
                        (unit.id.to_string(), unit.key, unit.chars())
                    })
                    .collect(),
                input_tokens,
                output_tokens,
            })?;
        }
        Ok(())
    }
}

/// A finished batch file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    pub intent: String,
    /// The request lines (the store's file, or the offline runner's file).
    pub path: PathBuf,
    pub requests: usize,
    pub segments: usize,
    pub bytes: u64,
}

struct OpenFile {
    lines_tmp: PathBuf,
    map_tmp: PathBuf,
    lines: BufWriter<std::fs::File>,
    map: BufWriter<std::fs::File>,
    requests: usize,
    segments: usize,
    bytes: u64,
    hasher: Sha256,
}

/// Writes request lines into batch files of at most [`Limits`], each with its map file, in
/// `dir`. A file becomes `ID.jsonl` and `ID.map.jsonl` (synced) when it is full or at
/// [`FileWriter::finish`]; the id is a hash of its `custom_id`s and `salt`.
pub struct FileWriter {
    dir: PathBuf,
    limits: Limits,
    salt: String,
    /// For an offline runner: every line goes to this one file instead.
    single: Option<PathBuf>,
    current: Option<OpenFile>,
    written: Vec<WrittenFile>,
}

impl FileWriter {
    /// Batch files in `dir` (the store's folder). `salt` keeps ids unique across rounds.
    pub fn new(dir: &Path, limits: Limits, salt: impl Into<String>) -> FileWriter {
        FileWriter {
            dir: dir.to_path_buf(),
            limits,
            salt: salt.into(),
            single: None,
            current: None,
            written: Vec::new(),
        }
    }

    /// One file of lines at `path` (its map in `dir`), without limits: `batch requests`.
    pub fn single(dir: &Path, path: &Path, salt: impl Into<String>) -> FileWriter {
        FileWriter {
            single: Some(path.to_path_buf()),
            ..FileWriter::new(
                dir,
                Limits {
                    max_requests: usize::MAX,
                    max_bytes: u64::MAX,
                },
                salt,
            )
        }
    }

    fn open(&mut self) -> Result<(), BatchError> {
        let n = self.written.len();
        let lines_tmp = match &self.single {
            Some(path) => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "requests.jsonl".into());
                path.with_file_name(format!(".{name}.bitext-{}.tmp", std::process::id()))
            }
            None => self
                .dir
                .join(format!(".writing-{}-{n}.jsonl", std::process::id())),
        };
        let map_tmp = self
            .dir
            .join(format!(".writing-{}-{n}.map.jsonl", std::process::id()));
        let create = |path: &Path| {
            std::fs::File::create(path)
                .map(BufWriter::new)
                .map_err(|e| BatchError::io(path, e))
        };
        self.current = Some(OpenFile {
            lines: create(&lines_tmp)?,
            map: create(&map_tmp)?,
            lines_tmp,
            map_tmp,
            requests: 0,
            segments: 0,
            bytes: 0,
            hasher: Sha256::new(),
        });
        Ok(())
    }

    /// Adds one request, starting a new file when this one would pass a limit.
    pub fn push(&mut self, request: &PlannedRequest) -> Result<(), BatchError> {
        let mut line = serde_json::to_string(&request.line).expect("a request line serialises");
        line.push('\n');
        let size = line.len() as u64;
        if let Some(current) = &self.current
            && current.requests > 0
            && (current.requests >= self.limits.max_requests
                || current.bytes + size > self.limits.max_bytes)
        {
            self.close()?;
        }
        if self.current.is_none() {
            self.open()?;
        }
        let current = self.current.as_mut().expect("opened above");
        current
            .lines
            .write_all(line.as_bytes())
            .map_err(|e| BatchError::io(&current.lines_tmp, e))?;
        let map = MapLine {
            custom_id: request.line.custom_id.clone(),
            segments: request
                .segments
                .iter()
                .map(|(id, key, chars)| (id.clone(), key.hex(), *chars))
                .collect(),
        };
        let mut map_line = serde_json::to_string(&map).expect("a map line serialises");
        map_line.push('\n');
        current
            .map
            .write_all(map_line.as_bytes())
            .map_err(|e| BatchError::io(&current.map_tmp, e))?;
        current.hasher.update(request.line.custom_id.as_bytes());
        current.requests += 1;
        current.segments += request.segments.len();
        current.bytes += size;
        Ok(())
    }

    fn close(&mut self) -> Result<(), BatchError> {
        let Some(mut file) = self.current.take() else {
            return Ok(());
        };
        file.hasher.update(self.salt.as_bytes());
        let digest = file.hasher.finalize();
        let intent = format!(
            "bt-{}",
            digest[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let finish = |mut writer: BufWriter<std::fs::File>, tmp: &Path| {
            writer
                .flush()
                .map_err(|e| BatchError::io(tmp, e))
                .and_then(|()| {
                    writer
                        .get_ref()
                        .sync_all()
                        .map_err(|e| BatchError::io(tmp, e))
                })
        };
        finish(file.lines, &file.lines_tmp)?;
        finish(file.map, &file.map_tmp)?;
        let lines_path = match &self.single {
            Some(path) => path.clone(),
            None => self.dir.join(format!("{intent}.jsonl")),
        };
        let map_path = self.dir.join(format!("{intent}.map.jsonl"));
        std::fs::rename(&file.map_tmp, &map_path).map_err(|e| BatchError::io(&map_path, e))?;
        std::fs::rename(&file.lines_tmp, &lines_path)
            .map_err(|e| BatchError::io(&lines_path, e))?;
        sync_dir(&self.dir);
        if let Some(parent) = lines_path.parent() {
            sync_dir(parent);
        }
        self.written.push(WrittenFile {
            intent,
            path: lines_path,
            requests: file.requests,
            segments: file.segments,
            bytes: file.bytes,
        });
        Ok(())
    }

    /// Closes the last file; returns every file written.
    pub fn finish(mut self) -> Result<Vec<WrittenFile>, BatchError> {
        self.close()?;
        Ok(std::mem::take(&mut self.written))
    }

    /// Removes the temporary files of an interrupted writer.
    pub fn abandon(mut self) {
        if let Some(file) = self.current.take() {
            let _ = std::fs::remove_file(&file.lines_tmp);
            let _ = std::fs::remove_file(&file.map_tmp);
        }
    }
}

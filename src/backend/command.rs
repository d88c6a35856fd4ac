//! An external program as a backend (a local Argos, CTranslate2 or Marian script): one
//! process per batch, JSON lines on its stdin (`{"id","text","terms":[{"source","target"}]}`),
//! JSON lines on its stdout (`{"id","text"}`), in any order. Blank stdout lines are ignored.
//!
//! Failures: the program not found → `Config`; no answer within the timeout → `Transient`
//! (the process is killed); exit status 75 (`EX_TEMPFAIL`) → `Transient`; any other non-zero
//! exit → `BadResponse` with the end of its stderr; a line that is not the expected JSON, or
//! wrong ids → `BadResponse`.

use super::{Backend, BackendError, BackendInfo, Batch, Output, Translation, Usage};
use async_trait::async_trait;
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// Settings of the command backend.
#[derive(Debug, Clone)]
pub struct CommandSettings {
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
    /// Working directory (the config file's folder, so relative script paths work).
    pub dir: Option<PathBuf>,
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_items: usize,
    pub max_chars: usize,
    /// Free-form model label, part of the cache key (e.g. `opus-mt-zh-en`).
    pub model: Option<String>,
}

impl CommandSettings {
    pub fn new(program: impl Into<String>, args: Vec<String>) -> CommandSettings {
        CommandSettings {
            name: "command".into(),
            program: program.into(),
            args,
            dir: None,
            timeout: Duration::from_secs(300),
            concurrency: 1,
            max_items: 100,
            max_chars: 20_000,
            model: None,
        }
    }

    /// The command line as shown to users and used in the cache key.
    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The command backend.
pub struct CommandBackend {
    settings: CommandSettings,
}

impl fmt::Debug for CommandBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandBackend")
            .field("settings", &self.settings)
            .finish()
    }
}

#[derive(Deserialize)]
struct Line {
    id: String,
    text: String,
}

/// The last `max` characters of `text`, on one line.
fn tail(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let count = collapsed.chars().count();
    if count <= max {
        collapsed
    } else {
        let cut: String = collapsed.chars().skip(count - max).collect();
        format!("…{cut}")
    }
}

impl CommandBackend {
    pub fn new(settings: CommandSettings) -> Result<CommandBackend, BackendError> {
        if settings.program.trim().is_empty() {
            return Err(BackendError::Config {
                backend: settings.name,
                detail: "no command set; set command = \"…\" in bitext.toml".into(),
            });
        }
        Ok(CommandBackend { settings })
    }

    /// The JSON lines written to the program's stdin.
    pub fn input(batch: &Batch) -> String {
        let mut input = String::new();
        for item in &batch.items {
            let line = serde_json::json!({"id": item.id, "text": item.text, "terms": item.terms});
            input.push_str(&line.to_string());
            input.push('\n');
        }
        input
    }

    async fn run(&self, input: String) -> Result<std::process::Output, BackendError> {
        let s = &self.settings;
        let mut command = tokio::process::Command::new(&s.program);
        command
            .args(&s.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &s.dir {
            command.current_dir(dir);
        }
        let mut child = command.spawn().map_err(|e| BackendError::Config {
            backend: s.name.clone(),
            detail: format!(
                "cannot run {:?}: {e}; check command in bitext.toml",
                s.program
            ),
        })?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // Write concurrently with reading, so a program that answers line by line never blocks
        // on a full pipe. A program that exits without reading everything is not an error here.
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(input.as_bytes()).await;
            let _ = stdin.shutdown().await;
        });
        let result = tokio::time::timeout(s.timeout, child.wait_with_output()).await;
        writer.abort();
        match result {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(BackendError::Transient {
                backend: s.name.clone(),
                detail: format!("{}: {e}", s.command_line()),
            }),
            // Dropping the future drops the child, which kills it (kill_on_drop).
            Err(_) => Err(BackendError::Transient {
                backend: s.name.clone(),
                detail: format!(
                    "{} gave no answer within {}s (killed); raise timeout_secs",
                    s.command_line(),
                    s.timeout.as_secs_f64()
                ),
            }),
        }
    }
}

#[async_trait]
impl Backend for CommandBackend {
    fn info(&self) -> BackendInfo {
        let s = &self.settings;
        BackendInfo {
            name: s.name.clone(),
            kind: "command".into(),
            model: s.model.clone(),
            endpoint: Some(s.command_line()),
            max_items: s.max_items,
            max_chars: s.max_chars,
            native_terms: false,
            default_concurrency: s.concurrency,
            protocol_version: 1,
        }
    }

    async fn translate(&self, batch: &Batch) -> Result<Translation, BackendError> {
        let s = &self.settings;
        if batch.items.is_empty() {
            return Ok(Translation::default());
        }
        let output = self.run(Self::input(batch)).await?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let detail = format!(
                "{} exited with {}; stderr: {}",
                s.command_line(),
                output.status,
                tail(&stderr, 400)
            );
            return Err(if output.status.code() == Some(75) {
                BackendError::Transient {
                    backend: s.name.clone(),
                    detail,
                }
            } else {
                BackendError::BadResponse {
                    backend: s.name.clone(),
                    detail,
                }
            });
        }
        let stdout = String::from_utf8(output.stdout).map_err(|e| BackendError::BadResponse {
            backend: s.name.clone(),
            detail: format!(
                "stdout is not UTF-8 (byte {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        let mut outputs = Vec::new();
        for (index, line) in stdout.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed: Line =
                serde_json::from_str(line).map_err(|e| BackendError::BadResponse {
                    backend: s.name.clone(),
                    detail: format!(
                        "stdout line {} is not {{\"id\",\"text\"}} JSON ({e}): {:?}",
                        index + 1,
                        line.chars().take(80).collect::<String>()
                    ),
                })?;
            outputs.push(Output {
                id: parsed.id,
                text: parsed.text,
            });
        }
        let outputs = super::order_by_id(&s.name, batch, outputs)?;
        Ok(Translation {
            outputs,
            usage: Usage::default(),
        })
    }
}

//! What the pipeline remembers about servers between runs: each backend's learned setting
//! (the OpenAI-compatible response-format verdict) per backend kind, endpoint and model, in
//! a small JSON file outside the translation memory, so that `--no-cache` or another
//! `--cache DIR` does not lose it. The file is a hint: a missing or unreadable one is empty.

use crate::backend::{Backend, BackendInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default file: `<user cache dir>/bitext-servers.json` (beside, not inside, the default
/// translation memory).
pub fn default_path() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("bitext-servers.json"))
}

fn key(info: &BackendInfo) -> String {
    format!(
        "{}\t{}\t{}",
        info.kind,
        info.endpoint.as_deref().unwrap_or_default(),
        info.model.as_deref().unwrap_or_default()
    )
}

fn read(path: &Path) -> BTreeMap<String, String> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Gives `backend` what an earlier run learned about its server, if anything. Returns the
/// word given (to tell later whether there is anything new to store).
pub fn load(path: &Path, backend: &dyn Backend) -> Option<String> {
    let learned = read(path).remove(&key(&backend.info()))?;
    backend.adopt_learned(&learned);
    Some(learned)
}

/// Stores what `backend` learned when it differs from `known` (nothing is written, and no
/// disk sync made, otherwise).
pub fn save(path: &Path, backend: &dyn Backend, known: Option<&str>) -> std::io::Result<()> {
    let Some(learned) = backend.learned() else {
        return Ok(());
    };
    if known == Some(learned.as_str()) {
        return Ok(());
    }
    let mut all = read(path);
    all.insert(key(&backend.info()), learned);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(&all).map_err(std::io::Error::other)?;
    crate::util::atomic_write(path, text.as_bytes())
}

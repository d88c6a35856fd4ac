//! Configuration: `bitext.toml` (named backends, default backend, glossaries), the environment
//! variables the ecosystem already uses, and command-line overrides.
//!
//! Precedence, lowest first: built-in defaults < config file < environment < command line.
//!
//! The config file is the first of: `--config FILE`, `$BITEXT_CONFIG`, `./bitext.toml`, and
//! `bitext/bitext.toml` in the user config dir (`$XDG_CONFIG_HOME`, `~/.config`). Keys are
//! documented in `docs/backends.md`; an unknown key is an error at its `file:line:col`.
//! API keys are never read from the file, only from the environment variable a backend names
//! (`api_key_env`), so the file can be committed.

use crate::backend::http::ApiKey;
use crate::backend::openai::{self, ResponseFormat};
use crate::backend::{deepl, libretranslate};
use crate::text::line_col;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The kind of client a backend uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[serde(rename = "openai")]
    OpenAi,
    Deepl,
    #[serde(rename = "libretranslate")]
    LibreTranslate,
    Command,
    Gloss,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OpenAi => "openai",
            Kind::Deepl => "deepl",
            Kind::LibreTranslate => "libretranslate",
            Kind::Command => "command",
            Kind::Gloss => "gloss",
        }
    }

    /// The kind a built-in backend name stands for (`openai`, `deepl`, `libretranslate`,
    /// `gloss`); `command` needs a configured program, so it is not built in.
    pub fn builtin(name: &str) -> Option<Kind> {
        match name {
            "openai" => Some(Kind::OpenAi),
            "deepl" => Some(Kind::Deepl),
            "libretranslate" => Some(Kind::LibreTranslate),
            "gloss" => Some(Kind::Gloss),
            _ => None,
        }
    }

    /// The environment variable holding the key, by default.
    pub fn key_env(self) -> Option<&'static str> {
        match self {
            Kind::OpenAi => Some("OPENAI_API_KEY"),
            Kind::Deepl => Some("DEEPL_AUTH_KEY"),
            Kind::LibreTranslate => Some("LIBRETRANSLATE_API_KEY"),
            Kind::Command | Kind::Gloss => None,
        }
    }

    /// The environment variable holding the server URL, by default.
    pub fn url_env(self) -> Option<&'static str> {
        match self {
            Kind::OpenAi => Some("OPENAI_BASE_URL"),
            Kind::Deepl => Some("DEEPL_SERVER_URL"),
            Kind::LibreTranslate => Some("LIBRETRANSLATE_URL"),
            Kind::Command | Kind::Gloss => None,
        }
    }

    fn default_concurrency(self) -> usize {
        match self {
            Kind::OpenAi => 4,
            Kind::Deepl | Kind::LibreTranslate => 2,
            Kind::Command => 1,
            Kind::Gloss => 2,
        }
    }

    fn default_timeout(self) -> Duration {
        match self {
            Kind::OpenAi => Duration::from_secs(120),
            Kind::Deepl | Kind::LibreTranslate => Duration::from_secs(60),
            Kind::Command => Duration::from_secs(300),
            Kind::Gloss => Duration::from_secs(60),
        }
    }
}

/// Names of the built-in backends, in listing order.
pub const BUILTIN: [&str; 4] = ["gloss", "openai", "deepl", "libretranslate"];

/// One `[backend.NAME]` table as written in the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendConfig {
    pub kind: Option<Kind>,
    pub base_url: Option<String>,
    /// The environment variable that overrides `base_url` (default: the kind's, e.g.
    /// `OPENAI_BASE_URL`, but only for the backend named like its kind).
    pub base_url_env: Option<String>,
    pub model: Option<String>,
    /// The environment variable holding the API key (default: the kind's, e.g.
    /// `OPENAI_API_KEY`).
    pub api_key_env: Option<String>,
    pub concurrency: Option<usize>,
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
    pub timeout_secs: Option<f64>,
    /// DeepL: `EN-US` or `EN-GB`.
    pub target_variant: Option<String>,
    /// Command backend: the program and its arguments.
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    /// Prices in currency units per 1M input/output tokens, for `--dry-run` estimates.
    pub price_input: Option<f64>,
    pub price_output: Option<f64>,
    /// OpenAI: skip the probe with a known verdict (`json_schema`, `json_object`, `none`).
    pub response_format: Option<ResponseFormat>,
    pub temperature: Option<f32>,
    pub max_items: Option<usize>,
    pub max_chars: Option<usize>,
    /// Batch API (`translate --batch-api`): requests per batch file, bytes per file, and the
    /// batch price as a fraction of `price_input`/`price_output` (see docs/batch.md).
    pub batch_max_requests: Option<usize>,
    pub batch_max_bytes: Option<u64>,
    pub batch_discount: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    default_backend: Option<String>,
    #[serde(default)]
    glossary: Vec<String>,
    #[serde(default)]
    backend: BTreeMap<String, BackendConfig>,
}

/// A loaded configuration (possibly empty: no file found).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub default_backend: Option<String>,
    /// Glossary files, relative paths resolved against the config file's folder.
    pub glossary: Vec<PathBuf>,
    pub backends: BTreeMap<String, BackendConfig>,
}

/// Why a configuration could not be loaded or resolved. One line, naming the file and place.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read config: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{col}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}: [backend.{name}]: {message}", path.display())]
    Invalid {
        path: PathBuf,
        name: String,
        message: String,
    },
    #[error("{origin}: config file {} not found", path.display())]
    NotFound { origin: String, path: PathBuf },
    #[error("unknown backend {name:?} (known: {known})")]
    UnknownBackend { name: String, known: String },
}

/// Where settings come from: the process environment, or a fixed map (tests).
#[derive(Clone, Default)]
pub struct Env {
    fixed: Option<BTreeMap<String, String>>,
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be keys: only the names are shown.
        let names: Vec<&String> = self.fixed.iter().flat_map(|m| m.keys()).collect();
        f.debug_struct("Env")
            .field("fixed", &self.fixed.is_some())
            .field("names", &names)
            .finish()
    }
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env { fixed: None }
    }

    /// A fixed environment (nothing else is visible).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            fixed: Some(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// A variable's value; unset and empty are the same.
    pub fn get(&self, name: &str) -> Option<String> {
        let value = match &self.fixed {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        };
        value.filter(|v| !v.trim().is_empty())
    }

    /// The user config dir (`$XDG_CONFIG_HOME`, else the platform's).
    pub fn config_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = self.get("XDG_CONFIG_HOME") {
            return Some(PathBuf::from(dir));
        }
        match &self.fixed {
            Some(_) => self.get("HOME").map(|h| PathBuf::from(h).join(".config")),
            None => dirs::config_dir(),
        }
    }
}

/// Command-line overrides, the highest precedence.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-b BACKEND`.
    pub backend: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub concurrency: Option<usize>,
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
    pub timeout_secs: Option<f64>,
    pub target_variant: Option<String>,
}

/// Where the chosen default backend came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    CommandLine,
    Environment,
    ConfigFile,
    /// Nothing configured: `gloss`, the offline fallback.
    Fallback,
}

/// A backend's resolved settings (all sources merged). `Debug` redacts the key.
#[derive(Clone)]
pub struct BackendSpec {
    pub name: String,
    pub kind: Kind,
    /// Whether the config file has a `[backend.NAME]` table for it.
    pub configured: bool,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// The variable the key is read from, and the key when it is set.
    pub api_key_env: Option<String>,
    pub api_key: Option<ApiKey>,
    /// The backend cannot work without its key: DeepL, OpenAI's own API, and any backend whose
    /// table names `api_key_env` (local OpenAI-compatible servers need none).
    pub key_required: bool,
    pub concurrency: usize,
    pub rpm: Option<u32>,
    pub tpm: Option<u32>,
    pub timeout: Duration,
    pub target_variant: Option<String>,
    pub command: Option<String>,
    pub args: Vec<String>,
    /// Working directory for a command (the config file's folder).
    pub dir: Option<PathBuf>,
    pub price_input: Option<f64>,
    pub price_output: Option<f64>,
    pub response_format: Option<ResponseFormat>,
    pub temperature: Option<f32>,
    pub max_items: Option<usize>,
    pub max_chars: Option<usize>,
    pub batch_max_requests: Option<usize>,
    pub batch_max_bytes: Option<u64>,
    pub batch_discount: Option<f64>,
}

impl fmt::Debug for BackendSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendSpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("configured", &self.configured)
            .field("model", &self.model)
            .field("base_url", &self.base_url)
            .field("api_key_env", &self.api_key_env)
            .field("key_required", &self.key_required)
            .field(
                "api_key",
                &if self.api_key.is_some() {
                    "set"
                } else {
                    "missing"
                },
            )
            .field("concurrency", &self.concurrency)
            .field("rpm", &self.rpm)
            .field("tpm", &self.tpm)
            .field("timeout", &self.timeout)
            .field("target_variant", &self.target_variant)
            .field("command", &self.command)
            .field("args", &self.args)
            .field("dir", &self.dir)
            .field("price_input", &self.price_input)
            .field("price_output", &self.price_output)
            .field("response_format", &self.response_format)
            .field("temperature", &self.temperature)
            .field("max_items", &self.max_items)
            .field("max_chars", &self.max_chars)
            .finish()
    }
}

/// Whether a backend can be used as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ready,
    /// The key variable is not set.
    MissingKey(String),
    /// Something else is missing or wrong.
    Invalid(String),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Ready => f.write_str("ready"),
            Status::MissingKey(var) => write!(f, "missing {var}"),
            Status::Invalid(why) => f.write_str(why),
        }
    }
}

impl BackendSpec {
    /// Where requests go: the base URL (DeepL's from the key when unset), or the command line.
    pub fn endpoint(&self) -> Option<String> {
        match self.kind {
            Kind::Command => self.command.as_ref().map(|c| {
                std::iter::once(c.as_str())
                    .chain(self.args.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            Kind::Deepl => self.base_url.clone().or_else(|| {
                Some(match &self.api_key {
                    Some(key) => deepl::default_url(key).to_string(),
                    None => deepl::PRO_URL.to_string(),
                })
            }),
            _ => self.base_url.clone(),
        }
    }

    pub fn status(&self) -> Status {
        if self.key_required && self.api_key.is_none() {
            let var = self
                .api_key_env
                .clone()
                .unwrap_or_else(|| "api_key_env".into());
            return Status::MissingKey(var);
        }
        match self.kind {
            Kind::OpenAi if self.model.as_deref().is_none_or(|m| m.trim().is_empty()) => {
                Status::Invalid("missing model".into())
            }
            Kind::Command if self.command.as_deref().is_none_or(|c| c.trim().is_empty()) => {
                Status::Invalid("missing command".into())
            }
            Kind::Deepl
                if self.target_variant.as_deref().is_some_and(|v| {
                    !matches!(v.to_ascii_uppercase().as_str(), "EN-US" | "EN-GB")
                }) =>
            {
                Status::Invalid("target_variant must be EN-US or EN-GB".into())
            }
            _ => Status::Ready,
        }
    }

    /// Estimated cost of `input`/`output` tokens, when both prices are configured.
    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> Option<f64> {
        let (pi, po) = (self.price_input?, self.price_output?);
        Some((input_tokens as f64 * pi + output_tokens as f64 * po) / 1_000_000.0)
    }
}

impl Config {
    /// Finds the config file: `explicit` (`--config`), `$BITEXT_CONFIG`, `./bitext.toml`, then
    /// the user config dir. The first two must exist; the others are optional.
    pub fn discover(explicit: Option<&Path>, env: &Env) -> Result<Option<PathBuf>, ConfigError> {
        if let Some(path) = explicit {
            return if path.is_file() {
                Ok(Some(path.to_path_buf()))
            } else {
                Err(ConfigError::NotFound {
                    origin: "--config".into(),
                    path: path.to_path_buf(),
                })
            };
        }
        if let Some(value) = env.get("BITEXT_CONFIG") {
            let path = PathBuf::from(value);
            return if path.is_file() {
                Ok(Some(path))
            } else {
                Err(ConfigError::NotFound {
                    origin: "BITEXT_CONFIG".into(),
                    path,
                })
            };
        }
        let local = PathBuf::from("bitext.toml");
        if local.is_file() {
            return Ok(Some(local));
        }
        Ok(env
            .config_dir()
            .map(|d| d.join("bitext").join("bitext.toml"))
            .filter(|p| p.is_file()))
    }

    /// Discovers and loads the config (an empty one when there is no file).
    pub fn load(explicit: Option<&Path>, env: &Env) -> Result<Config, ConfigError> {
        match Config::discover(explicit, env)? {
            Some(path) => Config::from_file(&path),
            None => Ok(Config::default()),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; `path` names the file in errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                col,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        let invalid = |name: &str, message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            name: name.to_string(),
            message,
        };
        for (name, backend) in &file.backend {
            let kind = backend
                .kind
                .or_else(|| Kind::builtin(name))
                .ok_or_else(|| {
                    invalid(
                        name,
                        "missing kind (openai, deepl, libretranslate, command or gloss)".into(),
                    )
                })?;
            if kind == Kind::Command && backend.command.is_none() {
                return Err(invalid(
                    name,
                    "kind = \"command\" needs command = \"…\"".into(),
                ));
            }
            if let Some(t) = backend.timeout_secs
                && !(t.is_finite() && t > 0.0)
            {
                return Err(invalid(
                    name,
                    format!("timeout_secs must be positive, not {t}"),
                ));
            }
            if backend.concurrency == Some(0) {
                return Err(invalid(name, "concurrency must be at least 1".into()));
            }
            if let Some(v) = &backend.target_variant
                && !matches!(v.to_ascii_uppercase().as_str(), "EN-US" | "EN-GB")
            {
                return Err(invalid(
                    name,
                    format!("target_variant {v:?} is not EN-US or EN-GB"),
                ));
            }
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(Config {
            path: Some(path.to_path_buf()),
            default_backend: file.default_backend,
            glossary: file.glossary.iter().map(|g| dir.join(g)).collect(),
            backends: file.backend,
        })
    }

    /// All backend names: the configured ones, then the built-ins not configured.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.backends.keys().cloned().collect();
        for builtin in BUILTIN {
            if !self.backends.contains_key(builtin) {
                names.push(builtin.to_string());
            }
        }
        names
    }

    /// The backend to use when none is named: `-b`, `$BITEXT_BACKEND`, `default_backend`, or
    /// `gloss`.
    pub fn default_name(&self, env: &Env, overrides: &Overrides) -> (String, ChosenBy) {
        if let Some(name) = &overrides.backend {
            (name.clone(), ChosenBy::CommandLine)
        } else if let Some(name) = env.get("BITEXT_BACKEND") {
            (name, ChosenBy::Environment)
        } else if let Some(name) = &self.default_backend {
            (name.clone(), ChosenBy::ConfigFile)
        } else {
            ("gloss".into(), ChosenBy::Fallback)
        }
    }

    /// Merges defaults, the file, the environment and `overrides` for backend `name` (or the
    /// default backend when `None`).
    pub fn resolve(
        &self,
        name: Option<&str>,
        env: &Env,
        overrides: &Overrides,
    ) -> Result<BackendSpec, ConfigError> {
        let name = match name {
            Some(n) => n.to_string(),
            None => self.default_name(env, overrides).0,
        };
        let file = self.backends.get(&name);
        let kind = match file.and_then(|b| b.kind).or_else(|| Kind::builtin(&name)) {
            Some(kind) => kind,
            None => {
                return Err(ConfigError::UnknownBackend {
                    known: self.names().join(", "),
                    name,
                });
            }
        };
        let empty = BackendConfig::default();
        let file_cfg = file.unwrap_or(&empty);
        let named_like_kind = name == kind.as_str();

        // Defaults.
        let mut base_url: Option<String> = match kind {
            Kind::OpenAi => Some(openai::DEFAULT_BASE_URL.into()),
            Kind::LibreTranslate => Some(libretranslate::DEFAULT_URL.into()),
            _ => None,
        };
        let mut model: Option<String> = match kind {
            Kind::OpenAi => Some(openai::DEFAULT_MODEL.into()),
            _ => None,
        };
        let mut target_variant = (kind == Kind::Deepl).then(|| "EN-US".to_string());

        // Config file.
        if let Some(url) = &file_cfg.base_url {
            base_url = Some(url.clone());
        }
        if let Some(m) = &file_cfg.model {
            model = Some(m.clone());
        }
        if let Some(v) = &file_cfg.target_variant {
            target_variant = Some(v.to_ascii_uppercase());
        }
        let api_key_env = file_cfg
            .api_key_env
            .clone()
            .or_else(|| kind.key_env().map(String::from));
        let url_env = file_cfg.base_url_env.clone().or_else(|| {
            named_like_kind
                .then(|| kind.url_env().map(String::from))
                .flatten()
        });

        // Environment.
        if let Some(url) = url_env.as_deref().and_then(|v| env.get(v)) {
            base_url = Some(url);
        }
        let api_key = api_key_env
            .as_deref()
            .and_then(|v| env.get(v))
            .and_then(ApiKey::new);

        // Command line.
        if let Some(url) = &overrides.base_url {
            base_url = Some(url.clone());
        }
        if let Some(m) = &overrides.model {
            model = Some(m.clone());
        }
        if let Some(v) = &overrides.target_variant {
            target_variant = Some(v.to_ascii_uppercase());
        }
        let timeout = overrides
            .timeout_secs
            .or(file_cfg.timeout_secs)
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or_else(|| kind.default_timeout());

        let key_required = key_required(kind, base_url.as_deref(), file_cfg.api_key_env.is_some());
        Ok(BackendSpec {
            key_required,
            name,
            kind,
            configured: file.is_some(),
            model,
            base_url,
            api_key_env,
            api_key,
            concurrency: overrides
                .concurrency
                .or(file_cfg.concurrency)
                .unwrap_or_else(|| kind.default_concurrency())
                .max(1),
            rpm: overrides.rpm.or(file_cfg.rpm),
            tpm: overrides.tpm.or(file_cfg.tpm),
            timeout,
            target_variant,
            command: file_cfg.command.clone(),
            args: file_cfg.args.clone().unwrap_or_default(),
            // `bitext.toml` has the parent "": the current folder.
            dir: self.path.as_deref().and_then(Path::parent).map(|dir| {
                if dir.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    dir.to_path_buf()
                }
            }),
            price_input: file_cfg.price_input,
            price_output: file_cfg.price_output,
            response_format: file_cfg.response_format,
            temperature: file_cfg.temperature,
            max_items: file_cfg.max_items,
            max_chars: file_cfg.max_chars,
            batch_max_requests: file_cfg.batch_max_requests,
            batch_max_bytes: file_cfg.batch_max_bytes,
            batch_discount: file_cfg.batch_discount,
        })
    }
}

/// The one rule for "this backend needs a key": DeepL always; any backend whose table names
/// `api_key_env`; an OpenAI-compatible API on a remote host (api.openai.com or a paid API
/// behind `OPENAI_BASE_URL`) but not a self-hosted server (Ollama, llama.cpp, vLLM on this
/// machine or the local network). A plan (`--dry-run`) needs none: it sends nothing.
pub fn key_required(kind: Kind, base_url: Option<&str>, names_key_env: bool) -> bool {
    match kind {
        Kind::Deepl => true,
        _ if names_key_env => true,
        Kind::OpenAi => base_url.is_none_or(|u| {
            reqwest::Url::parse(u)
                .ok()
                .and_then(|u| u.host_str().map(|h| !is_self_hosted(h)))
                .unwrap_or(true)
        }),
        _ => false,
    }
}

/// A host on this machine or the local network: loopback, private and link-local
/// addresses, `localhost`, `*.local` and single-label names (`ollama` in a compose network).
fn is_self_hosted(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00
        }
        Err(_) => {
            let name = host.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".local") || !name.contains('.')
        }
    }
}

#[cfg(test)]
mod key_rule_tests {
    use super::*;

    #[test]
    fn a_remote_api_behind_openai_base_url_needs_a_key_and_a_local_server_does_not() {
        let config = Config::default();
        let resolve = |url: &str| {
            config
                .resolve(
                    Some("openai"),
                    &Env::from_pairs([("OPENAI_BASE_URL", url)]),
                    &Overrides::default(),
                )
                .unwrap()
        };
        let remote = resolve("https://api.deepseek.com/v1");
        assert!(remote.key_required);
        assert_eq!(remote.status(), Status::MissingKey("OPENAI_API_KEY".into()));
        let local = resolve("http://127.0.0.1:8080/v1");
        assert!(!local.key_required);
        assert_eq!(local.status(), Status::Ready);
    }

    #[test]
    fn a_config_file_in_the_current_folder_gives_the_command_a_folder() {
        let config = Config::parse(
            "[backend.m]\nkind = \"command\"\ncommand = \"python3\"\n",
            Path::new("bitext.toml"),
        )
        .unwrap();
        let spec = config
            .resolve(
                Some("m"),
                &Env::from_pairs::<&str, &str>([]),
                &Overrides::default(),
            )
            .unwrap();
        assert_eq!(spec.dir.as_deref(), Some(Path::new(".")));
    }
}

#[cfg(test)]
mod host_tests {
    use super::is_self_hosted;

    #[test]
    fn self_hosted_servers_need_no_key_and_remote_apis_do() {
        for host in [
            "localhost",
            "127.0.0.1",
            "[::1]",
            "192.168.1.20",
            "10.0.0.5",
            "ollama",
            "gpu.local",
        ] {
            assert!(is_self_hosted(host), "{host}");
        }
        for host in [
            "api.openai.com",
            "api.deepseek.com",
            "dashscope.aliyuncs.com",
            "8.8.8.8",
        ] {
            assert!(!is_self_hosted(host), "{host}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
default_backend = "deepseek"
glossary = ["glossary/zh-en.toml"]

[backend.deepseek]
kind = "openai"
base_url = "https://api.deepseek.com/v1"
model = "deepseek-chat"
api_key_env = "DEEPSEEK_API_KEY"
concurrency = 8
rpm = 60
price_input = 0.27
price_output = 1.10

[backend.openai]
model = "gpt-4.1-mini"

[backend.argos]
kind = "command"
command = "python3"
args = ["argos.py", "--beam", "2"]
"#;

    fn config() -> Config {
        Config::parse(FILE, Path::new("/etc/x/bitext.toml")).unwrap()
    }

    #[test]
    fn precedence_defaults_file_env_cli() {
        let cfg = config();
        let none = Env::from_pairs(Vec::<(String, String)>::new());
        // Default < file: [backend.openai] sets the model, the URL stays the default.
        let spec = cfg
            .resolve(Some("openai"), &none, &Overrides::default())
            .unwrap();
        assert_eq!(spec.model.as_deref(), Some("gpt-4.1-mini"));
        assert_eq!(spec.base_url.as_deref(), Some(openai::DEFAULT_BASE_URL));
        assert_eq!(spec.status(), Status::MissingKey("OPENAI_API_KEY".into()));
        // File < env.
        let env = Env::from_pairs([
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("DEEPSEEK_API_KEY", "sk-canary"),
        ]);
        let spec = cfg
            .resolve(Some("openai"), &env, &Overrides::default())
            .unwrap();
        assert_eq!(spec.base_url.as_deref(), Some("http://127.0.0.1:11434/v1"));
        assert_eq!(spec.status(), Status::Ready, "a local server needs no key");
        // OPENAI_BASE_URL does not redirect a differently named backend.
        let ds = cfg.resolve(None, &env, &Overrides::default()).unwrap();
        assert_eq!(ds.name, "deepseek");
        assert_eq!(ds.base_url.as_deref(), Some("https://api.deepseek.com/v1"));
        assert_eq!(ds.api_key.as_ref().map(|k| k.expose()), Some("sk-canary"));
        assert_eq!((ds.concurrency, ds.rpm), (8, Some(60)));
        assert_eq!(ds.cost(1_000_000, 1_000_000), Some(0.27 + 1.10));
        assert!(!format!("{ds:?}").contains("sk-canary"));
        // Env < command line.
        let cli = Overrides {
            model: Some("deepseek-reasoner".into()),
            concurrency: Some(2),
            base_url: Some("http://127.0.0.1:9/v1".into()),
            ..Overrides::default()
        };
        let ds = cfg.resolve(Some("deepseek"), &env, &cli).unwrap();
        assert_eq!(ds.model.as_deref(), Some("deepseek-reasoner"));
        assert_eq!(ds.concurrency, 2);
        assert_eq!(ds.base_url.as_deref(), Some("http://127.0.0.1:9/v1"));
    }

    #[test]
    fn default_backend_order() {
        let cfg = config();
        let none = Env::from_pairs(Vec::<(String, String)>::new());
        assert_eq!(
            cfg.default_name(&none, &Overrides::default()),
            ("deepseek".into(), ChosenBy::ConfigFile)
        );
        let env = Env::from_pairs([("BITEXT_BACKEND", "deepl")]);
        assert_eq!(cfg.default_name(&env, &Overrides::default()).0, "deepl");
        let cli = Overrides {
            backend: Some("argos".into()),
            ..Overrides::default()
        };
        assert_eq!(cfg.default_name(&env, &cli).0, "argos");
        assert_eq!(
            Config::default().default_name(&none, &Overrides::default()),
            ("gloss".into(), ChosenBy::Fallback)
        );
    }

    #[test]
    fn builtins_and_commands() {
        let cfg = config();
        let none = Env::from_pairs(Vec::<(String, String)>::new());
        assert_eq!(
            cfg.names(),
            [
                "argos",
                "deepseek",
                "openai",
                "gloss",
                "deepl",
                "libretranslate"
            ]
        );
        let argos = cfg
            .resolve(Some("argos"), &none, &Overrides::default())
            .unwrap();
        assert_eq!(
            argos.endpoint().as_deref(),
            Some("python3 argos.py --beam 2")
        );
        assert_eq!(argos.dir.as_deref(), Some(Path::new("/etc/x")));
        let deepl = cfg
            .resolve(Some("deepl"), &none, &Overrides::default())
            .unwrap();
        assert_eq!(deepl.status(), Status::MissingKey("DEEPL_AUTH_KEY".into()));
        let free = Env::from_pairs([("DEEPL_AUTH_KEY", "abc:fx")]);
        let deepl = cfg
            .resolve(Some("deepl"), &free, &Overrides::default())
            .unwrap();
        assert_eq!(deepl.endpoint().as_deref(), Some(deepl::FREE_URL));
        assert_eq!(deepl.target_variant.as_deref(), Some("EN-US"));
        let err = cfg
            .resolve(Some("nope"), &none, &Overrides::default())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown backend \"nope\" (known: argos, deepseek, openai, gloss, deepl, libretranslate)"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_file_line_col() {
        let text = "[backend.x]\nkind = \"openai\"\napi_key = \"sk-canary-in-file\"\n";
        let err = Config::parse(text, Path::new("bitext.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("bitext.toml:3:1: unknown field `api_key`"),
            "{err}"
        );
        assert!(!err.contains("sk-canary"), "{err}");
        let err = Config::parse("[backend.y]\nkind = \"bing\"\n", Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("b.toml:2:8: unknown variant `bing`"),
            "{err}"
        );
        let err = Config::parse("[backend.y]\nmodel = \"m\"\n", Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "b.toml: [backend.y]: missing kind (openai, deepl, libretranslate, command or gloss)"
        );
        let err = Config::parse("default_backend = 3\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:1:19: "), "{err}");
        assert!(!err.contains('\n'));
    }
}

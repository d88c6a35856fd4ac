//! The backend factory: a name (or the default), the configuration and the command-line
//! overrides in, a ready [`Backend`] out.
//!
//! ```no_run
//! use bitext::backend::registry;
//! use bitext::config::{Config, Env, Overrides};
//! let env = Env::process();
//! let config = Config::load(None, &env)?;
//! let backend = registry::build(Some("deepl"), &config, &Overrides::default())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::command::{CommandBackend, CommandSettings};
use super::deepl::{DeeplBackend, DeeplSettings};
use super::libretranslate::{LibreBackend, LibreSettings};
use super::openai::{OpenAiBackend, OpenAiSettings};
use super::{Backend, BackendError, TermPair};
use crate::config::{BackendSpec, Config, Env, Kind, Overrides, Status};
use std::sync::Arc;

/// Builds backend `name` (the default backend when `None`) from the process environment.
pub fn build(
    name: Option<&str>,
    config: &Config,
    overrides: &Overrides,
) -> Result<Arc<dyn Backend>, BackendError> {
    build_with(name, config, &Env::process(), overrides, &[])
}

/// [`build`] with an explicit environment and the whole glossary (`glossary` becomes the
/// DeepL glossary; other backends get their terms per item).
pub fn build_with(
    name: Option<&str>,
    config: &Config,
    env: &Env,
    overrides: &Overrides,
    glossary: &[TermPair],
) -> Result<Arc<dyn Backend>, BackendError> {
    let spec = config
        .resolve(name, env, overrides)
        .map_err(|e| BackendError::Config {
            backend: name
                .map(String::from)
                .unwrap_or_else(|| config.default_name(env, overrides).0),
            detail: e.to_string(),
        })?;
    from_spec(&spec, glossary)
}

/// Builds the client for resolved settings, refusing one that cannot work (a required key
/// missing, a setting invalid).
pub fn from_spec(
    spec: &BackendSpec,
    glossary: &[TermPair],
) -> Result<Arc<dyn Backend>, BackendError> {
    build_client(spec, glossary, true)
}

/// Builds the client for a plan (`--dry-run`): it sends nothing, so a missing key is no
/// obstacle; invalid settings still are.
pub fn for_plan(
    spec: &BackendSpec,
    glossary: &[TermPair],
) -> Result<Arc<dyn Backend>, BackendError> {
    build_client(spec, glossary, false)
}

fn build_client(
    spec: &BackendSpec,
    glossary: &[TermPair],
    needs_key: bool,
) -> Result<Arc<dyn Backend>, BackendError> {
    let key_setting = checked_key_setting(spec, needs_key)?;
    Ok(match spec.kind {
        Kind::OpenAi => Arc::new(openai_client(spec, key_setting)?),
        Kind::Deepl => {
            let mut s = DeeplSettings::new(spec.api_key.clone());
            s.name = spec.name.clone();
            s.base_url = spec.base_url.clone();
            s.key_setting = key_setting;
            s.timeout = spec.timeout;
            s.concurrency = spec.concurrency;
            s.max_items = spec.max_items.unwrap_or(s.max_items);
            s.max_chars = spec.max_chars.unwrap_or(s.max_chars);
            if let Some(v) = &spec.target_variant {
                s.target_variant = v.clone();
            }
            s.glossary = glossary.to_vec();
            Arc::new(DeeplBackend::new(s)?)
        }
        Kind::LibreTranslate => {
            let mut s = LibreSettings::new(spec.base_url.clone().unwrap_or_default());
            s.name = spec.name.clone();
            s.api_key = spec.api_key.clone();
            s.key_setting = key_setting;
            s.timeout = spec.timeout;
            s.concurrency = spec.concurrency;
            s.max_items = spec.max_items.unwrap_or(s.max_items);
            s.max_chars = spec.max_chars.unwrap_or(s.max_chars);
            Arc::new(LibreBackend::new(s)?)
        }
        Kind::Command => {
            let mut s =
                CommandSettings::new(spec.command.clone().unwrap_or_default(), spec.args.clone());
            s.name = spec.name.clone();
            s.dir = spec.dir.clone();
            s.timeout = spec.timeout;
            s.concurrency = spec.concurrency;
            s.max_items = spec.max_items.unwrap_or(s.max_items);
            s.max_chars = spec.max_chars.unwrap_or(s.max_chars);
            s.model = spec.model.clone();
            Arc::new(CommandBackend::new(s)?)
        }
        Kind::Gloss => Arc::new(super::gloss::GlossBackend::new()),
    })
}

/// Refuses a spec that is invalid, or that lacks its key when a request will be sent
/// (`needs_key`); returns the key's setting name for the client's messages.
fn checked_key_setting(spec: &BackendSpec, needs_key: bool) -> Result<String, BackendError> {
    let config_error = |detail: String| BackendError::Config {
        backend: spec.name.clone(),
        detail,
    };
    match spec.status() {
        Status::Ready => {}
        Status::MissingKey(var) if needs_key => {
            return Err(config_error(format!("missing API key; set {var}")));
        }
        Status::MissingKey(_) => {}
        Status::Invalid(why) => return Err(config_error(format!("{why} in bitext.toml"))),
    }
    Ok(spec
        .api_key_env
        .clone()
        .unwrap_or_else(|| "api_key_env".into()))
}

/// The OpenAI-compatible client of `spec` as its own type: the Batch API ([`crate::batch`])
/// builds its request lines and reads its answers with this client's prompt and parser.
/// `needs_key`: false when nothing will be sent (a plan, an offline request file).
pub fn openai_from_spec(
    spec: &BackendSpec,
    needs_key: bool,
) -> Result<OpenAiBackend, BackendError> {
    let config_error = |detail: String| BackendError::Config {
        backend: spec.name.clone(),
        detail,
    };
    if spec.kind != Kind::OpenAi {
        return Err(config_error(
            "not an OpenAI-compatible backend (kind = \"openai\")".into(),
        ));
    }
    let key_setting = checked_key_setting(spec, needs_key)?;
    openai_client(spec, key_setting)
}

fn openai_client(spec: &BackendSpec, key_setting: String) -> Result<OpenAiBackend, BackendError> {
    let mut s = OpenAiSettings::new(
        spec.base_url.clone().unwrap_or_default(),
        spec.model.clone().unwrap_or_default(),
    );
    s.name = spec.name.clone();
    s.api_key = spec.api_key.clone();
    s.key_setting = key_setting;
    s.timeout = spec.timeout;
    s.concurrency = spec.concurrency;
    s.max_items = spec.max_items.unwrap_or(s.max_items);
    s.max_chars = spec.max_chars.unwrap_or(s.max_chars);
    s.temperature = spec.temperature;
    s.response_format = spec.response_format;
    OpenAiBackend::new(s)
}

//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample article (the seed, Chongqing Daily, 24 August 2021).
pub fn sample() -> PathBuf {
    root().join("samples/smart-china-expo-2021.zh.md")
}

/// The shipped glossary.
pub fn glossary() -> PathBuf {
    root().join("glossary/zh-en.toml")
}

/// The `bitext` binary, with a clean environment for backend settings and a private cache.
pub fn bitext() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_bitext"));
    for var in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "DEEPL_AUTH_KEY",
        "DEEPL_SERVER_URL",
        "LIBRETRANSLATE_URL",
        "LIBRETRANSLATE_API_KEY",
        "BITEXT_CONFIG",
        "BITEXT_BACKEND",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(root());
    cmd
}

/// The shared/ folder beside the checkout, when present (evaluation data).
pub fn shared() -> Option<PathBuf> {
    let dir = root().join("../shared");
    dir.is_dir().then_some(dir)
}

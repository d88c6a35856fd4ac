//! The simulated OpenAI-compatible server as a standalone program, for benchmarks, the soak
//! command and trying a client by hand. Loopback only.
//!
//! ```sh
//! cargo run --release --example sim_server -- --port 8089 --latency-ms 300
//! OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPENAI_API_KEY=sim bitext translate … -b openai
//! curl -s http://127.0.0.1:8089/sim/stats      # counters as JSON
//! curl -s -X POST http://127.0.0.1:8089/sim/reset
//! ```
//!
//! It prints `listening on http://127.0.0.1:PORT/v1` and, on Ctrl-C or after `--for-secs`,
//! the counters as one JSON line, then exits.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/sim/mod.rs"]
mod sim;

use clap::Parser;
use sim::{Sim, SimConfig};
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(about = "Simulated OpenAI-compatible chat-completions server (loopback only)")]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Latency of every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// More latency per character of the segments' text, in microseconds (500 = 0.5 ms).
    #[arg(long, default_value_t = 0)]
    latency_per_char_us: u64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Share of requests answered 429 with Retry-After.
    #[arg(long, default_value_t = 0.0)]
    rate_429: f64,
    /// What a 429 asks the client to wait, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    retry_after_ms: u64,
    #[arg(long, default_value_t = 0.0)]
    rate_500: f64,
    /// Share of requests whose connection is closed without an answer.
    #[arg(long, default_value_t = 0.0)]
    rate_drop: f64,
    /// Share of answers sent slowly (half the body, a pause of --slow-ms, the rest).
    #[arg(long, default_value_t = 0.0)]
    rate_slow: f64,
    #[arg(long, default_value_t = 200)]
    slow_ms: u64,
    #[arg(long, default_value_t = 0.0)]
    rate_missing_id: f64,
    #[arg(long, default_value_t = 0.0)]
    rate_extra_id: f64,
    /// Share of answers whose content is prose instead of JSON.
    #[arg(long, default_value_t = 0.0)]
    rate_junk: f64,
    /// Share of answers that leave out the glossary targets.
    #[arg(long, default_value_t = 0.0)]
    rate_forget_terms: f64,
    /// Share of answers wrapped in a ```json fence.
    #[arg(long, default_value_t = 0.0)]
    rate_fenced: f64,
    /// Share of answers whose inline placeholders lose the last one.
    #[arg(long, default_value_t = 0.0)]
    rate_drop_tags: f64,
    /// Share of answers whose inline placeholders come back in reverse order.
    #[arg(long, default_value_t = 0.0)]
    rate_reorder_tags: f64,
    /// Prefix every answer with a <think> block.
    #[arg(long)]
    think: bool,
    /// Answer 429 to requests beyond this many in flight.
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// Hang every chat request after this many successful answers.
    #[arg(long)]
    hang_after: Option<u64>,
    /// Answer everything with this HTTP status (e.g. 401).
    #[arg(long)]
    fixed_status: Option<u16>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    for_secs: Option<u64>,
}

fn main() {
    let args = Args::parse();
    let config = SimConfig {
        latency: Duration::from_millis(args.latency_ms),
        latency_per_char: Duration::from_micros(args.latency_per_char_us),
        seed: args.seed,
        rate_429: args.rate_429,
        retry_after: Duration::from_millis(args.retry_after_ms),
        rate_500: args.rate_500,
        rate_drop: args.rate_drop,
        rate_slow: args.rate_slow,
        slow_body: Duration::from_millis(args.slow_ms),
        rate_missing_id: args.rate_missing_id,
        rate_extra_id: args.rate_extra_id,
        rate_junk: args.rate_junk,
        rate_forget_terms: args.rate_forget_terms,
        rate_fenced: args.rate_fenced,
        rate_drop_tags: args.rate_drop_tags,
        rate_reorder_tags: args.rate_reorder_tags,
        think: args.think,
        max_in_flight: args.max_in_flight,
        hang_after: args.hang_after,
        fixed_status: args.fixed_status.map(|status| {
            (
                status,
                format!(r#"{{"error":{{"message":"simulated status {status}","type":"sim","code":"sim_{status}"}}}}"#),
            )
        }),
        batch: sim::BatchConfig::default(),
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let sim = Sim::start_on(addr, config);
    println!("listening on {}", sim.base_url());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match args.for_secs {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    });
    let stats = sim.stats();
    println!(
        "{}",
        serde_json::to_string(&stats).expect("counters serialise")
    );
}

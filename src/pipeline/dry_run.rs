//! The plan of a job without sending anything (`--dry-run`): cache hits, batches, repairs of
//! cached answers, token estimates.

use super::plan::{Plan, PlannedBatch};
use super::prepare::prepare;
use super::{Article, Job, estimate_tokens};
use crate::cache::CacheError;

/// Tokens of instructions and framing a request costs beyond its items (for estimates).
pub(crate) const REQUEST_OVERHEAD_TOKENS: u64 = 200;

/// Plans a job without sending anything (`--dry-run`): cache hits, batches, token estimates.
pub fn plan_job(job: &Job<'_>, sources: &[Article]) -> Result<Plan, CacheError> {
    let prepared = prepare(job, sources)?;
    let batches = prepared.batches(&job.options);
    let mut plan = Plan {
        segments: prepared.units.len(),
        cached: prepared.hits.iter().flatten().count(),
        ..Plan::default()
    };
    for (unit, hit) in prepared.units.iter().zip(&prepared.hits) {
        if let Some(entry) = hit
            && job.options.repair
            && !entry.checked
            && !job.terms.missing(&entry.target, &unit.terms).is_empty()
        {
            plan.repairs += 1;
            let (input, output) = estimate_tokens(&unit.text);
            plan.input_tokens += input + REQUEST_OVERHEAD_TOKENS;
            plan.output_tokens += output;
        }
    }
    for batch in batches {
        let mut chars = 0;
        plan.input_tokens += REQUEST_OVERHEAD_TOKENS;
        for &u in &batch {
            let unit = &prepared.units[u];
            chars += unit.chars();
            let (input, output) = estimate_tokens(&unit.text);
            let terms: usize = unit
                .terms
                .iter()
                .filter(|t| t.send)
                .map(|t| t.pair.source.len() + t.pair.target.len())
                .sum();
            plan.input_tokens += input + (terms as u64).div_ceil(3) + 8;
            plan.output_tokens += output + 8;
        }
        plan.batches.push(PlannedBatch {
            article: sources[prepared.units[batch[0]].doc].name.clone(),
            ids: batch
                .iter()
                .map(|&u| prepared.units[u].id.to_string())
                .collect(),
            chars,
        });
    }
    Ok(plan)
}

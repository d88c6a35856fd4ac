//! The counts of a run, printed as the final summary line.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// What a run did and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub documents: usize,
    pub segments: usize,
    /// Segments answered from the translation memory.
    pub cached: usize,
    /// Requests sent (first tries, retries, splits and repairs).
    pub requests: usize,
    /// Requests repeated after a rate limit, transient failure or bad answer.
    pub retries: usize,
    /// Batches split in halves after an answer with wrong ids.
    pub splits: usize,
    /// Glossary repair requests.
    pub repairs: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Glossary violations left in the output.
    pub violations: usize,
    /// QA flags of severity error / warning.
    pub qa_errors: usize,
    pub qa_warnings: usize,
    /// Segments that could not be translated.
    pub failed: usize,
    /// Where the answers came from: human entries of the memory, machine entries of the
    /// memory (this backend's or imported), requests with fuzzy matches as examples, and
    /// requests without.
    pub from_human: usize,
    pub from_machine: usize,
    pub fuzzy_assisted: usize,
    pub fresh: usize,
    #[serde(serialize_with = "as_secs")]
    pub wall_time: Duration,
}

fn as_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl fmt::Display for RunReport {
    /// `74 segments (10 cached), 6 requests (1 retry), tokens 5210 in / 4120 out, 1 violation,
    /// QA 2 errors 3 warnings, 1.23s`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} segment{} ({} cached), {} request{} ({} retr{}), tokens {} in / {} out, {} violation{}, QA {} error{} {} warning{}",
            self.segments,
            s(self.segments),
            self.cached,
            self.requests,
            s(self.requests),
            self.retries,
            if self.retries == 1 { "y" } else { "ies" },
            self.input_tokens,
            self.output_tokens,
            self.violations,
            s(self.violations),
            self.qa_errors,
            s(self.qa_errors),
            self.qa_warnings,
            s(self.qa_warnings),
        )?;
        if self.failed > 0 {
            write!(f, ", {} failed", self.failed)?;
        }
        write!(f, ", {:.2}s", self.wall_time.as_secs_f64())?;
        if self.from_human + self.from_machine + self.fuzzy_assisted + self.fresh > 0 {
            write!(
                f,
                " (from memory: {} human, {} machine; requested: {} fuzzy-assisted, {} fresh)",
                self.from_human, self.from_machine, self.fuzzy_assisted, self.fresh
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_one_line_with_every_count() {
        let report = RunReport {
            documents: 1,
            segments: 74,
            cached: 10,
            requests: 6,
            retries: 1,
            input_tokens: 5210,
            output_tokens: 4120,
            violations: 1,
            qa_errors: 2,
            qa_warnings: 3,
            wall_time: Duration::from_millis(1234),
            ..RunReport::default()
        };
        assert_eq!(
            report.to_string(),
            "74 segments (10 cached), 6 requests (1 retry), tokens 5210 in / 4120 out, \
             1 violation, QA 2 errors 3 warnings, 1.23s"
        );
    }
}

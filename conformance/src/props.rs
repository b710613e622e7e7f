//! Property-based checks over HTTP. Against a mock, proptest generates `cases` inputs from the
//! run's seed and shrinks a failure to a minimal case; only that minimal case's results are
//! reported, so one bug is one failure. Against a real target only the fixed minimal cases are
//! sent (no generation, no shrinking on the wire). The fixed cases run against mocks too.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Mutex;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::run::{ApiRun, Record, Stop};

/// Shrinking steps allowed per failing property: each one is a request sequence.
pub const MAX_SHRINK_ITERS: u32 = 256;

/// Runs `test` on every fixed case and, against a mock, on `run.cases` generated ones.
pub fn property<T, S, F, Fut>(
    run: &ApiRun,
    name: &str,
    strategy: S,
    fixed: Vec<T>,
    test: F,
) -> Result<(), Stop>
where
    T: Clone + Debug,
    S: Strategy<Value = T>,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), Stop>>,
{
    property_cases(run, name, run.cases, strategy, fixed, test)
}

/// [`property`] with its own number of generated cases (for costly flows).
pub fn property_cases<T, S, F, Fut>(
    run: &ApiRun,
    name: &str,
    cases: u32,
    strategy: S,
    fixed: Vec<T>,
    test: F,
) -> Result<(), Stop>
where
    T: Clone + Debug,
    S: Strategy<Value = T>,
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<(), Stop>>,
{
    let handle = tokio::runtime::Handle::current();
    let stopped: Mutex<Option<Stop>> = Mutex::new(None);
    let last_failure: Mutex<Option<Vec<Record>>> = Mutex::new(None);
    // Runs one case; true when it failed. Results are committed at once unless it failed.
    let run_case = |value: T, keep_failure: bool| -> bool {
        if stopped.lock().is_ok_and(|s| s.is_some()) {
            return true;
        }
        run.set_case(Some(format!("{name}: {value:?}")));
        run.begin_capture();
        let result = handle.block_on(test(value));
        let records = run.end_capture();
        run.set_case(None);
        if let Err(Stop::Exhausted(e)) = &result {
            if let Ok(mut s) = stopped.lock() {
                *s = Some(Stop::Exhausted(e.clone()));
            }
            // What was checked before the budget ran out still counts.
            run.commit(records);
            return true;
        }
        let failed = result.is_err() || records.iter().any(|r| matches!(r, Record::Fail(_)));
        if failed && keep_failure {
            if let Ok(mut last) = last_failure.lock() {
                *last = Some(records);
            }
        } else {
            run.commit(records);
        }
        failed
    };
    let take_stop = || stopped.lock().ok().and_then(|mut s| s.take());
    tokio::task::block_in_place(|| {
        for value in fixed {
            run_case(value, false);
            if let Some(stop) = take_stop() {
                return Err(stop);
            }
        }
        if run.is_real() || run.cases == 0 || cases == 0 {
            return Ok(());
        }
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: MAX_SHRINK_ITERS,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(run.seed, name)),
        );
        let outcome = runner.run(&strategy, |value| {
            if run_case(value, true) {
                Err(TestCaseError::fail("a check failed"))
            } else {
                Ok(())
            }
        });
        if let Some(stop) = take_stop() {
            return Err(stop);
        }
        if outcome.is_err()
            && let Some(records) = last_failure.lock().ok().and_then(|mut l| l.take())
        {
            run.commit(records);
        }
        Ok(())
    })
}

/// 32 bytes from the run's seed and the property's name: each property has its own stream,
/// the same for the same seed.
pub fn seed_bytes(seed: u64, name: &str) -> [u8; 32] {
    let h = parkbench_kit::fnv1a(name);
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let v = (seed ^ h)
            .rotate_left(i as u32 * 13)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15 ^ i as u64);
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    out
}

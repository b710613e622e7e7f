//! placeholder
use crate::Scenario;
use crate::checks::ResponseSpec;
pub const SPECS: &[ResponseSpec] = &[];
pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}
pub const FIXTURE_FAILING_OPERATOR: Option<i64> = None;
pub const FIXTURE_EMPTY_OPERATOR: Option<i64> = None;

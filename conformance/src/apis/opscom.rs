//! placeholder
use crate::Scenario;
use crate::checks::ResponseSpec;
pub const SPECS: &[ResponseSpec] = &[];
pub fn scenarios() -> Vec<Scenario> {
    Vec::new()
}

//! The API-specific checks: what each vendor documents about its answers ([`specs`]) and the
//! scenarios (negative properties, stateful models, flows) that exercise it.

pub mod ofr;
pub mod opscom;
pub mod parkingplus;

use crate::checks::ResponseSpec;
use crate::{ApiName, Scenario};

/// Every scenario of every API, in the order they run.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = opscom::scenarios();
    all.extend(ofr::scenarios());
    all.extend(parkingplus::scenarios());
    all
}

/// What each API documents about its answers.
pub fn specs(api: ApiName) -> &'static [ResponseSpec] {
    match api {
        ApiName::Opscom => opscom::SPECS,
        ApiName::Ofr => ofr::SPECS,
        ApiName::Parkingplus => parkingplus::SPECS,
    }
}

//! The API-specific checks: what each vendor documents about its answers ([`specs`]) and the
//! scenarios (negative properties, stateful models, flows) that exercise it.

pub mod ofr;
pub mod opscom;
pub mod parkingplus;

use crate::checks::ResponseSpec;
use crate::run::ApiRun;
use crate::{ApiName, Needs, PlanCtx, Scenario, ScenarioFuture, no_waits};

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

/// A scenario without deliberate waits (add them with [`Scenario::waits`]).
// Each argument is one field of the scenario; a builder would only restate them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn scenario(
    api: ApiName,
    name: &'static str,
    flow: &'static str,
    operations: &'static [&'static str],
    checks: &'static [&'static str],
    needs: Needs,
    requests: fn(&PlanCtx) -> u32,
    run: for<'a> fn(&'a ApiRun) -> ScenarioFuture<'a>,
) -> Scenario {
    Scenario {
        api,
        name,
        flow,
        operations,
        checks,
        needs,
        requests,
        waits_secs: no_waits,
        run,
    }
}

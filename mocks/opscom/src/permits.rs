//! "Permits API" (seeds 004 and 002): `POST /api/{client}/v1/permits/push`, `/permits/update`,
//! `/permits/delete` and `/permits/stats`.
//!
//! Where the seeds are silent:
//! - a permit's type, which stats groups by, follows from what was pushed (seed 004: "Any
//!   permit types whether Validator, Temporary or Standard"): no amount is a `validator`
//!   permit (validated parking costs the driver nothing), up to 24 hours is `temp`, longer is
//!   `standard`. An update that changes the amount or the end time can change the type;
//! - a zone matches one of the customer's zones without regard to case; a permit with no zone
//!   or an unknown one is stored "disconnected" (seed 004) and counted in no zone's stats;
//! - stats count live (pushed and not deleted) permits, whatever their dates, one row per
//!   zone and type with at least one permit, zones in fixture order, types in the order
//!   standard, temp, validator. `zones` must list known zones (9033 otherwise);
//! - the end time must be after the start time (9005);
//! - a push whose `permitNo` equals a live permit's is a duplicate (9022);
//! - `reference_id` is a UUID from the seeded generator; `InternalReferenceID` is the same
//!   value, as in the seed's examples. Reference ids match without regard to case.

use std::collections::HashMap;

use axum::response::Response;
use chrono::{NaiveDateTime, TimeDelta};
use serde::Serialize;

use crate::error::{Code, Error};
use crate::fields::{Body, Field, parse_amount, parse_currency, parse_datetime};
use crate::world::{Customer, World, bytes_response, json_response};

/// The permit types of seed 004's stats answer and prose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PermitType {
    Standard,
    Temp,
    Validator,
}

impl PermitType {
    pub const ALL: [PermitType; 3] = [
        PermitType::Standard,
        PermitType::Temp,
        PermitType::Validator,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PermitType::Standard => "standard",
            PermitType::Temp => "temp",
            PermitType::Validator => "validator",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Where a permit was pushed to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Zone {
    /// One of the customer's zones, by its index in the fixtures.
    Known(usize),
    /// No zone, or one the customer does not have: a "disconnected record".
    Disconnected(Option<String>),
}

/// A stored permit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permit {
    pub reference_id: String,
    pub plate: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub zone: Zone,
    pub permit_no: Option<String>,
}

impl Permit {
    pub fn permit_type(&self) -> PermitType {
        if self.amount.is_none() {
            PermitType::Validator
        } else if self.end - self.start <= TimeDelta::hours(24) {
            PermitType::Temp
        } else {
            PermitType::Standard
        }
    }
}

/// The live permits of one customer, with the counts stats reads kept up to date on every
/// change, so that stats never walks the permits.
#[derive(Clone, Debug, Default)]
pub struct Permits {
    by_reference: HashMap<String, Permit>,
    /// Lower-cased `permitNo` to lower-cased reference id.
    by_ticket: HashMap<String, String>,
    /// Live permits per zone index and type.
    counts: Vec<[u64; 3]>,
}

impl Permits {
    pub fn new(zones: usize) -> Self {
        Self {
            counts: vec![[0; 3]; zones],
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.by_reference.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_reference.is_empty()
    }

    pub fn get(&self, reference_id: &str) -> Option<&Permit> {
        self.by_reference.get(&reference_id.to_ascii_lowercase())
    }

    pub fn ticket_taken(&self, permit_no: &str) -> bool {
        self.by_ticket.contains_key(&permit_no.to_lowercase())
    }

    fn count(&mut self, permit: &Permit, delta: i64) {
        if let Zone::Known(zone) = permit.zone
            && let Some(row) = self.counts.get_mut(zone)
        {
            let cell = &mut row[permit.permit_type().index()];
            *cell = cell.saturating_add_signed(delta);
        }
    }

    pub fn insert(&mut self, permit: Permit) {
        let key = permit.reference_id.to_ascii_lowercase();
        self.remove(&key);
        self.count(&permit, 1);
        if let Some(no) = &permit.permit_no {
            self.by_ticket.insert(no.to_lowercase(), key.clone());
        }
        self.by_reference.insert(key, permit);
    }

    pub fn remove(&mut self, reference_id: &str) -> Option<Permit> {
        let permit = self
            .by_reference
            .remove(&reference_id.to_ascii_lowercase())?;
        self.count(&permit, -1);
        if let Some(no) = &permit.permit_no {
            self.by_ticket.remove(&no.to_lowercase());
        }
        Some(permit)
    }

    /// Live permits of a zone by type.
    pub fn counts(&self, zone: usize) -> [u64; 3] {
        self.counts.get(zone).copied().unwrap_or_default()
    }
}

// The attributes of seed 004's tables, in their order.
const AMOUNT: Field = Field::optional(&["amount", "Amount"]).max(9);
const CURRENCY: Field = Field::optional(&["currency", "CurrencyID"]).max(10);
/// No "start time is required" code exists: a missing start time is 9031.
const START_TIME: Field =
    Field::required(&["startTime", "StartDateUtc"], Code::Required).invalid(Code::StartTimeInvalid);
const END_TIME: Field = Field::required(&["endTime", "EndDateUtc"], Code::EndTimeRequired)
    .invalid(Code::EndTimeInvalid);
const UPDATE_END_TIME: Field =
    Field::optional(&["endTime", "EndDateUtc"]).invalid(Code::EndTimeInvalid);
const PLATE: Field = Field::required(&["plate", "LicencePlate"], Code::PlateRequired).max(25);
const UPDATE_PLATE: Field = Field::optional(&["plate", "LicencePlate"]).max(25);
const PERMIT_NO: Field = Field::optional(&["permitNo", "TicketNumber"]).max(50);
const ZONE: Field = Field::optional(&["zone", "ParkingZoneName"]).max(200);
const REFERENCE_ID: Field = Field::required(
    &["referenceid", "referenceID", "reference_id"],
    Code::ReferenceIdRequired,
)
.max(50);
const ZONES: Field = Field::optional(&["zones"]);

/// A checked permit push (the permit without its reference id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermitPush {
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub plate: String,
    pub permit_no: Option<String>,
    pub zone: Option<String>,
}

impl PermitPush {
    /// Checks every attribute in the seed table's order; the first failure is the answer.
    /// Fixture permits go through the same checks.
    pub fn from_body(body: &Body<'_>) -> Result<Self, Error> {
        let push = Self {
            amount: AMOUNT.parse(body, parse_amount)?,
            currency: CURRENCY.parse(body, parse_currency)?,
            start: START_TIME.parse(body, parse_datetime)?.unwrap_or_default(),
            end: END_TIME.parse(body, parse_datetime)?.unwrap_or_default(),
            plate: body.read(&PLATE)?.unwrap_or_default(),
            permit_no: body.read(&PERMIT_NO)?,
            zone: body.read(&ZONE)?,
        };
        if push.end <= push.start {
            return Err(Error::new(Code::EndTimeInvalid));
        }
        Ok(push)
    }

    pub fn into_permit(self, reference_id: String, customer: &Customer) -> Permit {
        let zone = match self.zone {
            Some(name) => match customer.zone(&name) {
                Some(index) => Zone::Known(index),
                None => Zone::Disconnected(Some(name)),
            },
            None => Zone::Disconnected(None),
        };
        Permit {
            reference_id,
            plate: self.plate,
            amount: self.amount,
            currency: self.currency,
            start: self.start,
            end: self.end,
            zone,
            permit_no: self.permit_no,
        }
    }
}

/// The seed's answer to push, update and delete.
#[derive(Serialize)]
struct PermitAnswer<'a> {
    status: &'static str,
    reference_id: &'a str,
    #[serde(rename = "InternalReferenceID")]
    internal_reference_id: &'a str,
}

fn answer(reference_id: &str) -> Response {
    json_response(&PermitAnswer {
        status: "success",
        reference_id,
        internal_reference_id: reference_id,
    })
}

/// `permits/push`: stores the permit and answers its new reference id.
pub fn push(world: &World, customer: usize, body: &Body<'_>) -> Result<Response, Error> {
    let request = PermitPush::from_body(body)?;
    let mut guard = world.lock();
    let state = &mut *guard;
    let permits = &mut state.books[customer].permits;
    if request
        .permit_no
        .as_deref()
        .is_some_and(|no| permits.ticket_taken(no))
    {
        return Err(Error::new(Code::RecordExists));
    }
    let reference_id = parkbench_kit::seeded_uuid(&mut state.permit_ids).to_string();
    permits.insert(request.into_permit(reference_id.clone(), &world.seed.customers[customer]));
    drop(guard);
    Ok(answer(&reference_id))
}

/// `permits/update`: changes the plate, amount, currency or end time of a live permit.
pub fn update(world: &World, customer: usize, body: &Body<'_>) -> Result<Response, Error> {
    let reference_id = body.read(&REFERENCE_ID)?.unwrap_or_default();
    let end = UPDATE_END_TIME.parse(body, parse_datetime)?;
    let plate = body.read(&UPDATE_PLATE)?;
    let amount = AMOUNT.parse(body, parse_amount)?;
    let currency = CURRENCY.parse(body, parse_currency)?;
    let mut state = world.lock();
    let permits = &mut state.books[customer].permits;
    let mut permit = permits
        .get(&reference_id)
        .cloned()
        .ok_or(Error::new(Code::RecordNotFound))?;
    if let Some(end) = end {
        if end <= permit.start {
            return Err(Error::new(Code::EndTimeInvalid));
        }
        permit.end = end;
    }
    if let Some(plate) = plate {
        permit.plate = plate;
    }
    if amount.is_some() {
        permit.amount = amount;
    }
    if currency.is_some() {
        permit.currency = currency;
    }
    let reference_id = permit.reference_id.clone();
    permits.insert(permit);
    drop(state);
    Ok(answer(&reference_id))
}

/// `permits/delete`: removes a live permit; it is "not found" from then on.
pub fn delete(world: &World, customer: usize, body: &Body<'_>) -> Result<Response, Error> {
    let reference_id = body.read(&REFERENCE_ID)?.unwrap_or_default();
    let removed = world.lock().books[customer].permits.remove(&reference_id);
    let permit = removed.ok_or(Error::new(Code::RecordNotFound))?;
    Ok(answer(&permit.reference_id))
}

/// `permits/stats`: `{"data": [{"type", "zone", "total"}]}`, `total` as a string.
///
/// The throughput benchmark endpoint: the answer is written straight from the running counts,
/// with zone names JSON-encoded once at start-up.
pub fn stats(world: &World, customer_index: usize, body: &Body<'_>) -> Result<Response, Error> {
    let customer = &world.seed.customers[customer_index];
    let wanted = match body.read_str(&ZONES)? {
        None => None,
        Some(list) => {
            let mut wanted = vec![false; customer.zone_json.len()];
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                wanted[customer.zone(name).ok_or(Error::new(Code::Invalid))?] = true;
            }
            Some(wanted)
        }
    };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(br#"{"data":["#);
    let mut first = true;
    {
        let state = world.lock();
        let permits = &state.books[customer_index].permits;
        for (zone, name) in customer.zone_json.iter().enumerate() {
            if wanted.as_ref().is_some_and(|w| !w[zone]) {
                continue;
            }
            for (kind, total) in PermitType::ALL.iter().zip(permits.counts(zone)) {
                if total == 0 {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(br#"{"type":""#);
                out.extend_from_slice(kind.as_str().as_bytes());
                out.extend_from_slice(br#"","zone":"#);
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(br#","total":""#);
                out.extend_from_slice(itoa::Buffer::new().format(total).as_bytes());
                out.extend_from_slice(br#""}"#);
            }
        }
    }
    out.extend_from_slice(b"]}");
    Ok(bytes_response(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn permit(amount: Option<&str>, hours: i64, zone: Zone) -> Permit {
        let start = parse_datetime("2026-01-01T08:00:00").unwrap();
        Permit {
            reference_id: "A-1".into(),
            plate: "PL8RDR".into(),
            amount: amount.map(str::to_owned),
            currency: None,
            start,
            end: start + TimeDelta::hours(hours),
            zone,
            permit_no: Some("T-1".into()),
        }
    }

    #[rstest]
    #[case(None, 1, PermitType::Validator)]
    #[case(None, 100, PermitType::Validator)]
    #[case(Some("1.00"), 1, PermitType::Temp)]
    #[case(Some("1.00"), 24, PermitType::Temp)]
    #[case(Some("1.00"), 25, PermitType::Standard)]
    fn types_follow_amount_and_duration(
        #[case] amount: Option<&str>,
        #[case] hours: i64,
        #[case] expected: PermitType,
    ) {
        assert_eq!(
            permit(amount, hours, Zone::Known(0)).permit_type(),
            expected
        );
    }

    #[test]
    fn counts_follow_inserts_updates_and_removals() {
        let mut permits = Permits::new(2);
        permits.insert(permit(Some("1.00"), 2, Zone::Known(1)));
        assert_eq!(permits.counts(1), [0, 1, 0]);
        assert!(permits.ticket_taken("t-1"));
        permits.insert(permit(Some("1.00"), 48, Zone::Known(1)));
        assert_eq!(
            permits.counts(1),
            [1, 0, 0],
            "an update moves the permit to its new type"
        );
        assert_eq!(permits.len(), 1);
        assert!(
            permits.remove("a-1").is_some(),
            "reference ids match without regard to case"
        );
        assert_eq!(permits.counts(1), [0, 0, 0]);
        assert!(!permits.ticket_taken("T-1"));
        assert!(permits.remove("A-1").is_none());
        permits.insert(permit(None, 2, Zone::Disconnected(Some("Nowhere".into()))));
        assert_eq!((permits.counts(0), permits.counts(1)), ([0; 3], [0; 3]));
        assert!(!permits.is_empty());
    }
}

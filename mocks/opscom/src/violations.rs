//! "Pull API: Overdue Violations" (seed 004):
//! `POST /api/{client}/v1/violations/send_overdue_to_collections` answers every violation that
//! is overdue and not yet sent to collections, in the seed's nested record shape, and marks
//! them sent, "so subsequent calls to the API will not get the same information more than once".
//!
//! Where the seed is silent:
//! - a violation is overdue when its `Due` is before the virtual clock's now; spoiled
//!   violations (`Spoiled` not 0) are never sent;
//! - records come in `ViolationID` order and show the violation as it was when selected
//!   (`SentToCollections` is still `null` in the answer, as in the seed's sample);
//! - fixture violations give their dates relative to the clock (`issued_in_days`,
//!   `due_in_days`), resolved whenever the state is built (start-up and reset); `Created`,
//!   the details' `created` and the attachments' `created` are the issue time;
//! - `state.csrf_token` is 40 characters drawn from the seeded generator once per build;
//!   `state.version` comes from the fixtures.

use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::profiles::User;
use crate::vehicles::{Colour, Garage, Make, PlateType, Province, Vehicle, VehicleType};
use crate::world::{Books, Customer, World, bytes_response, timestamp};

/// A number kept as the fixture wrote it (`50` stays `50`, `37.5` stays `37.5`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Decimal(pub serde_json::Number);

impl Default for Decimal {
    fn default() -> Self {
        Decimal(0.into())
    }
}

fn zero_tax() -> String {
    "0.0000".to_owned()
}

/// A violation's own columns, in the order of the seed's sample record. In a fixture, the
/// dates are given as `issued_in_days` and `due_in_days` instead of `Issued`, `Due` and
/// `Created`.
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Violation {
    pub ViolationID: u64,
    pub SemPermitID: i64,
    pub Ticket: String,
    pub VehicleID: u64,
    pub Spoiled: i64,
    pub TicketType: u64,
    #[serde(skip_deserializing)]
    pub Issued: String,
    pub convNotice: Option<String>,
    #[serde(skip_deserializing)]
    pub Due: String,
    pub ViolationTypeID: i64,
    pub Fine: Decimal,
    pub AdjustedFine: Decimal,
    pub Towing: Decimal,
    #[serde(default = "zero_tax")]
    pub taxAmount: String,
    pub Writer: i64,
    pub LocationID: u64,
    pub Comment: Option<String>,
    pub TicketAppeal: Option<String>,
    pub appealType: i64,
    pub appealFormat: Option<String>,
    pub AccessAdminID: i64,
    pub ActionedPer: Option<String>,
    #[serde(skip_deserializing)]
    pub Created: String,
    pub AppealUserID: i64,
    pub AppealProcessDate: Option<String>,
    pub AppealAdminID: i64,
    pub AppealComment: Option<String>,
    pub AppealAdminComment: Option<String>,
    pub AutoNotice: i64,
    pub ProcessedByCollection: Option<String>,
    pub SentToCollections: Option<String>,
    pub PrivateComments: Option<String>,
    pub DriveAway: i64,
    pub UUID: String,
    pub VioNotice: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub Warning: Option<i64>,
    pub userid: Option<u64>,
    pub incidentID: Option<i64>,
    pub failToIdentify: Option<i64>,
    pub pin: Option<String>,
    pub duplicate: Option<i64>,
    pub AdjustmentReason: Option<String>,
    /// Days from the clock at build time to the issue time (negative: in the past).
    #[serde(skip_serializing)]
    pub issued_in_days: i64,
    /// Days from the clock at build time to the due time.
    #[serde(skip_serializing)]
    pub due_in_days: i64,
    #[serde(skip_serializing)]
    pub details: Vec<Detail>,
    #[serde(skip_serializing)]
    pub attachments: Vec<Attachment>,
    #[serde(skip)]
    pub due_at: DateTime<Utc>,
}

/// One offence of a violation (the seed's `details` items, without `type`).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Detail {
    pub ViolationsDetailID: u64,
    #[serde(skip_deserializing)]
    pub ViolationID: u64,
    #[serde(skip_deserializing)]
    pub Ticket: String,
    pub ViolationTypeID: u64,
    #[serde(skip_deserializing)]
    pub LocationID: u64,
    pub offenceFine: Decimal,
    pub discountFlag: i64,
    pub discountAmount: Decimal,
    pub discountHours: i64,
    #[serde(skip_deserializing)]
    pub created: String,
}

/// A photo or file attached to a violation (the seed's `attachments` items). The storage
/// path, the related fields and `created` follow from the violation.
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Attachment {
    pub attachID: u64,
    #[serde(skip_deserializing)]
    pub storageLocation: String,
    pub attachName: String,
    pub attachExt: String,
    pub attachMime: String,
    #[serde(skip_deserializing)]
    pub relatedType: String,
    #[serde(skip_deserializing)]
    pub relatedID: u64,
    #[serde(skip_deserializing)]
    pub relatedNote: String,
    #[serde(skip_deserializing)]
    pub created: String,
    pub archived: Option<String>,
    pub uniqueid: String,
}

/// Where a violation was written (the seed's `location` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Location {
    pub LocationID: u64,
    pub LocationName: String,
    pub WriterVisible: i64,
    pub GisNo: i64,
    pub modified: Option<String>,
}

/// An offence type (the `type` of a detail).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViolationType {
    pub ViolationTypeID: u64,
    pub ViolationDescr: String,
    pub DefaultCost: Decimal,
    pub created: Option<String>,
    pub discountFlag: bool,
    pub discountAmount: Decimal,
    pub discountHours: i64,
    pub adminOnly: bool,
    pub violationkey: Option<String>,
    pub modified: Option<String>,
    pub category_id: i64,
    pub adjustable: bool,
    pub bylawcode: Option<String>,
}

/// A ticket type (the seed's `category` object, referred to by `TicketType`).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketType {
    pub TicketTypeID: u64,
    pub TicketTypeName: String,
    pub HandHeldVisible: i64,
    pub modified: Option<String>,
    pub archived: Option<String>,
    pub appliesTo: i64,
    pub enableFailToIdentify: i64,
}

impl Violation {
    /// The fixture violation with its dates resolved against `now` and the fields that follow
    /// from the violation filled into its details and attachments.
    pub fn resolve(&self, now: DateTime<Utc>, customer_id: &str) -> Violation {
        let now = now - TimeDelta::nanoseconds(i64::from(now.timestamp_subsec_nanos()));
        let issued = now + TimeDelta::days(self.issued_in_days);
        let due = now + TimeDelta::days(self.due_in_days);
        let mut v = self.clone();
        v.Issued = timestamp(issued);
        v.Due = timestamp(due);
        v.Created = v.Issued.clone();
        v.due_at = due;
        for detail in &mut v.details {
            detail.ViolationID = v.ViolationID;
            detail.Ticket.clone_from(&v.Ticket);
            detail.LocationID = v.LocationID;
            detail.created.clone_from(&v.Issued);
        }
        for file in &mut v.attachments {
            file.storageLocation = format!(
                "{customer_id}/VIOLATIONS/{}/{}.{}",
                issued.format("%Y/%m/%d"),
                file.attachName,
                file.attachExt
            );
            file.relatedType = "VIOLATIONS".to_owned();
            file.relatedID = v.ViolationID;
            file.relatedNote.clone_from(&v.Ticket);
            file.created.clone_from(&v.Issued);
        }
        v
    }

    /// Seed 004: overdue and "not been sent to collections yet".
    pub fn is_due_for_collections(&self, now: DateTime<Utc>) -> bool {
        self.due_at < now && self.SentToCollections.is_none() && self.Spoiled == 0
    }
}

#[derive(Serialize)]
struct Driver<'a> {
    #[serde(flatten)]
    user: &'a User,
    /// Laravel's key of the vehicle-to-driver relation: the vehicle's id.
    laravel_through_key: u64,
}

#[derive(Serialize)]
struct VehicleRecord<'a> {
    #[serde(flatten)]
    vehicle: &'a Vehicle,
    drivers: Vec<Driver<'a>>,
    make: Option<&'a Make>,
    colour: Option<&'a Colour>,
    vehicle_type: Option<&'a VehicleType>,
    plate_type: Option<&'a PlateType>,
    province: Option<&'a Province>,
}

#[derive(Serialize)]
struct DetailRecord<'a> {
    #[serde(flatten)]
    detail: &'a Detail,
    #[serde(rename = "type")]
    kind: Option<&'a ViolationType>,
}

#[derive(Serialize)]
struct Record<'a> {
    #[serde(flatten)]
    violation: &'a Violation,
    user: Option<&'a User>,
    vehicle: Option<VehicleRecord<'a>>,
    location: Option<&'a Location>,
    details: Vec<DetailRecord<'a>>,
    attachments: &'a [Attachment],
    category: Option<&'a TicketType>,
}

#[derive(Serialize)]
struct AppState<'a> {
    version: &'a str,
    csrf_token: &'a str,
}

#[derive(Serialize)]
struct Answer<'a> {
    records: Vec<Record<'a>>,
    state: AppState<'a>,
}

fn vehicle_record<'a>(
    vehicle: &'a Vehicle,
    garage: &'a Garage,
    users: &'a [User],
    world: &'a World,
) -> VehicleRecord<'a> {
    VehicleRecord {
        vehicle,
        drivers: vehicle
            .drivers
            .iter()
            .filter_map(|id| users.iter().find(|u| u.UserID == *id))
            .map(|user| Driver {
                user,
                laravel_through_key: vehicle.VehicleID,
            })
            .collect(),
        make: garage
            .makes
            .iter()
            .find(|m| Some(m.MakeID) == vehicle.MakeID),
        colour: garage
            .colours
            .iter()
            .find(|c| Some(c.ColourID) == vehicle.ColourID),
        vehicle_type: garage
            .vehicle_types
            .iter()
            .find(|t| Some(t.TypeID) == vehicle.TypeID),
        plate_type: world
            .seed
            .plate_types
            .iter()
            .find(|t| t.TypeID == vehicle.PlateTypeID),
        province: world
            .seed
            .provinces
            .iter()
            .find(|p| p.ProvID == vehicle.ProvID),
    }
}

fn record<'a>(
    violation: &'a Violation,
    books: &'a Books,
    customer: &'a Customer,
    world: &'a World,
) -> Record<'a> {
    let garage = &books.garage;
    Record {
        violation,
        user: violation
            .userid
            .and_then(|id| books.users.iter().find(|u| u.UserID == id)),
        vehicle: garage
            .vehicles
            .iter()
            .find(|v| v.VehicleID == violation.VehicleID)
            .map(|v| vehicle_record(v, garage, &books.users, world)),
        location: customer
            .locations
            .iter()
            .find(|l| l.LocationID == violation.LocationID),
        details: violation
            .details
            .iter()
            .map(|detail| DetailRecord {
                detail,
                kind: customer
                    .violation_types
                    .iter()
                    .find(|t| t.ViolationTypeID == detail.ViolationTypeID),
            })
            .collect(),
        attachments: &violation.attachments,
        category: customer
            .ticket_types
            .iter()
            .find(|t| t.TicketTypeID == violation.TicketType),
    }
}

/// `violations/send_overdue_to_collections`: `{"records": [...], "state": {...}}`.
pub fn send_overdue_to_collections(
    world: &World,
    customer_index: usize,
) -> Result<Response, Error> {
    let customer = &world.seed.customers[customer_index];
    let now = world.now();
    let mut state = world.lock();
    let state = &mut *state;
    let books = &state.books[customer_index];
    let sent: Vec<usize> = (0..books.violations.len())
        .filter(|i| books.violations[*i].is_due_for_collections(now))
        .collect();
    let answer = Answer {
        records: sent
            .iter()
            .map(|i| record(&books.violations[*i], books, customer, world))
            .collect(),
        state: AppState {
            version: &world.seed.app_version,
            csrf_token: &state.csrf_token,
        },
    };
    let bytes = serde_json::to_vec(&answer)
        .map_err(|_| Error::from_kit(&parkbench_kit::KitError::Internal))?;
    let marked = timestamp(now);
    let books = &mut state.books[customer_index];
    for i in sent {
        books.violations[i].SentToCollections = Some(marked.clone());
    }
    Ok(bytes_response(bytes))
}

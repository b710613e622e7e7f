//! The state of the OPS-COM mock: the customers and their credentials, which never change
//! while the mock runs ([`Seed`]), and each customer's records behind one lock ([`State`]),
//! rebuilt from the fixtures at start-up and on every reset.
//!
//! Fixture files (`fixtures/opscom/`, the README describes them):
//! - `customers.json`: each customer's id, client codes, tokens and what each token may do,
//!   zones, login sources, and the name of its data file;
//! - `lookups.json`: provinces and states, plate types, makes, vehicle types and colours;
//! - one data file per customer: user types, users, vehicles, permits, locations, ticket
//!   types, violation types and violations.
//!
//! The lock is a `std::sync::Mutex`, as in mini-redis: no handler awaits while holding it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use parkbench_kit::{Clock, Ctx, FixtureError, Fixtures, KitError, Rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Code, Error};
use crate::fields::{Body, Field};
use crate::permits::{PermitPush, Permits};
use crate::profiles::User;
use crate::user_types::UserType;
use crate::vehicles::{Colour, Garage, Make, PlateType, Province, Vehicle, VehicleType, plate_key};
use crate::violations::{Location, TicketType, Violation, ViolationType};

/// The documented operations, named as in their paths after `/v1/`; a token's `operations`
/// in `customers.json` lists these names, or `*` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    PermitsPush,
    PermitsUpdate,
    PermitsDelete,
    PermitsStats,
    VehiclesPush,
    ProfilesTypesList,
    ProfilesPush,
    ViolationsSendOverdueToCollections,
}

impl Operation {
    pub const ALL: [Operation; 8] = [
        Operation::PermitsPush,
        Operation::PermitsUpdate,
        Operation::PermitsDelete,
        Operation::PermitsStats,
        Operation::VehiclesPush,
        Operation::ProfilesTypesList,
        Operation::ProfilesPush,
        Operation::ViolationsSendOverdueToCollections,
    ];

    /// The path after `/api/{client}/v1/`.
    pub const fn path(self) -> &'static str {
        match self {
            Operation::PermitsPush => "permits/push",
            Operation::PermitsUpdate => "permits/update",
            Operation::PermitsDelete => "permits/delete",
            Operation::PermitsStats => "permits/stats",
            Operation::VehiclesPush => "vehicles/push",
            Operation::ProfilesTypesList => "profiles/types/list",
            Operation::ProfilesPush => "profiles/push",
            Operation::ViolationsSendOverdueToCollections => {
                "violations/send_overdue_to_collections"
            }
        }
    }

    pub fn from_path(path: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.path() == path)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

// ---- fixture files ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomersFile {
    /// `state.version` of the violations answer.
    app_version: String,
    customers: Vec<CustomerFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerFile {
    id: String,
    /// For the person reading the fixtures; the mock answers nothing with it.
    #[serde(rename = "name")]
    _name: serde::de::IgnoredAny,
    client_codes: Vec<String>,
    tokens: Vec<TokenFile>,
    zones: Vec<String>,
    login_sources: Vec<String>,
    data: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    token: String,
    operations: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct LookupsFile {
    provinces: Vec<Province>,
    plate_types: Vec<PlateType>,
    makes: Vec<Make>,
    vehicle_types: Vec<VehicleType>,
    colours: Vec<Colour>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DataFile {
    user_types: Vec<UserType>,
    users: Vec<User>,
    vehicles: Vec<Vehicle>,
    /// Each a permit push body (any of the documented names) plus its `reference_id`.
    permits: Vec<Map<String, Value>>,
    locations: Vec<Location>,
    ticket_types: Vec<TicketType>,
    violation_types: Vec<ViolationType>,
    violations: Vec<Violation>,
}

// ---- what never changes ----

/// The tables every request looks a token, client code or zone up in: built once from the
/// fixtures and read on every request, so hashed with foldhash rather than SipHash (the keys
/// come from the fixtures, not from clients).
type Lookup<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// One customer: who may call, and the reference data that requests cannot change.
#[derive(Debug)]
pub struct Customer {
    pub id: String,
    /// Each zone name as a JSON string, written into stats answers as is; one per zone.
    pub zone_json: Vec<String>,
    zone_exact: Lookup<usize>,
    zone_index: Lookup<usize>,
    pub login_sources: Vec<String>,
    pub user_types: Vec<UserType>,
    /// The ids of `user_types`, parsed once: every profile push checks against them.
    pub user_type_ids: Vec<u64>,
    pub locations: Vec<Location>,
    pub ticket_types: Vec<TicketType>,
    pub violation_types: Vec<ViolationType>,
}

impl Customer {
    /// The index of a zone, matched without regard to case. A name spelled as in the fixtures
    /// is found without lower-casing it (stats filters are read on every request).
    pub fn zone(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.zone_exact
            .get(name)
            .or_else(|| self.zone_index.get(&name.to_lowercase()))
            .copied()
    }
}

#[derive(Clone, Copy, Debug)]
struct Grant {
    customer: usize,
    operations: u16,
}

/// The parsed and checked fixtures.
#[derive(Debug)]
pub struct Seed {
    pub app_version: String,
    pub customers: Vec<Customer>,
    client_codes: Lookup<usize>,
    tokens: Lookup<Grant>,
    pub provinces: Vec<Province>,
    pub plate_types: Vec<PlateType>,
    /// Each customer's records as the fixtures give them; violation dates still relative.
    initial: Vec<Books>,
}

// ---- what requests change ----

/// One customer's records.
#[derive(Clone, Debug)]
pub struct Books {
    pub permits: Permits,
    pub garage: Garage,
    pub users: Vec<User>,
    /// In `ViolationID` order.
    pub violations: Vec<Violation>,
}

/// Everything requests change, behind the world's one lock.
#[derive(Debug)]
pub struct State {
    /// Indexed like [`Seed::customers`].
    pub books: Vec<Books>,
    /// Draws permit reference ids.
    pub permit_ids: Rng,
    /// Draws the UUIDs and keys of new users.
    pub user_ids: Rng,
    pub csrf_token: String,
}

/// The mock's world: the fixtures, the clock, and the state.
#[derive(Debug)]
pub struct World {
    pub seed: Arc<Seed>,
    clock: Clock,
    state: Mutex<State>,
}

const API_TOKEN: Field =
    Field::required(&["apiToken"], Code::TokenMissing).invalid(Code::TokenNotPermitted);

impl World {
    /// Fresh state from the fixtures, violation dates resolved against the clock's now.
    pub fn new(seed: Arc<Seed>, ctx: &Ctx) -> Self {
        let now = ctx.clock().now();
        let books = seed
            .initial
            .iter()
            .zip(&seed.customers)
            .map(|(books, customer)| Books {
                permits: books.permits.clone(),
                garage: books.garage.clone(),
                users: books.users.clone(),
                violations: books
                    .violations
                    .iter()
                    .map(|v| v.resolve(now, &customer.id))
                    .collect(),
            })
            .collect();
        let mut csrf = ctx.rng_for("csrf");
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let csrf_token = (0..40)
            .map(|_| char::from(ALPHABET[csrf.random_range(0..ALPHABET.len())]))
            .collect();
        Self {
            seed,
            clock: ctx.clock().clone(),
            state: Mutex::new(State {
                books,
                permit_ids: ctx.rng_for("permits"),
                user_ids: ctx.rng_for("users"),
                csrf_token,
            }),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // Handlers check everything before they change anything, so a panic cannot leave
        // records half-written: keep serving after a poison.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The virtual clock's now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The customer a request acts for: its `apiToken` must be present (9001), known, belong
    /// to the customer of the path's client code and allow the operation (9002 otherwise).
    pub fn authorize(
        &self,
        client: &str,
        body: &Body<'_>,
        operation: Operation,
    ) -> Result<usize, Error> {
        let token = body.read_str(&API_TOKEN)?.unwrap_or_default();
        let denied = Error::new(Code::TokenNotPermitted);
        let grant = self.seed.tokens.get(token).ok_or(denied)?;
        let customer = *self.seed.client_codes.get(client).ok_or(denied)?;
        if grant.customer != customer || grant.operations & operation.bit() == 0 {
            return Err(denied);
        }
        Ok(customer)
    }
}

/// A vendor timestamp, as the seed writes them: `2020-10-15T20:13:24.000000Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000000Z").to_string()
}

/// A 200 answer with a JSON body.
pub fn json_response<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => bytes_response(bytes),
        Err(_) => Error::from_kit(&KitError::Internal).into_response(),
    }
}

/// A 200 answer with bytes already written as JSON.
pub fn bytes_response(bytes: Vec<u8>) -> Response {
    let mut response = Response::new(axum::body::Body::from(bytes));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

// ---- loading and checking the fixtures ----

/// Reports a fixture problem against a file.
struct Check<'a> {
    fixtures: &'a Fixtures,
    file: String,
}

impl Check<'_> {
    fn fail(&self, reason: impl ToString) -> FixtureError {
        FixtureError::new(self.fixtures.location(&self.file), reason)
    }

    fn ensure(&self, ok: bool, reason: impl FnOnce() -> String) -> Result<(), FixtureError> {
        if ok { Ok(()) } else { Err(self.fail(reason())) }
    }

    /// Every id of a table is positive and unique.
    fn unique_ids(
        &self,
        what: &str,
        ids: impl IntoIterator<Item = u64>,
    ) -> Result<HashSet<u64>, FixtureError> {
        let mut seen = HashSet::new();
        for id in ids {
            self.ensure(id > 0, || {
                format!("{what}: every id must be a positive integer")
            })?;
            self.ensure(seen.insert(id), || format!("{what}: id {id} appears twice"))?;
        }
        Ok(seen)
    }
}

fn unique_text<'a>(
    check: &Check<'_>,
    what: &str,
    values: impl IntoIterator<Item = &'a str>,
) -> Result<(), FixtureError> {
    let mut seen = HashSet::new();
    for value in values {
        check.ensure(!value.trim().is_empty(), || {
            format!("{what}: a value is empty")
        })?;
        check.ensure(seen.insert(value.trim().to_lowercase()), || {
            format!("{what}: `{value}` appears twice")
        })?;
    }
    Ok(())
}

impl Seed {
    /// Reads and checks every fixture file; the error names the file at fault.
    pub fn load(fixtures: &Fixtures) -> Result<Self, FixtureError> {
        let customers_file: CustomersFile = fixtures.json("customers.json")?;
        let lookups: LookupsFile = fixtures.json("lookups.json")?;
        check_lookups(
            &lookups,
            &Check {
                fixtures,
                file: "lookups.json".into(),
            },
        )?;

        let check = Check {
            fixtures,
            file: "customers.json".into(),
        };
        check.ensure(!customers_file.customers.is_empty(), || {
            "no customers".into()
        })?;
        unique_text(
            &check,
            "customer ids",
            customers_file.customers.iter().map(|c| c.id.as_str()),
        )?;
        let mut client_codes = Lookup::default();
        let mut tokens = Lookup::default();
        let mut customers = Vec::new();
        let mut initial = Vec::new();
        for (index, file) in customers_file.customers.into_iter().enumerate() {
            let id = &file.id;
            check.ensure(!file.client_codes.is_empty(), || {
                format!("customer {id}: no client codes")
            })?;
            for code in &file.client_codes {
                let ok = !code.is_empty() && !code.contains('/') && code.trim() == code;
                check.ensure(ok, || {
                    format!("customer {id}: client code `{code}` is not a path segment")
                })?;
                let fresh = client_codes.insert(code.clone(), index).is_none();
                check.ensure(fresh, || {
                    format!("client code `{code}` belongs to two customers")
                })?;
            }
            for token in &file.tokens {
                check.ensure(
                    !token.token.trim().is_empty() && token.token.trim() == token.token,
                    || format!("customer {id}: a token is empty or has blanks around it"),
                )?;
                let mut operations = 0;
                for name in &token.operations {
                    operations |= match (name.as_str(), Operation::from_path(name)) {
                        ("*", _) => u16::MAX,
                        (_, Some(op)) => op.bit(),
                        (_, None) => {
                            return Err(
                                check.fail(format!("customer {id}: unknown operation `{name}`"))
                            );
                        }
                    };
                }
                let grant = Grant {
                    customer: index,
                    operations,
                };
                let fresh = tokens.insert(token.token.clone(), grant).is_none();
                check.ensure(fresh, || {
                    format!("customer {id}: token `{}` appears twice", token.token)
                })?;
            }
            unique_text(
                &check,
                &format!("customer {id}: zones"),
                file.zones.iter().map(String::as_str),
            )?;
            unique_text(
                &check,
                &format!("customer {id}: login sources"),
                file.login_sources.iter().map(String::as_str),
            )?;

            let data: DataFile = fixtures.json(&file.data)?;
            let data_check = Check {
                fixtures,
                file: file.data.clone(),
            };
            let zone_json = file
                .zones
                .iter()
                .map(|z| serde_json::to_string(z).map_err(|e| check.fail(e)))
                .collect::<Result<_, _>>()?;
            let customer = Customer {
                id: file.id.clone(),
                zone_exact: file
                    .zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| (z.trim().to_owned(), i))
                    .collect(),
                zone_index: file
                    .zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| (z.trim().to_lowercase(), i))
                    .collect(),
                zone_json,
                login_sources: file.login_sources,
                user_types: data.user_types.clone(),
                user_type_ids: data
                    .user_types
                    .iter()
                    .filter_map(|t| t.id.parse().ok())
                    .collect(),
                locations: data.locations.clone(),
                ticket_types: data.ticket_types.clone(),
                violation_types: data.violation_types.clone(),
            };
            initial.push(check_data(data, &customer, &lookups, &data_check)?);
            customers.push(customer);
        }
        Ok(Seed {
            app_version: customers_file.app_version,
            customers,
            client_codes,
            tokens,
            provinces: lookups.provinces,
            plate_types: lookups.plate_types,
            initial,
        })
    }
}

fn check_lookups(lookups: &LookupsFile, check: &Check<'_>) -> Result<(), FixtureError> {
    check.unique_ids("provinces", lookups.provinces.iter().map(|p| p.ProvID))?;
    unique_text(
        check,
        "province codes",
        lookups.provinces.iter().map(|p| p.ProvCode.as_str()),
    )?;
    check.unique_ids("plate_types", lookups.plate_types.iter().map(|t| t.TypeID))?;
    check.unique_ids("makes", lookups.makes.iter().map(|m| m.MakeID))?;
    check.unique_ids(
        "vehicle_types",
        lookups.vehicle_types.iter().map(|t| t.TypeID),
    )?;
    check.unique_ids("colours", lookups.colours.iter().map(|c| c.ColourID))?;
    Ok(())
}

fn check_data(
    data: DataFile,
    customer: &Customer,
    lookups: &LookupsFile,
    check: &Check<'_>,
) -> Result<Books, FixtureError> {
    let known = |set: &HashSet<u64>, id: Option<u64>| id.is_none_or(|id| set.contains(&id));
    let provinces: HashSet<u64> = lookups.provinces.iter().map(|p| p.ProvID).collect();

    let user_type_ids: Vec<u64> = data
        .user_types
        .iter()
        .map(|t| t.id.parse().unwrap_or(0))
        .collect();
    let user_types = check.unique_ids("user_types", user_type_ids)?;

    let user_ids = check.unique_ids("users", data.users.iter().map(|u| u.UserID))?;
    unique_text(
        check,
        "user e-mails",
        data.users.iter().filter_map(|u| u.email.as_deref()),
    )?;
    unique_text(
        check,
        "user names",
        data.users.iter().filter_map(|u| u.username.as_deref()),
    )?;
    for user in &data.users {
        let id = user.UserID;
        check.ensure(!user.UserUUID.is_empty(), || {
            format!("user {id}: UserUUID is required")
        })?;
        check.ensure(customer.login_sources.contains(&user.loginSource), || {
            format!(
                "user {id}: loginSource `{}` is not one of the customer's login sources",
                user.loginSource
            )
        })?;
        check.ensure(known(&user_types, user.UserTypeID), || {
            format!("user {id}: unknown UserTypeID")
        })?;
        for prov in [user.prov, user.prov2, user.DLprov] {
            check.ensure(known(&provinces, prov), || {
                format!("user {id}: unknown province id")
            })?;
        }
    }

    let makes: HashSet<u64> = lookups.makes.iter().map(|m| m.MakeID).collect();
    let types: HashSet<u64> = lookups.vehicle_types.iter().map(|t| t.TypeID).collect();
    let colours: HashSet<u64> = lookups.colours.iter().map(|c| c.ColourID).collect();
    let plate_types: HashSet<u64> = lookups.plate_types.iter().map(|t| t.TypeID).collect();
    let vehicle_ids = check.unique_ids("vehicles", data.vehicles.iter().map(|v| v.VehicleID))?;
    let mut plates = HashSet::new();
    for vehicle in &data.vehicles {
        let id = vehicle.VehicleID;
        let key = plate_key(&vehicle.Plate);
        check.ensure(!key.is_empty(), || {
            format!("vehicle {id}: Plate is required")
        })?;
        check.ensure(plates.insert(key), || {
            format!("vehicle {id}: plate {} appears twice", vehicle.Plate)
        })?;
        check.ensure(plate_types.contains(&vehicle.PlateTypeID), || {
            format!("vehicle {id}: unknown PlateTypeID")
        })?;
        check.ensure(provinces.contains(&vehicle.ProvID), || {
            format!("vehicle {id}: unknown ProvID")
        })?;
        check.ensure(known(&makes, vehicle.MakeID), || {
            format!("vehicle {id}: unknown MakeID")
        })?;
        check.ensure(known(&types, vehicle.TypeID), || {
            format!("vehicle {id}: unknown TypeID")
        })?;
        check.ensure(known(&colours, vehicle.ColourID), || {
            format!("vehicle {id}: unknown ColourID")
        })?;
        for driver in &vehicle.drivers {
            check.ensure(user_ids.contains(driver), || {
                format!("vehicle {id}: driver {driver} is no user")
            })?;
        }
    }

    let mut permits = Permits::new(customer.zone_json.len());
    for (n, body) in data.permits.into_iter().enumerate() {
        let reference_id = match body.get("reference_id") {
            Some(Value::String(id)) if !id.trim().is_empty() && id.chars().count() <= 50 => {
                id.trim().to_owned()
            }
            _ => {
                return Err(check.fail(format!(
                    "permit {}: reference_id must be a string of 1 to 50 characters",
                    n + 1
                )));
            }
        };
        let push = PermitPush::from_body(&Body::from_map(&body)).map_err(|e| {
            check.fail(format!(
                "permit {reference_id}: {} {}",
                e.code.number(),
                e.code.message()
            ))
        })?;
        check.ensure(permits.get(&reference_id).is_none(), || {
            format!("permit {reference_id} appears twice")
        })?;
        let ticket_taken = push
            .permit_no
            .as_deref()
            .is_some_and(|no| permits.ticket_taken(no));
        check.ensure(!ticket_taken, || {
            format!("permit {reference_id}: permitNo is another permit's")
        })?;
        permits.insert(push.into_permit(reference_id, customer));
    }

    let locations = check.unique_ids("locations", data.locations.iter().map(|l| l.LocationID))?;
    let ticket_types = check.unique_ids(
        "ticket_types",
        data.ticket_types.iter().map(|t| t.TicketTypeID),
    )?;
    let violation_types = check.unique_ids(
        "violation_types",
        data.violation_types.iter().map(|t| t.ViolationTypeID),
    )?;
    check.unique_ids("violations", data.violations.iter().map(|v| v.ViolationID))?;
    let mut violations = data.violations;
    violations.sort_by_key(|v| v.ViolationID);
    for violation in &violations {
        let id = violation.ViolationID;
        check.ensure(!violation.Ticket.is_empty(), || {
            format!("violation {id}: Ticket is required")
        })?;
        check.ensure(!violation.UUID.is_empty(), || {
            format!("violation {id}: UUID is required")
        })?;
        check.ensure(vehicle_ids.contains(&violation.VehicleID), || {
            format!("violation {id}: unknown VehicleID")
        })?;
        check.ensure(locations.contains(&violation.LocationID), || {
            format!("violation {id}: unknown LocationID")
        })?;
        check.ensure(ticket_types.contains(&violation.TicketType), || {
            format!("violation {id}: unknown TicketType")
        })?;
        check.ensure(known(&user_ids, violation.userid), || {
            format!("violation {id}: unknown userid")
        })?;
        check.ensure(violation.due_in_days >= violation.issued_in_days, || {
            format!("violation {id}: due_in_days is before issued_in_days")
        })?;
        for detail in &violation.details {
            let ok = violation_types.contains(&detail.ViolationTypeID);
            check.ensure(ok, || {
                format!(
                    "violation {id}: unknown ViolationTypeID {}",
                    detail.ViolationTypeID
                )
            })?;
        }
    }
    check.unique_ids(
        "violation details",
        violations
            .iter()
            .flat_map(|v| v.details.iter().map(|d| d.ViolationsDetailID)),
    )?;
    check.unique_ids(
        "violation attachments",
        violations
            .iter()
            .flat_map(|v| v.attachments.iter().map(|a| a.attachID)),
    )?;

    Ok(Books {
        permits,
        garage: Garage {
            vehicles: data.vehicles,
            makes: lookups.makes.clone(),
            vehicle_types: lookups.vehicle_types.clone(),
            colours: lookups.colours.clone(),
        },
        users: data.users,
        violations,
    })
}

//! "Push API: Vehicle Create" (seed 004): `POST /api/{client}/v1/vehicles/push`, and the
//! vehicle reference tables (plate types, provinces, makes, vehicle types, colours) in the
//! vendor's record shapes, which the overdue violations answer nests inside each vehicle.
//!
//! Where the seed is silent:
//! - plate type and province are looked up, never created: an unknown id or name is 9033.
//!   A plate type name matches `TypeName` or `typeCode`, a province name `ProvName` or
//!   `ProvCode`, without regard to case;
//! - make, vehicle type and colour given by id must exist (9033); given by name they are
//!   matched without regard to case, and a name not on file is added to the customer's
//!   table (that is why the seed truncates over-long names: they are stored). A name over 50
//!   characters is cut to 50 and a warning added, in the seed's words for the colour and the
//!   same words for the make and the type;
//! - when both the id and the name of one thing are sent, the id wins (the table lists it
//!   first), as for every alias;
//! - a plate is "already in the database" (9012) when it equals one on file once case,
//!   blanks and dashes are ignored.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error};
use crate::fields::{Body, Field, parse_id, parse_year};
use crate::world::{World, json_response, timestamp};

/// A state or province (the seed's `province` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Province {
    pub ProvID: u64,
    pub ProvName: String,
    pub Country: i64,
    pub ProvCode: String,
    pub modified: Option<String>,
    pub payments: i64,
}

/// A plate type (the seed's `plate_type` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlateType {
    pub TypeID: u64,
    pub TypeName: String,
    pub modified: Option<String>,
    pub typeCode: Option<String>,
}

/// A vehicle make (the seed's `make` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Make {
    pub MakeID: u64,
    pub MakeName: String,
    pub modified: Option<String>,
}

/// A vehicle type (the seed's `vehicle_type` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VehicleType {
    pub TypeID: u64,
    pub TypeName: String,
    pub modified: Option<String>,
}

/// A colour (the seed's `colour` object).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Colour {
    pub ColourID: u64,
    pub ColourName: String,
    pub ColourKey: Option<String>,
    pub modified: Option<String>,
}

/// A vehicle as the seed's violation answer shows it, without its nested objects; `drivers`
/// holds the `UserID`s of its drivers (fixtures only: pushed vehicles have none).
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vehicle {
    pub VehicleID: u64,
    pub Active: i64,
    pub lastUpdate: Option<String>,
    pub Plate: String,
    pub PlateTypeID: u64,
    pub ProvID: u64,
    pub MakeID: Option<u64>,
    pub TypeID: Option<u64>,
    pub ColourID: Option<u64>,
    pub Year: Option<i64>,
    pub TotalVio: i64,
    pub TotalUnpaid: i64,
    pub TotalWarning: i64,
    pub created: Option<String>,
    pub externallookupdate: Option<String>,
    pub externallookupRequestID: Option<String>,
    pub modified: Option<String>,
    pub vehicleAlert: Option<String>,
    pub vin: Option<String>,
    #[serde(skip_serializing)]
    pub drivers: Vec<u64>,
}

/// The vehicles of one customer and the name tables a push may add to.
#[derive(Clone, Debug, Default)]
pub struct Garage {
    pub vehicles: Vec<Vehicle>,
    pub makes: Vec<Make>,
    pub vehicle_types: Vec<VehicleType>,
    pub colours: Vec<Colour>,
}

/// A plate as compared for 9012: upper case, without blanks and dashes.
pub fn plate_key(plate: &str) -> String {
    plate
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

impl Garage {
    pub fn has_plate(&self, plate: &str) -> bool {
        let key = plate_key(plate);
        self.vehicles.iter().any(|v| plate_key(&v.Plate) == key)
    }
}

/// Longest stored name (seed 004: "50-character alphanumeric including dashes").
const NAME_MAX: usize = 50;

// The attributes of seed 004's table, in its order.
const PLATE: Field = Field::required(&["plate"], Code::PlateRequired)
    .max(50)
    .too_long(Code::PlateTooLong);
const PLATE_TYPE_ID: Field = Field::optional(&["plateTypeID"]);
const PLATE_TYPE: Field = Field::optional(&["plateType"]).max(NAME_MAX);
const PROV_ID: Field = Field::optional(&["provID"]);
const PROV: Field = Field::optional(&["prov"]).max(NAME_MAX);
const MAKE_ID: Field = Field::optional(&["makeID"]);
const MAKE: Field = Field::optional(&["make"]);
const TYPE_ID: Field = Field::optional(&["typeID"]);
const TYPE: Field = Field::optional(&["type"]);
const COLOUR_ID: Field = Field::optional(&["colourID"]);
const COLOUR: Field = Field::optional(&["colour"]);
const YEAR: Field = Field::optional(&["year"]);
const VIN: Field = Field::optional(&["vin"]).max(25);

/// A make, type or colour as the push names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Named {
    Id(u64),
    /// The name, already cut to 50 characters, and whether it had to be cut.
    Name(String, bool),
}

/// A checked vehicle push.
#[derive(Clone, Debug, PartialEq)]
pub struct VehiclePush {
    pub plate: String,
    pub plate_type_id: u64,
    pub prov_id: u64,
    pub make: Option<Named>,
    pub vehicle_type: Option<Named>,
    pub colour: Option<Named>,
    pub year: Option<i64>,
    pub vin: Option<String>,
}

fn named(body: &Body<'_>, id: &Field, name: &Field) -> Result<Option<Named>, Error> {
    if let Some(id) = id.parse(body, parse_id)? {
        return Ok(Some(Named::Id(id)));
    }
    Ok(body.read(name)?.map(|name| {
        let cut = name.chars().count() > NAME_MAX;
        Named::Name(name.chars().take(NAME_MAX).collect(), cut)
    }))
}

impl VehiclePush {
    /// Checks every attribute in the seed table's order; the first failure is the answer.
    pub fn from_body(
        body: &Body<'_>,
        plate_types: &[PlateType],
        provinces: &[Province],
    ) -> Result<Self, Error> {
        let plate = body.read(&PLATE)?.unwrap_or_default();
        let plate_type_id = match PLATE_TYPE_ID.parse(body, parse_id)? {
            Some(id) => plate_types.iter().find(|t| t.TypeID == id),
            None => match body.read(&PLATE_TYPE)? {
                Some(name) => plate_types.iter().find(|t| {
                    t.TypeName.eq_ignore_ascii_case(&name)
                        || t.typeCode
                            .as_ref()
                            .is_some_and(|c| c.eq_ignore_ascii_case(&name))
                }),
                None => return Err(Error::new(Code::PlateTypeRequired)),
            },
        }
        .ok_or(Error::new(Code::Invalid))?
        .TypeID;
        let prov_id = match PROV_ID.parse(body, parse_id)? {
            Some(id) => provinces.iter().find(|p| p.ProvID == id),
            None => match body.read(&PROV)? {
                Some(name) => provinces.iter().find(|p| {
                    p.ProvName.eq_ignore_ascii_case(&name) || p.ProvCode.eq_ignore_ascii_case(&name)
                }),
                None => return Err(Error::new(Code::ProvinceRequired)),
            },
        }
        .ok_or(Error::new(Code::Invalid))?
        .ProvID;
        Ok(Self {
            plate,
            plate_type_id,
            prov_id,
            make: named(body, &MAKE_ID, &MAKE)?,
            vehicle_type: named(body, &TYPE_ID, &TYPE)?,
            colour: named(body, &COLOUR_ID, &COLOUR)?,
            year: YEAR.parse(body, parse_year)?,
            vin: body.read(&VIN)?,
        })
    }
}

/// Finds or adds an entry of a name table; the new entry takes the next id.
fn resolve<T>(
    table: &mut Vec<T>,
    named: &Option<Named>,
    id_of: fn(&T) -> u64,
    name_of: fn(&T) -> &str,
    create: impl FnOnce(u64, String) -> T,
    warning: &'static str,
    warnings: &mut Vec<&'static str>,
) -> Result<Option<u64>, Error> {
    match named {
        None => Ok(None),
        Some(Named::Id(id)) => table
            .iter()
            .any(|t| id_of(t) == *id)
            .then_some(Some(*id))
            .ok_or(Error::new(Code::Invalid)),
        Some(Named::Name(name, cut)) => {
            if *cut {
                warnings.push(warning);
            }
            if let Some(found) = table.iter().find(|t| name_of(t).eq_ignore_ascii_case(name)) {
                return Ok(Some(id_of(found)));
            }
            let id = table.iter().map(id_of).max().unwrap_or(0) + 1;
            table.push(create(id, name.clone()));
            Ok(Some(id))
        }
    }
}

#[derive(Serialize)]
struct VehicleAnswer {
    status: &'static str,
    /// The seed's own spelling.
    vehicle_id_id: String,
    warnings: Vec<&'static str>,
}

/// `vehicles/push`: `{"status": "success", "vehicle_id_id": "<id>", "warnings": [...]}`.
pub fn push(world: &World, customer: usize, body: &Body<'_>) -> Result<Response, Error> {
    let request = VehiclePush::from_body(body, &world.seed.plate_types, &world.seed.provinces)?;
    let mut state = world.lock();
    let now = timestamp(world.now());
    let garage = &mut state.books[customer].garage;
    if garage.has_plate(&request.plate) {
        return Err(Error::new(Code::VehicleExists));
    }
    // Ids are checked on a copy so that a refused push adds no name to any table.
    let mut tables = (
        garage.makes.clone(),
        garage.vehicle_types.clone(),
        garage.colours.clone(),
    );
    let mut warnings = Vec::new();
    let stamp = || Some(now.clone());
    let make_id = resolve(
        &mut tables.0,
        &request.make,
        |m| m.MakeID,
        |m| &m.MakeName,
        |id, name| Make {
            MakeID: id,
            MakeName: name,
            modified: stamp(),
        },
        "The vehicle make name was too long and has been truncated.",
        &mut warnings,
    )?;
    let type_id = resolve(
        &mut tables.1,
        &request.vehicle_type,
        |t| t.TypeID,
        |t| &t.TypeName,
        |id, name| VehicleType {
            TypeID: id,
            TypeName: name,
            modified: stamp(),
        },
        "The vehicle type name was too long and has been truncated.",
        &mut warnings,
    )?;
    let colour_id = resolve(
        &mut tables.2,
        &request.colour,
        |c| c.ColourID,
        |c| &c.ColourName,
        |id, name| Colour {
            ColourID: id,
            ColourName: name,
            ColourKey: None,
            modified: stamp(),
        },
        "The vehicle colour name was too long and has been truncated.",
        &mut warnings,
    )?;
    (garage.makes, garage.vehicle_types, garage.colours) = tables;
    let vehicle_id = garage
        .vehicles
        .iter()
        .map(|v| v.VehicleID)
        .max()
        .unwrap_or(0)
        + 1;
    garage.vehicles.push(Vehicle {
        VehicleID: vehicle_id,
        Active: 1,
        lastUpdate: stamp(),
        Plate: request.plate,
        PlateTypeID: request.plate_type_id,
        ProvID: request.prov_id,
        MakeID: make_id,
        TypeID: type_id,
        ColourID: colour_id,
        Year: request.year,
        created: stamp(),
        modified: stamp(),
        vin: request.vin,
        ..Vehicle::default()
    });
    drop(state);
    Ok(json_response(&VehicleAnswer {
        status: "success",
        vehicle_id_id: vehicle_id.to_string(),
        warnings,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_compare_without_case_blanks_or_dashes() {
        assert_eq!(plate_key("abc-123 x"), "ABC123X");
        let garage = Garage {
            vehicles: vec![Vehicle {
                Plate: "AJNR123".into(),
                ..Vehicle::default()
            }],
            ..Garage::default()
        };
        assert!(garage.has_plate("ajnr 123"));
        assert!(garage.has_plate("AJ-NR-123"));
        assert!(!garage.has_plate("AJNR124"));
    }
}

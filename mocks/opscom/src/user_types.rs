//! "Pull API: UserType" (seed 004): `POST /api/{client}/v1/profiles/types/list`, the
//! customer's profile user types. The list comes from the customer's fixture file and does
//! not change while the mock runs.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::world::{World, json_response};

/// One entry of `user_types`; every value is a string in the seed's answer, the id too.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserType {
    pub id: String,
    pub type_name: String,
    pub ext_info: String,
}

#[derive(Serialize)]
struct UserTypesList<'a> {
    status: &'static str,
    user_types: &'a [UserType],
}

/// `profiles/types/list`: `{"status": "success", "user_types": [...]}`.
pub fn list(world: &World, customer: usize) -> Result<Response, Error> {
    let user_types = &world.seed.customers[customer].user_types;
    Ok(json_response(&UserTypesList {
        status: "success",
        user_types,
    }))
}

//! The OPS-COM mock driven through the whole kit stack, every response checked against
//! `schemas/opscom/`.

mod access;
mod fixtures;
mod helpers;
mod permits;
mod profiles;
mod properties;
mod schemas;
mod service;
mod user_types;
mod vehicles;
mod violations;

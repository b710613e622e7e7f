//! The OFR mock as a client sees it: every endpoint, every documented error, the report
//! lifecycle, rate limits and token expiry on the virtual clock. Every response is validated
//! against `schemas/ofr/` by the `support` helpers.

mod auth;
mod fixtures;
mod lifecycle;
mod limits;
mod properties;
mod reports;
mod routing;
mod summary;
mod support;

//! The PARKING+PLUS mock through the whole kit stack: every endpoint, every documented status,
//! and the exit-and-pay loop, each JSON answer checked against `schemas/parkingplus/`.

mod bookings_and_cards;
mod exit_and_pay_loop;
mod oauth;
mod parking_sessions;
mod payment;
mod registration;
mod robustness;
mod smart_keys;
mod support;
mod transactions;

//! OAuth2 password grant: `POST /api/oauth/token` (v1, the login page) and
//! `POST /api/car_driver/token` (v2, the login-v2 page, wrapped in `token_info`).
//!
//! Parameters come as JSON (the vendor's examples) or as a form (what OAuth client libraries
//! send). Only `grant_type=password` is accepted, as documented; tokens live
//! `Config::token_ttl_secs` of virtual time (7200 documented).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::error::OAuthError;
use crate::extract::{RawBody, flat_params};
use crate::world::World;

/// What a successful grant yields.
struct Grant {
    access_token: String,
    refresh_token: String,
    expires_in: u64,
    created_at: i64,
    account_info: Value,
}

fn password_grant(world: &World, params: &BTreeMap<String, String>) -> Result<Grant, OAuthError> {
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let grant_type = param("grant_type").ok_or(OAuthError::InvalidRequest)?;
    if grant_type != "password" {
        return Err(OAuthError::UnsupportedGrantType);
    }
    let (Some(username), Some(password)) = (param("username"), param("password")) else {
        return Err(OAuthError::InvalidRequest);
    };
    let (Some(client_app_id), Some(client_secret)) =
        (param("client_app_id"), param("client_secret"))
    else {
        return Err(OAuthError::InvalidClient);
    };
    let now = world.now();
    let ttl = world.config().token_ttl_secs;
    let mut state = world.lock();
    if !state.app_matches(client_app_id, client_secret) {
        return Err(OAuthError::InvalidClient);
    }
    let driver = state
        .driver_by_email(username)
        .filter(|d| d.password == password)
        .cloned()
        .ok_or(OAuthError::InvalidGrant)?;
    let lifetime =
        TimeDelta::try_seconds(i64::try_from(ttl).unwrap_or(i64::MAX)).unwrap_or(TimeDelta::MAX);
    let (access_token, refresh_token) = state.issue_token(driver.id, now, lifetime);
    Ok(Grant {
        access_token,
        refresh_token,
        expires_in: ttl,
        created_at: now.timestamp(),
        account_info: json!({
            "email": driver.email,
            "first_name": driver.first_name,
            "last_name": driver.last_name,
            "phone": driver.phone,
        }),
    })
}

async fn grant(world: &World, headers: &HeaderMap, body: RawBody) -> Result<Grant, OAuthError> {
    let params = flat_params(headers, body.0)
        .await
        .ok_or(OAuthError::InvalidRequest)?;
    password_grant(world, &params)
}

/// v1: the bare token, with `created_at` as the login page shows it.
pub async fn token_v1(State(world): State<World>, headers: HeaderMap, body: RawBody) -> Response {
    match grant(&world, &headers, body).await {
        Ok(g) => Json(json!({
            "access_token": g.access_token,
            "refresh_token": g.refresh_token,
            "token_type": "bearer",
            "expires_in": g.expires_in,
            "created_at": g.created_at,
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// v2: `token_info`, `last_payment_info` and `account_info`. The mock does not emulate street
/// parking payments (the PSCS orders `last_payment_info` describes), so it is always `null`.
pub async fn token_v2(State(world): State<World>, headers: HeaderMap, body: RawBody) -> Response {
    match grant(&world, &headers, body).await {
        Ok(g) => Json(json!({
            "token_info": {
                "access_token": g.access_token,
                "refresh_token": g.refresh_token,
                "token_type": "bearer",
                "expires_in": g.expires_in,
            },
            "last_payment_info": null,
            "account_info": g.account_info,
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

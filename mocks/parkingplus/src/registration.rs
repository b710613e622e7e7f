//! Registration: `POST /api/car_driver` with `api_car_driver_fo_user` and the client app's
//! credentials (the API overview page, "Step 2. REGISTRATION").
//!
//! The vendor documents the request only. The mock answers 201 with the stored account (no
//! password), 401 `invalid_client` for unknown client credentials, 400 without the
//! `api_car_driver_fo_user` object, and 422 listing every failed validation in Devise's words
//! (e-mail present, well formed and not taken, ignoring case; password at least 6 characters;
//! `password_confirmation`, when given, equal to the password).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{RawBody, json_object, param_text};
use crate::world::{Driver, World};

/// Devise's default minimum password length.
const MIN_PASSWORD: usize = 6;

/// Devise's default e-mail check: something, an `@`, something, no spaces.
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

pub async fn register(
    State(world): State<World>,
    body: RawBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let top = &json_object(&body.0)?;
    let client_app_id = param_text(top, "client_app_id").unwrap_or_default();
    let client_secret = param_text(top, "client_secret").unwrap_or_default();
    let user = match top.get("api_car_driver_fo_user") {
        Some(Value::Object(user)) if !user.is_empty() => user,
        _ => {
            // The client is checked first, as a before-action would.
            if !world.lock().app_matches(&client_app_id, &client_secret) {
                return Err(ApiError::InvalidClient);
            }
            return Err(ApiError::param_missing("api_car_driver_fo_user"));
        }
    };
    let email = param_text(user, "email")
        .unwrap_or_default()
        .trim()
        .to_lowercase();
    let password = param_text(user, "password").unwrap_or_default();
    let confirmation = param_text(user, "password_confirmation");

    let mut state = world.lock();
    if !state.app_matches(&client_app_id, &client_secret) {
        return Err(ApiError::InvalidClient);
    }
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push("Email can't be blank".to_owned());
    } else if !is_email(&email) {
        errors.push("Email is invalid".to_owned());
    } else if state.driver_by_email(&email).is_some() {
        errors.push("Email has already been taken".to_owned());
    }
    if password.is_empty() {
        errors.push("Password can't be blank".to_owned());
    } else if password.chars().count() < MIN_PASSWORD {
        errors.push(format!(
            "Password is too short (minimum is {MIN_PASSWORD} characters)"
        ));
    }
    if confirmation.as_ref().is_some_and(|c| *c != password) {
        errors.push("Password confirmation doesn't match Password".to_owned());
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    let id = state.take_driver_id();
    let driver = Driver {
        id,
        email,
        password,
        first_name: param_text(user, "first_name").unwrap_or_default(),
        last_name: param_text(user, "last_name").unwrap_or_default(),
        phone: param_text(user, "phone").unwrap_or_default(),
        has_card: false,
    };
    let body = json!({
        "api_car_driver_fo_user": {
            "id": driver.id,
            "email": driver.email,
            "first_name": driver.first_name,
            "last_name": driver.last_name,
            "phone": driver.phone,
        }
    });
    state.drivers.insert(id, driver);
    Ok((StatusCode::CREATED, Json(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("driver@parkingplus.test", true)]
    #[case("a@b", true)]
    #[case("no-at-sign", false)]
    #[case("@parkingplus.test", false)]
    #[case("a@", false)]
    #[case("a b@c.d", false)]
    #[case("a@b@c", false)]
    fn emails_are_checked_as_devise_does(#[case] email: &str, #[case] ok: bool) {
        assert_eq!(is_email(email), ok);
    }
}

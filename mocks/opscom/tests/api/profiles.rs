//! Profiles push (seed 004, Push API: User Create/Update).

use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::*;

/// The seed's example body, word for word (it sends `province` and `state`, and the other
/// pairs, together).
fn seed_profile() -> Value {
    json!({
        "apiToken": FULL, "unique_id": "tester23", "login_source": "OPSCOM", "first_name": "firstname",
        "last_name": "lastname", "user_name": "username", "email": "test@test.com",
        "street": "123 Main Street, 123 Main Street,123 Main Street,123 Main Street,123 Main Street,123 Main Street",
        "city": "Everywhere", "province": "bc", "state": "NY", "postal_code": "HOHOHO", "zip": "12345-1212",
        "street2": "123 General Street", "city2": "Somewhere", "province2": "AB", "state2": "MA",
        "postal_code2": "A9A9A9", "zip2": "54321-1212", "phone_cell": "613-555-1212", "user_type_id": "6",
        "employ_no": "employee number: default", "employee_phone": "emp ph. klondike 555",
        "student_no": "SN 543209854", "student_phone": "999", "driver_licence_num": "QC 99999999",
        "driver_license_num": "NYNY", "date_of_birth": "1901-01-31", "locker_user_type_id": "3",
        "driver_licence_prov": "BC", "driver_license_state": "CA"
    })
}

fn new_user(unique_id: &str, email: &str) -> Value {
    json!({"unique_id": unique_id, "login_source": "OPSCOM", "first_name": "Ada", "last_name": "Lovelace", "email": email})
}

#[tokio::test]
async fn the_seed_example_creates_a_user_and_a_second_push_updates_it() {
    let app = TestApp::new();
    let body = seed_profile();
    SCHEMAS.assert_valid("profile_push_request", &body);
    let created = app
        .call("OC_TOMA", "profiles/push", body.clone())
        .await
        .ok();
    assert_eq!(created, json!({"status": "success", "reference_id": 76}));
    let updated = app.call("OC_TOMA", "profiles/push", body).await.ok();
    assert_eq!(
        updated, created,
        "the same unique id and login source is the same user"
    );
    let partial = json!({"unique_id": "TESTER23", "login_source": "opscom", "city": "Elsewhere"});
    assert_eq!(
        app.demo("profiles/push", partial).await.ok(),
        created,
        "an update needs no names"
    );
}

#[tokio::test]
async fn the_same_unique_id_under_another_login_source_is_another_user() {
    let app = TestApp::new();
    let first = app
        .demo("profiles/push", new_user("u-1", "a@example.com"))
        .await
        .ok();
    let mut other = new_user("u-1", "b@example.com");
    other["login_source"] = json!("LDAP");
    let second = app.demo("profiles/push", other).await.ok();
    assert_eq!(
        (
            first["reference_id"].clone(),
            second["reference_id"].clone()
        ),
        (json!(76), json!(77))
    );
}

#[tokio::test]
async fn a_fixture_user_is_updated_by_its_unique_id_and_the_change_shows_as_a_driver() {
    let app = TestApp::new();
    let body = json!({"unique_id": "S1000234", "login_source": "OPSCOM", "first_name": "Jordy", "province": "qc"});
    assert_eq!(
        app.demo("profiles/push", body).await.ok()["reference_id"],
        74
    );
    let sent = app
        .demo("violations/send_overdue_to_collections", json!({}))
        .await
        .ok();
    let record = sent["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ViolationID"] == 10)
        .unwrap();
    let driver = &record["vehicle"]["drivers"][0];
    assert_eq!(
        (driver["UserID"].clone(), driver["firstName"].clone()),
        (json!(74), json!("Jordy"))
    );
    assert_eq!(
        driver["lastName"], "Tremblay",
        "attributes not sent keep their values"
    );
    assert_eq!(
        driver["prov"], 11,
        "province codes are stored as the province's id"
    );
    assert_eq!(driver["lastUpdated"], "2026-01-15T12:00:00.000000Z");
}

#[tokio::test]
async fn a_created_user_holds_its_e_mail_and_user_name_against_later_pushes() {
    let app = TestApp::new();
    app.call("OC_TOMA", "profiles/push", seed_profile())
        .await
        .ok();
    app.demo("profiles/push", new_user("someone-else", "TEST@test.com"))
        .await
        .error(9019);
    let mut same_name = new_user("someone-else", "other@test.com");
    same_name["user_name"] = json!("UserName");
    app.demo("profiles/push", same_name).await.error(9020);
}

#[rstest]
#[case::email_of_another_user(json!({"email": "Jordan.Tremblay@example.com"}), 9019)]
#[case::user_name_of_another_user(json!({"user_name": "JTREMBLAY"}), 9020)]
#[tokio::test]
async fn e_mail_and_user_name_are_unique_without_regard_to_case(
    #[case] extra: Value,
    #[case] code: u16,
) {
    let app = TestApp::new();
    let mut body = new_user("fresh", "fresh@example.com");
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.demo("profiles/push", body).await.error(code);
}

#[tokio::test]
async fn a_user_may_push_its_own_e_mail_and_user_name_again() {
    let app = TestApp::new();
    let body = json!({"unique_id": "S1000234", "login_source": "OPSCOM", "email": "jordan.tremblay@example.com", "user_name": "jtremblay"});
    app.demo("profiles/push", body).await.ok();
}

#[rstest]
#[case::unique_id_missing(json!({"login_source": "OPSCOM"}), 9013)]
#[case::login_source_missing(json!({"unique_id": "u"}), 9014)]
#[case::login_source_unknown(json!({"unique_id": "u", "login_source": "FACEBOOK"}), 9015)]
#[case::email_missing_on_create(json!({"unique_id": "u", "login_source": "OPSCOM", "first_name": "A", "last_name": "B"}), 9016)]
#[case::first_name_missing_on_create(json!({"unique_id": "u", "login_source": "OPSCOM", "last_name": "B", "email": "u@example.com"}), 9017)]
#[case::last_name_missing_on_create(json!({"unique_id": "u", "login_source": "OPSCOM", "first_name": "A", "email": "u@example.com"}), 9018)]
#[tokio::test]
async fn push_refuses_each_missing_requirement(#[case] body: Value, #[case] code: u16) {
    TestApp::new().demo("profiles/push", body).await.error(code);
}

#[rstest]
#[case::unique_id("unique_id", json!("u".repeat(51)), 9030)]
#[case::login_source("login_source", json!("L".repeat(21)), 9030)]
#[case::first_name("first_name", json!("f".repeat(51)), 9030)]
#[case::last_name("last_name", json!("l".repeat(51)), 9030)]
#[case::user_name("user_name", json!("n".repeat(51)), 9030)]
#[case::email_too_long("email", json!(format!("{}@example.com", "e".repeat(90))), 9030)]
#[case::email_invalid("email", json!("not-an-email"), 9033)]
#[case::street("street", json!("s".repeat(256)), 9030)]
#[case::city("city", json!("c".repeat(51)), 9030)]
#[case::province_one_letter("province", json!("B"), 9032)]
#[case::province_three_letters("state", json!("BCX"), 9030)]
#[case::province_unknown("province", json!("ZZ"), 9033)]
#[case::postal_code("zip", json!("z".repeat(21)), 9030)]
#[case::street2("street2", json!("s".repeat(21)), 9030)]
#[case::city2("city2", json!("c".repeat(51)), 9030)]
#[case::province2_short("state2", json!("M"), 9032)]
#[case::postal_code2("postal_code2", json!("p".repeat(21)), 9030)]
#[case::phone_cell("phone_cell", json!("6".repeat(21)), 9030)]
#[case::user_type_unknown("user_type_id", json!("2"), 9033)]
#[case::user_type_not_a_number("user_type_id", json!("staff"), 9033)]
#[case::employ_no("employ_no", json!("e".repeat(51)), 9030)]
#[case::employee_phone("employee_phone", json!("e".repeat(51)), 9030)]
#[case::student_no("student_no", json!("s".repeat(51)), 9030)]
#[case::student_phone("student_phone", json!("s".repeat(51)), 9030)]
#[case::driver_licence_num("driver_license_num", json!("d".repeat(256)), 9030)]
#[case::date_of_birth_format("date_of_birth", json!("31/01/1901"), 9033)]
#[case::date_of_birth_not_a_day("date_of_birth", json!("1901-02-30"), 9033)]
#[case::date_of_birth_too_long("date_of_birth", json!("1901-01-31T00:00:00"), 9030)]
#[case::locker_user_type("locker_user_type_id", json!("three"), 9033)]
#[case::driver_licence_prov("driver_licence_prov", json!("Q"), 9032)]
#[case::driver_licence_state_unknown("driver_license_state", json!("XX"), 9033)]
#[tokio::test]
async fn push_refuses_each_documented_limit(
    #[case] field: &str,
    #[case] value: Value,
    #[case] code: u16,
) {
    let mut body = new_user("limits", "limits@example.com");
    body[field] = value;
    TestApp::new().demo("profiles/push", body).await.error(code);
}

#[rstest]
#[case::province_then_state(json!({"province": "bc", "state": "not even two letters"}))]
#[case::zip_ignored(json!({"postal_code": "K1A0B1", "zip": "z".repeat(40)}))]
#[case::licence_then_license(json!({"driver_licence_num": "QC 1", "driver_license_num": "d".repeat(300)}))]
#[case::licence_prov_then_state(json!({"driver_licence_prov": "ON", "driver_license_state": "?"}))]
#[case::province2_then_state2(json!({"province2": "AB", "state2": "MAX"}))]
#[case::postal_code2_then_zip2(json!({"postal_code2": "A9A9A9", "zip2": "z".repeat(40)}))]
#[tokio::test]
async fn the_first_listed_name_wins_and_the_other_is_ignored(#[case] extra: Value) {
    let mut body = new_user("aliases", "aliases@example.com");
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    TestApp::new().demo("profiles/push", body).await.ok();
}

#[rstest]
#[case::state(json!({"state": "NY"}))]
#[case::zip(json!({"zip": "12345-1212"}))]
#[case::driver_license_num(json!({"driver_license_num": "NYNY"}))]
#[case::driver_license_state(json!({"driver_license_state": "CA"}))]
#[case::state2(json!({"state2": "MA"}))]
#[case::zip2(json!({"zip2": "54321-1212"}))]
#[tokio::test]
async fn the_second_names_alone_are_read(#[case] extra: Value) {
    let app = TestApp::new();
    let mut body = new_user("second", "second@example.com");
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.demo("profiles/push", body.clone()).await.ok();
    // Read, not ignored: the same name with a bad value is refused.
    let (name, value) = extra.as_object().unwrap().iter().next().unwrap();
    let bad = if value.as_str().unwrap().len() == 2 {
        json!("Q")
    } else {
        json!("x".repeat(300))
    };
    body[name] = bad;
    let code = app.demo("profiles/push", body).await.code();
    assert!(matches!(code, Some(9030 | 9032)), "{code:?}");
}

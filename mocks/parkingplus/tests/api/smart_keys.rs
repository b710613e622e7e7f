//! `GET /api/car_driver/smart_keys?is_active=`.

use rstest::rstest;
use serde_json::Value;

use crate::support::*;

fn ids(body: &Value) -> Vec<i64> {
    body["smart_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["smart_key"]["id"].as_i64().unwrap())
        .collect()
}

#[rstest]
#[case::all("", vec![1, 2])]
#[case::null("?is_active=", vec![1, 2])]
#[case::active("?is_active=true", vec![1])]
#[case::inactive("?is_active=false", vec![2])]
#[tokio::test]
async fn the_driver_sees_their_keys_filtered_by_is_active(
    #[case] query: &str,
    #[case] expected: Vec<i64>,
) {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .get(&format!("/api/car_driver/smart_keys{query}"), Some(&token))
        .await
        .expect(200, "smart_keys_response");
    assert_eq!(ids(&body), expected);
}

#[tokio::test]
async fn keys_carry_their_parking_and_access_points() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    let body = app
        .get("/api/car_driver/smart_keys?is_active=true", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    let key = &body["smart_keys"][0]["smart_key"];
    assert_eq!(key["type"], "permanent_access");
    assert_eq!(key["secured_parking_id"], 187);
    assert_eq!(key["name"], "Secured P 187");
    assert_eq!(
        key["start_time"],
        at(-43200).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    assert_eq!(key["access_command"].as_str().unwrap().len(), 68);
    let macs: Vec<&str> = key["access_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ap| ap["access_point"]["mac_address"].as_str().unwrap())
        .collect();
    assert_eq!(macs, ["76:86:BB:DE:63:AD", "6F:FF:D3:B0:57:39"]);
}

#[tokio::test]
async fn another_driver_sees_only_their_own_keys() {
    let app = TestApp::new();
    let token = app.token(OTHER).await;
    let body = app
        .get("/api/car_driver/smart_keys", Some(&token))
        .await
        .expect(200, "smart_keys_response");
    assert_eq!(ids(&body), [3]);
    assert!(body["smart_keys"][0]["smart_key"]["end_time"].is_null());
}

#[tokio::test]
async fn an_unreadable_is_active_is_a_400() {
    let app = TestApp::new();
    let token = app.token(DRIVER).await;
    app.get("/api/car_driver/smart_keys?is_active=maybe", Some(&token))
        .await
        .expect_error(400, "bad_request");
}

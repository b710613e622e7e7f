//! The mock inside the kit: `--opscom-error-status`, reset, determinism, concurrency and the
//! kit's own failures in the vendor's format.

use std::collections::HashSet;

use axum::response::IntoResponse;
use http::{Method, StatusCode};
use parkbench_kit::{ClockStart, KitError, ServiceOptions};
use parkbench_opscom::Config;
use serde_json::{Value, json};

use crate::helpers::*;

fn override_200() -> Config {
    Config {
        error_status: Some(200),
    }
}

#[tokio::test]
async fn with_error_status_200_every_error_body_comes_with_200() {
    let app = TestApp::with(override_200(), 1);
    let reply = app.call("OC-TOMA", "permits/stats", json!({})).await;
    assert_eq!((reply.status, reply.code()), (StatusCode::OK, Some(9001)));
    let reply = app
        .call(
            "OC-TOMA",
            "permits/delete",
            json!({"apiToken": FULL, "referenceID": "nope"}),
        )
        .await;
    assert_eq!((reply.status, reply.code()), (StatusCode::OK, Some(9009)));
    // Path-level errors too: no client code, no endpoint, and a 405 (whose body is 9003).
    let json_type = Some("application/json");
    let cases = [
        (Method::POST, "/api/v1/permits/stats", json_type, "{}", 9000),
        (Method::POST, "/nowhere", json_type, "{}", 9009),
        (Method::GET, "/api/OC-TOMA/v1/permits/stats", None, "", 9003),
    ];
    let mut last = None;
    for (method, path, content_type, body, code) in cases {
        let reply = app.send(method, path, content_type, body, "none").await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::OK, Some(code)),
            "{path}"
        );
        last = Some(reply);
    }
    let reply = last.unwrap();
    assert_eq!(
        reply.headers["allow"], "POST",
        "the 405's Allow header stays"
    );
    let ok = app
        .call("OC-TOMA", "permits/stats", json!({"apiToken": FULL}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.json["data"].is_array(), "successes are unchanged");
}

#[tokio::test]
async fn the_error_status_can_be_any_status() {
    let app = TestApp::with(
        Config {
            error_status: Some(418),
        },
        1,
    );
    let reply = app
        .call("OC-TOMA", "permits/push", json!({"apiToken": FULL}))
        .await;
    assert_eq!((reply.status.as_u16(), reply.code()), (418, Some(9031)));
}

#[tokio::test]
async fn the_kits_failures_come_in_the_vendors_format() {
    let options = ServiceOptions {
        body_limit: 64,
        clock: ClockStart::Frozen(t0()),
        ..ServiceOptions::default()
    };
    for (config, expected) in [
        (Config::default(), StatusCode::PAYLOAD_TOO_LARGE),
        (override_200(), StatusCode::OK),
    ] {
        let app = TestApp::with_options(config, &options);
        let body = json!({"apiToken": FULL, "padding": "x".repeat(100)});
        let reply = app.call("OC-TOMA", "permits/stats", body).await;
        assert_eq!((reply.status, reply.code()), (expected, Some(9003)));
    }
    for config in [Config::default(), override_200()] {
        let response = api(config).kit_error(KitError::Internal).into_response();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "a failure of the mock stays visible"
        );
        let reply = Reply::read(response, "error").await;
        assert_eq!(reply.code(), Some(9003));
    }
}

#[test]
fn an_error_status_that_is_no_http_status_is_refused() {
    let error = parkbench_opscom::api(
        &parkbench_kit::FixtureRoot::Embedded,
        Config {
            error_status: Some(1000),
        },
    )
    .err();
    assert!(error.unwrap().to_string().contains("--opscom-error-status"));
}

#[tokio::test]
async fn reset_restores_the_fixtures() {
    let app = TestApp::new();
    let stats = json!({"apiToken": FULL});
    let before = app
        .call("OC-TOMA", "permits/stats", stats.clone())
        .await
        .ok();
    let pushed = app.demo("permits/push", seed_permit_push()).await.ok();
    app.demo(
        "permits/delete",
        json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac"}),
    )
    .await
    .ok();
    app.demo(
        "vehicles/push",
        json!({"plate": "PL8RDR", "plateTypeID": "4", "provID": "9"}),
    )
    .await
    .ok();
    let profile = json!({"unique_id": "u", "login_source": "OPSCOM", "first_name": "A", "last_name": "B", "email": "u@example.com"});
    assert_eq!(
        app.demo("profiles/push", profile.clone()).await.ok()["reference_id"],
        76
    );
    let sent = app
        .demo("violations/send_overdue_to_collections", json!({}))
        .await
        .ok();
    app.advance_days(10);

    app.service.reset();

    assert_eq!(
        app.call("OC-TOMA", "permits/stats", stats).await.ok(),
        before
    );
    app.demo(
        "permits/delete",
        json!({"referenceID": pushed["reference_id"]}),
    )
    .await
    .error(9009);
    app.demo(
        "permits/update",
        json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac"}),
    )
    .await
    .ok();
    app.demo(
        "vehicles/push",
        json!({"plate": "PL8RDR", "plateTypeID": "4", "provID": "9"}),
    )
    .await
    .ok();
    assert_eq!(
        app.demo("profiles/push", profile).await.ok()["reference_id"],
        76
    );
    let again = app
        .demo("violations/send_overdue_to_collections", json!({}))
        .await
        .ok();
    assert_eq!(
        again, sent,
        "the same violations, dates and token as after start-up"
    );
    let repushed = app.demo("permits/push", seed_permit_push()).await.ok();
    assert_eq!(
        repushed["reference_id"], pushed["reference_id"],
        "the generator starts over too"
    );
}

/// A sequence touching every endpoint, successes and failures.
async fn script(app: &TestApp) -> Vec<(u16, Vec<(String, String)>, Vec<u8>)> {
    let steps: Vec<(&str, &str, Value)> = vec![
        ("OC-TOMA", "permits/push", seed_permit_push()),
        (
            "OC-TOMA",
            "permits/push",
            json!({"apiToken": FULL, "plate": "B", "startTime": "2026-01-01T00:00:00", "endTime": "2026-02-01T00:00:00", "zone": "zone1"}),
        ),
        ("OC-TOMA", "permits/stats", json!({"apiToken": READ_ONLY})),
        (
            "OC-TOMA",
            "permits/update",
            json!({"apiToken": FULL, "referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "Amount": "1.00"}),
        ),
        (
            "OC-TOMA",
            "permits/delete",
            json!({"apiToken": FULL, "referenceID": "b8a1abcd-1a69-46c7-8da4-f9fc3c6da5d7"}),
        ),
        (
            "OC_TOMA",
            "vehicles/push",
            json!({"apiToken": FULL, "plate": "D1", "plateType": "Dealer", "prov": "NY", "colour": "c".repeat(70)}),
        ),
        (
            "OC_TOMA",
            "profiles/push",
            json!({"apiToken": FULL, "unique_id": "d", "login_source": "OPSCOM", "first_name": "D", "last_name": "E", "email": "d@example.com"}),
        ),
        ("OC_TOMA", "profiles/types/list", json!({"apiToken": FULL})),
        (
            "OC_TOMA",
            "violations/send_overdue_to_collections",
            json!({"apiToken": FULL}),
        ),
        (
            "OC_TOMA",
            "violations/send_overdue_to_collections",
            json!({"apiToken": "wrong"}),
        ),
        (
            "PARKCO",
            "permits/push",
            json!({"apiToken": PARKCO, "plate": "P", "startTime": "2026-01-01T00:00:00", "endTime": "2026-01-01T01:00:00"}),
        ),
    ];
    let mut answers = Vec::new();
    for (client, operation, body) in steps {
        let reply = app.call(client, operation, body).await;
        let mut headers: Vec<(String, String)> = reply
            .headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        headers.sort();
        answers.push((reply.status.as_u16(), headers, reply.bytes.to_vec()));
    }
    answers
}

#[tokio::test]
async fn the_same_seed_gives_byte_identical_answers() {
    let a = script(&TestApp::with(Config::default(), 42)).await;
    let b = script(&TestApp::with(Config::default(), 42)).await;
    assert_eq!(a, b);
    let c = script(&TestApp::with(Config::default(), 43)).await;
    assert_ne!(a[0].2, c[0].2, "another seed draws other reference ids");
    assert_eq!(
        a[2], c[2],
        "answers that draw nothing do not depend on the seed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_get_distinct_reference_ids_and_consistent_stats() {
    let app = TestApp::new();
    let mut tasks = Vec::new();
    for n in 0..64 {
        let service = app.service.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({"apiToken": FULL, "Amount": "2.00", "plate": format!("CONC{n}"), "zone": "Lot 02",
                "permitNo": format!("C-{n}"), "startTime": "2026-01-01T08:00:00", "endTime": "2026-01-01T09:00:00"});
            let request = http::Request::post("/api/OC-TOMA/v1/permits/push")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            let response = tower::ServiceExt::oneshot(service.app(), request).await.unwrap();
            Reply::read(response, "permits/push").await.ok()
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        let body = task.await.unwrap();
        ids.insert(body["reference_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 64);
    let stats = app
        .call(
            "OC-TOMA",
            "permits/stats",
            json!({"apiToken": FULL, "zones": "Lot 02"}),
        )
        .await
        .ok();
    assert_eq!(
        stats_rows(&stats),
        vec![("temp".to_owned(), "Lot 02".to_owned(), 65)]
    );
    for id in &ids {
        app.demo("permits/delete", json!({"reference_id": id}))
            .await
            .ok();
    }
    let stats = app
        .call(
            "OC-TOMA",
            "permits/stats",
            json!({"apiToken": FULL, "zones": "Lot 02"}),
        )
        .await
        .ok();
    assert_eq!(total(&stats, "temp", "Lot 02"), 1);
}

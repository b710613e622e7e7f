//! The user types list (seed 004, Pull API: UserType).

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_demo_customer_has_the_documented_list() {
    let app = TestApp::new();
    let request = json!({"apiToken": READ_ONLY});
    SCHEMAS.assert_valid("user_types_list_request", &request);
    let body = app
        .call("OC_TOMA", "profiles/types/list", request)
        .await
        .ok();
    let documented = json!({"status": "success", "user_types": [
        {"id": "1", "type_name": "Full Time Student", "ext_info": "Student"},
        {"id": "6", "type_name": "Demo", "ext_info": "Public"},
        {"id": "7", "type_name": "Full Time Staff", "ext_info": "Staff"},
        {"id": "8", "type_name": "Part Time Staff", "ext_info": "Staff"},
        {"id": "9", "type_name": "Part Time Student", "ext_info": "Student"},
        {"id": "10", "type_name": "Exchange Student", "ext_info": "Student"},
        {"id": "11", "type_name": "Athletics Member", "ext_info": "Athletics"},
        {"id": "12", "type_name": "Complimentary", "ext_info": "Public"},
        {"id": "13", "type_name": "Daily Reserved", "ext_info": "Public"}
    ]});
    assert_eq!(body, documented);
    let full = app
        .call("OC-TOMA", "profiles/types/list", json!({"apiToken": FULL}))
        .await
        .ok();
    assert_eq!(full, documented, "both client codes are the demo customer");
}

#[tokio::test]
async fn each_customer_has_its_own_list() {
    let app = TestApp::new();
    let body = app
        .call("PARKCO", "profiles/types/list", json!({"apiToken": PARKCO}))
        .await
        .ok();
    let names: Vec<&str> = body["user_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Monthly Parker", "Municipal Staff"]);
}

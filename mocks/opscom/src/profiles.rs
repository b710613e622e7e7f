//! "Push API: User Create/Update" (seed 004): `POST /api/{client}/v1/profiles/push` creates a
//! user, or updates the one with the same `unique_id` and `login_source`.
//!
//! Users are kept in the vendor's own record shape: the `drivers` of a vehicle in the overdue
//! violations answer (seed 004) are these records, so a profile update shows there.
//! Where the seed is silent:
//! - `unique_id` is stored as the record's `ExtendedID`, `login_source` as `loginSource`;
//! - first name, last name and e-mail are required when the push creates a user (9017, 9018,
//!   9016) and optional when it updates one, where an absent attribute keeps its value;
//! - e-mail and user name are unique per customer, compared without regard to case (9019,
//!   9020); so are `unique_id` and the login source;
//! - the province attributes must name a known province or state by its 2-letter code
//!   (9033 otherwise) and are stored as its `ProvID`, as the seed's driver record does;
//! - `user_type_id` must be one of the customer's user types; `locker_user_type_id` must be a
//!   positive integer;
//! - the answer's `reference_id` is the record's `UserID`, the same on every update.

use axum::response::Response;
use chrono::NaiveDate;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::{Code, Error};
use crate::fields::{Body, Field, is_email, parse_date, parse_id};
use crate::vehicles::Province;
use crate::world::{World, json_response, timestamp};

/// A user, as the seed's driver record spells it. Field names are the vendor's JSON keys.
#[allow(non_snake_case)] // The names are the vendor's JSON keys, kept verbatim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub UserID: u64,
    pub enabled: Option<i64>,
    pub salutation: Option<String>,
    pub firstName: Option<String>,
    pub middleName: Option<String>,
    pub lastName: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub prov: Option<u64>,
    pub postal: Option<String>,
    pub street2: Option<String>,
    pub city2: Option<String>,
    pub prov2: Option<u64>,
    pub postal2: Option<String>,
    pub phonecell: Option<String>,
    pub status: i64,
    pub UserTypeID: Option<u64>,
    pub employNo: Option<String>,
    pub deptNameID: Option<i64>,
    pub ePhone: Option<String>,
    pub staffFacultyFlag: i64,
    pub studentNo: Option<String>,
    pub sPhone: Option<String>,
    pub sPhone2: Option<String>,
    pub lastUpdated: Option<String>,
    pub created: Option<String>,
    pub privateComment: Option<String>,
    pub publicComment: Option<String>,
    pub DLNum: Option<String>,
    pub DOB: Option<String>,
    pub StaffMailPermit: i64,
    pub ExtendedID: Option<String>,
    pub UserUUID: String,
    pub CampusBox: Option<String>,
    pub newEmail: Option<String>,
    pub ReadOnlyUserID: Option<i64>,
    pub studentNo_int: Option<i64>,
    pub employNo_int: Option<i64>,
    pub StuCampusLocation: Option<String>,
    pub EmpCampusLocation: Option<String>,
    pub MailPermitTo: Option<String>,
    pub isCloudAccount: Option<i64>,
    pub lastSelfUpdated: Option<String>,
    pub emailConsent: Option<i64>,
    pub T2P_reminders: Option<i64>,
    pub reminderTime: Option<i64>,
    pub lockerUserTypeID: Option<u64>,
    pub encid: Option<String>,
    pub preferredname: Option<String>,
    pub plateAlert: i64,
    pub peopleAlert: i64,
    pub salt: Option<String>,
    pub forcePasswordChange: i64,
    pub lastpasswordchange: Option<String>,
    pub DLprov: Option<u64>,
    pub loginSource: String,
    pub company_id: Option<i64>,
    pub taxexemption: Option<i64>,
    pub company_manager: Option<i64>,
    pub receives_invoice: Option<i64>,
    pub account_number: Option<String>,
    pub company_bill_recipient: Option<i64>,
    pub kais_employer: Option<String>,
    pub kais_building: Option<String>,
    pub kais_supervisor_name: Option<String>,
    pub kais_supervisor_title: Option<String>,
    pub register_token: Option<String>,
    pub api_token: Option<String>,
    pub modified: Option<String>,
    pub bambora_customer_code: Option<String>,
    pub language: Option<String>,
    pub preferred_communication_method: Option<String>,
}

// The attributes of seed 004's table, in its order.
const UNIQUE_ID: Field = Field::required(&["unique_id"], Code::UniqueIdRequired).max(50);
const LOGIN_SOURCE: Field = Field::required(&["login_source"], Code::LoginSourceRequired).max(20);
const FIRST_NAME: Field = Field::optional(&["first_name"]).max(50);
const LAST_NAME: Field = Field::optional(&["last_name"]).max(50);
const USER_NAME: Field = Field::optional(&["user_name"]).max(50);
const EMAIL: Field = Field::optional(&["email"]).max(100);
/// The seed gives no limit for the first street line; 255 is the common column width.
const STREET: Field = Field::optional(&["street"]).max(255);
const CITY: Field = Field::optional(&["city"]).max(50);
const PROVINCE: Field = Field::optional(&["province", "state"]).exactly(2);
const POSTAL_CODE: Field = Field::optional(&["postal_code", "zip"]).max(20);
const STREET2: Field = Field::optional(&["street2"]).max(20);
const CITY2: Field = Field::optional(&["city2"]).max(50);
const PROVINCE2: Field = Field::optional(&["province2", "state2"]).exactly(2);
const POSTAL_CODE2: Field = Field::optional(&["postal_code2", "zip2"]).max(20);
const PHONE_CELL: Field = Field::optional(&["phone_cell"]).max(20);
const USER_TYPE_ID: Field = Field::optional(&["user_type_id"]);
const EMPLOY_NO: Field = Field::optional(&["employ_no"]).max(50);
const EMPLOYEE_PHONE: Field = Field::optional(&["employee_phone"]).max(50);
const STUDENT_NO: Field = Field::optional(&["student_no"]).max(50);
const STUDENT_PHONE: Field = Field::optional(&["student_phone"]).max(50);
const DRIVER_LICENCE_NUM: Field =
    Field::optional(&["driver_licence_num", "driver_license_num"]).max(255);
const DATE_OF_BIRTH: Field = Field::optional(&["date_of_birth"]).max(10);
const LOCKER_USER_TYPE_ID: Field = Field::optional(&["locker_user_type_id"]);
const DRIVER_LICENCE_PROV: Field =
    Field::optional(&["driver_licence_prov", "driver_license_state"]).exactly(2);

/// A checked profile push; `None` is an attribute the request did not send.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfilePush {
    pub unique_id: String,
    pub login_source: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub prov: Option<u64>,
    pub postal: Option<String>,
    pub street2: Option<String>,
    pub city2: Option<String>,
    pub prov2: Option<u64>,
    pub postal2: Option<String>,
    pub phone_cell: Option<String>,
    pub user_type_id: Option<u64>,
    pub employ_no: Option<String>,
    pub employee_phone: Option<String>,
    pub student_no: Option<String>,
    pub student_phone: Option<String>,
    pub driver_licence_num: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub locker_user_type_id: Option<u64>,
    pub driver_licence_prov: Option<u64>,
}

fn province_by_code(provinces: &[Province], code: &str) -> Option<u64> {
    provinces
        .iter()
        .find(|p| p.ProvCode.eq_ignore_ascii_case(code))
        .map(|p| p.ProvID)
}

impl ProfilePush {
    /// Checks every attribute in the seed table's order; the first failure is the answer.
    pub fn from_body(
        body: &Body<'_>,
        provinces: &[Province],
        user_type_ids: &[u64],
    ) -> Result<Self, Error> {
        let province = |field: &Field| field.parse(body, |code| province_by_code(provinces, code));
        let email = EMAIL.parse(body, |s| is_email(s).then(|| s.to_owned()));
        Ok(Self {
            unique_id: body.read(&UNIQUE_ID)?.unwrap_or_default(),
            login_source: body.read(&LOGIN_SOURCE)?.unwrap_or_default(),
            first_name: body.read(&FIRST_NAME)?,
            last_name: body.read(&LAST_NAME)?,
            user_name: body.read(&USER_NAME)?,
            email: email?,
            street: body.read(&STREET)?,
            city: body.read(&CITY)?,
            prov: province(&PROVINCE)?,
            postal: body.read(&POSTAL_CODE)?,
            street2: body.read(&STREET2)?,
            city2: body.read(&CITY2)?,
            prov2: province(&PROVINCE2)?,
            postal2: body.read(&POSTAL_CODE2)?,
            phone_cell: body.read(&PHONE_CELL)?,
            user_type_id: USER_TYPE_ID.parse(body, |s| {
                parse_id(s).filter(|id| user_type_ids.contains(id))
            })?,
            employ_no: body.read(&EMPLOY_NO)?,
            employee_phone: body.read(&EMPLOYEE_PHONE)?,
            student_no: body.read(&STUDENT_NO)?,
            student_phone: body.read(&STUDENT_PHONE)?,
            driver_licence_num: body.read(&DRIVER_LICENCE_NUM)?,
            date_of_birth: DATE_OF_BIRTH.parse(body, parse_date)?,
            locker_user_type_id: LOCKER_USER_TYPE_ID.parse(body, parse_id)?,
            driver_licence_prov: province(&DRIVER_LICENCE_PROV)?,
        })
    }

    /// Copies every attribute the push sent onto the record.
    fn apply(&self, user: &mut User) {
        fn set<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
            if value.is_some() {
                target.clone_from(value);
            }
        }
        set(&mut user.firstName, &self.first_name);
        set(&mut user.lastName, &self.last_name);
        set(&mut user.username, &self.user_name);
        set(&mut user.email, &self.email);
        set(&mut user.street, &self.street);
        set(&mut user.city, &self.city);
        set(&mut user.prov, &self.prov);
        set(&mut user.postal, &self.postal);
        set(&mut user.street2, &self.street2);
        set(&mut user.city2, &self.city2);
        set(&mut user.prov2, &self.prov2);
        set(&mut user.postal2, &self.postal2);
        set(&mut user.phonecell, &self.phone_cell);
        set(&mut user.UserTypeID, &self.user_type_id);
        set(&mut user.employNo, &self.employ_no);
        set(&mut user.ePhone, &self.employee_phone);
        set(&mut user.studentNo, &self.student_no);
        set(&mut user.sPhone, &self.student_phone);
        set(&mut user.DLNum, &self.driver_licence_num);
        // Stored as the vendor stores dates: a timestamp (the seed's DOB is one).
        let dob = self
            .date_of_birth
            .map(|d| format!("{}T00:00:00.000000Z", d.format("%Y-%m-%d")));
        set(&mut user.DOB, &dob);
        set(&mut user.lockerUserTypeID, &self.locker_user_type_id);
        set(&mut user.DLprov, &self.driver_licence_prov);
    }
}

#[derive(Serialize)]
struct ProfileAnswer {
    status: &'static str,
    reference_id: u64,
}

fn same(a: Option<&String>, b: &str) -> bool {
    a.is_some_and(|a| a.eq_ignore_ascii_case(b))
}

/// `profiles/push`: `{"status": "success", "reference_id": <UserID>}`.
pub fn push(world: &World, customer_index: usize, body: &Body<'_>) -> Result<Response, Error> {
    let customer = &world.seed.customers[customer_index];
    let request = ProfilePush::from_body(body, &world.seed.provinces, &customer.user_type_ids)?;
    let login_source = customer
        .login_sources
        .iter()
        .find(|s| s.eq_ignore_ascii_case(&request.login_source))
        .ok_or(Error::new(Code::LoginSourceInvalid))?;

    let mut state = world.lock();
    let now = timestamp(world.now());
    let state = &mut *state;
    let users = &mut state.books[customer_index].users;
    let existing = users.iter().position(|u| {
        same(u.ExtendedID.as_ref(), &request.unique_id) && u.loginSource == *login_source
    });
    if existing.is_none() {
        if request.email.is_none() {
            return Err(Error::new(Code::EmailRequired));
        }
        if request.first_name.is_none() {
            return Err(Error::new(Code::FirstNameRequired));
        }
        if request.last_name.is_none() {
            return Err(Error::new(Code::LastNameRequired));
        }
    }
    let others = |u: &(usize, &User)| Some(u.0) != existing;
    if let Some(email) = &request.email
        && users
            .iter()
            .enumerate()
            .filter(others)
            .any(|(_, u)| same(u.email.as_ref(), email))
    {
        return Err(Error::new(Code::EmailNotUnique));
    }
    if let Some(name) = &request.user_name
        && users
            .iter()
            .enumerate()
            .filter(others)
            .any(|(_, u)| same(u.username.as_ref(), name))
    {
        return Err(Error::new(Code::UserNameNotUnique));
    }
    let user_id = match existing {
        Some(index) => {
            let user = &mut users[index];
            request.apply(user);
            user.lastUpdated = Some(now.clone());
            user.modified = Some(now);
            user.UserID
        }
        None => {
            let rng = &mut state.user_ids;
            let user_id = users.iter().map(|u| u.UserID).max().unwrap_or(0) + 1;
            let mut user = User {
                UserID: user_id,
                status: 1,
                ExtendedID: Some(request.unique_id.clone()),
                UserUUID: parkbench_kit::seeded_uuid(rng).to_string(),
                encid: Some(format!("{:032X}", rng.random::<u128>())),
                salt: Some(parkbench_kit::seeded_uuid(rng).to_string()),
                forcePasswordChange: 1,
                MailPermitTo: Some("Permanent Mailing Address".to_owned()),
                loginSource: login_source.clone(),
                created: Some(now.clone()),
                lastUpdated: Some(now.clone()),
                modified: Some(now),
                ..User::default()
            };
            request.apply(&mut user);
            users.push(user);
            user_id
        }
    };
    Ok(json_response(&ProfileAnswer {
        status: "success",
        reference_id: user_id,
    }))
}

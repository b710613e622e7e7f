//! The columns of a report. Seed 000: "Default columns: Always included in the report;
//! Additional fields: Can be requested as needed". The additional names are the vendor's
//! (api-notes §1); the default set is not published, so parkbench chooses it here,
//! [`Column::DEFAULT`], and nowhere else.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::transactions::{Details, Transaction, local_time};
use crate::world::Operator;

/// One report column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    // Default columns (parkbench's choice).
    TransactionId,
    OperatorId,
    ZoneCode,
    ZoneName,
    StartParkingOnUtc,
    StopParkingOnUtc,
    PaymentAmount,
    PaymentCurrency,
    PaymentType,
    // Additional fields (the vendor's names).
    OrderId,
    SupplierName,
    ClientId,
    CustomerPhone,
    Email,
    Lpn,
    LpnState,
    ClearingPeriod,
    StartParkingOnLocal,
    StopParkingOnLocal,
    DurationInMinutes,
    PaymentId,
    PaymentReference,
    PaymentAmountVatAmount,
    ParkingAmount,
    ParkingAmountInitial,
    ParkingAmountVatAmount,
    TransactionFee,
    TransactionFeeInitial,
    TransactionFeeVatAmount,
    IsExtension,
    VatPercentage,
    Currency,
    PaidMinutes,
    InsertDate,
    CreditCardType,
    MaskedCardNumber,
}

/// A cell's value, typed so CSV and JSON each render it their own way.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Integer(i64),
    /// Hundredths (cents, or basis points for a percentage), rendered with two decimals.
    Decimal(i64),
    Bool(bool),
    /// `2026-03-14T12:15:03Z`
    Utc(DateTime<Utc>),
    /// `2026-03-14T07:15:03`, the operator's local wall-clock time.
    Local(NaiveDateTime),
    /// Empty in CSV, `null` in JSON.
    Null,
}

impl Column {
    /// Always in a report, first, in this order.
    pub const DEFAULT: [Column; 9] = [
        Column::TransactionId,
        Column::OperatorId,
        Column::ZoneCode,
        Column::ZoneName,
        Column::StartParkingOnUtc,
        Column::StopParkingOnUtc,
        Column::PaymentAmount,
        Column::PaymentCurrency,
        Column::PaymentType,
    ];

    /// What `additionalFields` may name (api-notes §1, in the vendor's order).
    pub const ADDITIONAL: [Column; 27] = [
        Column::OrderId,
        Column::SupplierName,
        Column::ClientId,
        Column::CustomerPhone,
        Column::Email,
        Column::Lpn,
        Column::LpnState,
        Column::ClearingPeriod,
        Column::StartParkingOnLocal,
        Column::StopParkingOnLocal,
        Column::DurationInMinutes,
        Column::PaymentId,
        Column::PaymentReference,
        Column::PaymentAmountVatAmount,
        Column::ParkingAmount,
        Column::ParkingAmountInitial,
        Column::ParkingAmountVatAmount,
        Column::TransactionFee,
        Column::TransactionFeeInitial,
        Column::TransactionFeeVatAmount,
        Column::IsExtension,
        Column::VatPercentage,
        Column::Currency,
        Column::PaidMinutes,
        Column::InsertDate,
        Column::CreditCardType,
        Column::MaskedCardNumber,
    ];

    /// The column's header in CSV and key in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Column::TransactionId => "TRANSACTION_ID",
            Column::OperatorId => "OPERATOR_ID",
            Column::ZoneCode => "ZONE_CODE",
            Column::ZoneName => "ZONE_NAME",
            Column::StartParkingOnUtc => "START_PARKING_ON_UTC",
            Column::StopParkingOnUtc => "STOP_PARKING_ON_UTC",
            Column::PaymentAmount => "PAYMENT_AMOUNT",
            Column::PaymentCurrency => "PAYMENT_CURRENCY",
            Column::PaymentType => "PAYMENT_TYPE",
            Column::OrderId => "ORDER_ID",
            Column::SupplierName => "SUPPLIER_NAME",
            Column::ClientId => "CLIENT_ID",
            Column::CustomerPhone => "CUSTOMER_PHONE",
            Column::Email => "EMAIL",
            Column::Lpn => "LPN",
            Column::LpnState => "LPN_STATE",
            Column::ClearingPeriod => "CLEARING_PERIOD",
            Column::StartParkingOnLocal => "START_PARKING_ON_LOCAL",
            Column::StopParkingOnLocal => "STOP_PARKING_ON_LOCAL",
            Column::DurationInMinutes => "DURATION_IN_MINUTES",
            Column::PaymentId => "PAYMENT_ID",
            Column::PaymentReference => "PAYMENT_REFERENCE",
            Column::PaymentAmountVatAmount => "PAYMENT_AMOUNT_VAT_AMOUNT",
            Column::ParkingAmount => "PARKING_AMOUNT",
            Column::ParkingAmountInitial => "PARKING_AMOUNT_INITIAL",
            Column::ParkingAmountVatAmount => "PARKING_AMOUNT_VAT_AMOUNT",
            Column::TransactionFee => "TRANSACTION_FEE",
            Column::TransactionFeeInitial => "TRANSACTION_FEE_INITIAL",
            Column::TransactionFeeVatAmount => "TRANSACTION_FEE_VAT_AMOUNT",
            Column::IsExtension => "IS_EXTENSION",
            Column::VatPercentage => "VAT_PERCENTAGE",
            Column::Currency => "CURRENCY",
            Column::PaidMinutes => "PAID_MINUTES",
            Column::InsertDate => "INSERT_DATE",
            Column::CreditCardType => "CREDIT_CARD_TYPE",
            Column::MaskedCardNumber => "MASKED_CARD_NUMBER",
        }
    }

    /// The additional field called `name`, exactly as the vendor spells it.
    pub fn additional(name: &str) -> Option<Column> {
        Self::ADDITIONAL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the column reads the customer details, which cost more to generate.
    pub fn needs_details(self) -> bool {
        matches!(
            self,
            Column::OrderId
                | Column::ClientId
                | Column::CustomerPhone
                | Column::Email
                | Column::Lpn
                | Column::LpnState
                | Column::PaymentId
                | Column::PaymentReference
                | Column::MaskedCardNumber
        )
    }

    /// The column's value for one transaction. `details` is `Some` whenever a column of the
    /// report [needs it](Self::needs_details).
    pub fn cell<'a>(
        self,
        operator: &'a Operator,
        t: &'a Transaction,
        details: Option<&'a Details>,
    ) -> Cell<'a> {
        let detail =
            |f: fn(&'a Details) -> &'a str| details.map_or(Cell::Null, |d| Cell::Text(f(d)));
        match self {
            Column::TransactionId => Cell::Owned(t.id()),
            Column::OperatorId => Cell::Integer(t.operator_id as i64),
            Column::ZoneCode => operator
                .zones
                .get(t.zone)
                .map_or(Cell::Null, |z| Cell::Text(&z.code)),
            Column::ZoneName => operator
                .zones
                .get(t.zone)
                .map_or(Cell::Null, |z| Cell::Text(&z.name)),
            Column::StartParkingOnUtc => Cell::Utc(t.start),
            Column::StopParkingOnUtc => Cell::Utc(t.stop),
            Column::PaymentAmount => Cell::Decimal(t.payment_cents()),
            Column::PaymentCurrency | Column::Currency => Cell::Text(&operator.currency),
            Column::PaymentType => Cell::Text(t.payment_type.as_str()),
            Column::OrderId => detail(|d| &d.order_id),
            Column::SupplierName => Cell::Text(&operator.supplier_name),
            Column::ClientId => detail(|d| &d.client_id),
            Column::CustomerPhone => detail(|d| &d.customer_phone),
            Column::Email => detail(|d| &d.email),
            Column::Lpn => detail(|d| &d.lpn),
            Column::LpnState => detail(|d| &d.lpn_state),
            Column::ClearingPeriod => Cell::Owned(t.stop.format("%Y%m").to_string()),
            Column::StartParkingOnLocal => Cell::Local(local_time(operator, t.start)),
            Column::StopParkingOnLocal => Cell::Local(local_time(operator, t.stop)),
            Column::DurationInMinutes => Cell::Integer(i64::from(t.duration_minutes)),
            Column::PaymentId => detail(|d| &d.payment_id),
            Column::PaymentReference => detail(|d| &d.payment_reference),
            Column::PaymentAmountVatAmount => Cell::Decimal(t.payment_vat_cents()),
            Column::ParkingAmount => Cell::Decimal(t.parking_cents),
            Column::ParkingAmountInitial => Cell::Decimal(t.parking_initial_cents),
            Column::ParkingAmountVatAmount => Cell::Decimal(t.parking_vat_cents()),
            Column::TransactionFee => Cell::Decimal(t.fee_cents),
            Column::TransactionFeeInitial => Cell::Decimal(t.fee_initial_cents),
            Column::TransactionFeeVatAmount => Cell::Decimal(t.fee_vat_cents()),
            Column::IsExtension => Cell::Bool(t.is_extension),
            Column::VatPercentage => Cell::Decimal(t.vat_basis_points),
            Column::PaidMinutes => Cell::Integer(i64::from(t.paid_minutes)),
            Column::InsertDate => Cell::Utc(t.insert_date),
            Column::CreditCardType => Cell::Text(t.card_type.as_str()),
            Column::MaskedCardNumber => details
                .and_then(|d| d.masked_card_number.as_deref())
                .map_or(Cell::Null, Cell::Text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_additional_names_resolve() {
        let all: Vec<Column> = Column::DEFAULT
            .into_iter()
            .chain(Column::ADDITIONAL)
            .collect();
        let names: HashSet<&str> = all.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), all.len());
        for column in Column::ADDITIONAL {
            assert_eq!(Column::additional(column.name()), Some(column));
        }
        for column in Column::DEFAULT {
            assert_eq!(
                Column::additional(column.name()),
                None,
                "defaults are not additional"
            );
        }
        assert_eq!(Column::additional("lpn"), None, "names are case-sensitive");
    }
}

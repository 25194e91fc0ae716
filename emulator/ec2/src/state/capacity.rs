//! On-Demand Capacity Reservations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::generated::dto;

/// A reservation in AWS's shape (its state and available count are derived when
/// described) and when it began and was cancelled.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CapacityReservationRecord {
    pub reservation: dto::CapacityReservation,
    pub created: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

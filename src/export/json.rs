//! JSON: the machine-readable contract (`drivers --format json`, `drivers.json`).

use serde::Serialize;

pub fn render<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("results serialize") + "\n"
}

//! What the search prices with: each card's list price (the GPU catalog's
//! `price_usd`), the cloud catalog's instances (`cloud.json`, compiled in),
//! and the user's overrides of either (`prices`, a JSON object).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::plan::gpus::{find_card, Card};
use crate::report::InputError;

/// One cloud offer: a fixed set of GPUs at a price per hour.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Instance {
    /// What `prices` calls it: the provider's instance type where it has
    /// one (`p5.48xlarge`), else a slug (`lambda-8x-h100-sxm`).
    pub id: String,
    pub provider: String,
    /// The provider's own name for it.
    pub instance: String,
    /// Its GPUs, as `--gpu` takes them (`8xh100-sxm`).
    pub gpus: String,
    /// On-demand US dollars per hour (per GPU when `per_gpu`).
    pub usd_per_hour: f64,
    /// Priced per GPU and rented in any count up to `max_gpus`.
    #[serde(default)]
    pub per_gpu: bool,
    #[serde(default)]
    pub region: Option<String>,
    /// When the price was read (`YYYY-MM-DD`).
    pub date: String,
    /// The file or page that states it.
    pub source: String,
    /// How the hourly price follows from the source (`$3.99 per GPU-hour × 8`).
    #[serde(default)]
    pub note: Option<String>,
}

impl Instance {
    /// Whether `name` is this instance's id, alone or after its provider
    /// (`p5.48xlarge`, `aws-p5.48xlarge`, `aws/p5.48xlarge`), in any case.
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.trim();
        let after_provider = name
            .get(..self.provider.len())
            .filter(|p| p.eq_ignore_ascii_case(&self.provider))
            .and_then(|_| name[self.provider.len()..].strip_prefix(['-', '/', ':']));
        [Some(name), after_provider]
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(&self.id))
    }
}

#[derive(Deserialize)]
struct CloudFile {
    instances: Vec<Instance>,
}

/// Every catalog instance, parsed once.
pub fn instances() -> &'static [Instance] {
    static INSTANCES: OnceLock<Vec<Instance>> = OnceLock::new();
    INSTANCES.get_or_init(|| {
        serde_json::from_str::<CloudFile>(include_str!("cloud.json"))
            .map(|f| f.instances)
            .unwrap_or_default()
    })
}

/// Money in ten-thousandths of a dollar: sums are exact and order totally,
/// whether dollars (a card) or dollars per hour (an instance).
pub type Money = u64;

const PER_DOLLAR: f64 = 10_000.0;

/// The most a price may be, in dollars: beyond it the sums of 64 GPUs
/// could not be told apart from an error.
const MAX_USD: f64 = 1e9;

/// `usd` as [`Money`]: above 0 and at most [`MAX_USD`], else `None`.
pub fn money(usd: f64) -> Option<Money> {
    let m = (usd * PER_DOLLAR).round();
    (usd.is_finite() && usd <= MAX_USD && m >= 1.0).then_some(m as Money)
}

/// [`Money`] back in dollars.
pub fn dollars(m: Money) -> f64 {
    m as f64 / PER_DOLLAR
}

/// What `prices` may hold, for its error message.
const PRICES_FORM: &str = "a JSON object of catalog card ids (US dollars) and cloud instance ids (US dollars per hour), such as {\"rtx-3090\": 800, \"p5.48xlarge\": 40}; null drops a price";

/// The user's prices: each entry replaces the catalog's (`None`: the card
/// or instance is not to be bought or rented).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prices {
    cards: BTreeMap<&'static str, Option<Money>>,
    instances: BTreeMap<String, Option<Money>>,
}

fn prices_error(text: String) -> InputError {
    InputError::Choice {
        field: "prices",
        text,
        choices: PRICES_FORM,
    }
}

impl Prices {
    /// Reads `text`, a JSON object of card ids (or any name `--gpu` takes)
    /// and instance ids to prices; empty text overrides nothing.
    pub fn parse(text: &str) -> Result<Prices, InputError> {
        let mut prices = Prices::default();
        if text.trim().is_empty() {
            return Ok(prices);
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| prices_error(format!("{} (not JSON: {e})", clip(text))))?;
        let serde_json::Value::Object(entries) = value else {
            return Err(prices_error(clip(text)));
        };
        for (key, value) in &entries {
            let price = match value {
                serde_json::Value::Null => None,
                serde_json::Value::Number(n) => Some(
                    n.as_f64()
                        .and_then(money)
                        .ok_or_else(|| prices_error(format!("{key}: {n}")))?,
                ),
                other => return Err(prices_error(format!("{key}: {}", clip(&other.to_string())))),
            };
            let instance = instances().iter().find(|i| i.is_named(key));
            if let Some(i) = instance {
                prices.instances.insert(i.id.to_ascii_lowercase(), price);
            } else if let Some(card) = find_card(key) {
                prices.cards.insert(card.id.as_str(), price);
            } else {
                return Err(prices_error(format!(
                    "{key} (no such card or instance; `vramfit gpus` lists cards, cloud.json instances)"
                )));
            }
        }
        Ok(prices)
    }

    /// A card's price: the user's, else its list price.
    pub fn card(&self, card: &Card) -> Option<Money> {
        match self.cards.get(card.id.as_str()) {
            Some(given) => *given,
            None => card.price_usd.and_then(money),
        }
    }

    /// An instance's price per hour (per GPU when `per_gpu`).
    pub fn instance(&self, instance: &Instance) -> Option<Money> {
        match self.instances.get(&instance.id.to_ascii_lowercase()) {
            Some(given) => *given,
            None => money(instance.usd_per_hour),
        }
    }
}

/// At most 60 characters of `text`, for an error message.
fn clip(text: &str) -> String {
    let t = text.trim();
    match t.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

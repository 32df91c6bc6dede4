//! `search::buy` against brute force: on small instances
//! (`data/buy/brute_force.json`) every multiset of the allowed cards is
//! planned and the cheapest that fit must be the search's options, in
//! order, and its Pareto fronts' points the cheapest sets that reach each
//! step. Then: every option is a plan `report` says fits, with the same
//! limits and speed; prices given replace the catalog's; renting picks the
//! cheapest instance that fits; hostile input is an error; the catalogs'
//! prices are dated and sourced.

use std::cmp::Reverse;

use serde_json::{json, Value};
use vramfit::plan::gpus::{cards, find_card, Card};
use vramfit::plan::search::{max_batch, max_context};
use vramfit::plan::split::{plan, PlanRequest};
use vramfit::report::{report, validate};
use vramfit::search::buy::{buy, instances, money, BuyReport, BuyRequest, Prices};

/// The brute force's verdict on one set.
#[derive(Debug, Clone)]
struct Planned {
    list: String,
    price: u64,
    gpus: usize,
    machines: usize,
    memory: u64,
    max_context: Option<u64>,
    max_batch: Option<u64>,
}

impl Planned {
    fn order(&self) -> (u64, usize, usize, Reverse<u64>, String) {
        (
            self.price,
            self.gpus,
            self.machines,
            Reverse(self.memory),
            self.list.clone(),
        )
    }
}

fn request(value: &Value) -> BuyRequest {
    BuyRequest::from_json(value).unwrap_or_else(|e| panic!("{e}: {value}"))
}

/// One machine's cards as `--gpu` takes them: most usable memory first,
/// ties by id, repeats counted; machines separated by `; `.
fn gpu_list(machine: &[&'static Card], machines: usize) -> String {
    let mut sorted = machine.to_vec();
    sorted.sort_by(|a, b| {
        b.usable_bytes()
            .cmp(&a.usable_bytes())
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut runs: Vec<(usize, &str)> = Vec::new();
    for card in sorted {
        match runs.last_mut() {
            Some((n, id)) if *id == card.id => *n += 1,
            _ => runs.push((1, &card.id)),
        }
    }
    let entries: Vec<String> = runs
        .iter()
        .map(|&(n, id)| {
            if n > 1 {
                format!("{n}x{id}")
            } else {
                id.to_string()
            }
        })
        .collect();
    vec![entries.join(", "); machines].join("; ")
}

/// Every multiset of `pool` of 1..=`n` cards.
fn multisets(pool: &[&'static Card], n: usize) -> Vec<Vec<&'static Card>> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<&'static Card>, usize)> = vec![(Vec::new(), 0)];
    while let Some((set, from)) = stack.pop() {
        if !set.is_empty() {
            out.push(set.clone());
        }
        if set.len() == n {
            continue;
        }
        for (i, &card) in pool.iter().enumerate().skip(from) {
            let mut next = set.clone();
            next.push(card);
            stack.push((next, i));
        }
    }
    out
}

/// Plans every set the request allows and keeps those that fit.
fn brute_force(r: &BuyRequest) -> Vec<Planned> {
    let prices = Prices::parse(&r.prices).unwrap();
    let pool: Vec<&'static Card> = r
        .cards
        .split(',')
        .map(|id| find_card(id.trim()).unwrap())
        .filter(|c| prices.card(c).is_some())
        .collect();
    let same_vendor = r.same_vendor != "off";
    let max_gpus: usize = r.max_gpus.parse().unwrap();
    let machines: usize = r.machines.parse().unwrap();
    let mut fitting = Vec::new();
    for set in multisets(&pool, max_gpus) {
        let soc = set.iter().any(|c| c.segment == "soc");
        if (soc && set.len() > 1) || (same_vendor && set.iter().any(|c| c.vendor != set[0].vendor))
        {
            continue;
        }
        for m in 1..=machines {
            let list = gpu_list(&set, m);
            let mut run = r.run.clone();
            run.gpus = list.clone();
            run.offload = "off".into();
            let v = validate(&run).unwrap();
            let request = PlanRequest {
                allow_offload: false,
                ..v.plan_request()
            };
            if !plan(request).fits {
                continue;
            }
            fitting.push(Planned {
                price: m as u64 * set.iter().map(|c| prices.card(c).unwrap()).sum::<u64>(),
                gpus: set.len() * m,
                machines: m,
                memory: set.iter().map(|c| c.usable_bytes()).sum::<u64>() * m as u64,
                max_context: max_context(&request),
                max_batch: max_batch(&request),
                list,
            });
        }
    }
    fitting.sort_by_key(Planned::order);
    fitting
}

/// The fronts' ladder: contexts doubling from the requested one up to the
/// model's trained length, and 2, 4, … 32 sequences.
fn ladder(r: &BuyRequest) -> (Vec<u64>, Vec<u64>) {
    let mut run = r.run.clone();
    run.gpus = "1024GB".into();
    let v = validate(&run).unwrap();
    let (n_ctx, n_seq, limit) = (v.settings.n_ctx, v.settings.n_seq, v.spec.n_ctx_train);
    let mut contexts = Vec::new();
    let mut c = n_ctx.div_ceil(256) * 256 * 2;
    while c < limit {
        contexts.push(c);
        c *= 2;
    }
    if limit > n_ctx {
        contexts.push(limit);
    }
    let batches = (1..=5).map(|k| 1 << k).filter(|&b| b > n_seq).collect();
    (contexts, batches)
}

/// The front brute force predicts: the cheapest set, then the cheapest to
/// reach each step, each kept if it goes further than those before it.
fn front(fitting: &[Planned], steps: &[u64], key: impl Fn(&Planned) -> Option<u64>) -> Vec<String> {
    let mut points: Vec<&Planned> = fitting.first().into_iter().collect();
    for &step in steps {
        points.extend(fitting.iter().find(|p| key(p) >= Some(step)));
    }
    points.sort_by_key(|p| p.order());
    let mut best = None;
    let mut out = Vec::new();
    for p in points {
        if key(p) > best {
            best = key(p);
            out.push(p.list.clone());
        }
    }
    out
}

fn lists(options: &[vramfit::search::buy::BuyOption]) -> Vec<String> {
    options.iter().map(|o| o.gpu_list.clone()).collect()
}

#[test]
fn the_cheapest_sets_are_those_brute_force_finds() {
    let data: Value = serde_json::from_str(include_str!("data/buy/brute_force.json")).unwrap();
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let r = request(&case["request"]);
        let got = buy(&r).unwrap_or_else(|e| panic!("{name}: {e}"));
        let fitting = brute_force(&r);
        let top: usize = r.top.parse().unwrap();
        let want: Vec<String> = fitting.iter().take(top).map(|p| p.list.clone()).collect();
        assert_eq!(lists(&got.options), want, "{name}: options");
        for (o, p) in got.options.iter().zip(&fitting) {
            assert_eq!(money(o.price), Some(p.price), "{name}: {}", o.gpu_list);
            assert_eq!(
                (o.max_context, o.max_batch),
                (p.max_context, p.max_batch),
                "{name}: {}",
                o.gpu_list
            );
        }
        let (contexts, batches) = ladder(&r);
        assert_eq!(
            lists(&got.pareto_context),
            front(&fitting, &contexts, |p| p.max_context),
            "{name}: price vs context"
        );
        assert_eq!(
            lists(&got.pareto_batch),
            front(&fitting, &batches, |p| p.max_batch),
            "{name}: price vs sequences"
        );
        if fitting.is_empty() {
            assert!(got.shortfall_bytes.is_some_and(|b| b > 0), "{name}");
            assert!(
                got.notes[0].starts_with("nothing of up to"),
                "{name}: {:?}",
                got.notes
            );
        }
        assert!(got.planned <= got.considered, "{name}");
    }
}

/// `vramfit plan`'s report on one option's GPUs.
fn confirm(r: &BuyRequest, report_of: &BuyReport) {
    for o in report_of
        .options
        .iter()
        .chain(&report_of.pareto_context)
        .chain(&report_of.pareto_batch)
    {
        let mut run = r.run.clone();
        run.gpus = o.gpu_list.clone();
        run.offload = "off".into();
        let p = report(&run).unwrap();
        assert!(p.fits && o.fits, "{} does not fit", o.gpu_list);
        assert_eq!(
            (p.max_context, p.max_batch),
            (o.max_context, o.max_batch),
            "{}",
            o.gpu_list
        );
        assert_eq!(
            p.speed.map(|s| s.decode_tokens_per_s),
            o.decode_tokens_per_s,
            "{}",
            o.gpu_list
        );
    }
}

#[test]
fn every_set_listed_is_a_plan_that_fits() {
    for value in [
        json!({"model": "qwen2.5-14b", "weights": "q4_k_m", "max_gpus": 3, "top": 3}),
        json!({"model": "llama-3.1-8b", "engine": "vllm", "mode": "rent", "top": 3, "machines": 2}),
    ] {
        let r = request(&value);
        confirm(&r, &buy(&r).unwrap());
    }
}

#[test]
fn prices_given_replace_the_catalogs() {
    let base = json!({"model": "qwen2.5-14b", "weights": "q8_0", "cards": "rtx-3060-12gb, rtx-3090", "max_gpus": 2, "top": 1});
    let listed = buy(&request(&base)).unwrap();
    assert_eq!(lists(&listed.options), ["rtx-3090"]);
    assert_eq!(listed.options[0].price, 1499.0);
    assert!(listed.options[0].price_sources[0].contains("rockpapershotgun"));
    // A used 3060 at $150: two of them are now cheaper than one 3090.
    let mut cheap = base.clone();
    cheap["prices"] = json!({"rtx-3060-12gb": 150});
    let got = buy(&request(&cheap)).unwrap();
    assert_eq!(lists(&got.options), ["2xrtx-3060-12gb"]);
    assert_eq!(got.options[0].price, 300.0);
    assert_eq!(got.options[0].price_sources, ["rtx-3060-12gb: given"]);
    // An instance is named by its id, alone or after its provider.
    let rent = json!({"model": "llama-3.1-8b", "mode": "rent", "top": 1,
        "prices": {"aws-p5.48xlarge": 0.01}});
    let got = buy(&request(&rent)).unwrap();
    assert_eq!(got.options[0].instance.as_deref(), Some("p5.48xlarge"));
    assert_eq!(got.options[0].price_sources, ["given"]);
    // null takes a card off the market.
    let mut gone = base.clone();
    gone["prices"] = json!({"rtx-3090": null});
    let got = buy(&request(&gone)).unwrap();
    assert!(got.options.is_empty(), "{:?}", lists(&got.options));
    assert!(got.notes[0].contains("no card of those allowed has a price"));
}

#[test]
fn renting_picks_the_cheapest_instance_that_fits() {
    for (model, engine, weights) in [
        ("llama-3.1-70b", "vllm", "fp8"),
        ("qwen2.5-72b", "llama.cpp", "q4_k_m"),
        ("llama-3.1-405b", "vllm", "fp8"),
    ] {
        let r = request(
            &json!({"model": model, "engine": engine, "weights": weights, "mode": "rent", "top": 1}),
        );
        let got = buy(&r).unwrap();
        // Plan every instance (per-GPU offers in every count up to 8).
        let mut best: Option<(u64, String)> = None;
        for i in instances() {
            let counts = if i.per_gpu { 1..=8 } else { 1..=1 };
            for n in counts {
                let list = if n == 1 {
                    i.gpus.clone()
                } else {
                    format!("{n}x{}", i.gpus)
                };
                let mut run = r.run.clone();
                run.gpus = list.clone();
                run.offload = "off".into();
                let v = validate(&run).unwrap();
                if plan(v.plan_request()).fits {
                    let price = money(i.usd_per_hour).unwrap() * n as u64;
                    if best.as_ref().is_none_or(|(p, _)| price < *p) {
                        best = Some((price, i.id.clone()));
                    }
                }
            }
        }
        let (price, id) = best.unwrap_or_else(|| panic!("{model}: no instance fits"));
        let first = &got.options[0];
        assert_eq!(money(first.price), Some(price), "{model}: {first:?}");
        assert_eq!(first.instance.as_deref(), Some(id.as_str()), "{model}");
        assert_eq!(first.usd_per_hour, Some(first.price));
    }
}

#[test]
fn one_machine_holds_one_vendor_unless_told_otherwise() {
    let cards = "rtx-3060-12gb, rx-7600-xt, arc-b580";
    let value = json!({"model": "qwen2.5-32b", "weights": "q4_k_m", "cards": cards, "max_gpus": 4, "top": 20,
        "prices": {"rx-7600-xt": 329, "rtx-3060-12gb": 329}});
    let one_vendor = buy(&request(&value)).unwrap();
    for o in &one_vendor.options {
        let vendors: Vec<&str> = o
            .gpus
            .iter()
            .map(|g| find_card(g).unwrap().vendor.as_str())
            .collect();
        assert!(vendors.iter().all(|v| *v == vendors[0]), "{}", o.gpu_list);
    }
    let mut mixed = value.clone();
    mixed["same_vendor"] = json!(false);
    let any = buy(&request(&mixed)).unwrap();
    assert!(any.options[0].price <= one_vendor.options[0].price);
    assert!(any.options.iter().any(|o| {
        o.gpus
            .iter()
            .any(|g| find_card(g).unwrap().vendor != find_card(&o.gpus[0]).unwrap().vendor)
    }));
}

#[test]
fn hostile_input_is_an_error_naming_its_field() {
    let cases: [(&str, &str, &str); 20] = [
        ("max_gpus", "0", "max_gpus"),
        ("max_gpus", "99999999999999999999", "max_gpus"),
        ("max_gpus", "-1", "max_gpus"),
        ("machines", "abc", "machines"),
        ("machines", "8", "machines"),
        ("top", "0", "top"),
        ("mode", "lease", "mode"),
        ("same_vendor", "maybe", "same_vendor"),
        ("cards", "rtx-9999", "cards"),
        ("prices", "{", "prices"),
        ("prices", "[1, 2]", "prices"),
        ("prices", "{\"rtx-3090\": -5}", "prices"),
        ("prices", "{\"rtx-3090\": 0}", "prices"),
        ("prices", "{\"rtx-3090\": \"cheap\"}", "prices"),
        ("prices", "{\"rtx-3090\": 1e300}", "prices"),
        ("prices", "{\"not-a-card\": 5}", "prices"),
        ("model", "no-such-model-xyz", "model"),
        ("ctx", "0", "ctx"),
        ("engine", "tensorrt", "engine"),
        ("weights", "q4_k_m", "weights"),
    ];
    for (field, value, blamed) in cases {
        let mut r = BuyRequest::default();
        if field == "machines" && value == "8" {
            r.set("max_gpus", "16".into());
        }
        if field == "weights" {
            r.set("engine", "vllm".into());
        }
        assert!(r.set(field, value.to_string()), "{field}");
        match buy(&r) {
            Ok(_) => panic!("{field}={value} was accepted"),
            Err(e) => assert_eq!(e.field(), blamed, "{field}={value}: {e}"),
        }
    }
    for bad in [
        json!([1, 2]),
        json!({"gpus": "2x24GB"}),
        json!({"nonsense": 1}),
        json!({"max_gpus": [1]}),
    ] {
        assert!(BuyRequest::from_json(&bad).is_err(), "{bad}");
    }
}

fn iso_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 3
        && [4, 2, 2]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&parts[1].parse::<u32>().unwrap())
        && (1..=31).contains(&parts[2].parse::<u32>().unwrap())
        && ("2015-01-01"..="2026-11-30").contains(&text)
}

#[test]
fn every_price_is_dated_and_sourced() {
    let mut priced = 0;
    for c in cards() {
        match c.price_usd {
            Some(p) => {
                priced += 1;
                assert!(p.is_finite() && p > 0.0, "{}: {p}", c.id);
                assert!(
                    c.price_date.as_deref().is_some_and(iso_date),
                    "{}: {:?}",
                    c.id,
                    c.price_date
                );
                assert!(
                    c.price_source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("https://")),
                    "{}: {:?}",
                    c.id,
                    c.price_source
                );
            }
            None => assert!(
                c.price_date.is_none() && c.price_source.is_none(),
                "{}",
                c.id
            ),
        }
    }
    assert!(priced >= 20, "{priced} cards priced");
    let mut ids: Vec<String> = Vec::new();
    for i in instances() {
        assert!(!i.provider.is_empty() && !i.instance.is_empty(), "{}", i.id);
        assert!(
            i.usd_per_hour.is_finite() && i.usd_per_hour > 0.0,
            "{}",
            i.id
        );
        assert!(iso_date(&i.date), "{}: {}", i.id, i.date);
        assert!(i.source.starts_with("https://"), "{}", i.id);
        let gpus = vramfit::plan::device::parse_gpus(&i.gpus).unwrap();
        assert!(
            gpus.iter().all(|g| g.card.is_some()),
            "{}: {}",
            i.id,
            i.gpus
        );
        assert!(!i.per_gpu || gpus.len() == 1, "{}", i.id);
        ids.push(i.id.to_ascii_lowercase());
    }
    assert!(ids.len() >= 25, "{} instances", ids.len());
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "instance ids repeat");
}

#[test]
fn the_json_names_the_fields_the_app_reads() {
    let r = request(&json!({"model": "llama-3.1-8b", "max_gpus": 2, "top": 2}));
    let value = serde_json::to_value(buy(&r).unwrap()).unwrap();
    for key in [
        "options",
        "pareto_context",
        "pareto_batch",
        "notes",
        "considered",
        "planned",
    ] {
        assert!(!value[key].is_null(), "{key}");
    }
    let first = &value["options"][0];
    for key in [
        "gpus",
        "price",
        "fits",
        "max_context",
        "max_batch",
        "decode_tokens_per_s",
    ] {
        assert!(!first[key].is_null(), "options[0].{key}: {first}");
    }
    let rent = request(&json!({"model": "llama-3.1-8b", "mode": "rent", "top": 1}));
    let value = serde_json::to_value(buy(&rent).unwrap()).unwrap();
    for key in ["instance", "provider", "usd_per_hour", "gpus"] {
        assert!(!value["options"][0][key].is_null(), "{key}");
    }
    for field in BuyRequest::fields() {
        assert!(BuyRequest::default().get(field).is_some(), "{field}");
    }
}

//! `search::buy` against brute force: on small instances
//! (`data/buy/brute_force.json`) every multiset of the allowed cards is
//! planned and the cheapest that fit (and, with `min_tps`, decode at least
//! that fast) must be the search's options, in order, and its Pareto
//! fronts' points the cheapest such sets that reach each step. Then: every
//! option is a plan `report` says fits, with the same limits and speed;
//! prices given replace the catalog's; renting picks the cheapest instance
//! that fits, or ranked per token the one cheapest per token; hostile
//! input is an error; the catalogs' prices are dated and sourced.

use std::cmp::Reverse;

use serde_json::{json, Value};
use vramfit::plan::gpus::{cards, find_card, Card};
use vramfit::plan::search::{max_batch, max_context};
use vramfit::plan::speed::plan_speed;
use vramfit::plan::split::{plan, PlanRequest};
use vramfit::report::{report, validate};
use vramfit::search::buy::{buy, dollars, instances, money, BuyReport, BuyRequest, Prices, Rank};

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
    /// The report's decode tokens per second per sequence.
    decode: Option<f64>,
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

/// Plans every set the request allows and keeps those that fit, with
/// their speed as the report gives it.
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
            let p = plan(request);
            if !p.fits {
                continue;
            }
            fitting.push(Planned {
                decode: plan_speed(&v.spec, &p, &v.gpus, v.backend, &v.host)
                    .map(|s| s.decode_tokens_per_s),
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
        let every = brute_force(&r);
        let min_tps: Option<f64> = r.min_tps.parse().ok();
        let fitting: Vec<Planned> = every
            .iter()
            .filter(|p| min_tps.is_none_or(|m| p.decode.is_some_and(|d| d >= m)))
            .cloned()
            .collect();
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
        for o in got
            .options
            .iter()
            .chain(&got.pareto_context)
            .chain(&got.pareto_batch)
        {
            let p = fitting.iter().find(|p| p.list == o.gpu_list).unwrap();
            assert_eq!(o.decode_tokens_per_s, p.decode, "{name}: {}", o.gpu_list);
        }
        if fitting.is_empty() {
            assert!(
                got.notes[0].starts_with("nothing of up to"),
                "{name}: {:?}",
                got.notes
            );
            if every.is_empty() {
                assert!(got.shortfall_bytes.is_some_and(|b| b > 0), "{name}");
            } else {
                assert!(
                    got.notes[0].contains("tok/s per sequence"),
                    "{name}: {:?}",
                    got.notes
                );
                assert_eq!(got.shortfall_bytes, None, "{name}");
            }
        }
        if min_tps.is_some() {
            let slow = every.len() - fitting.len();
            assert!(
                got.too_slow as usize <= slow,
                "{name}: {} of {slow}",
                got.too_slow
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
        json!({"model": "qwen2.5-14b", "weights": "q4_k_m", "max_gpus": 3, "top": 3, "min_tps": 70}),
        json!({"model": "llama-3.1-70b", "engine": "vllm", "weights": "fp8", "mode": "rent",
            "rank": "usd_per_mtok", "batch": 8, "top": 3}),
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
        let best = every_rented(&r)
            .into_iter()
            .min_by_key(|x| x.price)
            .map(|x| (x.price, x.id));
        let (price, id) = best.unwrap_or_else(|| panic!("{model}: no instance fits"));
        let first = &got.options[0];
        assert_eq!(money(first.price), Some(price), "{model}: {first:?}");
        assert_eq!(first.instance.as_deref(), Some(id.as_str()), "{model}");
        assert_eq!(first.usd_per_hour, Some(first.price));
    }
}

/// A rentable set that fits, as `report` plans it.
struct Rented {
    /// The instance's id.
    id: String,
    list: String,
    /// Per hour.
    price: u64,
    /// Decode tokens per second per sequence, and in all.
    speed: Option<(f64, f64)>,
}

/// Every rentable set of one machine that fits `r`'s run.
fn every_rented(r: &BuyRequest) -> Vec<Rented> {
    let mut out = Vec::new();
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
            let p = report(&run).unwrap();
            if p.fits {
                let speed = p
                    .speed
                    .map(|s| (s.decode_tokens_per_s, s.decode_tokens_per_s_total));
                let price = money(i.usd_per_hour).unwrap() * n as u64;
                out.push(Rented {
                    id: i.id.clone(),
                    list,
                    price,
                    speed,
                });
            }
        }
    }
    out
}

#[test]
fn renting_ranked_per_token_plans_every_instance_and_sorts() {
    for (model, engine, weights, batch) in [
        ("llama-3.1-70b", "vllm", "fp8", "16"),
        ("llama-3.1-8b", "llama.cpp", "q4_k_m", "1"),
        ("qwen3-30b-a3b", "vllm", "bf16", "64"),
    ] {
        let r = request(
            &json!({"model": model, "engine": engine, "weights": weights,
            "batch": batch, "mode": "rent", "rank": "usd_per_mtok", "top": 6}),
        );
        let got = buy(&r).unwrap();
        let cost = |price: u64, total: f64| dollars(price) / (total * 3600.0) * 1e6;
        let mut every: Vec<(f64, u64, String)> = every_rented(&r)
            .into_iter()
            .map(|s| {
                let per_mtok = s.speed.map_or(f64::INFINITY, |sp| cost(s.price, sp.1));
                (per_mtok, s.price, s.list)
            })
            .collect();
        every.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        assert_eq!(got.options.len(), 6, "{model}");
        for (o, (per_mtok, _, list)) in got.options.iter().zip(&every) {
            let listed = o.usd_per_million_tokens.unwrap();
            assert!(
                (listed - per_mtok).abs() <= 1e-9 * per_mtok,
                "{model}: {} at {listed}, expected {list} at {per_mtok}",
                o.gpu_list
            );
        }
        // Ranked per token, the options need not be in price order.
        assert!(got
            .options
            .windows(2)
            .all(|w| w[0].usd_per_million_tokens <= w[1].usd_per_million_tokens));
    }
}

#[test]
fn a_rented_option_costs_its_hourly_price_over_its_total_decode_rate() {
    let r = request(
        &json!({"model": "llama-3.1-8b", "engine": "vllm", "batch": 8,
        "mode": "rent", "top": 5}),
    );
    let got = buy(&r).unwrap();
    assert_eq!(got.rank, Rank::Price);
    for o in &got.options {
        let mut run = r.run.clone();
        run.gpus = o.gpu_list.clone();
        run.offload = "off".into();
        let total = report(&run)
            .unwrap()
            .speed
            .unwrap()
            .decode_tokens_per_s_total;
        let expected = o.usd_per_hour.unwrap() / (total * 3600.0) * 1e6;
        assert_eq!(o.usd_per_million_tokens, Some(expected), "{}", o.gpu_list);
        assert!(
            (o.decode_tokens_per_s.unwrap() * 8.0 - total).abs() < 1e-9 * total,
            "the total rate is every sequence's"
        );
    }
    // Bought cards have no per-token price.
    let bought = buy(&request(&json!({"model": "llama-3.1-8b", "top": 2}))).unwrap();
    assert!(bought
        .options
        .iter()
        .all(|o| o.usd_per_million_tokens.is_none()));
}

#[test]
fn renting_at_a_minimum_speed_is_the_cheapest_instance_that_reaches_it() {
    for (model, engine, weights, min) in [
        ("llama-3.1-70b", "vllm", "fp8", 30.0),
        ("llama-3.1-8b", "llama.cpp", "q4_k_m", 200.0),
    ] {
        let r = request(
            &json!({"model": model, "engine": engine, "weights": weights,
            "mode": "rent", "top": 3, "min_tps": min}),
        );
        let got = buy(&r).unwrap();
        let mut every: Vec<(u64, String)> = every_rented(&r)
            .into_iter()
            .filter(|s| s.speed.is_some_and(|sp| sp.0 >= min))
            .map(|s| (s.price, s.list))
            .collect();
        every.sort();
        assert!(!got.options.is_empty(), "{model}");
        assert_eq!(money(got.options[0].price), Some(every[0].0), "{model}");
        for o in &got.options {
            assert!(o.decode_tokens_per_s.unwrap() >= min, "{model}: {o:?}");
        }
        assert_eq!(got.min_tps, Some(min));
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
    let cases: [(&str, &str, &str); 25] = [
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
        ("min_tps", "fast", "min_tps"),
        ("min_tps", "-20", "min_tps"),
        ("min_tps", "1e12", "min_tps"),
        ("rank", "cheapest", "rank"),
        // Bought cards have no hourly price to spread over tokens.
        ("rank", "usd_per_mtok", "rank"),
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
    for key in [
        "instance",
        "provider",
        "usd_per_hour",
        "gpus",
        "usd_per_million_tokens",
    ] {
        assert!(!value["options"][0][key].is_null(), "{key}");
    }
    assert_eq!(value["rank"], "price");
    assert!(value["min_tps"].is_null() && value["too_slow"] == 0);
    let fast = request(&json!({"model": "llama-3.1-8b", "mode": "rent", "top": 1,
        "min_tps": 90, "rank": "usd-per-mtok"}));
    assert_eq!(
        (fast.min_tps.as_str(), fast.rank.as_str()),
        ("90", "usd-per-mtok")
    );
    let value = serde_json::to_value(buy(&fast).unwrap()).unwrap();
    assert_eq!(value["rank"], "usd_per_mtok");
    assert_eq!(value["min_tps"], 90.0);
    for field in BuyRequest::fields() {
        assert!(BuyRequest::default().get(field).is_some(), "{field}");
    }
}

/// Not an assertion: how long searches take here, printed (run with
/// `--nocapture`, in release for what the app ships). A minimum speed
/// makes the walk go past sets that fit but are too slow; one no card can
/// reach ends at once; one the bounds allow but few sets reach runs into
/// the budget.
#[test]
fn timing() {
    for value in [
        json!({"model": "llama-3.1-70b", "weights": "q4_k_m"}),
        json!({"model": "llama-3.1-70b", "weights": "q4_k_m", "min_tps": 10}),
        json!({"model": "llama-3.1-70b", "weights": "q4_k_m", "min_tps": 20}),
        json!({"model": "llama-3.1-70b", "weights": "q4_k_m", "min_tps": 30}),
        json!({"model": "llama-3.1-70b", "weights": "q4_k_m", "min_tps": 100}),
        json!({"model": "qwen2.5-32b", "weights": "q4_k_m", "min_tps": 30}),
        json!({"model": "llama-3.1-70b", "engine": "vllm", "weights": "awq", "min_tps": 30}),
        json!({"model": "llama-3.1-70b", "engine": "vllm", "weights": "fp8", "mode": "rent",
            "batch": 16, "rank": "usd_per_mtok"}),
    ] {
        let r = request(&value);
        let t = std::time::Instant::now();
        let got = buy(&r).unwrap();
        eprintln!(
            "{value}: {:.1?}: {} options, {} drawn, {} planned, {} too slow, {} bounded, {} pruned{}",
            t.elapsed(),
            got.options.len(),
            got.considered,
            got.planned,
            got.too_slow,
            got.bounded,
            got.pruned,
            if got.notes.iter().any(|n| n.contains("stopped")) {
                " (stopped at the budget)"
            } else {
                ""
            }
        );
    }
}

//! `vramfit plan … --compare CHANGES…`: the setup and each variant planned,
//! printed side by side with the differing rows marked, or as JSON
//! (`report::compare::Comparison`).

use vramfit::report::compare::{compare, with_changes, Planned, Side, FIELDS};
use vramfit::report::Request;

/// Plans `base` and each of `variants` (`field=value` changes to `base`).
pub fn run(base: &Request, variants: &[String], json: bool) -> Result<(), String> {
    let mut requests = vec![base.clone()];
    for changes in variants {
        requests.push(with_changes(base, changes).map_err(|e| format!("--compare: {e}"))?);
    }
    let c = compare(&requests);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&c).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    let sides: Vec<Option<&Side>> = c
        .setups
        .iter()
        .map(|s| match s {
            Planned::Side(side) => Some(side.as_ref()),
            Planned::Invalid { .. } => None,
        })
        .collect();
    for (n, s) in c.setups.iter().enumerate() {
        match s {
            Planned::Side(side) => println!("{}: {}", letter(n), side.label),
            Planned::Invalid { error, field } => {
                println!("{}: invalid {field}: {error}", letter(n))
            }
        }
    }
    println!();
    for (field, _) in FIELDS {
        let mark = if c.differs.contains(&field) { "*" } else { " " };
        let cells: Vec<String> = sides
            .iter()
            .map(|s| s.map_or("—".to_string(), |s| s.text(field)))
            .collect();
        let cells: Vec<String> = cells.iter().map(|c| format!("{c:>24}")).collect();
        println!("{mark} {field:<20} {}", cells.join(" "));
    }
    println!("\n* differs between the setups");
    Ok(())
}

fn letter(n: usize) -> char {
    (b'A' + (n % 26) as u8) as char
}

//! GPU sets in price order: every multiset of priced cards, cheapest
//! first, without listing them all.
//!
//! The cards that may share a machine form a *stream*, sorted by price.
//! A machine's set is a non-decreasing sequence of indices into it, and
//! the sequences form a tree: a sequence's children repeat its last card
//! (`extend`) or replace the last card with the next dearer one (`bump`).
//! Every sequence has exactly one parent — drop the last index if it
//! repeats the one before, else step it back by one — so the tree holds
//! each multiset once, and a child never costs less than its parent. A
//! best-first walk (a heap keyed by price) therefore yields every set in
//! price order while holding at most two entries per set taken.
//!
//! A subtree is left out when even its largest member cannot hold what
//! the model needs: below a sequence are only sets that keep its prefix
//! and add cards from its last index on, so its prefix plus the rest of
//! the machine filled with the largest such card bounds them all
//! ([`Sets::push`]). With a minimum speed, a subtree is also left out when
//! even its fastest member cannot read the weights fast enough
//! ([`RateNeed`]: the same bound on one machine's summed rates with
//! tensor parallelism, on the fastest card's rate with a layer split).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::catalog::{Instance, Money};
use crate::plan::gpus::Card;

/// `machines` copies of one machine's cards, at a price.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuSet {
    /// The whole set's price: dollars, or dollars per hour when rented.
    pub price: Money,
    /// One machine's cards, in the order the planner gets them: most
    /// usable memory first, ties by id.
    pub machine: Vec<&'static Card>,
    pub machines: usize,
    /// The cloud offer, when rented.
    pub instance: Option<&'static Instance>,
}

impl GpuSet {
    pub fn new(
        price: Money,
        mut machine: Vec<&'static Card>,
        machines: usize,
        instance: Option<&'static Instance>,
    ) -> GpuSet {
        machine.sort_by_cached_key(|c| (Reverse(c.usable_bytes()), c.id.as_str()));
        GpuSet {
            price,
            machine,
            machines,
            instance,
        }
    }

    /// The set as `--gpu` takes it: `2xrtx-3090, rtx-3060-12gb`, machines
    /// separated by `; `.
    pub fn gpu_list(&self) -> String {
        let mut entries: Vec<String> = Vec::new();
        let mut i = 0;
        while i < self.machine.len() {
            let id = &self.machine[i].id;
            let run = self.machine[i..].iter().take_while(|c| &c.id == id).count();
            entries.push(if run > 1 {
                format!("{run}x{id}")
            } else {
                id.clone()
            });
            i += run;
        }
        vec![entries.join(", "); self.machines].join("; ")
    }

    pub fn gpu_count(&self) -> usize {
        self.machine.len() * self.machines
    }

    /// Usable bytes of every GPU together.
    pub fn memory(&self) -> u64 {
        self.machine.iter().map(|c| c.usable_bytes()).sum::<u64>() * self.machines as u64
    }

    /// The order of sets: cheaper, then fewer GPUs, fewer machines, more
    /// memory, then by name.
    pub fn order(&self) -> (Money, usize, usize, Reverse<u64>, String) {
        (
            self.price,
            self.gpu_count(),
            self.machines,
            Reverse(self.memory()),
            self.gpu_list(),
        )
    }
}

/// A card as a stream offers it.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    pub card: &'static Card,
    pub price: Money,
    /// Its share of the memory bound: the bytes it can hold at most.
    pub room: u64,
    /// Its share of the speed bound: the bytes per second it reads at
    /// most while decoding ([`crate::search::pace::card_rate`]).
    pub rate: f64,
}

/// Cards that may share a machine, cheapest first (ties by id).
#[derive(Debug, Clone)]
pub struct Stream {
    pub cards: Vec<Offer>,
    /// The most cards of the stream one machine takes.
    pub per_machine: usize,
}

/// The rate a set's GPUs must read at for a minimum speed: one machine's
/// rates summed (`parallel`: tensor parallelism) or the fastest card's
/// must reach `rate` bytes per second ([`crate::search::pace`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateNeed {
    pub rate: f64,
    pub parallel: bool,
}

/// The most cards one machine's sequence holds.
const MAX_SEQ: usize = super::MAX_GPUS_PER_MACHINE as usize;

/// One sequence, without its price (the heap's key); 20 bytes, as a
/// walk may queue millions.
#[derive(Debug, Clone, Copy)]
struct Node {
    stream: u16,
    machines: u8,
    len: u8,
    /// Indices into the stream's cards (`len` of them).
    seq: [u8; MAX_SEQ],
}

impl Node {
    fn seq(&self) -> &[u8] {
        &self.seq[..usize::from(self.len)]
    }
}

/// The walk over every stream's tree, for 1 to `machines` machines.
pub struct Sets {
    streams: Vec<Stream>,
    /// Per stream, the largest bound share from each index on.
    suffix: Vec<Vec<u64>>,
    /// Per stream, the fastest rate from each index on.
    suffix_rate: Vec<Vec<f64>>,
    rate_need: Option<RateNeed>,
    /// Every node queued; the heap holds (price, index), so equal prices
    /// pop in the order they were queued.
    nodes: Vec<Node>,
    heap: BinaryHeap<Reverse<(Money, usize)>>,
    /// Subtrees left out by the bound.
    pub pruned: u64,
}

impl Sets {
    /// Starts the walk. `need` bounds from below what a set must hold
    /// (see [`Sets::next`]), `rate_need` how fast it must read. A stream
    /// holds at most 255 cards (the catalog has about 115) and a machine
    /// at most 16.
    pub fn new(
        mut streams: Vec<Stream>,
        machines: usize,
        need: u64,
        rate_need: Option<RateNeed>,
    ) -> Sets {
        for s in &mut streams {
            s.cards.sort_by(|a, b| {
                a.price
                    .cmp(&b.price)
                    .then_with(|| a.card.id.cmp(&b.card.id))
            });
            s.cards.truncate(u8::MAX as usize);
            s.per_machine = s.per_machine.min(MAX_SEQ);
        }
        streams.truncate(u16::MAX as usize);
        let machines = machines.min(u8::MAX as usize);
        let suffix = streams
            .iter()
            .map(|s| {
                let mut max = 0;
                let mut out: Vec<u64> = s
                    .cards
                    .iter()
                    .rev()
                    .map(|c| {
                        max = max.max(c.room);
                        max
                    })
                    .collect();
                out.reverse();
                out
            })
            .collect();
        let suffix_rate = streams
            .iter()
            .map(|s| {
                let mut max = 0.0f64;
                let mut out: Vec<f64> = s
                    .cards
                    .iter()
                    .rev()
                    .map(|c| {
                        max = max.max(c.rate);
                        max
                    })
                    .collect();
                out.reverse();
                out
            })
            .collect();
        let mut sets = Sets {
            streams,
            suffix,
            suffix_rate,
            rate_need,
            nodes: Vec::new(),
            heap: BinaryHeap::new(),
            pruned: 0,
        };
        for stream in 0..sets.streams.len() {
            if sets.streams[stream].cards.is_empty() || sets.streams[stream].per_machine == 0 {
                continue;
            }
            for m in 1..=machines {
                let price = sets.streams[stream].cards[0].price * m as Money;
                let node = Node {
                    stream: stream as u16,
                    machines: m as u8,
                    len: 1,
                    seq: [0; MAX_SEQ],
                };
                sets.push(price, node, need);
            }
        }
        sets
    }

    /// Queues `node` unless no set below it can hold `need` bytes — its
    /// prefix plus the rest of the machine filled with the largest card
    /// from its last index on — or read as fast as `rate_need` asks: the
    /// same sum of rates, or the fastest of the prefix and those cards.
    fn push(&mut self, price: Money, node: Node, need: u64) {
        let stream = usize::from(node.stream);
        let s = &self.streams[stream];
        let seq = node.seq();
        let (last, prefix_seq) = seq.split_last().expect("a sequence holds a card");
        let prefix: u64 = prefix_seq.iter().map(|&i| s.cards[i as usize].room).sum();
        let free = s.per_machine - seq.len() + 1;
        let rest = free as u64 * self.suffix[stream][*last as usize];
        let slow = self.rate_need.is_some_and(|r| {
            let prefix = prefix_seq.iter().map(|&i| s.cards[i as usize].rate);
            let fastest_after = self.suffix_rate[stream][*last as usize];
            let best = if r.parallel {
                prefix.sum::<f64>() + free as f64 * fastest_after
            } else {
                prefix.fold(fastest_after, f64::max)
            };
            !crate::search::pace::reaches(best, r.rate)
        });
        if slow || (prefix + rest).saturating_mul(node.machines as u64) < need {
            self.pruned += 1;
            return;
        }
        self.heap.push(Reverse((price, self.nodes.len())));
        self.nodes.push(node);
    }

    /// The next set in price order, queueing its children; `need`, which
    /// may only grow from call to call, prunes them.
    pub fn next(&mut self, need: u64) -> Option<Drawn> {
        let Reverse((price, index)) = self.heap.pop()?;
        let node = self.nodes[index];
        let s = &self.streams[usize::from(node.stream)];
        let k = usize::from(node.len);
        let last = node.seq[k - 1] as usize;
        let m = Money::from(node.machines);
        let drawn = Drawn {
            price,
            bound: node
                .seq()
                .iter()
                .map(|&i| s.cards[i as usize].room)
                .sum::<u64>()
                .saturating_mul(m),
            cards: node
                .seq()
                .iter()
                .map(|&i| s.cards[i as usize].card)
                .collect(),
            shares: node
                .seq()
                .iter()
                .map(|&i| (s.cards[i as usize].rate, s.cards[i as usize].room))
                .collect(),
            machines: usize::from(node.machines),
        };
        let extend = (k < s.per_machine).then(|| {
            let mut child = node;
            child.seq[k] = last as u8;
            child.len += 1;
            (price + m * s.cards[last].price, child)
        });
        let bump = (last + 1 < s.cards.len()).then(|| {
            let mut child = node;
            child.seq[k - 1] = (last + 1) as u8;
            (
                price + m * (s.cards[last + 1].price - s.cards[last].price),
                child,
            )
        });
        for (price, child) in extend.into_iter().chain(bump) {
            self.push(price, child, need);
        }
        Some(drawn)
    }
}

/// A set as drawn: its price and bound, its cards not yet ordered.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub price: Money,
    /// The bytes its GPUs can hold at most.
    pub bound: u64,
    pub cards: Vec<&'static Card>,
    /// Each card's rate and room, as its stream offers it.
    pub shares: Vec<(f64, u64)>,
    pub machines: usize,
}

impl Drawn {
    pub fn set(self) -> GpuSet {
        GpuSet::new(self.price, self.cards, self.machines, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::gpus::find_card;

    fn stream(cards: &[(&str, Money)], per_machine: usize) -> Stream {
        Stream {
            cards: cards
                .iter()
                .map(|&(id, price)| Offer {
                    card: find_card(id).unwrap(),
                    price,
                    room: 1,
                    rate: 1.0,
                })
                .collect(),
            per_machine,
        }
    }

    #[test]
    fn every_multiset_comes_once_and_in_price_order() {
        let streams = vec![
            stream(
                &[("rtx-3090", 7), ("rtx-4090", 11), ("rtx-3060-12gb", 3)],
                3,
            ),
            stream(&[("rx-7900-xtx", 5)], 2),
        ];
        let mut sets = Sets::new(streams, 2, 0, None);
        let mut seen = Vec::new();
        while let Some(drawn) = sets.next(0) {
            let set = drawn.set();
            seen.push((set.price, set.gpu_list()));
        }
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
        let mut names: Vec<&String> = seen.iter().map(|s| &s.1).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), seen.len());
        // Multisets of 1..=3 of 3 cards: 3 + 6 + 10 = 19; of 1..=2 of one: 2;
        // each for one or two machines.
        assert_eq!(seen.len(), 2 * (19 + 2));
        assert_eq!(seen[0], (3, "rtx-3060-12gb".to_string()));
        assert!(seen.contains(&(
            26,
            "rtx-3090, 2xrtx-3060-12gb; rtx-3090, 2xrtx-3060-12gb".to_string()
        )));
    }

    #[test]
    fn subtrees_that_cannot_hold_the_model_are_left_out() {
        let mut s = stream(&[("rtx-3060-12gb", 3), ("rtx-3090", 7)], 2);
        s.cards[0].room = 10;
        s.cards[1].room = 20;
        let mut sets = Sets::new(vec![s], 1, 35, None);
        let mut seen = Vec::new();
        while let Some(drawn) = sets.next(35) {
            let bound = drawn.bound;
            seen.push((drawn.set().gpu_list(), bound));
        }
        // Only two 3090s hold 35; the walk still passes through the
        // sets above them in the tree.
        assert!(seen.contains(&("2xrtx-3090".to_string(), 40)), "{seen:?}");
        assert!(
            !seen.iter().any(|(l, _)| l == "2xrtx-3060-12gb"),
            "{seen:?}"
        );
        assert!(sets.pruned > 0);
    }

    #[test]
    fn subtrees_that_cannot_read_fast_enough_are_left_out() {
        // The cheapest card is the fastest: every set that may reach the
        // rate holds it (a layer split), or enough cards to sum to it.
        let mut s = stream(
            &[("rtx-3060-12gb", 3), ("rtx-3090", 7), ("rtx-4090", 11)],
            3,
        );
        s.cards[0].rate = 3.0;
        let drawn = |need: RateNeed| {
            let mut sets = Sets::new(vec![s.clone()], 1, 0, Some(need));
            let mut seen = Vec::new();
            while let Some(d) = sets.next(0) {
                seen.push(d.cards.iter().map(|c| c.id.as_str()).collect::<Vec<_>>());
            }
            (seen, sets.pruned)
        };
        let (split, pruned) = drawn(RateNeed {
            rate: 2.5,
            parallel: false,
        });
        assert!(
            split.iter().all(|set| set.contains(&"rtx-3060-12gb")),
            "{split:?}"
        );
        // Multisets of up to 3 of 3 cards holding the first: 1 + 3 + 6.
        assert_eq!(split.len(), 10, "{split:?}");
        assert!(pruned > 0);
        let (summed, _) = drawn(RateNeed {
            rate: 3.5,
            parallel: true,
        });
        // Three of the slow cards sum to 3: every set reaching 3.5 holds
        // the fast one, and a subtree without it is never entered.
        assert!(
            summed.iter().all(|set| set.contains(&"rtx-3060-12gb")),
            "{summed:?}"
        );
        assert!(summed.iter().any(|set| set.len() == 3));
    }
}

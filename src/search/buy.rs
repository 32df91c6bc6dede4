//! What to buy or rent: the cheapest GPU sets that run a model.
